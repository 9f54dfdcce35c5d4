// Package delivery is the one rule for the link between a CloudTrail trail and its CloudWatch Logs log group: the log
// streams CloudTrail writes, the role policies trailwatch writes for them, and whether a delivery role trusts CloudTrail
// and may write those streams. The live scan, the infrastructure-as-code checks and the fix planner all ask it; the
// simulator (internal/awssim) answers the same question with its own code, and both are held to the documented cases
// in delivery_test.go and the parity corpus (internal/parity).
//
// The stream names are AWS's (CTUG "CloudWatch log group and log stream naming for CloudTrail",
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudwatch-log-group-log-stream-naming-for-cloudtrail.html):
// "When CloudTrail creates the log stream for the log group, it names the log stream according to the following format:
// account_ID_CloudTrail_trail_region", and at high volume "account_ID_CloudTrail_trail_region_number". The region is
// the trail's (its home region), not the region an event happened in: a multi-Region trail delivers every Region's
// events from its home Region, which is why the policy the CloudTrail console writes for a multi-Region trail names
// only the home Region's streams (log-stream:<account>_CloudTrail_<home region>*, CTUG
// cloudtrail-required-policy-for-cloudwatch-logs) and delivers. (An older edition of the same page said
// "account_ID_CloudTrail_source_region"; the current one says trail_region.) An organization trail also writes member
// accounts' events to streams that start o-<org id>_ (CTUG cloudtrail-required-policy-for-cloudwatch-logs: "add
// ...:log-stream:o-exampleorgid_* to each statement"); the rest of that name is not documented, so it is checked as
// o-<org id>_<owner>_CloudTrail_<home region>, which every documented grant allows.
package delivery

import (
	"fmt"
	"strings"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/policy"
)

// Service is the principal that assumes a delivery role.
const Service = "cloudtrail.amazonaws.com"

// Actions are the calls CloudTrail makes with the delivery role (CTUG cloudtrail-required-policy-for-cloudwatch-logs).
var Actions = []string{"logs:CreateLogStream", "logs:PutLogEvents"}

// TrustPolicy is the delivery role trust policy AWS documents (CTUG send-cloudtrail-events-to-cloudwatch-logs): no
// conditions, since "the role policy doesn't support the use of aws:SourceArn and aws:SourceAccount".
const TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// Trail is what the rule needs to know of a trail.
type Trail struct {
	Owner      string // the account that owns the trail (its ARN's account)
	HomeRegion string
	// Organization: an organization trail, which also writes o-<OrgID>_ streams.
	Organization bool
	// OrgID is the organization's id; "" when it is not known (the o- streams are then not checked: OrgUnknown).
	OrgID string
}

// Streams are the names of the streams the rule checks, in order: <owner>_CloudTrail_<home region> and, for an
// organization trail whose organization id is known, o-<org id>_<owner>_CloudTrail_<home region>.
func Streams(t Trail) []string {
	s := []string{StreamName(t.Owner, t.HomeRegion)}
	if t.Organization && t.OrgID != "" {
		s = append(s, t.OrgID+"_"+StreamName(t.Owner, t.HomeRegion))
	}
	return s
}

// StreamName is the stream CloudTrail creates for an account's events of a trail homed in region.
func StreamName(account, region string) string { return account + "_CloudTrail_" + region }

