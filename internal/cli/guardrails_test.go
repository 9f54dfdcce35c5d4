package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/guardrails"
	"github.com/trailwatch/trailwatch/internal/policy"
)

func orgEnv(t *testing.T, caller string) *awssim.Server {
	t.Helper()
	return startOrg(t, awssim.Generate(awssim.GenOptions{Accounts: 4, Seed: 1, Regions: []string{"us-east-1"}}), caller)
}

// startOrg serves a scenario and points the standard credential chain at the caller's account.
func startOrg(t *testing.T, sc *awssim.Scenario, caller string) *awssim.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := awssim.Start(ctx, sc, awssim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range srv.Accounts() {
		if a.AccountID == caller {
			pointAt(t, srv.URL, a)
		}
	}
	return srv
}

func TestConformancePack(t *testing.T) {
	code, out, _ := run(t, "guardrails", "conformance-pack", "--max-delivery-age", "12h", "--min-retention-days", "400")
	if code != 0 || !strings.Contains(out, "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED") || !strings.Contains(out, "Default: '12'") ||
		!strings.Contains(out, "CW_LOGGROUP_RETENTION_PERIOD_CHECK") || !strings.Contains(out, "Default: '400'") {
		t.Fatalf("template:\n%s", out)
	}
	if _, err := exec.LookPath("cfn-lint"); err == nil {
		p := filepath.Join(t.TempDir(), "pack.yaml")
		os.WriteFile(p, []byte(out), 0o644)
		cmd := exec.Command("cfn-lint", p)
		res, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode()&2 != 0 {
			t.Errorf("cfn-lint finds errors:\n%s", res)
		}
	} else {
		t.Log("cfn-lint not on the PATH: template not linted")
	}
	// Deploy from the management account; a member is refused.
	orgEnv(t, "100000000000")
	journal := filepath.Join(t.TempDir(), "j.jsonl")
	if code, _, errs := run(t, "guardrails", "conformance-pack", "--deploy", "--yes", "--journal", journal, "-o", filepath.Join(t.TempDir(), "p.yaml")); code != 0 || !strings.Contains(errs, "organization-conformance-pack/trailwatch-cloudtrail-cloudwatch-logs") {
		t.Errorf("deploy: %d %s", code, errs)
	}
	// The journal says who wrote, in which account and region (field trial: account and region were empty).
	if data, _ := os.ReadFile(journal); !strings.Contains(string(data), `"who":"arn:aws:iam::100000000000:user/trailwatch-sim","account_id":"100000000000","region":"us-east-1"`) {
		t.Errorf("journal:\n%s", data)
	}
	if code, _, errs := run(t, "guardrails", "conformance-pack", "--deploy", "--account", "--yes", "--journal", filepath.Join(t.TempDir(), "j.jsonl"), "-o", filepath.Join(t.TempDir(), "p.yaml")); code != 0 || !strings.Contains(errs, "conformance-pack/trailwatch") {
		t.Errorf("deploy to the account: %d %s", code, errs)
	}
	if code, _, errs := run(t, "guardrails", "conformance-pack", "--deploy", "-o", filepath.Join(t.TempDir(), "p.yaml")); code != ExitUsage || !strings.Contains(errs, "--yes") {
		t.Errorf("unconfirmed deploy: %d %s", code, errs)
	}
}

func TestConformancePackFromMemberRefused(t *testing.T) {
	orgEnv(t, "100000000003")
	code, _, errs := run(t, "guardrails", "conformance-pack", "--deploy", "--yes", "--journal", filepath.Join(t.TempDir(), "j.jsonl"), "-o", filepath.Join(t.TempDir(), "p.yaml"))
	if code != ExitFailed || !strings.Contains(errs, "OrganizationAccessDenied") {
		t.Errorf("member deploy: %d %s", code, errs)
	}
}

