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
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/observabilityadmin"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// CloudTrailAPI is the CloudTrail reads the collector makes.
type CloudTrailAPI interface {
	DescribeTrails(context.Context, *cloudtrail.DescribeTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
	GetTrailStatus(context.Context, *cloudtrail.GetTrailStatusInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	GetEventSelectors(context.Context, *cloudtrail.GetEventSelectorsInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
	// ListTrails serves --discovery list only.
	ListTrails(context.Context, *cloudtrail.ListTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.ListTrailsOutput, error)
}

// LogsAPI is the CloudWatch Logs reads the collector makes.
type LogsAPI interface {
	DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	// DescribeMetricFilters reads a log group's metric filters (the alarm controls).
	DescribeMetricFilters(context.Context, *cloudwatchlogs.DescribeMetricFiltersInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error)
	// DescribeLogStreams reads when a telemetry rule's group last received an event.
	DescribeLogStreams(context.Context, *cloudwatchlogs.DescribeLogStreamsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error)
}

// CloudWatchAPI reads alarms (the alarm controls).
type CloudWatchAPI interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// SNSAPI reads a topic's subscriptions (the alarm controls).
type SNSAPI interface {
	ListSubscriptionsByTopic(context.Context, *sns.ListSubscriptionsByTopicInput, ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
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
	CloudWatch(region string) CloudWatchAPI
	SNS(region string) SNSAPI
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
	cw  map[string]*cloudwatch.Client
	sn  map[string]*sns.Client
	oa  map[string]*observabilityadmin.Client
}

var _ Clients = (*SDKClients)(nil)

// NewSDKClients returns clients for the account cfg's credentials belong to.
func NewSDKClients(cfg aws.Config) *SDKClients {
	return &SDKClients{cfg: cfg, ct: map[string]*cloudtrail.Client{}, lg: map[string]*cloudwatchlogs.Client{}, ec: map[string]*ec2.Client{},
		cw: map[string]*cloudwatch.Client{}, sn: map[string]*sns.Client{}}
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

// CloudWatch returns the CloudWatch client of region.
func (c *SDKClients) CloudWatch(region string) CloudWatchAPI {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cw[region] == nil {
		c.cw[region] = cloudwatch.NewFromConfig(c.cfg, func(o *cloudwatch.Options) { o.Region = region })
	}
	return c.cw[region]
}

// SNS returns the SNS client of region.
func (c *SDKClients) SNS(region string) SNSAPI {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sn[region] == nil {
		c.sn[region] = sns.NewFromConfig(c.cfg, func(o *sns.Options) { o.Region = region })
	}
	return c.sn[region]
}

// EventHistoryAPI reads CloudTrail event history. The SDK's CloudTrail client has it; a CloudTrailAPI that lacks it
// (a test fake) only means repairs made outside trailwatch are not looked up.
type EventHistoryAPI interface {
	LookupEvents(context.Context, *cloudtrail.LookupEventsInput, ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error)
}
