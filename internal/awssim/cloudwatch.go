package awssim

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// CloudWatch alarms (API 2010-08-01), served in Smithy RPC v2 CBOR (the Go SDK and recent botocore) and awsJson1.0.
// Shapes, enums and errors: botocore cloudwatch/2010-08-01/service-2.json; behaviour: the CloudWatch API reference
// (PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms).

type alarm struct {
	name, arn, region         string
	description               string
	namespace, metric         string
	statistic, extended       string
	dimensions                []map[string]any
	period, evaluationPeriods int
	datapoints                int // 0: not set (equals EvaluationPeriods)
	threshold                 float64
	comparison, treatMissing  string
	actionsEnabled            bool
	alarmActions, okActions   []string
	insufficientActions       []string
	updated, stateUpdated     time.Time
	state, stateReason, unit  string
}

func cloudwatchOps() map[string]handler {
	return map[string]handler{
		"PutMetricAlarm":          cwPutMetricAlarm,
		"DescribeAlarms":          cwDescribeAlarms,
		"DescribeAlarmsForMetric": cwDescribeAlarmsForMetric,
		"DeleteAlarms":            cwDeleteAlarms,
		"EnableAlarmActions":      cwAlarmActions(true),
		"DisableAlarmActions":     cwAlarmActions(false),
		"GetMetricData":           cwGetMetricData,
	}
}

// metricQuery is one MetricDataQuery (botocore cloudwatch/2010-08-01 service-2.json, MetricDataQuery / MetricStat).
type metricQuery struct {
	ID         string `json:"Id"`
	Expression string
	Label      string
	ReturnData *bool
	MetricStat *struct {
		Metric struct {
			Namespace, MetricName string
			Dimensions            []struct{ Name, Value string }
		}
		Period int
		Stat   string
		Unit   string
	}
}

var metricQueryIDRe = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

// cwGetMetricData serves the CloudWatch Logs metrics of a log group (namespace AWS/Logs, IncomingBytes and
// IncomingLogEvents, dimension LogGroupName: CloudWatch Logs User Guide, "CloudWatch Logs metrics"), statistic Sum,
// from what the group ingested (its records, and the scenario's daily_bytes). Per the API reference: 1 to 500
// queries, each Id unique and matching ^[a-z][a-zA-Z0-9_]*$, StartTime before EndTime, Period a multiple of 60;
// datapoints only where there is data, newest first unless ScanBy is TimestampAscending; every query's StatusCode
// Complete. Other metrics have no data here (an empty result, as CloudWatch gives for a metric nobody publishes);
// metric math (Expression) is not evaluated by the simulator and is refused.
func cwGetMetricData(s *Server, c *call) (any, error) {
	var queries []metricQuery
	if err := c.decode("MetricDataQueries", &queries); err != nil {
		return nil, err
	}
	if len(queries) == 0 {
		return nil, cwMissing("MetricDataQueries")
	}
	if len(queries) > 500 {
		return nil, cwInvalid("The collection MetricDataQueries must not have more than 500 members.")
	}
	var start, end float64
	if !c.has("StartTime") {
		return nil, cwMissing("StartTime")
	}
	if !c.has("EndTime") {
		return nil, cwMissing("EndTime")
	}
	if err := c.decode("StartTime", &start); err != nil {
		return nil, err
	}
	if err := c.decode("EndTime", &end); err != nil {
		return nil, err
	}
	if start >= end {
		return nil, cwInvalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	ascending := c.str("ScanBy") == "TimestampAscending"
	ids := map[string]bool{}
	var results []map[string]any
	for _, q := range queries {
		if !metricQueryIDRe.MatchString(q.ID) {
			return nil, cwInvalid("The value %s for parameter MetricDataQueries.member.Id is invalid: it must start with a lowercase letter and contain only letters, digits and underscores.", q.ID)
		}
		if ids[q.ID] {
			return nil, cwInvalid("The values for parameter id in MetricDataQueries are not unique.")
		}
		ids[q.ID] = true
		if q.Expression != "" {
			return nil, cwInvalid("The simulator does not evaluate metric math (Expression in query %s).", q.ID)
		}
		if q.MetricStat == nil {
			return nil, cwInvalid("Query %s: exactly one of MetricStat and Expression is required.", q.ID)
		}
		ms := q.MetricStat
		if ms.Period <= 0 || ms.Period%60 != 0 {
			return nil, cwInvalid("The parameter MetricDataQueries.member.MetricStat.Period must be a multiple of 60.")
		}
		label := q.Label
		if label == "" {
			label = ms.Metric.MetricName
		}
		var g *logGroup
		if ms.Metric.Namespace == "AWS/Logs" && ms.Stat == "Sum" && (ms.Metric.MetricName == "IncomingBytes" || ms.Metric.MetricName == "IncomingLogEvents") {
			for _, d := range ms.Metric.Dimensions {
				if d.Name == "LogGroupName" && len(ms.Metric.Dimensions) == 1 {
					g = c.acct.logGroups[c.region+"\x00"+d.Value]
				}
			}
		}
		sums := map[int64]float64{}
		if g != nil {
			p := int64(ms.Period)
			for k, v := range g.incoming {
				if float64(k) < start || float64(k) >= end {
					continue
				}
				b := int64(start) + (k-int64(start))/p*p
				if ms.Metric.MetricName == "IncomingBytes" {
					sums[b] += float64(v.bytes)
				} else {
					sums[b] += float64(v.events)
				}
			}
		}
		keys := slices.Sorted(maps.Keys(sums))
		if !ascending {
			slices.Reverse(keys)
		}
		times, values := []any{}, []any{}
		for _, k := range keys {
			times = append(times, time.Unix(k, 0).UTC())
			values = append(values, sums[k])
		}
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		results = append(results, map[string]any{"Id": q.ID, "Label": label, "Timestamps": times, "Values": values, "StatusCode": "Complete"})
	}
	if results == nil {
		results = []map[string]any{}
	}
	return map[string]any{"MetricDataResults": results, "Messages": []map[string]any{}}, nil
}

var comparisonOperators = []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
	"LessThanOrEqualToThreshold", "LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"}

