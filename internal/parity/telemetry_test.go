package parity

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/scan"
)

// The telemetry half of the parity corpus (issues 21 and 26): a trail without CloudWatch Logs beside a CloudWatch
// telemetry rule for AWS::CloudTrail (with the evaluation it needs), written as a simulator scenario, a Terraform root
// module, a Terraform plan and a CloudFormation template, must give the trail the same reason codes from every
// source.

// tcase is one configuration. events is what the rule's selectors keep ("all", "write_only", "read_only"), as the
// scenario says it and as advanced event selectors write it; ruleRegion, when set, is the only region the rule
// applies in (else it applies in all regions). want are the trail's reason codes, written by hand from AWS's
// documentation of telemetry rules (shared/reference/beyond-trails.md), status the live one (IaC: as the table says).
// only lists the sources that can express the case.
type tcase struct {
	name       string
	multi      bool
	events     string
	ruleRegion string
	want       string
	status     model.Status
	only       []string
}

var telemetryCorpus = []tcase{
	{name: "multi-region trail, rule of every region keeping every management event", multi: true, events: "all", want: controls.CapturedByTelemetry, status: model.StatusPass,
		only: []string{"live", "terraform", "plan"}}, // AWS::ObservabilityAdmin::TelemetryRule has no AllRegions: one stack is one region
	{name: "single-region trail, rule of its region", events: "all", ruleRegion: "us-east-1", want: controls.CapturedByTelemetry, status: model.StatusPass},
	{name: "rule keeping write events only", multi: true, events: "write_only", want: controls.NotIntegrated, status: model.StatusFail,
		only: []string{"live", "terraform", "plan"}},
	{name: "rule keeping read events only, single-region trail", events: "read_only", ruleRegion: "us-east-1", want: controls.NotIntegrated, status: model.StatusFail},
	{name: "rule of another region", events: "all", ruleRegion: "eu-west-1", want: controls.NotIntegrated, status: model.StatusFail,
		only: []string{"live", "terraform", "plan"}}, // a template's rule is in its stack's region, which is the trail's
}

// readOnlyEquals is the readOnly field selector's value for the case's events ("" keeps both).
func (c tcase) readOnlyEquals() string {
	switch c.events {
	case "write_only":
		return "false"
	case "read_only":
		return "true"
	}
	return ""
}

func (c tcase) scenario() string {
	rule := fmt.Sprintf("{name: ct, home_region: us-east-1, events: %s", c.events)
	if c.ruleRegion != "" {
		rule = fmt.Sprintf("{name: ct, home_region: %s, events: %s", c.ruleRegion, c.events)
	} else {
		rule += ", all_regions: true"
	}
	return fmt.Sprintf(`accounts:
  - id: %q
    regions: [us-east-1, eu-west-1, us-west-2]
    trails:
      - {name: main, home_region: us-east-1, multi_region: %v}
    telemetry_status: RUNNING
    telemetry_rules:
      - %s}
`, account, c.multi, rule)
}

func (c tcase) terraform() string {
	var b strings.Builder
	b.WriteString("provider \"aws\" { region = \"us-east-1\" }\n")
	if c.ruleRegion != "" && c.ruleRegion != "us-east-1" {
		fmt.Fprintf(&b, "provider \"aws\" {\n  alias = \"rule\"\n  region = %q\n}\n", c.ruleRegion)
	}
	fmt.Fprintf(&b, "resource \"aws_cloudtrail\" \"main\" {\n  name = \"main\"\n  s3_bucket_name = \"b\"\n  is_multi_region_trail = %v\n}\n", c.multi)
	b.WriteString("resource \"aws_observabilityadmin_telemetry_evaluation\" \"this\" {}\n")
	b.WriteString("resource \"aws_observabilityadmin_telemetry_rule\" \"ct\" {\n")
	if c.ruleRegion != "" && c.ruleRegion != "us-east-1" {
		b.WriteString("  provider = aws.rule\n")
	}
	fmt.Fprintf(&b, "  rule_name = \"ct\"\n  rule {\n    resource_type = \"AWS::CloudTrail\"\n    telemetry_type = \"Logs\"\n    all_regions = %v\n", c.ruleRegion == "")
	b.WriteString("    destination_configuration {\n      destination_type = \"cloud-watch-logs\"\n      retention_in_days = 365\n      cloudtrail_parameters {\n        advanced_event_selectors {\n          name = \"management\"\n")
	b.WriteString("          field_selectors {\n            field = \"eventCategory\"\n            equals = [\"Management\"]\n          }\n")
	if v := c.readOnlyEquals(); v != "" {
		fmt.Fprintf(&b, "          field_selectors {\n            field = \"readOnly\"\n            equals = [%q]\n          }\n", v)
	}
	b.WriteString("        }\n      }\n    }\n  }\n  depends_on = [aws_observabilityadmin_telemetry_evaluation.this]\n}\n")
	return b.String()
}

