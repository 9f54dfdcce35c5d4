package prove

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/scan"
)

// The oracle of these tests is the simulator's delivery (internal/awssim: a call's CloudTrail record reaches the log
// group of each trail whose delivery works, log_delivery_delay later, unless the trail loses events), reached through
// the real SDK; prove only calls and searches.

var simNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// simClients reach each account of the simulator with its own credentials, counting the calls; outside lists
// accounts the run may not reach.
type simClients struct {
	srv     *awssim.Server
	outside map[string]bool
}

func (c *simClients) EC2(acct, region string) (EC2API, bool) {
	if c.outside[acct] {
		return nil, false
	}
	return ec2.NewFromConfig(c.srv.SDKConfig(acct, region)), true
}

func (c *simClients) Logs(acct, region string) (LogsAPI, bool) {
	if c.outside[acct] {
		return nil, false
	}
	return cloudwatchlogs.NewFromConfig(c.srv.SDKConfig(acct, region)), true
}

type world struct {
	srv      *awssim.Server
	inv      *model.Inventory
	findings []model.Finding
}

// startWorld serves a scenario on a clock that only moves when the proof sleeps, and scans it as trailwatch scan does.
func startWorld(t *testing.T, sc *awssim.Scenario, org bool, caller string) *world {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var mu sync.Mutex
	now := simNow
	srv, err := awssim.Start(ctx, sc, awssim.Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := controls.Load()
	w := &world{srv: srv}
	settings := controls.DefaultSettings(simNow)
	if org {
		w.inv, w.findings, err = scan.Org(ctx, cat, srv.SDKConfig(caller, "us-east-1"), scan.OrgOptions{Options: scan.Options{Settings: settings}})
		if err != nil {
			t.Fatal(err)
		}
	} else {
		w.inv, w.findings = scan.Run(ctx, cat, []scan.Target{{Clients: collect.NewSDKClients(srv.SDKConfig(caller, "us-east-1"))}}, scan.Options{Settings: settings})
	}
	return w
}

// prove runs a proof whose sleeps move the simulator's clock.
func (w *world) prove(ctx context.Context, t *testing.T, c Clients, o Options) *Result {
	t.Helper()
	cat, _ := controls.Load()
	o.Now = w.srv.Now
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			w.srv.Advance(d)
			return nil
		}
	}
	return Run(ctx, cat, w.inv, w.findings, c, o)
}

func verdicts(fs []model.Finding) map[string]string {
	out := map[string]string{}
	for _, f := range fs {
		out[f.AccountID+" "+f.Region] = string(f.Status) + " " + f.Reasons[0].Code
	}
	return out
}

