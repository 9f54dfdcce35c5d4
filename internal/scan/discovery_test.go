package scan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// threeRegions is one account in three regions; %s are its trails and any faults.
const threeRegions = `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1, ap-south-1]
    trails:
%s
    log_groups: [{name: CT, region: us-east-1, retention_days: 365}, {name: W, region: eu-west-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
%s
`

// TestDiscoveryListJudgesAsTheSweep: where ListTrails returns the account's trails of every region (the simulator's
// default reading), --discovery list reaches the same findings as the sweep, finding for finding, with fewer
// DescribeTrails calls: one per region that holds a trail's home, or every region when no multi-region trail was read.
// The oracle is the sweep, a different code path that reads every region.
func TestDiscoveryListJudgesAsTheSweep(t *testing.T) {
	main := "      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}"
	west := "      - {name: west, home_region: eu-west-1, log_group: W, role: R}"
	stopped := "      - {name: main, home_region: us-east-1, multi_region: true, logging: false}"
	cases := []struct {
		name     string
		scenario string
		regions  []string
		describe int // DescribeTrails calls with --discovery list
	}{
		{"one multi-region trail", fmt.Sprintf(threeRegions, main, ""), nil, 1},
		{"multi-region and a single-region trail elsewhere", fmt.Sprintf(threeRegions, main+"\n"+west, ""), nil, 2},
		{"a stopped multi-region trail", fmt.Sprintf(threeRegions, stopped, ""), nil, 1},
		{"single-region trails only: every region read", fmt.Sprintf(threeRegions, west, ""), nil, 3},
		{"no trail: every region read", fmt.Sprintf(threeRegions, "      []", ""), nil, 3},
		{"home region outside --regions", fmt.Sprintf(threeRegions, main+"\n"+west, ""), []string{"ap-south-1", "eu-west-1"}, 2},
		{"the multi-region trail's home refuses DescribeTrails", fmt.Sprintf(threeRegions, main+"\n"+west,
			"    faults: [{operation: cloudtrail:DescribeTrails, region: us-east-1, error: AccessDeniedException}]"), nil, 3},
		{"an organization, seen from both accounts", fmt.Sprintf(brokenOrgTrail, ""), nil, 2 + 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sweep := scanWith(t, tc.scenario, collect.Options{Regions: tc.regions}, nil)
			list := scanWith(t, tc.scenario, collect.Options{Regions: tc.regions, Discovery: collect.DiscoveryList}, nil)
			if diff := cmp.Diff(sweep.findings, list.findings); diff != "" {
				t.Errorf("findings differ (-sweep +list):\n%s", diff)
			}
			if got := list.srv.CallsTo("cloudtrail:DescribeTrails"); got != tc.describe {
				t.Errorf("--discovery list made %d DescribeTrails calls, want %d", got, tc.describe)
			}
			if got, want := list.srv.CallsTo("cloudtrail:ListTrails"), len(list.inv.Accounts); got != want {
				t.Errorf("%d ListTrails calls, want one per account (%d)", got, want)
			}
			if sweep.srv.CallsTo("cloudtrail:ListTrails") != 0 {
				t.Error("the sweep called ListTrails")
			}
			for _, a := range list.inv.Accounts {
				if a.Discovery != collect.DiscoveryList {
					t.Errorf("account %s discovery %q", a.ID, a.Discovery)
				}
			}
		})
	}
}

// TestDiscoveryListFallsBackToTheSweep: where ListTrails fails (denied, or throttled past the retries), the account
// is swept, says so, and is judged exactly as the sweep judges it.
func TestDiscoveryListFallsBackToTheSweep(t *testing.T) {
	for _, code := range []string{"AccessDeniedException", "OperationNotPermittedException"} {
		sc := fmt.Sprintf(threeRegions, "      - {name: west, home_region: eu-west-1}",
			"    faults: [{operation: cloudtrail:ListTrails, error: "+code+"}]")
		sweep := scanWith(t, sc, collect.Options{}, nil)
		list := scanWith(t, sc, collect.Options{Discovery: collect.DiscoveryList}, nil)
		if diff := cmp.Diff(sweep.findings, list.findings); diff != "" {
			t.Errorf("%s: findings differ (-sweep +list):\n%s", code, diff)
		}
		if got := list.srv.CallsTo("cloudtrail:DescribeTrails"); got != 3 {
			t.Errorf("%s: %d DescribeTrails calls, want 3 (every region)", code, got)
		}
		if got := list.inv.Accounts[0].Discovery; got != "sweep (cloudtrail:ListTrails: "+code+")" {
			t.Errorf("%s: discovery %q", code, got)
		}
	}
}

