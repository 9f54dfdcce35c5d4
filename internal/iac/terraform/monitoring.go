package terraform

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/iac/declared"
	"github.com/trailwatch/trailwatch/internal/model"
)

// The CIS monitoring chain as Terraform declares it (scan --alarms on live accounts, iac --alarms here): metric filters
// (aws_cloudwatch_log_metric_filter), alarms (aws_cloudwatch_metric_alarm), topics (aws_sns_topic) and subscriptions
// (aws_sns_topic_subscription). They are joined to the trails' log groups by name in the group's region, as AWS joins
// them, and judged by the live rule (controls.EvaluateIaCAlarms). What cannot be known before deployment stays
// unknown: an email or https subscription is confirmed by a person after the apply.

type monitoringDecls struct {
	filters []filterDecl
	alarms  []*model.Alarm
	topics  map[string]*model.Topic // by ARN (as the configuration computes it)
	subs    []subDecl
}

type filterDecl struct {
	group, region, account string
	f                      model.MetricFilter
}

type subDecl struct {
	topic, protocol, endpoint string
	maybe                     bool // its count or for_each is known only at deployment
}

func (reg *registry) mon() *monitoringDecls {
	if reg.monitoring == nil {
		reg.monitoring = &monitoringDecls{topics: map[string]*model.Topic{}}
	}
	return reg.monitoring
}

func (m *module) loc(b block, addr string) *model.Location {
	return &model.Location{File: b.file, Line: b.rng.Start.Line, Address: addr}
}

// monitoringResource registers one instance of a monitoring resource; it reports whether the type was one. instances
// is the note when how many instances it has is known only at deployment.
func (m *module) monitoringResource(reg *registry, b block, inst map[string]cty.Value, addr, instances string) bool {
	mon := reg.mon()
	switch b.typ {
	case "aws_cloudwatch_log_metric_filter":
		a := m.attrs(b.body, "name", "log_group_name", "pattern")
		f := model.MetricFilter{Name: strOr(m.attrVal(a, "name", inst), b.name), Source: m.loc(b, addr), CountUnknown: instances}
		f.Pattern, f.PatternUnknown = knownStr(m.attrVal(a, "pattern", inst), "pattern")
		c, _, _ := b.body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "metric_transformation"}}})
		for _, mt := range c.Blocks {
			ta := m.attrs(mt.Body, "name", "namespace", "value")
			f.Metric, f.Namespace, f.MetricUnknown = metricOf(m.attrVal(ta, "namespace", inst), m.attrVal(ta, "name", inst), "metric_transformation.")
			if v := m.attrVal(ta, "value", inst); !v.IsWhollyKnown() {
				f.ValueUnknown = "metric_transformation.value: " + reason(v)
			} else {
				f.Value = strOr(v, "1")
			}
		}
		g, gWhy := knownStr(m.attrVal(a, "log_group_name", inst), "log_group_name")
		f.GroupUnknown = gWhy != "" // it may be on any log group of its region
		mon.filters = append(mon.filters, filterDecl{group: g, region: m.regionFor(b.body, inst), account: m.accountFor(b.body), f: f})
	case "aws_cloudwatch_metric_alarm":
		a := m.attrs(b.body, "alarm_name", "namespace", "metric_name", "statistic", "extended_statistic", "comparison_operator", "threshold",
			"period", "evaluation_periods", "datapoints_to_alarm", "actions_enabled", "alarm_actions", "dimensions")
		region := m.regionFor(b.body, inst)
		al := &model.Alarm{Name: strOr(m.attrVal(a, "alarm_name", inst), b.name), Region: region, Account: m.accountFor(b.body),
			Statistic: strOr(m.attrVal(a, "statistic", inst), ""), ExtendedStatistic: strOr(m.attrVal(a, "extended_statistic", inst), ""),
			Comparison: strOr(m.attrVal(a, "comparison_operator", inst), ""), ActionsEnabled: true, Source: m.loc(b, addr)}
		var unknown []string // what decides whether it fires and notifies, known only at deployment
		if instances != "" {
			unknown = append(unknown, "count or for_each ("+instances+")")
		}
		for _, attr := range declared.AlarmFiringArgs {
			if v := m.attrVal(a, attr, inst); !v.IsWhollyKnown() {
				unknown = append(unknown, attr)
			}
		}
		al.ARN = awsarn.Alarm(partitionIn(region), region, al.Account, al.Name)
		al.Metric, al.Namespace, al.MetricUnknown = metricOf(m.attrVal(a, "namespace", inst), m.attrVal(a, "metric_name", inst), "")
		if v, _ := m.attrVal(a, "threshold", inst).Unmark(); v.IsWhollyKnown() && !v.IsNull() {
			// Terraform converts threshold = "5" to the number 5; a value that is no number does not deploy.
			if f, ok := floatOf(v); ok {
				al.Threshold = f
			} else if cv, err := convert.Convert(v, cty.Number); err == nil {
				al.Threshold, _ = floatOf(cv)
			} else {
				unknown = append(unknown, "threshold (not a number: Terraform refuses it)")
			}
		}
		al.Period, _ = number(m.attrVal(a, "period", inst))
		al.EvaluationPeriods, _ = number(m.attrVal(a, "evaluation_periods", inst))
		al.DatapointsToAlarm, _ = number(m.attrVal(a, "datapoints_to_alarm", inst))
		if v, _ := m.attrVal(a, "actions_enabled", inst).Unmark(); !v.IsKnown() {
			unknown = append(unknown, "actions_enabled")
		} else if !v.IsNull() && v.Type() == cty.Bool {
			al.ActionsEnabled = v.True()
		}
		al.Unknown = strings.Join(unknown, ", ")
		// The known actions count; an unknown one, or an unknown list, may name a topic someone receives.
		raw := m.attrVal(a, "alarm_actions", inst)
		switch v, _ := raw.Unmark(); { // the list's own marks; its elements keep theirs (why each is unknown)
		case v.IsKnown() && !v.IsNull() && v.CanIterateElements():
			for it := v.ElementIterator(); it.Next(); {
				_, x := it.Element()
				if s, ok := known(x); ok {
					al.Actions = append(al.Actions, s)
				} else if !x.IsWhollyKnown() {
					al.ActionsUnknown = "alarm_actions: " + reason(x)
				}
			}
		case !v.IsKnown():
			al.ActionsUnknown = "alarm_actions: " + reason(raw)
		}
		if v, _ := m.attrVal(a, "dimensions", inst).UnmarkDeep(); !v.IsNull() && v.IsWhollyKnown() && v.CanIterateElements() {
			al.Dimensions = v.LengthInt()
		}
		c, _, _ := b.body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "metric_query"}}})
		al.MetricMath = len(c.Blocks) > 0
		mon.alarms = append(mon.alarms, al)
	case "aws_sns_topic":
		obj := m.resourceObject(b, inst)
		arn := obj.GetAttr("arn").AsString()
		mon.topics[arn] = &model.Topic{ARN: arn, Exists: true, Source: m.loc(b, addr)}
	case "aws_sns_topic_subscription":
		a := m.attrs(b.body, "topic_arn", "protocol", "endpoint")
		// What is known only at apply is empty: an unknown topic matches none, an unknown protocol confirms nothing.
		mon.subs = append(mon.subs, subDecl{topic: strOr(m.attrVal(a, "topic_arn", inst), ""),
			protocol: strOr(m.attrVal(a, "protocol", inst), ""), endpoint: strOr(m.attrVal(a, "endpoint", inst), ""), maybe: instances != ""})
	default:
		return false
	}
	return true
}