// plan is what `terraform show -json` prints for terraform(): nested blocks as lists of objects. A plan's resources
// carry no region; the rule's region is in its provider's configuration.
func (c tcase) plan() string {
	fields := []any{map[string]any{"field": "eventCategory", "equals": []any{"Management"}}}
	if v := c.readOnlyEquals(); v != "" {
		fields = append(fields, map[string]any{"field": "readOnly", "equals": []any{v}})
	}
	rule := map[string]any{"resource_type": "AWS::CloudTrail", "telemetry_type": "Logs", "all_regions": c.ruleRegion == "", "regions": nil,
		"destination_configuration": []any{map[string]any{"destination_type": "cloud-watch-logs", "retention_in_days": 365, "destination_pattern": nil,
			"cloudtrail_parameters": []any{map[string]any{"advanced_event_selectors": []any{map[string]any{"name": "management", "field_selectors": fields}}}}}}}
	rc := func(typ, name string, after map[string]any) map[string]any {
		return map[string]any{"address": typ + "." + name, "mode": "managed", "type": typ, "name": name, "provider_name": "registry.terraform.io/hashicorp/aws",
			"change": map[string]any{"actions": []string{"create"}, "before": nil, "after": after, "after_unknown": map[string]any{"id": true}}}
	}
	rcs := []any{
		rc("aws_cloudtrail", "main", map[string]any{"name": "main", "s3_bucket_name": "b", "is_multi_region_trail": c.multi, "is_organization_trail": false}),
		rc("aws_observabilityadmin_telemetry_evaluation", "this", map[string]any{}),
		rc("aws_observabilityadmin_telemetry_rule", "ct", map[string]any{"rule_name": "ct", "rule": []any{rule}}),
	}
	providers := map[string]any{"aws": map[string]any{"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
		"expressions": map[string]any{"region": map[string]any{"constant_value": "us-east-1"}}}}
	if c.ruleRegion != "" && c.ruleRegion != "us-east-1" {
		providers["aws.rule"] = map[string]any{"name": "aws", "alias": "rule", "full_name": "registry.terraform.io/hashicorp/aws",
			"expressions": map[string]any{"region": map[string]any{"constant_value": c.ruleRegion}}}
	}
	out, err := json.MarshalIndent(map[string]any{"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": rcs,
		"configuration": map[string]any{"provider_config": providers, "root_module": map[string]any{"resources": []any{
			map[string]any{"address": "aws_observabilityadmin_telemetry_rule.ct", "mode": "managed", "type": "aws_observabilityadmin_telemetry_rule", "name": "ct",
				"provider_config_key": map[bool]string{true: "aws.rule", false: "aws"}[c.ruleRegion != "" && c.ruleRegion != "us-east-1"]}}}}}, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(out)
}

func (c tcase) cloudFormation() string {
	fields := []any{map[string]any{"Field": "eventCategory", "Equals": []any{"Management"}}}
	if v := c.readOnlyEquals(); v != "" {
		fields = append(fields, map[string]any{"Field": "readOnly", "Equals": []any{v}})
	}
	out, err := json.MarshalIndent(map[string]any{"AWSTemplateFormatVersion": "2010-09-09", "Resources": map[string]any{
		"Trail": map[string]any{"Type": "AWS::CloudTrail::Trail", "Properties": map[string]any{"TrailName": "main", "S3BucketName": "b", "IsLogging": true, "IsMultiRegionTrail": c.multi}},
		"Rule": map[string]any{"Type": "AWS::ObservabilityAdmin::TelemetryRule", "Properties": map[string]any{"RuleName": "ct", "Rule": map[string]any{
			"ResourceType": "AWS::CloudTrail", "TelemetryType": "Logs", "DestinationConfiguration": map[string]any{"DestinationType": "cloud-watch-logs", "RetentionInDays": 365,
				"CloudtrailParameters": map[string]any{"AdvancedEventSelectors": []any{map[string]any{"Name": "management", "FieldSelectors": fields}}}}}}},
	}}, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(out)
}

func TestTelemetryParityCorpus(t *testing.T) {
	cat, err := controls.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range telemetryCorpus {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if runsIn(c.only, "live") {
				f := liveTrail(t, cat, c)
				if got := alarmCodes(f); got != c.want || f.Status != c.status {
					t.Errorf("live: %s %q, want %s %q\n%+v\n%s", f.Status, got, c.status, c.want, f.Reasons, c.scenario())
				}
			}
			status := c.status
			if s := controls.IaCStatusOf(c.want); s != "" {
				status = s
			}
			for _, src := range []source{
				{"terraform", "main.tf", c.terraform()},
				{"plan", "plan.json", c.plan()},
				{"cloudformation", "template.json", c.cloudFormation()},
			} {
				if !runsIn(c.only, src.kind) {
					continue
				}
				res := oneTrail(t, src)
				f := scan.IaC(cat, res, controls.IaCSettings{MinRetentionDays: 365, Now: time.Now()}, 365, nil)[0]
				if got := alarmCodes(f); got != c.want || f.Status != status {
					t.Errorf("%s: %s %q, want %s %q\n%+v\n%s", src.kind, f.Status, got, status, c.want, f.Reasons, src.text)
				}
			}
		})
	}
}

