package cli

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailwatch/trailwatch/internal/report"
)

// TestSimServe starts `trailwatch sim serve`, reads the export lines it prints, and calls the simulator with them.
func TestSimServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		done <- Execute(ctx, []string{"sim", "serve", "--scenario", "../../examples/organization.yaml"}, strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	env := map[string]string{}
	sc := bufio.NewScanner(pr)
	var others int
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(line, "export ") {
			env[k] = v
		}
		if strings.HasPrefix(line, "# account ") {
			others++
			if others == 5 {
				break
			}
		}
	}
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} {
		if env[k] == "" {
			t.Fatalf("no %s line; got %v", k, env)
		}
	}
	cfg := aws.Config{Region: env["AWS_REGION"], BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
		Credentials: credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], "")}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != "111111111111" {
		t.Errorf("first account should be the management account: %v %v", id, err)
	}
	cancel()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if code := <-done; code != 0 {
		t.Errorf("exit %d after interrupt", code)
	}
}

// TestSimServeEnvFileAndLoopback: --env-file holds the export lines (AWS_DEFAULT_REGION too) once the simulator
// listens, created 0600; a non-loopback --addr is refused without --allow-remote (issues 10 §6, 11).
func TestSimServeEnvFileAndLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.10:4566"} {
		code, _, errs := run(t, "sim", "serve", "--scenario", "../../examples/organization.yaml", "--addr", addr)
		if code != ExitUsage || !strings.Contains(errs, "not a loopback address") {
			t.Errorf("--addr %s: exit %d %s", addr, code, errs)
		}
	}
	// The scenario given as an argument, as a new user may: the error says how to give it.
	if code, _, errs := run(t, "sim", "serve", "../../examples/organization.yaml"); code != ExitUsage || !strings.Contains(errs, "give the scenario as --scenario ../../examples/organization.yaml") {
		t.Errorf("positional scenario: exit %d %s", code, errs)
	}
	path := filepath.Join(t.TempDir(), "sim.env")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- Execute(ctx, []string{"sim", "serve", "--scenario", "../../examples/organization.yaml", "--env-file", path}, strings.NewReader(""), io.Discard, io.Discard)
	}()
	var text []byte
	for len(text) == 0 {
		text, _ = os.ReadFile(path)
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(string(text), "export AWS_DEFAULT_REGION=us-east-1\n") || !strings.Contains(string(text), "export AWS_ENDPOINT_URL=http://127.0.0.1:") {
		t.Errorf("env file:\n%s", text)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("env file mode %v", st.Mode().Perm())
	}
}

// TestSimGenerateRegions: a misspelt region is named as --regions, with a suggestion, like scan's (it was reported
// as "line 0: account 100000000000: region ... is not a region of partition aws").
func TestSimGenerateRegions(t *testing.T) {
	code, out, errs := run(t, "sim", "generate", "--accounts", "3", "--regions", "us-east-1,eu-wset-1")
	if code != ExitUsage || out != "" || !strings.Contains(errs, `--regions "eu-wset-1": not an AWS region; did you mean eu-west-1?`) {
		t.Errorf("exit %d, stdout %.100q, stderr %q", code, out, errs)
	}
}

// TestSimClockNote: serving a scenario on its own clock (--scenario-time) while trailwatch measures ages on the host
// clock made every trail stale with nothing saying why; sim serve now says so. Its help showed the flag as taking a
// value ("--scenario-time now"), which fails when typed (issue 22).
func TestSimClockNote(t *testing.T) {
	sim := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	if n := clockNote(sim, sim.Add(14*24*time.Hour)); !strings.Contains(n, "336h0m0s behind") || !strings.Contains(n, "stale") {
		t.Errorf("two weeks behind: %q", n)
	}
	if n := clockNote(sim, sim.Add(-2*time.Hour)); !strings.Contains(n, "2h0m0s ahead of") || !strings.Contains(n, "younger") {
		t.Errorf("two hours ahead: %q", n)
	}
	if n := clockNote(sim, sim.Add(20*time.Second)); n != "" {
		t.Errorf("in step: %q", n)
	}
	if _, out, _ := run(t, "sim", "serve", "--help"); strings.Contains(out, "--scenario-time now") || !strings.Contains(out, "--scenario-time ") {
		t.Errorf("help:\n%s", out)
	}
}

// TestReportHelpNamesEveryFormat: report --help named six of the eight formats it writes (asff and ocsf were missing).
func TestReportHelpNamesEveryFormat(t *testing.T) {
	_, out, _ := run(t, "report", "--help")
	first, _, _ := strings.Cut(out, "\n")
	for _, f := range report.Formats {
		if !strings.Contains(first, f) {
			t.Errorf("report --help's summary does not name %s: %q", f, first)
		}
	}
}
