package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/report"
	"github.com/trailwatch/trailwatch/internal/scan"
)

type mergeOptions struct {
	out outputOptions
	exc exceptionOptions
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
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.out.validate(); err != nil {
				return err
			}
			r, err := mergeReports(args)
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
	return cmd
}

func mergeReports(paths []string) (*report.Report, error) {
	var settings *report.Settings
	var invs []*model.Inventory
	var now time.Time
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
		if settings == nil {
			s := r.Settings
			settings = &s
		} else if *settings != r.Settings {
			return nil, fmt.Errorf("%s was judged with other settings (%+v) than %s (%+v): scan every shard with the same flags", p, r.Settings, paths[0], *settings)
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
	r := report.Build(inv, scan.Judge(cat, inv, cs), *settings, toolVersion())
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
	return cs, nil
}
