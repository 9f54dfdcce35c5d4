package remediate

import "testing"

// TestCheckNotify: each protocol's endpoint is checked for its own shape, so a topic ARN given as an SQS queue or a
// function name without its ARN is refused before any plan is made.
func TestCheckNotify(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"email:sec@example.com", true},
		{"email:", false},
		{"email:nobody", false},
		{"sqs:arn:aws:sqs:us-east-1:111111111111:alerts", true},
		{"sqs:arn:aws:sns:us-east-1:111111111111:alerts", false},
		{"sqs:arn:aws:sqs:us-east-1:1:alerts", false},
		{"sqs:alerts", false},
		{"lambda:arn:aws:lambda:us-east-1:111111111111:function:pager", true},
		{"lambda:arn:aws:lambda:us-east-1:111111111111:pager", false},
		{"firehose:arn:aws-us-gov:firehose:us-gov-west-1:111111111111:deliverystream/s", true},
		{"https:https://hooks.example.com/x", true},
		{"https:hooks.example.com", false},
		{"sms:+15555550100", false},
		{"bogus", false},
	} {
		if err := CheckNotify(tc.in); (err == nil) != tc.ok {
			t.Errorf("CheckNotify(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}
