package awscli

import (
	"os"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/awssim/simtest"
)

// TestCLI: a command gives the same result in the long-lived process as in its own `aws` process: its output, its
// exit code on failure; a shell line that is more than one plain command (a pipe) runs in bash.
func TestCLI(t *testing.T) {
	if !Available() {
		t.Skip("the AWS CLI (aws) is not on the PATH; install it to run this cross-check")
	}
	srv := simtest.Serve(t, "accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n", awssim.Options{})
	creds, err := srv.SDKConfig("111111111111", "us-east-1").Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_ENDPOINT_URL="+srv.URL, "AWS_ACCESS_KEY_ID="+creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey, "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=")
	for _, b := range []bool{true, false} {
		batched = b
		c := Start(env)
		if b && c.cmd == nil {
			t.Log("python cannot import awscli here: every command runs as its own process")
		}
		if r := c.Run("sts", "get-caller-identity", "--query", "Account", "--output", "text"); r.Code != 0 || strings.TrimSpace(r.Out) != "111111111111" {
			t.Errorf("batched=%v: get-caller-identity: %+v", b, r)
		}
		if r := c.Shell("aws sts get-caller-identity --query 'Account' --output text"); r.Code != 0 || strings.TrimSpace(r.Out) != "111111111111" {
			t.Errorf("batched=%v: a printed line: %+v", b, r)
		}
		if r := c.Shell("aws sts get-caller-identity --query Account --output text | tr 1 2"); r.Code != 0 || strings.TrimSpace(r.Out) != "222222222222" {
			t.Errorf("batched=%v: a pipe: %+v", b, r)
		}
		if r := c.Run("logs", "describe-log-groups", "--log-group-name-prefix", "x", "--bogus-flag"); r.Code == 0 || !strings.Contains(r.Combined(), "bogus-flag") {
			t.Errorf("batched=%v: a bad flag: %+v", b, r)
		}
		if r := c.Run("cloudtrail", "get-trail-status", "--name", "nope"); r.Code == 0 || !strings.Contains(r.Combined(), "TrailNotFoundException") {
			t.Errorf("batched=%v: an API error: %+v", b, r)
		}
		c.Close()
	}
	batched = true
}
