package awssim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

var fixedNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func start(t *testing.T, yamlText string) *Server {
	t.Helper()
	sc, err := ParseScenario("test.yaml", []byte(yamlText))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s, err := Start(ctx, sc, Options{Now: func() time.Time { return fixedNow }, Observe: observed.add})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startFile(t *testing.T, path string) *Server {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return start(t, string(data))
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "non-API error: " + err.Error()
	}
	return ""
}

const (
	mgmt   = "111111111111"
	member = "333333333333"
	orgARN = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail"
)

func ct(s *Server, acct, region string) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(s.SDKConfig(acct, region))
}

func TestDescribeTrailsShadowsAndOrganization(t *testing.T) {
	s := startFile(t, "../../examples/organization.yaml")
	ctx := context.Background()
	tests := []struct {
		name    string
		acct    string
		region  string
		shadows *bool
		want    []string
	}{
		{"management home region", mgmt, "us-east-1", nil, []string{orgARN}},
		{"management shadow region", mgmt, "eu-west-1", nil, []string{orgARN}},
		{"management no shadows elsewhere", mgmt, "eu-west-1", aws.Bool(false), nil},
		{"member sees org trail and own multi-region shadow", member, "us-west-2", nil,
			[]string{"arn:aws:cloudtrail:eu-west-1:333333333333:trail/payments-local", orgARN}},
		{"member home region", member, "us-east-1", nil,
			[]string{"arn:aws:cloudtrail:eu-west-1:333333333333:trail/payments-local", orgARN, "arn:aws:cloudtrail:us-east-1:333333333333:trail/payments-stale"}},
		{"member without shadows", member, "us-east-1", aws.Bool(false),
			[]string{"arn:aws:cloudtrail:us-east-1:333333333333:trail/payments-stale"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := ct(s, tc.acct, tc.region).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: tc.shadows})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tr := range out.TrailList {
				got = append(got, aws.ToString(tr.TrailARN))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	// The member's view of the organization trail names the management account and its home region.
	out, err := ct(s, member, "eu-west-1").DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{orgARN}})
	if err != nil || len(out.TrailList) != 1 {
		t.Fatalf("describe org trail by ARN: %v %v", out, err)
	}
	tr := out.TrailList[0]
	if !aws.ToBool(tr.IsOrganizationTrail) || aws.ToString(tr.HomeRegion) != "us-east-1" || aws.ToString(tr.CloudWatchLogsLogGroupArn) == "" {
		t.Errorf("member view of org trail = %+v", tr)
	}
	// A bare name matches only the caller's own trail homed in the current region.
	out, _ = ct(s, member, "us-east-1").DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{"org-trail", "payments-stale", "payments-local"}})
	if len(out.TrailList) != 1 || aws.ToString(out.TrailList[0].Name) != "payments-stale" {
		t.Errorf("name list: got %d trails", len(out.TrailList))
	}
}

func TestTrailStatusNameVersusARN(t *testing.T) {
	s := startFile(t, "../../examples/organization.yaml")
	ctx := context.Background()
	tests := []struct {
		name, acct, region, ident, code string
	}{
		{"owner by name in home region", mgmt, "us-east-1", "org-trail", ""},
		{"owner by name elsewhere", mgmt, "eu-west-1", "org-trail", "TrailNotFoundException"},
		{"owner by ARN from shadow region", mgmt, "eu-west-1", orgARN, ""},
		{"member by name", member, "us-east-1", "org-trail", "TrailNotFoundException"},
		{"member by ARN", member, "us-east-1", orgARN, ""},
		{"other account's local trail", member, "us-east-1", "arn:aws:cloudtrail:us-east-1:222222222222:trail/security-audit", "CloudTrailARNInvalidException"},
		{"single-region trail outside its region", member, "us-west-2", "arn:aws:cloudtrail:us-east-1:333333333333:trail/payments-stale", "TrailNotFoundException"},
		{"malformed ARN", member, "us-east-1", "arn:aws:s3:::bucket", "CloudTrailARNInvalidException"},
		{"bad name", member, "us-east-1", "x", "InvalidTrailNameException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ct(s, tc.acct, tc.region).GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(tc.ident)})
			if got := apiCode(err); got != tc.code {
				t.Errorf("code %q, want %q (%v)", got, tc.code, err)
			}
			_, err = ct(s, tc.acct, tc.region).GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(tc.ident)})
			if got := apiCode(err); got != tc.code {
				t.Errorf("GetTrail code %q, want %q", got, tc.code)
			}
			_, err = ct(s, tc.acct, tc.region).GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(tc.ident)})
			if got := apiCode(err); got != tc.code {
				t.Errorf("GetEventSelectors code %q, want %q", got, tc.code)
			}
		})
	}
	_, err := ct(s, member, "us-east-1").GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("org-trail")})
	var nf *cttypes.TrailNotFoundException
	if !errors.As(err, &nf) || !strings.Contains(nf.ErrorMessage(), "Unknown trail: arn:aws:cloudtrail:us-east-1:333333333333:trail/org-trail for the user: 333333333333") {
		t.Errorf("member by name: %v", err)
	}
}

