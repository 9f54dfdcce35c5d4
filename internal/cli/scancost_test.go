package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/cost"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

// scanCostScenario: a trail integrated with log group CT, which ingested 1, 0, 3, 2, 1, 1 and 2 GB on the last seven
// days, and a telemetry rule of every region whose groups ingested 0.5 GB yesterday.
const scanCostScenario = `
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
    log_groups:
      - {name: CT, region: us-east-1, retention_days: 365, daily_bytes: [1000000000, 0, 3000000000, 2000000000, 1000000000, 1000000000, 2000000000]}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
    telemetry_status: RUNNING
    telemetry_rules:
      - {name: ct, all_regions: true, daily_bytes: [500000000]}
`

// TestScanCost (issue 26): scan --cost shows what each integrated log group costs today, from its own IncomingBytes:
// one GetMetricData call per region, the trail's group at the ingestion price and the telemetry rule's at the rule's,
// in JSON, the table and the HTML report; a read that fails leaves that group UNKNOWN with the reason, never a figure.
func TestScanCost(t *testing.T) {
	srv := simFrom(t, []byte(scanCostScenario))
	run := simRun(srv)
	if code, _, errs := run(t, "scan", "--price-per-gb", "0.6"); code != ExitUsage || !strings.Contains(errs, "--cost") {
		t.Errorf("--price-per-gb without --cost: %d %s", code, errs)
	}
	if code, _, errs := run(t, "scan", "--cost", "--price-per-gb", "-1"); code != ExitUsage || !strings.Contains(errs, "above 0") {
		t.Errorf("--price-per-gb -1: %d %s", code, errs)
	}
	if code, _, errs := run(t, "scan", "--cost", "--format", "csv"); code != ExitUsage || !strings.Contains(errs, "--format table, json or html") {
		t.Errorf("--cost --format csv (no place for costs): %d %s", code, errs)
	}
	before := srv.CallsTo("cloudwatch:GetMetricData")
	code, out, errs := run(t, "scan", "--cost", "--format", "json")
	if code != 0 {
		t.Fatalf("scan --cost: %d %s", code, errs)
	}
	if n := srv.CallsTo("cloudwatch:GetMetricData") - before; n != 2 {
		t.Errorf("%d GetMetricData calls, want one per region with integrated groups (2)", n)
	}
	var r struct {
		Costs       []cost.Estimate `json:"costs"`
		PriceSource string          `json:"price_source"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	byRes := map[string]cost.Estimate{}
	for _, e := range r.Costs {
		byRes[e.Resource] = e
	}
	// By hand: CT's days with data sorted 1, 1, 1, 2, 2, 3 GB: median 1.5 GB a day, 45.6 GB a month, $22.80 at $0.50.
	ct := byRes["arn:aws:logs:us-east-1:111111111111:log-group:CT:*"]
	if ct.Status != cost.Estimated || ct.MonthlyGB == nil || ct.MonthlyGB.Median != 45.6 || ct.MonthlyUSD.Median != 22.8 || ct.DaysWithData != 6 || ct.Days != 7 {
		t.Errorf("CT: %+v", ct)
	}
	// The rule's groups: 0.5 GB a day, 15.2 GB a month, $11.40 at $0.75.
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		e := byRes["arn:aws:logs:"+region+":111111111111:log-group:aws/cloudtrail/managementevents:*"]
		if e.Status != cost.Estimated || e.MonthlyGB == nil || e.MonthlyGB.Median != 15.2 || e.MonthlyUSD.Median < 11.399 || e.MonthlyUSD.Median > 11.401 {
			t.Errorf("telemetry group in %s: %+v", region, e)
		}
	}
	if len(r.Costs) != 3 || !strings.Contains(r.PriceSource, "2026-12") {
		t.Errorf("%d estimates, price source %q", len(r.Costs), r.PriceSource)
	}
	code, out, _ = run(t, "scan", "--cost")
	if code != 0 || !strings.Contains(out, "CloudWatch Logs ingestion a month today") || !strings.Contains(out, "\n  arn:aws:logs:us-east-1:111111111111:log-group:CT:*: 45.60 GB ($22.80) a month at the median day") ||
		strings.Contains(out, `\x0a`) {
		t.Errorf("table: %d\n%s", code, out)
	}
	html := filepath.Join(t.TempDir(), "r.html")
	if code, _, errs := run(t, "scan", "--cost", "--format", "html", "-o", html); code != 0 {
		t.Fatalf("html: %d %s", code, errs)
	}
	if b, _ := os.ReadFile(html); !strings.Contains(string(b), `<section id="cost">`) || !strings.Contains(string(b), "45.60 GB · $22.80") {
		t.Errorf("the HTML report lacks the costs")
	}
	before = srv.CallsTo("cloudwatch:GetMetricData")
	if code, out, _ := run(t, "scan", "--format", "json"); code != 0 || strings.Contains(out, `"costs"`) || srv.CallsTo("cloudwatch:GetMetricData") != before {
		t.Errorf("without --cost: no costs and no GetMetricData call (%d calls)", srv.CallsTo("cloudwatch:GetMetricData")-before)
	}
}

// TestScanCostUnreadable: a region whose metrics cannot be read leaves its groups UNKNOWN with the error; the others
// are estimated, and the scan's verdicts are untouched.
func TestScanCostUnreadable(t *testing.T) {
	srv := simFrom(t, []byte(scanCostScenario+`    faults:
      - {operation: "cloudwatch:GetMetricData", region: eu-west-1, error: AccessDeniedException, message: "not authorized to perform: cloudwatch:GetMetricData"}
`))
	code, out, errs := simRun(srv)(t, "scan", "--cost", "--format", "json")
	if code != 0 {
		t.Fatalf("scan --cost: %d %s", code, errs)
	}
	var r struct {
		Costs []cost.Estimate `json:"costs"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	for _, e := range r.Costs {
		eu := strings.Contains(e.Resource, ":eu-west-1:")
		if eu && (e.Status != cost.Unknown || e.MonthlyGB != nil || !strings.Contains(e.Reason, "AccessDenied")) || !eu && e.Status != cost.Estimated {
			t.Errorf("%s: %s %q", e.Resource, e.Status, e.Reason)
		}
	}
}

// TestReportJoinsFixCost (issue 26: "the HTML report shows both"): report --plan joins a fix plan's estimates
// (fix plan --cost, which reads the trails' S3 delivery) to a saved scan's (scan --cost, which reads only metrics):
// the HTML report then has both sections, the table both summaries and the JSON both lists. A plan made without
// --cost, and a format with no place for estimates, are refused before anything is written.
func TestReportJoinsFixCost(t *testing.T) {
	// CT as in scanCostScenario, and a trail with S3 delivery but no CloudWatch Logs, which the fix integrates.
	srv := simFrom(t, []byte(`
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
      - {name: busy, home_region: eu-west-1, s3_bucket: ct-logs, s3_delivery: {events_per_day: [300, 400, 500, 600, 500, 400, 300]}}
    log_groups:
      - {name: CT, region: us-east-1, retention_days: 365, daily_bytes: [1000000000, 0, 3000000000, 2000000000, 1000000000, 1000000000, 2000000000]}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
`))
	dir := t.TempDir()
	run := simRun(srv)
	scanFile, planFile, bare := filepath.Join(dir, "scan.json"), filepath.Join(dir, "plan.json"), filepath.Join(dir, "bare.json")
	if code, _, errs := run(t, "scan", "--cost", "--format", "json", "-o", scanFile); code > 1 {
		t.Fatalf("scan: %d %s", code, errs)
	}
	if code, _, errs := run(t, "fix", "plan", "--cost", "--format", "json", "-o", planFile); code != 0 {
		t.Fatalf("fix plan: %d %s", code, errs)
	}
	if code, _, errs := run(t, "fix", "plan", "--format", "json", "-o", bare); code != 0 {
		t.Fatalf("fix plan: %d %s", code, errs)
	}
	data, _ := os.ReadFile(planFile)
	var p struct {
		Costs []cost.Estimate `json:"costs"`
	}
	if err := json.Unmarshal(data, &p); err != nil || len(p.Costs) != 1 || p.Costs[0].MonthlyUSD == nil {
		t.Fatalf("the plan's estimates: %v %+v", err, p.Costs)
	}
	busy := p.Costs[0]
	html := filepath.Join(dir, "r.html")
	if code, _, errs := run(t, "report", "--from", scanFile, "--plan", planFile, "--format", "html", "-o", html); code != 0 {
		t.Fatalf("report: %d %s", code, errs)
	}
	b, _ := os.ReadFile(html)
	page := string(b)
	for _, want := range []string{`<section id="cost">`, "45.60 GB · $22.80", `<section id="fix-cost">`, "<code>" + busy.Resource + "</code>",
		fmt.Sprintf("$%.2f", busy.MonthlyUSD.Median)} {
		if !strings.Contains(page, want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	code, out, _ := run(t, "report", "--from", scanFile, "--plan", planFile)
	if code != 0 || !strings.Contains(out, "CloudWatch Logs ingestion a month today") || !strings.Contains(out, "What the fix would add a month") || !strings.Contains(out, busy.Resource+": ") {
		t.Errorf("table: %d\n%s", code, out)
	}
	code, out, _ = run(t, "report", "--from", scanFile, "--plan", planFile, "--format", "json")
	if code != 0 || !strings.Contains(out, `"fix_costs"`) || !strings.Contains(out, `"fix_planned_at"`) {
		t.Errorf("json: %d\n%s", code, out)
	}
	// A costed plan that fixes nothing says the fix adds nothing, in the table and the HTML report.
	nothing := filepath.Join(dir, "nothing.json")
	if err := os.WriteFile(nothing, []byte(fmt.Sprintf(`{"schema_version": %d, "generated_at": "2026-11-22T12:00:00Z", "steps": [], "refused": [], "price_source": "test prices"}`, remediate.SchemaVersion)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run(t, "report", "--from", scanFile, "--plan", nothing); code != 0 || !strings.Contains(out, "What the fix would add a month: nothing") {
		t.Errorf("a plan that fixes nothing, table: %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := run(t, "report", "--from", scanFile, "--plan", nothing, "--format", "html", "-o", html); code != 0 {
		t.Fatalf("html: %d %s", code, errs)
	}
	if b, _ := os.ReadFile(html); !strings.Contains(string(b), `<section id="fix-cost">`) || !strings.Contains(string(b), "Nothing: the plan sends no new events") {
		t.Errorf("a plan that fixes nothing, HTML: no section saying so")
	}
	// Field trial: a file of the other kind on either side is refused, not read as an empty one.
	if code, _, errs := run(t, "report", "--from", planFile, "--plan", planFile); code != ExitUsage || !strings.Contains(errs, "not a scan report") {
		t.Errorf("a plan as --from: %d %s", code, errs)
	}
	for _, c := range [][]string{{"--plan", bare}, {"--plan", planFile, "--format", "csv"}, {"--plan", filepath.Join(dir, "missing.json")}, {"--plan", scanFile}} {
		out := filepath.Join(dir, "x.out")
		if code, _, errs := run(t, append([]string{"report", "--from", scanFile, "-o", out}, c...)...); code != ExitUsage || !strings.Contains(errs, "--plan") {
			t.Errorf("%v: %d %s", c, code, errs)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v wrote %s", c, out)
		}
	}
}
