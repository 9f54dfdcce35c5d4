package scan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// scanAlarms scans a scenario with the alarm family on (CIS v5.0 unless version is given).
func scanAlarms(t *testing.T, text, version string, accounts ...string) result {
	t.Helper()
	items, err := alarms.ForVersion(version)
	if err != nil {
		t.Fatal(err)
	}
	return scanWith(t, text, collect.Options{Monitoring: true}, func(s *controls.Settings) { s.Alarms = items }, accounts...)
}

const cloudtrailChanges = "alarm-cloudtrail-configuration-changes"

// chainScenario is one account with a healthy multi-region trail "main" on log group CT (us-east-1), the given metric
// filters on CT, and the given alarms and topics.
func chainScenario(filters, more string) string {
	return fmt.Sprintf(`
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
%s
      - {name: CT, region: eu-west-1}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
%s
  - id: "222222222222"
    regions: [us-east-1]
    topics:
      - name: elsewhere
        region: us-east-1
        subscriptions: [{protocol: sqs, endpoint: "arn:aws:sqs:us-east-1:222222222222:q"}]
`, filters, more)
}

// A filter on CT for item 4.5 with the given pattern, publishing CISBenchmark/CloudTrailChanges.
func ctFilter(pattern string) string {
	return fmt.Sprintf("          - {name: ct-changes, metric: CISBenchmark/CloudTrailChanges, pattern: %q}", pattern)
}

const (
	published45 = `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`
	goodAlarm   = `    alarms:
      - {name: ct-changes, region: us-east-1, metric: CISBenchmark/CloudTrailChanges, actions: [cis]}
`
	goodTopic = `    topics:
      - name: cis
        region: us-east-1
        subscriptions: [{protocol: email, endpoint: sec@example.com, confirmed: true}]
`
)