func TestStatusAndSelectors(t *testing.T) {
	s := startFile(t, "../../examples/organization.yaml")
	ctx := context.Background()
	st, err := ct(s, mgmt, "us-east-1").GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(orgARN)})
	if err != nil {
		t.Fatal(err)
	}
	age := fixedNow.Sub(aws.ToTime(st.LatestCloudWatchLogsDeliveryTime))
	if !aws.ToBool(st.IsLogging) || age < 0 || age > deliveryPeriod || st.LatestCloudWatchLogsDeliveryError != nil {
		t.Errorf("healthy org trail: logging=%v age=%v err=%v", aws.ToBool(st.IsLogging), age, st.LatestCloudWatchLogsDeliveryError)
	}
	// Pinned outage: 26 hours old, with the pinned error.
	st, err = ct(s, member, "us-east-1").GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("payments-stale")})
	if err != nil {
		t.Fatal(err)
	}
	if got := fixedNow.Sub(aws.ToTime(st.LatestCloudWatchLogsDeliveryTime)); got != 26*time.Hour {
		t.Errorf("pinned age = %v", got)
	}
	if aws.ToString(st.LatestCloudWatchLogsDeliveryError) == "" {
		t.Error("pinned error missing")
	}
	// Never-integrated trail: no CloudWatch Logs time at all.
	st, _ = ct(s, member, "eu-west-1").GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("payments-local")})
	if st.LatestCloudWatchLogsDeliveryTime != nil {
		t.Errorf("not integrated, but delivery time %v", st.LatestCloudWatchLogsDeliveryTime)
	}
	sel, err := ct(s, "555555555555", "us-east-1").GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String("sandbox-data-only")})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.EventSelectors) != 1 || aws.ToBool(sel.EventSelectors[0].IncludeManagementEvents) || len(sel.EventSelectors[0].DataResources) != 1 {
		t.Errorf("data-only selectors = %+v", sel.EventSelectors)
	}
}

func TestMemberViewHidesOrgTrailErrors(t *testing.T) {
	s := start(t, `
now: 2026-11-22T12:00:00Z
organization: {id: o-a1b2c3d4e5, management_account: "111111111111", delegated_admin: "222222222222"}
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails: [{name: org-trail, home_region: us-east-1, multi_region: true, organization: true, log_group: g, role: r}]
    log_groups: [{name: g, region: us-east-1}]
    roles: [{name: r, trust: logs.amazonaws.com, policy: cloudtrail-delivery}]
  - {id: "222222222222", regions: [us-east-1]}
  - {id: "333333333333", regions: [us-east-1]}
`)
	ctx := context.Background()
	for acct, wantErr := range map[string]bool{mgmt: true, "222222222222": true, member: false} {
		st, err := ct(s, acct, "us-east-1").GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(orgARN)})
		if err != nil {
			t.Fatal(err)
		}
		if got := st.LatestCloudWatchLogsDeliveryError != nil; got != wantErr {
			t.Errorf("account %s sees error: %v, want %v", acct, got, wantErr)
		}
	}
}

func TestWritesHomeRegionAndOwnership(t *testing.T) {
	s := startFile(t, "../../examples/organization.yaml")
	ctx := context.Background()
	_, err := ct(s, mgmt, "eu-west-1").StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(orgARN)})
	if apiCode(err) != "InvalidHomeRegionException" {
		t.Errorf("write outside home region: %v", err)
	}
	_, err = ct(s, member, "us-east-1").StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(orgARN)})
	if apiCode(err) != "NotOrganizationMasterAccountException" {
		t.Errorf("member stops org trail: %v", err)
	}
	_, err = ct(s, member, "us-east-1").UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String(orgARN), CloudWatchLogsLogGroupArn: aws.String("")})
	if apiCode(err) != "NotOrganizationMasterAccountException" {
		t.Errorf("member updates org trail: %v", err)
	}
	// The delegated administrator may manage the organization trail.
	_, err = ct(s, "222222222222", "us-east-1").StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(orgARN)})
	if err != nil {
		t.Errorf("delegated admin stops org trail: %v", err)
	}
	_, err = ct(s, "222222222222", "us-east-1").StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(orgARN)})
	if err != nil {
		t.Errorf("delegated admin starts org trail: %v", err)
	}
}

