package scan

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/google/go-cmp/cmp"

	"github.com/trailwatch/trailwatch/internal/apicalls"
	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/awssim/simtest"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/org"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

const mgmtID = "100000000000"

// orgConfig is the caller's configuration with the standard retryer and a short backoff. (trailwatch itself uses the
// adaptive retryer, which also slows a throttled client down for seconds: right against AWS, too slow for a test that
// throttles a fifth of all calls on purpose.)
func orgConfig(srv *awssim.Server, caller string) aws.Config {
	cfg := srv.SDKConfig(caller, "us-east-1")
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 10
			so.RateLimiter = ratelimit.None
			so.Backoff = retry.NewExponentialJitterBackoff(5 * time.Millisecond)
		})
	}
	return cfg
}

type orgRun struct {
	srv      *awssim.Server
	inv      *model.Inventory
	findings []model.Finding
	rec      *apicalls.Recorder
}

func startGenerated(t *testing.T, sc *awssim.Scenario) *awssim.Server {
	t.Helper()
	return simtest.ServeScenario(t, sc, awssim.Options{Now: func() time.Time { return simNow }})
}

func runOrg(t *testing.T, srv *awssim.Server, caller string, o OrgOptions) orgRun {
	t.Helper()
	cat, _ := controls.Load()
	o.Recorder = apicalls.NewRecorder(nil)
	o.Settings = controls.DefaultSettings(srv.Now())
	o.Pacing = true
	inv, findings, err := Org(context.Background(), cat, orgConfig(srv, caller), o)
	if err != nil {
		t.Fatal(err)
	}
	return orgRun{srv: srv, inv: inv, findings: findings, rec: o.Recorder}
}

func genID(i int) string { return fmt.Sprintf("%012d", 100000000000+i) }

// TestOrgScanMixed: 50 accounts in mixed states, a member without the role, one whose role trusts someone else, a
// suspended and a closed account, a member with a region disabled.
func TestOrgScanMixed(t *testing.T) {
	sc := awssim.Generate(awssim.GenOptions{Accounts: 50, Seed: 7, Regions: []string{"us-east-1", "eu-west-1", "ap-south-1"}})
	none, other := "", "999999999999"
	sc.Accounts[3].AccessRole = &none      // no role to assume
	sc.Accounts[4].AccessRoleTrust = other // the role trusts another account
	sc.Accounts[5].State = "SUSPENDED"
	sc.Accounts[6].State = "CLOSED"
	sc.Accounts[7].Regions = []string{"us-east-1", "eu-west-1"} // ap-south-1 disabled here
	sc.Accounts[7].Trails, sc.Accounts[7].LogGroups = nil, nil
	srv := startGenerated(t, sc)
	r := runOrg(t, srv, mgmtID, OrgOptions{})

	ids := map[string]int{}
	for _, f := range r.findings {
		ids[f.ID]++
		if ids[f.ID] > 1 {
			t.Errorf("duplicate finding %s", f.ID)
		}
	}
	capture := map[string]model.Finding{}
	for _, f := range r.findings {
		if f.ControlID == controls.CaptureID {
			capture[f.AccountID] = f
		}
	}
	if len(capture) != 48 {
		t.Errorf("%d accounts judged, want 48 (50 less suspended and closed)", len(capture))
	}
	for _, i := range []int{3, 4} {
		f := capture[genID(i)]
		if f.Status != model.StatusError || !strings.Contains(f.Reasons[0].Message, "sts:AssumeRole") || !strings.Contains(f.Reasons[0].Message, "AccessDenied") {
			t.Errorf("account %d: %s %+v", i, f.Status, f.Reasons)
		}
	}
	skipped := map[string]string{}
	for _, s := range r.inv.SkippedAccounts {
		skipped[s.ID] = s.Reason
	}
	if skipped[genID(5)] != "account state SUSPENDED" || skipped[genID(6)] != "account state CLOSED" {
		t.Errorf("skipped %v", skipped)
	}
	for _, a := range r.inv.Accounts {
		if a.ID == genID(7) && strings.Join(a.Regions, ",") != "eu-west-1,us-east-1" {
			t.Errorf("account with a disabled region scanned %v", a.Regions)
		}
		if a.ID == genID(9) && (a.OU != "Workloads/Prod" || a.Tags["environment"] != "production" || a.Name != "account-0009") {
			t.Errorf("account 9 labels: %q %v %q", a.OU, a.Tags, a.Name)
		}
	}
	// The organization trail: one finding, in the management account; every member's capture relies on it.
	orgTrail := "arn:aws:cloudtrail:us-east-1:100000000000:trail/org-trail"
	n := 0
	for _, f := range r.findings {
		if f.ResourceID == orgTrail {
			n++
			if f.Status != model.StatusPass || f.AccountID != mgmtID {
				t.Errorf("org trail %+v", f)
			}
		}
	}
	if n != 1 {
		t.Errorf("org trail has %d findings", n)
	}
	for id, f := range capture {
		if id == genID(3) || id == genID(4) {
			continue
		}
		if f.Status != model.StatusPass {
			t.Errorf("account %s capture %s %+v", id, f.Status, f.Reasons)
		}
	}
	// Members never read the organization trail: the management account's judgement stands.
	for _, c := range srv.Counters() {
		if c.Operation == "GetTrailStatus" && c.Account != mgmtID {
			for _, tr := range r.inv.Accounts {
				if tr.ID == c.Account {
					for _, x := range tr.Trails {
						if x.OwnedElsewhere && !x.JudgedByOwner {
							t.Errorf("member %s read the org trail", c.Account)
						}
					}
				}
			}
		}
	}
}

