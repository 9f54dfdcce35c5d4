package deploy

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteWatchTerraform writes continuous mode as one Terraform configuration for the hub account: the same resources as
// the CloudFormation template (the bus and its organization policy, the queue or the Lambda function, the watcher's
// role), and the member side as a service-managed CloudFormation StackSet (aws_cloudformation_stack_set with an
// aws_cloudformation_stack_set_instance per region) carrying the same member template. A StackSet, not a provider per
// account and region: Terraform cannot create providers in a loop, and a service-managed StackSet with automatic
// deployment reaches every account of the OUs, including accounts that join later. The AWS provider 6 names the
// instance's region stack_set_instance_region (region became the provider-wide override in 6.0).
func WriteWatchTerraform(out io.Writer, w Watch) error {
	if err := w.Validate(); err != nil {
		return err
	}
	member, err := json.MarshalIndent(w.MemberTemplate(), "", "  ")
	if err != nil {
		return err
	}
	watchPolicy, err := json.MarshalIndent(policyDoc("watch", w.ReadRole), "", "  ")
	if err != nil {
		return err
	}
	pattern, _ := json.Marshal(map[string]any{"detail-type": []string{"AWS API Call via CloudTrail", "Region Opt-In Status Change"}})
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# trailwatch continuous mode for organization %s (trailwatch deploy terraform --mode %s).\n", w.OrgID, w.Mode)
	p("# Apply in the hub account, as the management account or a CloudFormation delegated administrator.\n")
	p("terraform {\n  required_version = \">= 1.5.0\"\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = \">= 6.0\"\n    }\n  }\n}\n\n")
	p("data \"aws_caller_identity\" \"hub\" {}\ndata \"aws_partition\" \"current\" {}\n\n")
	p("resource \"aws_cloudwatch_event_bus\" \"trailwatch\" {\n  name = \"trailwatch\"\n}\n\n")
	p("resource \"aws_cloudwatch_event_bus_policy\" \"organization\" {\n  event_bus_name = aws_cloudwatch_event_bus.trailwatch.name\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [{\n      Sid       = \"AllowOrganization\"\n      Effect    = \"Allow\"\n      Principal = \"*\"\n      Action    = \"events:PutEvents\"\n      Resource  = aws_cloudwatch_event_bus.trailwatch.arn\n      Condition = { StringEquals = { \"aws:PrincipalOrgID\" = %q } }\n    }]\n  })\n}\n\n", w.OrgID)
	principal := watcherPrincipal(w.Mode)
	p("resource \"aws_iam_role\" \"watcher\" {\n  name_prefix = \"trailwatch-watcher-\"\n  assume_role_policy = jsonencode({\n    Version   = \"2012-10-17\"\n    Statement = [{ Effect = \"Allow\", Principal = { Service = %q }, Action = \"sts:AssumeRole\" }]\n  })\n}\n\n", principal)
	p("resource \"aws_iam_role_policy\" \"watcher\" {\n  name   = \"TrailwatchWatch\"\n  role   = aws_iam_role.watcher.id\n  policy = <<-POLICY\n%s\n  POLICY\n}\n\n", indent(string(watchPolicy), "    "))
	p("resource \"aws_cloudwatch_event_rule\" \"hub\" {\n  name           = \"trailwatch-hub\"\n  event_bus_name = aws_cloudwatch_event_bus.trailwatch.name\n  event_pattern  = %s\n}\n\n", hclQuote(string(pattern)))
	// This account's own changes, on its default bus: the service-managed StackSet never reaches the management
	// account (HubTemplate says why).
	local, _ := json.Marshal(WatchEventPattern())
	p("resource \"aws_cloudwatch_event_rule\" \"management\" {\n  name          = \"trailwatch-management\"\n  description   = \"trailwatch: this account's own changes (the StackSet does not reach the management account)\"\n  event_pattern = %s\n}\n\n", hclQuote(string(local)))
	if w.Mode == "lambda" {
		p("resource \"aws_iam_role_policy_attachment\" \"watcher_logs\" {\n  role       = aws_iam_role.watcher.name\n  policy_arn = \"arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/%s\"\n}\n\n", LambdaLogsPolicy)
	}
	switch w.Mode {
	case "service":
		p("resource \"aws_sqs_queue\" \"dead_letter\" {\n  name                      = \"trailwatch-events-dlq\"\n  message_retention_seconds = 1209600\n}\n\n")
		p("resource \"aws_sqs_queue\" \"events\" {\n  name                       = \"trailwatch-events\"\n  visibility_timeout_seconds = 120\n  receive_wait_time_seconds  = 20\n  redrive_policy = jsonencode({\n    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn\n    maxReceiveCount     = 5\n  })\n}\n\n")
		p("resource \"aws_sqs_queue_policy\" \"events\" {\n  queue_url = aws_sqs_queue.events.id\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [{\n      Effect    = \"Allow\"\n      Principal = { Service = \"events.amazonaws.com\" }\n      Action    = \"sqs:SendMessage\"\n      Resource  = aws_sqs_queue.events.arn\n      Condition = { ArnEquals = { \"aws:SourceArn\" = [aws_cloudwatch_event_rule.hub.arn, aws_cloudwatch_event_rule.management.arn] } }\n    }]\n  })\n}\n\n")
		p("resource \"aws_cloudwatch_event_target\" \"queue\" {\n  rule           = aws_cloudwatch_event_rule.hub.name\n  event_bus_name = aws_cloudwatch_event_bus.trailwatch.name\n  target_id      = \"trailwatch-queue\"\n  arn            = aws_sqs_queue.events.arn\n}\n\n")
		p("resource \"aws_cloudwatch_event_target\" \"management_queue\" {\n  rule      = aws_cloudwatch_event_rule.management.name\n  target_id = \"trailwatch-queue\"\n  arn       = aws_sqs_queue.events.arn\n}\n\n")
		p("output \"queue_url\" {\n  value       = aws_sqs_queue.events.id\n  description = \"trailwatch watch --org --queue <this>\"\n}\n\n")
	case "lambda":
		args := strings.TrimSpace("--org --role-name " + w.ReadRole + " " + w.Args)
		p("resource \"aws_lambda_function\" \"trailwatch\" {\n  function_name = \"trailwatch\"\n  runtime       = \"provided.al2023\"\n  handler       = \"bootstrap\"\n  architectures = [\"x86_64\"]\n  s3_bucket     = %q\n  s3_key        = %q\n  memory_size   = 1024\n  timeout       = 900\n  role          = aws_iam_role.watcher.arn\n  environment {\n    variables = { TRAILWATCH_ARGS = %q }\n  }\n}\n\n", w.CodeBucket, w.CodeKey, args)
		p("resource \"aws_cloudwatch_event_target\" \"function\" {\n  rule           = aws_cloudwatch_event_rule.hub.name\n  event_bus_name = aws_cloudwatch_event_bus.trailwatch.name\n  target_id      = \"trailwatch-function\"\n  arn            = aws_lambda_function.trailwatch.arn\n}\n\n")
		p("resource \"aws_cloudwatch_event_rule\" \"sweep\" {\n  name                = \"trailwatch-sweep\"\n  schedule_expression = %q\n}\n\n", w.Sweep)
		p("resource \"aws_cloudwatch_event_target\" \"sweep\" {\n  rule      = aws_cloudwatch_event_rule.sweep.name\n  target_id = \"trailwatch-sweep\"\n  arn       = aws_lambda_function.trailwatch.arn\n}\n\n")
		p("resource \"aws_cloudwatch_event_target\" \"management_function\" {\n  rule      = aws_cloudwatch_event_rule.management.name\n  target_id = \"trailwatch-function\"\n  arn       = aws_lambda_function.trailwatch.arn\n}\n\n")
		for _, r := range []string{"hub", "sweep", "management"} {
			p("resource \"aws_lambda_permission\" %q {\n  action        = \"lambda:InvokeFunction\"\n  function_name = aws_lambda_function.trailwatch.function_name\n  principal     = \"events.amazonaws.com\"\n  source_arn    = aws_cloudwatch_event_rule.%s.arn\n}\n\n", r, r)
		}
		p("resource \"aws_lambda_permission\" \"config\" {\n  action         = \"lambda:InvokeFunction\"\n  function_name  = aws_lambda_function.trailwatch.function_name\n  principal      = \"config.amazonaws.com\"\n  source_account = data.aws_caller_identity.hub.account_id\n}\n\n")
	}
	// The member template's Fn::Sub references (${AWS::Partition}) are not Terraform interpolations.
	memberText := strings.ReplaceAll(string(member), "${", "$${")
	callAs := ""
	if w.DelegatedAdmin {
		callAs = "  call_as          = \"DELEGATED_ADMIN\"\n"
	}
	p("resource \"aws_cloudformation_stack_set\" \"members\" {\n  name             = \"trailwatch-members\"\n  permission_model = \"SERVICE_MANAGED\"\n%s  capabilities     = [\"CAPABILITY_NAMED_IAM\"]\n  auto_deployment {\n    enabled                          = true\n    retain_stacks_on_account_removal = false\n  }\n  parameters = {\n    HubBusArn    = aws_cloudwatch_event_bus.trailwatch.arn\n    HubAccountId = data.aws_caller_identity.hub.account_id\n  }\n  template_body = <<-TEMPLATE\n%s\n  TEMPLATE\n  lifecycle {\n    ignore_changes = [administration_role_arn]\n  }\n}\n\n", callAs, indent(memberText, "    "))
	regions := append([]string(nil), w.Regions...)
	sort.Strings(regions)
	for _, r := range regions {
		instanceCallAs := ""
		if w.DelegatedAdmin {
			instanceCallAs = "  call_as                   = \"DELEGATED_ADMIN\"\n"
		}
		p("resource \"aws_cloudformation_stack_set_instance\" %q {\n  stack_set_name            = aws_cloudformation_stack_set.members.name\n  stack_set_instance_region = %q\n%s  deployment_targets {\n    organizational_unit_ids = %s\n  }\n}\n\n", "members_"+strings.ReplaceAll(r, "-", "_"), r, instanceCallAs, hclList(w.OUs))
	}
	p("output \"event_bus_arn\" {\n  value = aws_cloudwatch_event_bus.trailwatch.arn\n}\n")
	_, err = io.WriteString(out, b.String())
	return err
}

func indent(s, pad string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n")
}

func hclQuote(s string) string {
	b, _ := json.Marshal(s)
	return strings.ReplaceAll(string(b), "${", "$${")
}

func hclList(l []string) string {
	var q []string
	for _, s := range l {
		q = append(q, fmt.Sprintf("%q", s))
	}
	return "[" + strings.Join(q, ", ") + "]"
}
