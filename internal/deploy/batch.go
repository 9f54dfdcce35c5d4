package deploy

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/template"

	"github.com/trailwatch/trailwatch/internal/partition"
)

// Batch says what the AWS Batch CloudFormation template holds: two job definitions (the scan as an array job of
// Shards children, the merge), and two EventBridge Scheduler schedules that submit them to an existing job queue
// (the universal target for batch:SubmitJob).
type Batch struct {
	Name          string
	Image         string
	Shards        int
	Retries       int
	Schedule      string // EventBridge Scheduler cron(...) expression for the scan, UTC
	MergeSchedule string // the merge's, after the slowest shard
	JobQueueARN   string
	JobRoleARN    string // the role the scan runs as (it assumes --role-name in each member)
	ExecRoleARN   string // the Fargate execution role (pulls the image, reads the secret)
	StoreSecret   string // the Secrets Manager secret ARN holding the store URL
	Region        string
	AssumeRole    string
	PublicIP      bool // Fargate tasks in a public subnet need a public IP to reach AWS APIs and the store
}

var (
	batchName   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$`)
	queueARN    = regexp.MustCompile(`^arn:aws[a-z-]*:batch:[a-z0-9-]+:\d{12}:job-queue/[A-Za-z0-9_-]+$`)
	secretARN   = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$`)
	schedulerCr = regexp.MustCompile(`^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$`)
)

