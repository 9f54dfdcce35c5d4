package awssim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The gaps a walk of every response against botocore's service models and the API references found (issue 16),
// each pinned through the real SDK.

const fidelityScenario = `
organization: {id: o-a1b2c3d4e5, management_account: "111111111111"}
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: west, home_region: eu-west-1, s3_bucket: b}
    log_groups:
      - {name: std, region: us-east-1}
      - {name: cold, region: us-east-1, class: INFREQUENT_ACCESS}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
      - name: Scanner
        trust: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::111111111111:root"}, Action: "sts:AssumeRole"}]}
  - id: "333333333333"
    regions: [us-east-1]
    trails:
      - {name: local, home_region: us-east-1, s3_bucket: b}
`

func TestFidelityShapesAndErrors(t *testing.T) {
	s := start(t, fidelityScenario)
	ctx := context.Background()

	// Config: OrganizationConformancePack.LastUpdateTime is required.
	cfg := configservice.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	if _, err := cfg.PutOrganizationConformancePack(ctx, &configservice.PutOrganizationConformancePackInput{OrganizationConformancePackName: aws.String("p"),
		TemplateBody: aws.String("Resources:\n  R:\n    Type: AWS::Config::ConfigRule\n")}); err != nil {
		t.Fatal(err)
	}
	packs, err := cfg.DescribeOrganizationConformancePacks(ctx, &configservice.DescribeOrganizationConformancePacksInput{})
	if err != nil || len(packs.OrganizationConformancePacks) != 1 || packs.OrganizationConformancePacks[0].LastUpdateTime == nil {
		t.Errorf("organization conformance packs: %+v %v", packs, err)
	}

	// Organizations: policy ids and ARNs in the model's patterns; InvalidInputException carries its Reason.
	org := organizations.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	pol, err := org.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("scp"), Type: orgtypes.PolicyTypeServiceControlPolicy, Description: aws.String("d"),
		Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"cloudtrail:StopLogging","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	id, arn := aws.ToString(pol.Policy.PolicySummary.Id), aws.ToString(pol.Policy.PolicySummary.Arn)
	if !regexp.MustCompile(`^p-[0-9a-zA-Z_]{8,128}$`).MatchString(id) ||
		!regexp.MustCompile(`^arn:aws:organizations::\d{12}:policy/o-[a-z0-9]{10,32}/[0-9a-z_]+/p-[0-9a-z]{10,32}$`).MatchString(arn) {
		t.Errorf("policy id %s arn %s outside the model's patterns", id, arn)
	}
	_, err = org.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy, NextToken: aws.String("garbage")})
	var inv *orgtypes.InvalidInputException
	if !errors.As(err, &inv) {
		t.Errorf("bad token: %v", err)
	}
	// The Reason member is on the wire (the model's InvalidInputException shape). aws-sdk-go-v2's schema-based error
	// decoding (organizations v1.62.7) does not fill it in, so the body itself is checked.
	raw := []byte(`{"Filter":"SERVICE_CONTROL_POLICY","NextToken":"garbage"}`)
	req, _ := http.NewRequest("POST", s.URL, bytes.NewReader(raw))
	req.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128.ListPolicies")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	signRequest(t, req, raw, mgmt, "us-east-1", "organizations")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if body["__type"] != "InvalidInputException" || body["Reason"] != "INVALID_PAGINATION_TOKEN" {
			t.Errorf("InvalidInputException body %v", body)
		}
	}

	// CloudTrail: a bad ListTrails token is InvalidNextTokenException.
	if _, err := ct(s, mgmt, "us-east-1").ListTrails(ctx, &cloudtrail.ListTrailsInput{NextToken: aws.String("garbage")}); apiCode(err) != "InvalidNextTokenException" {
		t.Errorf("ListTrails bad token: %s", apiCode(err))
	}

	// STS: DurationSeconds above the role's MaxSessionDuration (3600) is refused.
	_, err = sts.NewFromConfig(s.SDKConfig(mgmt, "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/Scanner"),
		RoleSessionName: aws.String("t"), DurationSeconds: aws.Int32(7200)})
	if apiCode(err) != "ValidationError" {
		t.Errorf("AssumeRole beyond MaxSessionDuration: %s", apiCode(err))
	}

	// EC2 DescribeRegions: the endpoint filter works; an unknown filter name is refused.
	e2 := ec2.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	regs, err := e2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{Filters: []ec2types.Filter{{Name: aws.String("endpoint"), Values: []string{"ec2.eu-west-1.amazonaws.com"}}}})
	if err != nil || len(regs.Regions) != 1 || aws.ToString(regs.Regions[0].RegionName) != "eu-west-1" {
		t.Errorf("endpoint filter: %+v %v", regs, err)
	}
	if _, err := e2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{Filters: []ec2types.Filter{{Name: aws.String("colour"), Values: []string{"x"}}}}); apiCode(err) != "InvalidParameterValue" {
		t.Errorf("unknown filter: %s", apiCode(err))
	}

	// CloudWatch Logs: identifiers exclude a prefix; the class filter.
	logs := cloudwatchlogs.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	if _, err := logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupIdentifiers: []string{"std"}, LogGroupNamePrefix: aws.String("s")}); apiCode(err) != "InvalidParameterException" {
		t.Errorf("identifiers with a prefix: %s", apiCode(err))
	}
	lg, err := logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupClass: "INFREQUENT_ACCESS"})
	if err != nil || len(lg.LogGroups) != 1 || aws.ToString(lg.LogGroups[0].LogGroupName) != "cold" {
		t.Errorf("class filter: %+v %v", lg, err)
	}
}

