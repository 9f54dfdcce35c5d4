package collect

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailwatch/trailwatch/internal/fanout"
	"github.com/trailwatch/trailwatch/internal/model"
)

// monitoring reads the CIS alarm chain of the account's own trails: the call budget is one DescribeMetricFilters
// (paged) per distinct log group that exists, one DescribeAlarms (paged) per region whose groups have filters, and one
// ListSubscriptionsByTopic (paged) per distinct topic those alarms notify. Organization trails owned elsewhere are read
// in their owner's account. A failed read is recorded on what it touched.
func (col *collector) monitoring(ctx context.Context) {
	a := col.acct
	// The groups the account's own events reach (IntegratedGroups: its trails' and, issue 26, its CloudWatch telemetry
	// rules'): the alarm chain is judged on each. Each rule holds its own copy of a region's group; the filters are read
	// once per group and given to every copy.
	var groups []*model.LogGroup
	copies := map[string][]*model.LogGroup{}
	byARN := map[string]*model.LogGroup{}
	for _, lg := range IntegratedGroups(a) {
		if byARN[lg.ARN] == nil {
			byARN[lg.ARN] = lg
			groups = append(groups, lg)
			continue
		}
		copies[lg.ARN] = append(copies[lg.ARN], lg)
	}
	fanout.Each(groups, 0, func(_ int, lg *model.LogGroup) { col.bounded(func() { col.metricFilters(ctx, lg) }) })
	for arn, cs := range copies {
		for _, c := range cs {
			src := byARN[arn]
			c.MetricFilters, c.MetricFiltersRead, c.MetricFiltersErr = src.MetricFilters, src.MetricFiltersRead, src.MetricFiltersErr
		}
	}
	mon := &model.Monitoring{RegionErrors: map[string]*model.CallError{}, Topics: map[string]*model.Topic{}}
	a.Monitoring = mon
	metrics := map[string]map[[2]string]bool{} // region -> (namespace, metric) of its filters
	for _, lg := range groups {
		for _, f := range lg.MetricFilters {
			if metrics[lg.Region] == nil {
				metrics[lg.Region] = map[[2]string]bool{}
			}
			metrics[lg.Region][[2]string{f.Namespace, f.Metric}] = true
		}
	}
	for r := range metrics {
		mon.Regions = append(mon.Regions, r)
	}
	sort.Strings(mon.Regions)
	var mu sync.Mutex
	fanout.Each(mon.Regions, 0, func(_ int, r string) {
		col.bounded(func() {
			alarms, err := col.alarms(ctx, r, metrics[r])
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				mon.RegionErrors[r] = err
				return
			}
			mon.Alarms = append(mon.Alarms, alarms...)
		})
	})
	sort.Slice(mon.Alarms, func(i, j int) bool { return mon.Alarms[i].ARN < mon.Alarms[j].ARN })
	for _, al := range mon.Alarms {
		for _, act := range al.Actions {
			// Only a well-formed SNS topic ARN (arn:partition:sns:region:account:name) is a topic to read; other
			// actions (Lambda, SSM, Auto Scaling, or garbage) are not topics.
			if a, err := arn.Parse(act); err == nil && a.Service == "sns" && !strings.Contains(a.Resource, ":") && mon.Topics[act] == nil {
				mon.Topics[act] = &model.Topic{ARN: act}
			}
		}
	}
	topics := slices.Collect(maps.Values(mon.Topics))
	fanout.Each(topics, 0, func(_ int, tp *model.Topic) { col.bounded(func() { col.topic(ctx, tp) }) })
	if len(mon.RegionErrors) == 0 {
		mon.RegionErrors = nil
	}
}

func (col *collector) metricFilters(ctx context.Context, lg *model.LogGroup) {
	p := cloudwatchlogs.NewDescribeMetricFiltersPaginator(col.c.Logs(lg.Region), &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(lg.Name)})
	var out []model.MetricFilter
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			lg.MetricFiltersErr = Classify("logs:DescribeMetricFilters", lg.Region, err)
			return
		}
		for _, f := range page.MetricFilters {
			mf := model.MetricFilter{Name: aws.ToString(f.FilterName), Pattern: aws.ToString(f.FilterPattern)}
			if len(f.MetricTransformations) > 0 {
				t := f.MetricTransformations[0]
				mf.Namespace, mf.Metric, mf.Value = aws.ToString(t.MetricNamespace), aws.ToString(t.MetricName), aws.ToString(t.MetricValue)
			}
			out = append(out, mf)
		}
	}
	lg.MetricFilters, lg.MetricFiltersRead = out, true
}