// TestOrgCallBudget: a member with no local trails costs AssumeRole + DescribeRegions + one DescribeTrails per region
// with the sweep; with --discovery list, ListTrails + one DescribeTrails in the organization trail's home region,
// however many regions it has, and the same findings; and GetTelemetryEvaluationStatus (capture without a trail),
// one call that ends the telemetry reading where evaluation is not running.
func TestOrgCallBudget(t *testing.T) {
	regions := []string{"us-east-1", "eu-west-1", "ap-south-1", "us-west-2"}
	var findings [][]model.Finding
	for _, tc := range []struct {
		discovery string
		perMember int
		what      string
	}{
		{collect.DiscoverySweep, 1 + len(regions) + 1, "DescribeRegions + 4 DescribeTrails + GetTelemetryEvaluationStatus"},
		{collect.DiscoveryList, 1 + 1 + 1 + 1, "DescribeRegions + ListTrails + 1 DescribeTrails + GetTelemetryEvaluationStatus"},
		// auto: the management account (swept) shows ListTrails account-wide with its eu-west-1 trail. A member read
		// after that costs what list costs; one read while the management account is (it is scanned beside the
		// members), what the sweep costs, without ListTrails (it has no single-region trail to compare).
		{collect.DiscoveryAuto, 0, "as list or as the sweep, by its discovery"},
	} {
		sc := awssim.Generate(awssim.GenOptions{Accounts: 6, Seed: 1, MaxLocalTrails: 1, Regions: regions})
		for i := 1; i < len(sc.Accounts); i++ {
			sc.Accounts[i].Trails, sc.Accounts[i].LogGroups = nil, nil
		}
		sc.Accounts[0].Trails = append(sc.Accounts[0].Trails, awssim.Trail{Name: "west", HomeRegion: "eu-west-1", S3Bucket: "b"})
		srv := startGenerated(t, sc)
		o := OrgOptions{}
		o.Collect.Discovery = tc.discovery

		r := runOrg(t, srv, mgmtID, o)
		findings = append(findings, r.findings)
		perAccount := map[string]int{}
		for _, c := range srv.Counters() {
			perAccount[c.Account] += c.Calls
		}
		for i := 1; i < 6; i++ {
			if tc.discovery == collect.DiscoveryAuto {
				switch d := accountOf(r.inv, genID(i)).Discovery; d {
				case collect.DiscoveryList + " (auto)":
					tc.perMember, tc.what = 1+1+1+1, d
				case collect.DiscoverySweep + " (auto: no single-region trail to compare ListTrails with)":
					tc.perMember, tc.what = 1+len(regions)+1, d
				default:
					t.Errorf("auto: member %d discovery %q", i, d)
				}
			}
			if got := perAccount[genID(i)]; got != tc.perMember {
				t.Errorf("%s: member %d made %d calls, want %d (%s)", tc.discovery, i, got, tc.perMember, tc.what)
			}
		}
		if tc.discovery == collect.DiscoveryAuto && (r.inv.ListTrails == nil || !r.inv.ListTrails.AccountWide || r.inv.ListTrails.Account != mgmtID) {
			t.Errorf("auto: evidence %+v, want account-wide from the management account", r.inv.ListTrails)
		}
		if got := srv.CallsTo("sts:AssumeRole"); got != 5 {
			t.Errorf("AssumeRole %d times, want 5", got)
		}
		if got, want := r.rec.Total(), srv.CallsTo("*"); got != want {
			t.Errorf("recorder counted %d calls, the simulator %d", got, want)
		}
	}
	for i, mode := range []string{"list", "auto"} {
		if diff := cmp.Diff(findings[0], findings[i+1]); diff != "" {
			t.Errorf("findings differ (-sweep +%s):\n%s", mode, diff)
		}
	}
}

