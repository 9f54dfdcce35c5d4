// Package iampolicy writes the least-privilege IAM policies each trailwatch mode needs: read (scan, one account or an
// organization, the alarm chain included), fix (read plus the writes of the one fix plan), watch (read plus the
// queue, the sinks and AWS Config's PutEvaluations) and prove (read plus the proof's markers and searches). A test records every call each mode makes against the simulator
// and checks that the mode's policy allows it, with the project's own policy evaluator.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Modes are the policies there are.
var Modes = []string{"read", "fix", "watch", "prove"}

// Actions of each mode. Read: the collection (collect, org) and the alarm chain. The list is the API each package
// calls; the test holds it to the calls actually made.
var readActions = []string{
	"sts:GetCallerIdentity", "ec2:DescribeRegions",
	"cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors", "cloudtrail:ListTrails", "cloudtrail:LookupEvents",
	"logs:DescribeLogGroups", "logs:DescribeMetricFilters",
	"iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:GetPolicy", "iam:GetPolicyVersion",
	"organizations:DescribeOrganization", "organizations:ListAccounts", "organizations:DescribeAccount", "organizations:ListRoots",
	"organizations:ListOrganizationalUnitsForParent", "organizations:ListAccountsForParent", "organizations:ListTagsForResource",
	"cloudwatch:DescribeAlarms", "sns:ListSubscriptionsByTopic",
	// scan --cost: each integrated log group's AWS/Logs IncomingBytes (collect/incoming.go). Metrics only: the scan
	// never reads the trails' S3 files (fix plan --cost does, with the fix policy).
	"cloudwatch:GetMetricData",
	// Capture without a trail: CloudWatch telemetry rules (collect/telemetry.go), the account's and, read once by the
	// organization scan's caller, the organization's; the newest stream of each rule's group (its delivery evidence).
	"observabilityadmin:GetTelemetryEvaluationStatus", "observabilityadmin:ListTelemetryRules", "observabilityadmin:GetTelemetryRule",
	"observabilityadmin:GetTelemetryEvaluationStatusForOrganization", "observabilityadmin:ListTelemetryRulesForOrganization",
	"observabilityadmin:GetTelemetryRuleForOrganization", "logs:DescribeLogStreams",
	// Capture outside CloudWatch Logs (collect/alternates.go): Security Lake's sources, CloudTrail Lake's stores.
	"securitylake:GetDataLakeSources", "securitylake:ListLogSources", "cloudtrail:ListEventDataStores", "cloudtrail:GetEventDataStore",
	// The CloudTrail service-linked channel a telemetry rule's events take (collect/telemetry.go).
	"cloudtrail:ListChannels", "cloudtrail:GetChannel",
}

// fixActions are the writes of the fix plan (remediate) and their undo. iam:PassRole: UpdateTrail hands CloudTrail
// the delivery role (CloudTrail user guide, "Sending events to CloudWatch Logs": the caller needs iam:PassRole on the
// role). The Tag actions: creating a log group, role or topic with tags needs the service's tagging permission too
// (CloudWatch Logs API reference, CreateLogGroup: "you must have the logs:CreateLogGroup and logs:TagResource
// permissions"; IAM CreateRole and SNS CreateTopic with Tags likewise). Neither is a call of its own, so the recorded
// calls cannot show them.
var fixActions = []string{
	"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:TagResource",
	"logs:PutMetricFilter", "logs:DeleteMetricFilter",
	"iam:CreateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:TagRole",
	"iam:PassRole",
	"cloudtrail:UpdateTrail", "cloudtrail:StartLogging", "cloudtrail:StopLogging",
	// fix --trail-bucket: the new trail of an account no trail covers, and its undo.
	"cloudtrail:CreateTrail", "cloudtrail:DeleteTrail",
	"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:EnableAlarmActions", "cloudwatch:DisableAlarmActions",
	"sns:CreateTopic", "sns:DeleteTopic", "sns:Subscribe", "sns:TagResource",
	// fix plan --cost: the trails' S3 delivery (GetBucketLocation; ListObjectsV2, which s3:ListBucket allows; a few
	// files). A bucket encrypted with SSE-KMS also needs kms:Decrypt on its key, which is not granted here: the
	// estimate says UNKNOWN and why.
	"s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject",
	// fix --via telemetry-rule: the rule, the evaluation it needs, and their undo.
	"observabilityadmin:StartTelemetryEvaluation", "observabilityadmin:StopTelemetryEvaluation",
	"observabilityadmin:CreateTelemetryRule", "observabilityadmin:DeleteTelemetryRule",
	// fix --via org-telemetry-rule: the organization's rule and evaluation, from the management account or a delegated
	// administrator, and their undo.
	"observabilityadmin:StartTelemetryEvaluationForOrganization", "observabilityadmin:StopTelemetryEvaluationForOrganization",
	"observabilityadmin:CreateTelemetryRuleForOrganization", "observabilityadmin:DeleteTelemetryRuleForOrganization",
}

