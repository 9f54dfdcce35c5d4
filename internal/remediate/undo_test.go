package remediate_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/remediate"
	"github.com/trailwatch/trailwatch/internal/scan"
)

func noSleep(context.Context, time.Duration) error { return nil }

// trailSettings reads a trail's log group and role ARNs from the simulator (the oracle: what AWS holds now).
func (e *env) trailSettings(name string) (string, string) {
	out, err := cloudtrail.NewFromConfig(e.srv.SDKConfig(acct, "us-east-1")).GetTrail(context.Background(), &cloudtrail.GetTrailInput{Name: aws.String(name)})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.Trail.CloudWatchLogsLogGroupArn), aws.ToString(out.Trail.CloudWatchLogsRoleArn)
}

// TestUndoRevertsUpdateTrail: StartLogging fails after UpdateTrail succeeded: the undo points the trail back at what
// it had (nothing), and deletes the log group and role it created (issue 11).
func TestUndoRevertsUpdateTrail(t *testing.T) {
	e := newEnv(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: stopped, home_region: us-east-1, logging: false}
faults:
  - {operation: cloudtrail:StartLogging, error: AccessDeniedException}
`)
	inv, fs := e.scan(acct, nil)
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now()})
	j := remediate.NewJournal(nil, "tester", nil)
	res := remediate.Apply(context.Background(), remediate.NewSDKWriter(e.srv.SDKConfig(acct, "us-east-1")), p.Steps, j, remediate.ApplyOptions{Sleep: noSleep})
	if len(res) != 1 || !strings.Contains(res[0].Error, "StartLogging") {
		t.Fatalf("results %+v", res)
	}
	if g, r := e.trailSettings("stopped"); g != "" || r != "" {
		t.Errorf("the trail still points at log group %q and role %q after the undo", g, r)
	}
	if _, err := iam.NewFromConfig(e.srv.SDKConfig(acct, "us-east-1")).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("CloudTrailCloudWatchLogs-stopped")}); err == nil {
		t.Error("the created role is still there")
	}
	out, _ := cloudwatchlogs.NewFromConfig(e.srv.SDKConfig(acct, "us-east-1")).DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{})
	if len(out.LogGroups) != 0 {
		t.Errorf("log groups left: %d", len(out.LogGroups))
	}
	if got := strings.Join(res[0].Undone, ","); got != "UpdateTrail,PutRolePolicy,CreateRole,CreateLogGroup" {
		t.Errorf("undone %s", got)
	}
}

// TestUndoRestoresTrust: the fix changes a pre-existing role's trust policy, then UpdateTrail fails: the role gets its
// previous trust policy back (issue 11).
func TestUndoRestoresTrust(t *testing.T) {
	e := newEnv(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: untrusted, home_region: us-east-1, log_group: G, role: Untrusted}
    log_groups: [{name: G, region: us-east-1, retention_days: 365}]
    roles: [{name: Untrusted, trust: logs.amazonaws.com, policy: create-stream-only}]
faults:
  - {operation: cloudtrail:UpdateTrail, error: AccessDeniedException}
`)
	c := iam.NewFromConfig(e.srv.SDKConfig(acct, "us-east-1"))
	before, err := c.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("Untrusted")})
	if err != nil {
		t.Fatal(err)
	}
	inv, fs := e.scan(acct, nil)
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now()})
	// The trail already points at G and Untrusted, so the plan changes the role and its policy but not the trail;
	// make it call UpdateTrail anyway by pointing it at the same ARNs, as a fix that moves a trail would.
	steps := append([]remediate.Step(nil), p.Steps...)
	steps = append(steps, remediate.Step{AccountID: acct, Region: "us-east-1", ResourceID: p.Steps[0].ResourceID, Action: remediate.UpdateTrail,
		Params: remediate.UpdateTrailInput{Name: p.Steps[0].ResourceID, CloudWatchLogsLogGroupArn: "arn:aws:logs:us-east-1:111111111111:log-group:G:*", CloudWatchLogsRoleArn: "arn:aws:iam::111111111111:role/Untrusted"}})
	res := remediate.Apply(context.Background(), remediate.NewSDKWriter(e.srv.SDKConfig(acct, "us-east-1")), steps, remediate.NewJournal(nil, "t", nil), remediate.ApplyOptions{Sleep: noSleep})
	if len(res) != 1 || res[0].Error == "" {
		t.Fatalf("results %+v", res)
	}
	after, err := c.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("Untrusted")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(after.Role.AssumeRolePolicyDocument) != aws.ToString(before.Role.AssumeRolePolicyDocument) {
		t.Errorf("trust policy not restored:\nbefore %s\nafter  %s", aws.ToString(before.Role.AssumeRolePolicyDocument), aws.ToString(after.Role.AssumeRolePolicyDocument))
	}
	pols, _ := c.ListRolePolicies(context.Background(), &iam.ListRolePoliciesInput{RoleName: aws.String("Untrusted")})
	for _, n := range pols.PolicyNames {
		if strings.HasPrefix(n, remediate.PolicyName) {
			t.Errorf("the new inline policy %s is still on the role", n)
		}
	}
}

