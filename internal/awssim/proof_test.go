package awssim

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/observabilityadmin"
	oatypes "github.com/aws/aws-sdk-go-v2/service/observabilityadmin/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securitylake"
	sltypes "github.com/aws/aws-sdk-go-v2/service/securitylake/types"
	"github.com/aws/smithy-go"
)

const proofScenario = `
now: 2026-11-22T12:00:00Z
log_delivery_delay: 5m
organization: {id: o-a1b2c3d4e5, management_account: "111111111111"}
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: org, home_region: us-east-1, multi_region: true, organization: true, log_group: ct, role: CT}
      - {name: lossy, home_region: eu-west-1, log_group: local, role: CT, lose_events: true}
    log_groups:
      - {name: ct, region: us-east-1, retention_days: 365}
      - {name: local, region: eu-west-1, retention_days: 365}
    roles:
      - {name: CT, trust: cloudtrail, policy: cloudtrail-delivery}
  - id: "222222222222"
    regions: [us-east-1, eu-west-1]
`

// TestCapturedRecordsInLogGroups: a call captured by a working trail is a record in its log group, on the stream
// CloudTrail names (a member's under o-<org id>_), visible log_delivery_delay later, and found by FilterLogEvents
// with a term pattern, a time range and page tokens; a trail with lose_events delivers nothing. The EC2 markers: a
// dry run is DryRunOperation (412) and creates nothing, recorded as Client.DryRunOperation; a real
// CreateSecurityGroup is listed by DescribeSecurityGroups.
func TestCapturedRecordsInLogGroups(t *testing.T) {
	s := start(t, proofScenario)
	ctx := context.Background()
	member := ec2.NewFromConfig(s.SDKConfig("222222222222", "eu-west-1"))
	_, err := member.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{DryRun: aws.Bool(true), GroupName: aws.String("marker-w"), Description: aws.String("d")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "DryRunOperation" {
		t.Fatalf("dry run: %v", err)
	}
	out, err := member.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("real"), Description: aws.String("d")})
	if err != nil || !strings.HasPrefix(aws.ToString(out.GroupId), "sg-") {
		t.Fatalf("create: %v %+v", err, out)
	}
	if _, err := member.CreatePlacementGroup(ctx, &ec2.CreatePlacementGroupInput{DryRun: aws.Bool(true), GroupName: aws.String("marker-p"), Strategy: ec2types.PlacementStrategySpread}); !errors.As(err, &ae) || ae.ErrorCode() != "DryRunOperation" {
		t.Fatalf("placement group dry run: %v", err)
	}
	if pg, err := member.CreatePlacementGroup(ctx, &ec2.CreatePlacementGroupInput{GroupName: aws.String("pg"), Strategy: ec2types.PlacementStrategySpread}); err != nil || pg.PlacementGroup == nil || aws.ToString(pg.PlacementGroup.GroupName) != "pg" {
		t.Fatalf("placement group: %v %+v", err, pg)
	}
	list, err := member.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{"real", "marker-w"}}}})
	if err != nil || len(list.SecurityGroups) != 1 || aws.ToString(list.SecurityGroups[0].GroupId) != aws.ToString(out.GroupId) {
		t.Fatalf("describe: %v %+v", err, list)
	}
	logs := cloudwatchlogs.NewFromConfig(s.SDKConfig("111111111111", "us-east-1"))
	search := func(pattern string, limit int32) []string {
		t.Helper()
		var got []string
		in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("ct"), FilterPattern: aws.String(pattern), Limit: aws.Int32(limit)}
		for {
			o, err := logs.FilterLogEvents(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range o.Events {
				got = append(got, aws.ToString(e.LogStreamName)+" "+aws.ToString(e.Message))
			}
			if o.NextToken == nil {
				return got
			}
			in.NextToken = o.NextToken
		}
	}
	if got := search(`"marker-w"`, 10); len(got) != 0 {
		t.Fatalf("visible before log_delivery_delay: %v", got)
	}
	s.Advance(5 * time.Minute)
	got := search(`{ $.eventName = "CreateSecurityGroup" && $.requestParameters.groupName = "marker-w" }`, 10)
	if len(got) != 1 || !strings.HasPrefix(got[0], "o-a1b2c3d4e5_222222222222_CloudTrail_us-east-1 ") ||
		!strings.Contains(got[0], `"errorCode":"Client.DryRunOperation"`) || !strings.Contains(got[0], `"readOnly":false`) {
		t.Fatalf("the dry run's record: %v", got)
	}
	// Every EC2 call of the member (the two dry runs, the two creates, the describe), one per page of one.
	if all := search(`"ec2.amazonaws.com"`, 1); len(all) != 5 {
		t.Errorf("%d EC2 records paged one at a time, want 5: %v", len(all), all)
	}
	// JSON patterns and a time range.
	if got := search(`{ $.eventName = "DescribeSecurityGroups" && $.readOnly IS TRUE }`, 50); len(got) != 1 {
		t.Errorf("the read: %v", got)
	}
	o, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("ct"), EndTime: aws.Int64(s.Now().Add(-time.Hour).UnixMilli())})
	if err != nil || len(o.Events) != 0 {
		t.Errorf("records before the end time: %v %d", err, len(o.Events))
	}
	// The management account's own eu-west-1 call: the organization trail delivers it; the lossy local trail does not.
	mgmt := ec2.NewFromConfig(s.SDKConfig("111111111111", "eu-west-1"))
	if _, err := mgmt.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}); err != nil {
		t.Fatal(err)
	}
	s.Advance(5 * time.Minute)
	if got := search(`"DescribeSecurityGroups" "111111111111"`, 50); len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "111111111111_CloudTrail_us-east-1 ") {
		t.Errorf("the management account's own record: %v", got)
	}
	local, err := cloudwatchlogs.NewFromConfig(s.SDKConfig("111111111111", "eu-west-1")).FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("local")})
	if err != nil || len(local.Events) != 0 {
		t.Errorf("a trail with lose_events delivered: %v %d", err, len(local.Events))
	}
	if _, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("nope")}); !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFoundException" {
		t.Errorf("missing group: %v", err)
	}
}

