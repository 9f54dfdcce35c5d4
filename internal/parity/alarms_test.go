package parity

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/scan"
)

// The alarm half of the parity corpus (issue 21, "each alarm chain break"): the CIS chain of item 4.5 (CloudTrail
// configuration changes: metric filter, alarm, SNS topic, subscriber) on the trail's log group, written as a
// simulator scenario, a Terraform root module, a Terraform plan and a CloudFormation template, must give the same
// reason code from every source, with statuses differing only as controls/sources.go's table says.

// published45 is CIS 4.5's published filter pattern (CIS AWS Foundations Benchmark v5.0, 4.5).
const published45 = `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`

const (
	item45     = "alarm-cloudtrail-configuration-changes"
	namespace  = "CISBenchmark"
	metricName = "CloudTrailChanges"
	topicName  = "cis"
	queueName  = "q"
)

// chainDecl is one monitoring chain. Its zero value (with pattern set) is a whole chain: the filter on the trail's
// group, an alarm (Sum >= 1 over one 300 s period) notifying topic "cis", whose one subscriber is an SQS queue of the
// same account (confirmed at once: SNS API reference, Subscribe).
type chainDecl struct {
	pattern     string // "" is no filter
	otherGroup  bool   // the filter is on another log group, "Other"
	noAlarm     bool
	threshold   float64 // 0 is 1
	periods     int     // 0 is 1
	comparison  string  // "" is GreaterThanOrEqualToThreshold
	disabled    bool    // actions_enabled false
	action      string  // "" the declared topic; "none": no action; "undeclared": a topic ARN nobody declares
	sub         string  // "" an SQS queue of the account; "sqs-arn": the same queue named by its ARN; "email"; "none"
	alarmRegion string  // "" the trail's home region
	// thresholdLater: the alarm's threshold is known only at deployment (a variable without a default; in a plan,
	// known after apply).
	thresholdLater bool
	// valueLater: the filter's metric value is known only at deployment.
	valueLater bool
}

func (d *chainDecl) th() float64 {
	if d.threshold == 0 {
		return 1
	}
	return d.threshold
}

func (d *chainDecl) evals() int {
	if d.periods == 0 {
		return 1
	}
	return d.periods
}

func (d *chainDecl) cmp() string {
	if d.comparison == "" {
		return "GreaterThanOrEqualToThreshold"
	}
	return d.comparison
}

func (d *chainDecl) filterGroup() string {
	if d.otherGroup {
		return "Other"
	}
	return group
}

// scenarioFilters is the metric filter list of the trail's log group in a scenario ("" when none is on it).
func (d *chainDecl) scenarioFilters(g string) string {
	if d == nil || d.pattern == "" || d.filterGroup() != g {
		return ""
	}
	return fmt.Sprintf(", metric_filters: [{name: ct-changes, metric: %s/%s, pattern: %q}]", namespace, metricName, d.pattern)
}

func (d *chainDecl) scenario(b *strings.Builder, c pcase) {
	if d == nil {
		return
	}
	if d.otherGroup {
		fmt.Fprintf(b, "      - {name: Other, region: %s, retention_days: 365%s}\n", c.home(), d.scenarioFilters("Other"))
	}
	region := c.home()
	if d.alarmRegion != "" {
		region = d.alarmRegion
	}
	if !d.noAlarm {
		fmt.Fprintf(b, "    alarms:\n      - {name: ct-changes, region: %s, metric: %s/%s, threshold: %v, evaluation_periods: %d, comparison: %s, actions_enabled: %v, actions: [%s]}\n",
			region, namespace, metricName, d.th(), d.evals(), d.cmp(), !d.disabled, d.scenarioAction(c, region))
	}
	fmt.Fprintf(b, "    topics:\n      - {name: %s, region: %s, subscriptions: [%s]}\n", topicName, region, d.scenarioSub(c, region))
}

