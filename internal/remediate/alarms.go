package remediate

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/partition"
	"github.com/trailwatch/trailwatch/internal/redact"
)

// Actions of the alarm fixes, and their undo.
const (
	PutMetricFilter     = "PutMetricFilter"
	PutMetricAlarm      = "PutMetricAlarm"
	EnableAlarmActions  = "EnableAlarmActions"
	CreateTopic         = "CreateTopic"
	Subscribe           = "Subscribe"
	DeleteMetricFilter  = "DeleteMetricFilter"
	DeleteAlarms        = "DeleteAlarms"
	DisableAlarmActions = "DisableAlarmActions"
	DeleteTopic         = "DeleteTopic"
)

// AlarmNamespace is the metric namespace of the filters trailwatch creates, as the CIS remediation text uses.
const AlarmNamespace = "CISBenchmark"

// DefaultAlarmTopic names the topic trailwatch creates when no --alarm-topic is given.
const DefaultAlarmTopic = "trailwatch-cis-alarms"

var accountRe = regexp.MustCompile(`^[0-9]{12}$`)

// CheckNotify validates a --notify endpoint: email:ADDRESS, sqs:ARN, lambda:ARN, or an https:// (http://) URL.
// topicNameRe is an SNS topic name: "uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and
// must be between 1 and 256 characters long", a FIFO topic's ending in ".fifo" (SNS API reference, CreateTopic Name).
var topicNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// CheckTopicARN says what is wrong with an SNS topic ARN given for flag (--alarm-topic), naming the part to fix.
func CheckTopicARN(flag, s string) error {
	const want = "want an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
	a, ok := awsarn.Parse(s)
	switch {
	case !ok:
		return fmt.Errorf("%s %q: not an ARN: %s", flag, s, want)
	case a.Service != "sns":
		return fmt.Errorf("%s %q: the service is %q, not sns: %s", flag, s, a.Service, want)
	case a.Region == "":
		return fmt.Errorf("%s %q: no region: %s", flag, s, want)
	case !accountRe.MatchString(a.AccountID):
		return fmt.Errorf("%s %q: the account %q is not 12 digits: %s", flag, s, a.AccountID, want)
	case !topicNameRe.MatchString(strings.TrimSuffix(a.Resource, ".fifo")):
		return fmt.Errorf("%s %q: the topic name %q may hold only letters, digits, '_' and '-' (1 to 256; a FIFO topic's ends in .fifo): %s", flag, s, a.Resource, want)
	}
	if err := partition.CheckRegion(fmt.Sprintf("%s %q: region", flag, s), a.Region); err != nil {
		return err
	}
	if p := partition.OfRegion(a.Region); p.Name != a.Partition {
		return fmt.Errorf("%s %q: region %s is in partition %s, not %s", flag, s, a.Region, p.Name, a.Partition)
	}
	return nil
}

func CheckNotify(n string) error {
	_, _, err := SplitNotify(n)
	return err
}

// shownNotify is a --notify value as an error may show it: a URL by its scheme and host, anything with a path up to
// it (a webhook's path or query may carry its secret, whatever its spelling).
func shownNotify(n string) string {
	if u, err := url.Parse(n); err == nil && u.Host != "" {
		return redact.URL(n)
	}
	if i := strings.IndexAny(n, "/?#"); i >= 0 {
		return n[:i] + "/..."
	}
	return n
}