// Validate says what to fix, before anything is written.
func (b *Batch) Validate() error {
	var errs []string
	if err := partition.CheckRegion("--region", b.Region); err != nil {
		errs = append(errs, err.Error())
	}
	if !batchName.MatchString(b.Name) {
		errs = append(errs, fmt.Sprintf("--name %q: letters, digits, '-' and '_', at most 100", b.Name))
	}
	switch {
	case b.Image == "":
		errs = append(errs, "--image is required: the image reference built by make image and pushed to ECR")
	case strings.ContainsAny(b.Image, " \t\r\n\"'"):
		errs = append(errs, fmt.Sprintf("--image %q is not an image reference (no spaces, line breaks or quotes)", b.Image))
	}

	// AWS Batch array jobs have 2 to 10,000 children (SubmitJob ArrayProperties.size).
	if b.Shards < 2 || b.Shards > 10000 {
		errs = append(errs, fmt.Sprintf("--shards %d: an AWS Batch array job has 2 to 10000 children", b.Shards))
	}
	if b.Retries < 0 || b.Retries > 9 {
		errs = append(errs, fmt.Sprintf("--retries %d: give 0 to 9 (AWS Batch allows 1 to 10 attempts)", b.Retries))
	}
	for flag, s := range map[string]string{"--schedule": b.Schedule, "--merge-schedule": b.MergeSchedule} {
		if !schedulerCr.MatchString(s) {
			errs = append(errs, fmt.Sprintf("%s %q is not an EventBridge Scheduler cron expression (six fields, for example \"cron(0 2 * * ? *)\")", flag, s))
		}
	}
	if !queueARN.MatchString(b.JobQueueARN) {
		errs = append(errs, fmt.Sprintf("--job-queue %q is not a job queue ARN (arn:aws:batch:REGION:ACCOUNT:job-queue/NAME)", b.JobQueueARN))
	}
	for flag, v := range map[string]string{"--job-role-arn": b.JobRoleARN, "--execution-role-arn": b.ExecRoleARN} {
		if !roleARN.MatchString(v) {
			errs = append(errs, fmt.Sprintf("%s %q is not an IAM role ARN", flag, v))
		}
	}
	if !secretARN.MatchString(b.StoreSecret) {
		// The value is not repeated: given by mistake, it may be the store URL with its password.
		errs = append(errs, "--store-secret is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME): give the ARN of the secret, not the URL it holds")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// WriteBatch writes the CloudFormation template (YAML, long-form intrinsics).
func WriteBatch(w io.Writer, b Batch) error {
	if err := b.Validate(); err != nil {
		return err
	}
	ip := "DISABLED"
	if b.PublicIP {
		ip = "ENABLED"
	}
	// EventBridge Scheduler has no templated Batch target: the universal target calls batch:SubmitJob with Input as
	// its request ("Using universal targets", EventBridge Scheduler User Guide:
	// https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html). ${...} is Fn::Sub's.
	submit := func(job, def string, size int) string {
		in := map[string]any{"JobName": job, "JobQueue": b.JobQueueARN, "JobDefinition": "${" + def + "}"}
		if size > 0 {
			in["ArrayProperties"] = map[string]int{"Size": size}
		}
		out, _ := json.Marshal(in)
		return string(out)
	}
	return batchTemplate.Execute(w, struct {
		Batch
		PublicIPMode          string
		Attempts              int
		ScanInput, MergeInput string
	}{b, ip, b.Retries + 1, submit(b.Name+"-scan", "ScanJobDefinition", b.Shards), submit(b.Name+"-merge", "MergeJobDefinition", 0)})
}

var batchTemplate = template.Must(template.New("batch").Funcs(template.FuncMap{"q": q}).Parse(`# trailwatch: a sharded organization scan on AWS Batch (trailwatch deploy batch).
# A schedule submits the scan as an array job of {{.Shards}} children to your job queue; child k scans shard k+1 of
# {{.Shards}} (scan --shard auto/{{.Shards}} reads AWS_BATCH_JOB_ARRAY_INDEX), names the run after the array job
# (--run auto) and saves its report in the history store, whose URL comes from Secrets Manager (--store
# env:TRAILWATCH_STORE). A second schedule merges the latest run (merge --run latest) and records it in the history.
# Deploy: aws cloudformation deploy --template-file trailwatch-batch.yaml --stack-name {{.Name}} --capabilities CAPABILITY_IAM
AWSTemplateFormatVersion: "2010-09-09"
Description: "trailwatch sharded organization scan on AWS Batch"
Resources:
  ScanJobDefinition:
    Type: "AWS::Batch::JobDefinition"
    Properties:
      JobDefinitionName: {{printf "%s-scan" .Name | q}}
      Type: "container"
      PlatformCapabilities: ["FARGATE"]
      RetryStrategy:
        Attempts: {{.Attempts}}
      Timeout:
        AttemptDurationSeconds: 14400
      ContainerProperties:
{{template "container" .}}
        Command: ["scan", "--org", "--role-name", {{q .AssumeRole}}, "--run", "auto", "--shard", "auto/{{.Shards}}", "--store", "env:TRAILWATCH_STORE", "--format", "json", "-o", "/tmp/shard.json"]
  MergeJobDefinition:
    Type: "AWS::Batch::JobDefinition"
    Properties:
      JobDefinitionName: {{printf "%s-merge" .Name | q}}
      Type: "container"
      PlatformCapabilities: ["FARGATE"]
      RetryStrategy:
        Attempts: 2
      Timeout:
        AttemptDurationSeconds: 3600
      ContainerProperties:
{{template "container" .}}
        Command: ["merge", "--run", "latest", "--store", "env:TRAILWATCH_STORE", "--format", "json", "-o", "/tmp/organization.json"]
  SchedulerRole:
    Type: "AWS::IAM::Role"
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: "Allow"
            Principal: {Service: "scheduler.amazonaws.com"}
            Action: "sts:AssumeRole"
      Policies:
        - PolicyName: "submit-trailwatch-jobs"
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: "Allow"
                Action: "batch:SubmitJob"
                Resource:
                  - {{q .JobQueueARN}}
                  - {"Ref": "ScanJobDefinition"}
                  - {"Ref": "MergeJobDefinition"}
  ScanSchedule:
    Type: "AWS::Scheduler::Schedule"
    Properties:
      Name: {{printf "%s-scan" .Name | q}}
      ScheduleExpression: {{q .Schedule}}
      ScheduleExpressionTimezone: "Etc/UTC"
      FlexibleTimeWindow:
        Mode: "OFF"
      Target:
        Arn: "arn:aws:scheduler:::aws-sdk:batch:submitJob"
        RoleArn: {"Fn::GetAtt": ["SchedulerRole", "Arn"]}
        Input: {"Fn::Sub": {{.ScanInput | q}}}
  MergeSchedule:
    Type: "AWS::Scheduler::Schedule"
    Properties:
      Name: {{printf "%s-merge" .Name | q}}
      ScheduleExpression: {{q .MergeSchedule}}
      ScheduleExpressionTimezone: "Etc/UTC"
      FlexibleTimeWindow:
        Mode: "OFF"
      Target:
        Arn: "arn:aws:scheduler:::aws-sdk:batch:submitJob"
        RoleArn: {"Fn::GetAtt": ["SchedulerRole", "Arn"]}
        Input: {"Fn::Sub": {{.MergeInput | q}}}
{{- define "container"}}        Image: {{q .Image}}
        JobRoleArn: {{q .JobRoleARN}}
        ExecutionRoleArn: {{q .ExecRoleARN}}
        User: "65532:65532"
        ResourceRequirements:
          - {Type: "VCPU", Value: "0.5"}
          - {Type: "MEMORY", Value: "1024"}
        Environment:
          - {Name: "AWS_REGION", Value: {{q .Region}}}
        Secrets:
          - {Name: "TRAILWATCH_STORE", ValueFrom: {{q .StoreSecret}}}
        NetworkConfiguration:
          AssignPublicIp: {{q .PublicIPMode}}
        FargatePlatformConfiguration:
          PlatformVersion: "LATEST"{{end}}
`))
