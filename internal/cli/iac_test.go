package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/model"
)

func TestIaCCommand(t *testing.T) {
	code, out, _ := run(t, "iac", "../iac/testdata/examples/tf02_good", "../iac/testdata/examples/c02_good")
	if code != ExitOK || !strings.Contains(out, "PASS") || !strings.Contains(out, "2 files") {
		t.Errorf("good examples: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "iac", "--commands", "../iac/testdata/examples/tf10_arn_without_suffix")
	if code != ExitOK || !strings.Contains(out, "LOG_GROUP_ARN_SUFFIX") || !strings.Contains(out, `| cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"` /* the user's own log group, by address */) {
		t.Errorf("a WARN does not fail, and shows its fix: exit %d\n%s", code, out)
	}
	if code, _, _ = run(t, "iac", "../iac/testdata/examples/tf01_no_cloudwatch"); code != ExitFailed {
		t.Errorf("FAIL: exit %d", code)
	}
	if code, _, _ = run(t, "iac", "../iac/testdata/examples/c03_getatt_missing_resource"); code != ExitIncomplete {
		t.Errorf("invalid template: exit %d", code)
	}
	if code, _, _ = run(t, "iac", "--strict", "../iac/testdata/examples/tf03_vars_without_value"); code != ExitFailed {
		t.Errorf("--strict: exit %d", code)
	}
	if code, _, errs := run(t, "iac", "--kind", "pulumi", "."); code != ExitUsage || !strings.Contains(errs, "--kind") {
		t.Errorf("bad kind: %d %s", code, errs)
	}
	if code, _, errs := run(t, "iac", "--var", "novalue", "."); code != ExitUsage || !strings.Contains(errs, "name=value") {
		t.Errorf("bad var: %d %s", code, errs)
	}
}

// TestIaCSARIF checks the SARIF 2.1.0 structure GitHub code scanning reads: version, rules with help, results with
// rule, level, message and a physical location, and inline suppressions.
func TestIaCSARIF(t *testing.T) {
	code, out, _ := run(t, "iac", "--format", "sarif", "../iac/testdata/examples/tf01_no_cloudwatch", "../iac/testdata/examples/tf22_checkov_skip_with_reason")
	if code != ExitFailed {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Version string `json:"version"`
		Schema  string `json:"$schema"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string
					Rules []struct {
						ID      string `json:"id"`
						HelpURI string `json:"helpUri"`
						Help    struct{ Markdown string }
					}
				}
			}
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
				Suppressions []struct {
					Kind          string
					Justification string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Version != "2.1.0" || len(doc.Runs) != 1 || doc.Runs[0].Tool.Driver.Name != "trailwatch" {
		t.Fatalf("header %+v", doc)
	}
	run := doc.Runs[0]
	if len(run.Tool.Driver.Rules) != 1 || run.Tool.Driver.Rules[0].ID != "cloudtrail-cloudwatch-integration" || run.Tool.Driver.Rules[0].Help.Markdown == "" {
		t.Errorf("rules %+v", run.Tool.Driver.Rules)
	}
	if len(run.Results) != 2 {
		t.Fatalf("results %+v", run.Results)
	}
	suppressed := 0
	for _, r := range run.Results {
		loc := r.Locations[0].PhysicalLocation
		if r.RuleID == "" || r.Level != "error" || !strings.HasSuffix(loc.ArtifactLocation.URI, "main.tf") || loc.Region.StartLine < 1 || !strings.Contains(r.Message.Text, "NOT_INTEGRATED") {
			t.Errorf("result %+v", r)
		}
		for _, s := range r.Suppressions {
			if s.Kind == "inSource" && strings.Contains(s.Justification, "SIEM") {
				suppressed++
			}
		}
	}
	if suppressed != 1 {
		t.Errorf("%d suppressed results, want 1", suppressed)
	}
	if strings.Contains(out, "\": null") {
		t.Error("SARIF contains null members")
	}
}

func TestGoldenIaCSARIF(t *testing.T) {
	code, out, _ := run(t, "iac", "--format", "sarif", "../iac/testdata/examples/tf10_arn_without_suffix", "../iac/testdata/examples/c12_checkov_skip")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	golden(t, "iac.sarif.golden", []byte(out))
}

func TestIaCExceptionsFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ex.yaml")
	os.WriteFile(p, []byte("exceptions:\n  - control: cloudtrail-cloudwatch-integration\n    resources: [\"aws_cloudtrail.*\"]\n    owner: o@example.com\n    reason: the SIEM receives these events (SEC-9)\n    expires: 2099-01-01\n"), 0o644)
	code, out, _ := run(t, "iac", "--exceptions", p, "--max-exception-days", "0", "../iac/testdata/examples/tf01_no_cloudwatch")
	if code != ExitOK || !strings.Contains(out, "MUTED") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestIaCListsSkippedFiles: YAML and JSON files that are not infrastructure as code (a compliance mapping that mentions
// Resources and AWS::, a serverless.yml, an issue template) are not errors; --log-level info says which were skipped
// and why, and the template beside them is still judged.
func TestIaCListsSkippedFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"compliance.yaml": "controls:\n  - id: cloudtrail\n    Resources: [\"AWS::CloudTrail::Trail\"]\n",
		"serverless.yml":  "service: api\nprovider: {name: aws}\nresources:\n  Resources:\n    Bucket: {Type: AWS::S3::Bucket}\n",
		"issue.json":      `{"title": "bug", "labels": ["triage"]}`,
		"trail.yaml":      "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties: {IsLogging: true, S3BucketName: b}\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := run(t, "--log-level", "info", "iac", dir)
	if code != ExitFailed { // the trail is not integrated
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, name := range []string{"compliance.yaml", "serverless.yml", "issue.json"} {
		if !strings.Contains(errs, "skipped: not infrastructure as code") || !strings.Contains(errs, name) {
			t.Errorf("stderr does not list %s as skipped:\n%s", name, errs)
		}
	}
	if !strings.Contains(errs, "mentions Resources and AWS::") {
		t.Errorf("no reason for the look-alike:\n%s", errs)
	}
	if strings.Contains(errs, "trail.yaml") || !strings.Contains(out, "NOT_INTEGRATED") {
		t.Errorf("the template was skipped or not judged:\n%s\n%s", out, errs)
	}
	if _, _, errs := run(t, "iac", dir); strings.Contains(errs, "skipped") {
		t.Errorf("the default log level lists skipped files:\n%s", errs)
	}
}

// iacMonitoredTrail is a Terraform trail that passes cloudtrail-cloudwatch-integration: a log group, a delivery role
// with an inline policy on it, and a multi-region trail "main" (the alarm tests add the monitoring chain).
const iacMonitoredTrail = `
resource "aws_cloudwatch_log_group" "trail" {
  name              = "cloudtrail"
  retention_in_days = 365
}

resource "aws_iam_role" "delivery" {
  name               = "cloudtrail-delivery"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "cloudtrail.amazonaws.com" }, Action = "sts:AssumeRole" }] })
  inline_policy {
    name   = "delivery"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "${aws_cloudwatch_log_group.trail.arn}:*" }] })
  }
}

resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "trail-bucket"
  is_multi_region_trail      = true
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.delivery.arn
}
`

// TestIaCAlarms: iac --alarms judges the monitoring chain a Terraform configuration declares with the live rule:
// a filter with the published 4.5 pattern (written another way) and an alarm on its metric (referenced through the
// filter) notifying a topic with an SQS subscriber is MONITORED; a 4.3 filter whose only subscriber is an email is
// UNKNOWN (confirmed by a person after the apply), never FAIL; an item with no filter is FILTER_MISSING at the trail.
func TestIaCAlarms(t *testing.T) {
	dir := t.TempDir()
	tf := `
provider "aws" { region = "us-east-1" }

` + iacMonitoredTrail + `
resource "aws_cloudwatch_log_metric_filter" "trail_changes" {
  name           = "cloudtrail-changes"
  log_group_name = aws_cloudwatch_log_group.trail.name
  pattern        = "{($.eventName=StopLogging)||($.eventName=StartLogging)||($.eventName=DeleteTrail)||($.eventName=UpdateTrail)||($.eventName=CreateTrail)}"
  metric_transformation {
    name      = "CloudTrailChanges"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_sns_topic" "alarms" { name = "cis-alarms" }
resource "aws_sqs_queue" "alerts" { name = "alerts" }
resource "aws_sns_topic_subscription" "queue" {
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.alerts.arn
}

resource "aws_cloudwatch_metric_alarm" "trail_changes" {
  alarm_name          = "cloudtrail-changes"
  namespace           = "CISBenchmark"
  metric_name         = aws_cloudwatch_log_metric_filter.trail_changes.metric_transformation[0].name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_log_metric_filter" "root" {
  name           = "root-usage"
  log_group_name = aws_cloudwatch_log_group.trail.name
  pattern        = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }"
  metric_transformation {
    name      = "RootUsage"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_sns_topic" "mail" { name = "cis-mail" }
resource "aws_sns_topic_subscription" "mail" {
  topic_arn = aws_sns_topic.mail.arn
  protocol  = "email"
  endpoint  = "security@example.com"
}

resource "aws_cloudwatch_metric_alarm" "root" {
  alarm_name          = "root-usage"
  namespace           = "CISBenchmark"
  metric_name         = "RootUsage"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [aws_sns_topic.mail.arn]
}
`
	got, out := iacAlarmVerdicts(t, dir, "main.tf", tf)
	for _, f := range readReport(t, out).Findings {
		if strings.HasPrefix(f.ControlID, "alarm-") && (f.Location == nil || f.ResourceID != "aws_cloudtrail.main") {
			t.Errorf("%s: resource %q location %+v", f.ControlID, f.ResourceID, f.Location)
		}
	}
	want := map[string]string{
		"cloudtrail-cloudwatch-integration":      "PASS CONFIGURED",
		"alarm-cloudtrail-configuration-changes": "PASS MONITORED",
		"alarm-root-account-usage":               "UNKNOWN CONFIRMATION_UNKNOWN",
		"alarm-vpc-changes":                      "FAIL FILTER_MISSING",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %q, want %q", id, got[id], w)
		}
	}
	if n := len(readReport(t, out).Findings); n != 16 {
		t.Errorf("%d findings, want the trail's and 15 alarm findings", n)
	}
	// The table names where an alarm item was decided: the alarm, at its line (field trial: "aws_cloudtrail.main
	// (line 61)" named the alarm's line as the trail's).
	if _, text, _ := run(t, "iac", "--alarms", dir); !regexp.MustCompile(`alarm-cloudtrail-configuration-changes\s+\S+ \(aws_cloudwatch_metric_alarm\.trail_changes, line \d+\)`).MatchString(text) {
		t.Errorf("the alarm item does not name the alarm it was decided at:\n%s", text)
	}
	// The fix of a missing item is code that, added to the configuration, makes it pass.
	var fix string
	for _, f := range readReport(t, out).Findings {
		if f.ControlID == "alarm-vpc-changes" {
			fix = f.Fix
		}
	}
	fixed := strings.Replace(tf, `resource "aws_sns_topic" "alarms" { name = "cis-alarms" }`, `resource "aws_sns_topic" "cis_alarms" { name = "cis-alarms" }
resource "aws_sns_topic_subscription" "cis_queue" {
  topic_arn = aws_sns_topic.cis_alarms.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.alerts.arn
}
resource "aws_sns_topic" "alarms" { name = "cis-alarms-2" }`, 1) + "\n" + fix
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "iac", "--alarms", "--format", "json", "--output", out, dir)
	for _, f := range readReport(t, out).Findings {
		if f.ControlID == "alarm-vpc-changes" && (f.Status != "PASS" || f.Reasons[0].Code != "MONITORED") {
			t.Errorf("after adding the fix: %s %+v\n%s", f.Status, f.Reasons, fix)
		}
	}
}

// TestIaCAlarmsCloudFormation: the same chain in a template: a filter on the trail's group (by Ref), an alarm whose
// action is a Ref to a topic with an inline SQS subscription of the stack's account, MONITORED; an alarm whose topic is
// declared elsewhere, UNKNOWN; an alarm with its actions disabled, FAIL.
func TestIaCAlarmsCloudFormation(t *testing.T) {
	dir := t.TempDir()
	tpl := `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  TrailLogs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: cloudtrail, RetentionInDays: 365}
  DeliveryRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: cloudtrail.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: delivery
          PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: [logs:CreateLogStream, logs:PutLogEvents], Resource: !GetAtt TrailLogs.Arn}]}
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      IsMultiRegionTrail: true
      S3BucketName: trail-bucket
      CloudWatchLogsLogGroupArn: !GetAtt TrailLogs.Arn
      CloudWatchLogsRoleArn: !GetAtt DeliveryRole.Arn
  TrailChangesFilter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Ref TrailLogs
      FilterPattern: '{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }'
      MetricTransformations: [{MetricName: CloudTrailChanges, MetricNamespace: CISBenchmark, MetricValue: "1"}]
  AlarmTopic:
    Type: AWS::SNS::Topic
    Properties:
      Subscription: [{Protocol: sqs, Endpoint: !GetAtt Queue.Arn}]
  Queue:
    Type: AWS::SQS::Queue
  TrailChangesAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: CISBenchmark
      MetricName: CloudTrailChanges
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      AlarmActions: [!Ref AlarmTopic]
  NaclFilter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: cloudtrail
      FilterPattern: '{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }'
      MetricTransformations: [{MetricName: Nacl, MetricNamespace: CISBenchmark, MetricValue: "1"}]
  NaclAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties: {Namespace: CISBenchmark, MetricName: Nacl, Statistic: Sum, Period: 300, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: GreaterThanOrEqualToThreshold, AlarmActions: ["arn:aws:sns:us-east-1:999999999999:central"]}
  VpcFilter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: cloudtrail
      FilterPattern: '{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }'
      MetricTransformations: [{MetricName: Vpc, MetricNamespace: CISBenchmark, MetricValue: "1"}]
  VpcAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties: {Namespace: CISBenchmark, MetricName: Vpc, Statistic: Sum, Period: 300, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: GreaterThanOrEqualToThreshold, ActionsEnabled: false, AlarmActions: [!Ref AlarmTopic]}