// TestAlarmChainReasons walks every link of the chain through the simulator and the real SDK (CloudWatch over CBOR,
// SNS over query), including the string-matching traps peers fall into.
func TestAlarmChainReasons(t *testing.T) {
	cases := []struct {
		name, filters, more string
		status              model.Status
		code, msg           string
	}{
		{"published pattern", ctFilter(published45), goodAlarm + goodTopic, model.StatusPass, controls.Monitored, "topic arn:aws:sns:us-east-1:111111111111:cis with 1 confirmed"},
		{"clauses reordered, unquoted vs quoted, no spaces", ctFilter(`{($.eventName="StopLogging")||($.eventName="StartLogging")||($.eventName="DeleteTrail")||($.eventName="UpdateTrail")||($.eventName="CreateTrail")}`), goodAlarm + goodTopic, model.StatusPass, controls.Monitored, ""},
		{"newlines and an extra || branch", ctFilter("{\n  $.eventName = CreateTrail ||\n  $.eventName = UpdateTrail || $.eventName = DeleteTrail ||\n  $.eventName = StartLogging || $.eventName = StopLogging ||\n  $.eventName = PutEventSelectors\n}"), goodAlarm + goodTopic, model.StatusPass, controls.Monitored, ""},
		{"one event name missing", ctFilter(`{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) }`), goodAlarm + goodTopic, model.StatusFail, controls.FilterMissesEvents, "StopLogging"},
		{"an added exclusion", ctFilter(`{ (($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging)) && ($.userIdentity.type != "AssumedRole") }`), goodAlarm + goodTopic, model.StatusWarn, controls.FilterNarrowed, "userIdentity.type"},
		{"no filter", "          []", goodAlarm + goodTopic, model.StatusFail, controls.FilterMissing, "arn:aws:logs:us-east-1:111111111111:log-group:CT:*"},
		{"a filter about something else", ctFilter(`{ $.eventName = ConsoleLogin }`), goodAlarm + goodTopic, model.StatusFail, controls.FilterMissing, ""},
		{"an unparseable stored pattern", ctFilter(`{ $.eventName = CreateTrail || }`), goodAlarm + goodTopic, model.StatusError, controls.FilterUnparseable, "position"},
		{"no alarm", ctFilter(published45), goodTopic, model.StatusFail, controls.AlarmMissing, "CISBenchmark/CloudTrailChanges"},
		{"alarm on a dimension", ctFilter(published45), goodTopic + "    alarms:\n      - {name: x, region: us-east-1, metric: CISBenchmark/CloudTrailChanges, threshold: 5, actions: [cis]}\n", model.StatusFail, controls.AlarmCannotFire, "Sum 1, which is not GreaterThanOrEqualToThreshold 5"},
		{"alarm needs two datapoints", ctFilter(published45), goodTopic + "    alarms:\n      - {name: x, region: us-east-1, metric: CISBenchmark/CloudTrailChanges, evaluation_periods: 2, actions: [cis]}\n", model.StatusFail, controls.AlarmCannotFire, "2 breaching datapoints"},
		{"alarm compares downwards", ctFilter(published45), goodTopic + "    alarms:\n      - {name: x, region: us-east-1, metric: CISBenchmark/CloudTrailChanges, comparison: LessThanThreshold, actions: [cis]}\n", model.StatusFail, controls.AlarmCannotFire, "LessThanThreshold"},
		{"alarm in another region", ctFilter(published45), goodTopic + "    alarms:\n      - {name: x, region: eu-west-1, metric: CISBenchmark/CloudTrailChanges, actions: [cis]}\n", model.StatusFail, controls.AlarmMissing, ""},
		{"actions disabled", ctFilter(published45), goodTopic + "    alarms:\n      - {name: x, region: us-east-1, metric: CISBenchmark/CloudTrailChanges, actions_enabled: false, actions: [cis]}\n", model.StatusFail, controls.AlarmActionsDisabled, ""},
		{"a malformed action (crashed the collector once)", ctFilter(published45), goodTopic + "    alarms:\n      - {name: x, region: us-east-1, metric: CISBenchmark/CloudTrailChanges, actions: [\"arn:bad\"]}\n", model.StatusFail, controls.AlarmNoTopic, "arn:bad"},
		{"no topic among the actions", ctFilter(published45), goodTopic + "    alarms:\n      - {name: x, region: us-east-1, metric: CISBenchmark/CloudTrailChanges}\n", model.StatusFail, controls.AlarmNoTopic, ""},
		{"topic missing", ctFilter(published45), "    alarms:\n      - {name: x, region: us-east-1, metric: CISBenchmark/CloudTrailChanges, actions: [gone]}\n", model.StatusFail, controls.TopicMissing, "arn:aws:sns:us-east-1:111111111111:gone"},
		{"only a pending email subscription", ctFilter(published45), goodAlarm + "    topics:\n      - {name: cis, region: us-east-1, subscriptions: [{protocol: email, endpoint: a@example.com}]}\n", model.StatusFail, controls.NoConfirmedSubscriber, "1 wait for confirmation"},
		{"topic in another account", ctFilter(published45), "    alarms:\n      - {name: x, region: us-east-1, metric: CISBenchmark/CloudTrailChanges, actions: [\"arn:aws:sns:us-east-1:222222222222:elsewhere\"]}\n", model.StatusError, controls.TopicUnreadable, "AuthorizationError"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := scanAlarms(t, chainScenario(tc.filters, tc.more), "", "111111111111")
			f := r.get(t, cloudtrailChanges, "111111111111")
			if f.Status != tc.status || !strings.Contains(codes(f), tc.code) {
				t.Fatalf("status %s reasons %+v; want %s %s", f.Status, f.Reasons, tc.status, tc.code)
			}
			if tc.msg != "" && !strings.Contains(f.Reasons[0].Message, tc.msg) {
				t.Errorf("message %q lacks %q", f.Reasons[0].Message, tc.msg)
			}
			if len(r.findings) != 3+15 {
				t.Errorf("%d findings, want the 3 pipeline findings and 15 alarm findings", len(r.findings))
			}
		})
	}
}