func TestFidelityTrails(t *testing.T) {
	s := start(t, fidelityScenario)
	ctx := context.Background()
	east := ct(s, mgmt, "us-east-1")
	// CreateTrail keeps the settings it is given: log file validation defaults to false, global events to true.
	out, err := east.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("plain"), S3BucketName: aws.String("b")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToBool(out.LogFileValidationEnabled) || !aws.ToBool(out.IncludeGlobalServiceEvents) {
		t.Errorf("defaults: validation %v global %v", aws.ToBool(out.LogFileValidationEnabled), aws.ToBool(out.IncludeGlobalServiceEvents))
	}
	out, err = east.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("custom"), S3BucketName: aws.String("b"), S3KeyPrefix: aws.String("ct/"),
		KmsKeyId: aws.String("arn:aws:kms:us-east-1:111111111111:key/k"), EnableLogFileValidation: aws.Bool(true), IncludeGlobalServiceEvents: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(out.LogFileValidationEnabled) || aws.ToBool(out.IncludeGlobalServiceEvents) || aws.ToString(out.S3KeyPrefix) != "ct/" || aws.ToString(out.KmsKeyId) == "" {
		t.Errorf("settings not kept: %+v", out)
	}
	// DescribeTrails with the ARN of a single-region trail homed in another region returns it.
	westARN := "arn:aws:cloudtrail:eu-west-1:111111111111:trail/west"
	d, err := east.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{westARN}})
	if err != nil || len(d.TrailList) != 1 || aws.ToString(d.TrailList[0].TrailARN) != westARN {
		t.Errorf("by ARN across regions: %+v %v", d, err)
	}
	// A member may not convert its trail to an organization trail.
	_, err = ct(s, "333333333333", "us-east-1").UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("local"), IsOrganizationTrail: aws.Bool(true)})
	if apiCode(err) != "NotOrganizationMasterAccountException" {
		t.Errorf("member conversion: %s", apiCode(err))
	}
}

// contentTypes records the Content-Type of every response.
type contentTypes struct {
	seen []string
}

func (c *contentTypes) Do(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(r)
	if err == nil {
		c.seen = append(c.seen, resp.Header.Get("Content-Type"))
	}
	return resp, err
}

// TestSecurityHubAnswersJSON: Security Hub is restJson1, answered with Content-Type application/json.
func TestSecurityHubAnswersJSON(t *testing.T) {
	s := start(t, fidelityScenario)
	rec := &contentTypes{}
	cfg := s.SDKConfig(mgmt, "us-east-1")
	cfg.HTTPClient = rec
	_, err := securityhub.NewFromConfig(cfg).BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{}})
	_ = err // an empty batch is refused; the content type is what is checked
	if len(rec.seen) == 0 || rec.seen[0] != "application/json" {
		t.Errorf("Content-Type %v", rec.seen)
	}
}