// TestTelemetryRules: the observabilityadmin reads through the real SDK (restJson1): the evaluation status, the rules
// that apply in a region, a rule's destination and selectors, and ResourceNotFoundException for an unknown rule; the
// rule's group exists in each region it applies in.
func TestTelemetryRules(t *testing.T) {
	s := start(t, `
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1, us-west-2]
    telemetry_rules:
      - {name: two, home_region: us-east-1, regions: [eu-west-1], events: write_only, retention_days: 400}
`)
	ctx := context.Background()
	oa := func(region string) *observabilityadmin.Client {
		return observabilityadmin.NewFromConfig(s.SDKConfig("111111111111", region))
	}
	st, err := oa("us-east-1").GetTelemetryEvaluationStatus(ctx, &observabilityadmin.GetTelemetryEvaluationStatusInput{})
	if err != nil || st.Status != oatypes.StatusRunning {
		t.Fatalf("status: %v %+v", err, st)
	}
	// Started multi-region (the scenario's default): the home region and every other region's status.
	// The home region is the account's first (sorted) region.
	if aws.ToString(st.HomeRegion) != "eu-west-1" || !slices.ContainsFunc(st.RegionStatuses, func(r oatypes.RegionStatus) bool {
		return aws.ToString(r.Region) == "us-east-1" && aws.ToString(r.Status) == "RUNNING"
	}) {
		t.Errorf("multi-region evaluation: home %q, regions %+v", aws.ToString(st.HomeRegion), st.RegionStatuses)
	}
	for region, want := range map[string]int{"us-east-1": 1, "eu-west-1": 1, "us-west-2": 0} {
		l, err := oa(region).ListTelemetryRules(ctx, &observabilityadmin.ListTelemetryRulesInput{})
		if err != nil || len(l.TelemetryRuleSummaries) != want {
			t.Errorf("%s: %v %+v", region, err, l)
		}
	}
	r, err := oa("us-east-1").GetTelemetryRule(ctx, &observabilityadmin.GetTelemetryRuleInput{RuleIdentifier: aws.String("two")})
	if err != nil || r.TelemetryRule == nil || r.TelemetryRule.DestinationConfiguration == nil {
		t.Fatalf("rule: %v %+v", err, r)
	}
	d := r.TelemetryRule.DestinationConfiguration
	if d.DestinationType != oatypes.DestinationTypeCloudwatchLogs || aws.ToInt32(d.RetentionInDays) != 400 || len(r.TelemetryRule.Regions) != 1 ||
		len(d.CloudtrailParameters.AdvancedEventSelectors[0].FieldSelectors) != 2 {
		t.Errorf("rule: %+v %+v", r.TelemetryRule, d)
	}
	var ae smithy.APIError
	if _, err := oa("us-east-1").GetTelemetryRule(ctx, &observabilityadmin.GetTelemetryRuleInput{RuleIdentifier: aws.String("nope")}); !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFoundException" {
		t.Errorf("unknown rule: %v", err)
	}
	// The rule's groups were delivering before the simulation began: a seeded stream, newest first.
	ls, err := cloudwatchlogs.NewFromConfig(s.SDKConfig("111111111111", "eu-west-1")).DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String("aws/cloudtrail/managementevents"), OrderBy: cwltypes.OrderByLastEventTime, Descending: aws.Bool(true), Limit: aws.Int32(1)})
	if err != nil || len(ls.LogStreams) != 1 || aws.ToString(ls.LogStreams[0].LogStreamName) != "111111111111_CloudTrail_eu-west-1" ||
		s.Now().Sub(time.UnixMilli(aws.ToInt64(ls.LogStreams[0].LastIngestionTime))) != 2*time.Minute {
		t.Errorf("streams: %v %+v", err, ls)
	}
	for region, want := range map[string]int{"eu-west-1": 1, "us-west-2": 0} {
		g, err := cloudwatchlogs.NewFromConfig(s.SDKConfig("111111111111", region)).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("aws/cloudtrail/managementevents")})
		if err != nil || len(g.LogGroups) != want {
			t.Errorf("%s group: %v %+v", region, err, g)
		}
	}
}