var statistics = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}

func cwInvalid(format string, a ...any) error {
	return errf(400, "InvalidParameterValue", format, a...)
}

func cwMissing(name string) error {
	return errf(400, "MissingParameter", "The parameter %s is required.", name)
}

func cwPutMetricAlarm(s *Server, c *call) (any, error) {
	a := &alarm{name: c.str("AlarmName"), region: c.region, description: c.str("AlarmDescription"),
		namespace: c.str("Namespace"), metric: c.str("MetricName"), statistic: c.str("Statistic"),
		extended: c.str("ExtendedStatistic"), comparison: c.str("ComparisonOperator"),
		treatMissing: c.str("TreatMissingData"), unit: c.str("Unit"), actionsEnabled: true}
	if a.name == "" {
		return nil, cwMissing("AlarmName")
	}
	if len(a.name) > 255 {
		return nil, cwInvalid("The parameter AlarmName must be shorter than 256 characters.")
	}
	if c.has("Metrics") {
		return nil, cwInvalid("The simulator does not model metric math alarms (Metrics); use MetricName and Namespace.")
	}
	if a.metric == "" {
		return nil, cwMissing("MetricName")
	}
	if a.namespace == "" {
		return nil, cwMissing("Namespace")
	}
	if (a.statistic == "") == (a.extended == "") {
		return nil, cwInvalid("Exactly one of Statistic and ExtendedStatistic must be specified.")
	}
	if a.statistic != "" && !slices.Contains(statistics, a.statistic) {
		return nil, errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set: [%s]", a.statistic, strings.Join(statistics, ", "))
	}
	if !slices.Contains(comparisonOperators, a.comparison) {
		if a.comparison == "" {
			return nil, cwMissing("ComparisonOperator")
		}
		return nil, errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [%s]", a.comparison, strings.Join(comparisonOperators, ", "))
	}
	for _, p := range []struct {
		key string
		dst *int
	}{{"Period", &a.period}, {"EvaluationPeriods", &a.evaluationPeriods}, {"DatapointsToAlarm", &a.datapoints}} {
		if err := c.decode(p.key, p.dst); err != nil {
			return nil, err
		}
	}
	if a.evaluationPeriods < 1 {
		return nil, cwMissing("EvaluationPeriods")
	}
	// "Valid values are 10, 20, 30, and any multiple of 60" (PutMetricAlarm, Period).
	if a.period != 10 && a.period != 20 && a.period != 30 && (a.period <= 0 || a.period%60 != 0) {
		return nil, cwInvalid("The parameter Period must be 10, 20, 30 or a multiple of 60.")
	}
	if a.datapoints > a.evaluationPeriods {
		return nil, cwInvalid("DatapointsToAlarm must be less than or equal to EvaluationPeriods.")
	}
	if !c.has("Threshold") {
		return nil, cwMissing("Threshold")
	}
	if err := c.decode("Threshold", &a.threshold); err != nil {
		return nil, err
	}
	if c.has("ActionsEnabled") {
		if err := c.decode("ActionsEnabled", &a.actionsEnabled); err != nil {
			return nil, err
		}
	}
	for _, l := range []struct {
		key string
		dst *[]string
	}{{"AlarmActions", &a.alarmActions}, {"OKActions", &a.okActions}, {"InsufficientDataActions", &a.insufficientActions}} {
		if err := c.decode(l.key, l.dst); err != nil {
			return nil, err
		}
		if len(*l.dst) > 5 {
			return nil, cwInvalid("The collection %s must not have more than 5 members.", l.key)
		}
	}
	if err := c.decode("Dimensions", &a.dimensions); err != nil {
		return nil, err
	}
	key := c.region + "\x00" + a.name
	old := c.acct.alarms[key]
	a.arn = s.w.arn("cloudwatch", c.region, c.acct.id, "alarm:"+a.name)
	a.updated = c.now
	if old != nil { // PutMetricAlarm replaces the alarm's configuration and keeps its state
		a.state, a.stateReason, a.stateUpdated = old.state, old.stateReason, old.stateUpdated
	} else {
		a.state, a.stateReason, a.stateUpdated = "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation", c.now
	}
	c.acct.alarms[key] = a
	return nil, nil
}