func TestUpdateTrailValidation(t *testing.T) {
	s := startFile(t, "../../examples/organization.yaml")
	ctx := context.Background()
	c := ct(s, "444444444444", "us-east-1")
	grp := func(region, acct, name string) string {
		return "arn:aws:logs:" + region + ":" + acct + ":log-group:" + name + ":*"
	}
	role := func(name string) string { return "arn:aws:iam::444444444444:role/" + name }
	tests := []struct {
		name, group, role, code string
	}{
		{"no :* suffix", strings.TrimSuffix(grp("us-east-1", "444444444444", "staging-untrusted"), ":*"), role("CloudTrailCWLogsRole"), "InvalidCloudWatchLogsLogGroupArnException"},
		{"missing group", grp("us-east-1", "444444444444", "nope"), role("CloudTrailCWLogsRole"), "InvalidCloudWatchLogsLogGroupArnException"},
		{"group in another region", grp("us-west-2", "444444444444", "staging-untrusted"), role("CloudTrailCWLogsRole"), "InvalidCloudWatchLogsLogGroupArnException"},
		{"group in another account", grp("us-east-1", "555555555555", "sandbox-data"), role("CloudTrailCWLogsRole"), "InvalidCloudWatchLogsLogGroupArnException"},
		{"group without role", grp("us-east-1", "444444444444", "staging-untrusted"), "", "InvalidCloudWatchLogsRoleArnException"},
		{"missing role", grp("us-east-1", "444444444444", "staging-untrusted"), role("Nope"), "InvalidCloudWatchLogsRoleArnException"},
		{"untrusted role", grp("us-east-1", "444444444444", "staging-untrusted"), role("UntrustedRole"), "InvalidCloudWatchLogsRoleArnException"},
		{"valid", grp("us-east-1", "444444444444", "staging-untrusted"), role("CloudTrailCWLogsRole"), ""},
		{"clear", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("staging-untrusted"),
				CloudWatchLogsLogGroupArn: aws.String(tc.group), CloudWatchLogsRoleArn: aws.String(tc.role)})
			if got := apiCode(err); got != tc.code {
				t.Fatalf("code %q, want %q (%v)", got, tc.code, err)
			}
			if err == nil && aws.ToString(out.CloudWatchLogsLogGroupArn) != tc.group {
				t.Errorf("group after update = %q", aws.ToString(out.CloudWatchLogsLogGroupArn))
			}
		})
	}
}

