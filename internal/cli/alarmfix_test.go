package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/examples"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

const alarmFixScenario = `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
    log_groups:
      - name: CT
        region: us-east-1
        retention_days: 365
        metric_filters:
          # the user's own filter for 4.5, forgetting StopLogging: left as it is; trailwatch adds its own
          - {name: mine, metric: Mine/Trail, pattern: '{ $.eventName = CreateTrail || $.eventName = UpdateTrail || $.eventName = DeleteTrail || $.eventName = StartLogging }'}
          # a whole 4.4 filter with an alarm whose actions are disabled: trailwatch enables them
          - {name: iam, metric: Mine/IAM, pattern: '{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}'}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
    alarms:
      - {name: iam-changes, region: us-east-1, metric: Mine/IAM, actions_enabled: false, actions: [ops]}
    topics:
      # nobody confirmed the email: trailwatch subscribes --notify to it, and makes a topic of its own for new alarms
      - {name: ops, region: us-east-1, subscriptions: [{protocol: email, endpoint: ops@example.com}]}
`

// TestFixAlarmsMakesAll15Pass: fix apply --alarms turns an account with none of the 15 whole into 15 PASS, reusing
// what works (the user's whole filter and alarm, with its actions enabled) and leaving the user's own filters as they
// are; every rendering of the plan carries the alarm steps; undo puts the account back as it was.
func TestFixAlarmsMakesAll15Pass(t *testing.T) {
	srv := simFrom(t, []byte(alarmFixScenario))
	run := simRun(srv)
	dir := t.TempDir()
	alarmStatuses := func(step string) map[string]int {
		t.Helper()
		path := filepath.Join(dir, step+".json")
		if code, out, errs := run(t, "scan", "--alarms", "--format", "json", "--output", path); code != ExitOK && code != ExitFailed {
			t.Fatalf("%s: scan exit %d\n%s%s", step, code, out, errs)
		}
		n := map[string]int{}
		for _, f := range readReport(t, path).Findings {
			if strings.HasPrefix(f.ControlID, "alarm-") {
				n[string(f.Status)]++
			}
		}
		return n
	}
	if before := alarmStatuses("before"); before["PASS"] != 0 || before["FAIL"] != 15 {
		t.Fatalf("before: %v, want 15 FAIL", before)
	}

	planPath := filepath.Join(dir, "plan.json")
	const queue = "sqs:arn:aws:sqs:us-east-1:111111111111:cis-alerts"
	if code, out, errs := run(t, "fix", "plan", "--alarms", "--notify", queue, "--format", "json", "--output", planPath); code != ExitOK {
		t.Fatalf("plan: %d\n%s%s", code, out, errs)
	}
	data, _ := os.ReadFile(planPath)
	p, err := remediate.ReadPlan(data)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, s := range p.Steps {
		count[s.Action]++
		if f, ok := s.Params.(remediate.PutMetricFilterInput); ok && f.FilterName == "mine" {
			t.Errorf("the plan rewrites the user's filter: %+v", s)
		}
	}
	// 14 items without a whole filter: a filter and an alarm each; 4.4's alarm gets its actions enabled and --notify
	// subscribed to its topic; one new topic for the new alarms, with --notify subscribed.
	want := map[string]int{remediate.PutMetricFilter: 14, remediate.PutMetricAlarm: 14, remediate.EnableAlarmActions: 1,
		remediate.CreateTopic: 1, remediate.Subscribe: 2}
	for a, n := range want {
		if count[a] != n {
			t.Errorf("%s: %d steps, want %d (all: %v)", a, count[a], n, count)
		}
	}
	for _, format := range []string{"terraform", "cloudformation"} {
		code, out, errs := run(t, "fix", "plan", "--alarms", "--notify", queue, "--format", format)
		if code != ExitOK {
			t.Fatalf("%s: %d %s", format, code, errs)
		}
		for _, w := range map[string][]string{
			"terraform":      {`resource "aws_cloudwatch_log_metric_filter"`, `resource "aws_cloudwatch_metric_alarm"`, `resource "aws_sns_topic"`, `resource "aws_sns_topic_subscription"`, "actions_enabled"},
			"cloudformation": {`"AWS::Logs::MetricFilter"`, `"AWS::CloudWatch::Alarm"`, `"AWS::SNS::Topic"`, `"AWS::SNS::Subscription"`, `"EnableAlarmActions"`},
		}[format] {
			if !strings.Contains(out, w) {
				t.Errorf("%s rendering lacks %s", format, w)
			}
		}
	}

	journal := filepath.Join(dir, "journal.jsonl")
	code, out, errs := run(t, "fix", "apply", "--plan", planPath, "--alarms", "--notify", queue, "--yes", "--journal", journal)
	if code != ExitOK {
		t.Fatalf("apply: %d\n%s%s", code, out, errs)
	}
	// The re-check after the apply prints the alarm items it fixed, as it does trails (it printed none).
	if n := strings.Count(out, "PASS     alarm-"); n != 15 {
		t.Errorf("apply re-checked %d alarm items, want the 15 it fixed:\n%s", n, out)
	}
	if after := alarmStatuses("after"); after["PASS"] != 15 {
		t.Fatalf("after the fix: %v, want 15 PASS", after)
	}
	if code, out, _ := run(t, "fix", "plan", "--alarms", "--notify", queue); code != ExitOK || !strings.Contains(out, "0 steps") {
		t.Errorf("a second plan is not empty:\n%s", out)
	}

	// The printed AWS CLI commands do the same on a fresh copy of the account.
	if _, err := exec.LookPath("aws"); err == nil {
		srv2 := simFrom(t, []byte(alarmFixScenario))
		cli := startAWSCLI(t, "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=")
		for _, s := range p.Steps {
			if r := cli.Shell(s.CLI); r.Code != 0 {
				t.Fatalf("%s: exit %d\n%s", s.CLI, r.Code, r.Combined())
			}
		}
		run2 := simRun(srv2)
		path := filepath.Join(dir, "cli.json")
		run2(t, "scan", "--alarms", "--format", "json", "--output", path)
		pass := 0
		for _, f := range readReport(t, path).Findings {
			if strings.HasPrefix(f.ControlID, "alarm-") && f.Status == "PASS" {
				pass++
			}
		}
		if pass != 15 {
			t.Errorf("after the plan's AWS CLI commands: %d of 15 PASS", pass)
		}
	}
}

