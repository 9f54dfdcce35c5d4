package awsarn

import "testing"

// The expected ARNs are written out as AWS documents them (IAM User Guide "IAM identifiers"; CloudTrail's
// CloudWatchLogsLogGroupArn with ":*"), not built by the code under test.
func TestBuild(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{LogGroupARN("aws", "us-east-1", "123456789012", "CloudTrail/DefaultLogGroup"), "arn:aws:logs:us-east-1:123456789012:log-group:CloudTrail/DefaultLogGroup:*"},
		{LogGroup{"aws-cn", "cn-north-1", "123456789012", "ct"}.Bare(), "arn:aws-cn:logs:cn-north-1:123456789012:log-group:ct"},
		{LogGroup{"aws-us-gov", "us-gov-west-1", "123456789012", "ct"}.StreamARN("123456789012_CloudTrail_us-gov-west-1"),
			"arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:ct:log-stream:123456789012_CloudTrail_us-gov-west-1"},
		{Trail("aws", "eu-west-1", "123456789012", "main"), "arn:aws:cloudtrail:eu-west-1:123456789012:trail/main"},
		{Role("aws-us-gov", "123456789012", "CloudTrail_CloudWatchLogs_Role"), "arn:aws-us-gov:iam::123456789012:role/CloudTrail_CloudWatchLogs_Role"},
		{Policy("aws", "123456789012", "p"), "arn:aws:iam::123456789012:policy/p"},
		{Topic("aws", "us-east-1", "123456789012", "alerts"), "arn:aws:sns:us-east-1:123456789012:alerts"},
		{Alarm("aws", "us-east-1", "123456789012", "root-usage"), "arn:aws:cloudwatch:us-east-1:123456789012:alarm:root-usage"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want LogGroup
		ok   bool
	}{
		{"arn:aws:logs:us-east-1:123456789012:log-group:CloudTrail/x:*", LogGroup{"aws", "us-east-1", "123456789012", "CloudTrail/x"}, true},
		{"arn:aws-cn:logs:cn-north-1:123456789012:log-group:ct", LogGroup{"aws-cn", "cn-north-1", "123456789012", "ct"}, true},
		{"arn:aws:logs:us-east-1:123456789012:log-group:ct:log-stream:s", LogGroup{"aws", "us-east-1", "123456789012", "ct"}, true},
		{"arn:aws:logs:us-east-1:123456789012:log-group:", LogGroup{}, false},
		{"arn:aws:s3:::bucket", LogGroup{}, false},
		{"log-group:ct", LogGroup{}, false},
		{"arn:aws:logs:us-east-1", LogGroup{}, false},
	} {
		got, ok := ParseLogGroup(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseLogGroup(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	for in, want := range map[string]string{"arn:aws-us-gov:iam::123456789012:role/r": "aws-us-gov", "arn:aws-cn:sns:cn-north-1:1:t": "aws-cn",
		"not-an-arn": "aws", "arn:aws-iso:foo": "aws"} {
		if got := Partition(in); got != want {
			t.Errorf("Partition(%q) = %q, want %q", in, got, want)
		}
	}
	if r, a := Where("arn:aws:cloudtrail:eu-west-1:123456789012:trail/t"); r != "eu-west-1" || a != "123456789012" {
		t.Errorf("Where = %q, %q", r, a)
	}
	if r, a := Where("arn:aws:iam::123456789012:role/r"); r != "" || a != "123456789012" {
		t.Errorf("Where(role) = %q, %q", r, a)
	}
	for in, want := range map[string]string{"arn:aws:iam::123456789012:role/service-role/MyRole": "MyRole",
		"arn:aws:iam::123456789012:role/r": "r", "r": "r"} {
		if got := RoleName(in); got != want {
			t.Errorf("RoleName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Names with the characters CloudWatch Logs allows ('#', '/', '.'), and role paths.
func TestNamesAndPaths(t *testing.T) {
	if g, ok := ParseLogGroup("arn:aws-cn:logs:cn-north-1:111111111111:log-group:a/b.c#d"); !ok || g.Name != "a/b.c#d" {
		t.Errorf("got %+v %v", g, ok)
	}
	if _, ok := ParseLogGroup("arn:aws:logs:us-east-1:111111111111:log-group::*"); ok {
		t.Error("a group ARN without a name parsed")
	}
	if got := RoleName("arn:aws-us-gov:iam::111111111111:role/service/team/CTRole"); got != "CTRole" {
		t.Errorf("RoleName = %q", got)
	}
	if got := RoleName("not-an-arn/Name"); got != "Name" {
		t.Errorf("RoleName = %q", got)
	}
}