// TestDeliveryPhysics breaks each link of a healthy pipeline, checks delivery stops at that moment with a reason, then
// fixes it and checks the first delivery arrives after the first-delivery delay.
func TestDeliveryPhysics(t *testing.T) {
	const sc = `
now: 2026-11-22T12:00:00Z
first_delivery_delay: 10m
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails: [{name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}]
    log_groups: [{name: CT, region: us-east-1}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
`
	trustDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	permDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:111111111111:log-group:CT:*"}]}`
	ctx := context.Background()
	type step func(s *Server) error
	tests := []struct {
		name      string
		brk, fix  step
		wantError string
	}{
		{"log group deleted",
			func(s *Server) error {
				_, err := cloudwatchlogs.NewFromConfig(s.SDKConfig(mgmt, "us-east-1")).DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("CT")})
				return err
			},
			func(s *Server) error {
				_, err := cloudwatchlogs.NewFromConfig(s.SDKConfig(mgmt, "us-east-1")).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("CT")})
				return err
			}, "does not exist"},
		{"role deleted",
			func(s *Server) error {
				c := iam.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
				if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("R")}); apiCode(err) != "DeleteConflict" {
					t.Errorf("delete role with policies: %v", err)
				}
				if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String("CloudTrailDelivery")}); err != nil {
					return err
				}
				_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("R")})
				return err
			},
			func(s *Server) error {
				c := iam.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
				if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("R"), AssumeRolePolicyDocument: aws.String(trustDoc)}); err != nil {
					return err
				}
				_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String("p"), PolicyDocument: aws.String(permDoc)})
				return err
			}, "Access denied"},
		{"role trust broken",
			func(s *Server) error {
				_, err := iam.NewFromConfig(s.SDKConfig(mgmt, "us-east-1")).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("R"),
					PolicyDocument: aws.String(strings.Replace(trustDoc, "cloudtrail", "logs", 1))})
				return err
			},
			func(s *Server) error {
				_, err := iam.NewFromConfig(s.SDKConfig(mgmt, "us-east-1")).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("R"), PolicyDocument: aws.String(trustDoc)})
				return err
			}, "trust relationships"},
		{"role stripped",
			func(s *Server) error {
				_, err := iam.NewFromConfig(s.SDKConfig(mgmt, "us-east-1")).DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String("CloudTrailDelivery")})
				return err
			},
			func(s *Server) error {
				_, err := iam.NewFromConfig(s.SDKConfig(mgmt, "us-east-1")).AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String("arn:aws:iam::aws:policy/CloudWatchLogsFullAccess")})
				return err
			}, "permissions for your role"},
		{"logging stopped",
			func(s *Server) error {
				_, err := ct(s, mgmt, "us-east-1").StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("main")})
				return err
			},
			func(s *Server) error {
				_, err := ct(s, mgmt, "us-east-1").StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
				return err
			}, ""},
		{"integration cleared",
			func(s *Server) error {
				_, err := ct(s, mgmt, "us-east-1").UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"), CloudWatchLogsLogGroupArn: aws.String(""), CloudWatchLogsRoleArn: aws.String("")})
				return err
			},
			func(s *Server) error {
				_, err := ct(s, mgmt, "us-east-1").UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"),
					CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:111111111111:log-group:CT:*"), CloudWatchLogsRoleArn: aws.String("arn:aws:iam::111111111111:role/R")})
				return err
			}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, sc)
			status := func() (time.Time, string) {
				st, err := ct(s, mgmt, "us-east-1").GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
				if err != nil {
					t.Fatal(err)
				}
				return aws.ToTime(st.LatestCloudWatchLogsDeliveryTime), aws.ToString(st.LatestCloudWatchLogsDeliveryError)
			}
			s.Advance(7 * time.Minute)
			last, e := status()
			if e != "" || s.Now().Sub(last) > deliveryPeriod {
				t.Fatalf("healthy: last %v (now %v), error %q", last, s.Now(), e)
			}
			if err := tc.brk(s); err != nil {
				t.Fatal(err)
			}
			brokeAt := s.Now()
			s.Advance(3 * time.Hour)
			last, e = status()
			if last.After(brokeAt) || brokeAt.Sub(last) > deliveryPeriod {
				t.Errorf("after break: last delivery %v, broke at %v", last, brokeAt)
			}
			if !strings.Contains(e, tc.wantError) || (tc.wantError == "" && e != "") {
				t.Errorf("after break: error %q, want it to contain %q", e, tc.wantError)
			}
			if err := tc.fix(s); err != nil {
				t.Fatal(err)
			}
			fixedAt := s.Now()
			s.Advance(9 * time.Minute)
			if l, _ := status(); !l.Equal(last) {
				t.Errorf("before first delivery: last %v, want still %v", l, last)
			}
			s.Advance(2 * time.Minute)
			l, e := status()
			if !l.Equal(fixedAt.Add(10*time.Minute)) || e != "" {
				t.Errorf("after fix: last %v (want %v), error %q", l, fixedAt.Add(10*time.Minute), e)
			}
		})
	}
}

func TestCreateDeleteTrailAndTags(t *testing.T) {
	s := start(t, `
organization: {id: o-a1b2c3d4e5, management_account: "111111111111"}
accounts:
  - {id: "111111111111", regions: [us-east-1, eu-west-1]}
  - {id: "333333333333", regions: [us-east-1]}
`)
	ctx := context.Background()
	c := ct(s, mgmt, "eu-west-1")
	out, err := c.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("new"), S3BucketName: aws.String("b"),
		IsMultiRegionTrail: aws.Bool(true), IsOrganizationTrail: aws.Bool(true), TagsList: []cttypes.Tag{{Key: aws.String("team"), Value: aws.String("sec")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.TrailARN)
	if arn != "arn:aws:cloudtrail:eu-west-1:111111111111:trail/new" || out.CloudWatchLogsLogGroupArn != nil {
		t.Errorf("created %+v", out)
	}
	if _, err := c.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("new"), S3BucketName: aws.String("b")}); apiCode(err) != "TrailAlreadyExistsException" {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := ct(s, member, "us-east-1").CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("xx1"), S3BucketName: aws.String("b"), IsOrganizationTrail: aws.Bool(true)}); apiCode(err) != "NotOrganizationMasterAccountException" {
		t.Errorf("member org trail: %v", err)
	}
	tags, err := c.ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{arn}})
	if err != nil || len(tags.ResourceTagList) != 1 || aws.ToString(tags.ResourceTagList[0].TagsList[0].Value) != "sec" {
		t.Errorf("tags %+v %v", tags, err)
	}
	if _, err := ct(s, member, "us-east-1").ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{arn}}); apiCode(err) != "CloudTrailARNInvalidException" {
		t.Errorf("member list tags on org trail: %v", err)
	}
	if _, err := ct(s, mgmt, "us-east-1").ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{arn}}); apiCode(err) != "CloudTrailARNInvalidException" {
		t.Errorf("list tags from another region: %v", err)
	}
	// The member now sees the new organization trail.
	d, _ := ct(s, member, "us-east-1").DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	if len(d.TrailList) != 1 {
		t.Errorf("member sees %d trails", len(d.TrailList))
	}
	st, _ := c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("new")})
	if aws.ToBool(st.IsLogging) {
		t.Error("new trail logs before StartLogging")
	}
	if _, err := c.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("new")}); apiCode(err) != "TrailNotFoundException" {
		t.Errorf("after delete: %v", err)
	}
}