// liveTrail scans the case's scenario through the real SDK and returns the trail's integration finding.
func liveTrail(t *testing.T, cat *controls.Catalog, c tcase) model.Finding {
	t.Helper()
	_, fs := liveScan(t, cat, "telemetry", c.scenario(), "us-east-1", nil)
	return finding(t, fs, controls.IntegrationID)
}

// TestTelemetryAlarmParity (field trial): the CIS chain on a telemetry rule's log group is judged there from every
// source, as live judges it: infrastructure as code failed every item NO_MONITORED_TRAIL beside a PASS
// CAPTURED_BY_TELEMETRY_RULE. Item 4.5's chain is whole; 4.1 has no filter.
func TestTelemetryAlarmParity(t *testing.T) {
	cat, err := controls.Load()
	if err != nil {
		t.Fatal(err)
	}
	items, err := alarms.ForVersion("")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{item45: controls.Monitored, "alarm-unauthorized-api-calls": controls.FilterMissing}
	check := func(src string, fs []model.Finding) {
		t.Helper()
		for id, code := range want {
			found := false
			for _, f := range fs {
				if f.ControlID == id {
					found = true
					if got := alarmCodes(f); got != code {
						t.Errorf("%s: %s %s %q, want %q\n%+v", src, id, f.Status, got, code, f.Reasons)
					}
				}
			}
			if !found {
				t.Errorf("%s: no %s finding", src, id)
			}
		}
	}
	scenario := fmt.Sprintf(`accounts:
  - id: %q
    regions: [us-east-1]
    telemetry_status: RUNNING
    telemetry_rules: [{name: ct, all_regions: true}]
    log_groups:
      - {name: aws/cloudtrail/managementevents, region: us-east-1, metric_filters: [{name: ct-changes, metric: %s/%s, pattern: %q}]}
    alarms:
      - {name: ct-changes, region: us-east-1, metric: %s/%s, actions: [cis]}
    topics:
      - {name: cis, region: us-east-1, subscriptions: [{protocol: sqs, endpoint: "arn:aws:sqs:us-east-1:%s:q"}]}
`, account, namespace, metricName, published45, namespace, metricName, account)
	_, fs := liveScan(t, cat, "telemetry-alarms", scenario, "us-east-1", items)
	check("live", fs)

	tf := `provider "aws" { region = "us-east-1" }
` + allRegionsRuleTF + fmt.Sprintf(`resource "aws_cloudwatch_log_metric_filter" "ct" {
  name = "ct-changes"
  log_group_name = "aws/cloudtrail/managementevents"
  pattern = %q
  metric_transformation {
    name = %q
    namespace = %q
    value = "1"
  }
}
resource "aws_cloudwatch_metric_alarm" "ct" {
  alarm_name = "ct-changes"
  namespace = %q
  metric_name = %q
  statistic = "Sum"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold = 1
  period = 300
  evaluation_periods = 1
  alarm_actions = [aws_sns_topic.cis.arn]
}
resource "aws_sns_topic" "cis" { name = "cis" }
resource "aws_sqs_queue" "q" { name = "q" }
resource "aws_sns_topic_subscription" "cis" {
  topic_arn = aws_sns_topic.cis.arn
  protocol = "sqs"
  endpoint = aws_sqs_queue.q.arn
}
`, published45, metricName, namespace, namespace, metricName)
	res := iacRead(t, source{"terraform", "main.tf", tf})
	if len(res.Errors) > 0 {
		t.Fatalf("terraform: %+v", res.Errors)
	}
	check("terraform", scan.IaC(cat, res, controls.IaCSettings{MinRetentionDays: 365, Now: simNow}, 365, items))
}

