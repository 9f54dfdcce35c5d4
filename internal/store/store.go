// Package store keeps the history of scans: every finding of every recorded scan, and when each finding (by its
// stable id) was first and last seen, in SQLite (modernc.org/sqlite, no cgo) or PostgreSQL (pgx). It is the only
// package that imports a database driver. The schema is the same in both, its migrations embedded and applied on open;
// a scan is written in one transaction, so a crash or kill mid-write leaves no partial scan.
package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	"modernc.org/sqlite"               // SQLite driver "sqlite"

	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/report"
)

//go:embed migrations
var migrations embed.FS

// Store is an open history database.
type Store struct {
	db      *sql.DB
	dialect string // sqlite or postgres
	// beforeCommit runs inside a scan's transaction just before it commits (tests: a crash mid-write).
	beforeCommit func()
}

// DefaultPath is the SQLite file used when --store is given without a value.
func DefaultPath() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "trailwatch", "history.db")
}

// Open opens (and migrates) the store at dsn: a postgres:// or postgresql:// URL, or a SQLite file path.
func Open(ctx context.Context, dsn string) (*Store, error) {
	s := &Store{dialect: "sqlite"}
	driver, source := "sqlite", dsn
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s.dialect, driver = "postgres", "pgx"
	} else {
		if scheme := urlScheme(dsn); scheme != "" {
			return nil, fmt.Errorf("%q is a %s: URL; the store is a SQLite file path (for example %s) or a postgres:// URL", dsn, scheme, DefaultPath())
		}
		if err := os.MkdirAll(filepath.Dir(dsn), 0o700); err != nil {
			return nil, fmt.Errorf("open store %s: %w", dsn, err)
		}
		// A new store is readable by its owner only, as reports and journals are (it holds the findings and the
		// inventory; field trial: 0644). SQLite gives its -wal and -shm files the database file's mode.
		if f, err := os.OpenFile(dsn, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
			f.Close()
		} else if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("open store %s: %w", dsn, err)
		}
		// Writers take the lock at BEGIN (immediate), where the busy timeout applies; a store busy with another
		// writer (a concurrent scan, a backup) is waited for up to a minute before the write fails.
		source = "file:" + dsn + "?_pragma=busy_timeout(60000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if s.dialect == "sqlite" {
		db.SetMaxOpenConns(1)
	}
	s.db = db
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// urlScheme returns the scheme dsn starts with ("sqlite" of sqlite:///x.db, "file" of file:x.db), "" for a path. A
// one-letter scheme is a Windows drive (C:\x.db), a path.
func urlScheme(dsn string) string {
	scheme, _, ok := strings.Cut(dsn, ":")
	if !ok || len(scheme) < 2 {
		return ""
	}
	for i, r := range scheme {
		letter := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '.' || r == '-')) {
			return ""
		}
	}
	return scheme
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// q rewrites ? placeholders for PostgreSQL ($1, $2, ...).
func (s *Store) q(query string) string {
	if s.dialect != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// migrator is what migrations run on: the pool (SQLite, one connection) or one connection holding the lock.
type migrator interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// migrate applies the embedded migrations. On PostgreSQL, processes that open one store at once (the shards of a
// run, CI's test packages) take turns: a session-level advisory lock serialises them, so none sees a half-applied
// migration or applies one twice.
func (s *Store) migrate(ctx context.Context) error {
	if s.dialect != "postgres" {
		// Openers racing on a new file can get SQLITE_BUSY without the busy handler being asked (while another
		// connection switches the file to WAL, SQLite returns it at once: https://www.sqlite.org/wal.html#sometimes_queries_return_sqlite_busy_in_wal_mode);
		// the migration is retried, within the same minute the busy timeout allows.
		deadline := time.Now().Add(time.Minute)
		for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
			err := s.migrateOn(ctx, s.db)
			var se *sqlite.Error
			if err == nil || !errors.As(err, &se) || se.Code()&0xff != 5 /* SQLITE_BUSY */ || time.Now().After(deadline) {
				return err
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("migrate store: %w", ctx.Err())
			case <-time.After(wait):
			}
		}
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate store: %w", err)
	}
	defer conn.Close()
	const lockKey = 0x74726c77 // "trlw"
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockKey); err != nil {
		return fmt.Errorf("migrate store: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockKey)
	return s.migrateOn(ctx, conn)
}

func (s *Store) migrateOn(ctx context.Context, db migrator) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return fmt.Errorf("migrate store: create schema_migrations: %w", err)
	}
	dir := "migrations/" + s.dialect
	entries, err := migrations.ReadDir(dir)
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its version", e.Name())
		}
		// The check is made inside the transaction: SQLite's begins immediate (the write lock, waited for up to the
		// busy timeout), PostgreSQL's runs under the advisory lock, so two openers never both apply a migration.
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate store: begin: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), v).Scan(&n); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate store: %w", err)
		}
		if n > 0 {
			tx.Rollback()
			continue
		}
		text, _ := migrations.ReadFile(dir + "/" + e.Name())
		for _, stmt := range strings.Split(string(text), ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %s: %w", e.Name(), err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version) VALUES (?)`), v); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Scan is a recorded scan.
type Scan struct {
	ID          int64          `json:"id"`
	GeneratedAt time.Time      `json:"generated_at"`
	RecordedAt  time.Time      `json:"recorded_at"`
	ToolVersion string         `json:"tool_version"`
	Summary     report.Summary `json:"summary"`
	// Complete is false for a scan that did not see everything it was asked to (report.Report.Complete).
	Complete bool `json:"complete"`
}

// Record writes a report as one scan, in one transaction, and updates when each finding was first and last seen.
func (s *Store) Record(ctx context.Context, r *report.Report) (int64, error) {
	sum, _ := json.Marshal(r.Summary)
	lean := *r
	lean.Inventory = nil
	full, err := json.Marshal(lean)
	if err != nil {
		return 0, err
	}
	gen := r.GeneratedAt.UTC().Format(time.RFC3339Nano)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("record scan: %w", err)
	}
	defer tx.Rollback()
	var id int64
	insert := `INSERT INTO scans (generated_at, recorded_at, tool_version, summary, report, complete) VALUES (?, ?, ?, ?, ?, ?)`
	complete := 0
	if r.Complete {
		complete = 1
	}
	if s.dialect == "postgres" {
		err = tx.QueryRowContext(ctx, s.q(insert+" RETURNING id"), gen, time.Now().UTC().Format(time.RFC3339Nano), r.Tool.Version, string(sum), string(full), complete).Scan(&id)
	} else {
		var res sql.Result
		if res, err = tx.ExecContext(ctx, insert, gen, time.Now().UTC().Format(time.RFC3339Nano), r.Tool.Version, string(sum), string(full), complete); err == nil {
			id, err = res.LastInsertId()
		}
	}
	if err != nil {
		return 0, fmt.Errorf("record scan: %w", err)
	}
	for i, f := range r.Findings {
		data, _ := json.Marshal(f)
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO findings (scan_id, finding_id, control_id, status, account_id, region, resource_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			id, f.ID, f.ControlID, string(f.Status), f.AccountID, f.Region, f.ResourceID, string(data)); err != nil {
			return 0, fmt.Errorf("record finding %s: %w", f.ID, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO finding_seen (finding_id, first_seen, last_seen, last_status) VALUES (?, ?, ?, ?)
			ON CONFLICT (finding_id) DO UPDATE SET last_seen = excluded.last_seen, last_status = excluded.last_status`), f.ID, gen, gen, string(f.Status)); err != nil {
			return 0, fmt.Errorf("record finding %s: %w", f.ID, err)
		}
		if s.beforeCommit != nil && i == len(r.Findings)/2 {
			s.beforeCommit()
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("record scan: %w", err)
	}
	return id, nil
}

// Scans lists recorded scans, newest first.
func (s *Store) Scans(ctx context.Context) ([]Scan, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, generated_at, recorded_at, tool_version, summary, complete FROM scans ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list scans: %w", err)
	}
	defer rows.Close()
	var out []Scan
	for rows.Next() {
		var sc Scan
		var gen, rec, sum string
		var complete int
		if err := rows.Scan(&sc.ID, &gen, &rec, &sc.ToolVersion, &sum, &complete); err != nil {
			return nil, err
		}
		sc.Complete = complete != 0
		sc.GeneratedAt, _ = time.Parse(time.RFC3339Nano, gen)
		sc.RecordedAt, _ = time.Parse(time.RFC3339Nano, rec)
		_ = json.Unmarshal([]byte(sum), &sc.Summary)
		out = append(out, sc)
	}
	return out, rows.Err()
}

// Findings returns a recorded scan's findings.
func (s *Store) Findings(ctx context.Context, scanID int64) ([]model.Finding, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT data FROM findings WHERE scan_id = ? ORDER BY finding_id`), scanID)
	if err != nil {
		return nil, fmt.Errorf("read scan %d: %w", scanID, err)
	}
	defer rows.Close()
	var out []model.Finding
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var f model.Finding
		if err := json.Unmarshal([]byte(data), &f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if out == nil {
		var n int
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM scans WHERE id = ?`), scanID).Scan(&n); err != nil || n == 0 {
			return nil, fmt.Errorf("no recorded scan %d", scanID)
		}
	}
	return out, nil
}

// Seen is when a finding was first and last seen.
type Seen struct {
	FirstSeen, LastSeen time.Time
	LastStatus          string
}

// Seen returns the first and last sightings of a finding id.
func (s *Store) Seen(ctx context.Context, findingID string) (Seen, error) {
	var first, last string
	var out Seen
	err := s.db.QueryRowContext(ctx, s.q(`SELECT first_seen, last_seen, last_status FROM finding_seen WHERE finding_id = ?`), findingID).Scan(&first, &last, &out.LastStatus)
	if errors.Is(err, sql.ErrNoRows) {
		return out, fmt.Errorf("finding %s was never seen", findingID)
	}
	out.FirstSeen, _ = time.Parse(time.RFC3339Nano, first)
	out.LastSeen, _ = time.Parse(time.RFC3339Nano, last)
	return out, err
}

// Diff is what changed between two scans.
type Diff struct {
	New      []model.Finding `json:"new"`
	Resolved []model.Finding `json:"resolved"`
	Changed  []model.Finding `json:"changed"`
	// Unseen are findings failing before and absent from a later scan that was incomplete: not resolved, unknown.
	Unseen []model.Finding `json:"unseen"`
}

// Complete reports whether a recorded scan saw everything it was asked to.
func (s *Store) Complete(ctx context.Context, scanID int64) (bool, error) {
	var complete int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT complete FROM scans WHERE id = ?`), scanID).Scan(&complete)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("no recorded scan %d", scanID)
	}
	if err != nil {
		return false, fmt.Errorf("read scan %d: %w", scanID, err)
	}
	return complete != 0, nil
}