// TestTelemetryRulesValidated: a scenario's telemetry rules are checked like its trails: unknown keys, a status AWS
// does not have, a region the account has not enabled, and a name given twice are errors with the line (field trial:
// they were accepted silently).
func TestTelemetryRulesValidated(t *testing.T) {
	for text, want := range map[string]string{
		"telemetry_rules: [{name: r, all_region: true}]":                        `line 4: unknown field "all_region"`,
		"telemetry_status: BOGUS\n    telemetry_rules: [{name: r}]":             `telemetry_status "BOGUS"`,
		"telemetry_rules: [{name: r, regions: [ap-south-9]}]":                   "region ap-south-9 is not an enabled region",
		"telemetry_rules: [{name: r}, {name: r}]":                               "telemetry rule r is listed twice",
		"telemetry_rules: [{name: r, all_regions: true, regions: [us-east-1]}]": "mutually exclusive",
		// Field trial: the chain's types and CloudTrail Lake's status were not checked, and errors said "line 0".
		"topics: [{name: t, region: us-east-1, colour: red}]":                                `line 4: unknown field "colour"`,
		"alarms: [{name: a, region: us-east-1, metric: X/Y, bogus: 1}]":                      `line 4: unknown field "bogus"`,
		"event_data_stores: [{name: s, status: bogus}]":                                      `line 4: event_data_stores: status "bogus"`,
		"topics: [{name: t, region: us-east-1, subscriptions: [{protocol: sqs, endpt: x}]}]": `unknown field "endpt"`,
	} {
		_, err := ParseScenario("t.yaml", []byte("accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    "+text+"\n"))
		if err == nil {
			sc, _ := ParseScenario("t.yaml", []byte("accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    "+text+"\n"))
			_, err = Start(context.Background(), sc, Options{})
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", text, err, want)
		}
	}
}

// TestOrgTelemetryRules: the organization's rules through the real SDK: read by the management account only
// (AccessDeniedException for a member), applied in every account of the organization: each gets the rule's group,
// and a member's call reaches its own group.
func TestOrgTelemetryRules(t *testing.T) {
	s := start(t, `
now: 2026-11-22T12:00:00Z
organization:
  id: o-abcdefghij
  management_account: "111111111111"
  telemetry_rules: [{name: everywhere, all_regions: true}]
accounts:
  - id: "111111111111"
    regions: [us-east-1]
  - id: "222222222222"
    regions: [us-east-1, eu-west-1]
`)
	ctx := context.Background()
	oa := observabilityadmin.NewFromConfig(s.SDKConfig("111111111111", "us-east-1"))
	st, err := oa.GetTelemetryEvaluationStatusForOrganization(ctx, &observabilityadmin.GetTelemetryEvaluationStatusForOrganizationInput{})
	if err != nil || st.Status != oatypes.StatusRunning {
		t.Fatalf("status: %v %+v", err, st)
	}
	l, err := oa.ListTelemetryRulesForOrganization(ctx, &observabilityadmin.ListTelemetryRulesForOrganizationInput{})
	if err != nil || len(l.TelemetryRuleSummaries) != 1 || l.TelemetryRuleSummaries[0].ResourceType != oatypes.ResourceTypeAwsCloudtrail {
		t.Fatalf("list: %v %+v", err, l)
	}
	r, err := oa.GetTelemetryRuleForOrganization(ctx, &observabilityadmin.GetTelemetryRuleForOrganizationInput{RuleIdentifier: l.TelemetryRuleSummaries[0].RuleArn})
	if err != nil || r.TelemetryRule == nil || !aws.ToBool(r.TelemetryRule.AllRegions) {
		t.Fatalf("rule: %v %+v", err, r)
	}
	var ae smithy.APIError
	member := observabilityadmin.NewFromConfig(s.SDKConfig("222222222222", "us-east-1"))
	if _, err := member.ListTelemetryRulesForOrganization(ctx, &observabilityadmin.ListTelemetryRulesForOrganizationInput{}); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Errorf("a member read the organization's rules: %v", err)
	}
	if _, err := ec2.NewFromConfig(s.SDKConfig("222222222222", "eu-west-1")).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}); err != nil {
		t.Fatal(err)
	}
	s.Advance(5 * time.Minute)
	got, err := cloudwatchlogs.NewFromConfig(s.SDKConfig("222222222222", "eu-west-1")).FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String("aws/cloudtrail/managementevents"), FilterPattern: aws.String(`"DescribeSecurityGroups"`)})
	if err != nil || len(got.Events) != 1 {
		t.Errorf("the member's call in its group: %v %+v", err, got)
	}
}

