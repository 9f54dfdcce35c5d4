package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/examples"
	"github.com/trailwatch/trailwatch/internal/report"
)

const exFile = `exceptions:
  - control: cloudtrail-cloudwatch-integration
    resources: ["arn:aws:cloudtrail:eu-west-1:333333333333:trail/payments-*"]
    owner: payments-sec@example.com
    reason: "Activity is captured by the SIEM forwarder instead (alternate solution, see SEC-123)"
    expires: 2099-01-31
    ticket: SEC-123
  - control: cloudwatch-log-group-retention
    accounts: ["222222222222"]
    owner: tooling@example.com
    reason: short retention accepted during migration
    expires: 2020-01-31
  - control: "*"
    regions: [ap-south-1]
    owner: nobody@example.com
    reason: stale
    expires: 2099-01-01
`

func TestDemoWithExceptions(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ex.yaml")
	os.WriteFile(p, []byte(exFile), 0o644)
	out := filepath.Join(dir, "r.json")
	if code, _, errs := run(t, "demo", "--exceptions", p, "--max-exception-days", "0", "--format", "json", "--output", out); code != 0 {
		t.Fatalf("demo: %d %s", code, errs)
	}
	r := readReport(t, out)
	got := map[string]string{}
	for _, f := range r.Findings {
		got[f.ResourceID] = string(f.Status)
		if f.ResourceID == "arn:aws:cloudtrail:eu-west-1:333333333333:trail/payments-local" && (f.MutedStatus != "FAIL" || f.Exception == nil || f.Exception.Ticket != "SEC-123") {
			t.Errorf("muted finding %+v", f)
		}
		if f.ResourceID == "arn:aws:logs:us-east-1:222222222222:log-group:security-audit" && (f.Status != "FAIL" || f.Reasons[len(f.Reasons)-1].Code != "EXCEPTION_EXPIRED") {
			t.Errorf("expired exception: %+v", f)
		}
	}
	if got["arn:aws:cloudtrail:eu-west-1:333333333333:trail/payments-local"] != "MUTED" || got[p+":8"] != "WARN" || got[p+":13"] != "WARN" {
		t.Errorf("statuses %v", got)
	}
	if r.Summary.ByStatus["MUTED"] != 1 {
		t.Errorf("summary %+v", r.Summary)
	}
	// exceptions list / check
	code, lout, _ := run(t, "exceptions", "list", "--exceptions", p, "--max-exception-days", "0", "--from", out)
	if code != 0 || !strings.Contains(lout, "active") || !strings.Contains(lout, "expired") || !strings.Contains(lout, "unused") {
		t.Errorf("list: %d\n%s", code, lout)
	}
	if code, _, _ := run(t, "exceptions", "check", "--exceptions", p, "--max-exception-days", "0"); code != ExitFailed {
		t.Errorf("check with an expired exception: exit %d", code)
	}
	os.WriteFile(p, []byte(strings.Split(exFile, "  - control: cloudwatch-log-group-retention")[0]), 0o644)
	if code, cout, _ := run(t, "exceptions", "check", "--exceptions", p, "--max-exception-days", "0"); code != 0 || !strings.Contains(cout, "1 exception, current") {
		t.Errorf("check: %d %s", code, cout)
	}
	os.WriteFile(p, []byte("exceptions:\n  - control: cloudtrail-cloudwatch-integration\n    accounts: [\"111111111111\"]\n    reason: r\n    expires: 2027-01-01\n"), 0o644)
	if code, _, errs := run(t, "exceptions", "check", "--exceptions", p); code != ExitUsage || !strings.Contains(errs, "ex.yaml:2: owner: required") {
		t.Errorf("invalid: %d %s", code, errs)
	}
	_ = report.SchemaVersion
}

// TestExceptionByTagWhenTagsAreUnreadable: scan --org with ListTagsForResource refused and an exception scoped by the
// environment tag: the findings it may cover are ERROR EXCEPTION_UNDECIDED, not FAIL, and the exception is not called
// unused (issue 23).
func TestExceptionByTagWhenTagsAreUnreadable(t *testing.T) {
	scenario := string(examples.Organization) + "faults:\n  - {operation: \"organizations:ListTagsForResource\", error: AccessDeniedException}\n"
	srv := simFrom(t, []byte(scenario))
	dir := t.TempDir()
	p := filepath.Join(dir, "ex.yaml")
	os.WriteFile(p, []byte("exceptions:\n  - {control: cloudtrail-cloudwatch-integration, tags: {environment: staging}, owner: o@example.com, reason: staging is rebuilt weekly, expires: 2099-01-01}\n"), 0o600)
	out := filepath.Join(dir, "r.json")
	code, _, errs := runAt(t, srv.Now(), "scan", "--org", "--exceptions", p, "--max-exception-days", "0", "--format", "json", "--output", out)
	if code == ExitUsage {
		t.Fatalf("scan: %s", errs)
	}
	undecided, unused := 0, 0
	for _, f := range readReport(t, out).Findings {
		for _, r := range f.Reasons {
			switch r.Code {
			case "EXCEPTION_UNDECIDED":
				undecided++
				if f.Status != "ERROR" {
					t.Errorf("%s: %s", f.ResourceID, f.Status)
				}
			case "EXCEPTION_UNUSED":
				unused++
			}
		}
	}
	if undecided == 0 || unused != 0 {
		t.Errorf("%d undecided findings, %d unused exceptions", undecided, unused)
	}
}