func (d *chainDecl) scenarioAction(c pcase, region string) string {
	switch d.action {
	case "none":
		return ""
	case "undeclared":
		return fmt.Sprintf("%q", fmt.Sprintf("arn:%s:sns:%s:%s:gone", c.part(), region, account))
	}
	return topicName
}

func (d *chainDecl) scenarioSub(c pcase, region string) string {
	switch d.sub {
	case "none":
		return ""
	case "email":
		return "{protocol: email, endpoint: sec@example.com}"
	}
	return fmt.Sprintf("{protocol: sqs, endpoint: %q}", fmt.Sprintf("arn:%s:sqs:%s:%s:%s", c.part(), region, account, queueName))
}

func (d *chainDecl) terraform(b *strings.Builder, c pcase) {
	if d == nil {
		return
	}
	provider := ""
	if d.alarmRegion != "" {
		fmt.Fprintf(b, "provider \"aws\" {\n  alias = \"alarms\"\n  region = %q\n}\n", d.alarmRegion)
		provider = "  provider = aws.alarms\n"
	}
	groupRef := "aws_cloudwatch_log_group.trail.name"
	if d.otherGroup {
		b.WriteString("resource \"aws_cloudwatch_log_group\" \"other\" {\n  name = \"Other\"\n  retention_in_days = 365\n}\n")
		groupRef = "aws_cloudwatch_log_group.other.name"
	}
	if d.pattern != "" {
		value := `"1"`
		if d.valueLater {
			b.WriteString("variable \"value\" {}\n")
			value = "var.value"
		}
		fmt.Fprintf(b, "resource \"aws_cloudwatch_log_metric_filter\" \"ct\" {\n  name = \"ct-changes\"\n  log_group_name = %s\n  pattern = %q\n  metric_transformation {\n    name = %q\n    namespace = %q\n    value = %s\n  }\n}\n",
			groupRef, d.pattern, metricName, namespace, value)
	}
	if !d.noAlarm {
		actions := "[aws_sns_topic.cis.arn]"
		switch d.action {
		case "none":
			actions = "[]"
		case "undeclared":
			actions = `["arn:${data.aws_partition.current.partition}:sns:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:gone"]`
		}
		threshold := fmt.Sprint(d.th())
		if d.thresholdLater {
			b.WriteString("variable \"threshold\" {}\n")
			threshold = "var.threshold"
		}
		fmt.Fprintf(b, "resource \"aws_cloudwatch_metric_alarm\" \"ct\" {\n%s  alarm_name = \"ct-changes\"\n  namespace = %q\n  metric_name = %q\n  statistic = \"Sum\"\n  comparison_operator = %q\n  threshold = %s\n  period = 300\n  evaluation_periods = %d\n  actions_enabled = %v\n  alarm_actions = %s\n}\n",
			provider, namespace, metricName, d.cmp(), threshold, d.evals(), !d.disabled, actions)
	}
	fmt.Fprintf(b, "resource \"aws_sns_topic\" \"cis\" {\n%s  name = %q\n}\n", provider, topicName)
	switch d.sub {
	case "none":
	case "sqs-arn":
		fmt.Fprintf(b, "resource \"aws_sns_topic_subscription\" \"cis\" {\n%s  topic_arn = aws_sns_topic.cis.arn\n  protocol = \"sqs\"\n  endpoint = \"arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:%s\"\n}\n", provider, queueName)
	case "email":
		fmt.Fprintf(b, "resource \"aws_sns_topic_subscription\" \"cis\" {\n%s  topic_arn = aws_sns_topic.cis.arn\n  protocol = \"email\"\n  endpoint = \"sec@example.com\"\n}\n", provider)
	default:
		fmt.Fprintf(b, "resource \"aws_sqs_queue\" \"q\" {\n%s  name = %q\n}\n", provider, queueName)
		fmt.Fprintf(b, "resource \"aws_sns_topic_subscription\" \"cis\" {\n%s  topic_arn = aws_sns_topic.cis.arn\n  protocol = \"sqs\"\n  endpoint = aws_sqs_queue.q.arn\n}\n", provider)
	}
}

