package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
	"github.com/trailwatch/trailwatch/internal/report"
	"github.com/trailwatch/trailwatch/internal/scan"
)

type mergeOptions struct {
	out   outputOptions
	exc   exceptionOptions
	store storeOptions
	runID string
}

func newMergeCmd(e *env) *cobra.Command {
	o := &mergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge SHARD.json...",
		Short: "Join the JSON reports of `scan --org --shard i/n` runs into one report, as one scan would give",
		Long: `Merge reads shard reports (JSON with their inventory), joins the accounts they scanned and judges the union
again with the same settings, so that organization trails judged in the management account's shard count for the
members in every other shard. The result is the report a single scan of all accounts gives, evaluated at the latest
shard's time.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.out.validate(); err != nil {
				return err
			}
			if o.runID != "" {
				return o.mergeRun(cmd.Context(), e, args)
			}
			if len(args) == 0 {
				return usageError("merge: name the shard reports (SHARD.json...), or --store URL --run ID")
			}
			r, err := mergeReports(args)
			if err != nil {
				return usageError("%v", err)
			}
			if missing, n := missingShards(r.shards); len(missing) > 0 {
				r.Inventory.Incomplete = append(r.Inventory.Incomplete, missingSentence(missing, n))
				r.Complete, r.Incomplete = false, r.Inventory.Incomplete
			}
			if r.Findings, err = o.exc.apply(r.Inventory, r.Findings, r.GeneratedAt); err != nil {
				return err
			}
			r.Summary = report.Summarize(r.Findings)
			r.Inventory = nil
			return o.out.write(e, r.Report)
		},
	}
	o.out.bind(cmd)
	o.exc.bind(cmd)
	o.store.bind(cmd, false)
	cmd.Flags().StringVar(&o.runID, "run", "", "merge the shards saved under this run in --store (\"latest\": the run whose shard was saved last), and record the result in the history")
	return cmd
}

// mergeRun joins the shards a run saved in the store: every index 1..n must be there, else the result is incomplete
// (exit 2) and names the missing ones; the merged scan is recorded in the history like any scan.
func (o *mergeOptions) mergeRun(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 || o.store.dsn == "" {
		return usageError("merge --run %s reads the shards from --store (give no files)", o.runID)
	}
	st, err := o.store.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if o.runID == "latest" {
		id, ok, err := st.LatestRun(ctx)
		if err != nil {
			return &exitError{code: ExitIncomplete, err: err}
		}
		if !ok {
			return usageError("merge --run latest: no run has saved shards in the store yet")
		}
		o.runID = id
	}
	shards, err := st.Shards(ctx, o.runID)
	if err != nil {
		return &exitError{code: ExitIncomplete, err: err}
	}
	if len(shards) == 0 {
		return usageError("run %s has no saved shards in the store (--store): check the run id", o.runID)
	}
	var reports []*report.Report
	have := map[int]bool{}
	n := 0
	for _, sh := range shards {
		r, err := report.ReadJSON(bytes.NewReader(sh.Report))
		if err != nil {
			return &exitError{code: ExitIncomplete, err: fmt.Errorf("shard %d of run %s: %w", sh.Index, o.runID, err)}
		}
		reports = append(reports, r)
		have[sh.Index] = true
		n = max(n, sh.Count)
	}
	var missing []string
	for i := 1; i <= n; i++ {
		if !have[i] {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	r, err := mergeLoaded(reports, "run "+o.runID)
	if err != nil {
		return usageError("%v", err)
	}
	if len(missing) > 0 {
		r.Inventory.Incomplete = append(r.Inventory.Incomplete, fmt.Sprintf("run %s: %s", o.runID, missingSentence(missing, n)))
		r.Complete, r.Incomplete = false, r.Inventory.Incomplete
	}
	if r.Findings, err = o.exc.apply(r.Inventory, r.Findings, r.GeneratedAt); err != nil {
		return err
	}
	r.Summary = report.Summarize(r.Findings)
	r.Inventory = nil
	return o.out.deliver(ctx, e, st, r)
}

// mergedFiles is the merge of shard files, with the shards they were ("i/n"; none for a report that is no shard).
type mergedFiles struct {
	*report.Report
	shards map[int]int // index -> count
}

// missingSentence says which shards of n are missing: "shard 3 of 4 is missing: its accounts were not scanned", or
// "shards 2, 3 of 4 are missing: their accounts ...".
func missingSentence(missing []string, n int) string {
	if len(missing) == 1 {
		return fmt.Sprintf("shard %s of %d is missing: its accounts were not scanned", missing[0], n)
	}
	return fmt.Sprintf("shards %s of %d are missing: their accounts were not scanned", strings.Join(missing, ", "), n)
}

// missingShards names the shard indexes of the split the files came from that none of them is, when every file is a
// shard of the same split; n is the split's count.
func missingShards(shards map[int]int) (missing []string, n int) {
	for _, c := range shards {
		n = c
	}
	for i := 1; i <= n; i++ {
		if _, ok := shards[i]; !ok {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	return missing, n
}

func mergeReports(paths []string) (*mergedFiles, error) {
	var reports []*report.Report
	shards := map[int]int{}
	split, splitFrom, splitShard, plain := 0, "", "", ""
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		r, err := report.ReadJSON(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if r.Inventory == nil {
			return nil, fmt.Errorf("%s has no inventory: produce shard reports with `scan --org --shard i/n --format json` (or --include-inventory)", p)
		}
		if r.Scope.Shard == "" {
			plain = p
		} else {
			var i, n int
			if _, err := fmt.Sscanf(r.Scope.Shard, "%d/%d", &i, &n); err != nil || i < 1 || i > n {
				return nil, fmt.Errorf("%s: shard %q: want i/n", p, r.Scope.Shard)
			}
			if split != 0 && n != split {
				return nil, fmt.Errorf("%s is shard %s and %s is shard %s: they come from different splits (merge the shards of one --shard i/n)", p, r.Scope.Shard, splitFrom, splitShard)
			}
			split, splitFrom, splitShard, shards[i] = n, p, r.Scope.Shard, n
		}
		reports = append(reports, r)
	}
	merged, err := mergeLoaded(reports, paths[0])
	if err != nil {
		return nil, err
	}
	if plain != "" {
		shards = nil // a report that is no shard: which shards are missing cannot be told
	}
	return &mergedFiles{Report: merged, shards: shards}, nil
}

// mergeLoaded joins shard reports, judged with the same settings, into the report of one scan.
func mergeLoaded(reports []*report.Report, first string) (*report.Report, error) {
	var settings *report.Settings
	var invs []*model.Inventory
	var now time.Time
	for i, r := range reports {
		p := fmt.Sprintf("shard report %d", i+1)
		if r.Inventory == nil {
			return nil, fmt.Errorf("%s has no inventory: produce shard reports with `scan --org --shard i/n --format json` (or --include-inventory)", p)
		}
		if settings == nil {
			s := r.Settings
			settings = &s
		} else if *settings != r.Settings {
			return nil, fmt.Errorf("%s was judged with other settings (%+v) than %s (%+v): scan every shard with the same flags", p, r.Settings, first, *settings)
		}
		if r.GeneratedAt.After(now) {
			now = r.GeneratedAt
		}
		invs = append(invs, r.Inventory)
	}
	inv := scan.Merge(invs)
	inv.CollectedAt = now
	cs, err := controlSettings(*settings, now)
	if err != nil {
		return nil, err
	}
	cat, err := controls.Load()
	if err != nil {
		return nil, err
	}
	r := report.Build(inv, remediate.Judge(cat, inv, cs), *settings, toolVersion())
	r.Inventory = inv // for the exceptions' account selectors; not written out
	return r, nil
}

func controlSettings(s report.Settings, now time.Time) (controls.Settings, error) {
	cs := controls.DefaultSettings(now)
	d, err := time.ParseDuration(s.MaxDeliveryAge)
	if err != nil {
		return cs, fmt.Errorf("settings.max_delivery_age %q: %w", s.MaxDeliveryAge, err)
	}
	cs.MaxDeliveryAge, cs.MinRetentionDays = d, s.MinRetentionDays
	if s.PendingWindow != "" {
		if cs.PendingWindow, err = time.ParseDuration(s.PendingWindow); err != nil {
			return cs, fmt.Errorf("settings.pending_window %q: %w", s.PendingWindow, err)
		}
	}
	if s.AlarmsCISVersion != "" {
		if cs.Alarms, err = alarms.ForVersion(s.AlarmsCISVersion); err != nil {
			return cs, fmt.Errorf("settings.alarms_cis_version: %w", err)
		}
	}
	return cs, nil
}