// TestTelemetryRuleWrites: the writes `fix apply --via telemetry-rule` makes, through the real SDK: a rule needs
// evaluation (ValidationException before StartTelemetryEvaluation), starting it with AllRegions runs it everywhere, a
// second CloudTrail rule to CloudWatch Logs conflicts, the rule's groups exist and receive the account's next calls,
// and the undo calls delete the rule and stop evaluation.
func TestTelemetryRuleWrites(t *testing.T) {
	s := start(t, `
log_delivery_delay: 0s
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
`)
	ctx := context.Background()
	oa := observabilityadmin.NewFromConfig(s.SDKConfig("111111111111", "us-east-1"))
	rule := &oatypes.TelemetryRule{ResourceType: oatypes.ResourceTypeAwsCloudtrail, TelemetryType: oatypes.TelemetryTypeLogs, AllRegions: aws.Bool(true),
		DestinationConfiguration: &oatypes.TelemetryDestinationConfiguration{DestinationType: oatypes.DestinationTypeCloudwatchLogs, RetentionInDays: aws.Int32(365),
			CloudtrailParameters: &oatypes.CloudtrailParameters{AdvancedEventSelectors: []oatypes.AdvancedEventSelector{{Name: aws.String("m"),
				FieldSelectors: []oatypes.AdvancedFieldSelector{{Field: aws.String("eventCategory"), Equals: []string{"Management"}}}}}}}}
	var ae smithy.APIError
	if _, err := oa.CreateTelemetryRule(ctx, &observabilityadmin.CreateTelemetryRuleInput{RuleName: aws.String("r"), Rule: rule}); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("a rule before evaluation: %v", err)
	}
	if _, err := oa.StartTelemetryEvaluation(ctx, &observabilityadmin.StartTelemetryEvaluationInput{AllRegions: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := oa.CreateTelemetryRule(ctx, &observabilityadmin.CreateTelemetryRuleInput{RuleName: aws.String("r"), Rule: rule}); err != nil {
		t.Fatal(err)
	}
	if _, err := oa.CreateTelemetryRule(ctx, &observabilityadmin.CreateTelemetryRuleInput{RuleName: aws.String("again"), Rule: rule}); !errors.As(err, &ae) || ae.ErrorCode() != "ConflictException" {
		t.Errorf("a second CloudTrail rule: %v", err)
	}
	if _, err := ec2.NewFromConfig(s.SDKConfig("111111111111", "eu-west-1")).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}); err != nil {
		t.Fatal(err)
	}
	got, err := cloudwatchlogs.NewFromConfig(s.SDKConfig("111111111111", "eu-west-1")).FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String("aws/cloudtrail/managementevents"), FilterPattern: aws.String(`"DescribeSecurityGroups"`)})
	if err != nil || len(got.Events) != 1 {
		t.Errorf("the new rule's eu-west-1 group: %v %+v", err, got)
	}
	if _, err := oa.DeleteTelemetryRule(ctx, &observabilityadmin.DeleteTelemetryRuleInput{RuleIdentifier: aws.String("r")}); err != nil {
		t.Fatal(err)
	}
	if _, err := oa.StopTelemetryEvaluation(ctx, &observabilityadmin.StopTelemetryEvaluationInput{}); err != nil {
		t.Fatal(err)
	}
	st, err := oa.GetTelemetryEvaluationStatus(ctx, &observabilityadmin.GetTelemetryEvaluationStatusInput{})
	if err != nil || st.Status != oatypes.StatusStopped {
		t.Errorf("after the undo: %v %+v", err, st)
	}
}

