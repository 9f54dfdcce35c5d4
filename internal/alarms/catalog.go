// Package alarms holds the CIS AWS Foundations monitoring items (v1.4-v5.0 section 4; v1.2 section 3): for each kind
// of activity, the metric filter pattern the benchmark publishes, and judges a stored pattern against it by meaning
// (internal/filterpattern). The alarm and SNS links of the chain are judged elsewhere (issue 13).
package alarms

import (
	"fmt"
	"slices"

	"github.com/trailwatch/trailwatch/internal/filterpattern"
)

// Item is one CIS monitoring item.
type Item struct {
	ID      string // the control id, for example alarm-cloudtrail-configuration-changes
	CIS     string // v1.4-v5.0 number (v1.2 is 3.N for N <= 14)
	Title   string
	Pattern string // the published filter pattern
}

// Items are the 15 items with their published patterns, as the CIS benchmark texts carry them (from
// shared/reference/monitoring-and-events.md §2.2: the steampipe-mod-aws-compliance cis_v140/cis_v500 docs,
// cross-checked with the Security Hub CloudWatch.1-14 docs and Prowler's compliance/aws/cis_*.json). 4.10 is v5.0's,
// which adds ModifySecurityGroupRules; 4.1 is the v1.2/v1.4 form (the later texts' exclusions are not yet carried).
var Items = []Item{
	{"alarm-unauthorized-api-calls", "4.1", "Unauthorized API calls", `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`},
	{"alarm-console-signin-without-mfa", "4.2", "Management console sign-in without MFA", `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`},
	{"alarm-root-account-usage", "4.3", "Usage of the root account", `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`},
	{"alarm-iam-policy-changes", "4.4", "IAM policy changes", `{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}`},
	{"alarm-cloudtrail-configuration-changes", "4.5", "CloudTrail configuration changes", `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`},
	{"alarm-console-authentication-failures", "4.6", "Console authentication failures", `{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }`},
	{"alarm-cmk-disable-or-scheduled-deletion", "4.7", "Disabling or scheduled deletion of customer managed keys", `{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }`},
	{"alarm-s3-bucket-policy-changes", "4.8", "S3 bucket policy changes", `{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }`},
	{"alarm-aws-config-changes", "4.9", "AWS Config configuration changes", `{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }`},
	{"alarm-security-group-changes", "4.10", "Security group changes", `{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }`},
	{"alarm-nacl-changes", "4.11", "Network ACL changes", `{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }`},
	{"alarm-network-gateway-changes", "4.12", "Network gateway changes", `{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }`},
	{"alarm-route-table-changes", "4.13", "Route table changes", `{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }`},
	{"alarm-vpc-changes", "4.14", "VPC changes", `{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }`},
	{"alarm-organizations-changes", "4.15", "AWS Organizations changes", `{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName ="InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }`},
}

// Versions are the CIS AWS Foundations Benchmark versions --cis-version accepts, oldest first.
//
// v6.0.0 and v7.0.0 move monitoring to section 5 (5.1-5.15, "Ensure ... is monitored", manual, CloudWatch or an
// external SIEM) with v5.0's patterns unchanged (Prowler's compliance/aws/cis_6.0_aws.json and cis_7.0_aws.json carry
// every 5.n attribute byte for byte as v5.0's 4.n; steampipe-mod-aws-compliance cis_v600/docs/cis_v600_5_*.md differs
// only in spacing). Their 5.13 audit text prefixes ($.eventSource = ec2.amazonaws.com) && to the first branch only,
// while the remediation text does not; the remediation's pattern, the one deployed, is carried.
var Versions = []string{"1.2", "1.4", "3.0", "5.0", "6.0", "7.0"}

// DefaultVersion is the version judged when none is given: v5.0.0, the newest whose CIS standard AWS Security Hub runs
// (shared/reference/monitoring-and-events.md §2.1), numbered 4.1-4.15 as most reports know the items.
const DefaultVersion = "5.0"

// v12SecurityGroups is 4.10 (3.10) before v5.0 added ModifySecurityGroupRules.
const v12SecurityGroups = `{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }`

// v3Unauthorized is 4.1 as v3.0 and later publish it, with the exclusions of log delivery and HeadBucket (the text
// as carried in the benchmark; && binds tighter than ||, so the exclusions apply to the AccessDenied* branch):
// shared/reference/monitoring-and-events.md §2.2.
const v3Unauthorized = `{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }`

