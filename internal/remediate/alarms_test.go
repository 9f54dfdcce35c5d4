package remediate

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

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

// recordingWriter performs nothing and remembers the params of each call.
type recordingWriter struct{ params []Params }

func (w *recordingWriter) Do(_ context.Context, _ string, params Params) error {
	w.params = append(w.params, params)
	return nil
}

// TestNotifyWebhookSecret: an https subscriber is given as its URL (https://hooks.example.com/...), as users write
// it; the old form https:URL still works. Its path carries the webhook's secret: errors and the journal keep only the
// scheme and host, while the call itself gets the whole URL.
func TestNotifyWebhookSecret(t *testing.T) {
	const hook = "https://hooks.example.com/services/T0/B0/SECRETXYZ"
	for _, in := range []string{hook, "https:" + hook} {
		proto, ep, err := SplitNotify(in)
		if err != nil || proto != "https" || ep != hook {
			t.Errorf("SplitNotify(%q) = %q, %q, %v", in, proto, ep, err)
		}
	}
	// Review: a URL in upper case, or without a scheme, was echoed whole in the error; an upper-case scheme is a URL.
	if proto, ep, err := SplitNotify("HTTPS://hooks.example.com/services/T0/B0/SECRETXYZ"); err != nil || proto != "https" || ep != "HTTPS://hooks.example.com/services/T0/B0/SECRETXYZ" {
		t.Errorf("an upper-case scheme: %q %q %v", proto, ep, err)
	} else if cli := RenderCLI("us-east-1", SubscribeInput{TopicArn: "arn:aws:sns:us-east-1:111111111111:t", Protocol: proto, Endpoint: ep}); strings.Contains(cli, "SECRETXYZ") {
		// The printed command hides it whatever the URL's case: one rule (the protocol) for every rendering.
		t.Errorf("the command shows the secret: %s", cli)
	}
	for _, bad := range []string{"https:hooks.example.com/services/T0/B0/SECRETXYZ", "http:ftp://hooks.example.com/SECRETXYZ",
		"hooks.example.com/services/T0/B0/SECRETXYZ", "webhook:https://hooks.example.com/SECRETXYZ", "email:https://x.example.com/SECRETXYZ"} {
		if err := CheckNotify(bad); err == nil || strings.Contains(err.Error(), "SECRETXYZ") {
			t.Errorf("CheckNotify(%q) = %v: want an error without the secret", bad, err)
		}
	}
	var journal bytes.Buffer
	w := &recordingWriter{}
	step := newStep("111111111111", "us-east-1", "arn:aws:sns:us-east-1:111111111111:t", "",
		SubscribeInput{TopicArn: "arn:aws:sns:us-east-1:111111111111:t", Protocol: "https", Endpoint: hook})
	Apply(context.Background(), w, []Step{step}, NewJournal(&journal, "tester", nil), ApplyOptions{})
	if len(w.params) != 1 || w.params[0].(SubscribeInput).Endpoint != hook {
		t.Errorf("the call got %v", w.params)
	}
	if strings.Contains(journal.String(), "SECRETXYZ") || !strings.Contains(journal.String(), "hooks.example.com") {
		t.Errorf("journal: %s", journal.String())
	}
}