func alarmObject(a *alarm) map[string]any {
	m := map[string]any{
		"AlarmName": a.name, "AlarmArn": a.arn, "AlarmConfigurationUpdatedTimestamp": a.updated,
		"ActionsEnabled": a.actionsEnabled, "OKActions": nonNil(a.okActions), "AlarmActions": nonNil(a.alarmActions),
		"InsufficientDataActions": nonNil(a.insufficientActions), "StateValue": a.state, "StateReason": a.stateReason,
		"StateUpdatedTimestamp": a.stateUpdated, "StateTransitionedTimestamp": a.stateUpdated,
		"MetricName": a.metric, "Namespace": a.namespace, "Dimensions": a.dimensions, "Period": a.period,
		"EvaluationPeriods": a.evaluationPeriods, "Threshold": a.threshold, "ComparisonOperator": a.comparison,
	}
	if m["Dimensions"] == nil {
		m["Dimensions"] = []map[string]any{}
	}
	if a.description != "" {
		m["AlarmDescription"] = a.description
	}
	if a.statistic != "" {
		m["Statistic"] = a.statistic
	} else {
		m["ExtendedStatistic"] = a.extended
	}
	if a.datapoints > 0 {
		m["DatapointsToAlarm"] = a.datapoints
	}
	if a.treatMissing != "" {
		m["TreatMissingData"] = a.treatMissing
	}
	if a.unit != "" {
		m["Unit"] = a.unit
	}
	return m
}

