// Package guardrails writes the service-wide controls that keep trails integrated: an AWS Config conformance pack
// (the managed rules CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED and CW_LOGGROUP_RETENTION_PERIOD_CHECK) and a service control
// policy that denies stopping, deleting or rewiring trails and deleting their log groups and delivery roles, except
// for named administrator roles.
package guardrails

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ConformancePackOptions parameterise the pack.
type ConformancePackOptions struct {
	// MaxDeliveryAgeHours is expectedDeliveryWindowAge: the oldest acceptable CloudWatch Logs delivery.
	MaxDeliveryAgeHours int
	// MinRetentionDays is MinRetentionTime of the retention rule.
	MinRetentionDays int
}

// ConformancePack returns the template, in the pattern of AWS's own CIS conformance packs
// (awslabs/aws-config-rules aws-config-conformance-packs/Operational-Best-Practices-for-CIS-AWS-v1.4-Level1.yaml):
// parameters with defaults, AWS::Config::ConfigRule resources with Source Owner AWS.
func ConformancePack(o ConformancePackOptions) string {
	return fmt.Sprintf(`# AWS Config conformance pack written by trailwatch: CloudTrail trails are integrated with CloudWatch Logs
# (CIS AWS Foundations v1.2 2.4, v1.3-v2.0 3.4; Security Hub CloudTrail.5) and their log groups are kept long enough.
Parameters:
  CloudTrailCloudWatchLogsEnabledParamExpectedDeliveryWindowAge:
    Default: '%d'
    Type: String
  CwLoggroupRetentionPeriodCheckParamMinRetentionTime:
    Default: '%d'
    Type: String
Resources:
  CloudTrailCloudWatchLogsEnabled:
    Type: AWS::Config::ConfigRule
    Properties:
      ConfigRuleName: cloud-trail-cloud-watch-logs-enabled
      Description: Checks that CloudTrail trails send logs to CloudWatch Logs, delivered within the expected window (hours).
      InputParameters:
        expectedDeliveryWindowAge:
          Ref: CloudTrailCloudWatchLogsEnabledParamExpectedDeliveryWindowAge
      MaximumExecutionFrequency: TwentyFour_Hours
      Source:
        Owner: AWS
        SourceIdentifier: CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED
  CwLoggroupRetentionPeriodCheck:
    Type: AWS::Config::ConfigRule
    Properties:
      ConfigRuleName: cw-loggroup-retention-period-check
      Description: Checks that CloudWatch Logs log groups keep events at least the minimum number of days.
      InputParameters:
        MinRetentionTime:
          Ref: CwLoggroupRetentionPeriodCheckParamMinRetentionTime
      Scope:
        ComplianceResourceTypes:
          - AWS::Logs::LogGroup
      Source:
        Owner: AWS
        SourceIdentifier: CW_LOGGROUP_RETENTION_PERIOD_CHECK
`, o.MaxDeliveryAgeHours, o.MinRetentionDays)
}

// SCPOptions parameterise the service control policy.
type SCPOptions struct {
	// AdminRoles may still change trails (role names or ARN patterns, e.g. OrganizationAccountAccessRole).
	AdminRoles []string
	// LogGroupPatterns and RolePatterns name the protected log groups and delivery roles (defaults: trailwatch's and
	// the console's names).
	LogGroupPatterns, RolePatterns []string
	// ExtraLogGroups and ExtraRoles are protected beside the patterns: the names the scanned trails actually use, and
	// names given on the command line.
	ExtraLogGroups, ExtraRoles []string
}

// MaxSCPSize is the service control policy size limit in characters (AWS Organizations quotas).
const MaxSCPSize = 5120

// SCP returns the policy document, minified.
func SCP(o SCPOptions) (string, error) {
	if len(o.AdminRoles) == 0 {
		o.AdminRoles = []string{"OrganizationAccountAccessRole"}
	}
	if len(o.LogGroupPatterns) == 0 {
		o.LogGroupPatterns = []string{"aws-cloudtrail-logs/*", "CloudTrail/*"}
	}
	if len(o.RolePatterns) == 0 {
		o.RolePatterns = []string{"CloudTrailCloudWatchLogs-*", "CloudTrail_CloudWatchLogs_Role*"}
	}
	var admins []string
	for _, r := range o.AdminRoles {
		if strings.HasPrefix(r, "arn:") {
			admins = append(admins, r)
		} else {
			admins = append(admins, "arn:*:iam::*:role/"+r)
		}
	}
	var groups, roles []string
	seen := map[string]bool{}
	for _, g := range append(append([]string(nil), o.LogGroupPatterns...), o.ExtraLogGroups...) {
		// The log group and its streams (":*"): DeleteLogGroup names the group, PutRetentionPolicy too.
		if arn := "arn:*:logs:*:*:log-group:" + g; !seen[arn] {
			seen[arn] = true
			groups = append(groups, arn)
		}
	}
	for _, r := range append(append([]string(nil), o.RolePatterns...), o.ExtraRoles...) {
		if arn := "arn:*:iam::*:role/" + r; !seen[arn] {
			seen[arn] = true
			roles = append(roles, arn)
		}
	}
	except := map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": admins}}
	doc := map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Sid": "ProtectCloudTrailCloudWatchLogsIntegration", "Effect": "Deny",
			"Action": []string{"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors"}, "Resource": "*", "Condition": except},
		map[string]any{"Sid": "ProtectCloudTrailLogGroups", "Effect": "Deny",
			"Action": []string{"logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy"}, "Resource": groups, "Condition": except},
		map[string]any{"Sid": "ProtectCloudTrailDeliveryRoles", "Effect": "Deny",
			"Action":   []string{"iam:DeleteRole", "iam:DeleteRolePolicy", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary"},
			"Resource": roles, "Condition": except},
	}}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	if len(b) > MaxSCPSize {
		return "", fmt.Errorf("the policy is %d characters, over the %d-character SCP limit: name fewer admin roles or patterns", len(b), MaxSCPSize)
	}
	return string(b), nil
}
