package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// iacChain4_5 is a whole 4.5 chain (filter, alarm, topic with an SQS subscriber of the same account) on the log
// group of iacMonitoredTrail.
const iacChain4_5 = `
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
  metric_name         = "CloudTrailChanges"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}
`

// TestIaCAlarmsNeedADeliveringTrail: the alarm chain of a trail that deploys but delivers nothing (its log group ARN
// lacks ":*", or its role may not write the streams) monitors nothing: NO_MONITORED_TRAIL, as the live scan says of
// a failing trail. iac --alarms called it MONITORED, since the WARN of the integration finding passed for a
// delivering trail (issue 21).
func TestIaCAlarmsNeedADeliveringTrail(t *testing.T) {
	for name, broken := range map[string]string{
		"ARN without :*":    strings.Replace(iacMonitoredTrail, `cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}:*"`, `cloud_watch_logs_group_arn = aws_cloudwatch_log_group.trail.arn`, 1),
		"role cannot write": strings.Replace(iacMonitoredTrail, `Resource = "${aws_cloudwatch_log_group.trail.arn}:*"`, `Resource = "arn:aws:logs:us-east-1:111111111111:log-group:other:*"`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			if broken == iacMonitoredTrail {
				t.Fatal("the replacement did not apply")
			}
			got, _ := iacAlarmVerdicts(t, t.TempDir(), "main.tf", "provider \"aws\" { region = \"us-east-1\" }\n"+broken+iacChain4_5)
			if !strings.HasPrefix(got["cloudtrail-cloudwatch-integration"], "WARN ") {
				t.Errorf("integration: %q, want a WARN", got["cloudtrail-cloudwatch-integration"])
			}
			if w := "FAIL NO_MONITORED_TRAIL"; got["alarm-cloudtrail-configuration-changes"] != w {
				t.Errorf("4.5 on a trail that delivers nothing: %q, want %q", got["alarm-cloudtrail-configuration-changes"], w)
			}
		})
	}
}

// TestIaCAlarmsPerRootModule: two root modules, one with a whole 4.5 chain and one with a trail and no chain, each
// get their own 15 alarm findings, on their own trail: the second's 4.5 is FILTER_MISSING, not the first's PASS.
// iac --alarms gave one set for the whole run, the best chain across every root (issue 21).
func TestIaCAlarmsPerRootModule(t *testing.T) {
	dir := t.TempDir()
	write := func(sub, text string) {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sub, "main.tf"), []byte("provider \"aws\" { region = \"us-east-1\" }\n"+text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("monitored", iacMonitoredTrail+iacChain4_5)
	write("bare", iacMonitoredTrail)
	out := filepath.Join(dir, "r.json")
	if code, _, errs := run(t, "iac", "--alarms", "--format", "json", "--output", out, dir); code != ExitFailed {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got := map[string]string{}
	alarmFindings := 0
	for _, f := range readReport(t, out).Findings {
		if !strings.HasPrefix(f.ControlID, "alarm-") {
			continue
		}
		alarmFindings++
		if f.Location == nil {
			t.Fatalf("%s has no location", f.ControlID)
		}
		root := filepath.Base(filepath.Dir(f.Location.File))
		if f.ControlID == "alarm-cloudtrail-configuration-changes" {
			got[root] = string(f.Status) + " " + f.Reasons[0].Code
		}
	}
	if alarmFindings != 30 {
		t.Errorf("%d alarm findings, want 15 per root module", alarmFindings)
	}
	if got["monitored"] != "PASS MONITORED" || got["bare"] != "FAIL FILTER_MISSING" {
		t.Errorf("4.5 per root: %v", got)
	}
}

// TestIaCFixNamesThePlansRole: the IaC fix of a trail with no integration creates the role and log group the fix plan
// would create for the same trail (CloudTrailCloudWatchLogs-<trail>, aws-cloudtrail-logs/<trail>) in Terraform and in
// CloudFormation; the snippets named the console's CloudTrail_CloudWatchLogs_Role (issue 21).
func TestIaCFixNamesThePlansRole(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"tf/main.tf":        "resource \"aws_cloudtrail\" \"main\" {\n  name = \"main\"\n  s3_bucket_name = \"b\"\n}\n",
		"cfn/template.yaml": "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties: {TrailName: main, S3BucketName: b, IsLogging: true}\n",
	}
	for name, text := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "r.json")
	if code, _, errs := run(t, "iac", "--format", "json", "--output", out, dir); code != ExitFailed {
		t.Fatalf("exit %d: %s", code, errs)
	}
	fixes := 0
	for _, f := range readReport(t, out).Findings {
		if f.Fix == "" {
			continue
		}
		fixes++
		if !strings.Contains(f.Fix, "CloudTrailCloudWatchLogs-main") || !strings.Contains(f.Fix, "aws-cloudtrail-logs/main") || strings.Contains(f.Fix, "CloudTrail_CloudWatchLogs_Role") {
			t.Errorf("%s fix does not name the plan's role and group:\n%s", f.Location.File, f.Fix)
		}
	}
	if fixes != 2 {
		t.Errorf("%d fixes, want one per source", fixes)
	}
}