// allRegionsRuleTF is a CloudTrail telemetry rule of every region that keeps every management event, with the
// evaluation it needs, as Terraform.
const allRegionsRuleTF = `resource "aws_observabilityadmin_telemetry_evaluation" "this" {}
resource "aws_observabilityadmin_telemetry_rule" "ct" {
  rule_name = "ct"
  rule {
    resource_type = "AWS::CloudTrail"
    telemetry_type = "Logs"
    all_regions = true
    destination_configuration {
      destination_type = "cloud-watch-logs"
      cloudtrail_parameters {
        advanced_event_selectors {
          name = "management"
          field_selectors {
            field = "eventCategory"
            equals = ["Management"]
          }
        }
      }
    }
  }
}
`

// TestTelemetryAlarmParityEveryRegion (review, issue 21): a rule of every region delivers each region's events to that
// region's group, so an item is monitored only when its chain is whole on each. Whole in us-east-1, and eu-west-1's
// group has only an unrelated filter: live judges the worst region (FILTER_MISSING), and so must the code that
// declares the same (it took the best region's: MONITORED).
func TestTelemetryAlarmParityEveryRegion(t *testing.T) {
	cat, err := controls.Load()
	if err != nil {
		t.Fatal(err)
	}
	items, err := alarms.ForVersion("")
	if err != nil {
		t.Fatal(err)
	}
	const other = `{ $.eventName = "DescribeInstances" }`
	check := func(src string, fs []model.Finding) {
		t.Helper()
		for _, f := range fs {
			if f.ControlID == item45 {
				if got := alarmCodes(f); got != controls.FilterMissing || !strings.Contains(strings.Join(f.Notes, " "), "not in eu-west-1") {
					t.Errorf("%s: %s %s %q, want %q naming eu-west-1\n%+v %v", src, item45, f.Status, got, controls.FilterMissing, f.Reasons, f.Notes)
				}
				return
			}
		}
		t.Errorf("%s: no %s finding", src, item45)
	}
	scenario := fmt.Sprintf(`accounts:
  - id: %q
    regions: [us-east-1, eu-west-1]
    telemetry_status: RUNNING
    telemetry_rules: [{name: ct, all_regions: true}]
    log_groups:
      - {name: aws/cloudtrail/managementevents, region: us-east-1, metric_filters: [{name: ct-changes, metric: %s/%s, pattern: %q}]}
      - {name: aws/cloudtrail/managementevents, region: eu-west-1, metric_filters: [{name: other, metric: %s/Other, pattern: %q}]}
    alarms:
      - {name: ct-changes, region: us-east-1, metric: %s/%s, actions: [cis]}
    topics:
      - {name: cis, region: us-east-1, subscriptions: [{protocol: sqs, endpoint: "arn:aws:sqs:us-east-1:%s:q"}]}
`, account, namespace, metricName, published45, namespace, other, namespace, metricName, account)
	_, fs := liveScan(t, cat, "telemetry-alarms-regions", scenario, "us-east-1", items)
	check("live", fs)

	tf := `provider "aws" { region = "us-east-1" }
provider "aws" {
  alias  = "euw1"
  region = "eu-west-1"
}
` + allRegionsRuleTF + fmt.Sprintf(`resource "aws_cloudwatch_log_metric_filter" "ct" {
  name = "ct-changes"
  log_group_name = "aws/cloudtrail/managementevents"
  pattern = %q
  metric_transformation {
    name = %q
    namespace = %q
    value = "1"
  }
}
resource "aws_cloudwatch_log_metric_filter" "other" {
  provider = aws.euw1
  name = "other"
  log_group_name = "aws/cloudtrail/managementevents"
  pattern = %q
  metric_transformation {
    name = "Other"
    namespace = %q
    value = "1"
  }
}
resource "aws_cloudwatch_metric_alarm" "ct" {
  alarm_name = "ct-changes"
  namespace = %q
  metric_name = %q
  statistic = "Sum"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold = 1
  period = 300
  evaluation_periods = 1
  alarm_actions = [aws_sns_topic.cis.arn]
}
resource "aws_sns_topic" "cis" { name = "cis" }
resource "aws_sqs_queue" "q" { name = "q" }
resource "aws_sns_topic_subscription" "cis" {
  topic_arn = aws_sns_topic.cis.arn
  protocol = "sqs"
  endpoint = aws_sqs_queue.q.arn
}
`, published45, metricName, namespace, other, namespace, namespace, metricName)
	res := iacRead(t, source{"terraform", "main.tf", tf})
	if len(res.Errors) > 0 {
		t.Fatalf("terraform: %+v", res.Errors)
	}
	check("terraform", scan.IaC(cat, res, controls.IaCSettings{MinRetentionDays: 365, Now: simNow}, 365, items))
}
