package cli

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

// orgTelemetryScenario: an organization whose management account logs through its own trail, a member with no trail
// and a member whose only trail is not integrated.
const orgTelemetryScenario = `
log_delivery_delay: 0s
organization: {id: o-a1b2c3d4e5, management_account: "111111111111"}
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
    log_groups: [{name: CT, region: us-east-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
  - id: "222222222222"
    regions: [us-east-1, eu-west-1]
  - id: "333333333333"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: bare, home_region: us-east-1, multi_region: true}
`

// TestFixViaOrgTelemetryRule (issue 26): `fix plan --org --via org-telemetry-rule` plans one organization telemetry
// rule, and the organization's evaluation, in the management account, serving exactly the accounts whose capture the
// scan failed; it renders as AWS CLI commands the real AWS CLI accepts, Terraform and CloudFormation; `fix apply
// --batch-size 1` makes it and its gate judges every account it serves (they have no step of their own, so no batch
// of their own); the scan after shows them captured. Without --org it is refused before any call.
func TestFixViaOrgTelemetryRule(t *testing.T) {
	srv := simFrom(t, []byte(orgTelemetryScenario))
	run := simRun(srv)

	before := srv.CallsTo("*")
	if code, _, errs := run(t, "fix", "plan", "--via", "org-telemetry-rule"); code != ExitUsage || !strings.Contains(errs, "--org") || srv.CallsTo("*") != before {
		t.Errorf("without --org: %d %s (%d calls)", code, errs, srv.CallsTo("*")-before)
	}
	// Review: a saved scan cannot prove it saw every account the rule reaches, nor the exceptions that apply.
	if code, _, errs := run(t, "fix", "plan", "--org", "--via", "org-telemetry-rule", "--from", "scan.json"); code != ExitUsage || !strings.Contains(errs, "not --from") {
		t.Errorf("--from: %d %s", code, errs)
	}

	// The oracle: the accounts the scan fails capture or integration in.
	_, out, _ := run(t, "scan", "--org", "--format", "json")
	var rep struct{ Findings []model.Finding }
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var failing, scanned []string
	for _, f := range rep.Findings {
		if !slices.Contains(scanned, f.AccountID) {
			scanned = append(scanned, f.AccountID)
		}
		if (f.ControlID == "account-activity-capture" || f.ControlID == "cloudtrail-cloudwatch-integration") && f.Status == model.StatusFail && !slices.Contains(failing, f.AccountID) {
			failing = append(failing, f.AccountID)
		}
	}
	slices.Sort(failing)
	slices.Sort(scanned)
	if strings.Join(failing, ",") != "222222222222,333333333333" {
		t.Fatalf("the scenario no longer fails the two members: %v", failing)
	}

	code, out, errs := run(t, "fix", "plan", "--org", "--via", "org-telemetry-rule", "--format", "json")
	if code != 0 {
		t.Fatalf("plan: %d %s", code, errs)
	}
	p, err := remediate.ReadPlan([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range p.Steps {
		got = append(got, s.Action+"@"+s.AccountID+":"+s.ResourceID+"="+strings.Join(s.Serves, ","))
	}
	// It serves every account it reaches (the gate re-checks each), and says which fail now.
	want := []string{"StartTelemetryEvaluationForOrganization@111111111111:o-a1b2c3d4e5=" + strings.Join(scanned, ","),
		"CreateTelemetryRuleForOrganization@111111111111:o-a1b2c3d4e5=" + strings.Join(scanned, ",")}
	if !slices.Equal(got, want) || !strings.Contains(p.Steps[1].Why, "failing now: "+strings.Join(failing, ", ")) {
		t.Fatalf("steps %v, want %v (and no trail change); why %q", got, want, p.Steps[1].Why)
	}
	for format, wants := range map[string][]string{
		"text": {"aws observabilityadmin start-telemetry-evaluation-for-organization --region us-east-1 --all-regions",
			"aws observabilityadmin create-telemetry-rule-for-organization --region us-east-1 --rule-name " + remediate.TelemetryRuleName},
		"terraform": {`resource "aws_observabilityadmin_telemetry_evaluation_for_organization"`, `resource "aws_observabilityadmin_telemetry_rule_for_organization"`,
			`resource_type  = "AWS::CloudTrail"`, "depends_on = [aws_observabilityadmin_telemetry_evaluation_for_organization."},
		"cloudformation": {`"Type": "AWS::ObservabilityAdmin::OrganizationTelemetryRule"`, `"Condition": "InAccount111111111111"`, `"Call": "StartTelemetryEvaluationForOrganization"`},
	} {
		code, out, errs := run(t, "fix", "plan", "--org", "--via", "org-telemetry-rule", "--format", format)
		if code != 0 {
			t.Fatalf("%s: %d %s", format, code, errs)
		}
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s", format, w, out)
			}
		}
	}
	// Its cost: every account it reaches, the management account included though it needs no fix (field trial), as
	// its own rule would be (no S3 delivery to measure here: UNKNOWN).
	if code, out, errs := run(t, "fix", "plan", "--org", "--via", "org-telemetry-rule", "--cost"); code != 0 || !strings.Contains(out, "222222222222: UNKNOWN") ||
		!strings.Contains(out, "333333333333: UNKNOWN") || !strings.Contains(out, "111111111111: UNKNOWN") {
		t.Errorf("--cost: %d\n%s\n%s", code, out, errs)
	}

	code, out, errs = run(t, "fix", "apply", "--org", "--via", "org-telemetry-rule", "--yes", "--batch-size", "1", "--journal", filepath.Join(t.TempDir(), "j.jsonl"))
	if code != 0 {
		t.Fatalf("apply: %d\n%s\n%s", code, out, errs)
	}
	for _, id := range failing {
		// The gate's re-check judges each account the rule serves (before, none: the organization is no account).
		if !strings.Contains(out, "PASS     "+id) && !strings.Contains(out, "PENDING  "+id) {
			t.Errorf("the re-check after apply does not judge %s:\n%s", id, out)
		}
	}
	// Right after: the rule has not delivered everywhere yet (PENDING), and nothing fails.
	code, out, _ = run(t, "scan", "--org")
	if code != 0 || !strings.Contains(out, "PENDING_FIRST_DELIVERY") || strings.Contains(out, "FAIL") {
		t.Errorf("the scan right after apply: %d\n%s", code, out)
	}
	// The proof's marked calls in each account and region reach the rule's groups: the next scan sees it deliver.
	if code, out, errs := run(t, "prove", "--org", "--timeout", "2s", "--poll", "500ms"); code != 0 {
		t.Errorf("prove after apply: %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = run(t, "scan", "--org")
	if code != 0 || strings.Count(out, "CAPTURED_BY_TELEMETRY_RULE") < 3 || strings.Contains(out, "FAIL") || strings.Contains(out, "PENDING") {
		t.Errorf("after delivery the members and the bare trail pass by the organization rule: %d\n%s", code, out)
	}

	// The printed AWS CLI commands are ones the AWS CLI accepts: run them against a fresh simulator.
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not on the PATH")
	}
	fresh := simFrom(t, []byte(orgTelemetryScenario))
	runStepsWithAWSCLI(t, p.Steps)
	if n := fresh.CallsTo("observabilityadmin:CreateTelemetryRuleForOrganization"); n != 1 {
		t.Errorf("the AWS CLI's create-telemetry-rule-for-organization reached the simulator %d times, want once", n)
	}
}