// TestIaCAlarmsWithoutATrail: a root module or template that declares the CIS chain but no trail (a monitoring
// module given the trail's log group by name) is judged from the filter on: a whole chain is UNKNOWN
// TRAIL_NOT_DECLARED, a chain missing its alarm FAILs, on the filter's declaration. A root whose only filter counts an
// application's errors says nothing. iac --alarms said nothing at all for such a tree (issue 21).
func TestIaCAlarmsWithoutATrail(t *testing.T) {
	chain := strings.ReplaceAll(iacChain4_5, "aws_cloudwatch_log_group.trail.name", `"cloudtrail-events"`)
	noAlarm := chain[:strings.Index(chain, `resource "aws_cloudwatch_metric_alarm"`)]
	const cfnChain = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  TrailChanges:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: cloudtrail-events
      FilterPattern: "{($.eventName=StopLogging)||($.eventName=StartLogging)||($.eventName=DeleteTrail)||($.eventName=UpdateTrail)||($.eventName=CreateTrail)}"
      MetricTransformations: [{MetricName: CloudTrailChanges, MetricNamespace: CISBenchmark, MetricValue: "1"}]
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
      AlarmActions: [!Ref Alarms]
  Alarms:
    Type: AWS::SNS::Topic
    Properties:
      Subscription: [{Protocol: sqs, Endpoint: !Sub "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:alerts"}]
`
	const appFilter = `resource "aws_cloudwatch_log_metric_filter" "errors" {
  name           = "app-errors"
  log_group_name = "/app/web"
  pattern        = "ERROR"
  metric_transformation {
    name      = "AppErrors"
    namespace = "App"
    value     = "1"
  }
}
`
	for _, c := range []struct {
		name, file, text, want string
		exit                   int
	}{
		{"whole chain", "main.tf", chain, "UNKNOWN TRAIL_NOT_DECLARED", ExitFailed},
		{"no alarm", "main.tf", noAlarm, "FAIL ALARM_MISSING", ExitFailed},
		{"CloudFormation", "template.yaml", cfnChain, "UNKNOWN TRAIL_NOT_DECLARED", ExitFailed},
		{"an application's filter", "main.tf", appFilter, "", ExitOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := c.text
			if strings.HasSuffix(c.file, ".tf") {
				text = "provider \"aws\" { region = \"us-east-1\" }\n" + text
			}
			got, out := iacAlarmVerdictsExit(t, t.TempDir(), c.file, text, c.exit)
			if g := got["alarm-cloudtrail-configuration-changes"]; g != c.want {
				t.Errorf("4.5: %q, want %q (all: %v)", g, c.want, got)
			}
			if c.want == "" {
				if len(got) != 0 {
					t.Errorf("findings on an application's filter: %v", got)
				}
				return
			}
			for _, f := range readReport(t, out).Findings {
				if f.ControlID == "alarm-cloudtrail-configuration-changes" && (f.Location == nil || f.Location.Line == 0) {
					t.Errorf("no location: %+v", f.Location)
				}
			}
		})
	}
}

// TestIaCAlarmFixesComplete applies an alarm finding's fix as a user would (adds its resources) and judges the code
// again: the item the fix is for must then be monitored (a topic the code declares with a confirmed subscriber is
// reused), or, where no trail is declared, whole from the filter on. The fixes are rendered from the fix plan's alarm
// steps (remediate.FixIaCAlarms), not written by the rule.
func TestIaCAlarmFixesComplete(t *testing.T) {
	const cfn = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Alarms:
    Type: AWS::SNS::Topic
    Properties:
      Subscription: [{Protocol: sqs, Endpoint: !Sub "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:alerts"}]
  RootFilter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: cloudtrail-events
      FilterPattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
      MetricTransformations: [{MetricName: RootUsage, MetricNamespace: CIS, MetricValue: "1"}]
`
	for _, c := range []struct {
		name, file, text, item, want string
	}{
		{"Terraform, filter missing", "main.tf", "provider \"aws\" { region = \"us-east-1\" }\n" + iacMonitoredTrail + iacChain4_5, "alarm-root-account-usage", "PASS MONITORED"},
		{"CloudFormation, alarm missing", "template.yaml", cfn, "alarm-root-account-usage", "UNKNOWN TRAIL_NOT_DECLARED"},
		{"CloudFormation, filter missing", "template.yaml", cfn, "alarm-iam-policy-changes", "UNKNOWN TRAIL_NOT_DECLARED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			got, out := iacAlarmVerdicts(t, dir, c.file, c.text)
			if strings.HasPrefix(got[c.item], "PASS") || strings.HasPrefix(got[c.item], "UNKNOWN") {
				t.Fatalf("%s before the fix: %s", c.item, got[c.item])
			}
			fix := ""
			for _, f := range readReport(t, out).Findings {
				if f.ControlID == c.item {
					fix = f.Fix
				}
			}
			if fix == "" {
				t.Fatalf("%s (%s) has no fix", c.item, got[c.item])
			}
			fixed := c.text + "\n" + strings.TrimPrefix(fix, "# add under Resources:\n") + "\n"
			after, _ := iacAlarmVerdictsExit(t, dir, c.file, fixed, ExitFailed)
			if after[c.item] != c.want {
				t.Errorf("%s after the fix: %q, want %q\nfix:\n%s", c.item, after[c.item], c.want, fix)
			}
		})
	}
}