func (w *world) regionAlarms(a *account, region string) []*alarm {
	var out []*alarm
	for _, al := range a.alarms {
		if al.region == region {
			out = append(out, al)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func cwDescribeAlarms(s *Server, c *call) (any, error) {
	var names, types []string
	if err := c.decode("AlarmNames", &names); err != nil {
		return nil, err
	}
	if err := c.decode("AlarmTypes", &types); err != nil {
		return nil, err
	}
	prefix, state, actionPrefix := c.str("AlarmNamePrefix"), c.str("StateValue"), c.str("ActionPrefix")
	if len(names) > 0 && prefix != "" {
		return nil, cwInvalid("AlarmNames and AlarmNamePrefix are mutually exclusive.")
	}
	if len(names) > 100 {
		return nil, cwInvalid("The collection AlarmNames must not have more than 100 members.")
	}
	limit := 50
	if c.has("MaxRecords") {
		if err := c.decode("MaxRecords", &limit); err != nil {
			return nil, err
		}
		if limit < 1 || limit > 100 {
			return nil, cwInvalid("The parameter MaxRecords must be between 1 and 100.")
		}
	}
	// "If you omit this parameter, only metric alarms are returned" (DescribeAlarms, AlarmTypes). The simulator has
	// no composite alarms.
	metric := len(types) == 0 || slices.Contains(types, "MetricAlarm")
	var list []*alarm
	if metric {
		for _, a := range s.w.regionAlarms(c.acct, c.region) {
			switch {
			case len(names) > 0 && !slices.Contains(names, a.name):
				continue
			case prefix != "" && !strings.HasPrefix(a.name, prefix):
				continue
			case state != "" && a.state != state:
				continue
			case actionPrefix != "" && !slices.ContainsFunc(a.alarmActions, func(x string) bool { return strings.HasPrefix(x, actionPrefix) }):
				continue
			}
			list = append(list, a)
		}
	}
	start, err := pageStart(c.str("NextToken"), c.svc)
	if err != nil {
		return nil, err
	}
	end := min(start+limit, len(list))
	out := []map[string]any{}
	for _, a := range list[min(start, len(list)):end] {
		out = append(out, alarmObject(a))
	}
	res := map[string]any{"MetricAlarms": out, "CompositeAlarms": []map[string]any{}}
	if end < len(list) {
		res["NextToken"] = pageToken(end)
	}
	return res, nil
}

func cwDescribeAlarmsForMetric(s *Server, c *call) (any, error) {
	metric, ns := c.str("MetricName"), c.str("Namespace")
	if metric == "" {
		return nil, cwMissing("MetricName")
	}
	if ns == "" {
		return nil, cwMissing("Namespace")
	}
	stat, ext := c.str("Statistic"), c.str("ExtendedStatistic")
	var period int
	if err := c.decode("Period", &period); err != nil {
		return nil, err
	}
	var dims []map[string]any
	if err := c.decode("Dimensions", &dims); err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, a := range s.w.regionAlarms(c.acct, c.region) {
		switch {
		case a.metric != metric || a.namespace != ns:
			continue
		case stat != "" && a.statistic != stat, ext != "" && a.extended != ext:
			continue
		case period != 0 && a.period != period:
			continue
		case c.has("Dimensions") && fmt.Sprint(dims) != fmt.Sprint(a.dimensions):
			continue
		}
		out = append(out, alarmObject(a))
	}
	return map[string]any{"MetricAlarms": out}, nil
}

func cwDeleteAlarms(s *Server, c *call) (any, error) {
	var names []string
	if err := c.decode("AlarmNames", &names); err != nil {
		return nil, err
	}
	// "If you specify an incorrect alarm name or make any other error in the operation, no alarms are deleted"
	// (DeleteAlarms). The error is ResourceNotFound (service-2.json).
	for _, n := range names {
		if c.acct.alarms[c.region+"\x00"+n] == nil {
			return nil, errf(404, "ResourceNotFound", "Alarm %s does not exist", n)
		}
	}
	for _, n := range names {
		delete(c.acct.alarms, c.region+"\x00"+n)
	}
	return nil, nil
}

// cwAlarmActions enables or disables the actions of the named alarms; names that do not exist are ignored (the API
// reference lists no error for them).
func cwAlarmActions(enabled bool) handler {
	return func(s *Server, c *call) (any, error) {
		var names []string
		if err := c.decode("AlarmNames", &names); err != nil {
			return nil, err
		}
		if len(names) == 0 {
			return nil, cwMissing("AlarmNames")
		}
		for _, n := range names {
			if a := c.acct.alarms[c.region+"\x00"+n]; a != nil {
				a.actionsEnabled = enabled
			}
		}
		return nil, nil
	}
}
