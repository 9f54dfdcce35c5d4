package terraform

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/trailwatch/trailwatch/internal/iac/declared"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/selectors"
)

// CloudWatch telemetry rules as Terraform declares them (issue 26): aws_observabilityadmin_telemetry_rule (blocks as
// the provider documents them: rule { resource_type, telemetry_type, all_regions, regions, destination_configuration {
// destination_type, retention_in_days, cloudtrail_parameters { advanced_event_selectors { name, field_selectors {
// field, equals } } } } }) and aws_observabilityadmin_telemetry_evaluation, which the rule needs ("telemetry
// evaluation must be enabled": the provider's documentation). The rule's selectors are judged by the one selector rule
// (internal/selectors), as a live rule's are.

// telemetryResource registers one instance of a telemetry resource; it reports whether the type was one.
func (m *module) telemetryResource(reg *registry, b block, inst map[string]cty.Value, addr string) bool {
	switch b.typ {
	case "aws_observabilityadmin_telemetry_evaluation":
		reg.evaluation = true
	case "aws_observabilityadmin_telemetry_evaluation_for_organization":
		reg.orgEvaluation = true
	case "aws_observabilityadmin_telemetry_rule", "aws_observabilityadmin_telemetry_rule_for_organization":
		// The organization's rule takes the account rule's arguments (Terraform AWS provider,
		// aws_observabilityadmin_telemetry_rule_for_organization; management account only): it captures the
		// configuration's own account too, while the organization's evaluation runs.
		name := strOr(m.attrVal(m.attrs(b.body, "rule_name"), "rule_name", inst), b.name)
		r := &model.TelemetryRule{Name: name, ARN: addr, HomeRegion: m.regionFor(b.body, inst), Source: m.loc(b, addr),
			Organization: b.typ == "aws_observabilityadmin_telemetry_rule_for_organization"}
		rc, _, _ := b.body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "rule"}}})
		for _, rb := range rc.Blocks {
			a := m.attrs(rb.Body, "resource_type", "telemetry_type", "all_regions", "regions", "scope")
			if r.Organization && a["scope"] != nil && !m.attrVal(a, "scope", inst).IsNull() {
				r.Unknown = declared.ScopedRule("configuration")
			}
			switch rt, why := knownStr(m.attrVal(a, "resource_type", inst), "resource_type"); {
			case rt == "AWS::CloudTrail":
			case why != "":
				r.Unknown = "its resource_type is known only at deployment"
			default:
				return true
			}
			if v, _ := m.attrVal(a, "all_regions", inst).Unmark(); !v.IsKnown() {
				r.Unknown = "its all_regions is known only at deployment"
			} else if !v.IsNull() && v.Type() == cty.Bool {
				r.AllRegions = v.True()
			}
			r.Regions = append([]string{r.HomeRegion}, stringList(m.attrVal(a, "regions", inst))...)
			dc, _, _ := rb.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "destination_configuration"}}})
			sel := &cloudtrail.GetEventSelectorsOutput{}
			for _, db := range dc.Blocks {
				da := m.attrs(db.Body, "destination_type", "retention_in_days")
				var why string
				if r.DestinationType, why = knownStr(m.attrVal(da, "destination_type", inst), "destination_type"); why != "" {
					r.Unknown = "its destination_type is known only at deployment"
				}
				if d, ok := number(m.attrVal(da, "retention_in_days", inst)); ok {
					r.RetentionDays = &d
				}
				cc, _, _ := db.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "cloudtrail_parameters"}}})
				for _, cb := range cc.Blocks {
					ac, _, _ := cb.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "advanced_event_selectors"}}})
					for _, sb := range ac.Blocks {
						s := cttypes.AdvancedEventSelector{Name: aws.String(strOr(m.attrVal(m.attrs(sb.Body, "name"), "name", inst), ""))}
						fc, _, _ := sb.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "field_selectors"}}})
						for _, fb := range fc.Blocks {
							fa := m.attrs(fb.Body, "field", "equals", "not_equals", "starts_with", "not_starts_with", "ends_with", "not_ends_with")
							s.FieldSelectors = append(s.FieldSelectors, cttypes.AdvancedFieldSelector{Field: aws.String(strOr(m.attrVal(fa, "field", inst), "")),
								Equals: stringList(m.attrVal(fa, "equals", inst)), NotEquals: stringList(m.attrVal(fa, "not_equals", inst)),
								StartsWith: stringList(m.attrVal(fa, "starts_with", inst)), NotStartsWith: stringList(m.attrVal(fa, "not_starts_with", inst)),
								EndsWith: stringList(m.attrVal(fa, "ends_with", inst)), NotEndsWith: stringList(m.attrVal(fa, "not_ends_with", inst))})
							for _, n := range []string{"field", "equals", "not_equals", "starts_with", "not_starts_with", "ends_with", "not_ends_with"} {
								if v := m.attrVal(fa, n, inst); fa[n] != nil && !v.IsWhollyKnown() {
									r.Unknown = "its selector's " + n + " is known only at deployment"
								}
							}
						}
						sel.AdvancedEventSelectors = append(sel.AdvancedEventSelectors, s)
					}
				}
			}
			// The one selector rule, as for a live rule (no selectors: what a trail keeps by default).
			r.ManagementEvents, r.ReadWriteType = selectors.Kept(sel)
		}
		reg.telemetry = append(reg.telemetry, r)
	default:
		return false
	}
	return true
}

// stringList is a known list or set of strings (nil otherwise).
func stringList(v cty.Value) []string {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsWhollyKnown() || !v.CanIterateElements() {
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		if _, x := it.Element(); x.Type() == cty.String {
			out = append(out, x.AsString())
		}
	}
	return out
}

// declaredTelemetry is the unit's telemetry as the configuration declares it: RUNNING when it declares the evaluation
// (else unknown: it may have been started outside this configuration), and its CloudTrail rules.
func declaredTelemetry(reg *registry) *model.Telemetry {
	return declared.Telemetry(reg.telemetry, reg.evaluation, reg.orgEvaluation)
}