// plan adds the chain's resource changes as `terraform show -json` prints them for terraform()'s configuration: what
// the apply computes (the topic's and the queue's ARNs, and what refers to them) is in after_unknown, with the
// configuration's references beside it. It returns the configuration's resources.
func (d *chainDecl) plan(c pcase, add func(typ, name string, after, unknown map[string]any)) []any {
	ref := func(addr string, exprs map[string][]string) map[string]any {
		typ, name, _ := strings.Cut(addr, ".")
		e := map[string]any{}
		for attr, refs := range exprs {
			e[attr] = map[string]any{"references": refs}
		}
		return map[string]any{"address": addr, "mode": "managed", "type": typ, "name": name, "expressions": e}
	}
	topicRefs := []string{"aws_sns_topic.cis.arn", "aws_sns_topic.cis"}
	var config []any
	if d.otherGroup {
		add("aws_cloudwatch_log_group", "other", map[string]any{"name": "Other", "retention_in_days": 365}, map[string]any{"arn": true})
	}
	if d.pattern != "" {
		mt, mtUnknown := map[string]any{"name": metricName, "namespace": namespace, "value": "1", "default_value": nil, "dimensions": nil, "unit": "None"}, map[string]any{}
		if d.valueLater {
			delete(mt, "value")
			mtUnknown["value"] = true
		}
		add("aws_cloudwatch_log_metric_filter", "ct", map[string]any{"name": "ct-changes", "log_group_name": d.filterGroup(), "pattern": d.pattern,
			"metric_transformation": []any{mt}},
			map[string]any{"id": true, "metric_transformation": []any{mtUnknown}})
	}
	if !d.noAlarm {
		after := map[string]any{"alarm_name": "ct-changes", "namespace": namespace, "metric_name": metricName, "statistic": "Sum",
			"comparison_operator": d.cmp(), "threshold": d.th(), "period": 300, "evaluation_periods": d.evals(), "actions_enabled": !d.disabled,
			"dimensions": nil, "metric_query": []any{}, "datapoints_to_alarm": nil}
		unknown := map[string]any{"arn": true, "id": true, "metric_query": []any{}}
		if d.thresholdLater {
			delete(after, "threshold")
			unknown["threshold"] = true
		}
		switch d.action {
		case "none":
			after["alarm_actions"] = []any{}
		case "undeclared":
			after["alarm_actions"] = []any{c.values("arn:{P}:sns:{R}:{A}:gone")}
		default:
			// A list holding one value known only after apply: null in after, true in after_unknown.
			after["alarm_actions"] = []any{nil}
			unknown["alarm_actions"] = []any{true}
			config = append(config, ref("aws_cloudwatch_metric_alarm.ct", map[string][]string{"alarm_actions": topicRefs}))
		}
		add("aws_cloudwatch_metric_alarm", "ct", after, unknown)
	}
	add("aws_sns_topic", "cis", map[string]any{"name": topicName}, map[string]any{"arn": true, "id": true})
	switch d.sub {
	case "none":
	case "sqs-arn":
		// Computed from the data sources at plan time: known in the plan.
		add("aws_sns_topic_subscription", "cis", map[string]any{"protocol": "sqs", "endpoint": c.values("arn:{P}:sqs:{R}:{A}:" + queueName)}, map[string]any{"arn": true, "id": true, "topic_arn": true})
		config = append(config, ref("aws_sns_topic_subscription.cis", map[string][]string{"topic_arn": topicRefs}))
	case "email":
		add("aws_sns_topic_subscription", "cis", map[string]any{"protocol": "email", "endpoint": "sec@example.com"}, map[string]any{"arn": true, "id": true, "topic_arn": true})
		config = append(config, ref("aws_sns_topic_subscription.cis", map[string][]string{"topic_arn": topicRefs}))
	default:
		add("aws_sqs_queue", "q", map[string]any{"name": queueName}, map[string]any{"arn": true, "id": true, "url": true})
		add("aws_sns_topic_subscription", "cis", map[string]any{"protocol": "sqs"}, map[string]any{"arn": true, "id": true, "topic_arn": true, "endpoint": true})
		config = append(config, ref("aws_sns_topic_subscription.cis", map[string][]string{"topic_arn": topicRefs, "endpoint": {"aws_sqs_queue.q.arn", "aws_sqs_queue.q"}}))
	}
	return config
}