// TestAlarmChainWholeAndOrganization: the scenario's generated chain passes all 15 items in the management account,
// a member covered by the organization trail is judged on the management account's log group (never failed for not
// seeing it), a member scanned alone is SKIPPED, and a member with its own single-region trail only has no monitored
// trail.
func TestAlarmChainWholeAndOrganization(t *testing.T) {
	const text = `
organization: {id: o-abcdefghij, management_account: "111111111111"}
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: org, home_region: us-east-1, multi_region: true, organization: true, log_group: OrgCT, role: R}
    log_groups:
      - {name: OrgCT, region: us-east-1, retention_days: 365, cis_monitoring: {topic: cis}}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
  - id: "222222222222"
    regions: [us-east-1, eu-west-1]
  - id: "333333333333"
    regions: [us-east-1]
    log_groups:
      - {name: OrgCT, region: us-east-1, cis_monitoring: {topic: cis}}
`
	r := scanAlarms(t, text, "")
	for _, acct := range []string{"111111111111", "222222222222", "333333333333"} {
		for _, it := range alarms.Items {
			f := r.get(t, it.ID, acct)
			if f.Status != model.StatusPass || codes(f) != controls.Monitored {
				t.Errorf("%s %s: %s %+v", acct, it.ID, f.Status, f.Reasons)
			}
			if acct != "111111111111" && !strings.Contains(strings.Join(f.Notes, " "), "log group arn:aws:logs:us-east-1:111111111111:log-group:OrgCT:* in account 111111111111") {
				t.Errorf("%s %s: notes %v do not say where it was judged", acct, it.ID, f.Notes)
			}
		}
	}
	// The member's own same-named group with the whole chain is not the trail's group: it is not what is judged.
	if n := r.srv.CallsTo("logs:DescribeMetricFilters"); n != 1 {
		t.Errorf("DescribeMetricFilters: %d calls, want 1 (the organization trail's group, read once in its owner)", n)
	}

	alone := scanAlarms(t, text, "", "222222222222")
	f := alone.get(t, cloudtrailChanges, "222222222222")
	if f.Status != model.StatusSkipped || codes(f) != controls.OwnedElsewhere {
		t.Errorf("member alone: %s %+v", f.Status, f.Reasons)
	}
}

