// Package collect reads one AWS account's CloudTrail-to-CloudWatch-Logs pipeline into the model: enabled regions,
// trails (deduplicated by ARN, shadows and organization trails included), each trail's status and event selectors read
// in its home region by ARN, its log group and its delivery role with their policies. It is read-only by construction:
// the interfaces below hold only the read calls it makes. A failed call becomes a model.CallError on exactly what it
// touched, and collection goes on.
package collect

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// CloudTrailAPI is the CloudTrail reads the collector makes.
type CloudTrailAPI interface {
	DescribeTrails(context.Context, *cloudtrail.DescribeTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
	GetTrailStatus(context.Context, *cloudtrail.GetTrailStatusInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	GetEventSelectors(context.Context, *cloudtrail.GetEventSelectorsInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
}

// LogsAPI is the CloudWatch Logs reads the collector makes.
type LogsAPI interface {
	DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
}

// IAMAPI is the IAM reads the collector makes.
type IAMAPI interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	GetRolePolicy(context.Context, *iam.GetRolePolicyInput, ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	GetPolicyVersion(context.Context, *iam.GetPolicyVersionInput, ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
}

// EC2API lists enabled regions.
type EC2API interface {
	DescribeRegions(context.Context, *ec2.DescribeRegionsInput, ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
}

// STSAPI identifies the caller.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// OrganizationsAPI reads the caller's organization.
type OrganizationsAPI interface {
	DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
}

// Clients gives the collector its per-region clients for one account.
type Clients interface {
	CloudTrail(region string) CloudTrailAPI
	Logs(region string) LogsAPI
	EC2(region string) EC2API
	IAM() IAMAPI
	STS() STSAPI
	Organizations() OrganizationsAPI
}

// SDKClients builds real aws-sdk-go-v2 clients from one aws.Config, one per service and region, created on first use.
type SDKClients struct {
	cfg aws.Config
	mu  sync.Mutex
	ct  map[string]*cloudtrail.Client
	lg  map[string]*cloudwatchlogs.Client
	ec  map[string]*ec2.Client
	iam *iam.Client
	sts *sts.Client
	org *organizations.Client
}

var _ Clients = (*SDKClients)(nil)

// NewSDKClients returns clients for the account cfg's credentials belong to.
func NewSDKClients(cfg aws.Config) *SDKClients {
	return &SDKClients{cfg: cfg, ct: map[string]*cloudtrail.Client{}, lg: map[string]*cloudwatchlogs.Client{}, ec: map[string]*ec2.Client{}}
}

// CloudTrail returns the CloudTrail client of region.
func (c *SDKClients) CloudTrail(region string) CloudTrailAPI {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ct[region] == nil {
		c.ct[region] = cloudtrail.NewFromConfig(c.cfg, func(o *cloudtrail.Options) { o.Region = region })
	}
	return c.ct[region]
}

// Logs returns the CloudWatch Logs client of region.
func (c *SDKClients) Logs(region string) LogsAPI {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lg[region] == nil {
		c.lg[region] = cloudwatchlogs.NewFromConfig(c.cfg, func(o *cloudwatchlogs.Options) { o.Region = region })
	}
	return c.lg[region]
}

// EC2 returns the EC2 client of region.
func (c *SDKClients) EC2(region string) EC2API {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ec[region] == nil {
		c.ec[region] = ec2.NewFromConfig(c.cfg, func(o *ec2.Options) { o.Region = region })
	}
	return c.ec[region]
}

// IAM returns the IAM client.
func (c *SDKClients) IAM() IAMAPI {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.iam == nil {
		c.iam = iam.NewFromConfig(c.cfg)
	}
	return c.iam
}

// STS returns the STS client.
func (c *SDKClients) STS() STSAPI {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sts == nil {
		c.sts = sts.NewFromConfig(c.cfg)
	}
	return c.sts
}

// Organizations returns the Organizations client.
func (c *SDKClients) Organizations() OrganizationsAPI {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.org == nil {
		c.org = organizations.NewFromConfig(c.cfg)
	}
	return c.org
}