// TestOrganizationTelemetryRuleWrites: the writes `fix apply --via org-telemetry-rule` makes, through the real SDK:
// only the management account (or a delegated administrator) may call them (a member is refused with
// AccessDeniedException), a rule needs the organization's evaluation, a second one conflicts, a member's next call
// reaches its own group in each region, a scoped rule is refused (the simulator makes organization-wide rules only),
// and the undo calls delete the rule and stop the evaluation.
func TestOrganizationTelemetryRuleWrites(t *testing.T) {
	s := start(t, `
log_delivery_delay: 0s
organization: {id: o-a1b2c3d4e5, management_account: "111111111111"}
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
  - id: "222222222222"
    regions: [us-east-1, eu-west-1]
`)
	ctx := context.Background()
	oa := observabilityadmin.NewFromConfig(s.SDKConfig("111111111111", "us-east-1"))
	member := observabilityadmin.NewFromConfig(s.SDKConfig("222222222222", "us-east-1"))
	rule := func() *oatypes.TelemetryRule {
		return &oatypes.TelemetryRule{ResourceType: oatypes.ResourceTypeAwsCloudtrail, TelemetryType: oatypes.TelemetryTypeLogs, AllRegions: aws.Bool(true),
			DestinationConfiguration: &oatypes.TelemetryDestinationConfiguration{DestinationType: oatypes.DestinationTypeCloudwatchLogs, RetentionInDays: aws.Int32(365),
				CloudtrailParameters: &oatypes.CloudtrailParameters{AdvancedEventSelectors: []oatypes.AdvancedEventSelector{{Name: aws.String("m"),
					FieldSelectors: []oatypes.AdvancedFieldSelector{{Field: aws.String("eventCategory"), Equals: []string{"Management"}}}}}}}}
	}
	var ae smithy.APIError
	if _, err := member.StartTelemetryEvaluationForOrganization(ctx, &observabilityadmin.StartTelemetryEvaluationForOrganizationInput{AllRegions: aws.Bool(true)}); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Errorf("a member starting the organization's evaluation: %v", err)
	}
	if _, err := oa.CreateTelemetryRuleForOrganization(ctx, &observabilityadmin.CreateTelemetryRuleForOrganizationInput{RuleName: aws.String("org"), Rule: rule()}); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("a rule before the organization's evaluation: %v", err)
	}
	if _, err := oa.StartTelemetryEvaluationForOrganization(ctx, &observabilityadmin.StartTelemetryEvaluationForOrganizationInput{AllRegions: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	scoped := rule()
	scoped.Scope = aws.String("OrganizationalUnitId = 'ou-abcd-12345678'")
	if _, err := oa.CreateTelemetryRuleForOrganization(ctx, &observabilityadmin.CreateTelemetryRuleForOrganizationInput{RuleName: aws.String("scoped"), Rule: scoped}); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("a scoped rule: %v", err)
	}
	if _, err := member.CreateTelemetryRuleForOrganization(ctx, &observabilityadmin.CreateTelemetryRuleForOrganizationInput{RuleName: aws.String("org"), Rule: rule()}); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Errorf("a member creating an organization rule: %v", err)
	}
	out, err := oa.CreateTelemetryRuleForOrganization(ctx, &observabilityadmin.CreateTelemetryRuleForOrganizationInput{RuleName: aws.String("org"), Rule: rule()})
	if err != nil || !strings.HasPrefix(aws.ToString(out.RuleArn), "arn:aws:observabilityadmin:us-east-1:111111111111:") {
		t.Fatalf("create: %v %+v", err, out)
	}
	if _, err := oa.CreateTelemetryRuleForOrganization(ctx, &observabilityadmin.CreateTelemetryRuleForOrganizationInput{RuleName: aws.String("again"), Rule: rule()}); !errors.As(err, &ae) || ae.ErrorCode() != "ConflictException" {
		t.Errorf("a second organization rule: %v", err)
	}
	if _, err := ec2.NewFromConfig(s.SDKConfig("222222222222", "eu-west-1")).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}); err != nil {
		t.Fatal(err)
	}
	got, err := cloudwatchlogs.NewFromConfig(s.SDKConfig("222222222222", "eu-west-1")).FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String("aws/cloudtrail/managementevents"), FilterPattern: aws.String(`"DescribeSecurityGroups"`)})
	if err != nil || len(got.Events) != 1 {
		t.Errorf("the member's call in its own eu-west-1 group: %v %+v", err, got)
	}
	list, err := oa.ListTelemetryRulesForOrganization(ctx, &observabilityadmin.ListTelemetryRulesForOrganizationInput{})
	if err != nil || len(list.TelemetryRuleSummaries) != 1 {
		t.Errorf("listed: %v %+v", err, list)
	}
	if _, err := oa.DeleteTelemetryRuleForOrganization(ctx, &observabilityadmin.DeleteTelemetryRuleForOrganizationInput{RuleIdentifier: aws.String("org")}); err != nil {
		t.Fatal(err)
	}
	if _, err := oa.StopTelemetryEvaluationForOrganization(ctx, &observabilityadmin.StopTelemetryEvaluationForOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	st, err := oa.GetTelemetryEvaluationStatusForOrganization(ctx, &observabilityadmin.GetTelemetryEvaluationStatusForOrganizationInput{})
	if err != nil || st.Status != oatypes.StatusStopped {
		t.Errorf("after the undo: %v %+v", err, st)
	}
}