// cancelling is a Writer that cancels the run (as Ctrl-C does) just before the given action.
type cancelling struct {
	inner  remediate.Writer
	before string
	cancel context.CancelFunc
}

func (c cancelling) Do(ctx context.Context, region string, p remediate.Params) error {
	if p.Action() == c.before {
		c.cancel()
	}
	return c.inner.Do(ctx, region, p)
}

// TestInterruptedApplyUndoes: Ctrl-C during apply still undoes what this run changed for the trail in progress (on a
// fresh context), journals the interruption and starts no further trail (issue 10 §2).
func TestInterruptedApplyUndoes(t *testing.T) {
	e := newEnv(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: first, home_region: us-east-1, logging: false}
      - {name: second, home_region: us-east-1}
`)
	inv, fs := e.scan(acct, nil)
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j := remediate.NewJournal(nil, "tester", nil)
	w := cancelling{inner: remediate.NewSDKWriter(e.srv.SDKConfig(acct, "us-east-1")), before: remediate.StartLogging, cancel: cancel}
	res := remediate.Apply(ctx, w, p.Steps, j, remediate.ApplyOptions{Sleep: noSleep})
	if len(res) != 2 || !strings.Contains(res[0].Error, "interrupted") || res[1].Error != "not started: interrupted" {
		t.Fatalf("results %+v", res)
	}
	if g, _ := e.trailSettings("first"); g != "" {
		t.Errorf("the interrupted trail still points at %s", g)
	}
	if g, _ := e.trailSettings("second"); g != "" {
		t.Errorf("a trail was started after the interruption: %s", g)
	}
	interrupted, undone := false, 0
	for _, en := range j.Entries() {
		interrupted = interrupted || en.Result == "interrupted"
		if en.Result == "undone" {
			undone++
		}
	}
	if !interrupted || undone != 4 {
		t.Errorf("journal: interrupted %v, %d undone entries, want 4", interrupted, undone)
	}
}

// TestJournalRecordsRetries: throttled calls are retried by Apply itself, so every attempt is journaled, with the
// identity that made it (issue 11).
func TestJournalRecordsRetries(t *testing.T) {
	e := newEnv(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: bare, home_region: us-east-1}
faults:
  - {operation: logs:CreateLogGroup, error: ThrottlingException, count: 2}
`)
	inv, fs := e.scan(acct, nil)
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now()})
	j := remediate.NewJournal(nil, "caller", nil)
	who := "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"
	res := remediate.Apply(context.Background(), remediate.NewSDKWriter(e.srv.SDKConfig(acct, "us-east-1")), p.Steps, j, remediate.ApplyOptions{Sleep: noSleep, Who: who})
	if res[0].Error != "" {
		t.Fatalf("%+v", res)
	}
	var attempts []string
	for _, en := range j.Entries() {
		if en.Who != who {
			t.Errorf("entry by %q, want %q", en.Who, who)
		}
		if en.Action == remediate.CreateLogGroup {
			attempts = append(attempts, en.Result)
		}
	}
	if strings.Join(attempts, ",") != "error,error,ok" {
		t.Errorf("CreateLogGroup attempts journaled: %v", attempts)
	}
	if n := e.srv.CallsTo("logs:CreateLogGroup"); n != 3 {
		t.Errorf("%d CreateLogGroup calls reached the simulator, the journal shows %d", n, len(attempts))
	}
}

