package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/trailwatch/trailwatch/examples"
	"github.com/trailwatch/trailwatch/internal/iac/terraform"
	"github.com/trailwatch/trailwatch/internal/iampolicy"
)

// TestDeployCloudFormationRunsAsWritten: the continuous-mode template (hub and the member StackSet's template) passes
// cfn-lint where it is installed; its roles carry trailwatch iam-policy's documents; and its rules, set up in the
// simulator exactly as written (the member rule's pattern, the hub bus policy's organization condition, the hub rule's
// pattern), bring a member's StopLogging to the queue, where trailwatch watch reports it.
func TestDeployCloudFormationRunsAsWritten(t *testing.T) {
	if code, _, errs := run(t, "deploy", "cloudformation", "--org-id", "org-1", "--regions", "us-east-1"); code != ExitUsage ||
		!strings.Contains(errs, "--org-id") || !strings.Contains(errs, "--ous is required") {
		t.Errorf("bad flags: %d %s", code, errs)
	}
	if code, _, errs := run(t, "deploy", "cloudformation", "--mode", "lambda", "--org-id", "o-abcdefghij", "--ous", "r-ab12", "--regions", "us-east-1"); code != ExitUsage || !strings.Contains(errs, "--code-bucket") {
		t.Errorf("lambda without code: %d %s", code, errs)
	}
	// Field trial (issue 25): duplicate StackSet targets were accepted; a missing --org-id read "is not an id".
	if code, _, errs := run(t, "deploy", "cloudformation", "--org-id", "o-abcdefghij", "--ous", "r-ab12,r-ab12", "--regions", "us-east-1,us-east-1"); code != ExitUsage ||
		!strings.Contains(errs, "--ous names r-ab12 twice") || !strings.Contains(errs, "--regions names us-east-1 twice") {
		t.Errorf("duplicates: %d %s", code, errs)
	}
	if code, _, errs := run(t, "deploy", "terraform", "--ous", "r-ab12", "--regions", "us-east-1"); code != ExitUsage || !strings.Contains(errs, "--org-id is required") {
		t.Errorf("no --org-id: %d %s", code, errs)
	}
	dir := t.TempDir()
	hubPath := filepath.Join(dir, "hub.json")
	if code, _, errs := run(t, "deploy", "cloudformation", "--org-id", "o-abcdefghij", "--ous", "r-ab12", "--regions", "us-east-1,eu-west-1", "-o", hubPath); code != ExitOK {
		t.Fatalf("deploy: %d %s", code, errs)
	}
	lambdaPath := filepath.Join(dir, "hub-lambda.json")
	if code, _, errs := run(t, "deploy", "cloudformation", "--mode", "lambda", "--org-id", "o-abcdefghij", "--ous", "r-ab12", "--regions", "us-east-1",
		"--code-bucket", "trailwatch-releases", "--code-key", "v1/bootstrap.zip", "--args", "--alarms", "-o", lambdaPath); code != ExitOK {
		t.Fatalf("deploy lambda: %d %s", code, errs)
	}
	type tmpl struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]json.RawMessage
		}
	}
	read := func(path string) tmpl {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var x tmpl
		if err := json.Unmarshal(b, &x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	hub := read(hubPath)
	var body string
	if err := json.Unmarshal(hub.Resources["MemberStackSet"].Properties["TemplateBody"], &body); err != nil {
		t.Fatal(err)
	}
	memberPath := filepath.Join(dir, "member.json")
	os.WriteFile(memberPath, []byte(body), 0o600)
	member := read(memberPath)
	if _, err := exec.LookPath("cfn-lint"); err == nil {
		for _, p := range []string{hubPath, memberPath, lambdaPath} {
			if out, err := exec.Command("cfn-lint", p).CombinedOutput(); err != nil {
				t.Errorf("cfn-lint %s: %v\n%s", filepath.Base(p), err, out)
			}
		}
	} else {
		t.Log("cfn-lint is not installed: the templates are checked by running their rules in the simulator only")
	}
	// The roles carry the printed policies.
	policyOf := func(props map[string]json.RawMessage) string {
		var ps []struct{ PolicyDocument json.RawMessage }
		_ = json.Unmarshal(props["Policies"], &ps)
		return string(ps[0].PolicyDocument)
	}
	// The member's read role also imports the member's own findings into Security Hub (watch --security-hub imports
	// each finding in its account with that role; issue 25: it could not).
	wantRead, _ := iampolicy.Document("read", iampolicy.Options{ImportFindings: true})
	if got := policyOf(member.Resources["ReadRole"].Properties); !jsonEqual(t, got, wantRead) || !strings.Contains(got, "securityhub:BatchImportFindings") {
		t.Errorf("ReadRole's policy is not trailwatch iam-policy read --import-findings: %s", got)
	}
	wantWatch, _ := iampolicy.Document("watch", iampolicy.Options{MemberRole: "trailwatch-read"})
	if !jsonEqual(t, policyOf(hub.Resources["WatcherRole"].Properties), wantWatch) {
		t.Error("WatcherRole's policy is not trailwatch iam-policy watch --member-role trailwatch-read")
	}

	// Run the rules as written.
	srv := simFrom(t, examples.Watch)
	ctx := context.Background()
	hcfg := srv.SDKConfig("111111111111", "us-east-1")
	q, err := sqs.NewFromConfig(hcfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("trailwatch-events")})
	if err != nil {
		t.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(hcfg)
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("trailwatch")}); err != nil {
		t.Fatal(err)
	}
	var pol struct {
		Statement struct {
			Condition struct {
				StringEquals map[string]string
			}
		}
	}
	_ = json.Unmarshal(mustJSON(hub.Resources["EventBusPolicy"].Properties), &pol)
	if _, err := eb.PutPermission(ctx, &eventbridge.PutPermissionInput{EventBusName: aws.String("trailwatch"), Action: aws.String("events:PutEvents"), Principal: aws.String("*"),
		StatementId: aws.String("AllowOrganization"), Condition: &ebtypes.Condition{Type: aws.String("StringEquals"), Key: aws.String("aws:PrincipalOrgID"),
			Value: aws.String(pol.Statement.Condition.StringEquals["aws:PrincipalOrgID"])}}); err != nil {
		t.Fatal(err)
	}
	pattern := func(props map[string]json.RawMessage) string { return string(props["EventPattern"]) }
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("hub"), EventBusName: aws.String("trailwatch"), EventPattern: aws.String(pattern(hub.Resources["HubRule"].Properties))}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("hub"), EventBusName: aws.String("trailwatch"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String("arn:aws:sqs:us-east-1:111111111111:trailwatch-events")}}}); err != nil {
		t.Fatal(err)
	}
	// The StackSet reaches the members only: AWS never deploys a service-managed StackSet to the management account.
	// The management account's own changes reach the queue through the hub template's ManagementRule, on its default
	// bus (issue 25: they were seen only at the next sweep).
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("management"), EventPattern: aws.String(pattern(hub.Resources["ManagementRule"].Properties))}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("management"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String("arn:aws:sqs:us-east-1:111111111111:trailwatch-events")}}}); err != nil {
		t.Fatal(err)
	}
	for _, acct := range []string{"222222222222"} {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			m := eventbridge.NewFromConfig(srv.SDKConfig(acct, region))
			if _, err := m.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("trailwatch"), EventPattern: aws.String(pattern(member.Resources["ForwardRule"].Properties))}); err != nil {
				t.Fatal(err)
			}
			if _, err := m.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("trailwatch"), Targets: []ebtypes.Target{{Id: aws.String("hub"),
				Arn: aws.String("arn:aws:events:us-east-1:111111111111:event-bus/trailwatch")}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := cloudtrail.NewFromConfig(srv.SDKConfig("222222222222", "us-east-1")).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	if srv.QueueDepth("arn:aws:sqs:us-east-1:111111111111:trailwatch-events") != 1 {
		t.Fatalf("the member's StopLogging did not reach the hub queue through the template's rules")
	}
	if _, err := cloudwatchlogs.NewFromConfig(hcfg).PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("OrgCT"), RetentionInDays: aws.Int32(30)}); err != nil {
		t.Fatal(err)
	}
	if srv.QueueDepth("arn:aws:sqs:us-east-1:111111111111:trailwatch-events") != 2 {
		t.Fatalf("the management account's PutRetentionPolicy on the organization trail's log group did not reach the queue")
	}
	var lambdaRole struct {
		Resources map[string]struct {
			Properties struct{ ManagedPolicyArns []map[string]string }
		}
	}
	b, _ := os.ReadFile(lambdaPath)
	_ = json.Unmarshal(b, &lambdaRole)
	if arns := lambdaRole.Resources["WatcherRole"].Properties.ManagedPolicyArns; len(arns) != 1 || !strings.HasSuffix(arns[0]["Fn::Sub"], "service-role/AWSLambdaBasicExecutionRole") {
		t.Errorf("the Lambda function's role cannot write its logs: %v", arns)
	}
	// The watcher's first sweep already sees the stopped trail; run it with the event on the queue and check it drains.
	code, _, errs := runClock(t, srv.Now, "watch", "--org", "--once", "--queue", aws.ToString(q.QueueUrl), "--settle", "0s", "--wait-seconds", "1")
	if code != ExitOK || srv.QueueDepth("arn:aws:sqs:us-east-1:111111111111:trailwatch-events") != 0 {
		t.Errorf("watch --once: %d %s", code, errs)
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	return string(mustJSON(x)) == string(mustJSON(y))
}