func loadOrg(t *testing.T, delay time.Duration) *awssim.Scenario {
	t.Helper()
	sc, err := awssim.LoadScenario("../../examples/organization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := awssim.Duration(delay)
	sc.LogDeliveryDelay = &d
	return sc
}

// TestProveOrganization: every account and region of the example organization is captured by its organization
// trail; each is PROVEN, with the simulator's 5-minute delivery delay reported as the delay.
func TestProveOrganization(t *testing.T) {
	w := startWorld(t, loadOrg(t, 5*time.Minute), true, "111111111111")
	res := w.prove(context.Background(), t, &simClients{srv: w.srv}, Options{Poll: time.Minute, Timeout: 20 * time.Minute, RunID: "t1"})
	want := 0
	for _, a := range w.inv.Accounts {
		want += len(a.Regions)
	}
	if len(res.Findings) != want || want < 15 {
		t.Fatalf("%d findings, want one per account and region (%d)", len(res.Findings), want)
	}
	for _, f := range res.Findings {
		if f.Status != model.StatusPass || f.Reasons[0].Code != Proven {
			t.Errorf("%s %s: %s %s", f.AccountID, f.Region, f.Status, f.Reasons[0].Message)
			continue
		}
		if !strings.Contains(f.Reasons[0].Message, "after 5m0s") {
			t.Errorf("%s %s: the delay is not the simulator's 5 minutes: %s", f.AccountID, f.Region, f.Reasons[0].Message)
		}
	}
	if res.MarkerCalls != 2*want {
		t.Errorf("%d marker calls, want 2 per account and region", res.MarkerCalls)
	}
}

const silentLoss = `
now: 2026-11-22T12:00:00Z
log_delivery_delay: 1m
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - name: main
        home_region: us-east-1
        multi_region: true
        log_group: ct
        role: CT
        lose_events: %s
    log_groups:
      - {name: ct, region: us-east-1, retention_days: 365}
    roles:
      - {name: CT, trust: cloudtrail, policy: cloudtrail-delivery}
  - id: "222222222222"
    regions: [us-east-1]
`

func scenario(t *testing.T, text string) *awssim.Scenario {
	t.Helper()
	sc, err := awssim.ParseScenario("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestProveSilentLoss: a trail whose configuration and status look right but whose records never reach the group
// (the simulator's lose_events fault) passes the configuration and is NOT_SEEN by the proof, in every region.
func TestProveSilentLoss(t *testing.T) {
	for _, lose := range []string{"false", "true"} {
		w := startWorld(t, scenario(t, strings.Replace(silentLoss, "%s", lose, 1)), false, "111111111111")
		for _, f := range w.findings {
			if f.ControlID == controls.CaptureID && f.Status != model.StatusPass {
				t.Fatalf("lose_events %s: the configuration should pass: %s %+v", lose, f.Status, f.Reasons)
			}
		}
		res := w.prove(context.Background(), t, &simClients{srv: w.srv}, Options{Poll: time.Minute, Timeout: 20 * time.Minute, RunID: "t2"})
		want := map[string]string{"111111111111 us-east-1": "PASS PROVEN", "111111111111 eu-west-1": "PASS PROVEN"}
		if lose == "true" {
			want = map[string]string{"111111111111 us-east-1": "FAIL NOT_SEEN", "111111111111 eu-west-1": "FAIL NOT_SEEN"}
		}
		got := verdicts(res.Findings)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("lose_events %s: %s is %q, want %q", lose, k, got[k], v)
			}
		}
	}
}

// TestProveWhatCannotBeTested: a refused marker is UNKNOWN MARKER_REFUSED, a group that cannot be searched UNKNOWN
// GROUP_UNREADABLE, a group in an account outside the run UNKNOWN GROUP_OUT_OF_SCOPE: never NOT_SEEN. An account no
// trail sends to CloudWatch Logs is NO_LOG_GROUP, with no marker made there.
func TestProveWhatCannotBeTested(t *testing.T) {
	for _, c := range []struct {
		name, fault string
		outside     string
		want        string
	}{
		{"marker refused", "{operation: 'ec2:CreatePlacementGroup', error: UnauthorizedOperation, message: 'You are not authorized to perform this operation.'}", "", "UNKNOWN MARKER_REFUSED"},
		{"read marker refused", "{operation: 'ec2:DescribeSecurityGroups', error: UnauthorizedOperation}", "", "UNKNOWN MARKER_REFUSED"},
		{"group unreadable", "{operation: 'logs:FilterLogEvents', error: AccessDeniedException}", "", "UNKNOWN GROUP_UNREADABLE"},
		{"account outside the run", "", "111111111111", "UNKNOWN MARKER_REFUSED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := strings.Replace(silentLoss, "%s", "false", 1)
			if c.fault != "" {
				text += "faults:\n  - " + c.fault + "\n"
			}
			w := startWorld(t, scenario(t, text), false, "111111111111")
			outside := map[string]bool{}
			if c.outside != "" {
				outside[c.outside] = true
			}
			res := w.prove(context.Background(), t, &simClients{srv: w.srv, outside: outside}, Options{Poll: time.Minute, Timeout: 5 * time.Minute, RunID: "t3"})
			got := verdicts(res.Findings)
			if got["111111111111 us-east-1"] != c.want || got["111111111111 eu-west-1"] != c.want {
				t.Errorf("%v, want %s", got, c.want)
			}
		})
	}
	// An organization trail's group in the management account, which this run may not reach: the members' regions
	// it alone captures are GROUP_OUT_OF_SCOPE.
	w := startWorld(t, loadOrg(t, 0), true, "111111111111")
	res := w.prove(context.Background(), t, &simClients{srv: w.srv, outside: map[string]bool{"111111111111": true}}, Options{Poll: time.Minute, Timeout: 5 * time.Minute, RunID: "t3"})
	outOfScope := 0
	for k, v := range verdicts(res.Findings) {
		switch {
		case strings.HasPrefix(k, "111111111111"):
		case v == "UNKNOWN GROUP_OUT_OF_SCOPE":
			outOfScope++
		case v != "PASS PROVEN": // a member's own healthy trail proves it
			t.Errorf("%s: %s", k, v)
		}
	}
	if outOfScope == 0 {
		t.Errorf("no member region relies on the management account's group: %v", verdicts(res.Findings))
	}
}