// TestFixAlarmsRefusesWithoutAMonitoredTrail: with no monitored trail there is nothing to hang filters on, and an
// organization member scanned alone cannot fix its management account's log group.
func TestFixAlarmsRefusesWithoutAMonitoredTrail(t *testing.T) {
	srv := simFrom(t, []byte(`
organization: {id: o-abcdefghij, management_account: "111111111111"}
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: org, home_region: us-east-1, multi_region: true, organization: true, log_group: OrgCT, role: R}
    log_groups: [{name: OrgCT, region: us-east-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
  - id: "222222222222"
    regions: [us-east-1]
`))
	pointAt(t, srv.URL, srv.Accounts()[1]) // the member
	code, out, errs := simRun(srv)(t, "fix", "plan", "--alarms", "--format", "json")
	if code != ExitOK {
		t.Fatalf("plan: %d %s", code, errs)
	}
	p, err := remediate.ReadPlan([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 0 {
		t.Errorf("a member plans %d steps on its management account's group", len(p.Steps))
	}
}

// TestFixAlarmsWithoutNotifyWarns: a plan that creates a topic without --notify says nobody would receive the alarms.
func TestFixAlarmsWithoutNotifyWarns(t *testing.T) {
	srv := simFrom(t, []byte(alarmFixScenario))
	code, out, errs := simRun(srv)(t, "fix", "plan", "--alarms")
	if code != ExitOK || !strings.Contains(out, "WARNING account 111111111111, us-east-1: the plan creates an SNS topic but no --notify endpoint is given") {
		t.Errorf("plan without --notify: %d\n%s\n%s", code, out, errs)
	}
	if _, out, _ := simRun(srv)(t, "fix", "plan", "--alarms", "--notify", "email:sec@example.com"); strings.Contains(out, "WARNING") {
		t.Errorf("a warning with --notify:\n%s", out)
	}
}

// TestAlarmFixFlagsNeedAlarms: --alarm-topic and --notify complete the alarm chain; without --alarms they would be
// ignored, so they are refused before any AWS call.
func TestAlarmFixFlagsNeedAlarms(t *testing.T) {
	srv := simFrom(t, examples.Organization)
	for _, args := range [][]string{
		{"fix", "plan", "--notify", "email:sec@example.com"},
		{"fix", "plan", "--alarm-topic", "arn:aws:sns:us-east-1:111111111111:t"},
	} {
		code, _, errs := run(t, args...)
		if code != ExitUsage || !strings.Contains(errs, "apply with --alarms only") {
			t.Errorf("%v: exit %d %s", args, code, errs)
		}
	}
	if n := srv.CallsTo("*"); n != 0 {
		t.Errorf("%d AWS calls before the flags were checked", n)
	}
	// --alarm-topic is an SNS topic's ARN, read as one (aws/arn), not by counting its colons.
	// Each refusal names the part to fix (field trial: one message for every mistake, and a name with a space, a bad
	// region or a region of another partition accepted).
	for bad, why := range map[string]string{"arn:aws:sns:us-east-1:111111111111": "not an ARN", "arn:aws:sqs:us-east-1:111111111111:q": `the service is "sqs"`,
		"arn:aws:sns:us-east-1:1111:t": `the account "1111" is not 12 digits`, "arn:aws:sns::111111111111:t": "no region",
		"sns:us-east-1:111111111111:t": "not an ARN", "arn:aws:sns:us-east-1:111111111111:t:x": `the topic name "t:x"`,
		"arn:aws:sns:us-east-1:111111111111:my topic": `the topic name "my topic"`, "arn:aws:sns:useast1:111111111111:t": `region "useast1": not an AWS region`,
		"arn:aws-us-gov:sns:us-east-1:111111111111:t": "region us-east-1 is in partition aws, not aws-us-gov"} {
		if code, _, errs := run(t, "fix", "plan", "--alarms", "--alarm-topic", bad); code != ExitUsage || !strings.Contains(errs, why) {
			t.Errorf("--alarm-topic %s: exit %d %s, want %q", bad, code, errs, why)
		}
	}
	for _, good := range []string{"arn:aws:sns:us-east-1:111111111111:cis-alarms", "arn:aws:sns:us-east-1:111111111111:cis_alarms.fifo"} {
		if err := remediate.CheckTopicARN("--alarm-topic", good); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
	if n := srv.CallsTo("*"); n != 0 {
		t.Errorf("%d AWS calls before --alarm-topic was checked", n)
	}
}

// TestNotifyURLNeverPrinted: a --notify https:// subscriber's path carries a webhook's secret; the plan's printed AWS
// CLI commands (the text plan, the re-check after apply) keep only its scheme and host, while the call fix apply makes
// gets the whole URL. fix apply --alarms printed the whole URL on stderr (issue 23).
func TestNotifyURLNeverPrinted(t *testing.T) {
	const hook = "https://hooks.example.com/services/T0/B0/SECRETXYZ"
	srv := simFrom(t, []byte(alarmFixScenario))
	run := simRun(srv)
	dir := t.TempDir()
	code, out, errs := run(t, "fix", "plan", "--alarms", "--notify", hook)
	if code != ExitOK || !strings.Contains(out, "--notification-endpoint https://hooks.example.com/...") || strings.Contains(out+errs, "SECRETXYZ") {
		t.Errorf("fix plan: %d\n%s%s", code, out, errs)
	}
	// Code renderings neither: a resource name or logical id carried the secret (field trial), and the endpoint itself is
	// a sensitive variable (Terraform) or a NoEcho parameter (CloudFormation), never a literal in the file.
	for format, want := range map[string][]string{"terraform": {"sensitive   = true", "endpoint  = var."}, "cloudformation": {`"NoEcho": true`}} {
		code, out, errs := run(t, "fix", "plan", "--alarms", "--notify", hook, "--format", format)
		if code != ExitOK || strings.Contains(out+errs, "SECRETXYZ") || strings.Contains(out, "/services/") {
			t.Errorf("fix plan --format %s carries the webhook's path: %d\n%s%s", format, code, out, errs)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("fix plan --format %s lacks %q:\n%s", format, w, out)
			}
		}
		// One input for the one endpoint, however many topics it is subscribed to (review: one per topic).
		if n := strings.Count(out, "sensitive   = true") + strings.Count(out, `"NoEcho": true`); n != 1 {
			t.Errorf("fix plan --format %s declares %d sensitive inputs for one endpoint:\n%s", format, n, out)
		}
	}
	planPath := filepath.Join(dir, "plan.json")
	if code, out, errs := run(t, "fix", "plan", "--alarms", "--notify", hook, "--format", "json", "--output", planPath); code != ExitOK {
		t.Fatalf("plan json: %d\n%s%s", code, out, errs)
	}
	data, _ := os.ReadFile(planPath)
	p, err := remediate.ReadPlan(data)
	if err != nil {
		t.Fatal(err)
	}
	topic := ""
	for _, st := range p.Steps {
		if st.Action == remediate.Subscribe {
			topic = st.Params.(remediate.SubscribeInput).TopicArn
			if strings.Contains(st.CLI, "SECRETXYZ") {
				t.Errorf("the plan's cli shows the secret: %s", st.CLI)
			}
		}
	}
	if topic == "" {
		t.Fatal("the plan subscribes nobody")
	}
	code, out, errs = run(t, "fix", "apply", "--plan", planPath, "--alarms", "--notify", hook, "--yes", "--journal", filepath.Join(dir, "j.jsonl"))
	if code == ExitUsage {
		t.Fatalf("apply: %d\n%s", code, errs)
	}
	if strings.Contains(out+errs, "SECRETXYZ") {
		t.Errorf("fix apply printed the webhook's secret:\n%s%s", out, errs)
	}
	if _, ok := srv.PendingTokens(topic)[hook]; !ok {
		t.Errorf("the subscription did not get the whole URL: %v", srv.PendingTokens(topic))
	}
}

// TestFixAlarmsRefusesWhatItCannotPlan (field trial): with the monitored trail stopped, the alarm items have no
// monitored trail; fix plan --alarms planned the trail's restart and nothing for the two missing items, said
// "0 refused", and fix apply exited 0 while they still failed. They are refused, saying to fix the trail first.
func TestFixAlarmsRefusesWhatItCannotPlan(t *testing.T) {
	srv := simFrom(t, []byte(`now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, logging: false, log_group: CT, role: R}
    log_groups:
      - {name: CT, region: us-east-1, retention_days: 365, cis_monitoring: {topic: cis, skip: ["4.1", "4.2"]}}
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
`))
	code, out, errs := simRun(srv)(t, "fix", "plan", "--alarms")
	if code != ExitOK || !strings.Contains(out, "StartLogging") {
		t.Fatalf("plan: %d\n%s%s", code, out, errs)
	}
	for _, item := range []string{"alarm-unauthorized-api-calls", "alarm-console-signin-without-mfa"} {
		if !regexp.MustCompile(`REFUSED \S*` + item + `\S*: no monitored trail: fix cloudtrail-cloudwatch-integration`).MatchString(out) {
			t.Errorf("%s is not refused:\n%s", item, out)
		}
	}
}

// TestFixEnablesEveryDisabledAlarm: two whole chains whose alarms have their actions disabled get one
// EnableAlarmActions each. The plan kept one step per account and region (the step's key named no alarm), so the
// second alarm stayed disabled while the scan reported it (review).
func TestFixEnablesEveryDisabledAlarm(t *testing.T) {
	iam := strings.SplitN(strings.SplitN(alarmFixScenario, "- {name: iam, metric: Mine/IAM, pattern: '", 2)[1], "'}", 2)[0]
	srv := simFrom(t, []byte(`
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
    log_groups:
      - name: CT
        region: us-east-1
        retention_days: 365
        metric_filters:
          - {name: iam, metric: Mine/IAM, pattern: '`+iam+`'}
          - {name: root, metric: Mine/Root, pattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
    alarms:
      - {name: iam-alarm, region: us-east-1, metric: Mine/IAM, actions_enabled: false, actions: [ops]}
      - {name: root-alarm, region: us-east-1, metric: Mine/Root, actions_enabled: false, actions: [ops]}
    topics:
      - {name: ops, region: us-east-1, subscriptions: [{protocol: sqs, endpoint: "arn:aws:sqs:us-east-1:111111111111:q"}]}
`))
	planPath := filepath.Join(t.TempDir(), "plan.json")
	if code, out, errs := simRun(srv)(t, "fix", "plan", "--alarms", "--format", "json", "--output", planPath); code != ExitOK {
		t.Fatalf("plan: %d\n%s%s", code, out, errs)
	}
	data, _ := os.ReadFile(planPath)
	p, err := remediate.ReadPlan(data)
	if err != nil {
		t.Fatal(err)
	}
	var enabled []string
	for _, s := range p.Steps {
		if e, ok := s.Params.(remediate.EnableAlarmActionsInput); ok {
			enabled = append(enabled, e.AlarmNames...)
		}
	}
	sort.Strings(enabled)
	if strings.Join(enabled, ",") != "iam-alarm,root-alarm" {
		t.Errorf("EnableAlarmActions for %v, want iam-alarm and root-alarm", enabled)
	}
}

// TestNotifyNotDroppedSilently: when every alarm topic the plan uses already has a confirmed subscriber, --notify
// subscribes nothing, and the plan says so (field trial: it was dropped without a word).
func TestNotifyNotDroppedSilently(t *testing.T) {
	srv := simFrom(t, examples.Organization)
	code, out, errs := simRun(srv)(t, "fix", "plan", "--alarms", "--notify", "sqs:arn:aws:sqs:us-east-1:111111111111:q")
	if code != ExitOK || strings.Contains(out, "aws sns subscribe") || !strings.Contains(out+errs, "--notify is not subscribed anywhere") {
		t.Errorf("fix plan: %d\n%s\n%s", code, out, errs)
	}
}
