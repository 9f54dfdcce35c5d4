package tfplan

import (
	"maps"
	"slices"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/iac/declared"
	"github.com/trailwatch/trailwatch/internal/model"
)

// monitoring reads the CIS monitoring chain a plan declares, as the Terraform configuration reader does (issue 21:
// a plan gave every alarm item COLLECTION_ERROR, since its log groups carried no filters): metric filters
// (aws_cloudwatch_log_metric_filter) joined to the plan's log groups by name, alarms (aws_cloudwatch_metric_alarm),
// topics (aws_sns_topic) and subscriptions (aws_sns_topic_subscription). A value known only after apply (a topic's
// ARN, an alarm action or subscription naming a topic created by the same apply) is followed through the
// configuration's references, as the trails' log group and role are; what the plan's resources do not say (their
// region) is the plan's one region.
func monitoring(file string, rcs []*tfjson.ResourceChange, groups map[string]*model.LogGroup, trails []*model.Trail, refs map[string]map[string][]string, line func(string) int, sc scope) *model.Monitoring {
	loc := func(rc *tfjson.ResourceChange) *model.Location {
		return &model.Location{File: file, Line: line(rc.Address), Address: rc.Address}
	}
	mon := &model.Monitoring{Topics: map[string]*model.Topic{}}
	topicByAddr := map[string]string{} // address -> ARN
	var filters []declared.Filter
	var subs []*tfjson.ResourceChange
	var alarms []*tfjson.ResourceChange
	for _, rc := range rcs {
		after, _ := rc.Change.After.(map[string]any)
		switch rc.Type {
		case "aws_sns_topic":
			name := str(after["name"], rc.Name)
			arn := str(after["arn"], awsarn.Topic(sc.part, sc.regionOf(rc), sc.account, name))
			topicByAddr[rc.Address] = arn
			mon.Topics[arn] = &model.Topic{ARN: arn, Exists: true, Source: loc(rc)}
		case "aws_cloudwatch_log_metric_filter":
			f := model.MetricFilter{Name: str(after["name"], rc.Name), Source: loc(rc)}
			f.Pattern, f.PatternUnknown = knownStr(after["pattern"], "pattern")
			f.MetricUnknown = "metric_transformation is known only after apply"
			if mts, _ := after["metric_transformation"].([]any); len(mts) > 0 {
				mt, _ := mts[0].(map[string]any)
				f.Metric, f.Namespace, f.MetricUnknown = metricOf(mt["namespace"], mt["name"], "metric_transformation.", "name")
				f.Value = str(mt["value"], "1")
				if u, _ := rc.Change.AfterUnknown.(map[string]any); u != nil {
					if us, _ := u["metric_transformation"].([]any); len(us) > 0 {
						if um, _ := us[0].(map[string]any); um["value"] == true {
							f.Value, f.ValueUnknown = "", "metric_transformation.value is known only after apply"
						}
					}
				}
			}
			g := str(after["log_group_name"], "")
			if g == "" {
				// A group created by the same apply, named by reference: its name is in the plan.
				f.GroupUnknown = true // known only after apply: it may be on any log group of the plan
				if ref := firstRef(refs[configAddr(rc)]["log_group_name"], "aws_cloudwatch_log_group."); ref != "" && groups[moduleAddr(rc)+ref] != nil {
					g, f.GroupUnknown = groups[moduleAddr(rc)+ref].Name, false
				}
			}
			filters = append(filters, declared.Filter{Group: g, Region: sc.regionOf(rc), Account: sc.account, F: f})
		case "aws_cloudwatch_metric_alarm":
			alarms = append(alarms, rc)
		case "aws_sns_topic_subscription":
			subs = append(subs, rc)
		}
	}
	// topicsOf are the topics an attribute known only after apply refers to.
	topicsOf := func(rc *tfjson.ResourceChange, attr string) []string {
		var out []string
		for _, r := range refs[configAddr(rc)][attr] {
			if a := topicByAddr[moduleAddr(rc)+firstRef([]string{r}, "aws_sns_topic.")]; a != "" && !contains(out, a) {
				out = append(out, a)
			}
		}
		return out
	}
	for _, rc := range alarms {
		after, _ := rc.Change.After.(map[string]any)
		al := &model.Alarm{Name: str(after["alarm_name"], rc.Name), Region: sc.regionOf(rc), Account: sc.account,
			Statistic: str(after["statistic"], ""), ExtendedStatistic: str(after["extended_statistic"], ""),
			Comparison: str(after["comparison_operator"], ""), ActionsEnabled: true, Source: loc(rc)}
		var unknown []string // what decides whether it fires, known only after apply
		for _, attr := range append(slices.Clone(declared.AlarmFiringArgs), "actions_enabled") {
			if isUnknown(rc, attr) {
				unknown = append(unknown, attr)
			}
		}
		al.Unknown = strings.Join(unknown, ", ")
		al.ARN = awsarn.Alarm(sc.part, al.Region, sc.account, al.Name)
		al.Metric, al.Namespace, al.MetricUnknown = metricOf(after["namespace"], after["metric_name"], "", "metric_name")
		al.Threshold, _ = after["threshold"].(float64)
		al.Period = num(after["period"])
		al.EvaluationPeriods = num(after["evaluation_periods"])
		al.DatapointsToAlarm = num(after["datapoints_to_alarm"])
		if b, ok := after["actions_enabled"].(bool); ok {
			al.ActionsEnabled = b
		}
		actions, _ := after["alarm_actions"].([]any)
		unknownAction := isUnknown(rc, "alarm_actions")
		for _, a := range actions {
			if s, ok := a.(string); ok {
				al.Actions = append(al.Actions, s)
			} else {
				unknownAction = true
			}
		}
		if unknownAction {
			// Known after apply: the topics the configuration refers to; when it refers to none the plan shows, the
			// actions are unknown (field trial: an alarm notifying a variable's topics was "no topic").
			if ts := topicsOf(rc, "alarm_actions"); len(ts) > 0 {
				al.Actions = append(al.Actions, ts...)
			} else {
				al.ActionsUnknown = "alarm_actions is known only after apply"
			}
		}
		if d, ok := after["dimensions"].(map[string]any); ok {
			al.Dimensions = len(d)
		}
		mq, _ := after["metric_query"].([]any)
		al.MetricMath = len(mq) > 0
		mon.Alarms = append(mon.Alarms, al)
	}
	var ds []declared.Sub
	for _, rc := range subs {
		after, _ := rc.Change.After.(map[string]any)
		topic := str(after["topic_arn"], "")
		if ts := topicsOf(rc, "topic_arn"); topic == "" && len(ts) == 1 {
			topic = ts[0] // known after apply: the topic the configuration refers to
		}
		ds = append(ds, declared.Sub{Topic: topic, Protocol: str(after["protocol"], ""), Endpoint: str(after["endpoint"], "")})
	}
	declared.Subscribe(mon, ds, sc.account, "plan")
	// Every log group of the plan carries the filters on it (none is a finding, not a failed read); filters on a group
	// no trail of the plan delivers to make it an unfed group, judged from the filter on (the one join, declared).
	addrs := slices.Sorted(maps.Keys(groups))
	var declaredGroups []*model.LogGroup
	for _, a := range addrs {
		declaredGroups = append(declaredGroups, groups[a])
	}
	declared.AttachFilters(declaredGroups, filters)
	regions := map[string]bool{}
	for _, lg := range groups {
		regions[lg.Region] = true
	}
	for _, fd := range filters {
		regions[fd.Region] = true
	}
	for _, al := range mon.Alarms {
		regions[al.Region] = true
	}
	mon.Regions = slices.Sorted(maps.Keys(regions))
	mon.UnfedGroups = declared.Unfed(trails, declaredGroups, filters, func(fd declared.Filter) *model.LogGroup {
		return &model.LogGroup{Name: fd.Group, Region: fd.Region, Account: fd.Account, Exists: true, Source: fd.F.Source}
	})
	for _, lg := range mon.UnfedGroups {
		if lg.ARN == "" {
			lg.ARN = awsarn.LogGroupARN(sc.part, lg.Region, sc.account, lg.Name)
		}
	}
	return mon
}

// knownStr is a planned string attribute, or why it is known only after apply (absent or null: as unknown, so that a
// chain is never claimed whole through it).
func knownStr(v any, attr string) (string, string) {
	if s, ok := v.(string); ok {
		return s, ""
	}
	return "", attr + " is known only after apply"
}

// metricOf is a metric's name and namespace, or why they are known only after apply (both then empty).
func metricOf(namespace, name any, prefix, nameAttr string) (string, string, string) {
	ns, nsWhy := knownStr(namespace, prefix+"namespace")
	metric, metricWhy := knownStr(name, prefix+nameAttr)
	return declared.Metric(metric, metricWhy, ns, nsWhy)
}

// isUnknown reports whether after_unknown marks the attribute, or any element of it, as known only after apply.
func isUnknown(rc *tfjson.ResourceChange, attr string) bool {
	u, _ := rc.Change.AfterUnknown.(map[string]any)
	switch v := u[attr].(type) {
	case bool:
		return v
	case []any:
		for _, e := range v {
			if b, _ := e.(bool); b {
				return true
			}
		}
	}
	return false
}

func str(v any, def string) string {
	if s, ok := v.(string); ok {
		return s
	}
	return def
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
