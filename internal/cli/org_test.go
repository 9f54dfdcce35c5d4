package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwatch/trailwatch/examples"
	"github.com/trailwatch/trailwatch/internal/report"
)

func readReport(t *testing.T, path string) *report.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := report.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestScanOrgShardsAndMerge(t *testing.T) {
	srv := simWith(t, 12)
	dir := t.TempDir()
	run := func(t *testing.T, args ...string) (int, string, string) { return runAt(t, srv.Now(), args...) }
	common := []string{"scan", "--org", "--format", "json"}
	full := filepath.Join(dir, "full.json")
	code, _, errs := run(t, append(common, "--output", full)...)
	if code != ExitFailed { // the generated organization has broken trails
		t.Fatalf("full scan exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "API calls (") || !strings.Contains(errs, "cloudtrail:DescribeTrails=") {
		t.Errorf("no API call summary on stderr: %s", errs)
	}
	var shards []string
	for _, s := range []string{"1/2", "2/2"} {
		p := filepath.Join(dir, strings.ReplaceAll(s, "/", "-")+".json")
		code, _, errs := run(t, append(common, "--shard", s, "--output", p)...)
		r := readReport(t, p)
		if r.Inventory == nil || r.Scope.Shard != s {
			t.Fatalf("shard %s report lacks its inventory or shard", s)
		}
		// The exit code is what the shard's own findings say: 1 with a FAIL, else 2 with an ERROR, else 0.
		want := ExitOK
		if r.Summary.ByStatus["FAIL"] > 0 {
			want = ExitFailed
		} else if r.Summary.ByStatus["ERROR"] > 0 {
			want = ExitIncomplete
		}
		if code != want {
			t.Fatalf("shard %s: exit %d, its findings say %d: %s", s, code, want, errs)
		}
		shards = append(shards, p)
	}
	merged := filepath.Join(dir, "merged.json")
	if code, _, errs := run(t, append([]string{"merge", "--format", "json", "--output", merged}, shards...)...); code != ExitFailed {
		t.Fatalf("merge: exit %d, want %d as the full scan: %s", code, ExitFailed, errs)
	}
	a, b := readReport(t, full), readReport(t, merged)
	if len(a.Findings) == 0 {
		t.Fatal("no findings")
	}
	// Scans run at slightly different times: compare the verdicts, not the age texts.
	type verdict struct{ ID, Status, Codes string }
	verdicts := func(r *report.Report) []verdict {
		var v []verdict
		for _, f := range r.Findings {
			var c []string
			for _, rs := range f.Reasons {
				c = append(c, rs.Code)
			}
			v = append(v, verdict{f.ID, string(f.Status), strings.Join(c, ",")})
		}
		return v
	}
	if diff := cmp.Diff(verdicts(a), verdicts(b)); diff != "" {
		t.Errorf("merged shards differ from the full scan (-full +merged):\n%s", diff)
	}
	if len(b.Scope.Accounts) != 12 {
		t.Errorf("merged scope has %d accounts", len(b.Scope.Accounts))
	}

	// Shard files say which shard they are: a merge missing one is incomplete (exit 2) and names it, as the store's
	// merge does; shards of different splits are refused. Both were merged as a complete scan of fewer accounts.
	partial := filepath.Join(dir, "partial.json")
	code, _, errs = run(t, "merge", "--format", "json", "--output", partial, shards[0], shards[0])
	if code != ExitIncomplete || !strings.Contains(errs, "shard 2 of 2 is missing") {
		t.Errorf("merge of shard 1/2 alone: exit %d\n%s", code, errs)
	}
	if r := readReport(t, partial); r.Complete || len(r.Incomplete) != 1 {
		t.Errorf("merge of shard 1/2 alone: complete %v, incomplete %q", r.Complete, r.Incomplete)
	}
	third := filepath.Join(dir, "1-3.json")
	run(t, append(common, "--shard", "1/3", "--output", third)...)
	if code, _, errs := run(t, "merge", shards[0], shards[1], third); code != ExitUsage || !strings.Contains(errs, "1/3") {
		t.Errorf("merge of 1/2, 2/2 and 1/3: exit %d\n%s", code, errs)
	}
}

func TestScanOrgUsageErrors(t *testing.T) {
	simWith(t, 3)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "--shard", "1/2"}, "add --org"},
		{[]string{"scan", "--org", "--shard", "3/2"}, "--shard"},
		{[]string{"scan", "--org", "--shard", "x"}, "--shard"},
		{[]string{"merge", "nope.json"}, "nope.json"},
	} {
		code, out, errs := run(t, tc.args...)
		if code != ExitUsage || !strings.Contains(out+errs, tc.want) {
			t.Errorf("%v: exit %d %s%s", tc.args, code, out, errs)
		}
	}
	// A report without inventory cannot be merged.
	p := filepath.Join(t.TempDir(), "plain.json")
	run(t, "demo", "--format", "json", "--output", p)
	if code, _, errs := run(t, "merge", p); code != ExitUsage || !strings.Contains(errs, "has no inventory") {
		t.Errorf("merge without inventory: %d %s", code, errs)
	}
}

