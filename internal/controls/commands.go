package controls

import (
	"fmt"
	"strings"
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