// TestDiscoveryCheckCatchesARegionScopedListTrails: under the other reading of ListTrails (moto's: the called
// region's trails and the multi-region ones), --discovery list misses a single-region trail homed elsewhere, and
// ProbeListTrails, run against the same world, says exactly that; under the default reading it says the assumption
// holds. This is why list is opt-in, and why the probe exists.
func TestDiscoveryCheckCatchesARegionScopedListTrails(t *testing.T) {
	trails := "      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}\n      - {name: west, home_region: eu-west-1}"
	westARN := "arn:aws:cloudtrail:eu-west-1:111111111111:trail/west"
	for _, scope := range []string{"account", "region"} {
		sc := "assumptions: {list_trails_scope: " + scope + "}\n" + fmt.Sprintf(threeRegions, trails, "")
		list := scanWith(t, sc, collect.Options{Discovery: collect.DiscoveryList}, nil)
		judged := false
		for _, f := range list.findings {
			judged = judged || (f.ControlID == controls.IntegrationID && f.ResourceID == westARN)
		}
		if judged != (scope == "account") {
			t.Errorf("scope %s: the single-region trail in eu-west-1 judged: %v", scope, judged)
		}
		p := collect.ProbeListTrails(t.Context(), list.targets[0].Clients, collect.Options{})
		if p.Error != nil || len(p.Errors) > 0 || len(p.Trails) != 2 {
			t.Fatalf("scope %s: probe %+v", scope, p)
		}
		switch scope {
		case "account":
			if !p.Holds() {
				t.Errorf("account scope: the probe says it does not hold: %+v", p.Missing)
			}
		case "region":
			want := map[string][]string{"ap-south-1": {westARN}, "us-east-1": {westARN}}
			if diff := cmp.Diff(want, p.Missing); diff != "" || p.Holds() {
				t.Errorf("region scope: missing (-want +got):\n%s", diff)
			}
		}
	}
}

// TestDiscoveryCheckIsInconclusiveOnErrors: a failed call makes the probe inconclusive, never "holds".
func TestDiscoveryCheckIsInconclusiveOnErrors(t *testing.T) {
	sc := fmt.Sprintf(threeRegions, "      - {name: west, home_region: eu-west-1}",
		"    faults: [{operation: cloudtrail:ListTrails, region: ap-south-1, error: AccessDeniedException}]")
	r := scanWith(t, sc, collect.Options{Regions: []string{"us-east-1"}}, nil)
	p := collect.ProbeListTrails(t.Context(), r.targets[0].Clients, collect.Options{})
	if p.Holds() || p.Errors["cloudtrail:ListTrails ap-south-1"] == nil || p.Errors["cloudtrail:ListTrails ap-south-1"].Kind != model.ErrAccessDenied {
		t.Errorf("probe %+v", p)
	}
	if len(p.Missing) != 0 || !strings.Contains(p.Errors["cloudtrail:ListTrails ap-south-1"].Error(), "AccessDenied") {
		t.Errorf("probe %+v", p)
	}
}

// twoAccounts: two accounts in us-east-1, eu-west-1 and a third region (%[2]s). The first has a multi-region trail
// and a single-region trail in eu-west-1; the second a multi-region trail and a single-region trail, "local", in the
// third region without a log group (a FAIL that a ListTrails leaving it out would hide from --discovery list).
// %[1]s is the simulator's ListTrails scope.
const twoAccounts = `
assumptions: {list_trails_scope: %[1]s}
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1, %[2]s]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
      - {name: west, home_region: eu-west-1, log_group: W, role: R}
    log_groups: [{name: CT, region: us-east-1, retention_days: 365}, {name: W, region: eu-west-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
  - id: "222222222222"
    regions: [us-east-1, eu-west-1, %[2]s]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
      - {name: local, home_region: %[2]s}
    log_groups: [{name: CT, region: us-east-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
`

