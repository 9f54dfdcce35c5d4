package delivery

import (
	"testing"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/model"
)

// consolePolicy is the policy the CloudTrail console writes for a trail homed in region with log group group (CTUG
// cloudtrail-required-policy-for-cloudwatch-logs): the home Region's streams only, whatever Regions the trail covers.
func consolePolicy(partition, region, account, group, extra string) string {
	res := `"arn:` + partition + `:logs:` + region + `:` + account + `:log-group:` + group + `:log-stream:` + account + `_CloudTrail_` + region + `*"` + extra
	return `{"Version":"2012-10-17","Statement":[{"Sid":"AWSCloudTrailCreateLogStream2014110","Effect":"Allow","Action":["logs:CreateLogStream"],"Resource":[` + res + `]},{"Sid":"AWSCloudTrailPutLogEvents20141101","Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":[` + res + `]}]}`
}

func allow(resources ...string) string {
	r := ""
	for i, x := range resources {
		if i > 0 {
			r += ","
		}
		r += `"` + x + `"`
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":[` + r + `]}]}`
}

// TestCheckRoleDocumentedCases: each expectation is what AWS documents (the stream naming page, the console's
// policy, the organization trail's extra statement, IAM's evaluation logic), written by hand, not computed.
func TestCheckRoleDocumentedCases(t *testing.T) {
	const a, g = "111111111111", "CT"
	grp := awsarn.LogGroup{Partition: "aws", Region: "us-east-1", Account: a, Name: g}
	gov := awsarn.LogGroup{Partition: "aws-us-gov", Region: "us-gov-west-1", Account: a, Name: g}
	home := Trail{Owner: a, HomeRegion: "us-east-1"}
	org := Trail{Owner: a, HomeRegion: "us-east-1", Organization: true, OrgID: "o-a1b2c3d4e5"}
	cases := []struct {
		name     string
		group    awsarn.LogGroup
		trail    Trail
		trust    string
		policies []string
		writable bool
		numbered bool // the numbered high-volume streams are refused
	}{
		{"console policy, multi-region trail (home region streams only)", grp, home, TrustPolicy, []string{consolePolicy("aws", "us-east-1", a, g, "")}, true, false},
		{"our own policy", grp, home, TrustPolicy, []string{Policy(grp, "")}, true, false},
		{"another region's streams only", grp, home, TrustPolicy, []string{consolePolicy("aws", "eu-west-1", a, g, "")}, false, false},
		{"log-stream:*", grp, home, TrustPolicy, []string{allow("arn:aws:logs:us-east-1:" + a + ":log-group:CT:log-stream:*")}, true, false},
		{"log-group:NAME:*", grp, home, TrustPolicy, []string{allow("arn:aws:logs:us-east-1:" + a + ":log-group:CT:*")}, true, false},
		{"every account stream", grp, home, TrustPolicy, []string{allow("arn:aws:logs:us-east-1:" + a + ":log-group:CT:log-stream:" + a + "_CloudTrail_*")}, true, false},
		{"the exact stream only", grp, home, TrustPolicy, []string{allow("arn:aws:logs:us-east-1:" + a + ":log-group:CT:log-stream:" + a + "_CloudTrail_us-east-1")}, true, true},
		{"organization trail with o-<id>_*", grp, org, TrustPolicy, []string{consolePolicy("aws", "us-east-1", a, g, `,"arn:aws:logs:us-east-1:`+a+`:log-group:CT:log-stream:o-a1b2c3d4e5_*"`)}, true, false},
		{"organization trail without o-<id>_*", grp, org, TrustPolicy, []string{consolePolicy("aws", "us-east-1", a, g, "")}, false, false},
		{"another organization's streams", grp, org, TrustPolicy, []string{consolePolicy("aws", "us-east-1", a, g, `,"arn:aws:logs:us-east-1:`+a+`:log-group:CT:log-stream:o-zzzzzzzzzz_*"`)}, false, false},
		{"GovCloud partition", gov, Trail{Owner: a, HomeRegion: "us-gov-west-1"}, TrustPolicy, []string{consolePolicy("aws-us-gov", "us-gov-west-1", a, g, "")}, true, false},
		{"aws partition policy on a GovCloud group", gov, Trail{Owner: a, HomeRegion: "us-gov-west-1"}, TrustPolicy, []string{consolePolicy("aws", "us-gov-west-1", a, g, "")}, false, false},
		{"explicit deny in a second policy", grp, home, TrustPolicy, []string{allow("*"), `{"Statement":[{"Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`}, false, false},
		{"no trust", grp, home, `{"Statement":[{"Effect":"Allow","Principal":{"Service":"logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, []string{allow("*")}, false, false},
		{"no policy", grp, home, TrustPolicy, nil, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &model.Role{Exists: true, Trust: tc.trust}
			for i, p := range tc.policies {
				r.Policies = append(r.Policies, model.PolicyDoc{Name: string(rune('a' + i)), Document: p})
			}
			c := CheckRole(r, tc.group, tc.trail)
			if c.Writable() != tc.writable || c.NumberedMissing != tc.numbered {
				t.Errorf("writable %v numbered-refused %v (missing %s), want %v %v", c.Writable(), c.NumberedMissing, Join(c.Missing), tc.writable, tc.numbered)
			}
		})
	}
}

func TestTrustWithConditions(t *testing.T) {
	trusted, cond := Trusts(`{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}`)
	if !trusted || !cond {
		t.Errorf("trusted %v conditional %v, want true true", trusted, cond)
	}
	if trusted, cond := Trusts(TrustPolicy); !trusted || cond {
		t.Errorf("documented trust: %v %v", trusted, cond)
	}
	if trusted, _ := Trusts("not json"); trusted {
		t.Error("an unreadable trust policy trusts nobody")
	}
}