// TestUndoAlarmFix: an alarm chain whose PutMetricAlarm fails is undone (its new filter deleted), an existing
// alarm whose actions were enabled is disabled again, and the other chains stay fixed.
func TestUndoAlarmFix(t *testing.T) {
	e := newEnv(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
    log_groups:
      - name: CT
        region: us-east-1
        retention_days: 365
        cis_monitoring: {topic: ops, skip: ["4.14", "4.11"]}
        metric_filters:
          - {name: nacl, metric: Mine/NACL, pattern: '{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }'}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
    alarms:
      - {name: nacl-alarm, region: us-east-1, metric: Mine/NACL, actions_enabled: false, actions: [ops]}
faults:
  - {operation: cloudwatch:PutMetricAlarm, resource: alarm-vpc-changes, error: LimitExceeded}
`)
	s := controls.DefaultSettings(e.srv.Now())
	s.Alarms, _ = alarms.ForVersion("")
	inv, fs := scan.Run(context.Background(), e.cat, []scan.Target{{Clients: collect.NewSDKClients(e.srv.SDKConfig(acct, "us-east-1"))}},
		scan.Options{Settings: s, Collect: collect.Options{Monitoring: true}})
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now(), Alarms: s.Alarms})
	var actions []string
	for _, st := range p.Steps {
		actions = append(actions, st.Action)
	}
	// 4.14 (no filter): filter and alarm on the account's topic ops (it has a confirmed subscriber: reused, not a new
	// topic); 4.11: the user's alarm gets its actions enabled.
	if got := strings.Join(actions, ","); got != "EnableAlarmActions,PutMetricFilter,PutMetricAlarm" && got != "PutMetricFilter,PutMetricAlarm,EnableAlarmActions" {
		t.Fatalf("plan: %s", got)
	}
	cfg := e.srv.SDKConfig(acct, "us-east-1")
	res := remediate.Apply(context.Background(), remediate.NewSDKWriter(cfg), p.Steps, remediate.NewJournal(nil, "tester", nil), remediate.ApplyOptions{Sleep: noSleep})
	var failed, fixed int
	for _, r := range res {
		if r.Error != "" {
			failed++
			if !strings.Contains(r.ResourceID, "alarm-vpc-changes") || !strings.Contains(strings.Join(r.Undone, ","), "PutMetricFilter") {
				t.Errorf("failed result %+v", r)
			}
		} else {
			fixed++
		}
	}
	if failed != 1 || fixed != 1 {
		t.Fatalf("results %+v", res)
	}
	mf, _ := cloudwatchlogs.NewFromConfig(cfg).DescribeMetricFilters(context.Background(), &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String("CT"), FilterNamePrefix: aws.String("alarm-vpc-changes")})
	if len(mf.MetricFilters) != 0 {
		t.Error("the failed chain's new filter is still there after the undo")
	}
	al, _ := cloudwatch.NewFromConfig(cfg).DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"nacl-alarm"}})
	if len(al.MetricAlarms) != 1 || !aws.ToBool(al.MetricAlarms[0].ActionsEnabled) {
		t.Fatalf("the fix did not enable the alarm's actions: %+v", al.MetricAlarms)
	}
	// Undo of the fixed chain: run its undo calls, as fix undo would, newest first.
	w := remediate.NewSDKWriter(cfg)
	for i := len(p.Steps) - 1; i >= 0; i-- {
		st := p.Steps[i]
		if st.Action == remediate.EnableAlarmActions {
			if err := w.Do(context.Background(), st.Region, st.Undo.Params); err != nil {
				t.Fatal(err)
			}
		}
	}
	al, _ = cloudwatch.NewFromConfig(cfg).DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"nacl-alarm"}})
	if len(al.MetricAlarms) != 1 || aws.ToBool(al.MetricAlarms[0].ActionsEnabled) {
		t.Errorf("after the undo the alarm's actions are enabled again: %+v", al.MetricAlarms)
	}
}

// TestFailedResultHasNoFixTime (field trial): a fix that failed has no fix time in `fix apply -o`'s JSON (it said
// "fixed_at": "0001-01-01T00:00:00Z"); a fix that worked has its time.
func TestFailedResultHasNoFixTime(t *testing.T) {
	failed, _ := json.Marshal(remediate.TrailResult{ResourceID: "arn:aws:cloudtrail:us-east-1:111111111111:trail/t", Error: "boom"})
	done, _ := json.Marshal(remediate.TrailResult{ResourceID: "arn:aws:cloudtrail:us-east-1:111111111111:trail/t", FixedAt: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)})
	if strings.Contains(string(failed), "fixed_at") || !strings.Contains(string(done), `"fixed_at":"2026-12-07T00:00:00Z"`) {
		t.Errorf("failed: %s\ndone: %s", failed, done)
	}
}
