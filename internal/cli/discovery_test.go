package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

const discoveryWorld = `
assumptions: {list_trails_scope: %s}
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true}
      - {name: west, home_region: eu-west-1}
`

func TestDiscoveryCheck(t *testing.T) {
	t.Run("holds", func(t *testing.T) {
		simFrom(t, []byte(strings.Replace(discoveryWorld, "%s", "account", 1)))
		code, out, errs := run(t, "discovery", "check")
		if code != ExitOK || !strings.HasPrefix(out, "HOLDS: account 111111111111: ListTrails, called in each of the 2 regions, returned every trail the sweep found (2)") {
			t.Errorf("exit %d\n%s%s", code, out, errs)
		}
	})
	t.Run("does not hold", func(t *testing.T) {
		simFrom(t, []byte(strings.Replace(discoveryWorld, "%s", "region", 1)))
		code, out, errs := run(t, "discovery", "check")
		if code != ExitFailed || !strings.Contains(out, "DOES NOT HOLD") ||
			!strings.Contains(out, "ListTrails in us-east-1 did not return: arn:aws:cloudtrail:eu-west-1:111111111111:trail/west") {
			t.Errorf("exit %d\n%s%s", code, out, errs)
		}
		code, out, _ = run(t, "discovery", "check", "--format", "json")
		var p struct {
			Missing map[string][]string `json:"missing"`
		}
		if err := json.Unmarshal([]byte(out), &p); code != ExitFailed || err != nil || len(p.Missing["us-east-1"]) != 1 {
			t.Errorf("json: exit %d %v %s", code, err, out)
		}
	})
	t.Run("inconclusive", func(t *testing.T) {
		simFrom(t, []byte(strings.Replace(discoveryWorld, "%s", "account", 1)+"    faults: [{operation: cloudtrail:ListTrails, region: eu-west-1, error: AccessDeniedException}]\n"))
		code, out, errs := run(t, "discovery", "check", "--region", "us-east-1")
		if code != ExitIncomplete || !strings.HasPrefix(out, "INCONCLUSIVE") || !strings.Contains(out, "cloudtrail:ListTrails") {
			t.Errorf("exit %d\n%s%s", code, out, errs)
		}
	})
}

func TestDiscoveryFlagIsCheckedFirst(t *testing.T) {
	srv := simFrom(t, []byte(strings.Replace(discoveryWorld, "%s", "account", 1)))
	code, _, errs := run(t, "scan", "--discovery", "listtrails")
	if code != ExitUsage || !strings.Contains(errs, `--discovery "listtrails": want auto`) {
		t.Errorf("exit %d %s", code, errs)
	}
	if n := srv.CallsTo("*"); n != 0 {
		t.Errorf("%d AWS calls before --discovery was checked", n)
	}
	code, out, errs := run(t, "scan", "--discovery", "list", "--format", "json", "--include-inventory")
	if code != ExitFailed || !strings.Contains(out, `"discovery": "list"`) {
		t.Errorf("scan --discovery list: exit %d %s %s", code, out, errs)
	}
}

// TestDiscoveryCheckNeedsSomethingToMiss: in an account with multi-region trails only, a region-scoped ListTrails
// would miss nothing, so "holds" would prove nothing: the check says it is inconclusive (exit 2).
func TestDiscoveryCheckNeedsSomethingToMiss(t *testing.T) {
	simFrom(t, []byte(`
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails: [{name: main, home_region: us-east-1, multi_region: true}]
`))
	code, out, errs := run(t, "discovery", "check")
	if code != ExitIncomplete || !strings.HasPrefix(out, "INCONCLUSIVE: account 111111111111 has no single-region trail") {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
}

// TestDiscoveryAutoIsTheDefault: a scan without --discovery compares ListTrails with the sweep and records what it
// learnt in the inventory, under either reading of ListTrails.
func TestDiscoveryAutoIsTheDefault(t *testing.T) {
	for _, scope := range []string{"account", "region"} {
		srv := simFrom(t, []byte(strings.Replace(discoveryWorld, "%s", scope, 1)))
		code, out, errs := run(t, "scan", "--format", "json", "--include-inventory")
		var r struct {
			Inventory struct {
				ListTrails struct {
					AccountWide bool   `json:"account_wide"`
					TrailARN    string `json:"trail_arn"`
				} `json:"list_trails"`
				Accounts []struct {
					Discovery string `json:"discovery"`
				} `json:"accounts"`
			} `json:"inventory"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil || code != ExitFailed {
			t.Fatalf("%s: exit %d %v %s", scope, code, err, errs)
		}
		lt := r.Inventory.ListTrails
		if lt.AccountWide != (scope == "account") || lt.TrailARN != "arn:aws:cloudtrail:eu-west-1:111111111111:trail/west" {
			t.Errorf("%s: list_trails %+v", scope, lt)
		}
		if len(r.Inventory.Accounts) != 1 || r.Inventory.Accounts[0].Discovery != "sweep, ListTrails compared" {
			t.Errorf("%s: accounts %+v", scope, r.Inventory.Accounts)
		}
		if srv.CallsTo("cloudtrail:ListTrails") != 1 || srv.CallsTo("cloudtrail:DescribeTrails") != 2 {
			t.Errorf("%s: %d ListTrails, %d DescribeTrails", scope, srv.CallsTo("cloudtrail:ListTrails"), srv.CallsTo("cloudtrail:DescribeTrails"))
		}
	}
}
