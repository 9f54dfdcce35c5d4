package scan

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
	"github.com/trailwatch/trailwatch/internal/report"
)

// Shard is one report of a sharded scan (`scan --org --shard i/n` with its inventory) to merge. Name says where it
// came from in errors (a file's path, a run's shard). Index and Count place it in its split; zero: read from the
// report's scope ("i/n"), and a report without one is no shard.
type Shard struct {
	Name         string
	Report       *report.Report
	Index, Count int
}

// MergeShards joins the reports of one sharded scan into the report a single scan of all their accounts gives: the
// union of the inventories judged again with the shards' settings (so that organization trails judged in the
// management account's shard count for the members in every other), at the latest shard's time, its inventory kept
// for the exceptions' account selectors. When shards of the split are missing, the report is incomplete and says
// which (prefixed with run, when given). Every shard must have its inventory and the same settings.
func MergeShards(shards []Shard, run, version string) (*report.Report, error) {
	if len(shards) == 0 {
		return nil, fmt.Errorf("no shard reports to merge")
	}
	have := map[int]bool{}
	split, plain := 0, false
	var splitFrom *Shard
	for i := range shards {
		sh := &shards[i]
		if sh.Report.Inventory == nil {
			return nil, fmt.Errorf("%s has no inventory: produce shard reports with `scan --org --shard i/n --format json` (or --include-inventory)", sh.Name)
		}
		if sh.Index == 0 {
			if sh.Report.Scope.Shard == "" {
				plain = true // a report that is no shard: which shards are missing cannot be told
				continue
			}
			if _, err := fmt.Sscanf(sh.Report.Scope.Shard, "%d/%d", &sh.Index, &sh.Count); err != nil || sh.Index < 1 || sh.Index > sh.Count {
				return nil, fmt.Errorf("%s: shard %q: want i/n", sh.Name, sh.Report.Scope.Shard)
			}
		}
		if split != 0 && sh.Count != split {
			return nil, fmt.Errorf("%s is shard %d/%d and %s is shard %d/%d: they come from different splits (merge the shards of one --shard i/n)",
				sh.Name, sh.Index, sh.Count, splitFrom.Name, splitFrom.Index, splitFrom.Count)
		}
		split, splitFrom, have[sh.Index] = sh.Count, sh, true
	}
	r, err := merge(shards, version)
	if err != nil {
		return nil, err
	}
	var missing []string
	for i := 1; i <= split && !plain; i++ {
		if !have[i] {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	if len(missing) > 0 {
		why := MissingShards(missing, split)
		if run != "" {
			why = "run " + run + ": " + why
		}
		r.Inventory.Incomplete = append(r.Inventory.Incomplete, why)
		r.Complete, r.Incomplete = false, r.Inventory.Incomplete
	}
	return r, nil
}

// MissingShards says which shards of n are missing: "shard 3 of 4 is missing: its accounts were not scanned", or
// "shards 2, 3 of 4 are missing: their accounts ...".
func MissingShards(missing []string, n int) string {
	if len(missing) == 1 {
		return fmt.Sprintf("shard %s of %d is missing: its accounts were not scanned", missing[0], n)
	}
	return fmt.Sprintf("shards %s of %d are missing: their accounts were not scanned", strings.Join(missing, ", "), n)
}

// merge joins shard reports judged with the same settings.
func merge(shards []Shard, version string) (*report.Report, error) {
	var settings *report.Settings
	var invs []*model.Inventory
	var now time.Time
	for _, sh := range shards {
		r := sh.Report
		if settings == nil {
			s := r.Settings
			settings = &s
		} else if *settings != r.Settings {
			return nil, fmt.Errorf("%s was judged with other settings (%+v) than %s (%+v): scan every shard with the same flags", sh.Name, r.Settings, shards[0].Name, *settings)
		}
		if r.GeneratedAt.After(now) {
			now = r.GeneratedAt
		}
		invs = append(invs, r.Inventory)
	}
	inv := Merge(invs)
	inv.CollectedAt = now
	cs, err := SettingsOf(*settings, now)
	if err != nil {
		return nil, err
	}
	cat, err := controls.Load()
	if err != nil {
		return nil, err
	}
	r := report.Build(inv, remediate.Judge(cat, inv, cs), *settings, version)
	r.Inventory = inv // for the exceptions' account selectors; the command decides whether it is written out
	return r, nil
}

// SettingsOf is the rule's settings a report was judged with (its settings block), at now: what a merge or a plan from
// a saved report judges again with.
func SettingsOf(s report.Settings, now time.Time) (controls.Settings, error) {
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
