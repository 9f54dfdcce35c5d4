package scan

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the time-zone test runs children in named zones

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/awssim/simtest"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

var simNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

type result struct {
	targets  []Target
	srv      *awssim.Server
	inv      *model.Inventory
	findings []model.Finding
}

func (r result) get(t *testing.T, control, resource string) model.Finding {
	t.Helper()
	for _, f := range r.findings {
		if f.ControlID == control && f.ResourceID == resource {
			return f
		}
	}
	var have []string
	for _, f := range r.findings {
		have = append(have, f.ControlID+" "+f.ResourceID)
	}
	t.Fatalf("no %s finding for %s; have:\n%s", control, resource, strings.Join(have, "\n"))
	return model.Finding{}
}

func codes(f model.Finding) string {
	var c []string
	for _, r := range f.Reasons {
		c = append(c, r.Code)
	}
	sort.Strings(c)
	return strings.Join(c, ",")
}

// scanScenario serves a scenario with a fixed clock and scans the given accounts (all when none) through the real SDK
// with the standard retryer (fast backoff for tests).
func scanScenario(t *testing.T, text string, regions []string, accounts ...string) result {
	t.Helper()
	return scanWith(t, text, collect.Options{Regions: regions}, nil, accounts...)
}

// scanWith is scanScenario with the collection options and an adjustment of the control settings.
func scanWith(t *testing.T, text string, co collect.Options, adjust func(*controls.Settings), accounts ...string) result {
	t.Helper()
	return scanWithOptions(t, text, func(o *Options) {
		o.Collect = co
		if adjust != nil {
			adjust(&o.Settings)
		}
	}, accounts...)
}

// scanWithOptions is scanWith with the scan's options tuned by tune (Settings starts from the defaults).
func scanWithOptions(t *testing.T, text string, tune func(*Options), accounts ...string) result {
	t.Helper()
	srv := startScenario(t, text)
	if len(accounts) == 0 {
		for _, a := range srv.Accounts() {
			accounts = append(accounts, a.AccountID)
		}
	}
	var targets []Target
	for _, id := range accounts {
		cfg := srv.SDKConfig(id, "us-east-1")
		cfg.Retryer = func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 5
				o.RateLimiter = ratelimit.None
				o.Backoff = retry.NewExponentialJitterBackoff(10 * time.Millisecond)
			})
		}
		targets = append(targets, Target{Clients: collect.NewSDKClients(cfg)})
	}
	cat, err := controls.Load()
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Settings: controls.DefaultSettings(srv.Now())}
	tune(&o)
	inv, findings := Run(t.Context(), cat, targets, o)
	return result{targets: targets, srv: srv, inv: inv, findings: findings}
}

// rescan collects the same accounts again and returns the new inventory.
func rescan(t *testing.T, r result) *model.Inventory {
	t.Helper()
	cat, _ := controls.Load()
	inv, _ := Run(context.Background(), cat, r.targets, Options{Settings: controls.DefaultSettings(r.srv.Now())})
	return inv
}

const (
	acct     = "111111111111"
	trailARN = "arn:aws:cloudtrail:us-east-1:111111111111:trail/main"
)

// pipeline is a one-account scenario with one trail "main" in us-east-1; the parts vary per case.
func pipeline(trail, groups, roles string) string {
	return fmt.Sprintf(`
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true%s}
    log_groups:
%s
    roles:
%s
`, trail, groups, roles)
}

const (
	okGroup = "      - {name: CT, region: us-east-1, retention_days: 365}"
	okRole  = "      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}"
	wired   = ", log_group: CT, role: R"
)

