package deploy

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/iampolicy"
	"github.com/trailwatch/trailwatch/internal/partition"
)

// Watch says what the continuous mode's CloudFormation holds (trailwatch deploy cloudformation): in the hub account,
// an event bus that admits the organization, a rule on it that fills an SQS queue (with a dead-letter queue) for
// `trailwatch watch`, or invokes the Lambda function (`trailwatch lambda`) with a scheduled sweep; the role the watcher
// runs as; and a service-managed StackSet that puts, in every account of the given OUs and every given region, a rule
// forwarding the events that can break the control to the hub bus, with the role EventBridge needs for that, and (in
// one region) the read role the watcher assumes.
type Watch struct {
	Mode       string // service (an SQS queue for trailwatch watch) or lambda
	OrgID      string
	OUs        []string
	Regions    []string
	ReadRole   string // the role created in each member for the watcher (default trailwatch-read)
	HomeRegion string // where the member stacks create the (global) read role
	Sweep      string // rate(...) for the Lambda's sweep
	CodeBucket string // Lambda: the S3 bucket and key of the zipped bootstrap binary
	CodeKey    string
	Args       string // extra trailwatch flags for the Lambda (TRAILWATCH_ARGS), e.g. --alarms
	// DelegatedAdmin: the hub is a CloudFormation delegated administrator, not the management account; the StackSet
	// is created with CallAs DELEGATED_ADMIN ("[Service-managed permissions] Specifies whether you are acting as an
	// account administrator in the organization's management account or as a delegated administrator in a member
	// account", AWS::CloudFormation::StackSet CallAs), which it refuses otherwise.
	DelegatedAdmin bool
}

