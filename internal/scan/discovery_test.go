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
