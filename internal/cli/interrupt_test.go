package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the test breaks a history store from outside

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/model"
)

// simWith serves a generated organization with extra faults and points the credential chain at its management account.
func simWith(t *testing.T, accounts int, faults ...awssim.Fault) *awssim.Server {
	t.Helper()
	sc := awssim.Generate(awssim.GenOptions{Accounts: accounts, Seed: 4, Regions: []string{"us-east-1", "eu-west-1"}})
	sc.Faults = append(sc.Faults, faults...)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := awssim.Start(ctx, sc, awssim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mgmt := srv.Accounts()[0]
	pointAt(t, srv.URL, mgmt)
	return srv
}

// pointAt points the SDK's standard chain (and so trailwatch) at the simulator with an account's static keys, and
// away from any real profile or credentials file.
func pointAt(t *testing.T, url string, c awssim.Credentials) {
	t.Helper()
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": c.SecretAccessKey, "AWS_SESSION_TOKEN": "", "AWS_REGION": "us-east-1", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"} {
		t.Setenv(k, v)
	}
}

// runUntil runs trailwatch and cancels its context (as SIGINT does through main's signal context) once ready says so.
func runUntil(t *testing.T, ready func() bool, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for !ready() {
			if ctx.Err() != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	var out, errb bytes.Buffer
	code := Execute(ctx, args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// describedBy reports whether every account but the slow one has listed its trails in both regions.
func describedBy(srv *awssim.Server, accounts int, slow string) func() bool {
	return func() bool {
		seen := map[string]int{}
		for _, c := range srv.Counters() {
			if c.Service == "cloudtrail" && c.Operation == "DescribeTrails" {
				seen[c.Account] += c.Calls
			}
		}
		for i := 0; i < accounts; i++ {
			id := fmt.Sprintf("%012d", 100000000000+i)
			if id != slow && seen[id] < 2 {
				return false
			}
		}
		return true
	}
}

// TestInterruptedScanWritesNothing: Ctrl-C during a scan stops it, leaves an existing report untouched, says how far
// it got and exits 130. Nothing of the interrupted work becomes an ERROR finding (issue 10 §3).
func TestInterruptedScanWritesNothing(t *testing.T) {
	const slow = "100000000003"
	srv := simWith(t, 4, awssim.Fault{Operation: "cloudtrail:DescribeTrails", Account: slow, Latency: awssim.Duration(time.Hour)})
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	if err := os.WriteFile(out, []byte("the good report of yesterday"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errs := runUntil(t, describedBy(srv, 4, slow), "scan", "--org", "--format", "json", "-o", out)
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, ExitInterrupted, errs)
	}
	if !strings.Contains(errs, "interrupted after") || !strings.Contains(errs, "of 4 accounts") {
		t.Errorf("stderr does not say how far the scan got:\n%s", errs)
	}
	// The interruption is said once; what it cut short is no warning (Ctrl-C printed 32 fallback warnings: issue 22).
	if strings.Contains(errs, "WARN") || strings.Contains(errs, "context canceled") {
		t.Errorf("the interruption produced warnings:\n%s", errs)
	}
	if b, _ := os.ReadFile(out); string(b) != "the good report of yesterday" {
		t.Errorf("the existing report was overwritten: %q", b)
	}
	if stdout != "" {
		t.Errorf("a report was printed: %s", stdout)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(m) > 0 {
		t.Errorf("temporary files left behind: %v", m)
	}
}

// TestInterruptedScanPartial: with --partial the finished accounts are written, marked incomplete; the unfinished
// one is listed as not finished, and no finding comes from the cancellation.
func TestInterruptedScanPartial(t *testing.T) {
	const slow = "100000000003"
	srv := simWith(t, 4, awssim.Fault{Operation: "cloudtrail:DescribeTrails", Account: slow, Latency: awssim.Duration(time.Hour)})
	out := filepath.Join(t.TempDir(), "partial.json")
	code, _, errs := runUntil(t, describedBy(srv, 4, slow), "scan", "--org", "--format", "json", "-o", out, "--partial")
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, ExitInterrupted, errs)
	}
	r := readReport(t, out)
	if r.Complete || len(r.Incomplete) == 0 || !strings.Contains(r.Incomplete[0], "interrupted after") {
		t.Errorf("complete %v, incomplete %q", r.Complete, r.Incomplete)
	}
	skipped := false
	for _, s := range r.Scope.SkippedAccounts {
		skipped = skipped || s.ID == slow && strings.Contains(s.Reason, "interrupted")
	}
	if !skipped {
		t.Errorf("the unfinished account is not listed as skipped: %+v", r.Scope.SkippedAccounts)
	}
	for _, f := range r.Findings {
		if f.AccountID == slow {
			t.Errorf("a finding for the unfinished account: %+v", f)
		}
		for _, rs := range f.Reasons {
			if strings.Contains(rs.Message, "Canceled") || strings.Contains(rs.Message, "context canceled") {
				t.Errorf("the interruption became a finding: %+v", f)
			}
		}
	}
}

// TestAccountListingBreaksOffCLI: the listing fails part-way: exit 2 (not 0 or 1), the report says it is incomplete,
// the history marks the scan incomplete, and diff calls the unseen accounts' failures unseen, not resolved (issue 11).
func TestAccountListingBreaksOffCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	srv := simWith(t, 45)
	common := []string{"scan", "--org", "--format", "json", "--store", db}
	if code, _, errs := runAt(t, srv.Now(), append(common, "-o", filepath.Join(t.TempDir(), "1.json"))...); code != ExitFailed {
		t.Fatalf("clean scan: exit %d\n%s", code, errs)
	}
	srv = simWith(t, 45, awssim.Fault{Operation: "organizations:ListAccounts", After: 1, Error: "ServiceException"})
	out := filepath.Join(t.TempDir(), "2.json")
	code, _, errs := runAt(t, srv.Now(), append(common, "-o", out)...)
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want %d\n%s", code, ExitIncomplete, errs)
	}
	r := readReport(t, out)
	if r.Complete || len(r.Incomplete) != 1 || !strings.Contains(r.Incomplete[0], "after 20 accounts") {
		t.Errorf("complete %v incomplete %q", r.Complete, r.Incomplete)
	}
	orgFinding := false
	for _, f := range r.Findings {
		orgFinding = orgFinding || f.ResourceType == model.TypeOrganization && f.Status == model.StatusError
	}
	if !orgFinding {
		t.Error("no ERROR finding on the organization")
	}
	code, hist, _ := run(t, "history", "--store", db)
	if code != 0 || !strings.Contains(strings.SplitN(hist, "\n", 2)[0], "(incomplete)") {
		t.Errorf("history does not mark the scan incomplete:\n%s", hist)
	}
	code, diff, errs := run(t, "diff", "--store", db, "--format", "json")
	if code != 0 {
		t.Fatalf("diff exit %d: %s", code, errs)
	}
	var d struct{ Resolved, Unseen []model.Finding }
	if err := json.Unmarshal([]byte(diff), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Resolved) != 0 || len(d.Unseen) == 0 {
		t.Errorf("diff: %d resolved, %d unseen; the unlisted accounts' failures must be unseen, not resolved", len(d.Resolved), len(d.Unseen))
	}
}

