package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwatch/trailwatch/internal/awssim"
)

// storeURL is the store the run tests meet in: the PostgreSQL CI starts (TRAILWATCH_TEST_POSTGRES), else SQLite.
func storeURL(t *testing.T) string {
	if pg := os.Getenv("TRAILWATCH_TEST_POSTGRES"); pg != "" {
		return pg
	}
	return filepath.Join(t.TempDir(), "history.db")
}

// TestShardsMeetInTheStore: a sharded organization scan as a Kubernetes Indexed Job runs it. The accounts are listed
// once for the run; four shards take their index from JOB_COMPLETION_INDEX and save their reports under the run; a
// shard run again replaces its earlier save; merge --store --run gives, finding for finding, what one scan gives, and
// records it in the history. A run with a missing shard merges as incomplete, naming it (issue 15).
func TestShardsMeetInTheStore(t *testing.T) {
	srv := simWith(t, 12)
	store := storeURL(t)
	dir := t.TempDir()
	run := "run-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	at := srv.Now()
	if code, out, errs := runAt(t, at, "org", "accounts", "--run", run, "--store", store); code != 0 || !strings.Contains(out, "12 accounts") {
		t.Fatalf("org accounts: %d %s %s", code, out, errs)
	}
	listings := srv.CallsTo("organizations:ListAccounts")
	ouWalk := srv.CallsTo("organizations:ListAccountsForParent") + srv.CallsTo("organizations:ListRoots")
	for k := 0; k < 4; k++ {
		t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(k))
		code, _, errs := runAt(t, at, "scan", "--org", "--run", run, "--store", store, "--shard", "auto/4", "--format", "json", "-o", filepath.Join(dir, fmt.Sprintf("s%d.json", k)))
		if code != ExitOK && code != ExitFailed || !strings.Contains(errs, fmt.Sprintf("saved shard %d/4 of run %s", k+1, run)) {
			t.Fatalf("shard %d: exit %d\n%s", k, code, errs)
		}
	}
	if n := srv.CallsTo("organizations:ListAccounts"); n != listings {
		t.Errorf("the shards listed the organization's accounts again (%d calls after %d): they must use the run's list", n, listings)
	}
	if n := srv.CallsTo("organizations:ListAccountsForParent") + srv.CallsTo("organizations:ListRoots"); n != ouWalk {
		t.Errorf("the shards walked the OU tree again (%d calls after %d): the run's list carries each account's OU", n, ouWalk)
	}
	// Shard 2 is retried (its pod was killed and rescheduled): it replaces its save, nothing is duplicated.
	t.Setenv("JOB_COMPLETION_INDEX", "1")
	if code, _, errs := runAt(t, at, "scan", "--org", "--run", run, "--store", store, "--shard", "auto/4", "--format", "json", "-o", filepath.Join(dir, "retry.json")); code == ExitUsage {
		t.Fatalf("retry: %s", errs)
	}
	merged := filepath.Join(dir, "merged.json")
	code, _, errs := runAt(t, at, "merge", "--store", store, "--run", run, "--format", "json", "-o", merged)
	if code != ExitFailed || !strings.Contains(errs, "recorded as scan") {
		t.Fatalf("merge: exit %d\n%s", code, errs)
	}
	single := filepath.Join(dir, "single.json")
	if code, _, errs := runAt(t, at, "scan", "--org", "--format", "json", "-o", single); code != ExitFailed {
		t.Fatalf("single scan: exit %d %s", code, errs)
	}
	if diff := cmp.Diff(findingStatuses(t, single), findingStatuses(t, merged)); diff != "" {
		t.Errorf("merged run differs from one scan (-single +merged):\n%s", diff)
	}
	if r := readReport(t, merged); !r.Complete {
		t.Errorf("the merged run is incomplete: %q", r.Incomplete)
	}
	ouOf := func(path string) map[string]string {
		m := map[string]string{}
		for _, f := range readReport(t, path).Findings {
			if f.AccountID != "" {
				m[f.AccountID] = f.AccountOU
			}
		}
		return m
	}
	if diff := cmp.Diff(ouOf(single), ouOf(merged)); diff != "" {
		t.Errorf("accounts' OUs differ between one scan and the merged run (-single +merged):\n%s", diff)
	}

	// A run whose third shard never ran.
	partial := run + "-partial"
	for k := 0; k < 2; k++ {
		t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(k))
		if code, _, errs := runAt(t, at, "scan", "--org", "--run", partial, "--store", store, "--shard", "auto/3", "--format", "json", "-o", filepath.Join(dir, "p.json")); code == ExitUsage {
			t.Fatalf("partial shard %d: %s", k, errs)
		}
	}
	code, _, errs = runAt(t, at, "merge", "--store", store, "--run", partial, "--format", "json", "-o", filepath.Join(dir, "pm.json"))
	r := readReport(t, filepath.Join(dir, "pm.json"))
	if code != ExitIncomplete || r.Complete || len(r.Incomplete) == 0 || !strings.Contains(r.Incomplete[len(r.Incomplete)-1], "shard 3 of 3 is missing") {
		t.Errorf("merge with a missing shard: exit %d, complete %v, incomplete %q\n%s", code, r.Complete, r.Incomplete, errs)
	}
}

