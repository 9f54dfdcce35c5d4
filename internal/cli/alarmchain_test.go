package cli

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/model"
)

// TestAlarmChainWithTheAWSCLI builds the CIS 4.5 monitoring chain with the AWS CLI against the simulator, sees
// `scan --alarms` PASS it, then breaks each link with the AWS CLI and sees the reason that names it.
func TestAlarmChainWithTheAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not on the PATH; install it to run this cross-check")
	}
	srv := simFrom(t, []byte(`
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
    log_groups:
      - {name: CT, region: us-east-1, retention_days: 365}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
`))
	cli := startAWSCLI(t, "AWS_DEFAULT_REGION=us-east-1", "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=")
	aws := func(args ...string) string {
		t.Helper()
		r := cli.Run(append(args, "--output", "text")...)
		if r.Code != 0 {
			t.Fatalf("aws %s: exit %d\n%s", strings.Join(args, " "), r.Code, r.Combined())
		}
		return strings.TrimSpace(r.Out)
	}
	dir := t.TempDir()
	verdict := func(step string) (string, string) {
		t.Helper()
		path := filepath.Join(dir, step+".json")
		code, out, errs := runClock(t, srv.Now, "scan", "--alarms", "--format", "json", "--output", path)
		if code != ExitOK && code != ExitFailed {
			t.Fatalf("%s: scan exit %d\n%s%s", step, code, out, errs)
		}
		var f *model.Finding
		for _, x := range readReport(t, path).Findings {
			if x.ControlID == "alarm-cloudtrail-configuration-changes" {
				f = &x
			}
		}
		if f == nil || len(f.Reasons) == 0 {
			t.Fatalf("%s: no alarm-cloudtrail-configuration-changes finding", step)
		}
		return string(f.Status), f.Reasons[0].Code
	}
	expect := func(step, status, code string) {
		t.Helper()
		if s, c := verdict(step); s != status || c != code {
			t.Errorf("%s: %s %s, want %s %s", step, s, c, status, code)
		}
	}
	expect("nothing yet", "FAIL", "FILTER_MISSING")

	filter := func(pattern string) {
		aws("logs", "put-metric-filter", "--log-group-name", "CT", "--filter-name", "cloudtrail-changes", "--filter-pattern", pattern,
			"--metric-transformations", "metricName=CloudTrailChanges,metricNamespace=CISBenchmark,metricValue=1")
	}
	alarm := func(extra ...string) {
		args := []string{"cloudwatch", "put-metric-alarm", "--alarm-name", "cloudtrail-changes", "--metric-name", "CloudTrailChanges",
			"--namespace", "CISBenchmark", "--statistic", "Sum", "--period", "300", "--evaluation-periods", "1",
			"--comparison-operator", "GreaterThanOrEqualToThreshold", "--treat-missing-data", "notBreaching"}
		aws(append(args, extra...)...)
	}
	// Clauses reordered, quoted, on several lines: the same filter by meaning.
	filter("{ ($.eventName = \"StopLogging\") ||\n ($.eventName = \"StartLogging\") || ($.eventName = \"DeleteTrail\") ||\n ($.eventName = \"UpdateTrail\") || ($.eventName = \"CreateTrail\") }")
	expect("filter only", "FAIL", "ALARM_MISSING")
	topic := aws("sns", "create-topic", "--name", "cis-alarms")
	alarm("--threshold", "1", "--alarm-actions", topic)
	expect("topic without subscribers", "FAIL", "NO_CONFIRMED_SUBSCRIBER")
	aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "email", "--notification-endpoint", "security@example.com")
	expect("pending email subscription", "FAIL", "NO_CONFIRMED_SUBSCRIBER")
	aws("sns", "confirm-subscription", "--topic-arn", topic, "--token", srv.PendingTokens(topic)["security@example.com"])
	expect("whole chain", "PASS", "MONITORED")

	alarm("--threshold", "2", "--alarm-actions", topic)
	expect("threshold 2", "FAIL", "ALARM_CANNOT_FIRE")
	alarm("--threshold", "1", "--alarm-actions", topic, "--no-actions-enabled")
	expect("actions disabled", "FAIL", "ALARM_ACTIONS_DISABLED")
	alarm("--threshold", "1")
	expect("no actions", "FAIL", "ALARM_NO_TOPIC")
	alarm("--threshold", "1", "--alarm-actions", topic)
	expect("restored", "PASS", "MONITORED")
	aws("sns", "delete-topic", "--topic-arn", topic)
	expect("topic deleted", "FAIL", "TOPIC_MISSING")
	aws("cloudwatch", "delete-alarms", "--alarm-names", "cloudtrail-changes")
	expect("alarm deleted", "FAIL", "ALARM_MISSING")
	filter(`{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) }`)
	expect("StopLogging forgotten", "FAIL", "FILTER_MISSES_EVENTS")
	aws("logs", "delete-metric-filter", "--log-group-name", "CT", "--filter-name", "cloudtrail-changes")
	expect("filter deleted", "FAIL", "FILTER_MISSING")
}