`
	got, _ := iacAlarmVerdicts(t, dir, "template.yaml", tpl)
	for id, w := range map[string]string{
		"cloudtrail-cloudwatch-integration":      "PASS CONFIGURED",
		"alarm-cloudtrail-configuration-changes": "PASS MONITORED",
		"alarm-nacl-changes":                     "UNKNOWN TOPIC_UNREADABLE",
		"alarm-vpc-changes":                      "FAIL ALARM_ACTIONS_DISABLED",
		"alarm-root-account-usage":               "FAIL FILTER_MISSING",
	} {
		if got[id] != w {
			t.Errorf("%s: %q, want %q", id, got[id], w)
		}
	}
	// A threshold from a parameter without a default is known only at deployment: whether the alarm fires is unknown
	// (it was judged as 0, and the chain passed).
	unknown := strings.Replace(strings.Replace(tpl, "      Threshold: 1\n      ComparisonOperator: GreaterThanOrEqualToThreshold\n      AlarmActions: [!Ref AlarmTopic]",
		"      Threshold: !Ref AlarmThreshold\n      ComparisonOperator: GreaterThanOrEqualToThreshold\n      AlarmActions: [!Ref AlarmTopic]", 1),
		"Resources:\n", "Parameters:\n  AlarmThreshold: {Type: Number}\nResources:\n", 1)
	if !strings.Contains(unknown, "!Ref AlarmThreshold") {
		t.Fatal("the template changed: the threshold was not replaced")
	}
	got, _ = iacAlarmVerdicts(t, t.TempDir(), "template.yaml", unknown)
	if w := "UNKNOWN VALUE_UNKNOWN"; got["alarm-cloudtrail-configuration-changes"] != w {
		t.Errorf("a threshold from a parameter without a default: %q, want %q", got["alarm-cloudtrail-configuration-changes"], w)
	}
	// A filter or alarm under a Condition decided at deployment may not be created (review: PASS); under a false one it
	// is not (FILTER_MISSING, ALARM_MISSING).
	cond := strings.Replace(tpl, "Resources:\n", "Parameters:\n  Env: {Type: String}\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\n  Never: !Equals [a, b]\nResources:\n", 1)
	for _, tc := range []struct{ resource, cond, want string }{
		{"TrailChangesFilter", "IsProd", "UNKNOWN VALUE_UNKNOWN"},
		{"TrailChangesAlarm", "IsProd", "UNKNOWN VALUE_UNKNOWN"},
		{"TrailChangesFilter", "Never", "FAIL FILTER_MISSING"},
		{"TrailChangesAlarm", "Never", "FAIL ALARM_MISSING"},
	} {
		text := strings.Replace(cond, "  "+tc.resource+":\n    Type:", "  "+tc.resource+":\n    Condition: "+tc.cond+"\n    Type:", 1)
		if text == cond {
			t.Fatalf("%s not found in the template", tc.resource)
		}
		got, _ = iacAlarmVerdicts(t, t.TempDir(), "template.yaml", text)
		if got["alarm-cloudtrail-configuration-changes"] != tc.want {
			t.Errorf("%s under Condition %s: %q, want %q", tc.resource, tc.cond, got["alarm-cloudtrail-configuration-changes"], tc.want)
		}
	}
	// !GetAtt Topic.TopicArn names the template's topic as !Ref does (review: UNKNOWN).
	got, _ = iacAlarmVerdicts(t, t.TempDir(), "template.yaml", strings.Replace(tpl, "      AlarmActions: [!Ref AlarmTopic]\n  NaclFilter", "      AlarmActions: [!GetAtt AlarmTopic.TopicArn]\n  NaclFilter", 1))
	if w := "PASS MONITORED"; got["alarm-cloudtrail-configuration-changes"] != w {
		t.Errorf("an alarm notifying !GetAtt AlarmTopic.TopicArn: %q, want %q", got["alarm-cloudtrail-configuration-changes"], w)
	}
	// A threshold that is no number does not deploy: never a PASS (field trial: read as 0).
	bad := strings.Replace(tpl, "      Threshold: 1\n      ComparisonOperator: GreaterThanOrEqualToThreshold\n      AlarmActions: [!Ref AlarmTopic]",
		"      Threshold: abc\n      ComparisonOperator: GreaterThanOrEqualToThreshold\n      AlarmActions: [!Ref AlarmTopic]", 1)
	got, _ = iacAlarmVerdicts(t, t.TempDir(), "template.yaml", bad)
	if w := "UNKNOWN VALUE_UNKNOWN"; got["alarm-cloudtrail-configuration-changes"] != w {
		t.Errorf("a threshold that is no number: %q, want %q", got["alarm-cloudtrail-configuration-changes"], w)
	}
}

// iacAlarmVerdicts writes a source file, runs iac --alarms on its directory (a FAIL is expected) and returns each
// control's status and first reason code, with the report's path.
func iacAlarmVerdicts(t *testing.T, dir, name, text string) (map[string]string, string) {
	t.Helper()
	return iacAlarmVerdictsExit(t, dir, name, text, ExitFailed)
}

func iacAlarmVerdictsExit(t *testing.T, dir, name, text string, exit int) (map[string]string, string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "r.json")
	code, _, errs := run(t, "iac", "--alarms", "--format", "json", "--output", out, dir)
	if code != exit {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got := map[string]string{}
	for _, f := range readReport(t, out).Findings {
		if len(f.Reasons) > 0 {
			got[f.ControlID] = string(f.Status) + " " + f.Reasons[0].Code
		}
	}
	return got, out
}

// TestIaCAlarmsUnknownValues: a filter whose pattern, metric or log group is known only at deployment, or an alarm on
// a metric known only then, may be the link that completes the chain: UNKNOWN with the reason, never an ERROR ("cannot
// parse") or a FAIL. The report names the log group by its ARN even when CloudFormation generates its name.
func TestIaCAlarmsUnknownValues(t *testing.T) {
	const head = `