// TestTrailVerdicts runs the decision table of cloudtrail-cloudwatch-integration through the simulator and the real SDK.
func TestTrailVerdicts(t *testing.T) {
	tests := []struct {
		name          string
		trail, groups string
		roles         string
		status        model.Status
		codes         string
		account       model.Status
	}{
		{"healthy", wired, okGroup, okRole, model.StatusPass, "DELIVERING", model.StatusPass},
		{"no log group ARN", "", okGroup, okRole, model.StatusFail, "NOT_INTEGRATED", model.StatusFail},
		{"never delivered", wired + ", delivery: {last: never}", okGroup, okRole, model.StatusFail, "NEVER_DELIVERED", model.StatusFail},
		{"25h stale", wired + ", delivery: {last: 25h}", okGroup, okRole, model.StatusFail, "DELIVERY_STALE", model.StatusFail},
		{"exactly 24h", wired + ", delivery: {last: 24h}", okGroup, okRole, model.StatusPass, "DELIVERING", model.StatusPass},
		{"24h and a second", wired + ", delivery: {last: 24h0m1s}", okGroup, okRole, model.StatusFail, "DELIVERY_STALE", model.StatusFail},
		{"error with recent delivery", wired + ", delivery: {last: 1h, error: 'Access denied. Check the permissions for your role.'}", okGroup, okRole,
			model.StatusWarn, "DELIVERY_ERROR", model.StatusPass},
		{"error with stale delivery", wired + ", delivery: {last: 30h, error: boom}", okGroup, okRole, model.StatusFail, "DELIVERY_ERROR,DELIVERY_STALE", model.StatusFail},
		{"error and never delivered", wired + ", delivery: {last: never, error: boom}", okGroup, okRole, model.StatusFail, "DELIVERY_ERROR,NEVER_DELIVERED", model.StatusFail},
		{"log group deleted", wired, "      []", okRole, model.StatusFail, "DELIVERY_ERROR,LOG_GROUP_MISSING,NEVER_DELIVERED", model.StatusFail},
		{"role deleted", wired, okGroup, "      []", model.StatusFail, "DELIVERY_ERROR,NEVER_DELIVERED,ROLE_MISSING", model.StatusFail},
		{"role trust broken", wired, okGroup, "      - {name: R, trust: ec2.amazonaws.com, policy: cloudtrail-delivery}", model.StatusFail,
			"DELIVERY_ERROR,NEVER_DELIVERED,ROLE_NOT_TRUSTED", model.StatusFail},
		{"role lacks PutLogEvents", wired, okGroup, "      - {name: R, trust: cloudtrail, policy: create-stream-only}", model.StatusFail,
			"DELIVERY_ERROR,NEVER_DELIVERED,ROLE_CANNOT_WRITE", model.StatusFail},
		{"logging stopped", wired + ", logging: false", okGroup, okRole, model.StatusFail, "NEVER_DELIVERED,NOT_LOGGING", model.StatusFail},
		{"logging stopped an hour ago", wired + ", logging: false, delivery: {last: 1h}", okGroup, okRole, model.StatusFail, "NOT_LOGGING", model.StatusFail},
		{"data events only", wired + ", management_events: false", okGroup, okRole, model.StatusWarn, "NO_MANAGEMENT_EVENTS", model.StatusFail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scanScenario(t, pipeline(tc.trail, tc.groups, tc.roles), nil)
			f := r.get(t, controls.IntegrationID, trailARN)
			if f.Status != tc.status || codes(f) != tc.codes {
				t.Errorf("trail: %s [%s], want %s [%s]\n%+v", f.Status, codes(f), tc.status, tc.codes, f.Reasons)
			}
			if f.AccountID != acct || f.Region != "us-east-1" || f.ResourceType != model.TypeTrail || f.Severity != "Medium" {
				t.Errorf("attribution: %+v", f)
			}
			if f.Status == model.StatusFail && len(f.Commands) == 0 {
				t.Error("a FAIL without fix commands")
			}
			a := r.get(t, controls.CaptureID, acct)
			if a.Status != tc.account {
				t.Errorf("account: %s %+v, want %s", a.Status, a.Reasons, tc.account)
			}
		})
	}
}

// TestAgesAreUTC: the host's time zone must not shift ages (Prowler treats local time as UTC). The check runs in a
// child process per zone, because the time zone is fixed when a process starts.
func TestAgesAreUTC(t *testing.T) {
	if zone := os.Getenv("TRAILWATCH_TZ_CHILD"); zone != "" {
		if time.Local.String() != zone {
			t.Fatalf("child runs in %s, want %s", time.Local, zone)
		}
		r := scanScenario(t, pipeline(wired+", delivery: {last: 25h}", okGroup, okRole), nil)
		if f := r.get(t, controls.IntegrationID, trailARN); f.Status != model.StatusFail || !strings.Contains(f.Reasons[0].Message, "25h ago") {
			t.Errorf("%s: 25h stale: %s %+v", zone, f.Status, f.Reasons)
		}
		r = scanScenario(t, pipeline(wired+", delivery: {last: 23h}", okGroup, okRole), nil)
		if f := r.get(t, controls.IntegrationID, trailARN); f.Status != model.StatusPass {
			t.Errorf("%s: 23h: %s %+v", zone, f.Status, f.Reasons)
		}
		return
	}
	for _, zone := range []string{"Asia/Kolkata", "America/Los_Angeles"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAgesAreUTC$", "-test.count=1")
		cmd.Env = append(os.Environ(), "TZ="+zone, "TRAILWATCH_TZ_CHILD="+zone)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("in time zone %s: %v\n%s", zone, err, out)
		}
	}
}

