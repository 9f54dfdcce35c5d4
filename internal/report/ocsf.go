package report

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/trailwatch/trailwatch/internal/model"
)

// OCSF writes OCSF 1.x Compliance Finding events (class_uid 2003, category Findings): trailwatch's verdicts are
// results of evaluating resources against a standard's control (CIS AWS Foundations 3.4, CloudTrail.5), which is what
// that class describes ("results of evaluations performed against resources, to check compliance with various Industry
// Frameworks or Security Standards", ocsf/ocsf-schema events/findings/compliance_finding.json), not detections of
// activity (Detection Finding, 2004). compliance.status_id: 1 Pass, 2 Warning, 3 Fail; status_id 3 (Suppressed) for
// muted findings, else 1 (New).
// standards are each control's frameworks, named whole ("CIS AWS Foundations Benchmark v1.4.0"), from the catalog.
func WriteOCSF(w io.Writer, r *Report, mappings, standardsOf map[string][]string) error {
	var out []map[string]any
	for _, f := range r.Findings {
		complianceStatus := map[model.Status]int{model.StatusPass: 1, model.StatusWarn: 2, model.StatusFail: 3}[f.Status]
		if f.Status == model.StatusMuted {
			complianceStatus = map[model.Status]int{model.StatusFail: 3, model.StatusWarn: 2}[f.MutedStatus]
		}
		statusName := map[int]string{0: "Unknown", 1: "Pass", 2: "Warning", 3: "Fail"}[complianceStatus]
		status, statusID := "New", 1
		if f.Status == model.StatusMuted {
			status, statusID = "Suppressed", 3
		}
		var msgs []string
		for _, rs := range f.Reasons {
			msgs = append(msgs, rs.Code+": "+rs.Message)
		}
		standards := []string{}
		reqs := append([]string{}, requirements(f, mappings[f.ControlID])...)
		for _, st := range standardsOf[f.ControlID] {
			standards = appendUnique(standards, st)
		}
		if len(standards) == 0 {
			standards = []string{"trailwatch"}
		}
		ev := map[string]any{
			"activity_id": 1, "activity_name": "Create", "category_uid": 2, "category_name": "Findings",
			"class_uid": 2003, "class_name": "Compliance Finding", "type_uid": 200301,
			"time": r.GeneratedAt.UnixMilli(), "severity_id": 3, "severity": "Medium",
			"status_id": statusID, "status": status, "message": strings.Join(msgs, " "),
			"metadata": map[string]any{"version": "1.3.0", "event_code": f.ControlID, "uid": f.ID,
				"product": map[string]any{"name": "trailwatch", "vendor_name": "trailwatch", "version": r.Tool.Version}},
			"finding_info": map[string]any{"uid": f.ID, "title": f.Title, "desc": strings.Join(msgs, " "), "types": []string{f.ControlID}},
			"compliance": map[string]any{"standards": standards, "requirements": reqs, "control": f.ControlID,
				"status_id": complianceStatus, "status": statusName, "status_detail": string(f.Status)},
		}
		if f.Severity != "Medium" {
			ev["severity_id"], ev["severity"] = map[string]int{"Low": 2, "High": 4, "Critical": 5}[f.Severity], f.Severity
		}
		res := map[string]any{"uid": f.ResourceID, "type": f.ResourceType}
		if f.Region != "" {
			res["region"] = f.Region
		}
		ev["resources"] = []any{res}
		if f.AccountID != "" {
			ev["cloud"] = map[string]any{"provider": "AWS", "region": f.Region, "account": map[string]any{"uid": f.AccountID, "name": f.AccountName}}
		}
		if f.Remediation != "" {
			ev["remediation"] = map[string]any{"desc": f.Remediation}
		}
		out = append(out, ev)
	}
	if out == nil {
		out = []map[string]any{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func appendUnique(l []string, s string) []string {
	for _, v := range l {
		if v == s {
			return l
		}
	}
	return append(l, s)
}