func TestNoMonitoredTrail(t *testing.T) {
	r := scanAlarms(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: main, home_region: us-east-1, log_group: CT, role: R}
    log_groups:
      - {name: CT, region: us-east-1, cis_monitoring: {}}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
`, "")
	f := r.get(t, cloudtrailChanges, "111111111111")
	if f.Status != model.StatusFail || codes(f) != controls.NoMonitoredTrail || !strings.Contains(f.Reasons[0].Message, "trail/main is single-region") {
		t.Errorf("%s %+v", f.Status, f.Reasons)
	}
}

// TestAlarmReadFailuresAreErrors: a refused read is an ERROR on what it touched, never a FAIL.
func TestAlarmReadFailuresAreErrors(t *testing.T) {
	for _, op := range []string{"logs:DescribeMetricFilters", "cloudwatch:DescribeAlarms"} {
		t.Run(op, func(t *testing.T) {
			text := chainScenario(ctFilter(published45), goodAlarm+goodTopic) + fmt.Sprintf(`
faults:
  - {operation: %q, error: AccessDeniedException}
`, op)
			r := scanAlarms(t, text, "", "111111111111")
			f := r.get(t, cloudtrailChanges, "111111111111")
			if f.Status != model.StatusError || codes(f) != controls.AccessDenied {
				t.Errorf("%s %+v", f.Status, f.Reasons)
			}
		})
	}
}

// TestCISVersionsPickPatterns: a v1.2-era security group filter is whole for v1.4 but misses ModifySecurityGroupRules
// for v5.0; v1.2 numbers the items 3.N and has no Organizations item.
func TestCISVersionsPickPatterns(t *testing.T) {
	v14, _ := alarms.ForVersion("1.4")
	var sg string
	for _, it := range v14 {
		if it.CIS == "4.10" {
			sg = it.Pattern
		}
	}
	text := chainScenario(fmt.Sprintf("          - {name: sg, metric: CIS/SG, pattern: %q}", sg),
		"    alarms:\n      - {name: sg, region: us-east-1, metric: CIS/SG, actions: [cis]}\n"+goodTopic)
	for _, tc := range []struct {
		version string
		status  model.Status
		code    string
	}{{"1.4", model.StatusPass, controls.Monitored}, {"5.0", model.StatusFail, controls.FilterMissesEvents}} {
		r := scanAlarms(t, text, tc.version, "111111111111")
		f := r.get(t, "alarm-security-group-changes", "111111111111")
		if f.Status != tc.status || codes(f) != tc.code {
			t.Errorf("v%s: %s %+v", tc.version, f.Status, f.Reasons)
		}
		if tc.code == controls.FilterMissesEvents && !strings.Contains(f.Reasons[0].Message, "ModifySecurityGroupRules") {
			t.Errorf("v%s: %q does not name ModifySecurityGroupRules", tc.version, f.Reasons[0].Message)
		}
	}
	v12, _ := alarms.ForVersion("1.2")
	if len(v12) != 14 || v12[0].CIS != "3.1" {
		t.Errorf("v1.2 items: %d, first %s", len(v12), v12[0].CIS)
	}
}

// TestAlarmCallBudget: one DescribeMetricFilters per log group, one DescribeAlarms per region with filters, one
// ListSubscriptionsByTopic per topic, and nothing more than the pipeline's own calls.
func TestAlarmCallBudget(t *testing.T) {
	text := `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: tra, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
      - {name: trb, home_region: us-east-1, log_group: CT, role: R}
      - {name: trc, home_region: eu-west-1, log_group: EU, role: R}
    log_groups:
      - {name: CT, region: us-east-1, retention_days: 365, cis_monitoring: {topic: one}}
      - {name: EU, region: eu-west-1, retention_days: 365, cis_monitoring: {topic: two, skip: ["4.1"]}}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
`
	r := scanAlarms(t, text, "")
	want := map[string]int{"logs:DescribeMetricFilters": 2, "cloudwatch:DescribeAlarms": 2, "sns:ListSubscriptionsByTopic": 2}
	for op, n := range want {
		if got := r.srv.CallsTo(op); got != n {
			t.Errorf("%s: %d calls, want %d", op, got, n)
		}
	}
	base := scanScenario(t, text, nil)
	if extra := r.srv.CallsTo("*") - base.srv.CallsTo("*"); extra != 6 {
		t.Errorf("--alarms added %d calls, want 6", extra)
	}
	if n := base.srv.CallsTo("logs:DescribeMetricFilters") + base.srv.CallsTo("cloudwatch:*") + base.srv.CallsTo("sns:*"); n != 0 {
		t.Errorf("without --alarms, %d alarm reads", n)
	}
}

// TestAlarmChainFaultMatrix (issue 23): an account with two monitored trails, "a" whose chain is whole (every item
// PASS) and "b" whose topic has only a pending subscription (every item would FAIL NO_CONFIRMED_SUBSCRIBER on its
// own). A denied, throttled or failing read anywhere on a's chain must make the 15 findings ERROR, never FAIL (the
// unread chain may be the one that monitors the item); the same fault on b's chain leaves them PASS, since a's chain,
// fully read, monitors every item.
func TestAlarmChainFaultMatrix(t *testing.T) {
	const text = `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: tra, home_region: us-east-1, multi_region: true, log_group: CTA, role: RA}
      - {name: trb, home_region: eu-west-1, multi_region: true, log_group: CTB, role: RB}
    log_groups:
      - {name: CTA, region: us-east-1, retention_days: 365, cis_monitoring: {topic: cis}}
      - {name: CTB, region: eu-west-1, retention_days: 365, cis_monitoring: {topic: pend}}
    roles:
      - {name: RA, trust: cloudtrail, policy: cloudtrail-delivery}
      - {name: RB, trust: cloudtrail, policy: cloudtrail-delivery}
    topics:
      - {name: pend, region: eu-west-1, subscriptions: [{protocol: email, endpoint: a@example.com}]}
