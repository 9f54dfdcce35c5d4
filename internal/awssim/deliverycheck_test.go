package awssim

import (
	"testing"

	"github.com/trailwatch/trailwatch/internal/policy"
)

const stream = "arn:aws:logs:us-east-1:111111111111:log-group:CT:log-stream:111111111111_CloudTrail_us-east-1"

// permissionCases are taken from AWS's documentation: the CloudTrail User Guide's delivery policy
// (cloudtrail-required-policy-for-cloudwatch-logs) and the IAM User Guide's evaluation logic (explicit Deny wins,
// NotAction/NotResource, wildcards, case-insensitive action names). The simulator's evaluator and trailwatch's
// (internal/policy) must both give the documented answer: neither is the other's oracle.
var permissionCases = []struct {
	name, doc, action, resource string
	allowed                     bool
}{
	{"the documented delivery policy",
		`{"Version":"2012-10-17","Statement":[{"Sid":"AWSCloudTrailCreateLogStream2014110","Effect":"Allow","Action":["logs:CreateLogStream"],"Resource":["arn:aws:logs:us-east-1:111111111111:log-group:CT:log-stream:111111111111_CloudTrail_us-east-1*"]},{"Sid":"AWSCloudTrailPutLogEvents20141101","Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":["arn:aws:logs:us-east-1:111111111111:log-group:CT:log-stream:111111111111_CloudTrail_us-east-1*"]}]}`,
		"logs:PutLogEvents", stream, true},
	{"logs:* on *", `{"Statement":{"Effect":"Allow","Action":"logs:*","Resource":"*"}}`, "logs:PutLogEvents", stream, true},
	{"create only, put denied", `{"Statement":[{"Effect":"Allow","Action":"logs:CreateLogStream","Resource":"*"}]}`, "logs:PutLogEvents", stream, false},
	{"explicit deny wins", `{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"},{"Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`, "logs:PutLogEvents", stream, false},
	{"NotAction allow", `{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`, "logs:PutLogEvents", stream, true},
	{"NotAction excludes it", `{"Statement":[{"Effect":"Allow","NotAction":["logs:Put*"],"Resource":"*"}]}`, "logs:PutLogEvents", stream, false},
	{"NotResource excludes the group", `{"Statement":[{"Effect":"Allow","Action":"logs:*","NotResource":"arn:aws:logs:*:*:log-group:CT:*"}]}`, "logs:PutLogEvents", stream, false},
	{"another log group", `{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:us-east-1:111111111111:log-group:Other:*"}]}`, "logs:PutLogEvents", stream, false},
	{"action names are case-insensitive", `{"Statement":[{"Effect":"Allow","Action":"Logs:putlogevents","Resource":"*"}]}`, "logs:PutLogEvents", stream, true},
	{"? matches one character", `{"Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:us-east-?:111111111111:log-group:CT:*"}]}`, "logs:PutLogEvents", stream, true},
	{"resources are case-sensitive", `{"Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:us-east-1:111111111111:log-group:ct:*"}]}`, "logs:PutLogEvents", stream, false},
	{"no statement", `{"Version":"2012-10-17","Statement":[]}`, "logs:PutLogEvents", stream, false},
}

// trustCases: the CloudTrail User Guide's trust policy for the delivery role, and IAM's principal rules.
var trustCases = []struct {
	name, doc string
	trusted   bool
}{
	{"the documented trust policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, true},
	{"another service", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, false},
	{"a list of services", `{"Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","cloudtrail.amazonaws.com"]},"Action":["sts:AssumeRole"]}]}`, true},
	{"sts:*", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:*"}]}`, true},
	{"another action", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:TagSession"}]}`, false},
	{"denied explicitly", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, false},
	{"an account principal only", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`, false},
}

func TestDeliveryCheckAgreesWithAWSDocs(t *testing.T) {
	for _, tc := range permissionCases {
		if got := roleMayWrite([]string{tc.doc}, tc.action, tc.resource); got != tc.allowed {
			t.Errorf("simulator, %s: allowed %v, AWS documents %v", tc.name, got, tc.allowed)
		}
		d, err := policy.Parse(tc.doc)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := policy.Evaluate([]*policy.Document{d}, tc.action, tc.resource).Allowed; got != tc.allowed {
			t.Errorf("trailwatch (internal/policy), %s: allowed %v, AWS documents %v", tc.name, got, tc.allowed)
		}
	}
	for _, tc := range trustCases {
		if got := roleTrustsService(tc.doc, "cloudtrail.amazonaws.com"); got != tc.trusted {
			t.Errorf("simulator, %s: trusted %v, AWS documents %v", tc.name, got, tc.trusted)
		}
		d, err := policy.Parse(tc.doc)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := policy.TrustsService(d, "cloudtrail.amazonaws.com").Allowed; got != tc.trusted {
			t.Errorf("trailwatch (internal/policy), %s: trusted %v, AWS documents %v", tc.name, got, tc.trusted)
		}
	}
}

// accountTrustCases: IAM's rules for an AWS principal in a trust policy (IAM User Guide, "AWS JSON policy elements:
// Principal": an account id or its root ARN trusts every principal of the account; "*" everyone; an explicit Deny
// wins). The simulator's AssumeRole and trailwatch's internal/policy must both give these answers.
var accountTrustCases = []struct {
	name, doc string
	trusted   bool
}{
	{"account root ARN", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`, true},
	{"account id", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}`, true},
	{"the caller's ARN", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:user/alice"]},"Action":"sts:AssumeRole"}]}`, true},
	{"another account", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`, false},
	{"a service only", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, false},
	{"everyone", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, true},
	{"denied explicitly", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:*"}]}`, false},
	{"another action", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:TagSession"}]}`, false},
}

func TestAccountTrustAgreesWithAWSDocs(t *testing.T) {
	const caller = "arn:aws:iam::111111111111:user/alice"
	for _, tc := range accountTrustCases {
		if got := roleTrustsAccount(tc.doc, "111111111111", caller); got != tc.trusted {
			t.Errorf("simulator, %s: trusted %v, AWS documents %v", tc.name, got, tc.trusted)
		}
		d, err := policy.Parse(tc.doc)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := policy.TrustsAccount(d, "111111111111", caller).Allowed; got != tc.trusted {
			t.Errorf("trailwatch (internal/policy), %s: trusted %v, AWS documents %v", tc.name, got, tc.trusted)
		}
	}
	for _, bad := range []string{`not json`, `{"Version":"2012-10-17"}`, `{"Statement":[]}`, `{"Statement":[{"Effect":"Maybe"}]}`} {
		if checkDocument(bad) == nil {
			t.Errorf("simulator accepts the malformed document %s", bad)
		}
	}
}
