package report

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trailwatch/trailwatch/internal/model"
)

// TestOCSFValidates checks every event against the Compliance Finding JSON Schema in testdata.
func TestOCSFValidates(t *testing.T) {
	f, err := os.Open("testdata/ocsf-1.x-compliance_finding.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("compliance_finding.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("compliance_finding.json")
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{Tool: Tool{Name: "trailwatch", Version: "test"}, GeneratedAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), Findings: []model.Finding{
		{ID: "c/arn:1", ControlID: "cloudtrail-cloudwatch-integration", Title: "t", Status: model.StatusFail, Severity: "Medium", AccountID: "111111111111", Region: "us-east-1",
			ResourceType: model.TypeTrail, ResourceID: "arn:aws:cloudtrail:us-east-1:111111111111:trail/x", Reasons: []model.Reason{{Code: "NOT_INTEGRATED", Message: "m"}}, Remediation: "fix"},
		{ID: "c/arn:2", ControlID: "cloudtrail-cloudwatch-integration", Title: "t", Status: model.StatusMuted, MutedStatus: model.StatusFail, Severity: "Medium", AccountID: "111111111111", Region: "us-east-1", ResourceID: "arn:2"},
		{ID: "c/arn:3", ControlID: "account-activity-capture", Title: "t", Status: model.StatusPass, Severity: "Medium", AccountID: "111111111111", Region: "global", ResourceID: "111111111111"},
	}}
	var b bytes.Buffer
	if err := WriteOCSF(&b, r, map[string][]string{"cloudtrail-cloudwatch-integration": {"CIS AWS Foundations Benchmark v1.4.0 3.4 (impact: 365-day retention)", "AWS Foundational Security Best Practices CloudTrail.5"}},
		map[string][]string{"cloudtrail-cloudwatch-integration": {"CIS AWS Foundations Benchmark v1.4.0", "AWS Foundational Security Best Practices"}}); err != nil {
		t.Fatal(err)
	}
	events, err := jsonschema.UnmarshalJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	list := events.([]any)
	if len(list) != 3 {
		t.Fatalf("%d events", len(list))
	}
	for i, ev := range list {
		if err := sch.Validate(ev); err != nil {
			t.Errorf("event %d: %v", i, err)
		}
	}
	// Standards are named whole, whatever the requirement id looks like (issue 10 §6).
	first, _ := json.Marshal(list[0])
	if !bytes.Contains(first, []byte(`"standards":["CIS AWS Foundations Benchmark v1.4.0","AWS Foundational Security Best Practices"]`)) {
		t.Errorf("standards: %s", first)
	}
	raw, _ := json.Marshal(list[1])
	if !bytes.Contains(raw, []byte(`"status":"Suppressed"`)) || !bytes.Contains(raw, []byte(`"status_id":3`)) {
		t.Errorf("muted event %s", raw)
	}
	// A broken event is refused: the test can fail.
	bad := map[string]any{"class_uid": 2004}
	if err := sch.Validate(bad); err == nil {
		t.Error("the schema accepted a Detection Finding without required attributes")
	}
}

// TestTelemetryPassSpeaksNotForTrailOnlyRules: a trail that passes because a CloudWatch telemetry rule captures its
// regions still fails Security Hub CloudTrail.5 and AWS Config's rule: OCSF and ASFF leave those requirements out of
// its PASS (field trial: both claimed CloudTrail.5 PASSED, which a Security Hub import would have recorded).
func TestTelemetryPassSpeaksNotForTrailOnlyRules(t *testing.T) {
	maps := map[string][]string{"cloudtrail-cloudwatch-integration": {"CIS AWS Foundations Benchmark v1.4.0 3.4", "AWS Foundational Security Best Practices CloudTrail.5", "AWS Config managed rule cloud-trail-cloud-watch-logs-enabled"}}
	r := &Report{Tool: Tool{Name: "trailwatch", Version: "test"}, GeneratedAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), Findings: []model.Finding{
		{ID: "c/arn:1", ControlID: "cloudtrail-cloudwatch-integration", Title: "t", Status: model.StatusPass, Severity: "Medium", AccountID: "111111111111", Region: "us-east-1",
			ResourceType: model.TypeTrail, ResourceID: "arn:aws:cloudtrail:us-east-1:111111111111:trail/x", Reasons: []model.Reason{{Code: "CAPTURED_BY_TELEMETRY_RULE", Message: "m"}}},
		{ID: "c/arn:2", ControlID: "cloudtrail-cloudwatch-integration", Title: "t", Status: model.StatusPass, Severity: "Medium", AccountID: "111111111111", Region: "us-east-1",
			ResourceType: model.TypeTrail, ResourceID: "arn:aws:cloudtrail:us-east-1:111111111111:trail/y", Reasons: []model.Reason{{Code: "DELIVERING", Message: "m"}}},
	}}
	var b bytes.Buffer
	if err := WriteOCSF(&b, r, maps, nil); err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	if err := json.Unmarshal(b.Bytes(), &events); err != nil {
		t.Fatal(err)
	}
	byTelemetry, _ := json.Marshal(events[0]["compliance"])
	delivering, _ := json.Marshal(events[1]["compliance"])
	if bytes.Contains(byTelemetry, []byte("CloudTrail.5")) || bytes.Contains(byTelemetry, []byte("cloud-trail-cloud-watch-logs-enabled")) || !bytes.Contains(byTelemetry, []byte("3.4")) {
		t.Errorf("the telemetry PASS: %s", byTelemetry)
	}
	if !bytes.Contains(delivering, []byte("CloudTrail.5")) {
		t.Errorf("a delivering trail lost its requirement: %s", delivering)
	}
}