func TestListTrailsPagination(t *testing.T) {
	var b strings.Builder
	b.WriteString("accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    trails:\n")
	for i := 0; i < 23; i++ {
		b.WriteString("      - {name: trail-" + string(rune('a'+i)) + "x, home_region: us-east-1}\n")
	}
	s := start(t, b.String())
	p := cloudtrail.NewListTrailsPaginator(ct(s, mgmt, "us-east-1"), &cloudtrail.ListTrailsInput{})
	n, pages := 0, 0
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.Trails)
		pages++
	}
	if n != 23 || pages != 3 {
		t.Errorf("got %d trails in %d pages", n, pages)
	}
}

func TestLogs(t *testing.T) {
	s := start(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    log_groups:
      - {name: a, region: us-east-1, retention_days: 30}
      - {name: b, region: us-east-1}
      - {name: c, region: eu-west-1}
`)
	ctx := context.Background()
	c := cloudwatchlogs.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	for i := 0; i < 60; i++ {
		if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(fmt.Sprintf("gen/%02d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("a")}); apiCode(err) != "ResourceAlreadyExistsException" {
		t.Errorf("duplicate: %v", err)
	}
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, &cloudwatchlogs.DescribeLogGroupsInput{})
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.LogGroups)
	}
	if n != 62 {
		t.Errorf("paged %d groups, want 62", n)
	}
	out, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("a")})
	if err != nil || len(out.LogGroups) != 1 {
		t.Fatalf("prefix: %v %v", out, err)
	}
	g := out.LogGroups[0]
	if aws.ToInt32(g.RetentionInDays) != 30 || aws.ToString(g.Arn) != "arn:aws:logs:us-east-1:111111111111:log-group:a:*" || aws.ToString(g.LogGroupArn) != "arn:aws:logs:us-east-1:111111111111:log-group:a" {
		t.Errorf("group %+v", g)
	}
	out, _ = c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("b")})
	if out.LogGroups[0].RetentionInDays != nil {
		t.Error("never-expire group has retentionInDays")
	}
	if _, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("b"), RetentionInDays: aws.Int32(366)}); apiCode(err) != "InvalidParameterException" {
		t.Errorf("retention 366: %v", err)
	}
	if _, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("b"), RetentionInDays: aws.Int32(365)}); err != nil {
		t.Error(err)
	}
	if _, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("zz"), RetentionInDays: aws.Int32(365)}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("missing group: %v", err)
	}
	if _, err := c.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String("arn:aws:logs:us-east-1:111111111111:log-group:b"), Tags: map[string]string{"k": "v"}}); err != nil {
		t.Error(err)
	}
	tags, err := c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:logs:us-east-1:111111111111:log-group:b")})
	if err != nil || tags.Tags["k"] != "v" {
		t.Errorf("tags %v %v", tags, err)
	}
	if _, err := c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("c")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("delete group of another region: %v", err)
	}
}

func TestIAM(t *testing.T) {
	s := start(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    managed_policies: [{name: ctlogs, document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "logs:*", Resource: "*"}]}}]
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery, attached: [ctlogs, CloudWatchLogsFullAccess]}
`)
	ctx := context.Background()
	c := iam.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	r, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}) // names are case-insensitive
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(r.Role.AssumeRolePolicyDocument))
	if !strings.Contains(doc, "cloudtrail.amazonaws.com") || aws.ToString(r.Role.Arn) != "arn:aws:iam::111111111111:role/R" {
		t.Errorf("role %+v doc %s", r.Role, doc)
	}
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")}); apiCode(err) != "NoSuchEntity" {
		t.Errorf("missing role: %v", err)
	}
	names, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("R")})
	if err != nil || len(names.PolicyNames) != 1 {
		t.Fatalf("inline names %v %v", names, err)
	}
	rp, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String(names.PolicyNames[0])})
	if err != nil || !strings.Contains(aws.ToString(rp.PolicyDocument), "%22logs%3APutLogEvents%22") {
		t.Errorf("inline doc %v %v", rp, err)
	}
	att, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("R"), MaxItems: aws.Int32(1)})
	if err != nil || len(att.AttachedPolicies) != 1 || !att.IsTruncated {
		t.Fatalf("attached page 1: %+v %v", att, err)
	}
	att2, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("R"), Marker: att.Marker})
	if err != nil || len(att2.AttachedPolicies) != 1 || att2.IsTruncated {
		t.Fatalf("attached page 2: %+v %v", att2, err)
	}
	arn := aws.ToString(att.AttachedPolicies[0].PolicyArn)
	pol, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil || aws.ToString(pol.Policy.DefaultVersionId) != "v1" {
		t.Fatalf("policy %v %v", pol, err)
	}
	ver, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})
	if err != nil || !strings.Contains(aws.ToString(ver.PolicyVersion.Document), "logs%3A%2A") {
		t.Errorf("version %v %v", ver, err)
	}
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("R"), AssumeRolePolicyDocument: aws.String("{}")}); apiCode(err) != "EntityAlreadyExists" {
		t.Errorf("duplicate role: %v", err)
	}
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("New"), AssumeRolePolicyDocument: aws.String("{nope")}); apiCode(err) != "MalformedPolicyDocument" {
		t.Errorf("malformed: %v", err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String("arn:aws:iam::aws:policy/Nope")}); apiCode(err) != "NoSuchEntity" {
		t.Errorf("attach missing: %v", err)
	}
}

