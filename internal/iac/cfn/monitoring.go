package cfn

import (
	"sort"
	"strconv"
	"strings"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/iac/declared"
	"github.com/trailwatch/trailwatch/internal/model"
)

// The CIS monitoring chain as a template declares it: AWS::Logs::MetricFilter, AWS::CloudWatch::Alarm, AWS::SNS::Topic
// (with its inline Subscription list) and AWS::SNS::Subscription. Filters are joined to the trails' log groups by
// name, as AWS joins them; a Ref to a topic is its ARN (AWS::SNS::Topic return values). An email or http(s)
// subscriber confirms after deployment, so IaC cannot know it is confirmed; an SQS, Lambda or Firehose endpoint of
// the stack's account is confirmed at once (SNS API reference, Subscribe).

func (t *Template) ids(typ string) []string {
	var out []string
	for id, ty := range t.types {
		if ty == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func (t *Template) prop(id, key string) value {
	v, err := t.eval(get(get(t.resources[id], "Properties"), key))
	if err != nil {
		return unknown(err.Error())
	}
	return v
}

// strProp is a string property, or def when it is absent, not a string or known only at deployment (where that
// decides a verdict, the reader asks knownVal instead).
func (t *Template) strProp(id, key, def string) string {
	if v := t.prop(id, key); v.isStr {
		return v.s
	}
	return def
}

func (t *Template) loc(id string) *model.Location {
	return &model.Location{File: t.File, Line: t.resources[id].Line, Address: id}
}

// Monitoring attaches the declared metric filters to the trails' log groups and returns the declared alarms and topics.
func (t *Template) Monitoring(trails []*model.Trail) *model.Monitoring {
	type filterDecl struct {
		group string
		f     model.MetricFilter
	}
	var filters []filterDecl
	for _, id := range t.ids("AWS::Logs::MetricFilter") {
		created, cond := t.created(id)
		if !created {
			continue // a false Condition: not created
		}
		var why string
		if cond != "" {
			why = "its Condition " + cond + " is decided at deployment"
		}
		f := model.MetricFilter{Name: t.strProp(id, "FilterName", id), Source: t.loc(id), CountUnknown: why}
		f.Pattern, f.PatternUnknown = knownVal(t.prop(id, "FilterPattern"), "FilterPattern")
		f.MetricUnknown = "MetricTransformations is not known"
		if ts := t.prop(id, "MetricTransformations"); len(ts.list) > 0 {
			m := ts.list[0].m
			f.Metric, f.Namespace, f.MetricUnknown = metricOf(m["MetricNamespace"], m["MetricName"], "MetricTransformations.MetricNamespace", "MetricTransformations.MetricName")
			f.Value = strOf(m["MetricValue"])
			if why := m["MetricValue"].unknown; why != "" {
				f.Value, f.ValueUnknown = "", "MetricValue: "+why
			}
		}
		g, gWhy := knownVal(t.prop(id, "LogGroupName"), "LogGroupName")
		f.GroupUnknown = gWhy != "" // it may be on any log group of the stack
		filters = append(filters, filterDecl{group: g, f: f})
	}
	// The filters join the groups as the Terraform readers join them (declared.AttachFilters, declared.Unfed): a
	// template deploys in one region, so every group and filter is in the stack's.
	fs := make([]declared.Filter, 0, len(filters))
	for _, fd := range filters {
		fs = append(fs, declared.Filter{Group: fd.group, Region: regionTok, Account: accountTok, F: fd.f})
	}
	var fed []*model.LogGroup
	seen := map[*model.LogGroup]bool{}
	for _, tr := range trails {
		lg := tr.LogGroup
		if lg == nil || seen[lg] {
			continue
		}
		seen[lg] = true
		if lg.Region == "" {
			lg.Region = regionTok
		}
		fed = append(fed, lg)
	}
	declared.AttachFilters(fed, fs)
	stackGroup := func(lg *model.LogGroup) *model.LogGroup {
		lg.Region, lg.Account = regionTok, accountTok
		lg.ARN = awsarn.LogGroupARN(partitionTok, regionTok, accountTok, lg.Name)
		return lg
	}
	var groups []*model.LogGroup // a group declared here, for a filter no trail of this template feeds
	if len(fs) > 0 {
		for _, id := range t.ids("AWS::Logs::LogGroup") {
			groups = append(groups, stackGroup(t.logGroup(id)))
		}
	}
	declared.AttachFilters(groups, fs)
	mon := &model.Monitoring{Regions: []string{regionTok}, Topics: map[string]*model.Topic{}}
	// The log groups filters are on that no trail of this template delivers to (the trail is in another stack): a
	// group the template declares, or the group as the filter names it.
	mon.UnfedGroups = declared.Unfed(trails, groups, fs, func(fd declared.Filter) *model.LogGroup {
		return stackGroup(&model.LogGroup{Name: fd.Group, Exists: true, Source: fd.F.Source})
	})
	for _, id := range t.ids("AWS::CloudWatch::Alarm") {
		created, cond := t.created(id)
		if !created {
			continue
		}
		al := &model.Alarm{Name: t.strProp(id, "AlarmName", id), Region: regionTok, Account: accountTok,
			Statistic: t.strProp(id, "Statistic", ""), ExtendedStatistic: t.strProp(id, "ExtendedStatistic", ""),
			Comparison: t.strProp(id, "ComparisonOperator", ""), ActionsEnabled: true, Source: t.loc(id)}
		var unknown []string // what decides whether it fires and notifies, known only at deployment
		if cond != "" {
			unknown = append(unknown, "Condition "+cond)
		}
		for _, key := range []string{"Statistic", "ExtendedStatistic", "ComparisonOperator", "Threshold", "EvaluationPeriods", "DatapointsToAlarm", "ActionsEnabled"} {
			if t.prop(id, key).unknown != "" {
				unknown = append(unknown, key)
			}
		}
		al.ARN = awsarn.Alarm(partitionTok, regionTok, accountTok, al.Name)
		al.Metric, al.Namespace, al.MetricUnknown = metricOf(t.prop(id, "Namespace"), t.prop(id, "MetricName"), "Namespace", "MetricName")
		if th := t.strProp(id, "Threshold", ""); th != "" {
			var err error
			if al.Threshold, err = strconv.ParseFloat(th, 64); err != nil {
				// A Threshold that is no number does not deploy (field trial: a parameter file's "abc" was read as 0).
				unknown = append(unknown, "Threshold (not a number: CloudFormation refuses it)")
			}
		}
		al.Unknown = strings.Join(unknown, ", ")
		al.Period, _ = strconv.Atoi(t.strProp(id, "Period", "0"))
		al.EvaluationPeriods, _ = strconv.Atoi(t.strProp(id, "EvaluationPeriods", "0"))
		al.DatapointsToAlarm, _ = strconv.Atoi(t.strProp(id, "DatapointsToAlarm", "0"))
		if v := t.prop(id, "ActionsEnabled"); !v.null && v.unknown == "" {
			al.ActionsEnabled = truthy(v)
		}
		if acts := t.prop(id, "AlarmActions"); acts.unknown != "" {
			al.ActionsUnknown = "AlarmActions: " + acts.unknown
		} else {
			for _, a := range acts.list {
				if a.isStr {
					al.Actions = append(al.Actions, a.s)
				} else if a.unknown != "" {
					al.ActionsUnknown = "AlarmActions: " + a.unknown
				}
			}
		}
		al.Dimensions = len(t.prop(id, "Dimensions").list)
		al.MetricMath = len(t.prop(id, "Metrics").list) > 0
		mon.Alarms = append(mon.Alarms, al)
	}
	var subs []declared.Sub
	for _, id := range t.ids("AWS::SNS::Topic") {
		v, _ := t.ref(id, t.resources[id])
		arn := v.s
		mon.Topics[arn] = &model.Topic{ARN: arn, Exists: true, Source: t.loc(id)}
		for _, s := range t.prop(id, "Subscription").list {
			subs = append(subs, declared.Sub{Topic: arn, Protocol: strOf(s.m["Protocol"]), Endpoint: strOf(s.m["Endpoint"])})
		}
	}
	for _, id := range t.ids("AWS::SNS::Subscription") {
		created, cond := t.created(id)
		if !created {
			continue
		}
		subs = append(subs, declared.Sub{Topic: t.strProp(id, "TopicArn", ""), Protocol: t.strProp(id, "Protocol", ""), Endpoint: t.strProp(id, "Endpoint", ""), Maybe: cond != ""})
	}
	declared.Subscribe(mon, subs, accountTok, "template")
	return mon
}

// created says whether a resource is created: false when its Condition is false; true, with the Condition's name,
// when the Condition is decided at deployment (review: a filter or alarm under such a Condition passed as if created).
func (t *Template) created(id string) (bool, string) {
	c := get(t.resources[id], "Condition")
	if c == nil {
		return true, ""
	}
	v, err := t.condition(c.Value, c.Line)
	switch {
	case err != nil || v.unknown != "":
		return true, c.Value
	case v.b != nil && !*v.b:
		return false, ""
	}
	return true, ""
}

// knownVal is a string property's value, or why it is known only at deployment: a property that is absent or not a
// string is as unknown as one the deployment decides (a chain is never claimed whole through it).
func knownVal(v value, key string) (string, string) {
	switch {
	case v.isStr:
		return v.s, ""
	case v.unknown != "":
		return "", key + ": " + v.unknown
	}
	return "", key + " is not set"
}

// metricOf is a metric's name and namespace, or why they are known only at deployment (both then empty).
func metricOf(namespace, name value, nsKey, nameKey string) (string, string, string) {
	ns, nsWhy := knownVal(namespace, nsKey)
	metric, metricWhy := knownVal(name, nameKey)
	return declared.Metric(metric, metricWhy, ns, nsWhy)
}

// strOf is a string value, or "" when it is not one (absent, or known only at deployment: see knownVal).
func strOf(v value) string {
	if v.isStr {
		return v.s
	}
	return ""
}