// ForVersion returns the items of a CIS version with that version's patterns and numbers: v1.2 has 3.1-3.14 (no
// Organizations item); v1.4 to v5.0 number them 4.1-4.15, v6.0 and v7.0 5.1-5.15; v3.0 adds 4.1's exclusions; v5.0
// adds ModifySecurityGroupRules to 4.10. An empty version is DefaultVersion.
func ForVersion(v string) ([]Item, error) {
	if v == "" {
		v = DefaultVersion
	}
	if !slices.Contains(Versions, v) {
		return nil, fmt.Errorf("CIS version %q: want one of %v", v, Versions)
	}
	var out []Item
	for _, it := range Items {
		switch {
		case v == "1.2" && it.CIS == "4.15":
			continue
		case it.CIS == "4.10" && (v == "1.2" || v == "1.4" || v == "3.0"):
			it.Pattern = v12SecurityGroups
		case it.CIS == "4.1" && v != "1.2" && v != "1.4":
			it.Pattern = v3Unauthorized
		}
		switch v {
		case "1.2":
			it.CIS = "3." + it.CIS[2:]
		case "6.0", "7.0":
			it.CIS = "5." + it.CIS[2:]
		}
		out = append(out, it)
	}
	return out, nil
}

// SecurityHubControl is the AWS Security Hub control of a v1.4+ item ("" for 4.15): CloudWatch.1 is root usage,
// CloudWatch.2 unauthorized calls, CloudWatch.3 sign-in without MFA, CloudWatch.N is 4.N for N 4-14
// (Security Hub CloudWatch controls; shared/reference/monitoring-and-events.md §2.2).
func SecurityHubControl(cis string) string {
	switch cis {
	case "4.1":
		return "CloudWatch.2"
	case "4.2":
		return "CloudWatch.3"
	case "4.3":
		return "CloudWatch.1"
	case "4.15":
		return ""
	}
	return "CloudWatch." + cis[2:]
}

// Verdict is how a stored pattern serves one item: the one rule that scan --alarms, iac --alarms and alarms test
// share (issue 24).
type Verdict struct {
	Item     Item
	Code     string // MONITORED, FILTER_MISSES_EVENTS, FILTER_NARROWED, or FILTER_MISSING (not about the item)
	Coverage filterpattern.Coverage
	// About: the pattern catches, or names, at least half of the item's cases (or, about no item, this is the one
	// it comes closest to).
	About bool
	// Notes qualify the verdict: a pattern that catches nearly every event, the item it is closest to.
	Notes []string
	// Cases is how many cases (conjunctions) the item's published pattern has.
	Cases int
}

// The verdict codes.
const (
	Monitored          = "MONITORED"
	FilterMissesEvents = "FILTER_MISSES_EVENTS"
	FilterNarrowed     = "FILTER_NARROWED"
	FilterMissing      = "FILTER_MISSING"
)

// Judge judges a stored pattern against one item. It is about the item when it catches (as they are, or some of
// their events on their own properties), or names, at least half of the item's cases (IAM's CreatePolicy also catches Organizations' CreatePolicy, and that does not make an IAM filter a
// bad Organizations filter); a pattern not about the item is FILTER_MISSING for it, whatever it narrows.
func Judge(stored *filterpattern.Node, it Item) (Verdict, error) {
	req, err := filterpattern.Parse(it.Pattern)
	if err != nil {
		return Verdict{}, fmt.Errorf("catalog item %s: %w", it.CIS, err)
	}
	cov, err := filterpattern.Covers(stored, req)
	if err != nil {
		return Verdict{}, err
	}
	cases, mentioned, err := filterpattern.Mentions(stored, req)
	if err != nil {
		return Verdict{}, err
	}
	v := Verdict{Item: it, Coverage: cov, Code: Monitored, About: 2*max(cov.Direct, cov.OwnTerms, mentioned) >= cases, Cases: cases}
	switch {
	case !v.About:
		v.Code = FilterMissing
	case len(cov.Misses) > 0:
		v.Code = FilterMissesEvents
	case len(cov.Narrowed) > 0:
		v.Code = FilterNarrowed
	}
	if v.About && CatchesOrdinaryEvents(stored) {
		v.Notes = append(v.Notes, catchAllNote(stored, it))
	}
	return v, nil
}