// TestEveryOperationAnswers calls, successfully, the operations no other test of this package calls, so that the
// conformance check sees a response of every operation the simulator serves.
func TestEveryOperationAnswers(t *testing.T) {
	s := start(t, fidelityScenario+`
    ou: Workloads/Prod
`)
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	cfg := configservice.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	_, err := cfg.PutConformancePack(ctx, &configservice.PutConformancePackInput{ConformancePackName: aws.String("p"),
		TemplateBody: aws.String("Resources:\n  R:\n    Type: AWS::Config::ConfigRule\n")})
	must("PutConformancePack", err)
	_, err = cfg.DescribeConformancePacks(ctx, &configservice.DescribeConformancePacksInput{})
	must("DescribeConformancePacks", err)

	im := iam.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	_, err = im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String("arn:aws:iam::aws:policy/CloudWatchLogsFullAccess")})
	must("AttachRolePolicy", err)
	_, err = im.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String("arn:aws:iam::aws:policy/CloudWatchLogsFullAccess")})
	must("DetachRolePolicy", err)

	logs := cloudwatchlogs.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	_, err = logs.DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String("std")})
	must("DeleteRetentionPolicy", err)

	org := organizations.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	roots, err := org.ListRoots(ctx, &organizations.ListRootsInput{})
	must("ListRoots", err)
	root := aws.ToString(roots.Roots[0].Id)
	_, err = org.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(root)})
	must("ListAccountsForParent", err)
	_, err = org.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(root)})
	must("ListOrganizationalUnitsForParent", err)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"cloudtrail:StopLogging","Resource":"*"}]}`
	pol, err := org.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("scp"), Type: orgtypes.PolicyTypeServiceControlPolicy, Description: aws.String("d"), Content: aws.String(doc)})
	must("CreatePolicy", err)
	id := pol.Policy.PolicySummary.Id
	_, err = org.UpdatePolicy(ctx, &organizations.UpdatePolicyInput{PolicyId: id, Content: aws.String(doc)})
	must("UpdatePolicy", err)
	_, err = org.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy})
	must("ListPolicies", err)
	_, err = org.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: id, TargetId: aws.String(root)})
	must("AttachPolicy", err)
	targets, err := org.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: id})
	must("ListTargetsForPolicy", err)
	if len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].TargetId) != root {
		t.Errorf("targets %+v", targets.Targets)
	}
	other, err := org.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("other"), Type: orgtypes.PolicyTypeServiceControlPolicy, Description: aws.String("d"), Content: aws.String(doc)})
	must("CreatePolicy", err)
	_, err = org.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: other.Policy.PolicySummary.Id})
	must("DeletePolicy", err)
	if _, err := org.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: id}); apiCode(err) != "PolicyInUseException" {
		t.Errorf("deleting an attached policy: %s", apiCode(err))
	}
	desc, err := org.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: id})
	must("DescribePolicy", err)
	if aws.ToString(desc.Policy.Content) != doc || aws.ToString(desc.Policy.PolicySummary.Name) != "scp" {
		t.Errorf("DescribePolicy: %+v", desc.Policy)
	}
	_, err = org.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: id, TargetId: aws.String(root)})
	must("DetachPolicy", err)
	if _, err := org.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: id, TargetId: aws.String(root)}); apiCode(err) != "PolicyNotAttachedException" {
		t.Errorf("detaching a policy not attached: %s", apiCode(err))
	}
	_, err = org.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: id, TargetId: aws.String(root)})
	must("AttachPolicy", err)

	now := aws.String("2026-11-22T12:00:00Z")
	_, err = securityhub.NewFromConfig(s.SDKConfig(mgmt, "us-east-1")).BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{{
		SchemaVersion: aws.String("2018-10-08"), Id: aws.String("f1"), ProductArn: aws.String("arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"),
		GeneratorId: aws.String("g"), AwsAccountId: aws.String(mgmt), CreatedAt: now, UpdatedAt: now, Title: aws.String("t"), Description: aws.String("d"),
		Resources: []shtypes.Resource{{Type: aws.String("AwsCloudTrailTrail"), Id: aws.String("arn:aws:cloudtrail:us-east-1:111111111111:trail/west")}}}}})
	must("BatchImportFindings", err)
}

// TestAssumptionSwitches: each extrapolation of the simulator can be switched, so a test can run both ways.
func TestAssumptionSwitches(t *testing.T) {
	const world = `