func (d *chainDecl) cloudFormation(resources map[string]any, doc func(string) any) {
	if d == nil {
		return
	}
	groupName := any(map[string]any{"Ref": "LogGroup"})
	if d.otherGroup {
		resources["Other"] = map[string]any{"Type": "AWS::Logs::LogGroup", "Properties": map[string]any{"LogGroupName": "Other", "RetentionInDays": 365}}
		groupName = map[string]any{"Ref": "Other"}
	}
	if d.pattern != "" {
		resources["Filter"] = map[string]any{"Type": "AWS::Logs::MetricFilter", "Properties": map[string]any{"FilterName": "ct-changes", "LogGroupName": groupName,
			"FilterPattern": d.pattern, "MetricTransformations": []any{map[string]any{"MetricName": metricName, "MetricNamespace": namespace, "MetricValue": "1"}}}}
	}
	if !d.noAlarm {
		props := map[string]any{"AlarmName": "ct-changes", "Namespace": namespace, "MetricName": metricName, "Statistic": "Sum",
			"ComparisonOperator": d.cmp(), "Threshold": d.th(), "Period": 300, "EvaluationPeriods": d.evals(), "ActionsEnabled": !d.disabled}
		switch d.action {
		case "none":
		case "undeclared":
			props["AlarmActions"] = []any{map[string]any{"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:gone"}}
		default:
			props["AlarmActions"] = []any{map[string]any{"Ref": "Topic"}}
		}
		resources["Alarm"] = map[string]any{"Type": "AWS::CloudWatch::Alarm", "Properties": props}
	}
	resources["Topic"] = map[string]any{"Type": "AWS::SNS::Topic", "Properties": map[string]any{"TopicName": topicName}}
	switch d.sub {
	case "none":
	case "sqs-arn":
		resources["Subscription"] = map[string]any{"Type": "AWS::SNS::Subscription", "Properties": map[string]any{"TopicArn": map[string]any{"Ref": "Topic"}, "Protocol": "sqs",
			"Endpoint": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:" + queueName}}}
	case "email":
		resources["Subscription"] = map[string]any{"Type": "AWS::SNS::Subscription", "Properties": map[string]any{"TopicArn": map[string]any{"Ref": "Topic"}, "Protocol": "email", "Endpoint": "sec@example.com"}}
	default:
		resources["Queue"] = map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{"QueueName": queueName}}
		resources["Subscription"] = map[string]any{"Type": "AWS::SNS::Subscription", "Properties": map[string]any{"TopicArn": map[string]any{"Ref": "Topic"}, "Protocol": "sqs",
			"Endpoint": map[string]any{"Fn::GetAtt": []string{"Queue", "Arn"}}}}
	}
}

// acase is one chain configuration: want is item 4.5's reason code from every source, written by hand from the
// chain's documented semantics (CloudWatch alarm evaluation, SNS subscription confirmation), not computed; status is
// the live status, iacStatus the status before deployment ("": the same). iacWant, when set, is the code before
// deployment where the configuration cannot know what the account shows (a topic it does not declare); only lists
// the sources that cannot express the case, with why.
type acase struct {
	name              string
	trail             pcase
	chain             chainDecl
	want              string
	status, iacStatus model.Status
	iacWant           string
	only              []string
}

var healthy = pcase{multi: true, inline: console}

func broken(inline string) pcase { return pcase{multi: true, inline: inline} }

var alarmCorpus = []acase{
	{name: "whole chain", trail: healthy, chain: chainDecl{pattern: published45}, want: controls.Monitored, status: model.StatusPass},
	{name: "whole chain, the template's group ARN written with !Sub", trail: pcase{multi: true, inline: console, subARN: true}, chain: chainDecl{pattern: published45}, want: controls.Monitored, status: model.StatusPass,
		only: []string{"cloudformation"}}, // field trial: every alarm item failed NO_MONITORED_TRAIL
	{name: "whole chain, the queue named by its ARN", trail: healthy, chain: chainDecl{pattern: published45, sub: "sqs-arn"}, want: controls.Monitored, status: model.StatusPass},
	{name: "pattern reordered and requoted", trail: healthy, chain: chainDecl{pattern: `{($.eventName="StopLogging")||($.eventName="StartLogging")||($.eventName="DeleteTrail")||($.eventName="UpdateTrail")||($.eventName="CreateTrail")}`}, want: controls.Monitored, status: model.StatusPass},
	{name: "filter misses an event", trail: healthy, chain: chainDecl{pattern: `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) }`}, want: controls.FilterMissesEvents, status: model.StatusFail},
	{name: "filter narrowed by an exclusion", trail: healthy, chain: chainDecl{pattern: `{ (($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging)) && ($.userIdentity.type != "AssumedRole") }`}, want: controls.FilterNarrowed, status: model.StatusWarn},
	{name: "no filter", trail: healthy, chain: chainDecl{}, want: controls.FilterMissing, status: model.StatusFail},
	{name: "filter about something else", trail: healthy, chain: chainDecl{pattern: `{ $.eventName = ConsoleLogin }`}, want: controls.FilterMissing, status: model.StatusFail},
	{name: "filter on another log group", trail: healthy, chain: chainDecl{pattern: published45, otherGroup: true}, want: controls.FilterMissing, status: model.StatusFail},
	{name: "no alarm", trail: healthy, chain: chainDecl{pattern: published45, noAlarm: true}, want: controls.AlarmMissing, status: model.StatusFail},
	{name: "alarm threshold above one event", trail: healthy, chain: chainDecl{pattern: published45, threshold: 5}, want: controls.AlarmCannotFire, status: model.StatusFail},
	{name: "alarm needs two periods", trail: healthy, chain: chainDecl{pattern: published45, periods: 2}, want: controls.AlarmCannotFire, status: model.StatusFail},
	// Whether the alarm fires depends on a value known only at deployment (it was judged as 0: PASS): unknown there.
	// CloudFormation's case (a parameter without a default) is held by the iac command's tests.
	{name: "alarm threshold known only at deployment", trail: healthy, chain: chainDecl{pattern: published45, thresholdLater: true}, want: controls.ValueUnknown, status: model.StatusUnknown,
		only: []string{"terraform", "plan"}}, // a live alarm always has its threshold
	{name: "filter value known only at deployment", trail: healthy, chain: chainDecl{pattern: published45, valueLater: true}, want: controls.ValueUnknown, status: model.StatusUnknown,
		only: []string{"terraform", "plan"}}, // it was taken as 1: PASS
	{name: "alarm compares downwards", trail: healthy, chain: chainDecl{pattern: published45, comparison: "LessThanThreshold"}, want: controls.AlarmCannotFire, status: model.StatusFail},
	{name: "alarm actions disabled", trail: healthy, chain: chainDecl{pattern: published45, disabled: true}, want: controls.AlarmActionsDisabled, status: model.StatusFail},
	{name: "alarm without actions", trail: healthy, chain: chainDecl{pattern: published45, action: "none"}, want: controls.AlarmNoTopic, status: model.StatusFail},
	{name: "alarm in another region", trail: healthy, chain: chainDecl{pattern: published45, alarmRegion: "eu-west-1"}, want: controls.AlarmMissing, status: model.StatusFail,
		only: []string{"live", "terraform"}}, // a template deploys to one region; a plan's resources carry no region
	{name: "topic nobody declares", trail: healthy, chain: chainDecl{pattern: published45, action: "undeclared"}, want: controls.TopicMissing, status: model.StatusFail,
		iacWant: controls.TopicUnreadable, iacStatus: model.StatusUnknown}, // declared elsewhere, or nowhere: known only in the account
	{name: "topic without subscriber", trail: healthy, chain: chainDecl{pattern: published45, sub: "none"}, want: controls.NoConfirmedSubscriber, status: model.StatusFail,
		iacWant: controls.ConfirmationUnknown, iacStatus: model.StatusUnknown}, // subscribers are often added outside the configuration (an email cannot be confirmed by it)
	{name: "only an email subscriber", trail: healthy, chain: chainDecl{pattern: published45, sub: "email"}, want: controls.NoConfirmedSubscriber, status: model.StatusFail,
		iacWant: controls.ConfirmationUnknown, iacStatus: model.StatusUnknown}, // a person confirms after the apply
	{name: "trail's role cannot write", trail: broken(allow(both, "arn:{P}:logs:{R}:{A}:log-group:Other:*")), chain: chainDecl{pattern: published45}, want: controls.NoMonitoredTrail, status: model.StatusFail},
	{name: "trail's role not trusted", trail: pcase{multi: true, inline: console, trust: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}, chain: chainDecl{pattern: published45}, want: controls.NoMonitoredTrail, status: model.StatusFail},
	{name: "single-region trail", trail: pcase{inline: console}, chain: chainDecl{pattern: published45}, want: controls.NoMonitoredTrail, status: model.StatusFail},
}

func alarmCodes(f model.Finding) string {
	var out []string
	for _, r := range f.Reasons {
		out = append(out, r.Code)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestAlarmParityCorpus(t *testing.T) {
	items, err := alarms.ForVersion("")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := controls.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alarmCorpus {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			c := a.trail
			c.name = a.name
			chain := a.chain
			c.chain = &chain
			if runsIn(a.only, "live") {
				f := liveAlarm(t, cat, items, c)
				if got := alarmCodes(f); got != a.want || f.Status != a.status {
					t.Errorf("live: %s %q, want %s %q\n%+v\n%s", f.Status, got, a.status, a.want, f.Reasons, scenarioOf(c))
				}
			}
			want, status := a.want, a.status
			if a.iacWant != "" {
				want = a.iacWant
			}
			if a.iacStatus != "" {
				status = a.iacStatus
			}
			for _, src := range []source{
				{"terraform", "main.tf", terraformOf(c)},
				{"plan", "plan.json", planOf(c)},
				{"cloudformation", "template.json", cloudFormationOf(c)},
			} {
				if !runsIn(a.only, src.kind) {
					continue
				}
				res := oneTrail(t, src)
				f := finding(t, scan.IaC(cat, res, controls.IaCSettings{MinRetentionDays: 365, Now: time.Now()}, 365, items), item45)
				if got := alarmCodes(f); got != want || f.Status != status {
					t.Errorf("%s: %s %q, want %s %q\n%+v\n%s", src.kind, f.Status, got, status, want, f.Reasons, src.text)
				}
			}
		})
	}
}

// liveAlarm serves the case as a scenario, scans it through the real SDK with the alarm family on, and returns item
// 4.5's finding.
func liveAlarm(t *testing.T, cat *controls.Catalog, items []alarms.Item, c pcase) model.Finding {
	t.Helper()
	_, fs := liveScan(t, cat, c.name, scenarioOf(c), c.home(), items)
	return finding(t, fs, item45)
}
