package prove

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// Reason codes of the alarm proof (prove --alarms).
const (
	FilterProven     = "FILTER_PROVEN"
	FilterMissProven = "FILTER_MISS_PROVEN"
	NothingToProve   = "NOTHING_TO_PROVE"
)

// AlarmLogsAPI is what the alarm proof needs: the account's own events, and CloudWatch Logs' own matcher.
type AlarmLogsAPI interface {
	LogsAPI
	TestMetricFilter(ctx context.Context, in *cloudwatchlogs.TestMetricFilterInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.TestMetricFilterOutput, error)
}

// maxSample is how many recent events an item is proven with: TestMetricFilter takes 1 to 50 messages (CloudWatch
// Logs API reference, TestMetricFilter: logEventMessages, "Minimum number of 1 item. Maximum number of 50 items").
const maxSample = 50

// Alarms proves each CIS item's stored metric filter on the account's own events: from each monitored log group the
// alarm findings name, up to 50 events of the last window that the item's published pattern matches (FilterLogEvents
// with that pattern), run through the stored filter with TestMetricFilter, AWS's own matcher. An event the published
// pattern matches and the stored filter does not is a proven miss (FILTER_MISS_PROVEN, FAIL, with the event's name,
// time and principal); all matched is FILTER_PROVEN; no such event in the window is NOTHING_TO_PROVE (UNKNOWN, never
// PASS). logs(account, region) reaches a group's account.
func Alarms(ctx context.Context, cat *controls.Catalog, inv *model.Inventory, findings []model.Finding, items []alarms.Item,
	logs func(account, region string) (AlarmLogsAPI, bool), window time.Duration, now time.Time) []model.Finding {
	groups := map[string]*model.LogGroup{}
	for _, a := range inv.Accounts {
		for _, t := range a.Trails {
			if lg := t.LogGroup; lg != nil && lg.ARN != "" {
				groups[strings.TrimSuffix(lg.ARN, ":*")] = lg
			}
		}
	}
	type job struct {
		item   alarms.Item
		group  string
		filter *model.MetricFilter
	}
	seen := map[string]bool{}
	var jobs []job
	for _, f := range findings {
		if !controls.IsAlarmControl(f.ControlID) || f.Evidence == nil || f.Evidence.Chain == nil || f.Evidence.Chain.LogGroup == "" {
			continue
		}
		i := -1
		for j, it := range items {
			if it.ID == f.ControlID {
				i = j
			}
		}
		g := strings.TrimSuffix(f.Evidence.Chain.LogGroup, ":*")
		if i < 0 || seen[g+"|"+f.ControlID] {
			continue
		}
		seen[g+"|"+f.ControlID] = true
		j := job{item: items[i], group: g}
		if lg := groups[g]; lg != nil && f.Evidence.Chain.Filter != "" {
			for k := range lg.MetricFilters {
				if lg.MetricFilters[k].Name == f.Evidence.Chain.Filter {
					j.filter = &lg.MetricFilters[k]
				}
			}
		}
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool {
		if jobs[a].group != jobs[b].group {
			return jobs[a].group < jobs[b].group
		}
		return jobs[a].item.CIS < jobs[b].item.CIS
	})
	var out []model.Finding
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		// The log group is the resource (by ARN); the item makes the finding distinct. Title and severity are the
		// item's alarm control's: a filter proven to miss is that control's failure, proven.
		f := model.Finding{ControlID: ControlID, ResourceType: "AWS::Logs::LogGroup", ResourceID: j.group,
			Title: fmt.Sprintf("CIS %s %s: the stored metric filter counts the account's own events", j.item.CIS, j.item.Title)}
		f.ID = model.FindingID(ControlID, j.group+"#"+j.item.ID)
		if ctl, ok := cat.Control(j.item.ID); ok {
			f.Severity, f.Remediation = ctl.Severity, ctl.Remediation
		}
		g, ok := awsarn.ParseLogGroup(j.group + ":*")
		if !ok {
			continue
		}
		f.AccountID, f.Region = g.Account, g.Region
		st, code, msg := proveItem(ctx, j.item, g, j.filter, logs, window, now)
		f.Status, f.Reasons = st, []model.Reason{{Code: code, Message: msg}}
		out = append(out, f)
	}
	return out
}