// TestShardProcessesMeetInTheStore: four shard processes run at once, as the pods of an Indexed Job do, each with its
// JOB_COMPLETION_INDEX, against one simulator and the store CI starts (PostgreSQL), with no org accounts step: they
// race to save the run's account list and must all use the one that won. One shard is killed outright (SIGKILL) and
// run again. The merge then equals one single-process scan, finding for finding, with nothing duplicated (issue 15).
func TestShardProcessesMeetInTheStore(t *testing.T) {
	srv := simWith(t, 16)
	store := storeURL(t)
	dir := t.TempDir()
	run := "procs-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	at := srv.Now()
	shard := func(k int, out string) *exec.Cmd {
		args := []string{"scan", "--org", "--run", run, "--store", store, "--shard", "auto/4", "--format", "json", "-o", out}
		c := exec.Command(os.Args[0], "-test.run=^$")
		c.Env = append(os.Environ(), "TRAILWATCH_CLI_CHILD=1", "TRAILWATCH_CLI_ARGS="+strings.Join(args, "\x1f"),
			"TRAILWATCH_TEST_NOW="+at.Format(time.RFC3339Nano), "JOB_COMPLETION_INDEX="+strconv.Itoa(k))
		return c
	}
	// Shard 3 (index 2) is killed as soon as it has started, then rescheduled.
	killed := shard(2, filepath.Join(dir, "killed.json"))
	if err := killed.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	outs := make([][]byte, 4)
	errs := make([]error, 4)
	for _, k := range []int{0, 1, 3} {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			outs[k], errs[k] = shard(k, filepath.Join(dir, fmt.Sprintf("s%d.json", k))).CombinedOutput()
		}(k)
	}
	time.Sleep(20 * time.Millisecond)
	_ = killed.Process.Signal(syscall.SIGKILL)
	_ = killed.Wait()
	wg.Wait()
	outs[2], errs[2] = shard(2, filepath.Join(dir, "s2.json")).CombinedOutput()
	for k := range outs {
		var ee *exec.ExitError
		if errs[k] != nil && (!errors.As(errs[k], &ee) || ee.ExitCode() != ExitFailed) || !strings.Contains(string(outs[k]), fmt.Sprintf("saved shard %d/4 of run %s", k+1, run)) {
			t.Fatalf("shard %d: %v\n%s", k, errs[k], outs[k])
		}
	}
	if n := srv.CallsTo("organizations:ListAccounts"); n > 5 {
		t.Errorf("%d ListAccounts calls for 5 shard processes: each should list at most once (16 accounts fit one page)", n)
	}
	merged := filepath.Join(dir, "merged.json")
	if code, _, errs := runAt(t, at, "merge", "--store", store, "--run", run, "--format", "json", "-o", merged); code != ExitFailed {
		t.Fatalf("merge: exit %d\n%s", code, errs)
	}
	single := filepath.Join(dir, "single.json")
	if code, _, errs := runAt(t, at, "scan", "--org", "--format", "json", "-o", single); code != ExitFailed {
		t.Fatalf("single scan: exit %d %s", code, errs)
	}
	want := findingStatuses(t, single)
	if len(want) < 16 {
		t.Fatalf("the single scan has %d findings: the scenario should give at least one per account", len(want))
	}
	if diff := cmp.Diff(want, findingStatuses(t, merged)); diff != "" {
		t.Errorf("four shard processes differ from one scan (-single +merged):\n%s", diff)
	}
	if r := readReport(t, merged); !r.Complete {
		t.Errorf("the merged run is incomplete: %q", r.Incomplete)
	}
}

