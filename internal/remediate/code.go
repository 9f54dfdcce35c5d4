package remediate

import (
	"fmt"
	"regexp"
	"strings"
)

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]`)

// AsCode renders a plan as the Terraform or CloudFormation a team that manages trails as code would add: the log
// groups, roles and policies the plan creates or repairs, and the two trail attributes to set.
func AsCode(p *Plan, format string) string {
	var b strings.Builder
	for _, group := range byResource(p.Steps) {
		rid := group[0].ResourceID
		id := nonIdent.ReplaceAllString(rid[strings.LastIndex(rid, "/")+1:], "_")
		if strings.Contains(rid, ":log-group:") {
			id = nonIdent.ReplaceAllString(rid[strings.LastIndex(rid, ":")+1:], "_")
		}
		fmt.Fprintf(&b, "# %s (account %s, %s)\n", rid, group[0].AccountID, group[0].Region)
		for _, s := range group {
			b.WriteString(stepCode(s, id, format))
		}
		b.WriteString("\n")
	}
	for _, r := range p.Refused {
		fmt.Fprintf(&b, "# refused %s: %s\n", r.ResourceID, r.Reason)
	}
	return b.String()
}

func stepCode(s Step, id, format string) string {
	p := s.Params
	tf := format == "terraform"
	switch s.Action {
	case CreateLogGroup:
		if tf {
			return fmt.Sprintf("resource \"aws_cloudwatch_log_group\" %q {\n  name = %q\n}\n", id, p["logGroupName"])
		}
		return fmt.Sprintf("%sLogGroup:\n  Type: AWS::Logs::LogGroup\n  Properties:\n    LogGroupName: %s\n", camel(id), p["logGroupName"])
	case PutRetentionPolicy:
		if tf {
			return fmt.Sprintf("# in aws_cloudwatch_log_group for %s:\n  retention_in_days = %v\n", p["logGroupName"], p["retentionInDays"])
		}
		return fmt.Sprintf("# in the AWS::Logs::LogGroup %s:\n    RetentionInDays: %v\n", p["logGroupName"], p["retentionInDays"])
	case CreateRole, UpdateAssumeRolePolicy:
		doc := p["AssumeRolePolicyDocument"]
		if doc == nil {
			doc = p["PolicyDocument"]
		}
		if tf {
			return fmt.Sprintf("resource \"aws_iam_role\" %q {\n  name               = %q\n  assume_role_policy = %q\n}\n", id, p["RoleName"], doc)
		}
		return fmt.Sprintf("%sRole:\n  Type: AWS::IAM::Role\n  Properties:\n    RoleName: %s\n    AssumeRolePolicyDocument: %s\n", camel(id), p["RoleName"], doc)
	case PutRolePolicy:
		if tf {
			return fmt.Sprintf("resource \"aws_iam_role_policy\" %q {\n  role   = %q\n  name   = %q\n  policy = %q\n}\n", id, p["RoleName"], p["PolicyName"], p["PolicyDocument"])
		}
		return fmt.Sprintf("# in the role %s, Properties.Policies:\n    - PolicyName: %s\n      PolicyDocument: %s\n", p["RoleName"], p["PolicyName"], p["PolicyDocument"])
	case UpdateTrail:
		if tf {
			return fmt.Sprintf("# in the aws_cloudtrail resource:\n  cloud_watch_logs_group_arn = %q\n  cloud_watch_logs_role_arn  = %q\n", p["CloudWatchLogsLogGroupArn"], p["CloudWatchLogsRoleArn"])
		}
		return fmt.Sprintf("# in the AWS::CloudTrail::Trail Properties:\n    CloudWatchLogsLogGroupArn: %s\n    CloudWatchLogsRoleArn: %s\n", p["CloudWatchLogsLogGroupArn"], p["CloudWatchLogsRoleArn"])
	case StartLogging:
		if tf {
			return "# in the aws_cloudtrail resource:\n  enable_logging = true\n"
		}
		return "# in the AWS::CloudTrail::Trail Properties:\n    IsLogging: true\n"
	}
	return ""
}

func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up {
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