func TestOrgScanFromDelegatedAdmin(t *testing.T) {
	sc := awssim.Generate(awssim.GenOptions{Accounts: 8, Seed: 3, Regions: []string{"us-east-1", "eu-west-1"}})
	role, trusted := "TrailwatchScan", genID(1)
	for i := range sc.Accounts {
		sc.Accounts[i].AccessRole, sc.Accounts[i].AccessRoleTrust = &role, trusted
	}
	srv := startGenerated(t, sc)
	r := runOrg(t, srv, genID(1), OrgOptions{RoleName: role})
	errs, orgFindings := 0, 0
	for _, f := range r.findings {
		if f.Status == model.StatusError {
			errs++
			t.Errorf("error %+v", f)
		}
		if strings.HasSuffix(f.ResourceID, ":trail/org-trail") {
			orgFindings++
			if f.AccountID != mgmtID || f.Status != model.StatusPass {
				t.Errorf("org trail %+v", f)
			}
		}
	}
	if orgFindings != 1 || len(r.inv.Accounts) != 8 {
		t.Errorf("%d org trail findings, %d accounts", orgFindings, len(r.inv.Accounts))
	}
	// A member may not list the organization.
	cat, _ := controls.Load()
	o := OrgOptions{Recorder: apicalls.NewRecorder(nil)}
	if _, _, err := Org(context.Background(), cat, orgConfig(srv, genID(5)), o); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("member listing the organization: %v", err)
	}
}

func TestOrgScanUnderThrottling(t *testing.T) {
	sc := awssim.Generate(awssim.GenOptions{Accounts: 20, Seed: 5, Regions: []string{"us-east-1", "eu-west-1", "us-west-2"}})
	sc.Faults = append(sc.Faults, awssim.Fault{Operation: "*", ThrottleRate: 0.2})
	sc.Organization.EmptyPages = true
	srv := startGenerated(t, sc)
	r := runOrg(t, srv, mgmtID, OrgOptions{})
	for _, f := range r.findings {
		if f.Status == model.StatusError {
			t.Errorf("throttling surfaced as an error: %+v", f)
		}
	}
	if len(r.inv.Accounts) != 20 {
		t.Errorf("%d accounts", len(r.inv.Accounts))
	}
	throttled := 0
	for _, n := range r.rec.Throttled() {
		throttled += n
	}
	if throttled == 0 {
		t.Error("no throttling seen: the fault did not fire")
	}
}

// TestShardsMergeToTheFullScan: three shards, merged, give exactly the findings of one scan.
func TestShardsMergeToTheFullScan(t *testing.T) {
	sc := awssim.Generate(awssim.GenOptions{Accounts: 30, Seed: 11, Regions: []string{"us-east-1", "eu-west-1"}})
	sc.Accounts[8].State = "SUSPENDED"
	srv := startGenerated(t, sc)
	full := runOrg(t, srv, mgmtID, OrgOptions{})
	var invs []*model.Inventory
	seen := map[string]int{}
	for i := 1; i <= 3; i++ {
		r := runOrg(t, srv, mgmtID, OrgOptions{Filter: org.Filter{ShardIndex: i, ShardCount: 3}})
		for _, a := range r.inv.Accounts {
			seen[a.ID]++
		}
		invs = append(invs, r.inv)
	}
	for _, a := range full.inv.Accounts {
		if seen[a.ID] != 1 {
			t.Errorf("account %s in %d shards", a.ID, seen[a.ID])
		}
	}
	cat, _ := controls.Load()
	merged := Merge(invs)
	got := remediate.Judge(cat, merged, controls.DefaultSettings(srv.Now()))
	if diff := cmp.Diff(full.findings, got); diff != "" {
		t.Errorf("merged shards differ from the full scan (-full +merged):\n%s", diff)
	}
	if diff := cmp.Diff(full.inv.SkippedAccounts, merged.SkippedAccounts); diff != "" {
		t.Errorf("skipped accounts differ:\n%s", diff)
	}
}