var (
	orgIDRe  = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	ouRe     = regexp.MustCompile(`^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$`)
	rateRe   = regexp.MustCompile(`^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$`)
	roleName = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	bucketRe = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// WatchEventPattern is the EventBridge pattern of the calls that can break the control, from the one table of them
// (controls.ChangeEventNames): trail lifecycle and selectors, the log group and its retention and metric filters, the
// delivery role, the alarms and topics of the monitoring chain.
func WatchEventPattern() map[string]any {
	return map[string]any{
		"detail-type": []string{"AWS API Call via CloudTrail"},
		"source":      []string{"aws.cloudtrail", "aws.logs", "aws.iam", "aws.cloudwatch", "aws.sns"},
		"detail":      map[string]any{"eventName": controls.ChangeEventNames()},
	}
}

// Validate says what to fix, before anything is written.
func (w *Watch) Validate() error {
	var errs []string
	if w.Mode != "service" && w.Mode != "lambda" {
		errs = append(errs, fmt.Sprintf("--mode %q: service (an SQS queue for trailwatch watch) or lambda", w.Mode))
	}
	switch {
	case w.OrgID == "":
		errs = append(errs, "--org-id is required: the organization's id (o-...)")
	case !orgIDRe.MatchString(w.OrgID):
		errs = append(errs, fmt.Sprintf("--org-id %q is not an organization id (o-...)", w.OrgID))
	}
	// A repeated OU or region would be a duplicate StackSet target (field trial): refused, said which.
	for _, f := range []struct {
		flag string
		l    []string
	}{{"--ous", w.OUs}, {"--regions", w.Regions}} {
		seen := map[string]bool{}
		for _, v := range f.l {
			if seen[v] {
				errs = append(errs, fmt.Sprintf("%s names %s twice", f.flag, v))
			}
			seen[v] = true
		}
	}
	if len(w.OUs) == 0 {
		errs = append(errs, "--ous is required: the organizational units (or the root, r-...) whose accounts forward their events")
	}
	for _, ou := range w.OUs {
		if !ouRe.MatchString(ou) {
			errs = append(errs, fmt.Sprintf("--ous %q is not an OU id (ou-...) or a root id (r-...)", ou))
		}
	}
	if len(w.Regions) == 0 {
		errs = append(errs, "--regions is required: every enabled region of the members (rules are regional)")
	}
	for _, r := range w.Regions {
		if err := partition.CheckRegion("--regions", r); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if err := partition.CheckRegion("--home-region", w.HomeRegion); err != nil {
		errs = append(errs, err.Error())
	}
	if !roleName.MatchString(w.ReadRole) {
		errs = append(errs, fmt.Sprintf("--read-role %q is not a role name", w.ReadRole))
	}
	if w.Mode == "lambda" {
		if !rateRe.MatchString(w.Sweep) {
			errs = append(errs, fmt.Sprintf("--sweep %q: want an EventBridge rate expression, such as rate(6 hours)", w.Sweep))
		}
		if w.CodeBucket != "" && !bucketRe.MatchString(w.CodeBucket) {
			errs = append(errs, fmt.Sprintf("--code-bucket %q is not an S3 bucket name (3-63 of a-z, 0-9, '.' and '-')", w.CodeBucket))
		}
		if w.CodeBucket == "" || w.CodeKey == "" {
			errs = append(errs, "--code-bucket and --code-key are required with --mode lambda: the S3 object of the zipped bootstrap binary (make image builds the binary)")
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

func policyDoc(mode string, memberRole string) map[string]any {
	doc, _ := iampolicy.Document(mode, iampolicy.Options{MemberRole: memberRole})
	var m map[string]any
	_ = json.Unmarshal([]byte(doc), &m)
	return m
}

// MemberTemplate is the StackSet's template: the forwarding rule in every region, the read role in one.
func (w *Watch) MemberTemplate() map[string]any {
	doc, _ := iampolicy.Document("read", iampolicy.Options{ImportFindings: true})
	var read map[string]any
	_ = json.Unmarshal([]byte(doc), &read)
	return map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description":              "trailwatch: forward the events that can break CloudTrail-to-CloudWatch-Logs integration to the hub bus",
		"Parameters": map[string]any{
			"HubBusArn":    map[string]any{"Type": "String"},
			"HubAccountId": map[string]any{"Type": "String", "AllowedPattern": `^\d{12}$`},
		},
		"Conditions": map[string]any{"IsHomeRegion": map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "AWS::Region"}, w.HomeRegion}}},
		"Resources": map[string]any{
			// "If you grant permissions using an organization, then accounts in that organization must specify a
			// RoleArn ... when they use PutTarget" (EventBridge PutPermission API reference).
			"ForwardRole": map[string]any{"Type": "AWS::IAM::Role", "Properties": map[string]any{
				"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
					"Effect": "Allow", "Principal": map[string]any{"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}}},
				"Policies": []any{map[string]any{"PolicyName": "PutEventsOnHubBus", "PolicyDocument": map[string]any{"Version": "2012-10-17",
					"Statement": []any{map[string]any{"Effect": "Allow", "Action": "events:PutEvents", "Resource": map[string]any{"Ref": "HubBusArn"}}}}}},
			}},
			"ForwardRule": map[string]any{"Type": "AWS::Events::Rule", "Properties": map[string]any{
				"Description": "trailwatch: changes that can break the CloudTrail to CloudWatch Logs control",
				"State":       "ENABLED", "EventPattern": WatchEventPattern(),
				"Targets": []any{map[string]any{"Id": "trailwatch-hub", "Arn": map[string]any{"Ref": "HubBusArn"},
					"RoleArn": map[string]any{"Fn::GetAtt": []string{"ForwardRole", "Arn"}}}},
			}},
			"OptInRule": map[string]any{"Type": "AWS::Events::Rule", "Properties": map[string]any{
				"Description": "trailwatch: region opt-in changes", "State": "ENABLED",
				"EventPattern": map[string]any{"source": []string{"aws.account"}, "detail-type": []string{"Region Opt-In Status Change"}},
				"Targets": []any{map[string]any{"Id": "trailwatch-hub", "Arn": map[string]any{"Ref": "HubBusArn"},
					"RoleArn": map[string]any{"Fn::GetAtt": []string{"ForwardRole", "Arn"}}}},
			}},
			"ReadRole": map[string]any{"Type": "AWS::IAM::Role", "Condition": "IsHomeRegion", "Properties": map[string]any{
				"RoleName": w.ReadRole,
				"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
					"Effect": "Allow", "Principal": map[string]any{"AWS": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${HubAccountId}:root"}}, "Action": "sts:AssumeRole"}}},
				"Policies": []any{map[string]any{"PolicyName": "TrailwatchRead", "PolicyDocument": read}},
			}},
		},
	}
}

// HubTemplate is the template for the hub account: bus, queue or function, roles, and the member StackSet.
func (w *Watch) HubTemplate() map[string]any {
	member, _ := json.Marshal(w.MemberTemplate())
	watchPolicy := policyDoc("watch", w.ReadRole)
	res := map[string]any{
		"EventBus": map[string]any{"Type": "AWS::Events::EventBus", "Properties": map[string]any{"Name": "trailwatch"}},
		"EventBusPolicy": map[string]any{"Type": "AWS::Events::EventBusPolicy", "Properties": map[string]any{
			"EventBusName": map[string]any{"Ref": "EventBus"}, "StatementId": "AllowOrganization",
			"Statement": map[string]any{"Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
				"Resource":  map[string]any{"Fn::GetAtt": []string{"EventBus", "Arn"}},
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": w.OrgID}}},
		}},
		"WatcherRole": map[string]any{"Type": "AWS::IAM::Role", "Properties": watcherRoleProps(w.Mode, watchPolicy)},
		"MemberStackSet": map[string]any{"Type": "AWS::CloudFormation::StackSet", "Properties": map[string]any{
			"StackSetName": "trailwatch-members", "PermissionModel": "SERVICE_MANAGED",
			"AutoDeployment":       map[string]any{"Enabled": true, "RetainStacksOnAccountRemoval": false},
			"Capabilities":         []string{"CAPABILITY_NAMED_IAM"},
			"ManagedExecution":     map[string]any{"Active": true},
			"OperationPreferences": map[string]any{"FailureTolerancePercentage": 10, "MaxConcurrentPercentage": 25, "RegionConcurrencyType": "PARALLEL"},
			"Parameters": []any{
				map[string]any{"ParameterKey": "HubBusArn", "ParameterValue": map[string]any{"Fn::GetAtt": []string{"EventBus", "Arn"}}},
				map[string]any{"ParameterKey": "HubAccountId", "ParameterValue": map[string]any{"Ref": "AWS::AccountId"}},
			},
			"StackInstancesGroup": []any{map[string]any{"DeploymentTargets": map[string]any{"OrganizationalUnitIds": w.OUs}, "Regions": w.Regions}},
			"TemplateBody":        string(member),
		}},
	}
	if w.DelegatedAdmin {
		res["MemberStackSet"].(map[string]any)["Properties"].(map[string]any)["CallAs"] = "DELEGATED_ADMIN"
	}
	hubPattern := map[string]any{"detail-type": []string{"AWS API Call via CloudTrail", "Region Opt-In Status Change"}}
	// The hub account's own changes: a service-managed StackSet never deploys to the management account ("StackSets
	// doesn't deploy stack instances to the organization's management account, even if the management account is in
	// your organization or in an OU in your organization", AWS CloudFormation User Guide, service-managed
	// permissions), where the organization trail and its log group live. A rule on the hub account's default bus
	// sends the same events straight to the watcher (issue 25).
	local := func(target map[string]any) map[string]any {
		return map[string]any{"Type": "AWS::Events::Rule", "Properties": map[string]any{
			"Description": "trailwatch: this account's own changes (the StackSet does not reach the management account)",
			"State":       "ENABLED", "EventPattern": WatchEventPattern(), "Targets": []any{target}}}
	}
	outputs := map[string]any{"EventBusArn": map[string]any{"Value": map[string]any{"Fn::GetAtt": []string{"EventBus", "Arn"}}}}
	switch w.Mode {
	case "service":
		res["DeadLetterQueue"] = map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{"QueueName": "trailwatch-events-dlq", "MessageRetentionPeriod": 1209600}}
		res["EventsQueue"] = map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{"QueueName": "trailwatch-events",
			"VisibilityTimeout": 120, "ReceiveMessageWaitTimeSeconds": 20,
			"RedrivePolicy": map[string]any{"deadLetterTargetArn": map[string]any{"Fn::GetAtt": []string{"DeadLetterQueue", "Arn"}}, "maxReceiveCount": 5}}}
		res["HubRule"] = map[string]any{"Type": "AWS::Events::Rule", "Properties": map[string]any{"EventBusName": map[string]any{"Ref": "EventBus"},
			"State": "ENABLED", "EventPattern": hubPattern,
			"Targets": []any{map[string]any{"Id": "trailwatch-queue", "Arn": map[string]any{"Fn::GetAtt": []string{"EventsQueue", "Arn"}}}}}}
		res["ManagementRule"] = local(map[string]any{"Id": "trailwatch-queue", "Arn": map[string]any{"Fn::GetAtt": []string{"EventsQueue", "Arn"}}})
		res["QueuePolicy"] = map[string]any{"Type": "AWS::SQS::QueuePolicy", "Properties": map[string]any{"Queues": []any{map[string]any{"Ref": "EventsQueue"}},
			"PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
				"Principal": map[string]any{"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
				"Resource": map[string]any{"Fn::GetAtt": []string{"EventsQueue", "Arn"}},
				"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": []any{
					map[string]any{"Fn::GetAtt": []string{"HubRule", "Arn"}}, map[string]any{"Fn::GetAtt": []string{"ManagementRule", "Arn"}}}}}}}}}}
		outputs["QueueUrl"] = map[string]any{"Value": map[string]any{"Ref": "EventsQueue"}, "Description": "trailwatch watch --org --queue <this>"}
		outputs["WatcherRoleArn"] = map[string]any{"Value": map[string]any{"Fn::GetAtt": []string{"WatcherRole", "Arn"}}, "Description": "the role the watcher's task runs as"}
	case "lambda":
		args := strings.TrimSpace("--org --role-name " + w.ReadRole + " " + w.Args)
		res["WatchFunction"] = map[string]any{"Type": "AWS::Lambda::Function", "Properties": map[string]any{
			"FunctionName": "trailwatch", "Runtime": "provided.al2023", "Handler": "bootstrap", "Architectures": []string{"x86_64"},
			"Code": map[string]any{"S3Bucket": w.CodeBucket, "S3Key": w.CodeKey}, "MemorySize": 1024, "Timeout": 900,
			"Role":        map[string]any{"Fn::GetAtt": []string{"WatcherRole", "Arn"}},
			"Environment": map[string]any{"Variables": map[string]any{"TRAILWATCH_ARGS": args}},
		}}
		res["HubRule"] = map[string]any{"Type": "AWS::Events::Rule", "Properties": map[string]any{"EventBusName": map[string]any{"Ref": "EventBus"},
			"State": "ENABLED", "EventPattern": hubPattern,
			"Targets": []any{map[string]any{"Id": "trailwatch-function", "Arn": map[string]any{"Fn::GetAtt": []string{"WatchFunction", "Arn"}}}}}}
		res["SweepRule"] = map[string]any{"Type": "AWS::Events::Rule", "Properties": map[string]any{"ScheduleExpression": w.Sweep, "State": "ENABLED",
			"Targets": []any{map[string]any{"Id": "trailwatch-sweep", "Arn": map[string]any{"Fn::GetAtt": []string{"WatchFunction", "Arn"}}}}}}
		res["ManagementRule"] = local(map[string]any{"Id": "trailwatch-function", "Arn": map[string]any{"Fn::GetAtt": []string{"WatchFunction", "Arn"}}})
		for _, r := range []string{"HubRule", "SweepRule", "ManagementRule"} {
			res[r+"Permission"] = map[string]any{"Type": "AWS::Lambda::Permission", "Properties": map[string]any{"Action": "lambda:InvokeFunction",
				"FunctionName": map[string]any{"Ref": "WatchFunction"}, "Principal": "events.amazonaws.com",
				"SourceArn": map[string]any{"Fn::GetAtt": []string{r, "Arn"}}}}
		}
		// An AWS Config custom rule may invoke the same function (ConfigurationItemChangeNotification for
		// AWS::CloudTrail::Trail); its permission is granted to config.amazonaws.com from this account.
		res["ConfigPermission"] = map[string]any{"Type": "AWS::Lambda::Permission", "Properties": map[string]any{"Action": "lambda:InvokeFunction",
			"FunctionName": map[string]any{"Ref": "WatchFunction"}, "Principal": "config.amazonaws.com",
			"SourceAccount": map[string]any{"Ref": "AWS::AccountId"}}}
		outputs["FunctionArn"] = map[string]any{"Value": map[string]any{"Fn::GetAtt": []string{"WatchFunction", "Arn"}}}
	}
	return map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description":              "trailwatch continuous mode: hub bus, " + w.Mode + ", and the member StackSet forwarding events (trailwatch deploy cloudformation)",
		"Resources":                res,
		"Outputs":                  outputs,
	}
}

