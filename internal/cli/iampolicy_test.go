package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/trailwatch/trailwatch/internal/awssim"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailwatch/trailwatch/examples"
	"github.com/trailwatch/trailwatch/internal/iampolicy"
	"github.com/trailwatch/trailwatch/internal/policy"
)

// TestIAMPoliciesAllowEveryCall runs each mode against the simulator (scan --org --alarms, scan --discovery list and
// discovery check; fix apply --alarms;
// watch --once with its sinks and lambda --invoke of a Config invocation), records every call each made, and checks
// with the project's policy evaluator that the mode's printed policy allows each one: nothing the tool does is left
// out of the policy a user attaches.
// batchPermission maps a batch call to the IAM action that allows it ("Amazon SQS API permissions: Actions and
// resource reference": DeleteMessageBatch is allowed by sqs:DeleteMessage).
// ListObjectsV2 is allowed by s3:ListBucket ("Amazon S3 actions": ListObjectsV2 requires s3:ListBucket).
var batchPermission = map[string]string{"sqs:DeleteMessageBatch": "sqs:DeleteMessage", "s3:ListObjectsV2": "s3:ListBucket"}

// checkCalls holds the mode's policy to every call the simulator counted (but the test's own), and returns how many.
func checkCalls(t *testing.T, mode string, srv *awssim.Server, own []string) int {
	t.Helper()
	doc, err := iampolicy.Document(mode, iampolicy.Options{MemberRole: "OrganizationAccountAccessRole"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := policy.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	for _, c := range srv.Counters() {
		action := c.Service + ":" + c.Operation
		if slices.Contains(own, action) {
			continue
		}
		if a, ok := batchPermission[action]; ok {
			action = a
		}
		res := "*"
		if action == "sts:AssumeRole" {
			res = "arn:aws:iam::" + c.Account + ":role/OrganizationAccountAccessRole"
		}
		calls += c.Calls
		if !policy.Evaluate([]*policy.Document{d}, action, res).Allowed {
			t.Errorf("%s makes %s (%d calls), which its policy does not allow", mode, action, c.Calls)
		}
	}
	return calls
}

func TestIAMPoliciesAllowEveryCall(t *testing.T) {
	for _, mode := range iampolicy.Modes {
		t.Run(mode, func(t *testing.T) {
			text := examples.Organization
			if mode == "read" {
				// An organization telemetry rule: its reads and its groups' in every member are the read mode's too.
				text = bytes.Replace(text, []byte("  delegated_admin: \"222222222222\"\n"), []byte("  delegated_admin: \"222222222222\"\n  telemetry_rules: [{name: org-capture, home_region: us-east-1}]\n"), 1)
				if !bytes.Contains(text, []byte("org-capture")) {
					t.Fatal("the example's organization block changed: the telemetry rule was not added")
				}
			}
			if mode == "prove" {
				// Records visible at once, so that the proof finds them on its first search.
				text = append([]byte("log_delivery_delay: 0s\n"), text...)
			}
			srv := simFrom(t, text)
			ctx := context.Background()
			mgmt := srv.Accounts()[0]
			dir := t.TempDir()
			run := simRun(srv)
			var own []string // calls the test itself makes (not the mode's)
			switch mode {
			case "read":
				run(t, "scan", "--org", "--alarms", "--cost", "--format", "json", "--output", filepath.Join(dir, "r.json"))
				if srv.CallsTo("cloudwatch:GetMetricData") == 0 {
					t.Fatal("scan --cost read no metric: the test no longer holds the policy to GetMetricData")
				}
				if srv.CallsTo("cloudtrail:ListChannels") == 0 || srv.CallsTo("cloudtrail:GetChannel") == 0 {
					t.Fatal("scan --org read no service-linked channel: the test no longer holds the policy to those calls")
				}
				run(t, "scan", "--org", "--discovery", "list", "--format", "json", "--output", filepath.Join(dir, "l.json"))
				run(t, "scan", "--org", "--accounts", "222222222222", "--format", "json", "--output", filepath.Join(dir, "a.json"))
				// An account no integrated trail captures: its Security Lake and CloudTrail Lake are read too.
				srvAlt := simFrom(t, []byte("accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    security_lake: [{region: us-east-1}]\n"))
				simRun(srvAlt)(t, "scan")
				if srvAlt.CallsTo("securitylake:GetDataLakeSources") == 0 || srvAlt.CallsTo("cloudtrail:ListEventDataStores") == 0 || srvAlt.CallsTo("securitylake:ListLogSources") == 0 {
					t.Fatal("the scan read no alternate: the test no longer holds the policy to those calls")
				}
				checkCalls(t, mode, srvAlt, nil)
				pointAt(t, srv.URL, srv.Accounts()[0])
				run(t, "discovery", "check", "--format", "json")
			case "prove":
				if code, _, errs := run(t, "prove", "--org", "--alarms", "--timeout", "1m", "--poll", "1s", "--format", "json", "--output", filepath.Join(dir, "p.json")); code == ExitUsage {
					t.Fatalf("prove: %s", errs)
				}
			case "fix":
				// The cost estimate reads the trails' S3 delivery.
				srvCost := simFrom(t, []byte(costScenario))
				if code, _, errs := simRun(srvCost)(t, "fix", "plan", "--cost"); code != 0 {
					t.Fatalf("fix plan --cost: %d %s", code, errs)
				}
				for _, op := range []string{"s3:GetBucketLocation", "s3:ListObjectsV2", "s3:GetObject"} {
					if srvCost.CallsTo(op) == 0 {
						t.Errorf("fix plan --cost made no %s: the test no longer holds the policy to it", op)
					}
				}
				if n := checkCalls(t, mode, srvCost, nil); n < 10 {
					t.Fatalf("only %d calls recorded for fix plan --cost", n)
				}
				// A new trail for an account no trail covers (fix --trail-bucket).
				srvNew := simFrom(t, []byte(newTrailScenario))
				if code, out, errs := simRun(srvNew)(t, "fix", "apply", "--trail-bucket", "ct-logs", "--yes", "--journal", filepath.Join(dir, "n.jsonl")); code != 0 {
					t.Fatalf("fix apply --trail-bucket: %d %s %s", code, out, errs)
				}
				if srvNew.CallsTo("cloudtrail:CreateTrail") != 1 {
					t.Fatal("fix apply --trail-bucket created no trail: the test no longer holds the policy to CreateTrail")
				}
				checkCalls(t, mode, srvNew, nil)
				// An organization telemetry rule, from the management account (fix --via org-telemetry-rule).
				srvOrg := simFrom(t, []byte(orgTelemetryScenario))
				if code, out, errs := simRun(srvOrg)(t, "fix", "apply", "--org", "--via", "org-telemetry-rule", "--yes", "--journal", filepath.Join(dir, "o.jsonl")); code != 0 {
					t.Fatalf("fix apply --via org-telemetry-rule: %d %s %s", code, out, errs)
				}
				if srvOrg.CallsTo("observabilityadmin:CreateTelemetryRuleForOrganization") != 1 || srvOrg.CallsTo("observabilityadmin:StartTelemetryEvaluationForOrganization") != 1 {
					t.Fatal("fix apply --via org-telemetry-rule made no organization rule: the test no longer holds the policy to those calls")
				}
				checkCalls(t, mode, srvOrg, nil)
				pointAt(t, srv.URL, srv.Accounts()[0])
				// Capture by telemetry rules first (the accounts whose trails fail), then the trails' and alarms' fixes.
				run(t, "fix", "apply", "--org", "--via", "telemetry-rule", "--yes", "--journal", filepath.Join(dir, "t.jsonl"))
				if srv.CallsTo("observabilityadmin:CreateTelemetryRule") == 0 {
					t.Fatal("fix apply --via telemetry-rule created no rule: the test no longer holds the policy to those calls")
				}
				run(t, "fix", "apply", "--org", "--alarms", "--yes", "--notify", "email:sec@example.com", "--journal", filepath.Join(dir, "j.jsonl"))
			case "watch":
				cfg := srv.SDKConfig(mgmt.AccountID, "us-east-1")
				q, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("w")})
				if err != nil {
					t.Fatal(err)
				}
				srv.ResetCounters()
				ev := `{"version":"0","id":"e","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","account":"111111111111","region":"us-east-1","time":"2026-11-22T12:00:00Z","resources":[],"detail":{"eventName":"StopLogging","requestParameters":{"name":"org-trail"},"recipientAccountId":"111111111111"}}`
				wctx, stop := context.WithCancel(ctx)
				done := make(chan int, 1)
				go func() {
					e := &env{stdin: strings.NewReader(""), stdout: &syncBuf{}, stderr: &syncBuf{}, now: srv.Now}
					done <- execute(wctx, e, []string{"watch", "--org", "--alarms", "--queue", aws.ToString(q.QueueUrl), "--settle", "0s", "--wait-seconds", "1",
						"--notify", "sns:arn:aws:sns:us-east-1:111111111111:cis-alarms", "--security-hub"})
				}()
				waitUntil(t, func() bool { return srv.CallsTo("sqs:ReceiveMessage") > 0 })
				// The break, after the baseline, and its event (the test's own calls, not counted).
				if _, err := cloudtrail.NewFromConfig(cfg).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("org-trail")}); err != nil {
					t.Fatal(err)
				}
				if _, err := sqs.NewFromConfig(cfg).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(ev)}); err != nil {
					t.Fatal(err)
				}
				own = append(own, "cloudtrail:StopLogging", "sqs:SendMessage", "sqs:CreateQueue")
				waitUntil(t, func() bool {
					return len(srv.Published("arn:aws:sns:us-east-1:111111111111:cis-alarms")) > 0 && srv.CallsTo("sqs:DeleteMessageBatch") > 0 &&
						srv.CallsTo("securityhub:BatchImportFindings") > 0
				})
				stop()
				if code := <-done; code != ExitOK {
					t.Fatalf("watch exit %d", code)
				}
				ie, _ := json.Marshal(map[string]any{"messageType": "ScheduledNotification", "awsAccountId": mgmt.AccountID, "notificationCreationTime": "2026-11-22T12:00:00Z"})
				payload, _ := json.Marshal(map[string]any{"invokingEvent": string(ie), "resultToken": srv.ConfigResultToken(mgmt.AccountID, "us-east-1", "tw"), "configRuleName": "tw", "accountId": mgmt.AccountID})
				path := filepath.Join(dir, "inv.json")
				os.WriteFile(path, payload, 0o600)
				if code, out, errs := run(t, "lambda", "--invoke", path); code != ExitOK {
					t.Fatalf("lambda: %d %s %s", code, out, errs)
				}
			}
			if calls := checkCalls(t, mode, srv, own); calls < 20 {
				t.Fatalf("only %d calls recorded: the mode did not run", calls)
			}
			if mode == "read" || mode == "prove" {
				for _, c := range srv.Counters() {
					if c.Service+":"+c.Operation == "ec2:CreatePlacementGroup" {
						continue // the write marker, a dry run
					}
					if strings.HasPrefix(c.Operation, "Put") || strings.HasPrefix(c.Operation, "Create") || strings.HasPrefix(c.Operation, "Update") {
						t.Errorf("%s made %s:%s", mode, c.Service, c.Operation)
					}
				}
			}
		})
	}
}

func waitUntil(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