func TestSCP(t *testing.T) {
	doc, err := guardrails.SCP(guardrails.SCPOptions{AdminRoles: []string{"SecurityAdmin", "arn:aws:iam::*:role/breakglass-*"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := policy.Parse(doc)
	if err != nil || len(doc) > guardrails.MaxSCPSize {
		t.Fatalf("%v (%d chars)", err, len(doc))
	}
	for _, a := range []string{"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail"} {
		if dec := policy.Evaluate([]*policy.Document{d}, a, "*"); !dec.ConditionsNotEvaluated {
			t.Errorf("%s: %+v (the deny must be conditional on the admin roles)", a, dec)
		}
	}
	if dec := policy.Evaluate([]*policy.Document{d}, "logs:DeleteLogGroup", "arn:aws:logs:us-east-1:1:log-group:aws-cloudtrail-logs/main"); !dec.ConditionsNotEvaluated {
		t.Errorf("log group deletion not covered: %+v", dec)
	}
	if _, err := guardrails.SCP(guardrails.SCPOptions{AdminRoles: make([]string, 400)}); err == nil {
		t.Error("an oversized SCP was accepted")
	}
	orgEnv(t, "100000000000")
	code, _, errs := run(t, "guardrails", "scp", "--attach", "--target", "r-gen0", "--yes", "--journal", filepath.Join(t.TempDir(), "j.jsonl"), "-o", filepath.Join(t.TempDir(), "scp.json"))
	if code != 0 || !strings.Contains(errs, "created p-") || !strings.Contains(errs, "attached to [r-gen0]") {
		t.Errorf("attach: %d %s", code, errs)
	}
	if code, _, errs := run(t, "guardrails", "scp", "--attach", "--yes"); code != ExitUsage || !strings.Contains(errs, "--target") {
		t.Errorf("attach without target: %d %s", code, errs)
	}
}

// TestSCPAttachIsIdempotent: attaching again reuses the policy of that name and attaches it only where it is not yet;
// a failed attach leaves no orphan policy; the in-use log groups and roles of a saved scan are protected (issue 10 §2).
func TestSCPAttachIsIdempotent(t *testing.T) {
	srv := orgEnv(t, "100000000000")
	attach := func(targets ...string) (int, string) {
		args := []string{"guardrails", "scp", "--attach", "--yes", "--journal", filepath.Join(t.TempDir(), "j.jsonl"), "-o", filepath.Join(t.TempDir(), "scp.json")}
		for _, tg := range targets {
			args = append(args, "--target", tg)
		}
		code, _, errs := run(t, args...)
		return code, errs
	}
	if code, errs := attach("r-gen0"); code != 0 || !strings.Contains(errs, "created") {
		t.Fatalf("first attach: %d %s", code, errs)
	}
	code, errs := attach("r-gen0", "100000000002")
	if code != 0 || !strings.Contains(errs, "reused") || !strings.Contains(errs, "attached to [100000000002] (already attached: [r-gen0])") {
		t.Errorf("second attach: %d %s", code, errs)
	}
	if n := srv.CallsTo("organizations:UpdatePolicy"); n != 0 {
		t.Errorf("UpdatePolicy called %d times for the same content, want 0 (no write that changes nothing)", n)
	}
	if n := srv.CallsTo("organizations:CreatePolicy"); n != 1 {
		t.Errorf("CreatePolicy called %d times, want 1", n)
	}
	// A failing attach of a new policy deletes it again.
	code, _, errs = run(t, "guardrails", "scp", "--attach", "--yes", "--journal", filepath.Join(t.TempDir(), "j.jsonl"), "--name", "other", "--target", "ou-nope-12345678", "-o", filepath.Join(t.TempDir(), "s.json"))
	if code != ExitFailed || !strings.Contains(errs, "undone: [DeletePolicy") {
		t.Errorf("failed attach: %d %s", code, errs)
	}
	if n := srv.CallsTo("organizations:DeletePolicy"); n != 1 {
		t.Errorf("DeletePolicy called %d times, want 1 (the orphan)", n)
	}
	// Names in use, from a saved scan, and given names are protected.
	scanFile := filepath.Join(t.TempDir(), "scan.json")
	if code, _, errs := run(t, "scan", "--org", "--include-inventory", "--format", "json", "-o", scanFile); code == ExitUsage {
		t.Fatalf("scan: %s", errs)
	}
	code, out, errs := run(t, "guardrails", "scp", "--from", scanFile, "--log-group", "team/audit-*")
	if code != 0 {
		t.Fatalf("scp --from: %d %s", code, errs)
	}
	d, err := policy.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range []string{"arn:aws:logs:us-east-1:100000000000:log-group:aws-cloudtrail-logs/org", "arn:aws:logs:eu-west-1:100000000005:log-group:team/audit-1"} {
		if dec := policy.Evaluate([]*policy.Document{d}, "logs:DeleteLogGroup", res); !dec.ConditionsNotEvaluated {
			t.Errorf("%s is not protected", res)
		}
	}
	if dec := policy.Evaluate([]*policy.Document{d}, "iam:DeleteRole", "arn:aws:iam::100000000000:role/CloudTrailCWLogsRole"); !dec.ConditionsNotEvaluated {
		t.Error("the organization trail's delivery role, found by the scan, is not protected")
	}
}

// TestSCPAttachUndo (issue 22: the guardrail writes went around the journal and undo): an attach that fails part-way
// puts back what the run changed, newest first (the target it attached is detached, the policy's previous content
// restored), and every write and undo is in the journal.
func TestSCPAttachUndo(t *testing.T) {
	srv := orgEnv(t, "100000000000")
	dir := t.TempDir()
	if code, _, errs := run(t, "guardrails", "scp", "--attach", "--yes", "--journal", filepath.Join(dir, "1.jsonl"), "--target", "r-gen0", "-o", filepath.Join(dir, "a.json")); code != 0 {
		t.Fatalf("first attach: %d %s", code, errs)
	}
	first, _ := os.ReadFile(filepath.Join(dir, "a.json"))
	journal := filepath.Join(dir, "2.jsonl")
	code, _, errs := run(t, "guardrails", "scp", "--attach", "--yes", "--journal", journal, "--admin-role", "SecurityAdmin",
		"--target", "r-gen0", "--target", "100000000002", "--target", "ou-nope-12345678", "-o", filepath.Join(dir, "b.json"))
	if code != ExitFailed || !strings.Contains(errs, "DetachPolicy") || !strings.Contains(errs, "previous content") {
		t.Fatalf("failing attach: %d %s", code, errs)
	}
	org := organizations.NewFromConfig(srv.SDKConfig("100000000000", "us-east-1"))
	pols, err := org.ListPolicies(context.Background(), &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy})
	if err != nil || len(pols.Policies) != 1 {
		t.Fatalf("policies: %v %v", pols, err)
	}
	id := pols.Policies[0].Id
	desc, err := org.DescribePolicy(context.Background(), &organizations.DescribePolicyInput{PolicyId: id})
	if err != nil || aws.ToString(desc.Policy.Content) != strings.TrimSpace(string(first)) {
		t.Errorf("the policy's content was not put back: %v\n%s", err, aws.ToString(desc.Policy.Content))
	}
	targets, err := org.ListTargetsForPolicy(context.Background(), &organizations.ListTargetsForPolicyInput{PolicyId: id})
	if err != nil || len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].TargetId) != "r-gen0" {
		t.Errorf("targets after the undo: %+v %v (want r-gen0 only)", targets, err)
	}
	lines, _ := os.ReadFile(journal)
	var results []string
	for _, l := range strings.Split(strings.TrimSpace(string(lines)), "\n") {
		var en struct{ Action, Result string }
		if err := json.Unmarshal([]byte(l), &en); err != nil {
			t.Fatalf("journal line %q: %v", l, err)
		}
		results = append(results, en.Action+":"+en.Result)
	}
	if got := strings.Join(results, " "); got != "UpdatePolicy:ok AttachPolicy:ok AttachPolicy:error DetachPolicy:undone UpdatePolicy:undone" {
		t.Errorf("journal: %s", got)
	}
}