// TestProveNotYetSeen: a search shorter than MinWait that does not find a marker proves nothing: NOT_YET_SEEN
// (UNKNOWN), never NOT_SEEN (field trial: --timeout 20s on a 5-minute delivery said "not captured"). A refused write
// marker does not hide the read marker's NOT_SEEN, nor its proof.
func TestProveNotYetSeen(t *testing.T) {
	w := startWorld(t, scenario(t, strings.Replace(silentLoss, "%s", "true", 1)), false, "111111111111")
	res := w.prove(context.Background(), t, &simClients{srv: w.srv}, Options{Poll: time.Minute, Timeout: 5 * time.Minute, RunID: "t6"})
	if got := verdicts(res.Findings); got["111111111111 us-east-1"] != "UNKNOWN NOT_YET_SEEN" {
		t.Errorf("a 5-minute search: %v", got)
	}
	for _, lose := range []string{"true", "false"} {
		text := strings.Replace(silentLoss, "%s", lose, 1) + "faults:\n  - {operation: 'ec2:CreatePlacementGroup', error: UnauthorizedOperation}\n"
		w := startWorld(t, scenario(t, text), false, "111111111111")
		res := w.prove(context.Background(), t, &simClients{srv: w.srv}, Options{Poll: time.Minute, Timeout: 20 * time.Minute, RunID: "t7"})
		f := res.Findings[0]
		var codes []string
		for _, r := range f.Reasons {
			codes = append(codes, r.Code)
		}
		want := "UNKNOWN MARKER_REFUSED"
		if lose == "true" {
			want = "FAIL MARKER_REFUSED,NOT_SEEN"
		}
		if got := string(f.Status) + " " + strings.Join(codes, ","); got != want {
			t.Errorf("write marker refused, lose_events %s: %s, want %s (%+v)", lose, got, want, f.Reasons)
		}
		if lose == "false" && (len(f.Notes) == 0 || !strings.Contains(strings.ToLower(strings.Join(f.Notes, " ")), "the read marker")) {
			t.Errorf("the read marker's proof is not said: %v", f.Notes)
		}
	}
}

// TestProveNoLogGroup: an account with no integrated trail has nothing to look in: NO_LOG_GROUP, and no marker is
// made there.
func TestProveNoLogGroup(t *testing.T) {
	text := strings.Replace(silentLoss, "%s", "false", 1)
	w := startWorld(t, scenario(t, text), false, "222222222222")
	res := w.prove(context.Background(), t, &simClients{srv: w.srv}, Options{Poll: time.Minute, Timeout: 5 * time.Minute, RunID: "t4"})
	if got := verdicts(res.Findings); got["222222222222 us-east-1"] != "FAIL NO_LOG_GROUP" || len(got) != 1 {
		t.Errorf("%v", got)
	}
	if res.MarkerCalls != 0 || res.SearchCalls != 0 {
		t.Errorf("%d marker calls and %d searches where there is nothing to look in", res.MarkerCalls, res.SearchCalls)
	}
}

