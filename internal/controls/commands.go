package controls

import (
	"fmt"
	"strings"

	"github.com/trailwatch/trailwatch/internal/model"
)

// TrustPolicy is the delivery role trust policy AWS documents (CTUG send-cloudtrail-events-to-cloudwatch-logs).
const TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// DeliveryPolicy is the least-privilege delivery policy for a log group: the documented policy
// (CTUG cloudtrail-required-policy-for-cloudwatch-logs), widened from <account>_CloudTrail_<region>* to
// <account>_CloudTrail_* so that a multi-region trail may write every region's stream, plus o-<org id>_* streams for an
// organization trail.
func DeliveryPolicy(partition, region, account, group, orgID string) string {
	base := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:log-stream:", partition, region, account, group)
	res := []string{fmt.Sprintf("%q", base+account+"_CloudTrail_*")}
	if orgID != "" {
		res = append(res, fmt.Sprintf("%q", base+orgID+"_*"))
	}
	r := strings.Join(res, ",")
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"AWSCloudTrailCreateLogStream","Effect":"Allow","Action":["logs:CreateLogStream"],"Resource":[%s]},{"Sid":"AWSCloudTrailPutLogEvents","Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":[%s]}]}`, r, r)
}

// ShellQuote quotes s for a POSIX shell when it needs it.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+*", r))
	}) < 0 && !strings.Contains(s, "*") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// integrationCommands are the AWS CLI commands that fix a failing trail, filled with its real ARNs. They run in the
// trail owner's account.
func integrationCommands(t *model.Trail, f model.Finding, partition, orgID string) []string {
	if f.Status == model.StatusPass || f.Status == model.StatusSkipped || f.Status == model.StatusPending {
		return nil
	}
	if partition == "" {
		partition = PartitionOf(t.ARN)
	}
	has := map[string]bool{}
	for _, r := range f.Reasons {
		has[r.Code] = true
	}
	region, acct := t.HomeRegion, t.OwnerAccount
	group, _, _ := ParseGroupARN(t.LogGroupARN)
	if group == "" {
		group = "aws-cloudtrail-logs/" + t.Name
	}
	roleName := "CloudTrail_CloudWatchLogs_Role"
	if t.RoleARN != "" {
		roleName = t.RoleARN[strings.LastIndex(t.RoleARN, "/")+1:]
	}
	roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, acct, roleName)
	if t.RoleARN != "" {
		roleARN = t.RoleARN
	}
	groupARN := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", partition, region, acct, group)
	if !t.Organization {
		orgID = ""
	} else if orgID == "" {
		orgID = "o-<org id>" // the organization id was not read; see DescribeOrganization
	}
	var cmds []string
	if has[NotIntegrated] || has[LogGroupMissing] {
		cmds = append(cmds, fmt.Sprintf("aws logs create-log-group --region %s --log-group-name %s", region, ShellQuote(group)),
			fmt.Sprintf("aws logs put-retention-policy --region %s --log-group-name %s --retention-in-days 365", region, ShellQuote(group)))
	}
	if has[NotIntegrated] || has[RoleMissing] {
		cmds = append(cmds, fmt.Sprintf("aws iam create-role --role-name %s --assume-role-policy-document %s", ShellQuote(roleName), ShellQuote(TrustPolicy)))
	}
	if has[RoleNotTrusted] {
		cmds = append(cmds, fmt.Sprintf("aws iam update-assume-role-policy --role-name %s --policy-document %s", ShellQuote(roleName), ShellQuote(TrustPolicy)))
	}
	if has[NotIntegrated] || has[RoleMissing] || has[RoleCannotWrite] {
		cmds = append(cmds, fmt.Sprintf("aws iam put-role-policy --role-name %s --policy-name CloudTrailCloudWatchLogsDelivery --policy-document %s",
			ShellQuote(roleName), ShellQuote(DeliveryPolicy(partition, region, acct, group, orgID))))
	}
	if has[NotIntegrated] || has[LogGroupMissing] || has[RoleMissing] {
		cmds = append(cmds, fmt.Sprintf("aws cloudtrail update-trail --region %s --name %s --cloud-watch-logs-log-group-arn %s --cloud-watch-logs-role-arn %s",
			region, t.ARN, ShellQuote(groupARN), roleARN))
	}
	if has[NotLogging] {
		cmds = append(cmds, fmt.Sprintf("aws cloudtrail start-logging --region %s --name %s", region, t.ARN))
	}
	if has[NoManagementEvents] {
		cmds = append(cmds, fmt.Sprintf("aws cloudtrail get-event-selectors --region %s --trail-name %s   # then put-event-selectors with IncludeManagementEvents true and ReadWriteType All, keeping the data resources", region, t.ARN))
	}
	if len(cmds) == 0 && (has[DeliveryStale] || has[NeverDelivered] || has[DeliveryError]) {
		cmds = append(cmds, fmt.Sprintf("aws cloudtrail get-trail-status --region %s --name %s   # read LatestCloudWatchLogsDeliveryError, then check the role %s and log group %s", region, t.ARN, roleARN, group))
	}
	return cmds
}

// captureCommands create a multi-region trail integrated with CloudWatch Logs for an account with uncovered regions.
func captureCommands(a *model.Account, partition string) []string {
	if partition == "" {
		partition = "aws"
	}
	region := "us-east-1"
	if len(a.Regions) > 0 {
		region = a.Regions[0]
		for _, r := range a.Regions {
			if r == "us-east-1" {
				region = r
			}
		}
	}
	group := "aws-cloudtrail-logs/management-events"
	role := "CloudTrail_CloudWatchLogs_Role"
	return []string{
		fmt.Sprintf("aws logs create-log-group --region %s --log-group-name %s", region, group),
		fmt.Sprintf("aws logs put-retention-policy --region %s --log-group-name %s --retention-in-days 365", region, group),
		fmt.Sprintf("aws iam create-role --role-name %s --assume-role-policy-document %s", role, ShellQuote(TrustPolicy)),
		fmt.Sprintf("aws iam put-role-policy --role-name %s --policy-name CloudTrailCloudWatchLogsDelivery --policy-document %s", role, ShellQuote(DeliveryPolicy(partition, region, a.ID, group, ""))),
		fmt.Sprintf("aws cloudtrail create-trail --region %s --name management-events --s3-bucket-name \"${CLOUDTRAIL_BUCKET:?set CLOUDTRAIL_BUCKET to an S3 bucket with the CloudTrail bucket policy}\" --is-multi-region-trail --cloud-watch-logs-log-group-arn %s --cloud-watch-logs-role-arn arn:%s:iam::%s:role/%s",
			region, ShellQuote(fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", partition, region, a.ID, group)), partition, a.ID, role),
		fmt.Sprintf("aws cloudtrail start-logging --region %s --name arn:%s:cloudtrail:%s:%s:trail/management-events", region, partition, region, a.ID),
	}
}