// TestStoreFailureKeepsTheReport: the history store opens, but recording fails: the report is written all the same,
// the failure is said and the exit code is 2 (issue 11).
func TestStoreFailureKeepsTheReport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	// Create and migrate the store, then make every insert of a scan fail, as a full disk would.
	if code, _, errs := run(t, "history", "--store", db); code != 0 {
		t.Fatalf("history: %d %s", code, errs)
	}
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`CREATE TRIGGER full BEFORE INSERT ON scans BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	out := filepath.Join(dir, "report.json")
	code, _, errs := run(t, "demo", "--store", db, "--format", "json", "-o", out)
	if code != ExitIncomplete || !strings.Contains(errs, "disk is full") {
		t.Errorf("exit %d, want %d\n%s", code, ExitIncomplete, errs)
	}
	if r := readReport(t, out); len(r.Findings) == 0 {
		t.Error("the report was not written")
	}
}

// TestStoreThatCannotOpenCostsNoScan: a --store that cannot be opened is a usage error before any AWS call.
func TestStoreThatCannotOpenCostsNoScan(t *testing.T) {
	srv := simWith(t, 2)
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, []byte("x"), 0o600)
	code, _, errs := run(t, "scan", "--store", filepath.Join(notDir, "history.db"))
	if code != ExitUsage || !strings.Contains(errs, "--store") {
		t.Errorf("exit %d: %s", code, errs)
	}
	if n := srv.CallsTo("*"); n != 0 {
		t.Errorf("%d AWS calls before the store was checked", n)
	}
}

// simFrom serves a scenario (YAML) for the test and points the credential chain at its first account (the management
// account of an organization).
func simFrom(t *testing.T, text []byte) *awssim.Server {
	t.Helper()
	srv := serveScenario(t, text)
	pointAt(t, srv.URL, srv.Accounts()[0])
	return srv
}

// serveScenario serves a scenario (YAML) until the test ends.
func serveScenario(t *testing.T, text []byte) *awssim.Server {
	t.Helper()
	sc, err := awssim.ParseScenario(t.Name()+".yaml", text)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := awssim.Start(ctx, sc, awssim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// TestInterruptedScanWarnsNothing: Ctrl-C while the accounts' tags and trails are still being read stops the scan
// with one message; the reads it cut short are no warnings (Ctrl-C during scan --org printed a warning per account:
// issue 22).
func TestInterruptedScanWarnsNothing(t *testing.T) {
	const slow = "100000000003"
	srv := simWith(t, 4, awssim.Fault{Operation: "cloudtrail:DescribeTrails", Account: slow, Latency: awssim.Duration(time.Hour)},
		awssim.Fault{Operation: "organizations:ListTagsForResource", Latency: awssim.Duration(time.Hour)})
	code, _, errs := runUntil(t, describedBy(srv, 4, slow), "scan", "--org", "--format", "json", "-o", filepath.Join(t.TempDir(), "r.json"))
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, ExitInterrupted, errs)
	}
	if strings.Contains(errs, "WARN") || strings.Contains(errs, "context canceled") {
		t.Errorf("the interruption produced warnings:\n%s", errs)
	}
}

// TestInterruptedWhileListing (field trial): interrupted before the organization's listing ended, the count says how
// many were listed so far and that the listing was cut short too ("after 108 of 120 accounts" in an organization of
// 300).
func TestInterruptedWhileListing(t *testing.T) {
	srv := simWith(t, 30, awssim.Fault{Operation: "organizations:ListAccounts", After: 1, Latency: awssim.Duration(time.Hour)})
	listedFirstPage := func() bool {
		seen := map[string]int{}
		for _, c := range srv.Counters() {
			if c.Service == "cloudtrail" && c.Operation == "DescribeTrails" {
				seen[c.Account] += c.Calls
			}
		}
		n := 0
		for _, calls := range seen {
			if calls >= 2 {
				n++
			}
		}
		return n >= 20 // the first page's accounts, each in both regions
	}
	code, _, errs := runUntil(t, listedFirstPage, "scan", "--org", "--format", "json", "--max-attempts", "1")
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, ExitInterrupted, errs)
	}
	if !strings.Contains(errs, "of the 20 accounts listed so far (the organization's listing was cut short too)") {
		t.Errorf("stderr does not say the listing was cut short:\n%s", errs)
	}
}