// TestMergeAutoShardFiles: shard reports written with --shard auto/N (the index from JOB_COMPLETION_INDEX, as the
// pods of a Kubernetes Indexed Job run) merge like i/n ones: each file records the shard it resolved to. merge refused
// them ("shard \"auto/2\": want i/n", issue 22).
func TestMergeAutoShardFiles(t *testing.T) {
	srv := simWith(t, 6)
	dir := t.TempDir()
	var files []string
	for k := 0; k < 2; k++ {
		t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(k))
		p := filepath.Join(dir, fmt.Sprintf("s%d.json", k))
		if code, _, errs := runAt(t, srv.Now(), "scan", "--org", "--shard", "auto/2", "--format", "json", "--output", p); code == ExitUsage {
			t.Fatalf("shard %d: %s", k, errs)
		}
		if s := readReport(t, p).Scope.Shard; s != fmt.Sprintf("%d/2", k+1) {
			t.Errorf("shard index %d recorded as %q", k, s)
		}
		files = append(files, p)
	}
	merged := filepath.Join(dir, "m.json")
	code, _, errs := run(t, append([]string{"merge", "--format", "json", "--output", merged}, files...)...)
	if code == ExitUsage || code == ExitIncomplete {
		t.Fatalf("merge: exit %d\n%s", code, errs)
	}
	if r := readReport(t, merged); !r.Complete || len(r.Scope.Accounts) != 6 {
		t.Errorf("merged: complete %v, %d accounts", r.Complete, len(r.Scope.Accounts))
	}
}

// TestTransientErrorsBeforeTheFirstAccount: throttling or a service error past the retries while identifying the
// caller, reading the organization or listing its first accounts is an incomplete run (exit 2) that says it was
// transient, not a usage or configuration error (exit 3); access denied stays exit 3 (issue 23).
func TestTransientErrorsBeforeTheFirstAccount(t *testing.T) {
	for _, tc := range []struct {
		fault string
		exit  int
	}{
		{`{operation: "organizations:DescribeOrganization", error: TooManyRequestsException}`, ExitIncomplete},
		{`{operation: "sts:GetCallerIdentity", error: Throttling}`, ExitIncomplete},
		{`{operation: "organizations:ListAccounts", error: ServiceException}`, ExitIncomplete},
		{`{operation: "organizations:DescribeOrganization", error: AccessDeniedException}`, ExitUsage},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			srv := simFrom(t, []byte(string(examples.Organization)+"faults:\n  - "+tc.fault+"\n"))
			code, _, errs := runAt(t, srv.Now(), "scan", "--org", "--max-attempts", "1", "--format", "json", "--output", filepath.Join(t.TempDir(), "r.json"))
			if code != tc.exit {
				t.Errorf("exit %d, want %d: %s", code, tc.exit, errs)
			}
			if tc.exit == ExitIncomplete && !strings.Contains(errs, "transient") {
				t.Errorf("does not say it was transient: %s", errs)
			}
		})
	}
}
