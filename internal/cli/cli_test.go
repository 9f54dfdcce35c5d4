package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwatch/trailwatch/internal/report"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `make update-golden` to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

func demoReport(t *testing.T) *report.Report {
	t.Helper()
	simNow := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	o := &demoOptions{now: func() time.Time { return simNow }}
	o.settings = settingsOptions{maxDeliveryAge: 24 * time.Hour, minRetentionDays: 365, pendingWindow: 30 * time.Minute}
	e := &env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	e.log = nil
	r, err := runDemo(context.Background(), &env{stdout: e.stdout, stderr: e.stderr, log: discard()}, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestGoldenDemoTable(t *testing.T) {
	r := demoReport(t)
	var b bytes.Buffer
	if err := report.WriteTable(&b, r, report.TableOptions{Commands: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "demo.table.golden", b.Bytes())
}

func TestGoldenDemoJSON(t *testing.T) {
	r := demoReport(t)
	var b bytes.Buffer
	if err := report.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "demo.json.golden", b.Bytes())
	// The JSON reads back to the same report.
	back, err := report.ReadJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	var raw map[string]any
	_ = json.Unmarshal(b.Bytes(), &raw)
	for _, k := range []string{"schema_version", "findings", "summary", "scope"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON report lacks %q", k)
		}
	}
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Execute(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// runAt runs trailwatch with its clock pinned at at (the simulator's scenario time), so that delivery ages are
// measured as a user on that day would see them: the age checks stay on, nothing is loosened.
func runAt(t *testing.T, at time.Time, args ...string) (int, string, string) {
	t.Helper()
	return runClock(t, func() time.Time { return at }, args...)
}

// runClock runs trailwatch on the given clock, for example the simulator's own (srv.Now), so that ages agree with
// the simulator's deliveries as time passes during the test.
func runClock(t *testing.T, clock func() time.Time, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, now: clock}
	code := execute(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"demo"}, ExitOK, "Summary: 8 FAIL"},
		{[]string{"demo", "--fail-on", "low"}, ExitFailed, "Summary: 8 FAIL"},
		{[]string{"demo", "--fail-on", "high"}, ExitOK, ""},
		{[]string{"demo", "--format", "xml"}, ExitUsage, `--format "xml"`},
		{[]string{"demo", "--fail-on", "sometimes"}, ExitUsage, "--fail-on"},
		{[]string{"scan", "--bogus"}, ExitUsage, "unknown flag"},
		{[]string{"controls", "show", "nope"}, ExitUsage, "no control"},
		{[]string{"sim", "serve"}, ExitUsage, "--scenario"},
		{[]string{"sim", "serve", "--scenario", "testdata/missing.yaml"}, ExitUsage, "missing.yaml"},
		{[]string{"--log-level", "loud", "controls"}, ExitUsage, "--log-level"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := run(t, tc.args...)
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Errorf("exit %d, want %d; output:\n%s%s", code, tc.code, out, errs)
			}
		})
	}
}

func TestControlsCommand(t *testing.T) {
	code, out, _ := run(t, "controls")
	if code != 0 || !strings.Contains(out, "cloudtrail-cloudwatch-integration") || !strings.Contains(out, "account-activity-capture") {
		t.Errorf("controls: %d %s", code, out)
	}
	code, out, _ = run(t, "controls", "show", "cloudtrail-cloudwatch-integration")
	for _, want := range []string{"CloudTrail.5", "cloud-trail-cloud-watch-logs-enabled", "CCE-78916-4", "v1.2.0 2.4", "v2.0.0 3.4", "Level 1", "Automated", "v3.0.0"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("controls show lacks %q:\n%s", want, out)
		}
	}
	// It lists the reason codes it says it lists: the retention control's own, not the integration codes (issue 10 §6).
	_, out, _ = run(t, "controls", "show", "cloudwatch-log-group-retention")
	if !strings.Contains(out, "RETENTION_TOO_SHORT") || !strings.Contains(out, "RETENTION_OK") || strings.Contains(out, "NOT_INTEGRATED") {
		t.Errorf("controls show cloudwatch-log-group-retention reason codes:\n%s", out)
	}
}

func TestScanJSONToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scan.json")
	code, _, errs := run(t, "demo", "--format", "json", "--output", path)
	if code != 0 || !strings.Contains(errs, "report written to") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := report.ReadJSON(f)
	if err != nil || r.Summary.Total != len(r.Findings) || r.Summary.ByStatus["FAIL"] != 8 {
		t.Errorf("report %v %+v", err, r.Summary)
	}
}
