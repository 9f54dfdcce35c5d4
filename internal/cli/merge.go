package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

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
			var shards []scan.Shard
			for _, p := range args {
				r, err := readReportFile(p)
				if err != nil {
					return usageError("%v", err)
				}
				shards = append(shards, scan.Shard{Name: p, Report: r})
			}
			r, err := scan.MergeShards(shards, "", toolVersion())
			if err != nil {
				return usageError("%v", err)
			}
			if r.Findings, err = o.exc.apply(r.Inventory, r.Findings, r.GeneratedAt); err != nil {
				return err
			}
			r.Summary = report.Summarize(r.Findings)
			r.Inventory = nil
			return o.out.write(e, r)
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
	var parts []scan.Shard
	for _, sh := range shards {
		r, err := report.ReadJSON(bytes.NewReader(sh.Report))
		if err != nil {
			return &exitError{code: ExitIncomplete, err: fmt.Errorf("shard %d of run %s: %w", sh.Index, o.runID, err)}
		}
		parts = append(parts, scan.Shard{Name: fmt.Sprintf("shard %d of run %s", sh.Index, o.runID), Report: r, Index: sh.Index, Count: sh.Count})
	}
	r, err := scan.MergeShards(parts, o.runID, toolVersion())
	if err != nil {
		return usageError("%v", err)
	}
	if r.Findings, err = o.exc.apply(r.Inventory, r.Findings, r.GeneratedAt); err != nil {
		return err
	}
	r.Summary = report.Summarize(r.Findings)
	r.Inventory = nil
	return o.out.deliver(ctx, e, st, r)
}

// readReportFile reads a JSON report file (merge, fix plan --from).
func readReportFile(path string) (*report.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := report.ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
