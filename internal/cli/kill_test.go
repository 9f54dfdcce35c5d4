package cli

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/model"
)

// TestMain lets the test binary run trailwatch itself as a child process (TRAILWATCH_CLI_CHILD=1, arguments in
// TRAILWATCH_CLI_ARGS separated by \x1f), so that a test can kill it outright.
func TestMain(m *testing.M) {
	if os.Getenv("TRAILWATCH_CLI_CHILD") == "1" {
		args := strings.Split(os.Getenv("TRAILWATCH_CLI_ARGS"), "\x1f")
		// TRAILWATCH_TEST_NOW pins the child's clock at the simulator's scenario time, as runAt does in process.
		if at, err := time.Parse(time.RFC3339Nano, os.Getenv("TRAILWATCH_TEST_NOW")); err == nil {
			e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, now: func() time.Time { return at }}
			os.Exit(execute(context.Background(), e, args))
		}
		os.Exit(Execute(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestKilledApplyConverges: `fix apply` killed with SIGKILL in the middle (after it created a role, while UpdateTrail
// hangs) leaves no undo behind it; running it again converges: every trail passes or is pending, and the second run
// reports no failure (what the first one created is reused) (issue 10 §2).
func TestKilledApplyConverges(t *testing.T) {
	sc, err := awssim.ParseScenario("fix.yaml", []byte(fixScenario))
	if err != nil {
		t.Fatal(err)
	}
	sc.Faults = append(sc.Faults, awssim.Fault{Operation: "cloudtrail:UpdateTrail", Latency: awssim.Duration(time.Hour), Count: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := awssim.Start(ctx, sc, awssim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pointAt(t, srv.URL, srv.Accounts()[0])
	dir := t.TempDir()
	journal := filepath.Join(dir, "journal.jsonl")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "TRAILWATCH_CLI_CHILD=1",
		"TRAILWATCH_CLI_ARGS="+strings.Join([]string{"fix", "apply", "--yes", "--journal", journal}, "\x1f"))
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once the journal shows a role created and an UpdateTrail is in flight (the fault holds it).
	deadline := time.Now().Add(time.Minute)
	for {
		if data, _ := os.ReadFile(journal); strings.Contains(string(data), `"action":"CreateRole"`) {
			break
		}
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatal("the child never created a role")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let it reach the hanging UpdateTrail
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	lines := 0
	sc2 := bufio.NewScanner(strings.NewReader(mustRead(t, journal)))
	for sc2.Scan() {
		lines++
	}
	if lines == 0 {
		t.Fatal("the killed run journaled nothing")
	}
	// The re-run, in process, converges.
	code, out, errs := run(t, "fix", "apply", "--yes", "--journal", filepath.Join(dir, "journal2.jsonl"))
	if code != ExitOK {
		t.Fatalf("re-run: exit %d\n%s\n%s", code, out, errs)
	}
	if strings.Contains(out, "FAILED") {
		t.Errorf("the re-run failed a trail:\n%s", out)
	}
	report2 := filepath.Join(dir, "after.json")
	srv.Advance(2 * time.Minute) // past the first delivery
	runAt(t, srv.Now(), "scan", "--format", "json", "-o", report2)
	r := readReport(t, report2)
	for _, f := range r.Findings {
		if f.ControlID == "cloudtrail-cloudwatch-integration" && f.Status != model.StatusPass {
			t.Errorf("after the re-run: %s %s %+v", f.ResourceID, f.Status, f.Reasons)
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
