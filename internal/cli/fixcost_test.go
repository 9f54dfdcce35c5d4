package cli

import (
	"math"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/cost"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

const costScenario = `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: busy, home_region: us-east-1, multi_region: true, s3_bucket: ct-logs,
         s3_delivery: {events_per_day: [300, 400, 500, 600, 500, 400, 300]}}
      - {name: foreign, home_region: eu-west-1, s3_bucket: theirs, s3_delivery: {events_per_day: [100], bucket_account: "222222222222"}}
`

// TestFixPlanCost: `fix plan --cost` shows, before anything is applied, each integrated trail's estimated monthly
// ingestion in GB and USD from its own S3 delivery (or UNKNOWN with the reason for a bucket it cannot read), in text
// and JSON; with --via telemetry-rule, the account's at the telemetry rule's price; --price-per-gb overrides it; the
// flags are checked before any AWS call.
func TestFixPlanCost(t *testing.T) {
	srv := simFrom(t, []byte(costScenario))
	run := simRun(srv)
	code, out, errs := run(t, "fix", "plan", "--cost", "--format", "json")
	if code != 0 {
		t.Fatalf("plan: %d %s", code, errs)
	}
	p, err := remediate.ReadPlan([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	byTrail := map[string]cost.Estimate{}
	for _, e := range p.Costs {
		byTrail[e.Resource] = e
	}
	busy := byTrail["arn:aws:cloudtrail:us-east-1:111111111111:trail/busy"]
	if busy.Status != cost.Estimated || busy.MonthlyGB == nil || busy.MonthlyGB.Median <= 0 || math.Abs(busy.MonthlyUSD.Median-busy.MonthlyGB.Median*0.5) > 0.01 || busy.MonthlyGB.Min >= busy.MonthlyGB.Max {
		t.Errorf("busy: %+v", busy)
	}
	if f := byTrail["arn:aws:cloudtrail:eu-west-1:111111111111:trail/foreign"]; f.Status != cost.Unknown || !strings.Contains(f.Reason, "AccessDenied") || f.MonthlyGB != nil || strings.Contains(out, `"monthly_usd":{"min":0`) {
		t.Errorf("another account's bucket: %+v", f)
	}
	code, out, _ = run(t, "fix", "plan", "--cost")
	if code != 0 || !strings.Contains(out, "Estimated CloudWatch Logs ingestion a month") || !strings.Contains(out, "trail/foreign: UNKNOWN: bucket theirs could not be read") {
		t.Errorf("text:\n%s", out)
	}
	code, out, _ = run(t, "fix", "plan", "--cost", "--via", "telemetry-rule", "--price-per-gb", "1", "--format", "json")
	if code != 0 {
		t.Fatal(code)
	}
	if p, err = remediate.ReadPlan([]byte(out)); err != nil || len(p.Costs) != 1 || p.Costs[0].Resource != "111111111111" || p.Costs[0].PricePerGB != 1 ||
		p.Costs[0].Status != cost.Estimated || math.Abs(p.Costs[0].MonthlyUSD.Median-p.Costs[0].MonthlyGB.Median) > 0.01 || p.Costs[0].Measured != "arn:aws:cloudtrail:us-east-1:111111111111:trail/busy" {
		t.Errorf("telemetry rule: %v %+v", err, p.Costs)
	}
	before := srv.CallsTo("*")
	for _, args := range [][]string{{"--price-per-gb", "1"}, {"--cost", "--price-per-gb", "-1"}, {"--cost", "--price-per-gb", "0"}, {"--cost", "--price-per-gb", "NaN"},
		{"--cost", "--price-per-gb", "Inf"}, {"--cost", "--price-per-gb", "1e308"}, {"--cost", "--format", "terraform"}} {
		if code, _, errs := run(t, append([]string{"fix", "plan"}, args...)...); code != ExitUsage {
			t.Errorf("%v: %d %s", args, code, errs)
		}
	}
	if n := srv.CallsTo("*") - before; n != 0 {
		t.Errorf("%d AWS calls before the flags were refused", n)
	}
}

// TestFixPlanCostAllRegions (field trial): --regions narrows the scan, not what a multi-region trail sends: its cost
// is measured in every enabled region.
func TestFixPlanCostAllRegions(t *testing.T) {
	srv := simFrom(t, []byte(`
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1, us-west-2]
    trails:
      - {name: busy, home_region: us-east-1, multi_region: true, s3_bucket: ct-logs, s3_delivery: {events_per_day: [300, 300]}}
`))
	run := simRun(srv)
	code, out, errs := run(t, "fix", "plan", "--cost", "--regions", "us-east-1", "--format", "json")
	if code != 0 {
		t.Fatalf("%d %s", code, errs)
	}
	p, err := remediate.ReadPlan([]byte(out))
	if err != nil || len(p.Costs) != 1 || !strings.Contains(p.Costs[0].Source, "{eu-west-1,us-east-1,us-west-2}") {
		t.Errorf("%v %+v", err, p.Costs)
	}
}