// alarms reads a region's metric alarms and keeps those on the given metrics.
func (col *collector) alarms(ctx context.Context, region string, metrics map[[2]string]bool) ([]*model.Alarm, *model.CallError) {
	p := cloudwatch.NewDescribeAlarmsPaginator(col.c.CloudWatch(region), &cloudwatch.DescribeAlarmsInput{
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}, MaxRecords: aws.Int32(100)})
	var out []*model.Alarm
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, Classify("cloudwatch:DescribeAlarms", region, err)
		}
		for _, m := range page.MetricAlarms {
			al := &model.Alarm{ARN: aws.ToString(m.AlarmArn), Name: aws.ToString(m.AlarmName), Region: region, Account: col.acct.ID,
				Namespace: aws.ToString(m.Namespace), Metric: aws.ToString(m.MetricName), Dimensions: len(m.Dimensions),
				Statistic: string(m.Statistic), ExtendedStatistic: aws.ToString(m.ExtendedStatistic),
				Comparison: string(m.ComparisonOperator), Threshold: aws.ToFloat64(m.Threshold), Period: int(aws.ToInt32(m.Period)),
				EvaluationPeriods: int(aws.ToInt32(m.EvaluationPeriods)), DatapointsToAlarm: int(aws.ToInt32(m.DatapointsToAlarm)),
				ActionsEnabled: aws.ToBool(m.ActionsEnabled), Actions: m.AlarmActions, MetricMath: len(m.Metrics) > 0}
			if al.MetricMath {
				// A metric math alarm names its metrics inside Metrics: keep it when one of them is a filter's metric.
				for _, q := range m.Metrics {
					if q.MetricStat != nil && q.MetricStat.Metric != nil {
						k := [2]string{aws.ToString(q.MetricStat.Metric.Namespace), aws.ToString(q.MetricStat.Metric.MetricName)}
						if metrics[k] {
							al.Namespace, al.Metric = k[0], k[1]
						}
					}
				}
			}
			if metrics[[2]string{al.Namespace, al.Metric}] {
				out = append(out, al)
			}
		}
	}
	return out, nil
}

// topic reads a topic's subscriptions from its region. A topic that does not exist is recorded as such; one that
// cannot be read (another account without a topic policy, access denied) keeps the error.
func (col *collector) topic(ctx context.Context, tp *model.Topic) {
	a, err := arn.Parse(tp.ARN)
	if err != nil {
		tp.Err = &model.CallError{API: "sns:ListSubscriptionsByTopic", Code: "InvalidTopicArn", Message: err.Error(), Kind: model.ErrOther}
		return
	}
	region := a.Region
	p := sns.NewListSubscriptionsByTopicPaginator(col.c.SNS(region), &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(tp.ARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			ce := Classify("sns:ListSubscriptionsByTopic", region, err)
			if ce.Kind == model.ErrNotFound {
				tp.Exists, tp.Confirmed, tp.Pending, tp.Protocols = false, 0, 0, nil
				return
			}
			tp.Err = ce
			return
		}
		tp.Exists = true
		for _, s := range page.Subscriptions {
			// ListSubscriptionsByTopic shows "PendingConfirmation" until the endpoint confirms (SNS API reference).
			if arn := aws.ToString(s.SubscriptionArn); arn == "PendingConfirmation" || !strings.HasPrefix(arn, "arn:") {
				tp.Pending++
				continue
			}
			tp.Confirmed++
			if p := aws.ToString(s.Protocol); !slices.Contains(tp.Protocols, p) {
				tp.Protocols = append(tp.Protocols, p)
			}
		}
	}
	tp.Exists = true
	sort.Strings(tp.Protocols)
}
