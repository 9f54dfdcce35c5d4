package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/remediate"
)

// telemetryFixScenario: an account in two regions whose only trail is not integrated, and one with no trail at all.
const telemetryFixScenario = `
log_delivery_delay: 0s
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: bare, home_region: us-east-1, multi_region: true}
`

// TestFixViaTelemetryRule: `fix plan --via telemetry-rule` plans the account's CloudWatch telemetry rule (and the
// evaluation it needs) instead of the trail's integration, renders it as AWS CLI commands the real AWS CLI accepts,
// Terraform and CloudFormation; `fix apply` makes it, the scan right after shows the trail PENDING (the rule has not
// delivered yet), and once it delivers the account and the trail pass by the rule; `fix undo`-style undo calls
// delete what was made.
func TestFixViaTelemetryRule(t *testing.T) {
	srv := simFrom(t, []byte(telemetryFixScenario))
	run := simRun(srv)
	code, out, errs := run(t, "fix", "plan", "--via", "telemetry-rule", "--format", "json")
	if code != 0 {
		t.Fatalf("plan: %d %s", code, errs)
	}
	p, err := remediate.ReadPlan([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, s := range p.Steps {
		actions = append(actions, s.Action)
	}
	if got := strings.Join(actions, ","); got != "StartTelemetryEvaluation,CreateTelemetryRule" {
		t.Fatalf("plan steps %s, want StartTelemetryEvaluation,CreateTelemetryRule (and no trail change)", got)
	}
	rule, _ := json.Marshal(p.Steps[1].Params.(remediate.CreateTelemetryRuleInput).Rule)
	for _, want := range []string{`"AllRegions":true`, `"ResourceType":"AWS::CloudTrail"`, `"DestinationType":"cloud-watch-logs"`, `"RetentionInDays":365`, `"Equals":["Management"]`} {
		if !strings.Contains(string(rule), want) {
			t.Errorf("the rule lacks %s: %s", want, rule)
		}
	}
	for format, wants := range map[string][]string{
		"text":           {"aws observabilityadmin start-telemetry-evaluation --region us-east-1 --all-regions", "aws observabilityadmin create-telemetry-rule --region us-east-1 --rule-name " + remediate.TelemetryRuleName},
		"terraform":      {`resource "aws_observabilityadmin_telemetry_evaluation"`, `resource "aws_observabilityadmin_telemetry_rule"`, `resource_type  = "AWS::CloudTrail"`, `advanced_event_selectors {`, `equals = ["Management"]`},
		"cloudformation": {`"Type": "AWS::ObservabilityAdmin::TelemetryRule"`, `"Condition": "InAccount111111111111"`, `"InAccount111111111111": {`, `"ResourceType": "AWS::CloudTrail"`, `"Call": "StartTelemetryEvaluation"`, "StackSet"},
	} {
		code, out, errs := run(t, "fix", "plan", "--via", "telemetry-rule", "--format", format)
		if code != 0 {
			t.Fatalf("%s: %d %s", format, code, errs)
		}
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s", format, w, out)
			}
		}
	}
	if code, _, errs := run(t, "fix", "plan", "--via", "telemetry"); code != ExitUsage || !strings.Contains(errs, "telemetry-rule") {
		t.Errorf("--via telemetry: %d %s", code, errs)
	}

	// Field trial: a retention below the minimum is refused before any AWS call, and a plan file made with --via is
	// applied only with it, and says so.
	before := srv.CallsTo("*")
	if code, _, errs := run(t, "fix", "plan", "--via", "telemetry-rule", "--retention-days", "30"); code != ExitUsage || !strings.Contains(errs, "--min-retention-days 365") || srv.CallsTo("*") != before {
		t.Errorf("--retention-days 30: %d %s (%d calls)", code, errs, srv.CallsTo("*")-before)
	}
	dir := t.TempDir()
	planFile := filepath.Join(dir, "p.json")
	if code, _, errs := run(t, "fix", "plan", "--via", "telemetry-rule", "--format", "json", "-o", planFile); code != 0 {
		t.Fatalf("plan -o: %d %s", code, errs)
	}
	if code, _, errs := run(t, "fix", "apply", "--plan", planFile, "--yes"); code != ExitUsage || !strings.Contains(errs, "made with --via telemetry-rule") {
		t.Errorf("a --via plan applied without --via: %d %s", code, errs)
	}
	journal := filepath.Join(dir, "j.jsonl")
	code, out, errs = run(t, "fix", "apply", "--via", "telemetry-rule", "--yes", "--journal", journal)
	if code != 0 {
		t.Fatalf("apply: %d\n%s\n%s", code, out, errs)
	}
	// Right after: the rule exists and has not delivered yet.
	code, out, _ = run(t, "scan", "--format", "json")
	if !strings.Contains(out, `"PENDING_FIRST_DELIVERY"`) || strings.Contains(out, `"NOT_INTEGRATED"`) {
		t.Errorf("the scan right after apply: %d\n%s", code, out)
	}
	// The proof's marked calls in each region reach the rule's groups (log_delivery_delay 0s): proven, and the next
	// scan sees the rule deliver everywhere.
	if code, out, errs := run(t, "prove", "--timeout", "2s", "--poll", "500ms"); code != 0 || strings.Count(out, "PROVEN") < 2 {
		t.Errorf("prove after apply: %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = run(t, "scan")
	if code != 0 || strings.Count(out, "CAPTURED_BY_TELEMETRY_RULE") < 2 || strings.Contains(out, "FAIL") {
		t.Errorf("after delivery the account and the trail pass by the rule: %d\n%s", code, out)
	}
	lines, _ := os.ReadFile(journal)
	if n := strings.Count(string(lines), "\n"); n != 2 {
		t.Errorf("journal has %d lines, want 2", n)
	}
	// The printed AWS CLI commands are ones the AWS CLI accepts: run them against a fresh simulator.
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not on the PATH")
	}
	fresh := simFrom(t, []byte(telemetryFixScenario))
	runStepsWithAWSCLI(t, p.Steps)
	if n := fresh.CallsTo("observabilityadmin:CreateTelemetryRule"); n != 1 {
		t.Errorf("the AWS CLI's create-telemetry-rule reached the simulator %d times, want once", n)
	}
}

// runStepsWithAWSCLI runs each step's printed AWS CLI command with the real AWS CLI against the newest simulator.
func runStepsWithAWSCLI(t *testing.T, steps []remediate.Step) {
	t.Helper()
	cli := startAWSCLI(t, "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
	for _, s := range steps {
		if r := cli.Shell(s.CLI); r.Code != 0 {
			t.Errorf("%s: exit %d\n%s", s.CLI, r.Code, r.Combined())
		}
	}
}

// TestFixApplyTelemetryGate (field trial): the rollout's gate judges what was fixed on the telemetry path. Alarm
// chains completed on every region's telemetry group are each judged by the item's one finding (the apply exited 1,
// "not judged by the re-scan", though every chain was whole); a fix that only starts evaluation for an existing rule
// is PENDING in the re-check (it was FAIL: the pending window counted from the rule's creation only); an
// account-wide fix is judged by the account's capture.
func TestFixApplyTelemetryGate(t *testing.T) {
	t.Run("alarm chains on three regions' groups", func(t *testing.T) {
		srv := simFrom(t, []byte(`
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1, us-west-2]
    telemetry_rules: [{name: ct, all_regions: true}]
`))
		run := simRun(srv)
		code, out, errs := run(t, "fix", "apply", "--alarms", "--notify", "sqs:arn:aws:sqs:us-east-1:111111111111:q", "--yes", "--journal", filepath.Join(t.TempDir(), "j"))
		if code != 0 || strings.Contains(errs, "not judged") || strings.Contains(errs, "stopped") {
			t.Fatalf("apply: %d\n%s\n%s", code, out, errs)
		}
		if code, out, _ := run(t, "scan", "--alarms"); code != 0 || strings.Contains(out, "FAIL") {
			t.Errorf("after the apply: %d\n%s", code, out)
		}
	})
	t.Run("starting evaluation for an existing rule", func(t *testing.T) {
		srv := simFrom(t, []byte(`
accounts:
  - id: "222222222222"
    regions: [us-east-1, eu-west-1]
    telemetry_rules: [{name: ct, all_regions: true}]
    telemetry_status: STOPPED
`))
		run := simRun(srv)
		code, out, errs := run(t, "fix", "apply", "--via", "telemetry-rule", "--yes", "--journal", filepath.Join(t.TempDir(), "j"))
		if code != 0 || !strings.Contains(out+errs, "PENDING") || strings.Contains(out+errs, "FAIL") {
			t.Fatalf("apply: %d\n%s\n%s", code, out, errs)
		}
	})
}