func TestRetention(t *testing.T) {
	for _, tc := range []struct {
		group  string
		status model.Status
		code   string
	}{
		{"      - {name: CT, region: us-east-1, retention_days: 30}", model.StatusFail, "RETENTION_TOO_SHORT"},
		{"      - {name: CT, region: us-east-1, retention_days: 365}", model.StatusPass, "RETENTION_OK"},
		{"      - {name: CT, region: us-east-1}", model.StatusPass, "RETENTION_OK"},
	} {
		r := scanScenario(t, pipeline(wired, tc.group, okRole), nil)
		f := r.get(t, controls.RetentionID, "arn:aws:logs:us-east-1:111111111111:log-group:CT")
		if f.Status != tc.status || codes(f) != tc.code || f.ResourceType != model.TypeLogGroup {
			t.Errorf("%s: %s %s", tc.group, f.Status, codes(f))
		}
		if tc.status == model.StatusFail && !strings.Contains(strings.Join(f.Commands, " "), "--retention-in-days 365") {
			t.Errorf("fix: %v", f.Commands)
		}
	}
}

func TestMultiRegionTrailJudgedOnce(t *testing.T) {
	r := scanScenario(t, `
accounts:
  - id: "111111111111"
    trails: [{name: main, home_region: eu-west-1, multi_region: true, log_group: CT, role: R}]
    log_groups: [{name: CT, region: eu-west-1}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
`, nil)
	n := 0
	for _, f := range r.findings {
		if f.ControlID == controls.IntegrationID {
			n++
			if f.Region != "eu-west-1" || f.Status != model.StatusPass {
				t.Errorf("finding %+v", f)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d integration findings for one multi-region trail seen in 17 regions", n)
	}
	if got := len(r.inv.Accounts[0].Regions); got != 17 {
		t.Errorf("scanned %d regions, want the 17 default ones", got)
	}
	if got := len(r.inv.Accounts[0].Trails[0].SeenIn); got != 17 {
		t.Errorf("trail seen in %d regions", got)
	}
	// Status is read once, in the home region, by ARN.
	for _, c := range r.srv.Counters() {
		if c.Operation == "GetTrailStatus" && (c.Region != "eu-west-1" || c.Calls != 1) {
			t.Errorf("GetTrailStatus counters %+v", c)
		}
	}
}

func TestHomeRegionOutsideScopeAndDisabledRegion(t *testing.T) {
	r := scanScenario(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1, ap-southeast-2]
    trails: [{name: main, home_region: ap-southeast-2, multi_region: true, log_group: CT, role: R}]
    log_groups: [{name: CT, region: ap-southeast-2}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
`, []string{"eu-west-1", "me-south-1"})
	f := r.get(t, controls.IntegrationID, "arn:aws:cloudtrail:ap-southeast-2:111111111111:trail/main")
	if f.Status != model.StatusPass || f.Region != "ap-southeast-2" {
		t.Errorf("trail homed outside --regions: %s in %s %+v", f.Status, f.Region, f.Reasons)
	}
	a := r.inv.Accounts[0]
	if strings.Join(a.Regions, ",") != "eu-west-1" {
		t.Errorf("regions %v", a.Regions)
	}
	skipped := map[string]string{}
	for _, s := range a.Skipped {
		skipped[s.Region] = s.Reason
	}
	if skipped["me-south-1"] != "not enabled in this account" || skipped["us-east-1"] != "outside --regions" {
		t.Errorf("skipped %v", skipped)
	}
	if ac := r.get(t, controls.CaptureID, acct); ac.Status != model.StatusPass {
		t.Errorf("account %s %+v", ac.Status, ac.Reasons)
	}
}

const orgScenario = `
organization: {id: o-a1b2c3d4e5, management_account: "111111111111"}
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails: [{name: main, home_region: us-east-1, multi_region: true, organization: true, log_group: CT, role: R}]
    log_groups: [{name: CT, region: us-east-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
  - id: "333333333333"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: main, home_region: us-east-1, log_group: Local, role: R}
    log_groups: [{name: Local, region: us-east-1}]
    roles: [{name: R, trust: cloudtrail, policy: create-stream-only}]
%s
`

func TestOrganizationTrail(t *testing.T) {
	const localARN = "arn:aws:cloudtrail:us-east-1:333333333333:trail/main"
	t.Run("from the management account", func(t *testing.T) {
		r := scanScenario(t, fmt.Sprintf(orgScenario, ""), nil, "111111111111")
		f := r.get(t, controls.IntegrationID, trailARN)
		if f.Status != model.StatusPass || f.AccountID != acct {
			t.Errorf("org trail: %s %+v", f.Status, f.Reasons)
		}
		if r.inv.Accounts[0].OrgID != "o-a1b2c3d4e5" {
			t.Errorf("org id %q", r.inv.Accounts[0].OrgID)
		}
	})
	t.Run("from a member that can read its status", func(t *testing.T) {
		r := scanScenario(t, fmt.Sprintf(orgScenario, ""), nil, "333333333333")
		f := r.get(t, controls.IntegrationID, trailARN)
		if f.Status != model.StatusPass || f.AccountID != acct || f.Region != "us-east-1" || !strings.Contains(strings.Join(f.Notes, " "), "owned by account 111111111111") {
			t.Errorf("org trail from member: %+v", f)
		}
		// A trail name shared by the organization trail and a local trail: two findings, told apart by ARN.
		if l := r.get(t, controls.IntegrationID, localARN); l.Status != model.StatusFail || codes(l) != "DELIVERY_ERROR,NEVER_DELIVERED,ROLE_CANNOT_WRITE" {
			t.Errorf("local trail: %s %s", l.Status, codes(l))
		}
		// The member's own broken trail fails, but the account is covered by the organization trail.
		if a := r.get(t, controls.CaptureID, "333333333333"); a.Status != model.StatusPass {
			t.Errorf("member account %s %+v", a.Status, a.Reasons)
		}
	})
	t.Run("from a member that cannot read it", func(t *testing.T) {
		fault := `faults: [{operation: cloudtrail:GetTrailStatus, account: "333333333333", resource: "` + trailARN + `", error: AccessDeniedException}]`
		r := scanScenario(t, fmt.Sprintf(orgScenario, fault), nil, "333333333333")
		f := r.get(t, controls.IntegrationID, trailARN)
		if f.Status != model.StatusSkipped || codes(f) != "OWNED_ELSEWHERE" || !strings.Contains(f.Reasons[0].Message, "judge it in the management account") {
			t.Errorf("org trail: %s %+v", f.Status, f.Reasons)
		}
		if a := r.get(t, controls.CaptureID, "333333333333"); a.Status != model.StatusSkipped {
			t.Errorf("member account %s %+v", a.Status, a.Reasons)
		}
	})
	t.Run("management and member together: judged once", func(t *testing.T) {
		r := scanScenario(t, fmt.Sprintf(orgScenario, ""), nil)
		n := 0
		for _, f := range r.findings {
			if f.ResourceID == trailARN {
				n++
			}
		}
		if n != 1 {
			t.Errorf("org trail has %d findings", n)
		}
	})
}

func TestNoTrails(t *testing.T) {
	r := scanScenario(t, "accounts:\n  - {id: \"111111111111\", regions: [us-east-1]}\n", nil)
	if len(r.findings) != 1 {
		t.Fatalf("findings: %+v", r.findings)
	}
	if f := r.findings[0]; f.ControlID != controls.CaptureID || f.Status != model.StatusFail || codes(f) != "NO_TRAIL" || len(f.Commands) == 0 {
		t.Errorf("%+v", f)
	}
}

func TestAccessDeniedOnDescribeTrailsInOneRegion(t *testing.T) {
	r := scanScenario(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1, us-west-2]
    trails: [{name: main, home_region: us-east-1, log_group: CT, role: R}]
    log_groups: [{name: CT, region: us-east-1}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
    faults: [{operation: cloudtrail:DescribeTrails, region: eu-west-1, error: AccessDeniedException}]
`, nil)
	if f := r.get(t, controls.IntegrationID, trailARN); f.Status != model.StatusPass {
		t.Errorf("trail in another region: %s", f.Status)
	}
	a := r.get(t, controls.CaptureID, acct)
	// us-west-2 is known to be uncovered: FAIL; eu-west-1 is unknown: an ACCESS_DENIED reason, not silence.
	if a.Status != model.StatusFail || codes(a) != "ACCESS_DENIED,REGIONS_UNCOVERED" || !strings.Contains(a.Reasons[0].Message+a.Reasons[1].Message, "cloudtrail:DescribeTrails") {
		t.Errorf("account %s %+v", a.Status, a.Reasons)
	}
	e := r.get(t, controls.IntegrationID, "arn:aws:cloudtrail:eu-west-1:111111111111:trail/*")
	if e.Status != model.StatusError || codes(e) != "ACCESS_DENIED" {
		t.Errorf("region error finding %s %+v", e.Status, e.Reasons)
	}
}

func TestAccessDeniedOnOneTrailStatus(t *testing.T) {
	r := scanScenario(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: aaa, home_region: us-east-1, log_group: CT, role: R}
      - {name: bbb, home_region: us-east-1, log_group: CT, role: R}
      - {name: ccc, home_region: us-east-1}
    log_groups: [{name: CT, region: us-east-1}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
    faults: [{operation: cloudtrail:GetTrailStatus, resource: bbb, error: AccessDeniedException}]
`, nil)
	want := map[string]string{"aaa": "PASS DELIVERING", "bbb": "ERROR ACCESS_DENIED", "ccc": "FAIL NOT_INTEGRATED"}
	for name, w := range want {
		f := r.get(t, controls.IntegrationID, "arn:aws:cloudtrail:us-east-1:111111111111:trail/"+name)
		if got := string(f.Status) + " " + codes(f); got != w {
			t.Errorf("%s: %s, want %s", name, got, w)
		}
	}
}

func TestThrottlingClearsAfterRetries(t *testing.T) {
	r := scanScenario(t, pipeline(wired, okGroup, okRole)+`
faults:
  - {operation: cloudtrail:GetTrailStatus, error: ThrottlingException, count: 2}
  - {operation: cloudtrail:DescribeTrails, error: ThrottlingException, count: 1}
`, nil)
	if f := r.get(t, controls.IntegrationID, trailARN); f.Status != model.StatusPass {
		t.Errorf("trail after throttling: %s %+v", f.Status, f.Reasons)
	}
	if n := r.srv.CallsTo("cloudtrail:GetTrailStatus"); n != 3 {
		t.Errorf("GetTrailStatus called %d times, want 3 (2 throttled + 1)", n)
	}
}

func TestCallBudget(t *testing.T) {
	// One account, 2 regions, one healthy multi-region trail with an inline delivery policy: the collection needs
	// exactly these calls.
	r := scanScenario(t, pipeline(wired, okGroup, okRole), nil)
	want := map[string]int{
		"sts:GetCallerIdentity": 1, "ec2:DescribeRegions": 1, "cloudtrail:DescribeTrails": 2, "cloudtrail:GetTrailStatus": 1,
		"cloudtrail:GetEventSelectors": 0, "logs:DescribeLogGroups": 1, "iam:GetRole": 1, "iam:ListRolePolicies": 1,
		"iam:GetRolePolicy": 1, "iam:ListAttachedRolePolicies": 1,
		// Capture without a trail: one status call; evaluation not running, no rule is listed.
		"observabilityadmin:GetTelemetryEvaluationStatus": 1, "observabilityadmin:ListTelemetryRules": 0,
	}
	total := 0
	for op, n := range want {
		if got := r.srv.CallsTo(op); got != n {
			t.Errorf("%s: %d calls, want %d", op, got, n)
		}
		total += n
	}
	if got := r.srv.CallsTo("*"); got != total {
		t.Errorf("%d calls in all, want %d", got, total)
	}
}

// startScenario serves the scenario text, its clock at simNow, until the test ends.
func startScenario(t *testing.T, text string) *awssim.Server {
	t.Helper()
	return simtest.Serve(t, text, awssim.Options{Now: func() time.Time { return simNow }})
}