// watcherRoleProps is the watcher's role: trailwatch iam-policy watch, and for the Lambda function the managed
// AWSLambdaBasicExecutionRole, without which its output lines (written to CloudWatch Logs by the Lambda runtime) are
// lost (logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents; AWS Lambda Developer Guide, "Lambda execution
// role").
func watcherRoleProps(mode string, watchPolicy map[string]any) map[string]any {
	props := map[string]any{
		"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": watcherPrincipal(mode)}, "Action": "sts:AssumeRole"}}},
		"Policies": []any{map[string]any{"PolicyName": "TrailwatchWatch", "PolicyDocument": watchPolicy}},
	}
	if mode == "lambda" {
		props["ManagedPolicyArns"] = []any{map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/" + LambdaLogsPolicy}}
	}
	return props
}

// LambdaLogsPolicy is the AWS managed policy that lets a Lambda function write its logs.
const LambdaLogsPolicy = "AWSLambdaBasicExecutionRole"

func watcherPrincipal(mode string) string {
	if mode == "lambda" {
		return "lambda.amazonaws.com"
	}
	return "ecs-tasks.amazonaws.com"
}

// WriteWatch writes the hub template (JSON; the member template is inside its StackSet).
func WriteWatch(out io.Writer, w Watch) error {
	if err := w.Validate(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(w.HubTemplate(), "", "  ")
	if err != nil {
		return err
	}
	_, err = out.Write(append(b, '\n'))
	return err
}
