package policy

import (
	"net/url"
	"testing"
)

const group = "arn:aws:logs:us-east-1:111111111111:log-group:CT:log-stream:111111111111_CloudTrail_us-east-1"

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		action   string
		resource string
		want     Decision
	}{
		{"documented policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream"],"Resource":["arn:aws:logs:us-east-1:111111111111:log-group:CT:log-stream:111111111111_CloudTrail_us-east-1*"]},{"Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":["arn:aws:logs:us-east-1:111111111111:log-group:CT:log-stream:111111111111_CloudTrail_us-east-1*"]}]}`,
			"logs:PutLogEvents", group, Decision{Allowed: true}},
		{"single statement object, action case", `{"Statement":{"Effect":"Allow","Action":"LOGS:*","Resource":"*"}}`,
			"logs:PutLogEvents", group, Decision{Allowed: true}},
		{"group wildcard", `{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:us-east-1:111111111111:log-group:CT:*"}]}`,
			"logs:CreateLogStream", group, Decision{Allowed: true}},
		{"other group", `{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:us-east-1:111111111111:log-group:Other:*"}]}`,
			"logs:CreateLogStream", group, Decision{}},
		{"resource is case-sensitive", `{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:us-east-1:111111111111:log-group:ct:*"}]}`,
			"logs:CreateLogStream", group, Decision{}},
		{"other action only", `{"Statement":[{"Effect":"Allow","Action":"logs:CreateLogStream","Resource":"*"}]}`,
			"logs:PutLogEvents", group, Decision{}},
		{"explicit deny wins", `{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"},{"Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`,
			"logs:PutLogEvents", group, Decision{ExplicitDeny: true}},
		{"NotAction allow", `{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`,
			"logs:PutLogEvents", group, Decision{Allowed: true}},
		{"NotAction excludes", `{"Statement":[{"Effect":"Allow","NotAction":"logs:*","Resource":"*"}]}`,
			"logs:PutLogEvents", group, Decision{}},
		{"NotResource excludes", `{"Statement":[{"Effect":"Allow","Action":"logs:*","NotResource":"arn:aws:logs:*:*:log-group:CT:*"}]}`,
			"logs:PutLogEvents", group, Decision{}},
		{"NotResource deny elsewhere", `{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"arn:aws:logs:*:*:log-group:CT:*"}]}`,
			"logs:PutLogEvents", group, Decision{Allowed: true}},
		{"question mark", `{"Statement":[{"Effect":"Allow","Action":"logs:PutLogEvent?","Resource":"*"}]}`,
			"logs:PutLogEvents", group, Decision{Allowed: true}},
		{"conditional allow", `{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"1"}}}]}`,
			"logs:PutLogEvents", group, Decision{Allowed: true, ConditionsNotEvaluated: true}},
		{"conditional deny", `{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"},{"Effect":"Deny","Action":"logs:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
			"logs:PutLogEvents", group, Decision{Allowed: true, ConditionsNotEvaluated: true}},
		{"url-encoded", url.QueryEscape(`{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`),
			"logs:PutLogEvents", group, Decision{Allowed: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Parse(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			if got := Evaluate([]*Document{doc}, tc.action, tc.resource); got != tc.want {
				t.Errorf("Evaluate = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestTrust(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		service Decision
		account Decision
	}{
		{"cloudtrail documented", `{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			Decision{Allowed: true}, Decision{}},
		{"service list", `{"Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","cloudtrail.amazonaws.com"]},"Action":["sts:AssumeRole"]}]}`,
			Decision{Allowed: true}, Decision{}},
		{"wrong service", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			Decision{}, Decision{}},
		{"wrong action", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:TagSession"}]}`,
			Decision{}, Decision{}},
		{"account root", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`,
			Decision{}, Decision{Allowed: true}},
		{"account id", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}`,
			Decision{}, Decision{Allowed: true}},
		{"other account", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"sts:AssumeRole"}]}`,
			Decision{}, Decision{}},
		{"any with condition", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"1"}}}]}`,
			Decision{Allowed: true, ConditionsNotEvaluated: true}, Decision{Allowed: true, ConditionsNotEvaluated: true}},
		{"deny service", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:*"}]}`,
			Decision{ExplicitDeny: true}, Decision{Allowed: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Parse(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			if got := TrustsService(doc, "cloudtrail.amazonaws.com"); got != tc.service {
				t.Errorf("TrustsService = %+v, want %+v", got, tc.service)
			}
			if got := TrustsAccount(doc, "111111111111", "arn:aws:iam::111111111111:user/u"); got != tc.account {
				t.Errorf("TrustsAccount = %+v, want %+v", got, tc.account)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, doc := range []string{``, `{}`, `{"Statement":[{"Effect":"Maybe","Action":"*"}]}`,
		`{"Statement":[{"Effect":"Allow"}]}`, `{"Statement":[{"Effect":"Allow","Action":"*","Principal":"me"}]}`, `not json`} {
		if _, err := Parse(doc); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", doc)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`)
	f.Add(`{"Statement":{"Effect":"Deny","NotAction":["a*"],"NotResource":"?"}}`)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err == nil {
			Evaluate([]*Document{d}, "logs:PutLogEvents", group)
			TrustsService(d, "cloudtrail.amazonaws.com")
		}
	})
}
