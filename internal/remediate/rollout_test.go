package remediate_test

import (
	"context"
	"fmt"
	"github.com/trailwatch/trailwatch/internal/remediate"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/scan"
)

// TestRolloutStopsAtFirstUnhealthyBatch: 30 accounts with a broken trail each, production first, batches of 10; an
// account in the second batch cannot be fixed, so the third batch is never touched.
func TestRolloutStopsAtFirstUnhealthyBatch(t *testing.T) {
	sc := &awssim.Scenario{Now: "2026-11-22T12:00:00Z"}
	var infos []remediate.AccountInfo
	for i := 0; i < 30; i++ {
		id := fmt.Sprintf("%012d", 200000000000+i)
		env := "development"
		if i%3 == 0 {
			env = "production"
		}
		sc.Accounts = append(sc.Accounts, awssim.Account{ID: id, Name: fmt.Sprintf("acct-%02d", i), Regions: []string{"us-east-1"},
			Tags: map[string]string{"environment": env}, Trails: []awssim.Trail{{Name: "local", HomeRegion: "us-east-1"}}})
		infos = append(infos, remediate.AccountInfo{ID: id, Name: fmt.Sprintf("acct-%02d", i), Tags: map[string]string{"environment": env}})
	}
	// Production accounts are 0, 3, ..., 27 (10 of them): batch 1. Batch 2 holds acct-01, -02, -04, ...; break acct-04.
	bad := fmt.Sprintf("%012d", 200000000004)
	sc.Faults = []awssim.Fault{{Operation: "cloudtrail:UpdateTrail", Account: bad, Error: "AccessDeniedException"}}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, cat, targets, p := rolloutFixture(t, ctx, sc, infos)
	j := remediate.NewJournal(nil, "tester", nil)
	res := remediate.Rollout(ctx, p, infos, j, remediate.RolloutOptions{BatchSize: 10, Writer: func(id string) (remediate.Writer, error) {
		return remediate.NewSDKWriter(srv.SDKConfig(id, "us-east-1")), nil
	},
		Rescan: func(ctx context.Context, ids []string, fixed map[string]time.Time) ([]model.Finding, error) {
			s := controls.DefaultSettings(srv.Now())
			s.FixedAt = fixed
			_, f := scan.Run(ctx, cat, targets(ids), scan.Options{Settings: s})
			return f, nil
		}})
	if len(res.Batches) != 2 || !strings.Contains(res.Stopped, "batch 2") || !strings.Contains(res.Stopped, bad) {
		t.Fatalf("rollout: %d batches, stopped %q", len(res.Batches), res.Stopped)
	}
	for _, id := range res.Batches[0].Accounts {
		var n int
		fmt.Sscanf(id, "%d", &n)
		if (n-200000000000)%3 != 0 {
			t.Errorf("batch 1 holds non-production account %s", id)
		}
	}
	touched := map[string]bool{}
	for _, e := range j.Entries() {
		touched[e.AccountID] = true
	}
	for _, a := range infos[:30] {
		inBatch := false
		for _, b := range res.Batches {
			for _, id := range b.Accounts {
				inBatch = inBatch || id == a.ID
			}
		}
		if !inBatch && touched[a.ID] {
			t.Errorf("account %s of the third batch was changed", a.ID)
		}
	}
	if len(touched) != 20 {
		t.Errorf("%d accounts changed, want 20", len(touched))
	}
}

