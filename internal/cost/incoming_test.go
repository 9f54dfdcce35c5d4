package cost

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/model"
)

// TestGroup: an integrated group's monthly figures are its daily IncomingBytes times 30.4, from the days with any
// ingestion (figures worked out by hand below), and a group without a reading is UNKNOWN, never a zero.
func TestGroup(t *testing.T) {
	lg := func(in *model.Incoming) *model.LogGroup {
		return &model.LogGroup{ARN: "arn:aws:logs:us-east-1:111111111111:log-group:CT:*", Incoming: in}
	}
	cases := []struct {
		name             string
		in               *model.Incoming
		status           string
		min, median, max float64 // monthly GB
		reason           string
	}{
		// Days with data sorted: 1, 1, 1, 2, 2, 3 GB; the median is (1+2)/2 = 1.5 GB; a month is 30.4 days.
		{"a week", &model.Incoming{DailyBytes: []int64{1e9, 0, 3e9, 2e9, 1e9, 1e9, 2e9}}, Estimated, 30.4, 45.6, 91.2, ""},
		{"one busy day", &model.Incoming{DailyBytes: []int64{0, 0, 5e8}}, Estimated, 15.2, 15.2, 15.2, ""},
		{"nothing ingested", &model.Incoming{DailyBytes: []int64{0, 0, 0}}, Unknown, 0, 0, 0, "ingested nothing in the last 3 days"},
		{"read failed", &model.Incoming{Err: &model.CallError{API: "cloudwatch:GetMetricData", Code: "AccessDenied", Message: "no", Kind: model.ErrAccessDenied}}, Unknown, 0, 0, 0, "AccessDenied"},
		{"not read", nil, Unknown, 0, 0, 0, "not read"},
		// Two days near the int64 limit: the median must lie between them (it overflowed into a negative figure).
		{"huge days", &model.Incoming{DailyBytes: []int64{math.MaxInt64 - 1, math.MaxInt64 - 3}}, Estimated, float64(math.MaxInt64-3) * 30.4 / 1e9, float64(math.MaxInt64-2) * 30.4 / 1e9, float64(math.MaxInt64-1) * 30.4 / 1e9, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := Group(lg(tc.in), 0.5)
			if e.Status != tc.status || !strings.Contains(e.Reason, tc.reason) {
				t.Fatalf("status %s reason %q; want %s %q", e.Status, e.Reason, tc.status, tc.reason)
			}
			if tc.status != Estimated {
				if e.MonthlyGB != nil || e.MonthlyUSD != nil {
					t.Errorf("an UNKNOWN estimate carries figures: %+v %+v", e.MonthlyGB, e.MonthlyUSD)
				}
				return
			}
			// Figures are rounded to 4 significant digits (GB) and to the cent (USD).
			near := func(a, b float64) bool { return math.Abs(a-b) <= 5e-4*math.Max(1e-3, math.Abs(b)) }
			if g := e.MonthlyGB; !near(g.Min, tc.min) || !near(g.Median, tc.median) || !near(g.Max, tc.max) {
				t.Errorf("GB %+v, want %v/%v/%v", *g, tc.min, tc.median, tc.max)
			}
			if u := e.MonthlyUSD; math.Abs(u.Median-tc.median*0.5) > 0.005 {
				t.Errorf("USD %+v", *u)
			}
		})
	}
}

// TestGroupsPricesByPath: a trail's group is priced as ingestion, a telemetry rule's as the rule's delivery, each group
// once however many trails or rules share it.
func TestGroupsPricesByPath(t *testing.T) {
	in := &model.Incoming{Start: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC), DailyBytes: []int64{1e9}}
	ct := &model.LogGroup{ARN: "arn:aws:logs:us-east-1:111111111111:log-group:CT:*", Incoming: in}
	tg := &model.LogGroup{ARN: "arn:aws:logs:us-east-1:111111111111:log-group:aws/cloudtrail/managementevents:*", Incoming: in}
	a := &model.Account{ID: "111111111111", Trails: []*model.Trail{{ARN: "t1", LogGroup: ct}, {ARN: "t2", LogGroup: ct}},
		Telemetry: &model.Telemetry{Rules: []*model.TelemetryRule{{ARN: "r1", Groups: map[string]*model.LogGroup{"us-east-1": tg}}, {ARN: "r2", Groups: map[string]*model.LogGroup{"us-east-1": tg}}}}}
	es := Groups(&model.Inventory{Accounts: []*model.Account{a}}, DefaultPrices)
	if len(es) != 2 {
		t.Fatalf("%d estimates, want one per group: %+v", len(es), es)
	}
	if es[0].PricePerGB != 0.50 || es[1].PricePerGB != 0.75 {
		t.Errorf("prices %v and %v, want 0.50 (a trail's group) and 0.75 (a telemetry rule's)", es[0].PricePerGB, es[1].PricePerGB)
	}
}
