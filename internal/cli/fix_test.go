package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

const fixScenario = `
first_delivery_delay: 1s
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: not-integrated, home_region: us-east-1, multi_region: true}
      - {name: stopped, home_region: us-east-1, logging: false, log_group: G, role: R}
      - {name: untrusted, home_region: us-east-1, log_group: G, role: U}
    log_groups: [{name: G, region: us-east-1, retention_days: 30}]
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
      - {name: U, trust: logs.amazonaws.com, policy: cloudtrail-delivery}
`

func fixEnv(t *testing.T) *awssim.Server {
	t.Helper()
	return simFrom(t, []byte(fixScenario))
}

// age is empty: these tests judge on the simulator's own clock (runClock with srv.Now), so ages are the default 24h
// check against real deliveries, nothing loosened.
var age []string

// simRun runs trailwatch on the simulator's clock.
func simRun(srv *awssim.Server) func(t *testing.T, args ...string) (int, string, string) {
	return func(t *testing.T, args ...string) (int, string, string) { return runClock(t, srv.Now, args...) }
}

func TestFixPlanApplyWait(t *testing.T) {
	run := simRun(fixEnv(t))
	dir := t.TempDir()
	planPath := filepath.Join(dir, "plan.json")
	code, _, errs := run(t, append([]string{"fix", "plan", "--format", "json", "--output", planPath}, age...)...)
	if code != 0 {
		t.Fatalf("plan: %d %s", code, errs)
	}
	data, _ := os.ReadFile(planPath)
	p, err := remediate.ReadPlan(data)
	if err != nil || len(p.Steps) < 6 {
		t.Fatalf("plan %v %+v", err, p)
	}
	var raw map[string]any
	_ = json.Unmarshal(data, &raw)
	step := raw["steps"].([]any)[0].(map[string]any)
	for _, k := range []string{"account_id", "region", "resource_id", "action", "params", "cli"} {
		if _, ok := step[k]; !ok {
			t.Errorf("step lacks %q", k)
		}
	}
	// Without --yes and with no one to answer, nothing is applied.
	if code, _, errs := run(t, append([]string{"fix", "apply", "--plan", planPath}, age...)...); code != ExitUsage || !strings.Contains(errs, "--yes") {
		t.Errorf("unconfirmed apply: %d %s", code, errs)
	}
	journal := filepath.Join(dir, "journal.jsonl")
	code, out, errs := run(t, append([]string{"fix", "apply", "--plan", planPath, "--yes", "--journal", journal, "--wait", "20s", "--poll", "300ms"}, age...)...)
	if code != 0 {
		t.Fatalf("apply: %d\n%s\n%s", code, out, errs)
	}
	if strings.Count(out, "PASS") != 4 {
		t.Errorf("after --wait every fixed trail passes:\n%s\n%s", out, errs)
	}
	lines, _ := os.ReadFile(journal)
	if n := strings.Count(string(lines), "\n"); n != len(p.Steps) {
		t.Errorf("journal has %d lines for %d steps", n, len(p.Steps))
	}
	// A fresh plan is empty, and so is an apply of it.
	code, out, _ = run(t, append([]string{"fix", "plan"}, age...)...)
	if code != 0 || !strings.Contains(out, "0 steps") {
		t.Errorf("second plan: %s", out)
	}
}

// TestFixApplyWaitRunsOut: a --wait too short for the first delivery says that it ran out and that the PENDING
// resources deliver later (field trial: PENDING lines and nothing else).
func TestFixApplyWaitRunsOut(t *testing.T) {
	code, out, errs := simRun(fixEnv(t))(t, append([]string{"fix", "apply", "--yes", "--journal", filepath.Join(t.TempDir(), "j.jsonl"), "--wait", "1ms", "--poll", "1ms"}, age...)...)
	if code != 0 || !strings.Contains(out, "PENDING") || !strings.Contains(errs, "--wait 1ms passed with") {
		t.Errorf("a wait that runs out: %d\n%s\n%s", code, out, errs)
	}
}