func proveItem(ctx context.Context, it alarms.Item, g awsarn.LogGroup, filter *model.MetricFilter, logs func(account, region string) (AlarmLogsAPI, bool),
	window time.Duration, now time.Time) (model.Status, string, string) {
	api, ok := logs(g.Account, g.Region)
	if !ok {
		return model.StatusUnknown, OutOfScope, fmt.Sprintf("CIS %s: log group %s is in account %s, outside this run.", it.CIS, g.Name, g.Account)
	}
	var msgs []string
	out, err := api.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(g.Name), FilterPattern: aws.String(it.Pattern),
		StartTime: aws.Int64(now.Add(-window).UnixMilli()), EndTime: aws.Int64(now.UnixMilli()), Limit: aws.Int32(maxSample)})
	if err != nil {
		return model.StatusUnknown, GroupUnreadable, fmt.Sprintf("CIS %s: %s.", it.CIS, refusal("logs:FilterLogEvents on "+g.Name, err))
	}
	for _, e := range out.Events {
		// trailwatch prove's own markers are no evidence about the account's activity.
		if m := aws.ToString(e.Message); !strings.Contains(m, "trailwatch-proof-") {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return model.StatusUnknown, NothingToProve, fmt.Sprintf("CIS %s %s: no event of the last %s in %s matches the published pattern, so the stored filter cannot be proven on real events (the configuration's verdict stands).", it.CIS, it.Title, window, g.Name)
	}
	if filter == nil {
		return model.StatusFail, FilterMissProven, fmt.Sprintf("CIS %s %s: %d recent events in %s match the published pattern and no metric filter counts them, for example %s.", it.CIS, it.Title, len(msgs), g.Name, describeEvent(msgs[0]))
	}
	tm, err := api.TestMetricFilter(ctx, &cloudwatchlogs.TestMetricFilterInput{FilterPattern: aws.String(filter.Pattern), LogEventMessages: msgs})
	if err != nil {
		return model.StatusUnknown, GroupUnreadable, fmt.Sprintf("CIS %s: %s.", it.CIS, refusal("logs:TestMetricFilter", err))
	}
	matched := map[int64]bool{}
	for _, m := range tm.Matches {
		matched[m.EventNumber] = true
	}
	var missed []string
	for i, m := range msgs {
		if !matched[int64(i+1)] {
			missed = append(missed, describeEvent(m))
		}
	}
	if len(missed) > 0 {
		return model.StatusFail, FilterMissProven, fmt.Sprintf("CIS %s %s: metric filter %q missed %d of %d recent events the published pattern matches, for example %s.", it.CIS, it.Title, filter.Name, len(missed), len(msgs), strings.Join(missed[:min(3, len(missed))], "; "))
	}
	return model.StatusPass, FilterProven, fmt.Sprintf("CIS %s %s: metric filter %q matched all %d recent events the published pattern matches in %s (TestMetricFilter).", it.CIS, it.Title, filter.Name, len(msgs), g.Name)
}

// describeEvent names a CloudTrail record by its event name, time and principal.
func describeEvent(msg string) string {
	var e struct {
		EventName    string `json:"eventName"`
		EventTime    string `json:"eventTime"`
		UserIdentity struct {
			ARN string `json:"arn"`
		} `json:"userIdentity"`
	}
	if json.Unmarshal([]byte(msg), &e) != nil || e.EventName == "" {
		return "an event that is not a CloudTrail record"
	}
	who := e.UserIdentity.ARN
	if who == "" {
		who = "an unnamed principal"
	}
	return fmt.Sprintf("%s at %s by %s", e.EventName, e.EventTime, who)
}