// TestProveInterrupted: Ctrl-C while the markers are awaited ends the run at once; what was found by then stays
// PROVEN, the rest is UNKNOWN INTERRUPTED (never NOT_SEEN), and the run says it was interrupted. The markers were
// dry runs and lists: nothing was created to clean up.
func TestProveInterrupted(t *testing.T) {
	w := startWorld(t, loadOrg(t, 5*time.Minute), true, "111111111111")
	ctx, cancel := context.WithCancel(context.Background())
	sleeps := 0
	res := w.prove(ctx, t, &simClients{srv: w.srv}, Options{Poll: time.Minute, Timeout: 20 * time.Minute, RunID: "t5",
		Sleep: func(ctx context.Context, d time.Duration) error {
			sleeps++
			cancel()
			return ctx.Err()
		}})
	if !res.Interrupted || sleeps != 1 {
		t.Fatalf("interrupted %v after %d sleeps", res.Interrupted, sleeps)
	}
	for _, f := range res.Findings {
		if f.Status != model.StatusUnknown || f.Reasons[0].Code != Interrupted {
			t.Errorf("%s %s: %s %s", f.AccountID, f.Region, f.Status, f.Reasons[0].Code)
		}
	}
}

const alarmWorld = `
now: 2026-11-22T12:00:00Z
log_delivery_delay: 0s
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: ct, role: CT}
    log_groups:
      - name: ct
        region: us-east-1
        retention_days: 365
        cis_monitoring: {topic: cis-alarms, skip: ["4.5"]}
        metric_filters:
          # 4.5 narrowed: calls by IAM users are left out, which the published pattern counts.
          - name: trail-changes
            metric: CISBenchmark/TrailChanges
            pattern: '{ (($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging)) && ($.userIdentity.type != "IAMUser") }'
    alarms:
      - {name: trail-changes, region: us-east-1, metric: CISBenchmark/TrailChanges, actions: [cis-alarms]}
    roles:
      - {name: CT, trust: cloudtrail, policy: cloudtrail-delivery}
`

// TestProveAlarms: a CreateTrail by an IAM user reaches the log group; the narrowed 4.5 filter, which the
// configuration calls FILTER_NARROWED, is caught missing it by AWS's own matcher (TestMetricFilter, the simulator's):
// FILTER_MISS_PROVEN naming the event, its time and principal. An item whose published pattern matches no recent
// event has nothing to prove with (never PASS); a whole filter with matching events is FILTER_PROVEN.
func TestProveAlarms(t *testing.T) {
	sc := scenario(t, alarmWorld)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := awssim.Start(ctx, sc, awssim.Options{Now: func() time.Time { return simNow }})
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.SDKConfig("111111111111", "us-east-1")
	// Real events: a trail created (4.5) and a security group rule change attempt (4.10), both by the IAM user.
	ct := cloudtrail.NewFromConfig(cfg)
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("second"), S3BucketName: aws.String("b")}); err != nil {
		t.Fatal(err)
	}
	// A marker of an earlier proof that a CIS pattern matches (4.10 counts CreateSecurityGroup, dry run or not): no
	// evidence about the account's activity, so 4.10 has nothing to prove with.
	_, _ = ec2.NewFromConfig(cfg).CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{DryRun: aws.Bool(true), GroupName: aws.String("trailwatch-proof-old-111111111111-us-east-1-w"), Description: aws.String("d")})
	// 4.4, whose filter the CIS chain holds whole: an inline policy put on a role.
	if _, err := iam.NewFromConfig(cfg).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("CT"), PolicyName: aws.String("extra"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:DescribeLogGroups","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	items, _ := alarms.ForVersion(alarms.DefaultVersion)
	cat, _ := controls.Load()
	settings := controls.DefaultSettings(simNow)
	settings.Alarms = items
	inv, findings := scan.Run(ctx, cat, []scan.Target{{Clients: collect.NewSDKClients(cfg)}}, scan.Options{Collect: collect.Options{Monitoring: true}, Settings: settings})
	config := map[string]string{}
	for _, f := range findings {
		config[f.ControlID] = string(f.Status) + " " + f.Reasons[0].Code
	}
	if config["alarm-cloudtrail-configuration-changes"] != "WARN FILTER_NARROWED" {
		t.Fatalf("the configuration's 4.5: %s", config["alarm-cloudtrail-configuration-changes"])
	}
	logs := func(acct, region string) (AlarmLogsAPI, bool) {
		return cloudwatchlogs.NewFromConfig(srv.SDKConfig(acct, region)), true
	}
	got := map[string]model.Finding{}
	for _, f := range Alarms(ctx, cat, inv, findings, items, logs, 24*time.Hour, simNow) {
		if f.ResourceID != "arn:aws:logs:us-east-1:111111111111:log-group:ct" {
			t.Errorf("resource %s, want the log group's ARN", f.ResourceID)
		}
		got[strings.Fields(f.Title)[1]] = f
	}
	f := got["4.5"]
	if f.Status != model.StatusFail || f.Reasons[0].Code != FilterMissProven || !strings.Contains(f.Reasons[0].Message, "CreateTrail at 2026-11-22T12:00:00Z by arn:aws:iam::111111111111:") {
		t.Errorf("4.5: %s %+v", f.Status, f.Reasons)
	}
	if f := got["4.10"]; f.Status != model.StatusUnknown || f.Reasons[0].Code != NothingToProve {
		t.Errorf("4.10 with only a proof marker: %s %+v", f.Status, f.Reasons)
	}
	if f := got["4.14"]; f.Status != model.StatusUnknown || f.Reasons[0].Code != NothingToProve {
		t.Errorf("4.14 with no event: %s %+v", f.Status, f.Reasons)
	}
	if len(got) != len(items) {
		t.Errorf("%d items proven, want %d", len(got), len(items))
	}
	if f := got["4.4"]; f.Status != model.StatusPass || f.Reasons[0].Code != FilterProven {
		t.Errorf("4.4, whole, with a PutRolePolicy in the group: %s %+v", f.Status, f.Reasons)
	}
}

