package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/model"
)

// HelpURI is where a rule's documentation lives.
const HelpURI = "https://github.com/trailwatch/trailwatch/blob/main/docs/controls.md"

// WriteSARIF writes the findings as SARIF 2.1.0, the format GitHub code scanning accepts: one rule per control, one
// result per finding that does not pass, and inline suppressions as SARIF suppressions (kind inSource) with their
// justification. A finding in infrastructure as code is located at its file and line. A finding in a live account
// has no file, but GitHub code scanning refuses a result without a location ("locationFromSarifResult: expected at
// least one location", github/codeql-action#1738) and a URI with a scheme such as arn: ("unrecognized SARIF location
// URI scheme"), so it is located at a path built from its resource (aws/ACCOUNT/REGION/SERVICE/RESOURCE), with the
// ARN itself as the logical location.
func WriteSARIF(w io.Writer, r *Report, rules map[string]RuleText) error {
	rep, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	run := sarif.NewRunWithInformationURI("trailwatch", "https://github.com/trailwatch/trailwatch")
	run.Tool.Driver.Version = &r.Tool.Version
	added := map[string]bool{}
	for _, f := range r.Findings {
		if f.Status == model.StatusPass || f.Status == model.StatusSkipped {
			continue
		}
		if !added[f.ControlID] {
			added[f.ControlID] = true
			rt := rules[f.ControlID]
			run.AddRule(f.ControlID).WithName(strings.ReplaceAll(rt.Title, " ", "")).WithDescription(rt.Title).
				WithHelpURI(HelpURI + "#" + f.ControlID).WithMarkdownHelp(rt.Help).
				WithProperties(map[string]interface{}{"tags": []string{"security", "logging", "CIS AWS 3.4", "CloudTrail.5"}, "security-severity": "5.0"})
		}
		var msg []string
		for _, rs := range f.Reasons {
			msg = append(msg, rs.Code+": "+rs.Message)
		}
		if f.Fix != "" {
			msg = append(msg, "Fix:\n"+f.Fix)
		}
		level := sarifLevel(f.Status)
		if f.Status == model.StatusMuted {
			level = sarifLevel(f.MutedStatus) // suppressed results keep their level; the suppression hides them
		}
		res := run.CreateResultForRule(f.ControlID).WithLevel(level).
			WithMessage(sarif.NewTextMessage(fmt.Sprintf("%s %s: %s", f.Status, f.ResourceID, strings.Join(msg, "\n"))))
		if loc := f.Location; loc != nil {
			file := strings.TrimPrefix(loc.File, "./")
			run.AddDistinctArtifact(file)
			line := loc.Line
			if line < 1 {
				line = 1
			}
			res.AddLocation(sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
				WithArtifactLocation(sarif.NewSimpleArtifactLocation(file)).WithRegion(sarif.NewSimpleRegion(line, line))))
		} else {
			res.AddLocation(sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
				WithArtifactLocation(sarif.NewSimpleArtifactLocation(livePath(f))).WithRegion(sarif.NewSimpleRegion(1, 1))).
				WithLogicalLocations([]*sarif.LogicalLocation{sarif.NewLogicalLocation().WithFullyQualifiedName(f.ResourceID).WithKind("resource")}))
		}
		res.WithPartialFingerPrints(map[string]interface{}{"trailwatch/v1": f.ID})
		for _, s := range f.Suppressed {
			res.AddSuppression(sarif.NewSuppression("inSource").WithStatus("accepted").WithJustifcation(fmt.Sprintf("%s %s: %s", s.Tool, s.Rule, s.Reason)))
		}
	}
	rep.AddRun(run)
	// The library writes absent optional members as null, which the SARIF 2.1.0 schema does not allow: drop them.
	var buf bytes.Buffer
	if err := rep.Write(&buf); err != nil {
		return err
	}
	var doc any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(dropNulls(doc))
}

func dropNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if x == nil {
				delete(t, k)
			} else {
				t[k] = dropNulls(x)
			}
		}
	case []any:
		for i, x := range t {
			t[i] = dropNulls(x)
		}
	}
	return v
}

// RuleText is a rule's title and help for SARIF.
type RuleText struct {
	Title string
	Help  string
}

// livePath is a live finding's location as a relative path without a scheme: aws/ACCOUNT/REGION/ then the resource
// (an ARN's service and resource, for example cloudtrail/trail/main; "account" for the account itself), each segment
// escaped.
func livePath(f model.Finding) string {
	account, region := f.AccountID, f.Region
	if account == "" {
		account = "unknown-account"
	}
	if region == "" {
		region = "global"
	}
	segs := []string{"aws", account, region}
	if a, ok := awsarn.Parse(f.ResourceID); ok {
		segs = append(segs, a.Service)
		segs = append(segs, strings.FieldsFunc(a.Resource, func(r rune) bool { return r == '/' || r == ':' })...)
	} else if f.ResourceID == f.AccountID || f.ResourceID == "" {
		segs = append(segs, "account")
	} else {
		segs = append(segs, f.ResourceID)
	}
	for i, sg := range segs {
		segs[i] = url.PathEscape(sg)
	}
	return strings.Join(segs, "/")
}

func sarifLevel(s model.Status) string {
	switch s {
	case model.StatusFail, model.StatusError:
		return "error"
	case model.StatusWarn, model.StatusUnknown:
		return "warning"
	}
	return "note"
}