// watchActions are the queue, the sinks and Config.
var watchActions = []string{
	"sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:DeleteMessage",
	"sns:Publish", "securityhub:BatchImportFindings", "config:PutEvaluations",
}

// proveActions are trailwatch prove's markers and searches. The write marker is a dry run of
// ec2:CreatePlacementGroup: IAM authorizes a dry run as the call itself (EC2 API reference, "DryRun: Checks whether
// you have the required permissions for the action, without actually making the request"), so the permission is
// the real one; trailwatch only ever sends it with DryRun, and a placement group costs nothing and grants nothing.
// logs:TestMetricFilter runs the stored filters (prove --alarms).
var proveActions = []string{"ec2:CreatePlacementGroup", "ec2:DescribeSecurityGroups", "logs:FilterLogEvents", "logs:TestMetricFilter"}

// Actions returns the actions of a mode, sorted.
func Actions(mode string) ([]string, error) {
	var out []string
	switch mode {
	case "read":
		out = append(out, readActions...)
	case "fix":
		out = append(append(out, readActions...), fixActions...)
	case "watch":
		out = append(append(out, readActions...), watchActions...)
	case "prove":
		out = append(append(out, readActions...), proveActions...)
	default:
		return nil, fmt.Errorf("mode %q: want one of %v", mode, Modes)
	}
	sort.Strings(out)
	return out, nil
}

// Options scope the policy.
type Options struct {
	// Partition for ARNs (default aws).
	Partition string
	// MemberRole is the role assumed in member accounts (--org); empty: no sts:AssumeRole statement.
	MemberRole string
	// DeliveryRolePrefix scopes iam:PassRole to the delivery roles fix creates or repairs (default "*": any role,
	// since a trail may already name any).
	DeliveryRolePrefix string
	// ImportFindings adds securityhub:BatchImportFindings on the account's own default product: a member's read role
	// when the watcher (watch or lambda --security-hub) imports that member's findings in its account, as Security Hub
	// requires of a finding's own account (issue 25: the read role could not).
	ImportFindings bool
}

type statement struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Action    []string       `json:"Action"`
	Resource  any            `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// Document renders a mode's policy.
func Document(mode string, o Options) (string, error) {
	actions, err := Actions(mode)
	if err != nil {
		return "", err
	}
	if o.Partition == "" {
		o.Partition = "aws"
	}
	var main, pass []string
	for _, a := range actions {
		if a == "iam:PassRole" {
			pass = append(pass, a)
			continue
		}
		main = append(main, a)
	}
	sts := []statement{{Sid: "Trailwatch" + title(mode), Effect: "Allow", Action: main, Resource: "*"}}
	if len(pass) > 0 {
		res := fmt.Sprintf("arn:%s:iam::*:role/*", o.Partition)
		if o.DeliveryRolePrefix != "" {
			res = fmt.Sprintf("arn:%s:iam::*:role/%s*", o.Partition, o.DeliveryRolePrefix)
		}
		sts = append(sts, statement{Sid: "PassDeliveryRoleToCloudTrail", Effect: "Allow", Action: pass, Resource: res,
			Condition: map[string]any{"StringEquals": map[string]string{"iam:PassedToService": "cloudtrail.amazonaws.com"}}})
	}
	if o.ImportFindings {
		sts = append(sts, statement{Sid: "ImportOwnFindings", Effect: "Allow", Action: []string{"securityhub:BatchImportFindings"},
			Resource: fmt.Sprintf("arn:%s:securityhub:*:*:product/*/default", o.Partition)})
	}
	if o.MemberRole != "" {
		sts = append(sts, statement{Sid: "AssumeMemberRole", Effect: "Allow", Action: []string{"sts:AssumeRole"},
			Resource: fmt.Sprintf("arn:%s:iam::*:role/%s", o.Partition, o.MemberRole)})
	}
	b, err := json.MarshalIndent(map[string]any{"Version": "2012-10-17", "Statement": sts}, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b) + "\n", nil
}

func title(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