// SplitNotify splits a --notify value into the SNS protocol and endpoint: PROTOCOL:ENDPOINT, or an http(s) URL on its
// own. An http(s) endpoint is never repeated whole in an error: its path may carry a webhook's secret.
func SplitNotify(n string) (proto, ep string, err error) {
	if l := strings.ToLower(n); strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") {
		// A URL's scheme is case-insensitive (RFC 3986 3.1); SNS's protocol names are lower case.
		proto, _, _ = strings.Cut(l, ":")
		return proto, n, nil
	}
	proto, ep, ok := strings.Cut(n, ":")
	shown := shownNotify(n) // review: a malformed value was echoed whole, path and all
	if proto == "https" || proto == "http" {
		shown = proto + ":" + redact.URL(ep)
	}
	if !ok || ep == "" {
		return "", "", fmt.Errorf("--notify %q: want email:ADDRESS, sqs:QUEUE_ARN, lambda:FUNCTION_ARN or an https:// URL", shown)
	}
	switch proto {
	case "email", "email-json":
		if !strings.Contains(ep, "@") {
			return "", "", fmt.Errorf("--notify %q: %q is not an email address", shown, shownNotify(ep))
		}
	case "sqs", "lambda", "firehose":
		// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (lambda: function:NAME; firehose: deliverystream/NAME).
		a, ok := awsarn.Parse(ep)
		if !ok || a.Service != proto || a.Region == "" || !accountRe.MatchString(a.AccountID) || a.Resource == "" ||
			(proto == "lambda" && !strings.HasPrefix(a.Resource, "function:")) || (proto == "firehose" && !strings.HasPrefix(a.Resource, "deliverystream/")) {
			return "", "", fmt.Errorf("--notify %q: want the %s ARN (%s)", shown, proto, map[string]string{
				"sqs": "arn:aws:sqs:REGION:ACCOUNT:QUEUE", "lambda": "arn:aws:lambda:REGION:ACCOUNT:function:NAME",
				"firehose": "arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME"}[proto])
		}
	case "https", "http":
		if !strings.HasPrefix(ep, proto+"://") {
			return "", "", fmt.Errorf("--notify %q: want a URL starting %s://", shown, proto)
		}
	default:
		return "", "", fmt.Errorf("--notify %q: protocol %q: want email, email-json, sqs, lambda, firehose, http or https", shown, proto)
	}
	return proto, ep, nil
}

// planAlarms adds the steps that complete each failing alarm chain, in the account and region that own the monitored
// trail's log group. What exists and works is reused (a filter that covers the item, an alarm on its metric); what the
// user owns is changed only by enabling its actions or adding the topic to them; the rest is created.
func planAlarms(p *Plan, inv *model.Inventory, findings []model.Finding, o Options, done map[string]string) {
	if len(o.Alarms) == 0 {
		return
	}
	var each []model.Finding
	for _, f := range findings {
		if !controls.IsAlarmControl(f.ControlID) || f.Status != model.StatusFail {
			continue
		}
		each = append(each, f)
		if f.Evidence != nil && f.Evidence.Chain != nil {
			// The item's other broken chains (a telemetry rule's group in each region): each is completed too.
			for _, ev := range f.Evidence.Chain.Also {
				g := f
				g.Evidence = &model.Evidence{Chain: ev}
				each = append(each, g)
			}
		}
	}
	for _, f := range each {
		if f.Evidence == nil || f.Evidence.Chain == nil {
			// Never skipped without a word (field trial: with the monitored trail stopped, fix apply --alarms planned
			// nothing for the items, said "0 refused", and they still failed after).
			why := "its alarm chain is not in the findings (a report written before chain evidence): scan again with --alarms"
			if slices.ContainsFunc(f.Reasons, func(r model.Reason) bool { return r.Code == controls.NoMonitoredTrail }) {
				why = "no monitored trail: fix cloudtrail-cloudwatch-integration (a multi-region trail logging all management events) first, then plan the alarms again"
			}
			p.Refused = append(p.Refused, Refusal{ResourceID: f.ID, AccountID: f.AccountID, Reason: why})
			continue
		}
		c, ok := chainOf(inv, f, o.Alarms)
		if !ok {
			continue // an item of another CIS version than the plan's
		}
		if c.LogGroup == nil || c.Code == controls.NoMonitoredTrail {
			p.Refused = append(p.Refused, Refusal{ResourceID: f.ID, AccountID: f.AccountID,
				Reason: "no monitored trail: fix cloudtrail-cloudwatch-integration (a multi-region trail logging all management events) first"})
			continue
		}
		if len(o.Accounts) > 0 && !slices.Contains(o.Accounts, c.Owner) {
			continue
		}
		if o.Excluded != nil {
			if ex, why := o.Excluded(f.ID); ex {
				p.Refused = append(p.Refused, Refusal{ResourceID: f.ID, AccountID: f.AccountID, Reason: "excluded by an exception: " + why, Excepted: true})
				continue
			}
		}
		steps := alarmSteps(c, o)
		if len(o.Notify) == 0 && slices.ContainsFunc(steps, func(s Step) bool { return s.Action == CreateTopic }) {
			w := fmt.Sprintf("account %s, %s: the plan creates an SNS topic but no --notify endpoint is given, so nobody receives the alarms and the items stay NO_CONFIRMED_SUBSCRIBER (and a rollout's gate stops on them); add --notify sqs:QUEUE_ARN or email:ADDRESS, or --alarm-topic", c.Owner, c.Region)
			if !slices.Contains(p.Warnings, w) {
				p.Warnings = append(p.Warnings, w)
			}
		}
		for _, s := range steps {
			key := alarmStepKey(s)
			if _, dup := done[key]; dup {
				continue // an organization trail's group serves every member: fixed once
			}
			done[key] = s.ResourceID
			p.Steps = append(p.Steps, s)
		}
	}
	if len(o.Notify) > 0 && HasAlarmSteps(p) && !slices.ContainsFunc(p.Steps, func(s Step) bool { return s.Action == Subscribe }) {
		// Field trial: --notify was dropped without a word.
		p.Warnings = append(p.Warnings, "--notify is not subscribed anywhere: every alarm topic the plan uses already has a confirmed subscriber (subscribe it by hand, or name a topic of its own with --alarm-topic)")
	}
}