// TestRolloutGateFailsClosed: the gate stops the rollout after the first batch when the fix succeeded but the trail
// still fails in the re-scan, and when the re-scan itself fails: a gate that cannot check does not let the next
// batch through (issue 10 §2).
func TestRolloutGateFailsClosed(t *testing.T) {
	sc := &awssim.Scenario{Now: "2026-11-22T12:00:00Z"}
	var infos []remediate.AccountInfo
	for i := 0; i < 6; i++ {
		id := fmt.Sprintf("%012d", 300000000000+i)
		sc.Accounts = append(sc.Accounts, awssim.Account{ID: id, Name: fmt.Sprintf("acct-%02d", i), Regions: []string{"us-east-1"},
			Trails: []awssim.Trail{{Name: "local", HomeRegion: "us-east-1"}}})
		infos = append(infos, remediate.AccountInfo{ID: id, Name: fmt.Sprintf("acct-%02d", i)})
	}
	for _, tc := range []struct {
		name   string
		rescan func(ids []string, fixed map[string]time.Time, run func(controls.Settings) []model.Finding) ([]model.Finding, error)
		want   string
	}{
		{"fixed but still failing", func(ids []string, fixed map[string]time.Time, run func(controls.Settings) []model.Finding) ([]model.Finding, error) {
			s := controls.DefaultSettings(simNow)
			s.FixedAt, s.PendingWindow = fixed, 0 // no grace: a trail that has not delivered yet is FAIL NEVER_DELIVERED
			return run(s), nil
		}, "FAIL after the fix (NEVER_DELIVERED)"}, // the gate says why (field trial: it said nothing)
		{"re-scan fails", func([]string, map[string]time.Time, func(controls.Settings) []model.Finding) ([]model.Finding, error) {
			return nil, fmt.Errorf("sts:AssumeRole: AccessDenied")
		}, "health is unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv, cat, targets, p := rolloutFixture(t, ctx, sc, infos)
			res := remediate.Rollout(ctx, p, infos, remediate.NewJournal(nil, "tester", nil), remediate.RolloutOptions{BatchSize: 2,
				Apply: remediate.ApplyOptions{Now: srv.Now},
				Writer: func(id string) (remediate.Writer, error) {
					return remediate.NewSDKWriter(srv.SDKConfig(id, "us-east-1")), nil
				},
				Rescan: func(ctx context.Context, ids []string, fixed map[string]time.Time) ([]model.Finding, error) {
					return tc.rescan(ids, fixed, func(s controls.Settings) []model.Finding {
						_, f := scan.Run(ctx, cat, targets(ids), scan.Options{Settings: s})
						return f
					})
				}})
			if len(res.Batches) != 1 || !strings.Contains(res.Stopped, tc.want) {
				t.Fatalf("%d batches, stopped %q; want 1 batch, stopped for %q", len(res.Batches), res.Stopped, tc.want)
			}
			if n := srv.CallsTo("cloudtrail:UpdateTrail"); n != 2 {
				t.Errorf("%d trails updated, want the first batch's 2", n)
			}
		})
	}
}

// rolloutFixture serves the scenario, scans every account of infos and plans the fix: the simulator, the catalog,
// a way to scan some accounts again (the rollout's health gate), and the plan.
func rolloutFixture(t *testing.T, ctx context.Context, sc *awssim.Scenario, infos []remediate.AccountInfo) (*awssim.Server, *controls.Catalog, func([]string) []scan.Target, *remediate.Plan) {
	t.Helper()
	srv, err := awssim.Start(ctx, sc, awssim.Options{Now: func() time.Time { return simNow }})
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := controls.Load()
	targets := func(ids []string) []scan.Target {
		var ts []scan.Target
		for _, id := range ids {
			ts = append(ts, scan.Target{Clients: collect.NewSDKClients(srv.SDKConfig(id, "us-east-1"))})
		}
		return ts
	}
	var all []string
	for _, a := range infos {
		all = append(all, a.ID)
	}
	inv, fs := scan.Run(ctx, cat, targets(all), scan.Options{Settings: controls.DefaultSettings(srv.Now())})
	return srv, cat, targets, remediate.NewPlan(inv, fs, remediate.Options{Now: srv.Now()})
}

// TestRolloutInterruptedWhileChecking (field trial): interrupted while re-checking a batch, nothing is in progress:
// the run says the batch's changes stay, unchecked, not that something was undone.
func TestRolloutInterruptedWhileChecking(t *testing.T) {
	sc := &awssim.Scenario{Now: "2026-11-22T12:00:00Z"}
	var infos []remediate.AccountInfo
	for i := 0; i < 2; i++ {
		id := fmt.Sprintf("%012d", 300000000000+i)
		sc.Accounts = append(sc.Accounts, awssim.Account{ID: id, Regions: []string{"us-east-1"},
			Trails: []awssim.Trail{{Name: "local", HomeRegion: "us-east-1"}}})
		infos = append(infos, remediate.AccountInfo{ID: id})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, _, _, p := rolloutFixture(t, ctx, sc, infos)
	run, stop := context.WithCancel(ctx)
	res := remediate.Rollout(run, p, infos, remediate.NewJournal(nil, "tester", nil), remediate.RolloutOptions{BatchSize: 1,
		Apply: remediate.ApplyOptions{Now: srv.Now},
		Writer: func(id string) (remediate.Writer, error) {
			return remediate.NewSDKWriter(srv.SDKConfig(id, "us-east-1")), nil
		},
		Rescan: func(context.Context, []string, map[string]time.Time) ([]model.Finding, error) {
			stop() // the signal arrives while the batch is being checked
			return nil, context.Canceled
		}})
	if len(res.Batches) != 1 || !strings.Contains(res.Stopped, "interrupted while re-checking batch 1: its changes were applied and stay") {
		t.Errorf("%d batches, stopped %q", len(res.Batches), res.Stopped)
	}
	if n := srv.CallsTo("cloudtrail:UpdateTrail"); n != 1 {
		t.Errorf("%d trails updated, want the first batch's 1 (none undone, none after)", n)
	}
}
