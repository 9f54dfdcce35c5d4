package remediate_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/iac/cfn"
	"github.com/trailwatch/trailwatch/internal/iac/terraform"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

const everyReason = `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: not-integrated, home_region: us-east-1, multi_region: true}
      - {name: group-gone, home_region: us-east-1, log_group: Gone, role: R}
      - {name: role-gone, home_region: us-east-1, log_group: G2, role: Missing}
      - {name: untrusted, home_region: eu-west-1, log_group: G3, role: Untrusted}
      - {name: weak, home_region: eu-west-1, log_group: G4, role: Weak}
      - {name: stopped, home_region: eu-west-1, logging: false, log_group: G5, role: R5}
    log_groups:
      - {name: G2, region: us-east-1, retention_days: 365}
      - {name: G3, region: eu-west-1, retention_days: 30}
      - {name: G4, region: eu-west-1}
      - {name: G5, region: eu-west-1}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
      - {name: R5, trust: cloudtrail, policy: cloudtrail-delivery}
      - {name: Untrusted, trust: logs.amazonaws.com, policy: cloudtrail-delivery}
      - {name: Weak, trust: cloudtrail, policy: create-stream-only}
`

// TestPlanAsTerraformIsComplete: the Terraform rendering of a plan with every reason is one complete document (no
// fragments: it parses as a configuration), imports what exists instead of declaring it new, and, judged by
// trailwatch's own Terraform adapter and control (terraform itself cannot be installed here), every trail it
// configures is integrated: none FAILs or WARNs (issue 10 §1).
func TestPlanAsTerraformIsComplete(t *testing.T) {
	e := newEnv(t, everyReason)
	inv, fs := e.scan(acct, nil)
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now()})
	code := remediate.AsCode(p, "terraform")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	res := terraform.Load(dir, terraform.Options{})
	if len(res.Errors) > 0 {
		t.Fatalf("the rendering does not parse: %+v\n%s", res.Errors, code)
	}
	// Two trails change themselves (not-integrated: UpdateTrail; stopped: StartLogging); the others are fixed by
	// creating or repairing their log group or role.
	if len(res.Trails) != 2 {
		t.Errorf("%d trails in the rendering, want 2", len(res.Trails))
	}
	for _, want := range []string{`import {`, `to       = aws_cloudtrail.trail_111111111111_stopped`, `allowed_account_ids = ["111111111111"]`, `required_providers`,
		// The stopped trail keeps its integration: applying must not clear it.
		`cloud_watch_logs_group_arn = "arn:aws:logs:eu-west-1:111111111111:log-group:G5:*"`} {
		if !strings.Contains(code, want) {
			t.Errorf("no %q in the rendering", want)
		}
	}
	// An existing role is imported, never declared as a new resource without an import.
	if strings.Count(code, `resource "aws_iam_role" "role_111111111111_Untrusted"`) != 1 || !strings.Contains(code, `to       = aws_iam_role.role_111111111111_Untrusted`) {
		t.Errorf("the existing role Untrusted is not imported:\n%s", code)
	}
	cat, _ := controls.Load()
	for _, f := range controls.EvaluateIaC(cat, res.Trails, controls.IaCSettings{MinRetentionDays: 365}) {
		if f.ControlID == controls.IntegrationID && (f.Status == model.StatusFail || f.Status == model.StatusWarn) {
			t.Errorf("%s: %s %+v", f.ResourceID, f.Status, f.Reasons)
		}
	}
}

// TestPlanAsCloudFormationIsATemplate: the CloudFormation rendering is one template trailwatch's parser reads, with
// the new resources and the changes to existing ones in Metadata.
func TestPlanAsCloudFormationIsATemplate(t *testing.T) {
	e := newEnv(t, everyReason)
	inv, fs := e.scan(acct, nil)
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now()})
	code := remediate.AsCode(p, "cloudformation")
	if !cfn.IsTemplate([]byte(code)) {
		t.Fatalf("not detected as a template:\n%s", code)
	}
	if _, err := cfn.Parse("fix.json", []byte(code), nil); err != nil {
		t.Fatalf("does not parse: %v", err)
	}
	for _, want := range []string{`"AWS::Logs::LogGroup"`, `"AWS::IAM::Role"`, `"AWS::IAM::RolePolicy"`, `"ChangesToExistingResources"`, `"Call": "UpdateTrail"`} {
		if !strings.Contains(code, want) {
			t.Errorf("no %s in the template", want)
		}
	}
	checkStackConditions(t, code)
}

// checkStackConditions holds a fix template to what deploying one template in every account and region needs
// (field trial: without conditions, each account's stack made every account's roles and groups, and a role's stack in
// a second region failed on its global name): every resource and output is under a condition that requires one
// account and one region, and no Ref or GetAtt reaches a resource under another condition (a stack where it is not
// made fails to deploy).
func checkStackConditions(t *testing.T, code string) {
	t.Helper()
	var tpl struct {
		Conditions map[string]any
		Resources  map[string]map[string]any
		Outputs    map[string]map[string]any
	}
	if err := json.Unmarshal([]byte(code), &tpl); err != nil {
		t.Fatal(err)
	}
	pins := func(name string) (acct, region string) {
		c, _ := tpl.Conditions[name].(map[string]any)
		and, _ := c["Fn::And"].([]any)
		for _, c := range and {
			m, _ := c.(map[string]any)
			eq, _ := m["Fn::Equals"].([]any)
			if len(eq) != 2 {
				continue
			}
			switch fmt.Sprint(eq[0]) {
			case "map[Ref:AWS::AccountId]":
				acct = fmt.Sprint(eq[1])
			case "map[Ref:AWS::Region]":
				region = fmt.Sprint(eq[1])
			}
		}
		return acct, region
	}
	var refs func(v any) []string
	refs = func(v any) []string {
		var out []string
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["Ref"].(string); ok {
				out = append(out, r)
			}
			if g, ok := x["Fn::GetAtt"].([]any); ok && len(g) > 0 {
				out = append(out, fmt.Sprint(g[0]))
			}
			for _, y := range x {
				out = append(out, refs(y)...)
			}
		case []any:
			for _, y := range x {
				out = append(out, refs(y)...)
			}
		}
		return out
	}
	for id, r := range tpl.Resources {
		cond, _ := r["Condition"].(string)
		if a, reg := pins(cond); !strings.HasPrefix(fmt.Sprint(r["Type"]), "AWS::ObservabilityAdmin::") && (len(a) != 12 || reg == "") {
			t.Errorf("resource %s: condition %q requires account %q region %q", id, cond, a, reg)
		}
		for _, to := range append(refs(r["Properties"]), stringsIn(r["DependsOn"])...) {
			if other, ok := tpl.Resources[to]; ok && other["Condition"] != cond {
				t.Errorf("resource %s (%s) refers to %s (%v): a stack that makes one does not make the other", id, cond, to, other["Condition"])
			}
		}
	}
	for id, o := range tpl.Outputs {
		for _, to := range refs(o["Value"]) {
			if r, ok := tpl.Resources[to]; ok && r["Condition"] != o["Condition"] {
				t.Errorf("output %s (%v) names %s (%v)", id, o["Condition"], to, r["Condition"])
			}
		}
	}
}

func stringsIn(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}