// chainOf rebuilds the chain behind an alarm finding from its evidence: the item, the stage that broke, and the
// inventory's log group, monitored trail, filter, alarm and the owner's topics that the evidence names. A finding
// without chain evidence (read from a report written before evidence existed) has no chain: no step is planned for it.
func chainOf(inv *model.Inventory, f model.Finding, items []alarms.Item) (controls.AlarmChain, bool) {
	var c controls.AlarmChain
	ev := f.Evidence
	if ev == nil || ev.Chain == nil {
		return c, false
	}
	i := slices.IndexFunc(items, func(it alarms.Item) bool { return it.ID == f.ControlID })
	if i < 0 {
		return c, false
	}
	c.Item, c.Code = items[i], ev.Chain.Stage
	g, ok := awsarn.ParseLogGroup(ev.Chain.LogGroup)
	if !ok {
		return c, true // no monitored trail: planAlarms refuses it
	}
	for _, a := range inv.Accounts {
		if a.ID != g.Account {
			continue
		}
		for _, t := range a.Trails {
			if lg := t.LogGroup; lg != nil && !t.OwnedElsewhere && (lg.ARN == ev.Chain.LogGroup || t.LogGroupARN == ev.Chain.LogGroup) {
				c.Owner, c.Region, c.LogGroup, c.Trail = a.ID, lg.Region, lg, t
				break
			}
		}
		if c.LogGroup == nil && a.Telemetry != nil {
			// A group a CloudWatch telemetry rule delivers to (issue 26).
			for _, r := range a.Telemetry.Rules {
				if lg := r.Groups[g.Region]; lg != nil && lg.ARN == ev.Chain.LogGroup && c.LogGroup == nil {
					c.Owner, c.Region, c.LogGroup = a.ID, lg.Region, lg
					c.Trail = &model.Trail{ARN: r.ARN, Name: r.Name, HomeRegion: g.Region, LogGroupARN: lg.ARN, LogGroup: lg}
				}
			}
		}
		if c.LogGroup == nil {
			return c, true
		}
		for j := range c.LogGroup.MetricFilters {
			if mf := &c.LogGroup.MetricFilters[j]; ev.Chain.Filter != "" && mf.Name == ev.Chain.Filter {
				c.Filter = mf
			}
		}
		if m := a.Monitoring; m != nil {
			c.Topics = m.Topics
			for _, al := range m.Alarms {
				if ev.Chain.Alarm != "" && al.Name == ev.Chain.Alarm && al.Region == c.Region {
					c.Alarm = al
				}
			}
		}
	}
	return c, true
}

