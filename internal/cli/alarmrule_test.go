package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/controls"
)

// TestOneAlarmRuleThreeWays (issue 24): for each pattern, alarms test, scan --alarms (the filter deployed in the
// simulator on a monitored trail's log group, with an alarm and a confirmed topic) and iac --alarms (the same chain in
// Terraform) give every CIS item the same verdict: MONITORED, FILTER_NARROWED, FILTER_MISSES_EVENTS, or
// FILTER_MISSING for an item the pattern is not about.
func TestOneAlarmRuleThreeWays(t *testing.T) {
	patterns := []string{
		`{ $.eventName=StopLogging || $.eventName=StartLogging || $.eventName=DeleteTrail || $.eventName=UpdateTrail || $.eventName=CreateTrail }`,
		`{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) }`,
		`{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.eventSource != "s3.amazonaws.com" || $.eventName != "GetObject" || $.userIdentity.invokedBy != "cloudfront.amazonaws.com") }`,
		`{ ($.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*") && ($.eventSource != "s3.amazonaws.com" || $.eventName != "HeadBucket") }`,
		`{ ($.eventName = StopLogging) || ($.eventName = DeleteTrail) }`,
		`{ $.sourceIPAddress = "1.2.3.4" }`,
		`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`,
		`{ $.eventName = ConsoleLogin && $.additionalEventData.MFAUsed = "No" }`,
		`{ $.errorCode = %UnauthorizedOperation$% || $.errorCode = %^AccessDenied% }`,
		`{ (($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging)) && $.userIdentity.arn != "arn:aws:sts::111111111111:assumed-role/automation/*" }`,
	}
	line := regexp.MustCompile(`(?m)^\S+\s+(alarm-\S+)\s+(\S+)$`)
	for i, p := range patterns {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			want := map[string]string{}
			for _, it := range alarms.Items {
				want[it.ID] = alarms.FilterMissing
			}
			_, out, _ := run(t, "alarms", "test", p)
			for _, m := range line.FindAllStringSubmatch(out, -1) {
				want[m[1]] = m[2]
			}

			srv := simFrom(t, []byte(fmt.Sprintf(`
now: 2026-11-22T12:00:00Z
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
          - {name: f, metric: CIS/M, pattern: %s}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
    alarms:
      - {name: a, region: us-east-1, metric: CIS/M, actions: [cis]}
    topics:
      - {name: cis, region: us-east-1, subscriptions: [{protocol: email, endpoint: sec@example.com, confirmed: true}]}
`, strconv.Quote(p))))
			dir := t.TempDir()
			path := filepath.Join(dir, "scan.json")
			if code, out, errs := runClock(t, srv.Now, "scan", "--alarms", "--format", "json", "--output", path); code != ExitOK && code != ExitFailed {
				t.Fatalf("scan: exit %d\n%s%s", code, out, errs)
			}
			scan := map[string]string{}
			for _, f := range readReport(t, path).Findings {
				if controls.IsAlarmControl(f.ControlID) && len(f.Reasons) > 0 {
					scan[f.ControlID] = f.Reasons[0].Code
				}
			}

			tfDir := filepath.Join(dir, "tf")
			_ = os.MkdirAll(tfDir, 0o755)
			tf := `provider "aws" { region = "us-east-1" }
` + iacMonitoredTrail + `
resource "aws_cloudwatch_log_metric_filter" "f" {
  name           = "f"
  log_group_name = aws_cloudwatch_log_group.trail.name
  pattern        = ` + strconv.Quote(p) + `
  metric_transformation {
    name      = "M"
    namespace = "CIS"
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
resource "aws_cloudwatch_metric_alarm" "a" {
  alarm_name          = "a"
  namespace           = "CIS"
  metric_name         = "M"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}
`
			if err := os.WriteFile(filepath.Join(tfDir, "main.tf"), []byte(tf), 0o600); err != nil {
				t.Fatal(err)
			}
			iacPath := filepath.Join(dir, "iac.json")
			if code, out, errs := run(t, "iac", "--alarms", "--format", "json", "--output", iacPath, tfDir); code != ExitOK && code != ExitFailed {
				t.Fatalf("iac: exit %d\n%s%s", code, out, errs)
			}
			iac := map[string]string{}
			for _, f := range readReport(t, iacPath).Findings {
				if controls.IsAlarmControl(f.ControlID) && len(f.Reasons) > 0 {
					iac[f.ControlID] = f.Reasons[0].Code
				}
			}
			for _, it := range alarms.Items {
				ic := iac[it.ID]
				if scan[it.ID] != want[it.ID] || ic != want[it.ID] {
					t.Errorf("%s %s: alarms test %s, scan --alarms %s, iac --alarms %s", p, it.CIS, want[it.ID], scan[it.ID], ic)
				}
			}
		})
	}
}