// TestProveTelemetryRule: an account captured by a CloudWatch telemetry rule and no trail is proven in the rule's
// group (aws/cloudtrail/managementevents of each region), where the simulator delivers its records.
func TestProveTelemetryRule(t *testing.T) {
	w := startWorld(t, scenario(t, `
now: 2026-11-22T12:00:00Z
log_delivery_delay: 2m
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    telemetry_rules: [{name: r, all_regions: true}]
`), false, "111111111111")
	res := w.prove(context.Background(), t, &simClients{srv: w.srv}, Options{Poll: time.Minute, Timeout: 20 * time.Minute, RunID: "t8"})
	got := verdicts(res.Findings)
	for _, r := range []string{"us-east-1", "eu-west-1"} {
		if got["111111111111 "+r] != "PASS PROVEN" {
			t.Errorf("%s: %s", r, got["111111111111 "+r])
		}
	}
	for _, f := range res.Findings {
		if !strings.Contains(f.Reasons[0].Message, "log-group:aws/cloudtrail/managementevents") {
			t.Errorf("not proven in the rule's group: %s", f.Reasons[0].Message)
		}
	}
}

// TestProveDestinationUnknown: an account with no trail whose telemetry status cannot be read may be captured by a
// rule: the proof does not know where to look (UNKNOWN DESTINATION_UNKNOWN), never NO_LOG_GROUP (field trial).
func TestProveDestinationUnknown(t *testing.T) {
	w := startWorld(t, scenario(t, `
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    telemetry_rules: [{name: r, all_regions: true}]
faults: [{operation: 'observabilityadmin:GetTelemetryEvaluationStatus', error: AccessDeniedException}]
`), false, "111111111111")
	res := w.prove(context.Background(), t, &simClients{srv: w.srv}, Options{Poll: time.Minute, Timeout: 20 * time.Minute, RunID: "t9"})
	if got := verdicts(res.Findings)["111111111111 us-east-1"]; got != "UNKNOWN DESTINATION_UNKNOWN" {
		t.Errorf("%s", got)
	}
	if res.MarkerCalls != 0 {
		t.Errorf("%d marker calls with nowhere to look", res.MarkerCalls)
	}
}