func alarmStepKey(s Step) string {
	name := ""
	switch p := s.Params.(type) {
	case PutMetricFilterInput:
		name = p.FilterName + "|"
	case PutMetricAlarmInput:
		name = p.AlarmName + "|"
	case CreateTopicInput:
		name = p.Name + "|"
	case EnableAlarmActionsInput:
		name = strings.Join(p.AlarmNames, ",") + "|" // one step an alarm (review: a second one was dropped as the same)
	case SubscribeInput:
		name = p.TopicArn + "|" + p.Protocol + ":" + p.Endpoint
	}
	return s.AccountID + "|" + s.Region + "|" + s.Action + "|" + name
}

// alarmSteps are the calls that complete one chain.
func alarmSteps(c controls.AlarmChain, o Options) []Step {
	it, owner, region, group := c.Item, c.Owner, c.Region, c.LogGroup.Name
	rid := fmt.Sprintf("%s/%s", c.LogGroup.ARN, it.ID) // the log group and item the steps serve
	part := awsarn.Partition(c.LogGroup.ARN)
	var steps []Step
	add := func(why string, p Params, undo *Call) {
		s := newStep(owner, region, rid, why, p)
		s.Undo = undo
		steps = append(steps, s)
	}
	topic := o.AlarmTopic
	topicSteps := func() {
		if topic != "" {
			return
		}
		// A topic the account's alarms already notify, in this region, with a confirmed subscriber: reuse it.
		var known []string
		for topicARN, t := range c.Topics {
			if a, err := arn.Parse(topicARN); err == nil && t.Exists && t.Confirmed > 0 && a.Service == "sns" && a.Region == region && a.AccountID == owner {
				known = append(known, topicARN)
			}
		}
		if len(known) > 0 {
			slices.Sort(known)
			topic = known[0]
			return
		}
		topic = awsarn.Topic(part, region, owner, DefaultAlarmTopic)
		if t := c.Topics[topic]; t != nil && t.Exists {
			return
		}
		add("a topic for the CIS alarms", CreateTopicInput{Name: DefaultAlarmTopic, Tags: map[string]string{"managed-by": "trailwatch"}},
			call(DeleteTopicInput{TopicArn: topic}))
	}
	subscribe := func(topicARN string) {
		for _, n := range o.Notify {
			proto, ep, _ := SplitNotify(n) // checked when the options were
			add("a subscriber for the alarms ("+proto+")", SubscribeInput{TopicArn: topicARN, Protocol: proto, Endpoint: ep}, nil)
		}
	}
	// alarmTopics makes the existing alarm's first SNS topic one with a subscriber: created again when it is gone,
	// subscribed to (--notify) when nobody has confirmed.
	alarmTopics := func() {
		for _, act := range c.Alarm.Actions {
			t := c.Topics[act]
			if _, isARN := awsarn.Parse(act); t == nil || !isARN {
				continue
			}
			if t.Exists && t.Confirmed > 0 {
				return
			}
			if !t.Exists {
				name := act[strings.LastIndex(act, ":")+1:]
				add("the alarm's topic does not exist", CreateTopicInput{Name: name, Tags: map[string]string{"managed-by": "trailwatch"}},
					call(DeleteTopicInput{TopicArn: act}))
			}
			subscribe(act)
			return
		}
	}
	newAlarm := func(ns, metric string) {
		topicSteps()
		params := PutMetricAlarmInput{AlarmName: it.ID, AlarmDescription: fmt.Sprintf("CIS %s %s (trailwatch)", it.CIS, it.Title),
			Namespace: ns, MetricName: metric, Statistic: "Sum", Period: 300, EvaluationPeriods: 1, DatapointsToAlarm: 1,
			Threshold: 1.0, ComparisonOperator: "GreaterThanOrEqualToThreshold", TreatMissingData: "notBreaching",
			ActionsEnabled: true, AlarmActions: []string{topic}}
		undo := call(DeleteAlarmsInput{AlarmNames: []string{it.ID}})
		if c.Alarm != nil && c.Alarm.Name == it.ID {
			undo = call(alarmParams(c.Alarm)) // replaced: put the old one back
		}
		add("an alarm that fires on one matching event (Sum >= 1 over 5 minutes)", params, undo)
		subscribeIfNew(c, topic, subscribe)
	}
	switch c.Code {
	case controls.FilterMissing, controls.FilterMissesEvents:
		// A filter of trailwatch's own with the published pattern; the user's filters are left as they are.
		metric := strings.TrimPrefix(it.ID, "alarm-")
		undo := call(DeleteMetricFilterInput{LogGroupName: group, FilterName: it.ID})
		if c.Filter != nil && c.Filter.Name == it.ID {
			undo = call(filterParams(group, c.Filter))
		}
		add(fmt.Sprintf("a metric filter with CIS %s's published pattern", it.CIS),
			PutMetricFilterInput{LogGroupName: group, FilterName: it.ID, FilterPattern: it.Pattern,
				MetricTransformations: []MetricTransformation{{MetricName: metric, MetricNamespace: AlarmNamespace, MetricValue: "1"}}}, undo)
		newAlarm(AlarmNamespace, metric)
	case controls.AlarmMissing, controls.AlarmCannotFire:
		if c.Filter != nil {
			newAlarm(c.Filter.Namespace, c.Filter.Metric)
		}
	case controls.AlarmActionsDisabled:
		if c.Alarm != nil {
			add("the alarm's actions are disabled", EnableAlarmActionsInput{AlarmNames: []string{c.Alarm.Name}},
				call(DisableAlarmActionsInput{AlarmNames: []string{c.Alarm.Name}}))
			steps[len(steps)-1].Existing = map[string]any{"alarm": c.Alarm.ARN}
			alarmTopics()
		}
	case controls.AlarmNoTopic:
		// The user's alarm is left as it is (PutMetricAlarm would reset settings trailwatch does not read): an alarm
		// of trailwatch's own on the same metric notifies the topic.
		if c.Filter != nil {
			newAlarm(c.Filter.Namespace, c.Filter.Metric)
		}
	case controls.TopicMissing, controls.NoConfirmedSubscriber:
		if c.Alarm != nil {
			alarmTopics()
		}
	}
	return steps
}