variable "pattern" {}
variable "group" {}
variable "metric" {}
variable "op" {}
variable "threshold" {}
variable "periods" {}
variable "stat" {}
variable "value" {}
variable "topics" {}
variable "enabled" {}
variable "n" {}
` + iacMonitoredTrail + `resource "aws_sns_topic" "alarms" { name = "cis-alarms" }
resource "aws_sqs_queue" "alerts" { name = "alerts" }
resource "aws_sns_topic_subscription" "queue" {
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.alerts.arn
}
`
	filter := func(name, group, pattern, metric string) string {
		return fmt.Sprintf(`
resource "aws_cloudwatch_log_metric_filter" %q {
  name           = %q
  log_group_name = %s
  pattern        = %s
  metric_transformation {
    name      = %s
    namespace = "CISBenchmark"
    value     = "1"
  }
}
`, name, name, group, pattern, metric)
	}
	alarm := func(name, metric string) string {
		return fmt.Sprintf(`
resource "aws_cloudwatch_metric_alarm" %q {
  alarm_name          = %q
  namespace           = "CISBenchmark"
  metric_name         = %s
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}
`, name, name, metric)
	}
	const group = "aws_cloudwatch_log_group.trail.name"
	trailChanges := `"{($.eventName=StopLogging)||($.eventName=StartLogging)||($.eventName=DeleteTrail)||($.eventName=UpdateTrail)||($.eventName=CreateTrail)}"`
	vpc := `"{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }"`
	nacl := `"{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }"`
	cases := []struct {
		name, tf string
		want     map[string]string
	}{
		// A filter whose pattern is unknown may cover every item: nothing FAILs (exit 0). Elsewhere some item has
		// no filter at all: exit 1.
		{"a pattern from a variable", head + filter("any", group, "var.pattern", `"Any"`) + alarm("any", `"Any"`),
			map[string]string{"alarm-vpc-changes": "UNKNOWN VALUE_UNKNOWN", "alarm-root-account-usage": "UNKNOWN VALUE_UNKNOWN"}},
		{"beside a filter that misses events, an unknown pattern still may cover", head +
			filter("trail", group, `"{($.eventName=StopLogging)}"`, `"Trail"`) + alarm("trail", `"Trail"`) + filter("any", group, "var.pattern", `"Any"`),
			map[string]string{"alarm-cloudtrail-configuration-changes": "UNKNOWN VALUE_UNKNOWN"}},
		{"a covering filter wins over an unknown one", head +
			filter("trail", group, trailChanges, `"Trail"`) + alarm("trail", `"Trail"`) + filter("any", group, "var.pattern", `"Any"`),
			map[string]string{"alarm-cloudtrail-configuration-changes": "PASS MONITORED"}},
		{"a log group from a variable", head + filter("vpc", "var.group", vpc, `"Vpc"`) + alarm("vpc", `"Vpc"`),
			map[string]string{"alarm-vpc-changes": "UNKNOWN VALUE_UNKNOWN", "alarm-nacl-changes": "FAIL FILTER_MISSING"}},
		{"a filter's metric from a variable", head + filter("vpc", group, vpc, "var.metric") + alarm("vpc", `"Vpc"`),
			map[string]string{"alarm-vpc-changes": "UNKNOWN VALUE_UNKNOWN"}},
		{"an alarm's metric from a variable", head + filter("nacl", group, nacl, `"Nacl"`) + alarm("nacl", "var.metric"),
			map[string]string{"alarm-nacl-changes": "UNKNOWN VALUE_UNKNOWN"}},
		// Two metrics known only at deployment are not known to be one: the sentinel both held matched them, and the
		// chain passed.
		{"a filter's and an alarm's metric both from variables", head + filter("nacl", group, nacl, "var.metric") + alarm("nacl", "var.metric"),
			map[string]string{"alarm-nacl-changes": "UNKNOWN VALUE_UNKNOWN"}},
		// Whether an alarm fires on one event is decided by its comparison, threshold, statistic and periods: one known
		// only at deployment makes the item UNKNOWN (a comparison from a variable was "cannot fire", FAIL; a threshold
		// from a variable was judged as 0, so the chain passed).
		{"an alarm's comparison from a variable", head + filter("nacl", group, nacl, `"Nacl"`) +
			strings.Replace(alarm("nacl", `"Nacl"`), `"GreaterThanOrEqualToThreshold"`, "var.op", 1),
			map[string]string{"alarm-nacl-changes": "UNKNOWN VALUE_UNKNOWN"}},
		{"an alarm's threshold from a variable", head + filter("nacl", group, nacl, `"Nacl"`) +
			strings.Replace(alarm("nacl", `"Nacl"`), "threshold           = 1", "threshold           = var.threshold", 1),
			map[string]string{"alarm-nacl-changes": "UNKNOWN VALUE_UNKNOWN"}},
		{"an alarm's evaluation periods from a variable", head + filter("nacl", group, nacl, `"Nacl"`) +
			strings.Replace(alarm("nacl", `"Nacl"`), "evaluation_periods  = 1", "evaluation_periods  = var.periods", 1),
			map[string]string{"alarm-nacl-changes": "UNKNOWN VALUE_UNKNOWN"}},
		{"an alarm's statistic from a variable", head + filter("nacl", group, nacl, `"Nacl"`) +
			strings.Replace(alarm("nacl", `"Nacl"`), `statistic           = "Sum"`, "statistic           = var.stat", 1),
			map[string]string{"alarm-nacl-changes": "UNKNOWN VALUE_UNKNOWN"}},
		// Field trial: the alarm's actions, whether they are enabled, and whether it is created at all decide it as much.
		{"an alarm's actions from a variable", head + filter("nacl", group, nacl, `"Nacl"`) +
			strings.Replace(alarm("nacl", `"Nacl"`), "[aws_sns_topic.alarms.arn]", "[var.topics]", 1),
			map[string]string{"alarm-nacl-changes": "UNKNOWN VALUE_UNKNOWN"}},
		// A known action that reaches someone decides, whatever the unknown one beside it (review: UNKNOWN).
		{"one known and one unknown action", head + filter("nacl", group, nacl, `"Nacl"`) +
			strings.Replace(alarm("nacl", `"Nacl"`), "[aws_sns_topic.alarms.arn]", "[aws_sns_topic.alarms.arn, var.topics]", 1),
			map[string]string{"alarm-nacl-changes": "PASS MONITORED"}},
		{"an alarm's actions_enabled from a variable", head + filter("nacl", group, nacl, `"Nacl"`) +
			strings.Replace(alarm("nacl", `"Nacl"`), "  alarm_actions", "  actions_enabled     = var.enabled\n  alarm_actions", 1),
			map[string]string{"alarm-nacl-changes": "UNKNOWN VALUE_UNKNOWN"}},
		{"an alarm's count from a variable", head + filter("nacl", group, nacl, `"Nacl"`) +
			strings.Replace(alarm("nacl", `"Nacl"`), "  alarm_name", "  count               = var.n\n  alarm_name", 1),
			map[string]string{"alarm-nacl-changes": "UNKNOWN VALUE_UNKNOWN"}},
		// Review: the filter's and the subscriber's count decide it as much as the alarm's.
		{"a filter's count from a variable", head + strings.Replace(filter("nacl", group, nacl, `"Nacl"`), "  name           =", "  count          = var.n\n  name           =", 1) +
			alarm("nacl", `"Nacl"`),
			map[string]string{"alarm-nacl-changes": "UNKNOWN VALUE_UNKNOWN"}},
		{"the subscriber's count from a variable", strings.Replace(head, "  protocol  = \"sqs\"", "  count     = var.n\n  protocol  = \"sqs\"", 1) +
			filter("nacl", group, nacl, `"Nacl"`) + alarm("nacl", `"Nacl"`),
			map[string]string{"alarm-nacl-changes": "UNKNOWN CONFIRMATION_UNKNOWN"}},
		// A threshold written as a string is a number to Terraform ("5": one event is not 5), and one that is no number
		// at all does not deploy: neither passes (both PASSED: the string was read as 0).
		{"an alarm's threshold as a string", head + filter("nacl", group, nacl, `"Nacl"`) +
			strings.Replace(alarm("nacl", `"Nacl"`), "threshold           = 1", `threshold           = "5"`, 1),
			map[string]string{"alarm-nacl-changes": "FAIL ALARM_CANNOT_FIRE"}},
		{"an alarm's threshold that is no number", head + filter("nacl", group, nacl, `"Nacl"`) +
			strings.Replace(alarm("nacl", `"Nacl"`), "threshold           = 1", `threshold           = "abc"`, 1),
			map[string]string{"alarm-nacl-changes": "UNKNOWN VALUE_UNKNOWN"}},
		// What one matching event adds to the metric decides it too (it was taken as 1).
		{"a filter's value from a variable", head + strings.Replace(filter("nacl", group, nacl, `"Nacl"`), `value     = "1"`, "value     = var.value", 1) +
			alarm("nacl", `"Nacl"`),
			map[string]string{"alarm-nacl-changes": "UNKNOWN VALUE_UNKNOWN"}},
		{"no unknowns: a missing alarm FAILs", head + filter("nacl", group, nacl, `"Nacl"`),
			map[string]string{"alarm-nacl-changes": "FAIL ALARM_MISSING"}},
		// nozaq/terraform-aws-secure-baseline modules/alarm-baseline/main.tf creates its CISAlarm topic with no
		// subscription and leaves subscribing to its users: 14 false FAILs on a working module before.
		{"a topic without a subscription in the configuration", head + filter("nacl", group, nacl, `"Nacl"`) + strings.Replace(alarm("nacl", `"Nacl"`),
			"aws_sns_topic.alarms.arn", "aws_sns_topic.bare.arn", 1) + `resource "aws_sns_topic" "bare" { name = "CISAlarm" }`,
			map[string]string{"alarm-nacl-changes": "UNKNOWN CONFIRMATION_UNKNOWN"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			exit := ExitFailed
			if strings.Contains(tc.tf, "var.pattern") {
				exit = ExitOK
			}
			got, _ := iacAlarmVerdictsExit(t, t.TempDir(), "main.tf", tc.tf, exit)
			for id, w := range tc.want {
				if got[id] != w {
					t.Errorf("%s: %q, want %q", id, got[id], w)
				}
			}
			for id, v := range got {
				if strings.HasPrefix(v, "ERROR") {
					t.Errorf("%s: %s", id, v)
				}
			}
		})
	}

	// More instances than --max-instances are judged as one, but their number is known: not a value known only at
	// deployment (review: it made the alarm item UNKNOWN).
	t.Run("more instances than --max-instances", func(t *testing.T) {
		dir := t.TempDir()
		tf := head + filter("nacl", group, nacl, `"Nacl"`) + strings.Replace(alarm("nacl", `"Nacl"`), "  alarm_name", "  count               = 3\n  alarm_name", 1)
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(tf), 0o600); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "r.json")
		run(t, "iac", "--alarms", "--max-instances", "2", "--format", "json", "--output", out, dir)
		for _, f := range readReport(t, out).Findings {
			if f.ControlID == "alarm-nacl-changes" && (f.Status != model.StatusPass || f.Reasons[0].Code != "MONITORED") {
				t.Errorf("%s: %s %+v", f.ControlID, f.Status, f.Reasons)
			}
		}
	})

	t.Run("a trail in a module that is not downloaded", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "r.json")
		code, _, errs := run(t, "iac", "--alarms", "--format", "json", "--output", out, "../iac/testdata/realworld/08_trail_in_registry_module_not_downloaded")
		if code != ExitOK {
			t.Fatalf("exit %d %s", code, errs)
		}
		for _, f := range readReport(t, out).Findings {
			if f.Status != model.StatusUnknown || f.Reasons[0].Code != "VALUE_UNKNOWN" {
				t.Errorf("%s: %s %+v", f.ControlID, f.Status, f.Reasons)
			}
		}
	})

	t.Run("CloudFormation: a generated log group name", func(t *testing.T) {
		tpl := `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Pattern: {Type: String}
