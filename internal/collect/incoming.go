package collect

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/trailwatch/trailwatch/internal/fanout"
	"github.com/trailwatch/trailwatch/internal/model"
)

// MetricDataAPI reads CloudWatch metrics. The SDK's CloudWatch client has it; a CloudWatchAPI that lacks it (a test
// fake) leaves the groups' volume unread, with the reason.
type MetricDataAPI interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// metricQueriesPerCall is GetMetricData's limit (API reference: "You can include up to 500 MetricDataQuery structures
// in one call").
const metricQueriesPerCall = 500

// IntegratedGroups are the log groups the account's own CloudTrail events reach: each existing group of a trail it
// owns, and each group of its CloudWatch telemetry rules. A group two rules share is listed once per copy, so every
// copy gets what is read.
func IntegratedGroups(a *model.Account) []*model.LogGroup {
	var out []*model.LogGroup
	for _, t := range a.Trails {
		if lg := t.LogGroup; !t.OwnedElsewhere && lg != nil && lg.Exists && lg.Account == a.ID && !slices.Contains(out, lg) {
			out = append(out, lg)
		}
	}
	if tm := a.Telemetry; tm != nil {
		for _, r := range tm.Rules {
			for _, reg := range slices.Sorted(maps.Keys(r.Groups)) {
				if lg := r.Groups[reg]; lg != nil && lg.Exists && !slices.Contains(out, lg) {
					out = append(out, lg)
				}
			}
		}
	}
	return out
}

// ReadIncoming reads, for each group IntegratedGroups lists, its AWS/Logs IncomingBytes (uncompressed bytes ingested:
// CloudWatch Logs User Guide, "CloudWatch Logs metrics") summed per UTC day over the days complete UTC days before
// now: one GetMetricData call per region and 500 groups (paged), from the account's own clients. A failed read sets
// each group's Incoming.Err: its volume is unknown, never zero.
func ReadIncoming(ctx context.Context, c Clients, a *model.Account, now time.Time, days int) {
	today := now.UTC().Truncate(24 * time.Hour)
	start := today.AddDate(0, 0, -days)
	byRegion := map[string]map[string][]*model.LogGroup{} // region -> name -> copies
	for _, lg := range IntegratedGroups(a) {
		if byRegion[lg.Region] == nil {
			byRegion[lg.Region] = map[string][]*model.LogGroup{}
		}
		byRegion[lg.Region][lg.Name] = append(byRegion[lg.Region][lg.Name], lg)
	}
	type job struct {
		region string
		names  []string
	}
	var jobs []job
	for _, region := range slices.Sorted(maps.Keys(byRegion)) {
		names := slices.Sorted(maps.Keys(byRegion[region]))
		for i := 0; i < len(names); i += metricQueriesPerCall {
			jobs = append(jobs, job{region, names[i:min(i+metricQueriesPerCall, len(names))]})
		}
	}
	fanout.Each(jobs, 8, func(_ int, jb job) {
		daily, err := incoming(ctx, c.CloudWatch(jb.region), jb.region, jb.names, start, today, days)
		for j, n := range jb.names {
			for _, lg := range byRegion[jb.region][n] {
				in := &model.Incoming{Start: start, Err: err}
				if err == nil {
					in.DailyBytes = daily[j]
				}
				lg.Incoming = in
			}
		}
	})
}

// incoming reads one region's chunk of groups: their daily IncomingBytes, in the chunk's order.
func incoming(ctx context.Context, cw CloudWatchAPI, region string, names []string, start, end time.Time, days int) ([][]int64, *model.CallError) {
	api, ok := cw.(MetricDataAPI)
	if !ok {
		return nil, &model.CallError{API: "cloudwatch:GetMetricData", Region: region, Kind: model.ErrOther, Code: "NotSupported", Message: "this CloudWatch client cannot read metrics"}
	}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(end), ScanBy: cwtypes.ScanByTimestampAscending}
	for i, n := range names {
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{Id: aws.String(fmt.Sprintf("g%d", i)),
			MetricStat: &cwtypes.MetricStat{Period: aws.Int32(86400), Stat: aws.String("Sum"), Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Logs"),
				MetricName: aws.String("IncomingBytes"), Dimensions: []cwtypes.Dimension{{Name: aws.String("LogGroupName"), Value: aws.String(n)}}}}})
	}
	out := make([][]int64, len(names))
	for i := range out {
		out[i] = make([]int64, days)
	}
	p := cloudwatch.NewGetMetricDataPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, Classify("cloudwatch:GetMetricData", region, err)
		}
		for _, r := range page.MetricDataResults {
			var i int
			if _, err := fmt.Sscanf(aws.ToString(r.Id), "g%d", &i); err != nil || i < 0 || i >= len(names) {
				continue
			}
			if r.StatusCode != cwtypes.StatusCodeComplete && r.StatusCode != cwtypes.StatusCodePartialData {
				return nil, &model.CallError{API: "cloudwatch:GetMetricData", Region: region, Kind: model.ErrOther, Code: string(r.StatusCode),
					Message: fmt.Sprintf("the IncomingBytes of %s came back %s", names[i], r.StatusCode)}
			}
			for k, ts := range r.Timestamps {
				if d := int(ts.UTC().Sub(start) / (24 * time.Hour)); d >= 0 && d < days && k < len(r.Values) {
					out[i][d] = addBytes(out[i][d], r.Values[k])
				}
			}
		}
	}
	return out, nil
}

// addBytes adds a datapoint to a day's bytes, saturating at the int64 limit: a float beyond it must not wrap into a
// negative (or zero) day (field trial).
func addBytes(sum int64, v float64) int64 {
	if v <= 0 || math.IsNaN(v) {
		return sum
	}
	if v >= float64(math.MaxInt64) || sum > math.MaxInt64-int64(v) {
		return math.MaxInt64
	}
	return sum + int64(v)
}