func TestFixPlanFormatsAndCLICommands(t *testing.T) {
	srv := fixEnv(t)
	run := simRun(srv)
	for _, f := range []string{"terraform", "cloudformation"} {
		code, out, _ := run(t, append([]string{"fix", "plan", "--format", f}, age...)...)
		if code != 0 || !strings.Contains(out, "not-integrated") || (f == "terraform" && !strings.Contains(out, `resource "aws_iam_role"`)) ||
			(f == "cloudformation" && !strings.Contains(out, "AWS::IAM::Role")) {
			t.Errorf("%s:\n%s", f, out)
		}
	}
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not on the PATH")
	}
	code, out, _ := run(t, append([]string{"fix", "plan", "--format", "json"}, age...)...)
	if code != 0 {
		t.Fatal(code)
	}
	p, err := remediate.ReadPlan([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	cli := startAWSCLI(t, "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
	for _, s := range p.Steps {
		if r := cli.Shell(s.CLI); r.Code != 0 {
			t.Errorf("%s: exit %d\n%s", s.CLI, r.Code, r.Combined())
		}
	}
	srv.Advance(0)
	code, out, _ = run(t, append([]string{"fix", "plan"}, age...)...)
	if code != 0 || !strings.Contains(out, "0 steps") {
		t.Errorf("after running the printed commands, a new plan should be empty:\n%s", out)
	}
}

func TestFixPlanRefusesExcepted(t *testing.T) {
	run := simRun(fixEnv(t))
	p := filepath.Join(t.TempDir(), "ex.yaml")
	os.WriteFile(p, []byte("exceptions:\n  - control: cloudtrail-cloudwatch-integration\n    resources: [\"arn:aws:cloudtrail:us-east-1:111111111111:trail/stopped\"]\n    owner: o@example.com\n    reason: decommissioning\n    expires: 2099-01-01\n"), 0o644)
	code, out, errs := run(t, append([]string{"fix", "plan", "--exceptions", p, "--max-exception-days", "0"}, age...)...)
	if code != 0 || !strings.Contains(out, "REFUSED arn:aws:cloudtrail:us-east-1:111111111111:trail/stopped: excluded by an exception") || strings.Contains(out, "StartLogging") {
		t.Errorf("plan: %d\n%s\n%s", code, out, errs)
	}
	// Planned from a saved scan, the same (review, issue 22: the muted trail was dropped without a word, since only
	// the command's own scan turned exceptions into refusals).
	saved := filepath.Join(t.TempDir(), "scan.json")
	if code, _, errs := run(t, append([]string{"scan", "--exceptions", p, "--max-exception-days", "0", "--include-inventory", "--format", "json", "-o", saved}, age...)...); code != 1 {
		t.Fatalf("scan: %d %s", code, errs)
	}
	code, out, errs = run(t, "fix", "plan", "--from", saved)
	if code != 0 || !strings.Contains(out, "REFUSED arn:aws:cloudtrail:us-east-1:111111111111:trail/stopped: excluded by an exception") || strings.Contains(out, "StartLogging") {
		t.Errorf("plan --from: %d\n%s\n%s", code, out, errs)
	}
	// A scan saved without the exceptions, planned with them (field trial: --exceptions was ignored with --from, and
	// a missing exceptions file too).
	plain := filepath.Join(t.TempDir(), "plain.json")
	if code, _, errs := run(t, append([]string{"scan", "--include-inventory", "--format", "json", "-o", plain}, age...)...); code != 1 {
		t.Fatalf("scan: %d %s", code, errs)
	}
	code, out, errs = run(t, "fix", "plan", "--from", plain, "--exceptions", p, "--max-exception-days", "0")
	if code != 0 || !strings.Contains(out, "REFUSED arn:aws:cloudtrail:us-east-1:111111111111:trail/stopped: excluded by an exception") || strings.Contains(out, "StartLogging") {
		t.Errorf("plan --from --exceptions: %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := run(t, "fix", "plan", "--from", plain, "--exceptions", filepath.Join(t.TempDir(), "missing.yaml")); code != ExitUsage || !strings.Contains(errs, "missing.yaml") {
		t.Errorf("plan --from with a missing exceptions file: %d %s", code, errs)
	}
}

// TestFixApplyOrg fixes an organization from the management account: members are reached through the assumed role,
// production accounts first, in batches, and every fixed trail comes back PENDING or PASS.
func TestFixApplyOrg(t *testing.T) {
	sc := awssim.Generate(awssim.GenOptions{Accounts: 6, Seed: 2, Regions: []string{"us-east-1"}})
	for i := 1; i < len(sc.Accounts); i++ {
		sc.Accounts[i].Trails = []awssim.Trail{{Name: "local", HomeRegion: "us-east-1"}}
		sc.Accounts[i].LogGroups, sc.Accounts[i].Roles = nil, nil
	}
	run := simRun(startOrg(t, sc, "100000000000"))
	dir := t.TempDir()
	journal := filepath.Join(dir, "j.jsonl")
	code, out, errs := run(t, append([]string{"fix", "apply", "--org", "--yes", "--batch-size", "2", "--journal", journal}, age...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "batch 1") || strings.Contains(out, "FAILED") {
		t.Errorf("rollout:\n%s", out)
	}
	lines, _ := os.ReadFile(journal)
	accounts := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(lines)), "\n") {
		var e struct {
			AccountID string `json:"account_id"`
			Who       string
			Result    string
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		accounts[e.AccountID] = true
		// The identity that made the call, as CloudTrail records it (the simulator's caller, awssim world.go): the
		// caller in its own account, the session of the role assumed in a member (issue 11; field trial: the journal
		// named the role, not the session).
		want := "arn:aws:sts::" + e.AccountID + ":assumed-role/OrganizationAccountAccessRole/trailwatch"
		if e.AccountID == "100000000000" {
			want = "arn:aws:iam::100000000000:user/trailwatch-sim"
		}
		if e.Who != want {
			t.Errorf("journal entry in %s by %q, want %q", e.AccountID, e.Who, want)
		}
	}
	if len(accounts) == 0 {
		t.Fatal("nothing was fixed")
	}
	// The production member (environment=production: account 3) comes first.
	first := strings.SplitN(out, "\n", 2)[0]
	if !strings.Contains(first, "batch 1  100000000003") {
		t.Errorf("first line %q", first)
	}
	code, out, _ = run(t, append([]string{"fix", "plan", "--org"}, age...)...)
	if code != 0 || !strings.Contains(out, "0 steps") {
		t.Errorf("after the rollout a new plan should be empty:\n%s", out)
	}
}

// TestFixApplyRefusesAnEditedPlanBelowTheMinimum: a reviewed plan is JSON a person may edit. One edited to set a log
// group's retention to 1 day was applied (CloudWatch Logs then deletes the older events at once, and the retention
// control fails); one whose step names another account than its resource tried that account. Both are refused
// before any change.
func TestFixApplyRefusesAnEditedPlanBelowTheMinimum(t *testing.T) {
	srv := fixEnv(t)
	run := simRun(srv)
	dir := t.TempDir()
	planPath := filepath.Join(dir, "plan.json")
	if code, _, errs := run(t, "fix", "plan", "--format", "json", "--output", planPath); code != 0 {
		t.Fatalf("plan: %d %s", code, errs)
	}
	data, _ := os.ReadFile(planPath)
	var p map[string]any
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	edited := false
	for _, s := range p["steps"].([]any) {
		step := s.(map[string]any)
		if step["action"] == "PutRetentionPolicy" {
			step["params"].(map[string]any)["retentionInDays"] = 1
			edited = true
		}
	}
	if !edited {
		t.Fatal("the plan has no retention step to edit")
	}
	data, _ = json.Marshal(p)
	os.WriteFile(planPath, data, 0o600)
	before := srv.CallsTo("*")
	code, _, errs := run(t, "fix", "apply", "--plan", planPath, "--yes", "--journal", filepath.Join(dir, "j.jsonl"))
	if code != ExitUsage || !strings.Contains(errs, "below the 365-day minimum") {
		t.Errorf("exit %d\n%s", code, errs)
	}
	for _, op := range []string{"logs:PutRetentionPolicy", "logs:CreateLogGroup", "iam:CreateRole", "cloudtrail:UpdateTrail"} {
		if n := srv.CallsTo(op); n != 0 {
			t.Errorf("%d %s calls", n, op)
		}
	}
	if after := srv.CallsTo("*"); after != before {
		t.Errorf("%d AWS calls before the plan was refused", after-before)
	}
}

// TestEditedPlansAreRefused: a reviewed plan runs only if it is the plan trailwatch writes now with the same flags;
// each edit a person with write access to the file could make is refused before any write. fix apply --plan ran 5 of
// 17 edited plans: an undo that deletes an existing, healthy log group, a role policy replaced by Allow *:*, a trust
// policy replaced by "AWS": "*", a step renamed to another trail (issue 23).
func TestEditedPlansAreRefused(t *testing.T) {
	srv := fixEnv(t)
	run := simRun(srv)
	dir := t.TempDir()
	planPath := filepath.Join(dir, "plan.json")
	if code, _, errs := run(t, "fix", "plan", "--format", "json", "--output", planPath); code != 0 {
		t.Fatalf("plan: %d %s", code, errs)
	}
	original, _ := os.ReadFile(planPath)
	edit := func(change func(step map[string]any) bool) []byte {
		var p map[string]any
		if err := json.Unmarshal(original, &p); err != nil {
			t.Fatal(err)
		}
		done := false
		for _, s := range p["steps"].([]any) {
			if !done && change(s.(map[string]any)) {
				done = true
			}
		}
		if !done {
			t.Fatal("nothing to edit")
		}
		b, _ := json.Marshal(p)
		return b
	}
	params := func(s map[string]any) map[string]any { return s["params"].(map[string]any) }
	cases := map[string][]byte{
		"an undo that deletes the healthy log group": edit(func(s map[string]any) bool {
			if s["action"] != "StartLogging" {
				return false
			}
			s["undo"] = map[string]any{"action": "DeleteLogGroup", "params": map[string]any{"logGroupName": "G"}}
			return true
		}),
		"a role policy of Allow *:*": edit(func(s map[string]any) bool {
			if s["action"] != "PutRolePolicy" {
				return false
			}
			params(s)["PolicyDocument"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
			return true
		}),
		"a trust policy for anyone": edit(func(s map[string]any) bool {
			if s["action"] != "UpdateAssumeRolePolicy" {
				return false
			}
			params(s)["PolicyDocument"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`
			return true
		}),
		"a step renamed to another trail": edit(func(s map[string]any) bool {
			if s["action"] != "StartLogging" {
				return false
			}
			params(s)["Name"] = "arn:aws:cloudtrail:us-east-1:111111111111:trail/untrusted"
			return true
		}),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, "edited.json")
			os.WriteFile(p, data, 0o600)
			srv.ResetCounters()
			code, _, errs := run(t, "fix", "apply", "--plan", p, "--yes", "--journal", filepath.Join(dir, "j.jsonl"))
			if code != ExitUsage || !strings.Contains(errs, "not applied") {
				t.Errorf("exit %d\n%s", code, errs)
			}
			for _, c := range srv.Counters() {
				if !strings.HasPrefix(c.Operation, "Describe") && !strings.HasPrefix(c.Operation, "Get") && !strings.HasPrefix(c.Operation, "List") {
					t.Errorf("a write before the refusal: %s:%s", c.Service, c.Operation)
				}
			}
		})
	}
	// The plan as written, with the same flags, runs.
	if code, _, errs := run(t, "fix", "apply", "--plan", planPath, "--yes", "--journal", filepath.Join(dir, "j.jsonl")); code == ExitUsage {
		t.Errorf("the reviewed plan: %s", errs)
	}
}

// TestResultState: a failed trail says what was undone, that nothing needed undoing (Ctrl-C printed "undone: " with
// an empty list, issue 22), or how many changes were not undone.
func TestResultState(t *testing.T) {
	for _, tc := range []struct {
		r    remediate.TrailResult
		want string
	}{
		{remediate.TrailResult{}, "fixed"},
		{remediate.TrailResult{Error: "CreateLogGroup: interrupted"}, "FAILED (CreateLogGroup: interrupted); nothing to undo"},
		{remediate.TrailResult{Error: "x", Undone: []string{"CreateLogGroup"}}, "FAILED (x); undone: CreateLogGroup"},
		{remediate.TrailResult{Error: "x", UndoFailed: []string{"undo of CreateLogGroup"}}, "FAILED (x); 1 change(s) NOT undone, see below"},
	} {
		if got := resultState(tc.r); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.r, got, tc.want)
		}
	}
}

// TestFixApplyOutput: fix apply -o FILE writes the apply result (every trail of every batch, what was done, and the
// journal's path); it accepted the flag and never wrote the file (issue 23).
func TestFixApplyOutput(t *testing.T) {
	srv := fixEnv(t)
	run := simRun(srv)
	dir := t.TempDir()
	out := filepath.Join(dir, "result.json")
	journal := filepath.Join(dir, "j.jsonl")
	if code, _, errs := run(t, "fix", "apply", "--yes", "--journal", journal, "-o", out); code == ExitUsage {
		t.Fatalf("apply: %s", errs)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no result file: %v", err)
	}
	var r struct {
		Journal string
		Batches []struct {
			Results []struct {
				ResourceID string `json:"resource_id"`
				Error      string `json:"error"`
			}
		}
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	fixed := 0
	for _, b := range r.Batches {
		for _, res := range b.Results {
			if res.Error == "" && strings.HasPrefix(res.ResourceID, "arn:aws:cloudtrail:") {
				fixed++
			}
		}
	}
	if r.Journal != journal || fixed < 3 {
		t.Errorf("result: journal %q, %d trails fixed\n%s", r.Journal, fixed, data)
	}
}

// TestFixApplyAllRefused (field trial): fix apply that applies nothing because every fix was refused exits 1, saying
// so (it exited 0, and a pipeline took it for done); refused only because an exception keeps the trail as it is, it
// exits 0.
func TestFixApplyAllRefused(t *testing.T) {
	srv := simFrom(t, []byte(`
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: aws-controltower-BaselineCloudTrail, home_region: us-east-1, multi_region: true}
`))
	run := simRun(srv)
	code, _, errs := run(t, "fix", "apply", "--yes", "--journal", filepath.Join(t.TempDir(), "j"))
	if code != ExitFailed || !strings.Contains(errs, "nothing applied: every fix was refused (2;") || srv.CallsTo("cloudtrail:UpdateTrail") != 0 {
		t.Errorf("every fix refused: %d %s", code, errs)
	}
	p := filepath.Join(t.TempDir(), "ex.yaml")
	os.WriteFile(p, []byte("exceptions:\n  - control: cloudtrail-cloudwatch-integration\n    resources: [\"arn:aws:cloudtrail:us-east-1:111111111111:trail/aws-controltower-BaselineCloudTrail\"]\n    owner: o@example.com\n    reason: Control Tower manages it\n    expires: 2099-01-01\n  - control: account-activity-capture\n    accounts: [\"111111111111\"]\n    owner: o@example.com\n    reason: Control Tower captures it\n    expires: 2099-01-01\n"), 0o644)
	if code, _, errs := run(t, "fix", "apply", "--yes", "--exceptions", p, "--max-exception-days", "0", "--journal", filepath.Join(t.TempDir(), "j")); code != 0 {
		t.Errorf("every fix excepted: %d %s", code, errs)
	}
	// The account's capture excepted: no new trail is planned, --trail-bucket or not (it was).
	if code, out, errs := run(t, "fix", "plan", "--trail-bucket", "ct-logs", "--exceptions", p, "--max-exception-days", "0"); code != 0 || strings.Contains(out, "CreateTrail") ||
		!strings.Contains(out, "REFUSED 111111111111: excluded by an exception") {
		t.Errorf("an excepted account's new trail: %d\n%s\n%s", code, out, errs)
	}
}

// TestFixApplySomeRefused (field trial): fix apply that applies what it can while other fixes are refused exits 1,
// saying so: the refused findings still fail (it exited 0, and the scan after it was red).
func TestFixApplySomeRefused(t *testing.T) {
	srv := simFrom(t, []byte(`
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: G, role: Weak}
      - {name: aws-controltower-BaselineCloudTrail, home_region: us-east-1}
    log_groups: [{name: G, region: us-east-1, retention_days: 365}]
    roles: [{name: Weak, trust: cloudtrail, policy: create-stream-only}]
`))
	code, out, errs := simRun(srv)(t, "fix", "apply", "--yes", "--journal", filepath.Join(t.TempDir(), "j"))
	if code != ExitFailed || !strings.Contains(errs, "applied what it could; 1 refused") || srv.CallsTo("iam:PutRolePolicy") != 1 {
		t.Errorf("some fixes refused: %d\n%s\n%s", code, out, errs)
	}
}

// TestFixApplySaysWhatIsLeft (field trial): a trail whose integration is fixed but whose selectors the plan refuses to
// change was reported "fixed" beside its REFUSED line; the rollout line says it was fixed in part and what is left.
func TestFixApplySaysWhatIsLeft(t *testing.T) {
	srv := simFrom(t, []byte(`accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: data-only, home_region: us-east-1, multi_region: true, management_events: false}
`))
	code, out, errs := simRun(srv)(t, "fix", "apply", "--yes", "--wait", "0", "--journal", filepath.Join(t.TempDir(), "j"))
	if code != ExitFailed || !strings.Contains(out, "trail/data-only: fixed in part; still to do by hand: ") || strings.Contains(out, "trail/data-only: fixed\n") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
}