func TestSTSAndOrganizations(t *testing.T) {
	s := startFile(t, "../../examples/organization.yaml")
	ctx := context.Background()
	id, err := sts.NewFromConfig(s.SDKConfig(mgmt, "us-east-1")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != mgmt {
		t.Fatalf("identity %v %v", id, err)
	}
	ar, err := sts.NewFromConfig(s.SDKConfig(mgmt, "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("trailwatch")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(ar.Credentials.AccessKeyId), "ASIA") {
		t.Errorf("temporary key %q", aws.ToString(ar.Credentials.AccessKeyId))
	}
	cfg := s.SDKConfig(member, "us-east-1")
	cfg.Credentials = aws.NewCredentialsCache(staticProvider{aws.Credentials{AccessKeyID: aws.ToString(ar.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(ar.Credentials.SecretAccessKey), SessionToken: aws.ToString(ar.Credentials.SessionToken)}})
	id, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != member || !strings.Contains(aws.ToString(id.Arn), "assumed-role/OrganizationAccountAccessRole/trailwatch") {
		t.Errorf("assumed identity %v %v", id, err)
	}
	// Without the session token the temporary key is rejected.
	cfg.Credentials = aws.NewCredentialsCache(staticProvider{aws.Credentials{AccessKeyID: aws.ToString(ar.Credentials.AccessKeyId), SecretAccessKey: "x"}})
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("missing token: %v", err)
	}
	// A member may not assume into another member (the access role trusts only the management account).
	if _, err := sts.NewFromConfig(s.SDKConfig(member, "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::444444444444:role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("x1")}); apiCode(err) != "AccessDenied" {
		t.Errorf("member assume: %v", err)
	}

	oc := organizations.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	org, err := oc.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil || aws.ToString(org.Organization.Id) != "o-a1b2c3d4e5" {
		t.Fatalf("org %v %v", org, err)
	}
	p := organizations.NewListAccountsPaginator(oc, &organizations.ListAccountsInput{MaxResults: aws.Int32(4)})
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.Accounts)
	}
	if n != 6 {
		t.Errorf("listed %d accounts", n)
	}
	if d, err := oc.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(member)}); err != nil || aws.ToString(d.Account.Id) != member {
		t.Errorf("describe account: %v %+v", err, d)
	}
	if _, err := oc.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("999999999999")}); apiCode(err) != "AccountNotFoundException" {
		t.Errorf("describe an account the organization does not have: %v", err)
	}
	tags, err := oc.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(member)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "production" {
		t.Errorf("tags %v %v", tags, err)
	}
	da, err := oc.ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String("cloudtrail.amazonaws.com")})
	if err != nil || len(da.DelegatedAdministrators) != 1 || aws.ToString(da.DelegatedAdministrators[0].Id) != "222222222222" {
		t.Errorf("delegated %v %v", da, err)
	}
	if _, err := organizations.NewFromConfig(s.SDKConfig(member, "us-east-1")).ListAccounts(ctx, &organizations.ListAccountsInput{}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("member lists accounts: %v", err)
	}
	if _, err := organizations.NewFromConfig(s.SDKConfig("222222222222", "us-east-1")).ListAccounts(ctx, &organizations.ListAccountsInput{}); err != nil {
		t.Errorf("delegated admin lists accounts: %v", err)
	}
}

type staticProvider struct{ c aws.Credentials }

func (p staticProvider) Retrieve(context.Context) (aws.Credentials, error) { return p.c, nil }

