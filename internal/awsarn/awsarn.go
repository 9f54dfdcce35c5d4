// Package awsarn is the one place trailwatch reads and writes the ARNs of the resources it judges and fixes (trails,
// log groups and their streams, roles and policies, topics, alarms), in every partition, through the SDK's aws/arn.
// Nothing else splits an ARN by hand: code that needs an ARN's sections reads them here or through aws/arn itself.
// The simulator (internal/awssim) keeps its own, as the oracle it is (internal/layering).
//
// Formats: the IAM User Guide's "IAM identifiers" and the Service Authorization Reference's resource types
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns,
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html): a log group is
// arn:<partition>:logs:<region>:<account>:log-group:<name>, and CloudTrail stores it with ":*" appended
// (CloudTrail API Reference, Trail.CloudWatchLogsLogGroupArn); a stream is ...:log-group:<name>:log-stream:<stream>;
// IAM resources have no region (arn:<partition>:iam::<account>:role/<name>).
package awsarn

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Parse reads an ARN; ok is false for anything that is not one (aws/arn's rule: "arn:" and six sections).
func Parse(s string) (arn.ARN, bool) {
	a, err := arn.Parse(s)
	return a, err == nil
}

// Partition is the partition an ARN names, "aws" when s is not an ARN or names none.
func Partition(s string) string {
	if a, ok := Parse(s); ok && a.Partition != "" {
		return a.Partition
	}
	return "aws"
}

// Where is the region and account an ARN names ("" for what it does not name, or when s is not an ARN).
func Where(s string) (region, account string) {
	a, ok := Parse(s)
	if !ok {
		return "", ""
	}
	return a.Region, a.AccountID
}

// Of builds an ARN from its sections (the resource types with no constructor of their own: an organization, an EC2
// region).
func Of(partition, service, region, account, resource string) string {
	return build(partition, service, region, account, resource)
}

func build(partition, service, region, account, resource string) string {
	return arn.ARN{Partition: partition, Service: service, Region: region, AccountID: account, Resource: resource}.String()
}

// LogGroup names a CloudWatch Logs log group.
type LogGroup struct {
	Partition, Region, Account, Name string
}

// ParseLogGroup reads a log group ARN, with or without the ":*" CloudTrail stores; ok is false for anything else.
func ParseLogGroup(s string) (LogGroup, bool) {
	a, ok := Parse(s)
	if !ok || a.Service != "logs" || !strings.HasPrefix(a.Resource, "log-group:") {
		return LogGroup{}, false
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(a.Resource, "log-group:"), ":")
	if name == "" {
		return LogGroup{}, false
	}
	return LogGroup{Partition: a.Partition, Region: a.Region, Account: a.AccountID, Name: name}, true
}

// ARN is the group's ARN in the form CloudTrail stores and DescribeLogGroups returns as arn (with ":*").
func (g LogGroup) ARN() string {
	return build(g.Partition, "logs", g.Region, g.Account, "log-group:"+g.Name+":*")
}

// Bare is the group's ARN without ":*" (DescribeLogGroups' logGroupArn; what a tag or a resource policy names).
func (g LogGroup) Bare() string {
	return build(g.Partition, "logs", g.Region, g.Account, "log-group:"+g.Name)
}

// StreamARN is the ARN of one of the group's streams, the resource IAM evaluates CreateLogStream and PutLogEvents on.
func (g LogGroup) StreamARN(stream string) string {
	return build(g.Partition, "logs", g.Region, g.Account, "log-group:"+g.Name+":log-stream:"+stream)
}

// LogGroupARN is the ARN (with ":*") of the log group name in region and account.
func LogGroupARN(partition, region, account, name string) string {
	return LogGroup{Partition: partition, Region: region, Account: account, Name: name}.ARN()
}

// LogGroupBare is the ARN of the log group name without ":*" (DescribeLogGroups' logGroupArn).
func LogGroupBare(partition, region, account, name string) string {
	return LogGroup{Partition: partition, Region: region, Account: account, Name: name}.Bare()
}

// Trail is the ARN of a trail ("*" for every trail).
func Trail(partition, region, account, name string) string {
	return build(partition, "cloudtrail", region, account, "trail/"+name)
}

// Role is the ARN of an IAM role (no path).
func Role(partition, account, name string) string {
	return build(partition, "iam", "", account, "role/"+name)
}

// AssumedRole is the ARN of a session of a role assumed under session, as STS returns it and CloudTrail records the
// calls made in it (userIdentity.arn): arn:<partition>:sts::<account>:assumed-role/<role name>/<session>, the role's
// path left out (IAM User Guide, "IAM identifiers": assumed role session ARNs).
func AssumedRole(partition, account, role, session string) string {
	return build(partition, "sts", "", account, "assumed-role/"+ResourceName(role)+"/"+session)
}

// Policy is the ARN of a customer managed IAM policy (no path).
func Policy(partition, account, name string) string {
	return build(partition, "iam", "", account, "policy/"+name)
}

// Topic is the ARN of an SNS topic.
func Topic(partition, region, account, name string) string {
	return build(partition, "sns", region, account, name)
}

// Alarm is the ARN of a CloudWatch alarm.
func Alarm(partition, region, account, name string) string {
	return build(partition, "cloudwatch", region, account, "alarm:"+name)
}

// ResourceName is the last segment of an ARN's resource (an IAM role's or policy's name without its path); a string
// that is not an ARN gives what follows its last "/".
func ResourceName(s string) string {
	res := s
	if a, ok := Parse(s); ok {
		res = a.Resource
	}
	return res[strings.LastIndex(res, "/")+1:]
}

// RoleName is the name of the role an IAM role ARN names: the last segment of its resource (role/NAME or
// role/PATH/NAME); a string that is not an ARN gives what follows its last "/".
func RoleName(roleARN string) string { return ResourceName(roleARN) }
