package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIaCCommand(t *testing.T) {
	code, out, _ := run(t, "iac", "../iac/testdata/examples/tf02_good", "../iac/testdata/examples/c02_good")
	if code != ExitOK || !strings.Contains(out, "PASS") || !strings.Contains(out, "2 files") {
		t.Errorf("good examples: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "iac", "--commands", "../iac/testdata/examples/tf10_arn_without_suffix")
	if code != ExitOK || !strings.Contains(out, "LOG_GROUP_ARN_SUFFIX") || !strings.Contains(out, `| cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"` /* the user's own log group, by address */) {
		t.Errorf("a WARN does not fail, and shows its fix: exit %d\n%s", code, out)
	}
	if code, _, _ = run(t, "iac", "../iac/testdata/examples/tf01_no_cloudwatch"); code != ExitFailed {
		t.Errorf("FAIL: exit %d", code)
	}
	if code, _, _ = run(t, "iac", "../iac/testdata/examples/c03_getatt_missing_resource"); code != ExitIncomplete {
		t.Errorf("invalid template: exit %d", code)
	}
	if code, _, _ = run(t, "iac", "--strict", "../iac/testdata/examples/tf03_vars_without_value"); code != ExitFailed {
		t.Errorf("--strict: exit %d", code)
	}
	if code, _, errs := run(t, "iac", "--kind", "pulumi", "."); code != ExitUsage || !strings.Contains(errs, "--kind") {
		t.Errorf("bad kind: %d %s", code, errs)
	}
	if code, _, errs := run(t, "iac", "--var", "novalue", "."); code != ExitUsage || !strings.Contains(errs, "name=value") {
		t.Errorf("bad var: %d %s", code, errs)
	}
}

// TestIaCSARIF checks the SARIF 2.1.0 structure GitHub code scanning reads: version, rules with help, results with
// rule, level, message and a physical location, and inline suppressions.
func TestIaCSARIF(t *testing.T) {
	code, out, _ := run(t, "iac", "--format", "sarif", "../iac/testdata/examples/tf01_no_cloudwatch", "../iac/testdata/examples/tf22_checkov_skip_with_reason")
	if code != ExitFailed {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Version string `json:"version"`
		Schema  string `json:"$schema"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string
					Rules []struct {
						ID      string `json:"id"`
						HelpURI string `json:"helpUri"`
						Help    struct{ Markdown string }
					}
				}
			}
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
				Suppressions []struct {
					Kind          string
					Justification string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Version != "2.1.0" || len(doc.Runs) != 1 || doc.Runs[0].Tool.Driver.Name != "trailwatch" {
		t.Fatalf("header %+v", doc)
	}
	run := doc.Runs[0]
	if len(run.Tool.Driver.Rules) != 1 || run.Tool.Driver.Rules[0].ID != "cloudtrail-cloudwatch-integration" || run.Tool.Driver.Rules[0].Help.Markdown == "" {
		t.Errorf("rules %+v", run.Tool.Driver.Rules)
	}
	if len(run.Results) != 2 {
		t.Fatalf("results %+v", run.Results)
	}
	suppressed := 0
	for _, r := range run.Results {
		loc := r.Locations[0].PhysicalLocation
		if r.RuleID == "" || r.Level != "error" || !strings.HasSuffix(loc.ArtifactLocation.URI, "main.tf") || loc.Region.StartLine < 1 || !strings.Contains(r.Message.Text, "NOT_INTEGRATED") {
			t.Errorf("result %+v", r)
		}
		for _, s := range r.Suppressions {
			if s.Kind == "inSource" && strings.Contains(s.Justification, "SIEM") {
				suppressed++
			}
		}
	}
	if suppressed != 1 {
		t.Errorf("%d suppressed results, want 1", suppressed)
	}
	if strings.Contains(out, "\": null") {
		t.Error("SARIF contains null members")
	}
}

func TestGoldenIaCSARIF(t *testing.T) {
	code, out, _ := run(t, "iac", "--format", "sarif", "../iac/testdata/examples/tf10_arn_without_suffix", "../iac/testdata/examples/c12_checkov_skip")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	golden(t, "iac.sarif.golden", []byte(out))
}

func TestIaCExceptionsFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ex.yaml")
	os.WriteFile(p, []byte("exceptions:\n  - control: cloudtrail-cloudwatch-integration\n    resources: [\"aws_cloudtrail.*\"]\n    owner: o@example.com\n    reason: the SIEM receives these events (SEC-9)\n    expires: 2099-01-01\n"), 0o644)
	code, out, _ := run(t, "iac", "--exceptions", p, "--max-exception-days", "0", "../iac/testdata/examples/tf01_no_cloudwatch")
	if code != ExitOK || !strings.Contains(out, "MUTED") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestIaCListsSkippedFiles: YAML and JSON files that are not infrastructure as code (a compliance mapping that mentions
// Resources and AWS::, a serverless.yml, an issue template) are not errors; --log-level info says which were skipped
// and why, and the template beside them is still judged.
func TestIaCListsSkippedFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"compliance.yaml": "controls:\n  - id: cloudtrail\n    Resources: [\"AWS::CloudTrail::Trail\"]\n",
		"serverless.yml":  "service: api\nprovider: {name: aws}\nresources:\n  Resources:\n    Bucket: {Type: AWS::S3::Bucket}\n",
		"issue.json":      `{"title": "bug", "labels": ["triage"]}`,
		"trail.yaml":      "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties: {IsLogging: true, S3BucketName: b}\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := run(t, "--log-level", "info", "iac", dir)
	if code != ExitFailed { // the trail is not integrated
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, name := range []string{"compliance.yaml", "serverless.yml", "issue.json"} {
		if !strings.Contains(errs, "skipped: not infrastructure as code") || !strings.Contains(errs, name) {
			t.Errorf("stderr does not list %s as skipped:\n%s", name, errs)
		}
	}
	if !strings.Contains(errs, "mentions Resources and AWS::") {
		t.Errorf("no reason for the look-alike:\n%s", errs)
	}
	if strings.Contains(errs, "trail.yaml") || !strings.Contains(out, "NOT_INTEGRATED") {
		t.Errorf("the template was skipped or not judged:\n%s\n%s", out, errs)
	}
	if _, _, errs := run(t, "iac", dir); strings.Contains(errs, "skipped") {
		t.Errorf("the default log level lists skipped files:\n%s", errs)
	}
}
