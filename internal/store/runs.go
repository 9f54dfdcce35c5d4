package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Runs: a sharded organization scan meets in the store. Its account list is saved once per run, so every shard
// partitions the same list (an organization that changes during the run cannot make shards overlap or miss
// accounts); each shard saves its report (with its inventory) under the run and its index, idempotently, so that a
// retried shard replaces its earlier attempt; merge reads them all.

// SaveRunAccounts stores a run's account list unless the run has one already, and returns the list the run uses:
// the first one saved wins, so concurrent shards agree.
func (s *Store) SaveRunAccounts(ctx context.Context, runID string, members []byte) ([]byte, error) {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO run_accounts (run_id, created_at, members) VALUES (?, ?, ?) ON CONFLICT (run_id) DO NOTHING`),
		runID, time.Now().UTC().Format(time.RFC3339Nano), string(members))
	if err != nil {
		return nil, fmt.Errorf("save the accounts of run %s: %w", runID, err)
	}
	got, ok, err := s.RunAccounts(ctx, runID)
	if err != nil || !ok {
		return nil, fmt.Errorf("read back the accounts of run %s: %v", runID, err)
	}
	return got, nil
}

// RunAccounts returns a run's account list, and whether it has one.
func (s *Store) RunAccounts(ctx context.Context, runID string) ([]byte, bool, error) {
	var members string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT members FROM run_accounts WHERE run_id = ?`), runID).Scan(&members)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the accounts of run %s: %w", runID, err)
	}
	return []byte(members), true, nil
}

// Shard is one shard's saved report.
type Shard struct {
	Index, Count int
	Report       []byte
}

// SaveShard stores (or, for a retried shard, replaces) shard index of count's report under the run.
func (s *Store) SaveShard(ctx context.Context, runID string, index, count int, report []byte) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO run_shards (run_id, shard_index, shard_count, recorded_at, report) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (run_id, shard_index) DO UPDATE SET shard_count = excluded.shard_count, recorded_at = excluded.recorded_at, report = excluded.report`),
		runID, index, count, time.Now().UTC().Format(time.RFC3339Nano), string(report))
	if err != nil {
		return fmt.Errorf("save shard %d/%d of run %s: %w", index, count, runID, err)
	}
	return nil
}

// Shards returns the shards saved under a run, by index.
func (s *Store) Shards(ctx context.Context, runID string) ([]Shard, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT shard_index, shard_count, report FROM run_shards WHERE run_id = ? ORDER BY shard_index`), runID)
	if err != nil {
		return nil, fmt.Errorf("read the shards of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []Shard
	for rows.Next() {
		var sh Shard
		var rep string
		if err := rows.Scan(&sh.Index, &sh.Count, &rep); err != nil {
			return nil, err
		}
		sh.Report = []byte(rep)
		out = append(out, sh)
	}
	return out, rows.Err()
}

// LatestRun returns the run whose shard was saved last (for merge --run latest, a merge CronJob that does not know
// the scan Job's name); ok is false when no run has a saved shard. The times are compared parsed: RFC 3339 text with
// trimmed fractions does not sort as text.
func (s *Store) LatestRun(ctx context.Context) (string, bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, recorded_at FROM run_shards`)
	if err != nil {
		return "", false, fmt.Errorf("find the latest run: %w", err)
	}
	defer rows.Close()
	var best string
	var bestAt time.Time
	for rows.Next() {
		var id, at string
		if err := rows.Scan(&id, &at); err != nil {
			return "", false, fmt.Errorf("find the latest run: %w", err)
		}
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return "", false, fmt.Errorf("run %s: shard time %q: %w", id, at, err)
		}
		if best == "" || t.After(bestAt) || (t.Equal(bestAt) && id > best) {
			best, bestAt = id, t
		}
	}
	if err := rows.Err(); err != nil {
		return "", false, fmt.Errorf("find the latest run: %w", err)
	}
	return best, best != "", nil
}