// TestS3Delivery: a trail's past delivery through the real S3 client (path style on the loopback endpoint): the
// bucket's region, its files listed by day under the CloudTrail prefix, page by page, each a gzip of a Records array
// whose size is the listed one; another account's bucket and a KMS-encrypted object are refused.
func TestS3Delivery(t *testing.T) {
	s := start(t, `
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, s3_bucket: ct-logs, s3_delivery: {events_per_day: [2000, 3000], bucket_region: eu-west-1}}
      - {name: other, home_region: us-east-1, s3_bucket: elsewhere, s3_delivery: {events_per_day: [10], bucket_account: "222222222222"}}
      - {name: sealed, home_region: eu-west-1, s3_bucket: sealed, s3_delivery: {events_per_day: [10], kms: true}}
`)
	ctx := context.Background()
	c := s3.NewFromConfig(s.SDKConfig("111111111111", "us-east-1"))
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("ct-logs")})
	if err != nil || loc.LocationConstraint != "eu-west-1" {
		t.Fatalf("location: %v %+v", err, loc)
	}
	// Yesterday (2026-11-21), us-east-1: 1500 events (3000 over two regions), 15 files of 100.
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("ct-logs"), Prefix: aws.String("AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/21/"), MaxKeys: aws.Int32(4)})
	var keys []string
	var size int64
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
			size += aws.ToInt64(o.Size)
		}
	}
	if len(keys) != 15 || pages != 4 || !strings.HasSuffix(keys[0], ".json.gz") || !strings.Contains(keys[0], "/111111111111_CloudTrail_us-east-1_20261121T0000Z_") {
		t.Fatalf("%d keys in %d pages: %v", len(keys), pages, keys)
	}
	obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ct-logs"), Key: aws.String(keys[0])})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	raw, _ := io.ReadAll(obj.Body)
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	var file struct{ Records []map[string]any }
	if err := json.NewDecoder(zr).Decode(&file); err != nil || len(file.Records) != 100 || file.Records[0]["eventCategory"] != "Management" {
		t.Fatalf("records: %v %d", err, len(file.Records))
	}
	var ae smithy.APIError
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("elsewhere")}); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("another account's bucket: %v", err)
	}
	sealed, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("sealed")})
	if err != nil || len(sealed.Contents) != 1 {
		t.Fatalf("sealed: %v", err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("sealed"), Key: sealed.Contents[0].Key}); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("a KMS-encrypted object: %v", err)
	}
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("nope")}); !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchBucket" {
		t.Errorf("a missing bucket: %v", err)
	}
}