// subscribeIfNew subscribes --notify endpoints to a topic trailwatch creates or names (--alarm-topic).
func subscribeIfNew(c controls.AlarmChain, topic string, subscribe func(string)) {
	if t := c.Topics[topic]; t != nil && t.Exists && t.Confirmed > 0 {
		return
	}
	subscribe(topic)
}

func filterParams(group string, f *model.MetricFilter) PutMetricFilterInput {
	return PutMetricFilterInput{LogGroupName: group, FilterName: f.Name, FilterPattern: f.Pattern,
		MetricTransformations: []MetricTransformation{{MetricName: f.Metric, MetricNamespace: f.Namespace, MetricValue: f.Value}}}
}

// alarmParams restates an alarm as PutMetricAlarm parameters (for an undo, or to change one setting).
func alarmParams(a *model.Alarm) PutMetricAlarmInput {
	p := PutMetricAlarmInput{AlarmName: a.Name, Namespace: a.Namespace, MetricName: a.Metric, Period: a.Period,
		EvaluationPeriods: a.EvaluationPeriods, Threshold: a.Threshold, ComparisonOperator: a.Comparison,
		ActionsEnabled: a.ActionsEnabled, AlarmActions: append([]string{}, a.Actions...), DatapointsToAlarm: a.DatapointsToAlarm}
	if a.Statistic != "" {
		p.Statistic = a.Statistic
	} else {
		p.ExtendedStatistic = a.ExtendedStatistic
	}
	return p
}

// HasAlarmSteps reports whether a plan fixes alarm chains (its re-scan must judge the alarm controls).
func HasAlarmSteps(p *Plan) bool {
	for _, s := range p.Steps {
		if _, _, ok := alarmFixOf(s.ResourceID); ok {
			return true
		}
	}
	return false
}
