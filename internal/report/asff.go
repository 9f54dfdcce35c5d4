package report

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/model"
)

// ASFF builds AWS Security Finding Format findings with the Security Hub SDK's own types (aws-behaviour.md §7):
// schema 2018-10-08, the account's default product ARN (BatchImportFindings runs as the finding's account),
// compliance PASSED/FAILED/WARNING/NOT_AVAILABLE, and MUTED findings as WARNING with a SUPPRESSED workflow.
// defaultRegion places account-level ("global") findings.
func ASFF(r *Report, mappings map[string][]string, defaultRegion string) []shtypes.AwsSecurityFinding {
	ts := r.GeneratedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	var out []shtypes.AwsSecurityFinding
	for _, f := range r.Findings {
		if f.AccountID == "" || f.ResourceType == "file" || f.ResourceType == "trailwatch::Exception" {
			continue // infrastructure as code and the exceptions file have no AWS account
		}
		region := f.Region
		if region == "" || region == "global" {
			region = defaultRegion
		}
		part := awsarn.Partition(f.ResourceID)
		var msgs []string
		for _, rs := range f.Reasons {
			msgs = append(msgs, rs.Code+": "+rs.Message)
		}
		desc := strings.Join(msgs, " ")
		if len(desc) > 1024 {
			desc = desc[:1021] + "..."
		}
		resType := map[string]string{model.TypeTrail: "AwsCloudTrailTrail", model.TypeLogGroup: "AwsLogsLogGroup", model.TypeAccount: "AwsAccount"}[f.ResourceType]
		if resType == "" {
			resType = "Other"
		}
		resID := f.ResourceID
		if f.ResourceType == model.TypeAccount {
			resID = "AWS::::Account:" + f.AccountID
		}
		sf := shtypes.AwsSecurityFinding{
			SchemaVersion: aws.String("2018-10-08"), Id: aws.String(f.ID), GeneratorId: aws.String("trailwatch/" + f.ControlID),
			ProductArn:   aws.String(awsarn.Of(part, "securityhub", region, f.AccountID, "product/"+f.AccountID+"/default")),
			AwsAccountId: aws.String(f.AccountID), CreatedAt: aws.String(ts), UpdatedAt: aws.String(ts), Region: aws.String(region),
			Title: aws.String(f.Title), Description: aws.String(desc), ProductName: aws.String("trailwatch"),
			Types:       []string{"Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"},
			Severity:    &shtypes.Severity{Label: shtypes.SeverityLabel(strings.ToUpper(f.Severity))},
			Resources:   []shtypes.Resource{{Type: aws.String(resType), Id: aws.String(resID), Partition: shtypes.Partition(part), Region: aws.String(region)}},
			Compliance:  &shtypes.Compliance{Status: complianceStatus(f.Status), RelatedRequirements: requirements(f, mappings[f.ControlID])},
			RecordState: shtypes.RecordStateActive,
		}
		if f.Status == model.StatusMuted {
			sf.Workflow = &shtypes.Workflow{Status: shtypes.WorkflowStatusSuppressed}
		}
		if f.Remediation != "" {
			text := f.Remediation
			if len(text) > 512 {
				text = text[:509] + "..."
			}
			sf.Remediation = &shtypes.Remediation{Recommendation: &shtypes.Recommendation{Text: aws.String(text), Url: aws.String(HelpURI + "#" + f.ControlID)}}
		}
		out = append(out, sf)
	}
	return out
}

func complianceStatus(s model.Status) shtypes.ComplianceStatus {
	switch s {
	case model.StatusPass:
		return shtypes.ComplianceStatusPassed
	case model.StatusFail:
		return shtypes.ComplianceStatusFailed
	case model.StatusWarn, model.StatusMuted:
		return shtypes.ComplianceStatusWarning
	}
	return shtypes.ComplianceStatusNotAvailable
}

// WriteASFF writes {"Findings": [...]} as BatchImportFindings takes it.
func WriteASFF(w io.Writer, r *Report, mappings map[string][]string, defaultRegion string) error {
	b, err := json.Marshal(map[string]any{"Findings": ASFF(r, mappings, defaultRegion)})
	if err != nil {
		return err
	}
	var doc any
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(dropEmpty(dropNulls(doc)))
}

// dropEmpty removes empty strings (unset SDK enums) from a decoded JSON document.
func dropEmpty(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && s == "" {
				delete(t, k)
			} else {
				t[k] = dropEmpty(x)
			}
		}
	case []any:
		for i, x := range t {
			t[i] = dropEmpty(x)
		}
	}
	return v
}

// requirements are the framework requirements a finding's verdict speaks for. A trail that passes only because a
// CloudWatch telemetry rule captures its regions (CAPTURED_BY_TELEMETRY_RULE) still fails AWS Config's
// cloud-trail-cloud-watch-logs-enabled and Security Hub CloudTrail.5, which look at the trail alone: the PASS does not
// speak for them, so they are left out (a Security Hub import would otherwise record a PASS its own control denies).
func requirements(f model.Finding, all []string) []string {
	captured := false
	for _, r := range f.Reasons {
		captured = captured || r.Code == "CAPTURED_BY_TELEMETRY_RULE"
	}
	if !captured || f.ResourceType != model.TypeTrail {
		return all
	}
	var out []string
	for _, r := range all {
		if !strings.Contains(r, "CloudTrail.5") && !strings.Contains(r, "cloud-trail-cloud-watch-logs-enabled") {
			out = append(out, r)
		}
	}
	return out
}