func TestOrgFilters(t *testing.T) {
	sc := awssim.Generate(awssim.GenOptions{Accounts: 12, Seed: 2, Regions: []string{"us-east-1"}})
	srv := startGenerated(t, sc)
	r := runOrg(t, srv, mgmtID, OrgOptions{Filter: org.Filter{OUs: []string{"Workloads"}, ExcludeAccounts: []string{genID(3)}}})
	for _, a := range r.inv.Accounts {
		if !strings.HasPrefix(a.OU, "Workloads/") || a.ID == genID(3) {
			t.Errorf("account %s (%s) should not be scanned", a.ID, a.OU)
		}
	}
	// Accounts 1..11 sit in Workloads/Prod (i%3 == 0) or Workloads/Dev (i%3 == 1): 3, 6, 9, 1, 4, 7, 10; less 3.
	if len(r.inv.Accounts) != 6 {
		t.Errorf("scanned %d accounts, want 6", len(r.inv.Accounts))
	}
	// --accounts reads the named accounts, never the whole organization (issue 22): no ListAccounts, no OU walk, one
	// DescribeAccount each; an id the organization does not have is reported, not scanned.
	srv.ResetCounters()
	r = runOrg(t, srv, mgmtID, OrgOptions{Filter: org.Filter{Accounts: []string{genID(2), genID(5), genID(5), "999999999999"}}})
	if len(r.inv.Accounts) != 2 {
		t.Errorf("--accounts scanned %d", len(r.inv.Accounts))
	}
	for _, op := range []string{"organizations:ListAccounts", "organizations:ListRoots", "organizations:ListAccountsForParent"} {
		if n := srv.CallsTo(op); n != 0 {
			t.Errorf("--accounts made %d %s calls: it listed the organization", n, op)
		}
	}
	if n := srv.CallsTo("organizations:DescribeAccount"); n != 3 {
		t.Errorf("DescribeAccount %d times, want once per named account", n)
	}
	if a := accountOf(r.inv, genID(2)); a == nil || a.Name == "" {
		t.Errorf("a named account lacks its name: %+v", a)
	}
	if !strings.Contains(strings.Join(r.inv.Incomplete, " "), "999999999999") {
		t.Errorf("the unknown account is not reported: %v", r.inv.Incomplete)
	}
}

func accountOf(inv *model.Inventory, id string) *model.Account {
	for _, a := range inv.Accounts {
		if a.ID == id {
			return a
		}
	}
	return &model.Account{}
}

// TestOrgStopsItsOUWalk: when the scan of an organization ends early (here: ListAccounts refused), the OU walk that
// runs beside the listing ends with it. It used to outlive Org, and when the caller then cancelled its context (the
// CLI does, on its way out), it logged "organizational units not read ... context canceled" after the error.
func TestOrgStopsItsOUWalk(t *testing.T) {
	sc := awssim.Generate(awssim.GenOptions{Accounts: 4, Seed: 1, Regions: []string{"us-east-1"}})
	sc.Faults = append(sc.Faults,
		awssim.Fault{Operation: "organizations:ListRoots", Latency: awssim.Duration(300 * time.Millisecond)},
		awssim.Fault{Operation: "organizations:ListAccounts", Error: "AccessDeniedException"})
	srv := startGenerated(t, sc)
	var logs strings.Builder
	var mu sync.Mutex
	o := OrgOptions{}
	o.Collect.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
	cat, _ := controls.Load()
	ctx, cancel := context.WithCancel(context.Background())
	_, _, err := Org(ctx, cat, orgConfig(srv, mgmtID), o)
	cancel() // as the CLI does when it returns
	if err == nil || !strings.Contains(err.Error(), "ListAccounts") {
		t.Fatalf("err %v", err)
	}
	time.Sleep(500 * time.Millisecond) // past the walk's ListRoots, had it outlived Org
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logs.String(), "organizational units not read") {
		t.Errorf("the OU walk outlived Org:\n%s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