%s
organization: {id: o-a1b2c3d4e5, management_account: "111111111111"}
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: org-trail, home_region: us-east-1, multi_region: true, organization: true, log_group: CT, role: R, delivery: {last: 30h, error: "Access denied."}}
      - {name: west, home_region: eu-west-1}
    log_groups: [{name: CT, region: us-east-1}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
  - id: "333333333333"
    regions: [us-east-1]
`
	ctx := context.Background()
	for _, switched := range []bool{false, true} {
		a := ""
		if switched {
			a = "assumptions: {member_sees_org_delivery_error: true, list_trails_home_region_only: true}"
		}
		s := start(t, fmt.Sprintf(world, a))
		st, err := ct(s, member, "us-east-1").GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(orgARN)})
		if err != nil {
			t.Fatal(err)
		}
		if got := st.LatestCloudWatchLogsDeliveryError != nil; got != switched {
			t.Errorf("switched %v: member sees the error: %v", switched, got)
		}
		lt, err := ct(s, mgmt, "us-east-1").ListTrails(ctx, &cloudtrail.ListTrailsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 2, true: 1}[switched]; len(lt.Trails) != want {
			t.Errorf("switched %v: ListTrails in us-east-1 returned %d trails, want %d", switched, len(lt.Trails), want)
		}
	}
}

// TestListTrailsScopes: each reading of ListTrails' scope returns what it says, seen from the management account and
// from a member covered by the organization trail.
func TestListTrailsScopes(t *testing.T) {
	const world = `
assumptions: {list_trails_scope: %s}
organization: {id: o-a1b2c3d4e5, management_account: "111111111111"}
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1, ap-south-1, af-south-1]
    trails:
      - {name: org-trail, home_region: us-east-1, multi_region: true, organization: true}
      - {name: west, home_region: eu-west-1}
      - {name: cape, home_region: af-south-1}
  - id: "333333333333"
    regions: [us-east-1, eu-west-1, ap-south-1]
`
	const mgmt, member = "111111111111", "333333333333"
	orgTrail, west := "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail", "arn:aws:cloudtrail:eu-west-1:111111111111:trail/west"
	cape := "arn:aws:cloudtrail:af-south-1:111111111111:trail/cape"
	cases := []struct {
		scope, acct, region string
		want                []string
	}{
		{"account", mgmt, "ap-south-1", []string{cape, west, orgTrail}},
		{"account", member, "ap-south-1", []string{orgTrail}},
		{"region", mgmt, "ap-south-1", []string{orgTrail}},
		{"region", mgmt, "eu-west-1", []string{west, orgTrail}},
		{"region", member, "eu-west-1", []string{orgTrail}},
		{"home_region", mgmt, "ap-south-1", nil},
		{"home_region", mgmt, "eu-west-1", []string{west}},
		// af-south-1 must be opted into: its single-region trail is left out, except where ListTrails is called there.
		{"default_regions", mgmt, "ap-south-1", []string{west, orgTrail}},
		{"default_regions", mgmt, "af-south-1", []string{cape, west, orgTrail}},
	}
	for _, tc := range cases {
		s := start(t, fmt.Sprintf(world, tc.scope))
		out, err := ct(s, tc.acct, tc.region).ListTrails(context.Background(), &cloudtrail.ListTrailsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tr := range out.Trails {
			got = append(got, aws.ToString(tr.TrailARN))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("scope %s, account %s, ListTrails in %s = %v, want %v", tc.scope, tc.acct, tc.region, got, tc.want)
		}
	}
	if _, err := ParseScenario("t.yaml", []byte("assumptions: {list_trails_scope: global}\naccounts: [{id: \"111111111111\"}]")); err == nil || !strings.Contains(err.Error(), "want account, region, home_region or default_regions") {
		t.Errorf("an unknown scope: %v", err)
	}
}