func failing(st model.Status) bool {
	return st == model.StatusFail || st == model.StatusError || st == model.StatusWarn || st == model.StatusUnknown
}

// Compare diffs two scans' findings by stable id: new = failing now and not before (absent or passing), resolved =
// failing before and not now (the finding, as it is in the later scan, or as it was when absent), changed = failing in
// both with another status or other reason codes. When the later scan was incomplete (afterComplete false), a failing
// finding absent from it is unseen, not resolved: the scan did not look. So is a failing finding of a control the later
// scan did not judge at all (a scan after a prove has no capture-proof findings, a scan without --alarms no alarm
// findings: field trial, "2 resolved capture-proof" while events were still lost).
func Compare(before, after []model.Finding, afterComplete bool) Diff {
	d := Diff{New: []model.Finding{}, Resolved: []model.Finding{}, Changed: []model.Finding{}, Unseen: []model.Finding{}}
	prev := map[string]model.Finding{}
	for _, f := range before {
		prev[f.ID] = f
	}
	seen := map[string]bool{}
	judged := map[string]bool{}  // controls the later scan judged
	scanned := map[string]bool{} // accounts the later scan judged (every scanned account has findings)
	for _, f := range after {
		judged[f.ControlID] = true
		scanned[f.AccountID] = true
	}
	for _, f := range after {
		seen[f.ID] = true
		p, had := prev[f.ID]
		switch {
		case failing(f.Status) && (!had || !failing(p.Status)):
			d.New = append(d.New, f)
		case !failing(f.Status) && had && failing(p.Status):
			d.Resolved = append(d.Resolved, f)
		case failing(f.Status) && had && (f.Status != p.Status || codes(f) != codes(p)):
			d.Changed = append(d.Changed, f)
		}
	}
	for _, p := range before {
		if !seen[p.ID] && failing(p.Status) {
			// A failing finding is resolved only where the later scan judged its control in its account: an account
			// outside a later, narrower scan (--accounts, --ous) is unseen (field trial: diff called them resolved).
			if afterComplete && judged[p.ControlID] && (scanned[p.AccountID] || p.AccountID == "") {
				d.Resolved = append(d.Resolved, p)
			} else {
				d.Unseen = append(d.Unseen, p)
			}
		}
	}
	return d
}

func codes(f model.Finding) string {
	var c []string
	for _, r := range f.Reasons {
		c = append(c, r.Code)
	}
	return strings.Join(c, ",")
}
