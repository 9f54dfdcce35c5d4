package cfn

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/trailwatch/trailwatch/internal/iac/declared"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/selectors"
)

// Telemetry returns the CloudWatch telemetry rules for CloudTrail the template declares (AWS::ObservabilityAdmin::
// TelemetryRule: RuleName, Rule {ResourceType, TelemetryType, DestinationConfiguration {DestinationType,
// RetentionInDays, CloudtrailParameters {AdvancedEventSelectors [{Name, FieldSelectors [{Field, Equals, ...}]}]}}}), or
// nil. The resource has no AllRegions: a rule applies in the region its stack is deployed in (PerStack). No
// CloudFormation resource starts telemetry evaluation, so the status is left unknown.
func (t *Template) Telemetry() *model.Telemetry {
	var rules []*model.TelemetryRule
	// AWS::ObservabilityAdmin::OrganizationTelemetryRule has the same Rule and RuleName (CloudFormation Template
	// Reference); made from the management account or a delegated administrator, it captures the stack's account too,
	// while the organization's evaluation runs.
	for _, id := range append(t.ids("AWS::ObservabilityAdmin::TelemetryRule"), t.ids("AWS::ObservabilityAdmin::OrganizationTelemetryRule")...) {
		rule := t.prop(id, "Rule")
		r := &model.TelemetryRule{Name: t.strProp(id, "RuleName", id), ARN: id, HomeRegion: regionTok, Regions: []string{regionTok},
			PerStack: true, Source: t.loc(id), Organization: t.types[id] == "AWS::ObservabilityAdmin::OrganizationTelemetryRule"}
		switch rt := rule.m["ResourceType"]; {
		case rt.isStr && rt.s == "AWS::CloudTrail":
		case rt.unknown != "":
			r.Unknown = "its ResourceType is known only at deployment"
		default:
			continue
		}
		if c := get(t.resources[id], "Condition"); c != nil {
			// A rule a false condition never creates captures nothing (field trial).
			v, err := t.condition(c.Value, c.Line)
			switch {
			case err != nil || v.unknown != "":
				r.Unknown = fmt.Sprintf("its Condition %s is decided at deployment", c.Value)
			case v.b != nil && !*v.b:
				continue
			}
		}
		if sc, ok := rule.m["Scope"]; ok && r.Organization && !sc.null {
			r.Unknown = declared.ScopedRule("stack")
		}
		dest := rule.m["DestinationConfiguration"]
		if r.DestinationType = strOf(dest.m["DestinationType"]); dest.m["DestinationType"].unknown != "" {
			r.Unknown = "its DestinationType is known only at deployment"
		}
		if d, err := strconv.Atoi(strOf(dest.m["RetentionInDays"])); err == nil {
			r.RetentionDays = &d
		}
		sel := &cloudtrail.GetEventSelectorsOutput{}
		for _, s := range dest.m["CloudtrailParameters"].m["AdvancedEventSelectors"].list {
			as := cttypes.AdvancedEventSelector{Name: aws.String(strOf(s.m["Name"]))}
			for _, f := range s.m["FieldSelectors"].list {
				as.FieldSelectors = append(as.FieldSelectors, cttypes.AdvancedFieldSelector{Field: aws.String(strOf(f.m["Field"])),
					Equals: strs(f.m["Equals"]), NotEquals: strs(f.m["NotEquals"]), StartsWith: strs(f.m["StartsWith"]),
					NotStartsWith: strs(f.m["NotStartsWith"]), EndsWith: strs(f.m["EndsWith"]), NotEndsWith: strs(f.m["NotEndsWith"])})
				for _, k := range []string{"Field", "Equals", "NotEquals", "StartsWith", "NotStartsWith", "EndsWith", "NotEndsWith"} {
					if unknownIn(f.m[k]) {
						r.Unknown = "its selector's " + k + " is known only at deployment"
					}
				}
			}
			sel.AdvancedEventSelectors = append(sel.AdvancedEventSelectors, as)
		}
		// The one selector rule, as for a live rule and Terraform's (no selectors: what a trail keeps by default).
		r.ManagementEvents, r.ReadWriteType = selectors.Kept(sel)
		rules = append(rules, r)
	}
	// No CloudFormation resource starts the evaluation the rules need: its status stays unknown.
	return declared.Telemetry(rules, false, false)
}

// unknownIn reports whether a value, or an element of it, is known only at deployment.
func unknownIn(v value) bool {
	if v.unknown != "" {
		return true
	}
	for _, x := range v.list {
		if unknownIn(x) {
			return true
		}
	}
	return false
}

func strs(v value) []string {
	var out []string
	for _, x := range v.list {
		if x.isStr {
			out = append(out, x.s)
		}
	}
	return out
}