// TestGuardrailWritesNeedAKnownCaller (field trial): a deploy or an attach with refused credentials stops before any
// write, journal or not: it deployed, journaled "unknown" and printed the raw SDK error; a --journal in a missing
// directory is refused before any AWS call (it was refused only after two).
func TestGuardrailWritesNeedAKnownCaller(t *testing.T) {
	srv := orgEnv(t, "100000000000")
	dir := t.TempDir()
	journal := filepath.Join(dir, "j.jsonl")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
	for _, args := range [][]string{
		{"guardrails", "conformance-pack", "--deploy", "--yes", "--journal", journal, "-o", filepath.Join(dir, "p.yaml")},
		{"guardrails", "scp", "--attach", "--target", "r-a1b2", "--yes", "--journal", journal, "-o", filepath.Join(dir, "s.json")},
	} {
		code, _, errs := run(t, args...)
		if code != ExitUsage || !strings.Contains(errs, "the credentials were refused") || !strings.Contains(errs, "nothing was written") {
			t.Errorf("%v: exit %d %s", args[:2], code, errs)
		}
	}
	if n := srv.CallsTo("config:*") + srv.CallsTo("organizations:*"); n != 0 {
		t.Errorf("%d writes or reads made with refused credentials", n)
	}
	if _, err := os.Stat(journal); err == nil {
		t.Error("a journal was left behind")
	}
	before := srv.CallsTo("*")
	if code, _, errs := run(t, "guardrails", "scp", "--attach", "--target", "r-a1b2", "--yes", "--journal", filepath.Join(dir, "missing", "j.jsonl"), "-o", filepath.Join(dir, "s.json")); code != ExitUsage || !strings.Contains(errs, "does not exist") {
		t.Errorf("journal in a missing directory: exit %d %s", code, errs)
	}
	if n := srv.CallsTo("*") - before; n != 0 {
		t.Errorf("%d AWS calls before the journal's directory was checked", n)
	}
}