// TestIaCAlarmFixesApplyTogether: every alarm fix of one root module, added together, is valid code (a topic the fixes
// create is declared once: each fix declared it, so pasting them all gave "declared twice" thirteen times), and leaves
// no item failing.
func TestIaCAlarmFixesApplyTogether(t *testing.T) {
	dir := t.TempDir()
	text := "provider \"aws\" { region = \"us-east-1\" }\n" + iacMonitoredTrail
	_, out := iacAlarmVerdicts(t, dir, "main.tf", text)
	var fixes []string
	for _, f := range readReport(t, out).Findings {
		if strings.HasPrefix(f.ControlID, "alarm-") && f.Fix != "" {
			fixes = append(fixes, f.Fix)
		}
	}
	if len(fixes) < 10 {
		t.Fatalf("%d alarm fixes", len(fixes))
	}
	if n := strings.Count(strings.Join(fixes, "\n"), `resource "aws_sns_topic"`); n != 1 {
		t.Errorf("the fixes declare %d topics, want one", n)
	}
	after, _ := iacAlarmVerdictsExit(t, dir, "main.tf", text+"\n"+strings.Join(fixes, "\n\n")+"\n", ExitOK)
	for id, v := range after {
		if strings.HasPrefix(v, "FAIL") || strings.HasPrefix(v, "ERROR") {
			t.Errorf("%s after every fix: %s", id, v)
		}
	}
}
