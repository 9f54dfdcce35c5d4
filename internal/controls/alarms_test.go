package controls

import (
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/model"
)

// TestAlarmFiresOnOneEvent: the alarm link, on the pure model, for the statistics and settings the simulator does not
// vary (percentiles, SampleCount, metric math, a metric value other than 1).
func TestAlarmFiresOnOneEvent(t *testing.T) {
	const topic = "arn:aws:sns:us-east-1:111111111111:cis"
	base := func() *model.Alarm {
		return &model.Alarm{ARN: "arn:aws:cloudwatch:us-east-1:111111111111:alarm:a", Name: "a", Region: "us-east-1", Account: "111111111111",
			Namespace: "CIS", Metric: "Trail", Statistic: "Sum", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 1,
			Period: 300, EvaluationPeriods: 1, ActionsEnabled: true, Actions: []string{topic}}
	}
	cases := []struct {
		name   string
		value  string
		change func(a *model.Alarm)
		status model.Status
		code   string
	}{
		{"Sum >= 1", "1", func(*model.Alarm) {}, model.StatusPass, Monitored},
		{"SampleCount > 0", "1", func(a *model.Alarm) {
			a.Statistic, a.Comparison, a.Threshold = "SampleCount", "GreaterThanThreshold", 0
		}, model.StatusPass, Monitored},
		{"p99 >= 1", "1", func(a *model.Alarm) { a.Statistic, a.ExtendedStatistic = "", "p99" }, model.StatusPass, Monitored},
		{"Sum > 1 cannot fire on one event", "1", func(a *model.Alarm) { a.Comparison = "GreaterThanThreshold" }, model.StatusFail, AlarmCannotFire},
		{"metric value 5 makes Sum > 1 fire", "5", func(a *model.Alarm) { a.Comparison = "GreaterThanThreshold" }, model.StatusPass, Monitored},
		{"3 of 5 datapoints", "1", func(a *model.Alarm) { a.EvaluationPeriods, a.DatapointsToAlarm = 5, 3 }, model.StatusFail, AlarmCannotFire},
		{"1 of 5 datapoints", "1", func(a *model.Alarm) { a.EvaluationPeriods, a.DatapointsToAlarm = 5, 1 }, model.StatusPass, Monitored},
		{"metric math", "1", func(a *model.Alarm) { a.MetricMath = true }, model.StatusUnknown, AlarmUnjudgeable},
		{"actions disabled", "1", func(a *model.Alarm) { a.ActionsEnabled = false }, model.StatusFail, AlarmActionsDisabled},
		{"a Lambda action only", "1", func(a *model.Alarm) { a.Actions = []string{"arn:aws:lambda:us-east-1:111111111111:function:f"} }, model.StatusFail, AlarmNoTopic},
	}
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	items, _ := alarms.ForVersion("")
	var item alarms.Item
	for _, it := range items {
		if it.CIS == "4.5" {
			item = it
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := healthy()
			tr.MultiRegion = true
			tr.LogGroup.MetricFiltersRead = true
			tr.LogGroup.MetricFilters = []model.MetricFilter{{Name: "f", Pattern: item.Pattern, Namespace: "CIS", Metric: "Trail", Value: tc.value}}
			al := base()
			tc.change(al)
			a := &model.Account{ID: "111111111111", OrgID: "o-a1b2c3d4e5", Regions: []string{"us-east-1"}, Trails: []*model.Trail{tr},
				Monitoring: &model.Monitoring{Regions: []string{"us-east-1"}, Alarms: []*model.Alarm{al},
					Topics: map[string]*model.Topic{topic: {ARN: topic, Exists: true, Confirmed: 1, Protocols: []string{"email"}}}}}
			s := DefaultSettings(now)
			s.Alarms = []alarms.Item{item}
			var got *model.Finding
			for _, f := range Evaluate(cat, &model.Inventory{Partition: "aws", Accounts: []*model.Account{a}}, s) {
				if f.ControlID == item.ID {
					got = &f
				}
			}
			if got == nil {
				t.Fatal("no finding")
			}
			if got.Status != tc.status || reasonCodes(*got) != tc.code {
				t.Errorf("%s %s: %s", got.Status, reasonCodes(*got), strings.Join([]string{got.Reasons[0].Message}, ""))
			}
		})
	}
}

// TestAlarmControlTitles: the item's title reads as CIS writes it inside the sentence, names and acronyms intact.
func TestAlarmControlTitles(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"alarm-organizations-changes":            "A log metric filter and alarm exist for AWS Organizations changes",
		"alarm-iam-policy-changes":               "A log metric filter and alarm exist for IAM policy changes",
		"alarm-cloudtrail-configuration-changes": "A log metric filter and alarm exist for CloudTrail configuration changes",
		"alarm-security-group-changes":           "A log metric filter and alarm exist for security group changes",
		"alarm-root-account-usage":               "A log metric filter and alarm exist for usage of the root account",
		"alarm-s3-bucket-policy-changes":         "A log metric filter and alarm exist for S3 bucket policy changes",
	} {
		c, ok := cat.Control(id)
		if !ok || c.Title != want {
			t.Errorf("%s: %q, want %q", id, c.Title, want)
		}
	}
}