// TestDeployTerraform: the Terraform form parses and evaluates with the project's own Terraform reader (terraform
// validate needs the AWS provider, which cannot be downloaded here), is formatted as terraform fmt writes it where
// terraform is installed, and carries the same member template and policy as the CloudFormation form.
func TestDeployTerraform(t *testing.T) {
	for _, mode := range []string{"service", "lambda"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"deploy", "terraform", "--mode", mode, "--org-id", "o-abcdefghij", "--ous", "r-ab12,ou-ab12-abcdefgh", "--regions", "us-east-1,eu-west-1",
				"-o", filepath.Join(dir, "main.tf")}
			if mode == "lambda" {
				args = append(args, "--code-bucket", "trailwatch-releases", "--code-key", "v1/bootstrap.zip")
			}
			if code, _, errs := run(t, args...); code != ExitOK {
				t.Fatalf("deploy terraform: %d %s", code, errs)
			}
			res := terraform.Load(dir, terraform.Options{})
			if len(res.Errors) > 0 || res.Files != 1 {
				t.Fatalf("the project's Terraform reader: %d files, errors %+v", res.Files, res.Errors)
			}
			text, _ := os.ReadFile(filepath.Join(dir, "main.tf"))
			f, diags := hclsyntax.ParseConfig(text, "main.tf", hcl.Pos{Line: 1, Column: 1})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			types := map[string]int{}
			for _, b := range f.Body.(*hclsyntax.Body).Blocks {
				if b.Type == "resource" {
					types[b.Labels[0]]++
				}
			}
			want := map[string]int{"aws_cloudwatch_event_bus": 1, "aws_cloudwatch_event_bus_policy": 1, "aws_cloudwatch_event_rule": 1, "aws_iam_role": 1,
				"aws_cloudformation_stack_set": 1, "aws_cloudformation_stack_set_instance": 2}
			// The hub rule, and the management account's own rule on its default bus (issue 25).
			want["aws_cloudwatch_event_rule"] = 2
			if mode == "service" {
				want["aws_sqs_queue"], want["aws_sqs_queue_policy"], want["aws_cloudwatch_event_target"] = 2, 1, 2
			} else {
				want["aws_lambda_function"], want["aws_lambda_permission"], want["aws_cloudwatch_event_target"], want["aws_cloudwatch_event_rule"] = 1, 4, 3, 3
				want["aws_iam_role_policy_attachment"] = 1 // AWSLambdaBasicExecutionRole: the function writes its logs
			}
			for typ, n := range want {
				if types[typ] != n {
					t.Errorf("%s: %d, want %d (all: %v)", typ, types[typ], n, types)
				}
			}
			// The heredoc holds the member template, its Fn::Sub escaped from Terraform's interpolation.
			if !strings.Contains(string(text), `"Fn::Sub": "arn:$${AWS::Partition}:iam::$${HubAccountId}:root"`) {
				t.Error("the member template's Fn::Sub is not escaped for Terraform")
			}
			if tf, err := exec.LookPath("terraform"); err == nil {
				cmd := exec.Command(tf, "fmt", "-check", "-diff", "main.tf")
				cmd.Dir, cmd.Env = dir, append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("terraform fmt -check: %v\n%s", err, out)
				}
			}
		})
	}
}

