package tfplan

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/trailwatch/trailwatch/internal/iac/declared"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/selectors"
)

// telemetry reads the CloudWatch telemetry rules for CloudTrail a plan declares (issue 26; the plan reader read none,
// so a plan's trail without CloudWatch Logs failed where the same .tf files passed): aws_observabilityadmin_telemetry_rule,
// whose blocks a plan prints as lists (rule, destination_configuration, cloudtrail_parameters, advanced_event_selectors,
// field_selectors, as the Terraform configuration reader reads them), and aws_observabilityadmin_telemetry_evaluation,
// which the rule needs. The selectors are judged by the one selector rule (internal/selectors), as a live rule's are.
// A rule whose provider names another region than the trails' is in that region. nil when the plan declares no
// CloudTrail rule.
func telemetry(file string, rcs []*tfjson.ResourceChange, line func(string) int, regionOf func(*tfjson.ResourceChange) string) *model.Telemetry {
	var rules []*model.TelemetryRule
	evaluation, orgEvaluation := false, false
	for _, rc := range rcs {
		after, _ := rc.Change.After.(map[string]any)
		switch rc.Type {
		case "aws_observabilityadmin_telemetry_evaluation":
			evaluation = true
		case "aws_observabilityadmin_telemetry_evaluation_for_organization":
			orgEvaluation = true
		case "aws_observabilityadmin_telemetry_rule", "aws_observabilityadmin_telemetry_rule_for_organization":
			r := &model.TelemetryRule{Name: str(after["rule_name"], rc.Name), ARN: rc.Address, HomeRegion: regionOf(rc),
				Source:       &model.Location{File: file, Line: line(rc.Address), Address: rc.Address},
				Organization: rc.Type == "aws_observabilityadmin_telemetry_rule_for_organization"}
			cloudTrail := false
			for _, rb := range blocks(after["rule"]) {
				switch rt, why := knownStr(rb["resource_type"], "resource_type"); {
				case rt == "AWS::CloudTrail":
					cloudTrail = true
				case why != "":
					cloudTrail = true
					r.Unknown = "its resource_type is known only at apply"
				default:
					continue
				}
				if b, ok := rb["all_regions"].(bool); ok {
					r.AllRegions = b
				}
				if s, _ := rb["scope"].(string); r.Organization && s != "" {
					r.Unknown = declared.ScopedRule("plan")
				}
				r.Regions = append([]string{r.HomeRegion}, strList(rb["regions"])...)
				sel := &cloudtrail.GetEventSelectorsOutput{}
				for _, db := range blocks(rb["destination_configuration"]) {
					var why string
					if r.DestinationType, why = knownStr(db["destination_type"], "destination_type"); why != "" {
						r.Unknown = "its destination_type is known only at apply"
					}
					if d, ok := db["retention_in_days"].(float64); ok {
						n := int(d)
						r.RetentionDays = &n
					}
					for _, cb := range blocks(db["cloudtrail_parameters"]) {
						for _, sb := range blocks(cb["advanced_event_selectors"]) {
							s := cttypes.AdvancedEventSelector{Name: aws.String(str(sb["name"], ""))}
							for _, fb := range blocks(sb["field_selectors"]) {
								s.FieldSelectors = append(s.FieldSelectors, cttypes.AdvancedFieldSelector{Field: aws.String(str(fb["field"], "")),
									Equals: strList(fb["equals"]), NotEquals: strList(fb["not_equals"]), StartsWith: strList(fb["starts_with"]),
									NotStartsWith: strList(fb["not_starts_with"]), EndsWith: strList(fb["ends_with"]), NotEndsWith: strList(fb["not_ends_with"])})
							}
							sel.AdvancedEventSelectors = append(sel.AdvancedEventSelectors, s)
						}
					}
				}
				if unknownBelow(rc.Change.AfterUnknown) {
					r.Unknown = "a value of its rule is known only at apply"
				}
				r.ManagementEvents, r.ReadWriteType = selectors.Kept(sel)
			}
			if cloudTrail {
				rules = append(rules, r)
			}
		}
	}
	return declared.Telemetry(rules, evaluation, orgEvaluation)
}

// unknownBelow reports whether after_unknown marks anything under "rule" as known only after apply.
func unknownBelow(u any) bool {
	m, _ := u.(map[string]any)
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case bool:
			return x
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(m["rule"])
}

// blocks are a nested block's instances as a plan prints them (a list of objects).
func blocks(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func strList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