// TestDiscoveryAutoLearnsFromTheFirstAccount: --discovery auto sweeps the first account and compares ListTrails
// beside it. Where ListTrails is account-wide (the simulator's default reading), it returns the first account's
// eu-west-1 trail from us-east-1, which a region-scoped ListTrails cannot, and the second account is read with
// ListTrails first. Under the region-scoped readings (moto's, and home-region only) ListTrails leaves that trail out,
// and the second account is swept without ListTrails: its ap-south-1 trail, which --discovery list misses there, is
// judged. In every reading the findings are the sweep's, finding for finding (the oracle: the sweep, which reads
// every region of every account and never calls ListTrails).
func TestDiscoveryAutoLearnsFromTheFirstAccount(t *testing.T) {
	westARN := "arn:aws:cloudtrail:eu-west-1:111111111111:trail/west"
	southARN := "arn:aws:cloudtrail:ap-south-1:222222222222:trail/local"
	cases := []struct {
		scope               string
		accountWide         bool
		describe, listCalls int
		second              string // the second account's discovery
	}{
		// First account: 3 DescribeTrails and 1 ListTrails. Second: ListTrails, then its homes us-east-1 and ap-south-1.
		{"account", true, 3 + 2, 2, "list (auto)"},
		// Second: every region, no ListTrails.
		{"region", false, 3 + 3, 1, "sweep (auto: ListTrails was seen to miss trails)"},
		{"home_region", false, 3 + 3, 1, "sweep (auto: ListTrails was seen to miss trails)"},
	}
	for _, tc := range cases {
		t.Run(tc.scope, func(t *testing.T) {
			sc := fmt.Sprintf(twoAccounts, tc.scope, "ap-south-1")
			sweep := scanOneByOne(t, sc, collect.Options{Discovery: collect.DiscoverySweep})
			auto := scanOneByOne(t, sc, collect.Options{Discovery: collect.DiscoveryAuto})
			if diff := cmp.Diff(sweep.findings, auto.findings); diff != "" {
				t.Errorf("findings differ (-sweep +auto):\n%s", diff)
			}
			judged := false
			for _, f := range auto.findings {
				judged = judged || (f.ControlID == controls.IntegrationID && f.ResourceID == southARN && f.Status == model.StatusFail)
			}
			if !judged {
				t.Errorf("the second account's ap-south-1 trail was not judged FAIL")
			}
			if got := auto.srv.CallsTo("cloudtrail:DescribeTrails"); got != tc.describe {
				t.Errorf("%d DescribeTrails calls, want %d", got, tc.describe)
			}
			if got := auto.srv.CallsTo("cloudtrail:ListTrails"); got != tc.listCalls {
				t.Errorf("%d ListTrails calls, want %d", got, tc.listCalls)
			}
			want := &model.ListTrailsScope{AccountWide: tc.accountWide, Account: "111111111111", CalledIn: "us-east-1", TrailARN: westARN}
			if diff := cmp.Diff(want, auto.inv.ListTrails); diff != "" {
				t.Errorf("evidence (-want +got):\n%s", diff)
			}
			if got := []string{auto.inv.Accounts[0].Discovery, auto.inv.Accounts[1].Discovery}; got[0] != "sweep, ListTrails compared" || got[1] != tc.second {
				t.Errorf("discovery %q", got)
			}
			if sweep.inv.ListTrails != nil || sweep.srv.CallsTo("cloudtrail:ListTrails") != 0 {
				t.Error("--discovery sweep called ListTrails")
			}
		})
	}
}

// TestDiscoveryAutoSweepsTwoRegions: once ListTrails is known account-wide, an account with two regions in scope is
// still swept: ListTrails and one DescribeTrails cannot cost less than two DescribeTrails.
func TestDiscoveryAutoSweepsTwoRegions(t *testing.T) {
	sc := fmt.Sprintf(twoAccounts, "account", "ap-south-1")
	regions := []string{"us-east-1", "eu-west-1"}
	sweep := scanOneByOne(t, sc, collect.Options{Regions: regions, Discovery: collect.DiscoverySweep})
	auto := scanOneByOne(t, sc, collect.Options{Regions: regions, Discovery: collect.DiscoveryAuto})
	if diff := cmp.Diff(sweep.findings, auto.findings); diff != "" {
		t.Errorf("findings differ (-sweep +auto):\n%s", diff)
	}
	if auto.inv.ListTrails == nil || !auto.inv.ListTrails.AccountWide {
		t.Fatalf("the first account settled nothing: %+v", auto.inv.ListTrails)
	}
	if got := auto.inv.Accounts[1].Discovery; got != "sweep (auto: too few regions for ListTrails to save a call)" {
		t.Errorf("second account: %q", got)
	}
	if l, d := auto.srv.CallsTo("cloudtrail:ListTrails"), auto.srv.CallsTo("cloudtrail:DescribeTrails"); l != 1 || d != 2+2 {
		t.Errorf("%d ListTrails (want 1, the first account's), %d DescribeTrails (want 4)", l, d)
	}
}