// TestDeployFromADelegatedAdministrator (issue 25): --delegated-admin creates the StackSet (and, in Terraform, its
// instances) with CallAs DELEGATED_ADMIN, without which CloudFormation refuses a service-managed StackSet created
// from a delegated administrator account; without the flag there is none.
func TestDeployFromADelegatedAdministrator(t *testing.T) {
	dir := t.TempDir()
	base := []string{"--org-id", "o-abcdefghij", "--ous", "r-ab12", "--regions", "us-east-1,eu-west-1"}
	for _, tc := range []struct {
		kind, file string
		want       int
	}{{"cloudformation", "hub.json", 1}, {"terraform", "main.tf", 3}} {
		for _, delegated := range []bool{false, true} {
			path := filepath.Join(dir, fmt.Sprint(delegated), tc.file)
			_ = os.MkdirAll(filepath.Dir(path), 0o755)
			args := append(append([]string{"deploy", tc.kind}, base...), "-o", path)
			if delegated {
				args = append(args, "--delegated-admin")
			}
			if code, _, errs := run(t, args...); code != ExitOK {
				t.Fatalf("%v: %d %s", args, code, errs)
			}
			text, _ := os.ReadFile(path)
			want := 0
			if delegated {
				want = tc.want
			}
			if n := strings.Count(string(text), "DELEGATED_ADMIN"); n != want {
				t.Errorf("%s --delegated-admin=%v: %d DELEGATED_ADMIN, want %d", tc.kind, delegated, n, want)
			}
		}
	}
}
