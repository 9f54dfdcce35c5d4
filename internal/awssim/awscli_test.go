package awssim

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/awscli"
)

// TestAWSCLI drives the simulator with the AWS CLI (botocore), a second client independent of aws-sdk-go-v2 that the
// wire format must satisfy. Skipped where `aws` is not installed.
func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not on the PATH; install it to run this cross-check")
	}
	s := startFile(t, "../../examples/organization.yaml")
	clis := map[string]*awscli.CLI{} // one AWS CLI process per account's credentials
	run := func(acct string, args ...string) map[string]any {
		t.Helper()
		cli := clis[acct]
		if cli == nil {
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "AWS_") {
					env = append(env, kv)
				}
			}
			cli = awscli.Start(append(env, "AWS_ENDPOINT_URL="+s.URL, "AWS_ACCESS_KEY_ID="+AccessKeyFor(acct),
				"AWS_SECRET_ACCESS_KEY="+secretFor(acct), "AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1",
				"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
				"AWS_MAX_ATTEMPTS=1", "AWS_PAGER="))
			t.Cleanup(cli.Close)
			clis[acct] = cli
		}
		r := cli.Run(append(args, "--output", "json")...)
		out := []byte(r.Combined())
		if r.Code != 0 {
			t.Fatalf("aws %s: exit %d\n%s", strings.Join(args, " "), r.Code, out)
		}
		out = []byte(r.Out)
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("aws %s: not JSON: %v\n%s", strings.Join(args, " "), err, out)
		}
		return m
	}
	trails := run(member, "cloudtrail", "describe-trails")["trailList"].([]any)
	var arns []string
	for _, tr := range trails {
		arns = append(arns, tr.(map[string]any)["TrailARN"].(string))
	}
	if len(arns) != 3 || !strings.Contains(strings.Join(arns, " "), orgARN) {
		t.Errorf("describe-trails from a member: %v", arns)
	}
	st := run(mgmt, "cloudtrail", "get-trail-status", "--name", orgARN)
	if st["IsLogging"] != true || st["LatestCloudWatchLogsDeliveryTime"] == nil {
		t.Errorf("get-trail-status: %v", st)
	}
	if _, ok := st["LatestCloudWatchLogsDeliveryError"]; ok {
		t.Errorf("healthy trail has a delivery error: %v", st)
	}
	st = run(member, "cloudtrail", "get-trail-status", "--name", "payments-stale")
	// AWS CLI v1 prints timestamps as received (cli_timestamp_format "none"): epoch seconds.
	if got, _ := st["LatestCloudWatchLogsDeliveryTime"].(float64); int64(got) != fixedNow.Add(-26*time.Hour).Unix() {
		t.Errorf("pinned delivery time as the CLI parses it: %v", st["LatestCloudWatchLogsDeliveryTime"])
	}
	groups := run("222222222222", "logs", "describe-log-groups")["logGroups"].([]any)
	if len(groups) != 1 || groups[0].(map[string]any)["retentionInDays"].(float64) != 30 {
		t.Errorf("describe-log-groups: %v", groups)
	}
	role := run(mgmt, "iam", "get-role", "--role-name", "CloudTrailCWLogsRole")["Role"].(map[string]any)
	trust, _ := json.Marshal(role["AssumeRolePolicyDocument"])
	if role["Arn"] != "arn:aws:iam::111111111111:role/CloudTrailCWLogsRole" || !strings.Contains(string(trust), "cloudtrail.amazonaws.com") {
		t.Errorf("get-role: %v", role)
	}
	roles := run(mgmt, "iam", "list-roles")["Roles"].([]any)
	found := false
	for _, r := range roles {
		found = found || r.(map[string]any)["RoleName"] == "CloudTrailCWLogsRole"
	}
	if !found {
		t.Errorf("list-roles: %v", roles)
	}
	id := run(member, "sts", "get-caller-identity")
	if id["Account"] != member {
		t.Errorf("get-caller-identity: %v", id)
	}
}