`
	clean := scanAlarms(t, text, "", "111111111111")
	for _, it := range alarms.Items {
		if f := clean.get(t, it.ID, "111111111111"); f.Status != model.StatusPass {
			t.Fatalf("clean run: %s %s %+v", it.ID, f.Status, f.Reasons)
		}
	}
	// The reads of one trail's chain, by trail (a or b): the resource each read names.
	reads := func(trail, region, group, role, topic string) []string {
		return []string{
			fmt.Sprintf("{operation: 'logs:DescribeMetricFilters', resource: %s", group),
			fmt.Sprintf("{operation: 'cloudwatch:DescribeAlarms', region: %s", region),
			fmt.Sprintf("{operation: 'cloudtrail:GetTrailStatus', resource: %s", trail),
			fmt.Sprintf("{operation: 'logs:DescribeLogGroups', resource: %s", group),
			fmt.Sprintf("{operation: 'iam:GetRole', resource: %s", role),
			fmt.Sprintf("{operation: 'sns:ListSubscriptionsByTopic', resource: 'arn:aws:sns:%s:111111111111:%s'", region, topic),
		}
	}
	errs := map[string][]string{ // per service: denied, throttled for good, failing
		"logs":       {"AccessDeniedException", "ThrottlingException", "ServiceUnavailableException"},
		"cloudwatch": {"AccessDenied", "Throttling", "InternalFailure"},
		"cloudtrail": {"AccessDeniedException", "ThrottlingException", "InternalFailure"},
		"iam":        {"AccessDenied", "Throttling", "ServiceFailure"},
		"sns":        {"AuthorizationError", "Throttled", "InternalError"},
	}
	for _, side := range []struct {
		name  string
		reads []string
		want  model.Status
	}{
		{"ta (the whole chain)", reads("tra", "us-east-1", "CTA", "RA", "cis"), model.StatusError},
		{"tb (the chain with no confirmed subscriber)", reads("trb", "eu-west-1", "CTB", "RB", "pend"), model.StatusPass},
	} {
		for _, rd := range side.reads {
			svc := strings.TrimPrefix(strings.SplitN(rd, ":", 3)[1], " '")
			for _, code := range errs[svc] {
				name := fmt.Sprintf("%s/%s/%s", side.name, strings.Split(rd, "'")[1], code)
				t.Run(name, func(t *testing.T) {
					r := scanAlarms(t, text+fmt.Sprintf("faults:\n  - %s, error: %s}\n", rd, code), "", "111111111111")
					for _, it := range alarms.Items {
						f := r.get(t, it.ID, "111111111111")
						if f.Status != side.want {
							t.Fatalf("%s: %s %+v; want %s", it.ID, f.Status, f.Reasons, side.want)
						}
					}
				})
			}
		}
	}
}

// TestCrossAccountSQSSubscriberWaitsForConfirmation (issue 24): a scenario's SQS subscription to another account's
// queue waits for confirmation, as Subscribe does ("if the endpoint and the topic are not in the same Amazon Web
// Services account, the endpoint owner must run the ConfirmSubscription action"): the chain is
// NO_CONFIRMED_SUBSCRIBER, not MONITORED, and a same-account queue is confirmed at once.
func TestCrossAccountSQSSubscriberWaitsForConfirmation(t *testing.T) {
	for _, tc := range []struct {
		queue string
		code  string
	}{
		{"arn:aws:sqs:us-east-1:222222222222:q", controls.NoConfirmedSubscriber},
		{"arn:aws:sqs:us-east-1:111111111111:q", controls.Monitored},
	} {
		r := scanAlarms(t, chainScenario(ctFilter(published45), goodAlarm+fmt.Sprintf(`    topics:
      - name: cis
        region: us-east-1
        subscriptions: [{protocol: sqs, endpoint: %q}]
`, tc.queue)), "", "111111111111")
		if f := r.get(t, cloudtrailChanges, "111111111111"); codes(f) != tc.code {
			t.Errorf("queue %s: %s %+v, want %s", tc.queue, f.Status, f.Reasons, tc.code)
		}
	}
}