Resources:
  TrailLogs:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 365}
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties: {IsLogging: true, IsMultiRegionTrail: true, S3BucketName: b, CloudWatchLogsLogGroupArn: !GetAtt TrailLogs.Arn, CloudWatchLogsRoleArn: "arn:aws:iam::111111111111:role/x"}
  AnyFilter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Ref TrailLogs
      FilterPattern: !Ref Pattern
      MetricTransformations: [{MetricName: Any, MetricNamespace: CISBenchmark, MetricValue: "1"}]
`
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(tpl), 0o600); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "r.json")
		run(t, "iac", "--alarms", "--format", "json", "--output", out, dir)
		n := 0
		for _, f := range readReport(t, out).Findings {
			if !strings.HasPrefix(f.ControlID, "alarm-") {
				continue
			}
			n++
			if f.Status != model.StatusUnknown || f.Reasons[0].Code != "VALUE_UNKNOWN" || !strings.Contains(f.Reasons[0].Message, ":log-group:TrailLogs:*") {
				t.Errorf("%s: %s %+v", f.ControlID, f.Status, f.Reasons)
			}
		}
		if n != 15 {
			t.Errorf("%d alarm findings", n)
		}
	})
}

// TestIaCDevicesNamedOnTheCommandLine (issue 23): /dev/zero or /dev/urandom given as a file, --var-file or
// --cfn-params read as 0 bytes to Stat and never end; each is refused at --max-file-size, never read whole.
func TestIaCDevicesNamedOnTheCommandLine(t *testing.T) {
	for _, dev := range []string{"/dev/zero", "/dev/urandom"} {
		if _, err := os.Stat(dev); err != nil {
			t.Skipf("%s: %v", dev, err)
		}
		code, out, errs := run(t, "iac", "--kind", "cloudformation", "--format", "json", dev)
		if code != ExitIncomplete || !strings.Contains(out, "larger than --max-file-size") {
			t.Errorf("%s as a file: exit %d\n%s%s", dev, code, out, errs)
		}
		code, out, errs = run(t, "iac", "--var-file", dev, "--format", "json", "../iac/testdata/examples/tf02_good")
		if code != ExitIncomplete || !strings.Contains(out, dev) || !strings.Contains(out, "larger than --max-file-size") {
			t.Errorf("%s as --var-file: exit %d\n%s%s", dev, code, out, errs)
		}
		code, _, errs = run(t, "iac", "--cfn-params", dev, "../iac/testdata/examples/c02_good")
		if code != ExitUsage || !strings.Contains(errs, "--cfn-params: not read: larger than --max-file-size") {
			t.Errorf("%s as --cfn-params: exit %d %s", dev, code, errs)
		}
	}
}