// TestDiscoveryAutoWithoutEvidenceSweeps: an account with no single-region trail can settle nothing (both readings
// of ListTrails return the same there), so auto reads it exactly as the sweep does, without ListTrails; where
// ListTrails fails, auto says so and sweeps; a single-region trail of the home region is compared from another region.
func TestDiscoveryAutoWithoutEvidenceSweeps(t *testing.T) {
	main := "      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}"
	east := "      - {name: east, home_region: us-east-1, log_group: CT, role: R}"
	west := "      - {name: west, home_region: eu-west-1, log_group: W, role: R}"
	eastARN := "arn:aws:cloudtrail:us-east-1:111111111111:trail/east"
	cases := []struct {
		name, scope, trails, faults, discovery string
		listCalls                              int
		evidence                               *model.ListTrailsScope
	}{
		{"one multi-region trail", "account", main, "", "sweep (auto: no single-region trail to compare ListTrails with)", 0, nil},
		{"no trail", "account", "      []", "", "sweep (auto: no single-region trail to compare ListTrails with)", 0, nil},
		{"ListTrails denied", "account", main + "\n" + west, "    faults: [{operation: cloudtrail:ListTrails, error: AccessDeniedException}]",
			"sweep (auto; cloudtrail:ListTrails: AccessDeniedException)", 1, nil},
		{"a single-region trail of the home region, account-wide ListTrails", "account", main + "\n" + east, "", "sweep, ListTrails compared", 1,
			&model.ListTrailsScope{AccountWide: true, Account: "111111111111", CalledIn: "ap-south-1", TrailARN: eastARN}},
		{"a single-region trail of the home region, region-scoped ListTrails", "region", main + "\n" + east, "", "sweep, ListTrails compared", 1,
			&model.ListTrailsScope{Account: "111111111111", CalledIn: "ap-south-1", TrailARN: eastARN}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := "assumptions: {list_trails_scope: " + tc.scope + "}\n" + fmt.Sprintf(threeRegions, tc.trails, tc.faults)
			sweep := scanWith(t, sc, collect.Options{}, nil)
			auto := scanWith(t, sc, collect.Options{Discovery: collect.DiscoveryAuto}, nil)
			if diff := cmp.Diff(sweep.findings, auto.findings); diff != "" {
				t.Errorf("findings differ (-sweep +auto):\n%s", diff)
			}
			if got := auto.srv.CallsTo("cloudtrail:DescribeTrails"); got != 3 {
				t.Errorf("%d DescribeTrails calls, want 3", got)
			}
			if got := auto.srv.CallsTo("cloudtrail:ListTrails"); got != tc.listCalls {
				t.Errorf("%d ListTrails calls, want %d", got, tc.listCalls)
			}
			if got := auto.inv.Accounts[0].Discovery; got != tc.discovery {
				t.Errorf("discovery %q, want %q", got, tc.discovery)
			}
			if diff := cmp.Diff(tc.evidence, auto.inv.ListTrails); diff != "" {
				t.Errorf("evidence (-want +got):\n%s", diff)
			}
		})
	}
}

// scanOneByOne is scanWith with one account at a time, in the scenario's order, so that what the first account
// teaches is known before the second is read.
func scanOneByOne(t *testing.T, text string, co collect.Options) result {
	t.Helper()
	return scanWithOptions(t, text, func(o *Options) { o.Collect = co; o.AccountConcurrency = 1 })
}