// findingStatuses reads a JSON report as finding id -> status, failing the test on a finding reported twice.
func findingStatuses(t *testing.T, path string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, f := range readReport(t, path).Findings {
		if _, dup := m[f.ID]; dup {
			t.Errorf("%s: finding %s twice", path, f.ID)
		}
		m[f.ID] = string(f.Status)
	}
	return m
}

// TestBatchRunAutoAndStoreFromEnv: AWS Batch array children name their run from the parent's job id
// (AWS_BATCH_JOB_ID=PARENT:INDEX) and read the store URL from the environment (--store env:NAME), so neither the
// run id nor the password needs to be in the job definition's command.
func TestBatchRunAutoAndStoreFromEnv(t *testing.T) {
	srv := simWith(t, 6)
	at := srv.Now()
	dir := t.TempDir()
	t.Setenv("TW_TEST_STORE", filepath.Join(dir, "history.db"))
	parent := "5b6ae5d4-0b57-4a37-9d4b-" + strconv.FormatInt(time.Now().UnixNano()%1e12, 10)
	for k := 0; k < 2; k++ {
		t.Setenv("AWS_BATCH_JOB_ID", fmt.Sprintf("%s:%d", parent, k))
		t.Setenv("AWS_BATCH_JOB_ARRAY_INDEX", strconv.Itoa(k))
		code, _, errs := runAt(t, at, "scan", "--org", "--run", "auto", "--store", "env:TW_TEST_STORE", "--shard", "auto/2", "--format", "json", "-o", filepath.Join(dir, "s.json"))
		if code != ExitOK && code != ExitFailed || !strings.Contains(errs, fmt.Sprintf("saved shard %d/2 of run %s\n", k+1, parent)) {
			t.Fatalf("shard %d: exit %d\n%s", k, code, errs)
		}
	}
	if code, _, errs := runAt(t, at, "merge", "--run", parent, "--store", "env:TW_TEST_STORE", "--format", "json", "-o", filepath.Join(dir, "m.json")); code != ExitFailed || !readReport(t, filepath.Join(dir, "m.json")).Complete {
		t.Fatalf("merge: exit %d\n%s", code, errs)
	}

	t.Setenv("AWS_BATCH_JOB_ID", "5b6ae5d4") // a job that is not an array child
	if code, _, errs := runAt(t, at, "scan", "--org", "--run", "auto", "--store", "env:TW_TEST_STORE", "--shard", "auto/2"); code != ExitUsage || !strings.Contains(errs, "PARENT:INDEX") {
		t.Errorf("--run auto outside an array job: exit %d %s", code, errs)
	}
	t.Setenv("TW_TEST_SECRET_STORE", "")
	if code, _, errs := runAt(t, at, "history", "--store", "env:TW_TEST_SECRET_STORE"); code != ExitUsage || !strings.Contains(errs, "TW_TEST_SECRET_STORE is not set or empty") {
		t.Errorf("--store env: with the variable empty: exit %d %s", code, errs)
	}
}

// TestOrgAccountsListingFails: when ListAccounts fails, org accounts saves no list for the run (a shard would
// otherwise partition a partial one) and says the run is incomplete, while the OU walk beside it is abandoned.
func TestOrgAccountsListingFails(t *testing.T) {
	srv := simWith(t, 5, awssim.Fault{Operation: "organizations:ListAccounts", Error: "AccessDeniedException"})
	store := filepath.Join(t.TempDir(), "history.db")
	code, out, errs := runAt(t, srv.Now(), "org", "accounts", "--run", "r1", "--store", store)
	if code != ExitIncomplete || !strings.Contains(errs, "AccessDenied") || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q: want exit 2 naming the refusal", code, out, errs)
	}
	if code, _, errs := runAt(t, srv.Now(), "merge", "--run", "r1", "--store", store); code != ExitUsage || !strings.Contains(errs, "no saved shards") {
		t.Errorf("after the failed listing: exit %d %s", code, errs)
	}
}