// TestAlternates: Security Lake's sources (restJson1, ResourceNotFoundException where the region has no data lake)
// and CloudTrail Lake's event data stores through the real SDK.
func TestAlternates(t *testing.T) {
	s := start(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    security_lake: [{region: us-east-1}]
    event_data_stores: [{name: all, region: us-east-1}, {name: old, region: us-east-1, status: STOPPED_INGESTION}]
`)
	ctx := context.Background()
	sl := func(region string) *securitylake.Client {
		return securitylake.NewFromConfig(s.SDKConfig("111111111111", region))
	}
	out, err := sl("us-east-1").GetDataLakeSources(ctx, &securitylake.GetDataLakeSourcesInput{Accounts: []string{"111111111111"}})
	if err != nil || len(out.DataLakeSources) != 1 || aws.ToString(out.DataLakeSources[0].SourceName) != "CLOUD_TRAIL_MGMT" ||
		out.DataLakeSources[0].SourceStatuses[0].Status != "COLLECTING" {
		t.Fatalf("sources: %v %+v", err, out)
	}
	var ae smithy.APIError
	if _, err := sl("eu-west-1").GetDataLakeSources(ctx, &securitylake.GetDataLakeSourcesInput{}); !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFoundException" {
		t.Errorf("a region without a data lake: %v", err)
	}
	ct := cloudtrail.NewFromConfig(s.SDKConfig("111111111111", "us-east-1"))
	ds, err := ct.ListEventDataStores(ctx, &cloudtrail.ListEventDataStoresInput{})
	if err != nil || len(ds.EventDataStores) != 2 {
		t.Fatalf("event data stores: %v %+v", err, ds)
	}
	// The list's status is deprecated and no longer returned: GetEventDataStore, by ARN or ID suffix, has it.
	//lint:ignore SA1019 the deprecated members are read to check that they are not returned
	if st := ds.EventDataStores[1]; st.Status != "" || st.MultiRegionEnabled != nil {
		t.Errorf("ListEventDataStores returns deprecated members: %+v", st)
	}
	for id, want := range map[string]string{aws.ToString(ds.EventDataStores[1].EventDataStoreArn): "STOPPED_INGESTION", "all": "ENABLED"} {
		got, err := ct.GetEventDataStore(ctx, &cloudtrail.GetEventDataStoreInput{EventDataStore: aws.String(id)})
		if err != nil || string(got.Status) != want {
			t.Errorf("GetEventDataStore(%s): %v %v, want %s", id, err, got, want)
		}
	}
	if _, err := ct.GetEventDataStore(ctx, &cloudtrail.GetEventDataStoreInput{EventDataStore: aws.String("gone")}); !errors.As(err, &ae) || ae.ErrorCode() != "EventDataStoreNotFoundException" {
		t.Errorf("an unknown store: %v", err)
	}
}

// TestS3DeliveryBusyDay (field trial): a busy day's files stay under its own UTC date prefix. At one file every five
// minutes, a day of more than 288 files spilled into the next days', and fix plan --cost measured the wrong volumes
// per day. 30,000 events in one region are 300 files (twelve more than a day has five-minute slots), every one under
// yesterday's prefix.
func TestS3DeliveryBusyDay(t *testing.T) {
	s := start(t, `
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: main, home_region: us-east-1, s3_bucket: ct-logs, s3_delivery: {events_per_day: [30000, 1000]}}
`)
	ctx := context.Background()
	c := s3.NewFromConfig(s.SDKConfig("111111111111", "us-east-1"))
	count := func(day string) int {
		n := 0
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("ct-logs"), Prefix: aws.String("AWSLogs/111111111111/CloudTrail/us-east-1/" + day + "/")})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n += len(out.Contents)
		}
		return n
	}
	// 300 files on the busy day: more than the 288 five-minute slots of a day.
	if a, b, after := count("2026/11/20"), count("2026/11/21"), count("2026/11/22"); a != 300 || b != 10 || after != 0 {
		t.Errorf("files per day: 2026-11-20 %d (want 300), 2026-11-21 %d (want 10), 2026-11-22 %d (want 0)", a, b, after)
	}
}

// TestServiceLinkedChannels: the CloudTrail service-linked channel a running telemetry rule uses, through the real SDK
// (ListChannels, GetChannel by ARN and by its UUID): one in each region a rule applies in, carrying what the rules keep;
// none where no rule applies or evaluation does not run. A narrowed channel (telemetry_channel: write_only) lets a
// write through to the rule's group and holds a read back; an absent one lets nothing through.
func TestServiceLinkedChannels(t *testing.T) {
	s := start(t, `
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    telemetry_rules: [{name: all, home_region: us-east-1}]
  - id: "222222222222"
    regions: [us-east-1]
    telemetry_rules: [{name: all}]
    telemetry_channel: write_only
  - id: "333333333333"
    regions: [us-east-1]
    telemetry_rules: [{name: all}]
    telemetry_channel: absent
`)
	ctx := context.Background()
	ct := func(acct, region string) *cloudtrail.Client {
		return cloudtrail.NewFromConfig(s.SDKConfig(acct, region))
	}
	l, err := ct("111111111111", "us-east-1").ListChannels(ctx, &cloudtrail.ListChannelsInput{})
	if err != nil || len(l.Channels) != 1 || aws.ToString(l.Channels[0].Name) != "aws-service-channel/cloudwatch/slc" {
		t.Fatalf("channels: %v %+v", err, l)
	}
	arn := aws.ToString(l.Channels[0].ChannelArn)
	for _, id := range []string{arn, arn[strings.LastIndex(arn, "/")+1:]} {
		g, err := ct("111111111111", "us-east-1").GetChannel(ctx, &cloudtrail.GetChannelInput{Channel: aws.String(id)})
		if err != nil || aws.ToString(g.ChannelArn) != arn || len(g.Destinations) != 1 || g.Destinations[0].Type != cttypes.DestinationTypeAwsService ||
			g.SourceConfig == nil || len(g.SourceConfig.AdvancedEventSelectors) != 1 || len(g.SourceConfig.AdvancedEventSelectors[0].FieldSelectors) != 1 {
			t.Errorf("get %s: %v %+v", id, err, g)
		}
	}
	if l, err := ct("111111111111", "eu-west-1").ListChannels(ctx, &cloudtrail.ListChannelsInput{}); err != nil || len(l.Channels) != 0 {
		t.Errorf("a region the rule does not apply in: %v %+v", err, l)
	}
	var ae smithy.APIError
	if _, err := ct("111111111111", "eu-west-1").GetChannel(ctx, &cloudtrail.GetChannelInput{Channel: aws.String(arn)}); !errors.As(err, &ae) || ae.ErrorCode() != "ChannelNotFoundException" {
		t.Errorf("a channel of another region: %v", err)
	}
	if _, err := ct("111111111111", "us-east-1").GetChannel(ctx, &cloudtrail.GetChannelInput{Channel: aws.String("bogus")}); !errors.As(err, &ae) || ae.ErrorCode() != "ChannelARNInvalidException" {
		t.Errorf("not an ARN: %v", err)
	}
	l2, err := ct("222222222222", "us-east-1").ListChannels(ctx, &cloudtrail.ListChannelsInput{})
	if err != nil || len(l2.Channels) != 1 {
		t.Fatalf("narrowed: %v %+v", err, l2)
	}
	g, err := ct("222222222222", "us-east-1").GetChannel(ctx, &cloudtrail.GetChannelInput{Channel: l2.Channels[0].ChannelArn})
	if err != nil || len(g.SourceConfig.AdvancedEventSelectors[0].FieldSelectors) != 2 || g.SourceConfig.AdvancedEventSelectors[0].FieldSelectors[1].Equals[0] != "false" {
		t.Errorf("narrowed channel: %v %+v", err, g)
	}
	if l, err := ct("333333333333", "us-east-1").ListChannels(ctx, &cloudtrail.ListChannelsInput{}); err != nil || len(l.Channels) != 0 {
		t.Errorf("absent: %v %+v", err, l)
	}
	// What reaches the rule's group: a read (DescribeSecurityGroups) and a write (CreateSecurityGroup, dry run) each.
	for _, acct := range []string{"222222222222", "333333333333"} {
		e := ec2.NewFromConfig(s.SDKConfig(acct, "us-east-1"))
		if _, err := e.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}); err != nil {
			t.Fatal(err)
		}
		_, _ = e.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("x"), DryRun: aws.Bool(true)})
	}
	s.Advance(5 * time.Minute)
	for acct, want := range map[string][2]int{"222222222222": {0, 1}, "333333333333": {0, 0}} {
		for i, name := range []string{"DescribeSecurityGroups", "CreateSecurityGroup"} {
			got, err := cloudwatchlogs.NewFromConfig(s.SDKConfig(acct, "us-east-1")).FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
				LogGroupName: aws.String("aws/cloudtrail/managementevents"), FilterPattern: aws.String(`"` + name + `"`)})
			if err != nil || len(got.Events) != want[i] {
				t.Errorf("%s %s: %v, %d events, want %d", acct, name, err, len(got.Events), want[i])
			}
		}
	}
}

// TestListLogSources: Security Lake's configured sources per region, filtered as asked, through the real SDK.
func TestListLogSources(t *testing.T) {
	s := start(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1, us-west-2]
    security_lake: [{region: us-east-1}, {region: eu-west-1, status: NOT_COLLECTING}]
  - id: "222222222222"
    regions: [us-east-1]
`)
	ctx := context.Background()
	sl := securitylake.NewFromConfig(s.SDKConfig("111111111111", "us-east-1"))
	out, err := sl.ListLogSources(ctx, &securitylake.ListLogSourcesInput{Accounts: []string{"111111111111"},
		Sources: []sltypes.LogSourceResource{&sltypes.LogSourceResourceMemberAwsLogSource{Value: sltypes.AwsLogSourceResource{SourceName: sltypes.AwsLogSourceNameCloudTrailMgmt}}}})
	if err != nil || len(out.Sources) != 2 {
		t.Fatalf("sources: %v %+v", err, out)
	}
	var regions []string
	for _, ls := range out.Sources {
		regions = append(regions, aws.ToString(ls.Region))
		if m, ok := ls.Sources[0].(*sltypes.LogSourceResourceMemberAwsLogSource); !ok || m.Value.SourceName != sltypes.AwsLogSourceNameCloudTrailMgmt {
			t.Errorf("source: %+v", ls.Sources)
		}
	}
	if !slices.Equal(regions, []string{"eu-west-1", "us-east-1"}) {
		t.Errorf("regions %v", regions)
	}
	if out, err := sl.ListLogSources(ctx, &securitylake.ListLogSourcesInput{Regions: []string{"us-west-2"}}); err != nil || len(out.Sources) != 0 {
		t.Errorf("filtered by region: %v %+v", err, out)
	}
	if out, err := sl.ListLogSources(ctx, &securitylake.ListLogSourcesInput{Sources: []sltypes.LogSourceResource{
		&sltypes.LogSourceResourceMemberAwsLogSource{Value: sltypes.AwsLogSourceResource{SourceName: sltypes.AwsLogSourceNameVpcFlow}}}}); err != nil || len(out.Sources) != 0 {
		t.Errorf("filtered by source: %v %+v", err, out)
	}
	var ae smithy.APIError
	if _, err := securitylake.NewFromConfig(s.SDKConfig("222222222222", "us-east-1")).ListLogSources(ctx, &securitylake.ListLogSourcesInput{}); !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFoundException" {
		t.Errorf("no data lake: %v", err)
	}
}