// knownStr is an argument's string value, or why it is known only at deployment: an argument that is absent, or not a
// string, is as unknown as one computed at apply (the chain is not claimed whole through it).
func knownStr(v cty.Value, attr string) (string, string) {
	if s, ok := known(v); ok {
		return s, ""
	}
	if !v.IsWhollyKnown() {
		return "", attr + ": " + reason(v)
	}
	return "", attr + " is not set"
}

// metricOf is a metric's name and namespace, or why they are known only at deployment (both then empty). prefix is
// the arguments' block ("metric_transformation.").
func metricOf(namespace, name cty.Value, prefix string) (string, string, string) {
	ns, nsWhy := knownStr(namespace, prefix+"namespace")
	metric, metricWhy := knownStr(name, prefix+map[bool]string{true: "name", false: "metric_name"}[prefix != ""])
	return declared.Metric(metric, metricWhy, ns, nsWhy)
}

func floatOf(v cty.Value) (float64, bool) {
	v, _ = v.Unmark()
	if !v.IsKnown() || v.IsNull() || v.Type() != cty.Number {
		return 0, false
	}
	f, _ := v.AsBigFloat().Float64()
	return f, true
}

// resolveMonitoring attaches metric filters to the trails' log groups (by name and region) and builds the declared
// alarms and topics. Subscriptions: sqs, lambda and firehose endpoints of this configuration's account are confirmed
// at once; email and http(s) wait for a person (SNS API reference, Subscribe), which IaC cannot know.
func resolveMonitoring(reg *registry, trails []*model.Trail) *model.Monitoring {
	mon := reg.mon()
	groups := slices.SortedFunc(maps.Values(reg.groups), func(a, b *model.LogGroup) int { return strings.Compare(a.ARN, b.ARN) })
	var filters []declared.Filter
	for _, fd := range mon.filters {
		filters = append(filters, declared.Filter{Group: fd.group, Region: fd.region, Account: fd.account, F: fd.f})
	}
	declared.AttachFilters(groups, filters)
	out := &model.Monitoring{Topics: map[string]*model.Topic{}}
	// A filter on a group this configuration does not declare (a monitoring module given the group's name) stands
	// for the group as the filter names it.
	out.UnfedGroups = declared.Unfed(trails, groups, filters, func(fd declared.Filter) *model.LogGroup {
		return &model.LogGroup{Name: fd.Group, Region: fd.Region, Account: fd.Account, Exists: true, Source: fd.F.Source,
			ARN: awsarn.LogGroupARN(partitionIn(fd.Region), fd.Region, fd.Account, fd.Group)}
	})
	regions := map[string]bool{}
	for _, lg := range reg.groups {
		regions[lg.Region] = true
	}
	for r := range regions {
		out.Regions = append(out.Regions, r)
	}
	sort.Strings(out.Regions)
	out.Alarms = append(out.Alarms, mon.alarms...)
	var subs []declared.Sub
	for _, sd := range mon.subs {
		subs = append(subs, declared.Sub{Topic: sd.topic, Protocol: sd.protocol, Endpoint: sd.endpoint, Maybe: sd.maybe})
	}
	for arn, t := range mon.topics {
		out.Topics[arn] = t
	}
	declared.Subscribe(out, subs, accountTok, "configuration")
	return out
}