func TestRegionsAndDisabledRegion(t *testing.T) {
	s := start(t, `
accounts:
  - {id: "111111111111", regions: [us-east-1, eu-west-1, af-south-1]}
`)
	ctx := context.Background()
	c := ec2.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	out, err := c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range out.Regions {
		names = append(names, aws.ToString(r.RegionName))
	}
	if strings.Join(names, ",") != "af-south-1,eu-west-1,us-east-1" {
		t.Errorf("enabled regions %v", names)
	}
	all, err := c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, r := range all.Regions {
		status[aws.ToString(r.RegionName)] = aws.ToString(r.OptInStatus)
	}
	// botocore endpoints.json lists 34 commercial regions (ap-east-2 and ap-southeast-6 the newest, issue 16).
	if len(all.Regions) != 34 || status["af-south-1"] != "opted-in" || status["me-south-1"] != "not-opted-in" || status["us-west-2"] != "opt-in-not-required" {
		t.Errorf("all regions: %d %v", len(all.Regions), status)
	}
	// A default region the account has (hypothetically) not got and an opt-in region it never enabled both answer
	// with the authentication error.
	_, err = ct(s, mgmt, "me-south-1").DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	if apiCode(err) != "UnrecognizedClientException" {
		t.Errorf("disabled region (JSON): %v", err)
	}
	_, err = sts.NewFromConfig(s.SDKConfig(mgmt, "me-south-1")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("disabled region (query): %v", err)
	}
}

func TestAuthenticationErrors(t *testing.T) {
	s := startFile(t, "../../examples/organization.yaml")
	ctx := context.Background()
	cfg := s.SDKConfig(mgmt, "us-east-1")
	cfg.Credentials = aws.NewCredentialsCache(staticProvider{aws.Credentials{AccessKeyID: "AKIAUNKNOWN000000000", SecretAccessKey: "x"}})
	if _, err := cloudtrail.NewFromConfig(cfg).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{}); apiCode(err) != "UnrecognizedClientException" {
		t.Errorf("unknown key JSON: %v", err)
	}
	if _, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("x")}); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("unknown key query: %v", err)
	}
	// Unsigned requests.
	resp, err := http.Post(s.URL, "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("unsigned query: status %d", resp.StatusCode)
	}
}

func TestFaultsThrottlingAndCounters(t *testing.T) {
	s := start(t, `
rate_limits: true
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: aaa1, home_region: us-east-1}
      - {name: bbb1, home_region: us-east-1}
    faults:
      - {operation: cloudtrail:GetTrailStatus, resource: bbb1, error: AccessDeniedException}
      - {operation: cloudtrail:DescribeTrails, region: eu-west-1, error: AccessDeniedException}
      - {operation: logs:DescribeLogGroups, error: ThrottlingException, count: 2}
`)
	ctx := context.Background()
	c := ct(s, mgmt, "us-east-1")
	if _, err := c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("aaa1")}); err != nil {
		t.Errorf("a1: %v", err)
	}
	if _, err := c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("bbb1")}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("b1: %v", err)
	}
	if _, err := ct(s, mgmt, "eu-west-1").DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("eu-west-1: %v", err)
	}
	if _, err := c.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{}); err != nil {
		t.Errorf("us-east-1: %v", err)
	}
	lc := cloudwatchlogs.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	for i, want := range []string{"ThrottlingException", "ThrottlingException", ""} {
		if _, err := lc.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{}); apiCode(err) != want {
			t.Errorf("logs call %d: %v, want %q", i, err, want)
		}
	}
	// CloudTrail reads are limited to 10 per second per account and region: a burst of 30 is throttled.
	throttled := 0
	for i := 0; i < 30; i++ {
		if _, err := c.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("aaa1")}); apiCode(err) == "ThrottlingException" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("no throttling in a burst of 30 reads")
	}
	if got := s.CallsTo("cloudtrail:GetTrailStatus"); got != 2 {
		t.Errorf("GetTrailStatus calls = %d", got)
	}
	if got := s.CallsTo("logs:*"); got != 3 {
		t.Errorf("logs calls = %d", got)
	}
	var errs int
	for _, cc := range s.Counters() {
		if cc.Operation == "GetTrail" {
			errs = cc.Errors["ThrottlingException"]
		}
	}
	if errs != throttled {
		t.Errorf("counted %d throttling errors, saw %d", errs, throttled)
	}
	// The admin endpoint serves the same counters and moves the clock.
	resp, err := http.Get(s.URL + "/_sim/counters")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin counters: %v", err)
	}
	resp.Body.Close()
	before := s.Now()
	resp, err = http.Post(s.URL+"/_sim/clock?advance=2h", "", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin clock: %v", err)
	}
	resp.Body.Close()
	if s.Now().Sub(before) != 2*time.Hour {
		t.Errorf("clock moved %v", s.Now().Sub(before))
	}
}

func TestScenarioErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"accounts:\n  - id: 1234\n", "line 2: account id \"1234\""},
		{"accounts:\n  - id: \"111111111111\"\n    trails:\n      - {name: tr1, home_region: us-east-1, colour: red}\n", "line 4: unknown field \"colour\""},
		{"accounts:\n  - id: \"111111111111\"\n    regions: [mars-1]\n", "region \"mars-1\""},
		{"accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    trails:\n      - name: tr1\n        home_region: eu-west-1\n", "line 5: trail tr1: home_region eu-west-1 is not an enabled region"},
		{"accounts:\n  - id: \"111111111111\"\n    log_groups:\n      - {name: g, region: us-east-1, retention_days: 366}\n", "line 4: log group g: retention_days 366"},
		{"latency: soon\naccounts: []\n", "invalid duration \"soon\""},
		{"accounts: []\n", "no accounts"},
		{"accounts:\n  - id: \"111111111111\"\n    trails:\n      - {name: tr1, home_region: us-east-1, organization: true}\n", "organization trails belong to the management account"},
		{"accounts:\n  - id: \"111111111111\"\n    faults:\n      - {operation: s3:GetObject, error: X}\n", "line 4: fault operation \"s3:GetObject\""},
		// Issue 23: a negative count was accepted (and applied to no call, silently).
		{"faults:\n  - {operation: \"cloudtrail:*\", error: X, count: -3}\naccounts:\n  - id: \"111111111111\"\n", "line 2: fault count -3"},
		{"faults:\n  - {operation: \"cloudtrail:*\", error: X, after: -1}\naccounts:\n  - id: \"111111111111\"\n", "line 2: fault after -1"},
		{"accounts:\n  - id: \"111111111111\"\n    trails:\n      - {name: tr1, home_region: us-east-1, delivery: {last: yesterday}}\n", "delivery.last"},
		{"accounts:\n  - id: \"111111111111\"\n    roles:\n      - {name: r, trust: '{bad'}\n", "line 4: role r: trust"},
	}
	for _, tc := range tests {
		_, err := ParseScenario("bad.yaml", []byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "bad.yaml") {
			t.Errorf("scenario %q: error %v, want it to contain %q", tc.text, err, tc.want)
		}
	}
}

// TestIAMListRoles: ListRoles pages the account's roles by name with Marker/MaxItems and filters by PathPrefix
// (issue 11: clients list state with it).
func TestIAMListRoles(t *testing.T) {
	s := start(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    roles:
      - {name: Bravo, trust: cloudtrail, policy: cloudtrail-delivery}
      - {name: Alpha, trust: cloudtrail, policy: cloudtrail-delivery}
      - {name: Charlie, trust: cloudtrail, policy: cloudtrail-delivery}
`)
	ctx := context.Background()
	c := iam.NewFromConfig(s.SDKConfig(mgmt, "us-east-1"))
	var names []string
	p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.Roles {
			names = append(names, aws.ToString(r.RoleName))
			if doc, _ := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument)); !strings.Contains(doc, "cloudtrail.amazonaws.com") {
				t.Errorf("%s trust %q", aws.ToString(r.RoleName), doc)
			}
		}
	}
	if strings.Join(names, ",") != "Alpha,Bravo,Charlie" || pages != 2 {
		t.Errorf("roles %v in %d pages", names, pages)
	}
	out, err := c.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/service-role/")})
	if err != nil || len(out.Roles) != 0 {
		t.Errorf("path prefix: %v %v", out, err)
	}
}

// lossyTransport performs the first request of each call, then reports the connection reset, as a loaded machine does
// when the answer is lost on its way back.
type lossyTransport struct {
	base http.RoundTripper
	lost map[string]bool
}

func (l *lossyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(r)
	if id := r.Header.Get("Amz-Sdk-Invocation-Id"); err == nil && !l.lost[id] {
		l.lost[id] = true
		resp.Body.Close()
		return nil, errors.New("read tcp: connection reset by peer")
	}
	return resp, err
}

// TestCountersCountACallOnce: an answer lost to a connection reset makes the SDK try again with the same invocation
// id; the server answered the first attempt, so the call is counted once (field trial: a call budget test counted 3
// DescribeMetricFilters for 2 under load).
func TestCountersCountACallOnce(t *testing.T) {
	s := start(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
`)
	cfg := s.SDKConfig("111111111111", "us-east-1")
	cfg.HTTPClient = &http.Client{Transport: &lossyTransport{base: http.DefaultTransport, lost: map[string]bool{}}}
	ctx := context.Background()
	if _, err := cloudtrail.NewFromConfig(cfg).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{}); err != nil {
		t.Fatal(err)
	}
	if n := s.CallsTo("cloudtrail:DescribeTrails"); n != 1 {
		t.Errorf("DescribeTrails counted %d times, want 1", n)
	}
	// Two calls are two, whatever the transport.
	if _, err := cloudtrail.NewFromConfig(cfg).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{}); err != nil {
		t.Fatal(err)
	}
	if n := s.CallsTo("cloudtrail:DescribeTrails"); n != 2 {
		t.Errorf("two DescribeTrails counted %d times, want 2", n)
	}
}