// Policy is the delivery policy trailwatch writes for a log group: the documented policy (CTUG
// cloudtrail-required-policy-for-cloudwatch-logs), which grants the trail's streams <account>_CloudTrail_<region>*
// (the numbered high-volume streams included) and, for an organization trail, o-<org id>_*.
func Policy(g awsarn.LogGroup, orgID string) string {
	base := g.StreamARN("")
	res := []string{fmt.Sprintf("%q", base+StreamName(g.Account, g.Region)+"*")}
	if orgID != "" {
		res = append(res, fmt.Sprintf("%q", base+orgID+"_*"))
	}
	r := strings.Join(res, ",")
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"AWSCloudTrailCreateLogStream","Effect":"Allow","Action":["logs:CreateLogStream"],"Resource":[%s]},{"Sid":"AWSCloudTrailPutLogEvents","Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":[%s]}]}`, r, r)
}

// Write is one call the role would have to make on one stream.
type Write struct {
	Action, Resource string
}

func (w Write) String() string { return w.Action + " on " + w.Resource }

// Check is the evidence of judging a delivery role for a trail and a log group.
type Check struct {
	// Trusted: the trust policy lets cloudtrail.amazonaws.com assume the role.
	Trusted bool
	// TrustConditional: the statement that trusts CloudTrail has conditions, which were not evaluated.
	TrustConditional bool
	// Missing are the writes the role's policies do not allow, at most one per action (the first stream refused).
	Missing []Write
	// Conditional: a statement that decided a write has conditions, which were not evaluated.
	Conditional bool
	// NumberedMissing: the role may write the trail's stream but not the numbered streams CloudTrail adds at high
	// volume (<stream>_<number>): delivery works until the volume grows.
	NumberedMissing bool
	// OrgUnknown: an organization trail whose organization id is unknown, so the o- streams were not checked.
	OrgUnknown bool
	// Streams are the stream ARNs checked.
	Streams []string
}

// Writable reports whether the role trusts CloudTrail and may make every write.
func (c Check) Writable() bool { return c.Trusted && len(c.Missing) == 0 }

// Documents parses a role's permission policies (inline and attached); a document that does not parse grants nothing.
func Documents(r *model.Role) []*policy.Document {
	var docs []*policy.Document
	for _, p := range r.Policies {
		if d, err := policy.Parse(p.Document); err == nil {
			docs = append(docs, d)
		}
	}
	return docs
}

// Trusts judges a trust policy document: whether cloudtrail.amazonaws.com may assume the role, and whether the
// statement that allows it has conditions (not evaluated).
func Trusts(trust string) (trusted, conditional bool) {
	d, err := policy.Parse(trust)
	if err != nil {
		return false, false
	}
	dec := policy.TrustsService(d, Service)
	return dec.Allowed, dec.Allowed && dec.ConditionsNotEvaluated
}

// CheckRole judges a delivery role: its trust and whether its policies allow every delivery action on the trail's
// streams in group.
func CheckRole(r *model.Role, g awsarn.LogGroup, t Trail) Check {
	var c Check
	c.Trusted, c.TrustConditional = Trusts(r.Trust)
	docs := Documents(r)
	c.Missing, c.Conditional, c.Streams = MayWrite(docs, g, Streams(t))
	c.OrgUnknown = t.Organization && t.OrgID == ""
	if len(c.Missing) == 0 {
		numbered, _, _ := MayWrite(docs, g, []string{StreamName(t.Owner, t.HomeRegion) + "_2"})
		c.NumberedMissing = len(numbered) > 0
	}
	return c
}

// MayWrite evaluates every delivery action on every stream of group; it returns the writes refused (the first stream
// refused for each action), whether conditions were left unevaluated, and the stream ARNs checked.
func MayWrite(docs []*policy.Document, g awsarn.LogGroup, streams []string) (missing []Write, conditional bool, checked []string) {
	for _, s := range streams {
		checked = append(checked, g.StreamARN(s))
	}
	for _, action := range Actions {
		for _, res := range checked {
			d := policy.Evaluate(docs, action, res)
			if d.ConditionsNotEvaluated {
				conditional = true
			}
			if !d.Allowed {
				missing = append(missing, Write{Action: action, Resource: res})
				break
			}
		}
	}
	return missing, conditional, checked
}

// Join renders writes for a message: "a on x; b on y".
func Join(ws []Write) string {
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = w.String()
	}
	return strings.Join(s, "; ")
}

// Default names of what trailwatch creates for a trail (fix plan, IaC fix snippets, `fix` flags): "%s" is the trail
// name. One place, so that every rendering of a fix names the same role and group.
const (
	DefaultGroupName = "aws-cloudtrail-logs/%s"
	DefaultRoleName  = "CloudTrailCloudWatchLogs-%s"
)

// NameFor fills a name template with the trail name.
func NameFor(tmpl, trail string) string { return strings.Replace(tmpl, "%s", trail, 1) }

// RoleName fills a role name template with the trail name, cut to the 64 characters IAM allows in a role name.
func RoleName(tmpl, trail string) string {
	n := NameFor(tmpl, trail)
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}
