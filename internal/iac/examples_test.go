package iac

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// judge runs sources through their adapter and the control, as `trailwatch iac` does.
func judge(t *testing.T, paths []string, o Options) []model.Finding {
	t.Helper()
	cat, err := controls.Load()
	if err != nil {
		t.Fatal(err)
	}
	res := Scan(paths, o)
	// The command's pipeline is scan.IaC; a test of this package cannot import it (scan imports iac), so it runs the
	// same steps: the control with each unit's telemetry rules, the fix plan's code, the suppressions.
	fs := controls.EvaluateIaC(cat, res.Trails, controls.IaCSettings{MinRetentionDays: 365, Now: now, Strict: false, TelemetryOf: res.TelemetryOf()})
	remediate.FixIaC(res.Trails, fs, remediate.Options{})
	fs = controls.ApplySuppressions(fs, res.Trails, now)
	for _, e := range res.Errors {
		fs = append(fs, controls.FileError(cat, e.File, e.Line, e.Msg))
	}
	return fs
}

func verdicts(fs []model.Finding) []string {
	var out []string
	for _, f := range fs {
		var codes []string
		for _, r := range f.Reasons {
			codes = append(codes, r.Code)
		}
		sort.Strings(codes)
		rid := f.ResourceID
		if f.ResourceType == "file" {
			rid = filepath.Base(rid)
		}
		out = append(out, fmt.Sprintf("%s %s %s", rid, f.Status, strings.Join(codes, ",")))
	}
	sort.Strings(out)
	return out
}

// TestExamples runs every example under testdata/examples (Terraform, Terraform plans, CloudFormation, good and bad)
// through its adapter and the control, and checks the verdicts in its expect file.
func TestExamples(t *testing.T) {
	// testdata/examples: good and bad examples of every kind; testdata/realworld: minimal examples distilled from
	// public modules (each names its source), for the defects found on real code (issue 12).
	dirs, err := filepath.Glob("testdata/examples/*")
	real, _ := filepath.Glob("testdata/realworld/*")
	dirs = append(dirs, real...)
	if err != nil || len(dirs) < 40 || len(real) < 5 {
		t.Fatalf("examples: %v (%d, %d real-world)", err, len(dirs), len(real))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, "expect"))
			if err != nil {
				t.Fatal(err)
			}
			w := strings.Split(strings.TrimSpace(string(want)), "\n")
			sort.Strings(w)
			fs := judge(t, []string{dir}, Options{})
			if diff := cmp.Diff(w, verdicts(fs)); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
				for _, f := range fs {
					t.Logf("%s %s %+v notes=%v", f.ResourceID, f.Status, f.Reasons, f.Notes)
				}
			}
			for _, f := range fs {
				if (f.Status == model.StatusFail || f.Status == model.StatusWarn) && f.Fix == "" && f.ResourceType != "file" {
					t.Errorf("%s: a %s without a fix snippet", f.ResourceID, f.Status)
				}
				if f.Location == nil || f.Location.File == "" || (f.Location.Line == 0 && !strings.HasSuffix(f.Location.File, "plan.json")) {
					t.Errorf("%s: no location: %+v", f.ResourceID, f.Location)
				}
			}
		})
	}
}

func TestVarsAndStrict(t *testing.T) {
	dir := "testdata/examples/tf03_vars_without_value"
	fs := judge(t, []string{dir}, Options{Vars: map[string]string{
		"log_group_arn": "arn:aws:logs:us-east-1:111111111111:log-group:CT:*", "role_arn": "arn:aws:iam::111111111111:role/CT"}})
	if got := verdicts(fs); len(got) != 1 || got[0] != "aws_cloudtrail.main PASS CONFIGURED" {
		t.Errorf("with --var: %v", got)
	}
	fs = judge(t, []string{dir}, Options{Vars: map[string]string{"log_group_arn": "", "role_arn": ""}})
	if got := verdicts(fs); got[0] != "aws_cloudtrail.main FAIL NOT_INTEGRATED" {
		t.Errorf("with empty --var: %v", got)
	}
	// The unknown chain names the variable.
	fs = judge(t, []string{dir}, Options{})
	if !strings.Contains(fs[0].Reasons[0].Message, "var.log_group_arn has no value") {
		t.Errorf("chain: %s", fs[0].Reasons[0].Message)
	}
	cat, _ := controls.Load()
	res := Scan([]string{dir}, Options{})
	strict := controls.EvaluateIaC(cat, res.Trails, controls.IaCSettings{MinRetentionDays: 365, Strict: true})
	if strict[0].Status != model.StatusFail {
		t.Errorf("--strict: %s", strict[0].Status)
	}
}

func TestCFNParams(t *testing.T) {
	p := filepath.Join(t.TempDir(), "params.json")
	os.WriteFile(p, []byte(`[{"ParameterKey":"GroupArn","ParameterValue":"arn:aws:logs:us-east-1:111111111111:log-group:g:*"},{"ParameterKey":"RoleArn","ParameterValue":"arn:aws:iam::111111111111:role/r"}]`), 0o644)
	params, err := ReadCFNParams(p, 10<<20)
	if err != nil {
		t.Fatal(err)
	}
	fs := judge(t, []string{"testdata/examples/c04_parameters_without_default"}, Options{CFNParams: params})
	if got := verdicts(fs); got[0] != "Trail PASS CONFIGURED" {
		t.Errorf("with parameters: %v", got)
	}
}

func TestTerraformLineNumbersAndAddresses(t *testing.T) {
	fs := judge(t, []string{"testdata/examples/tf21_trail_in_module"}, Options{})
	if len(fs) != 1 || fs[0].Location.Line != 4 || !strings.HasSuffix(fs[0].Location.File, "trail/main.tf") {
		t.Errorf("location %+v", fs[0].Location)
	}
	fs = judge(t, []string{"testdata/examples/c18_cdk_synth"}, Options{})
	for _, f := range fs {
		if f.ResourceID == "Trail022F5A6B" && f.Location.CDKPath != "Stack/Trail/Resource" {
			t.Errorf("CDK path %+v", f.Location)
		}
	}
}

// TestBigTemplate: a CloudFormation template of 1 MB, the largest CloudFormation accepts (a template body in S3: 1 MB,
// "CloudFormation quotas", AWS CloudFormation User Guide), is read and judged.
func TestBigTemplate(t *testing.T) {
	var b strings.Builder
	b.WriteString("AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n")
	for i := 0; b.Len() < 1<<20-200; i++ {
		fmt.Fprintf(&b, "  Topic%d:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Sub \"topic-%d-${AWS::Region}\"\n      Tags: [{Key: team, Value: platform}, {Key: index, Value: \"%d\"}]\n", i, i, i)
	}
	b.WriteString("  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties: {IsLogging: true, S3BucketName: b}\n")
	p := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := verdicts(judge(t, []string{p}, Options{})); len(got) != 1 || got[0] != "Trail FAIL NOT_INTEGRATED" {
		t.Errorf("big template: %v", got)
	}
}