// TestMergeKeepsListTrailsEvidence: merging shards keeps what they learnt of ListTrails; "misses trails" wins, and
// one shard's "account-wide" beside another's "misses" is a conflict, because the first shard read accounts with it.
func TestMergeKeepsListTrailsEvidence(t *testing.T) {
	wide := &model.ListTrailsScope{AccountWide: true, Account: "111111111111", CalledIn: "us-east-1", TrailARN: "arn:aws:cloudtrail:eu-west-1:111111111111:trail/w"}
	missed := &model.ListTrailsScope{Account: "222222222222", CalledIn: "us-east-1", TrailARN: "arn:aws:cloudtrail:eu-west-1:222222222222:trail/w"}
	inv := func(s *model.ListTrailsScope) *model.Inventory { return &model.Inventory{ListTrails: s} }
	if got := Merge([]*model.Inventory{inv(nil), inv(wide), inv(nil)}).ListTrails; !cmp.Equal(got, wide) {
		t.Errorf("one shard's evidence: %+v", got)
	}
	if got := Merge([]*model.Inventory{inv(missed), inv(missed)}).ListTrails; !cmp.Equal(got, missed) {
		t.Errorf("agreeing shards: %+v", got)
	}
	for _, order := range [][]*model.Inventory{{inv(wide), inv(missed)}, {inv(missed), inv(wide)}} {
		merged := Merge(order)
		got := merged.ListTrails
		if got == nil || got.AccountWide || got.Account != "222222222222" || !strings.Contains(got.Conflict, "111111111111") {
			t.Errorf("conflicting shards: %+v", got)
		}
		// Accounts one shard read with ListTrails may lack trails: the merged scan is incomplete, once.
		if len(merged.Incomplete) != 1 || !strings.Contains(merged.Incomplete[0], "ListTrails left out arn:aws:cloudtrail:eu-west-1:222222222222:trail/w") {
			t.Errorf("incomplete: %q", merged.Incomplete)
		}
	}
	if got := Merge([]*model.Inventory{inv(wide), inv(wide)}).Incomplete; len(got) != 0 {
		t.Errorf("agreeing shards are incomplete: %q", got)
	}
	// A shard whose own run conflicted carries the sentence already: the merge does not repeat it.
	shard := &model.Inventory{}
	noteListTrails(shard, &model.ListTrailsScope{Account: "222222222222", TrailARN: "arn:aws:cloudtrail:eu-west-1:222222222222:trail/w", Conflict: "earlier, ..."})
	if got := Merge([]*model.Inventory{shard, inv(wide)}).Incomplete; len(got) != 1 {
		t.Errorf("a shard's own conflict: %q", got)
	}
	if got := Merge([]*model.Inventory{inv(nil)}).ListTrails; got != nil {
		t.Errorf("no evidence: %+v", got)
	}
}

// TestDiscoveryReadsOptedInRegions: evidence from the default regions does not cover a region that must be opted
// into (AWS documents only that multi-region trails are copied there), so reading with ListTrails always reads the
// opted-in regions with DescribeTrails. Under a ListTrails that leaves out trails homed in opt-in regions (the
// simulator's default_regions reading), list and auto still judge the second account's af-south-1 trail, as the
// sweep does; auto reads the second account with ListTrails, having learnt it from the first account's eu-west-1 trail.
func TestDiscoveryReadsOptedInRegions(t *testing.T) {
	capeARN := "arn:aws:cloudtrail:af-south-1:222222222222:trail/local"
	for _, scope := range []string{"account", "default_regions"} {
		sc := fmt.Sprintf(twoAccounts, scope, "af-south-1") // af-south-1 must be opted into
		sweep := scanOneByOne(t, sc, collect.Options{Discovery: collect.DiscoverySweep})
		for _, d := range []string{collect.DiscoveryList, collect.DiscoveryAuto} {
			r := scanOneByOne(t, sc, collect.Options{Discovery: d})
			if diff := cmp.Diff(sweep.findings, r.findings); diff != "" {
				t.Errorf("%s, %s: findings differ (-sweep +%s):\n%s", scope, d, d, diff)
			}
			judged := false
			for _, f := range r.findings {
				judged = judged || (f.ControlID == controls.IntegrationID && f.ResourceID == capeARN && f.Status == model.StatusFail)
			}
			if !judged {
				t.Errorf("%s, %s: the af-south-1 trail was not judged FAIL", scope, d)
			}
			if got := r.inv.Accounts[1].Discovery; !strings.HasPrefix(got, "list") {
				t.Errorf("%s, %s: the second account was read by %q", scope, d, got)
			}
		}
	}
}