// closeness is how much of an item a pattern catches: 0 when nothing.
func closeness(v Verdict) float64 {
	if v.Cases == 0 {
		return 0
	}
	return float64(max(v.Coverage.Direct, v.Coverage.OwnTerms)) / float64(v.Cases)
}

// ordinaryEvent is a CloudTrail event with nothing particular about it: every field CloudTrail always sends has a
// value no CIS pattern names.
var ordinaryEvent = map[string]any{"eventTime": "2026-01-01T00:00:00Z", "eventVersion": "1.11", "eventSource": "ordinary.amazonaws.com",
	"eventName": "OrdinaryCall", "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.1", "eventID": "ordinary", "eventType": "AwsApiCall",
	"userIdentity": map[string]any{"type": "IAMUser"}}

// CatchesOrdinaryEvents reports whether a pattern matches an ordinary API call: its alarm fires on nearly every call.
func CatchesOrdinaryEvents(n *filterpattern.Node) bool { return filterpattern.Match(n, ordinaryEvent) }

// catchAllNote says what a pattern that catches ordinary calls means, and, when it joins exclusions with || (the CIS
// v1.4 4.1 text as published), how it reads as its authors evidently meant it (the exclusions with &&, as the v3.0
// text writes them).
func catchAllNote(stored *filterpattern.Node, it Item) string {
	msg := fmt.Sprintf("The pattern also matches ordinary API calls (any event with none of the published conditions): it monitors %s %s only in that its alarm fires on nearly every call.", it.CIS, it.Title)
	meant := filterpattern.ExclusionsAsMeant(stored)
	if meant == nil {
		return msg
	}
	v, err := Judge(meant, it)
	if err != nil {
		return msg
	}
	reading := "it is not about this item (" + FilterMissing + ")"
	if v.About {
		reading = v.Code
	}
	return msg + fmt.Sprintf(" It joins exclusions (!=) with ||, as the CIS v1.4 4.1 text is published; read as its authors evidently meant, with the exclusions joined by && (%s), %s.", filterpattern.Format(meant), reading)
}

// Test judges a pattern against the items it is about (it catches or names at least half of an item's cases), so
// that a pattern written for one item is not reported as missing the other fourteen. It returns a syntax error for a pattern
// that does not parse. With only (ids or CIS numbers), it judges those items whatever the pattern is about.
func Test(pattern string, only ...string) ([]Verdict, error) {
	return TestVersion(pattern, "", only...)
}

// JudgeAll judges a stored pattern against each of items (Judge), and when it is about none of them, marks the one it
// comes closest to (it catches the largest share of its cases) as the one it is about, with a note: a filter for the
// two trail events that matter most is a 4.5 filter that misses three, not "about nothing".
func JudgeAll(stored *filterpattern.Node, items []Item) ([]Verdict, error) {
	out := make([]Verdict, 0, len(items))
	closest, best := -1, 0.0
	for _, it := range items {
		v, err := Judge(stored, it)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if v.About {
			closest, best = -2, 1
		} else if c := closeness(v); closest != -2 && c > best {
			closest, best = len(out)-1, c
		}
	}
	if closest >= 0 {
		v := &out[closest]
		v.About, v.Code = true, FilterMissesEvents
		if len(v.Coverage.Misses) == 0 {
			v.Code = FilterNarrowed
		}
		v.Notes = append(v.Notes, fmt.Sprintf("The pattern is about none of the items; it comes closest to %s %s (it catches %.0f%% of its cases).", v.Item.CIS, v.Item.Title, 100*best))
	}
	return out, nil
}

// TestVersion is Test against a CIS version's published patterns (ForVersion; "" the latest, as scan --alarms).
func TestVersion(pattern, version string, only ...string) ([]Verdict, error) {
	items, err := ForVersion(version)
	if err != nil {
		return nil, err
	}
	stored, err := filterpattern.Parse(pattern)
	if err != nil {
		return nil, err
	}
	all, err := JudgeAll(stored, items)
	if err != nil {
		return nil, err
	}
	var out []Verdict
	for _, v := range all {
		if len(only) > 0 && !slices.Contains(only, v.Item.ID) && !slices.Contains(only, v.Item.CIS) {
			continue
		}
		if len(only) > 0 || v.About {
			out = append(out, v)
		}
	}
	return out, nil
}
