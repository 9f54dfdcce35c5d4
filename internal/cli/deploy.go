package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/deploy"
)

func newDeployCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "deploy", Short: "Write what runs trailwatch on the engines you run: the sharded scan (Kubernetes, AWS Batch) and continuous mode (CloudFormation, Terraform)"}
	k := deploy.Kubernetes{}
	var out string
	kube := &cobra.Command{
		Use:   "kubernetes --image REF [flags]",
		Short: "Kubernetes manifests: a ServiceAccount, a CronJob of an Indexed Job of shards, and a CronJob that merges the run",
		Long: `Write Kubernetes manifests for a nightly sharded organization scan that meets in the history store:
a ServiceAccount (annotated for IRSA with --role-arn, or left for an EKS Pod Identity association), a CronJob whose
Indexed Job runs --shards pods (scan --org --run <the Job's name> --shard auto/N, each failed shard retried alone up
to --retries times), and a CronJob that merges the latest run (merge --run latest) and records it in the history.
The store URL comes from the Secret --store-secret (key "url"). Apply with kubectl apply -f.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return emit(e, out, k.Validate, func(w io.Writer) error { return deploy.WriteKubernetes(w, k) })
		},
	}
	f := kube.Flags()
	f.StringVar(&k.Image, "image", "", "the trailwatch image (make image, pushed to your registry), for example registry.example.com/trailwatch:v1.2.3")
	f.StringVar(&k.Namespace, "namespace", "trailwatch", "the namespace")
	f.StringVar(&k.Name, "name", "trailwatch", "the name of the ServiceAccount and CronJobs")
	f.IntVar(&k.Shards, "shards", 4, "shard pods per run (completions = parallelism of the Indexed Job)")
	f.IntVar(&k.Retries, "retries", 2, "retries of a failed shard (backoffLimitPerIndex)")
	f.StringVar(&k.Schedule, "schedule", "0 2 * * *", "the scan's cron schedule (UTC)")
	f.StringVar(&k.MergeAfter, "merge-schedule", "0 4 * * *", "the merge's cron schedule (UTC), after the slowest shard is done")
	f.StringVar(&k.RoleARN, "role-arn", "", "the IAM role the pods assume through IRSA (empty: associate one with EKS Pod Identity)")
	f.StringVar(&k.StoreSecret, "store-secret", "trailwatch-store", "the Secret holding the PostgreSQL store URL under the key \"url\"")
	f.StringVar(&k.Region, "region", "us-east-1", "AWS_REGION for the Organizations and STS calls")
	f.StringVar(&k.AssumeRole, "role-name", "OrganizationAccountAccessRole", "the role the scan assumes in each member account")
	f.StringVarP(&out, "output", "o", "", "write the manifests to this file (default: standard output)")
	cmd.AddCommand(kube, newDeployBatchCmd(e), newDeployCloudFormationCmd(e), newDeployTerraformCmd(e))
	return cmd
}

func newDeployBatchCmd(e *env) *cobra.Command {
	b := deploy.Batch{}
	var out string
	cmd := &cobra.Command{
		Use:   "batch --image REF --job-queue ARN --job-role-arn ARN --execution-role-arn ARN --store-secret ARN [flags]",
		Short: "An AWS CloudFormation template: Fargate job definitions for the scan (an array job of shards) and the merge, and their schedules",
		Long: `Write a CloudFormation template for a nightly sharded organization scan on AWS Batch (Fargate) that meets in the
history store: a job definition whose array job runs --shards children (scan --org --run auto --shard auto/N: the
run is named after the array job, each child takes AWS_BATCH_JOB_ARRAY_INDEX), a job definition for the merge
(merge --run latest), and EventBridge Scheduler schedules that submit them to your job queue. The store URL comes
from the Secrets Manager secret --store-secret, read by the execution role. Deploy with aws cloudformation deploy.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return emit(e, out, b.Validate, func(w io.Writer) error { return deploy.WriteBatch(w, b) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&b.Image, "image", "", "the trailwatch image in ECR (make image, then push), for example 111111111111.dkr.ecr.us-east-1.amazonaws.com/trailwatch:v1.2.3")
	f.StringVar(&b.Name, "name", "trailwatch", "the prefix of the job definitions' and schedules' names")
	f.IntVar(&b.Shards, "shards", 4, "children of the scan's array job (2 to 10000)")
	f.IntVar(&b.Retries, "retries", 2, "retries of a failed child (the job definition's retry strategy)")
	f.StringVar(&b.Schedule, "schedule", "cron(0 2 * * ? *)", "the scan's EventBridge Scheduler expression (UTC)")
	f.StringVar(&b.MergeSchedule, "merge-schedule", "cron(0 4 * * ? *)", "the merge's EventBridge Scheduler expression (UTC), after the slowest child is done")
	f.StringVar(&b.JobQueueARN, "job-queue", "", "the ARN of an existing Fargate job queue")
	f.StringVar(&b.JobRoleARN, "job-role-arn", "", "the role the scan runs as: read-only Organizations and sts:AssumeRole into each member's --role-name")
	f.StringVar(&b.ExecRoleARN, "execution-role-arn", "", "the Fargate execution role: pulls the image and reads --store-secret")
	f.StringVar(&b.StoreSecret, "store-secret", "", "the ARN of the Secrets Manager secret holding the PostgreSQL store URL")
	f.StringVar(&b.Region, "region", "us-east-1", "AWS_REGION for the Organizations and STS calls")
	f.StringVar(&b.AssumeRole, "role-name", "OrganizationAccountAccessRole", "the role the scan assumes in each member account")
	f.BoolVar(&b.PublicIP, "assign-public-ip", false, "give the Fargate tasks a public IP (a public subnet without a NAT gateway)")
	f.StringVarP(&out, "output", "o", "", "write the template to this file (default: standard output)")
	return cmd
}

// emit validates, then writes to standard output or atomically to the file out: nothing is written for bad input.
func emit(e *env, out string, validate func() error, write func(io.Writer) error) error {
	if out != "-" {
		if err := checkWritableDir("--output", out); err != nil {
			return err
		}
	}
	if err := validate(); err != nil {
		return usageError("%v", err)
	}
	if out == "" || out == "-" {
		return write(e.stdout)
	}
	return writeFileAtomic(out, write)
}

func newDeployCloudFormationCmd(e *env) *cobra.Command {
	w := deploy.Watch{}
	var out string
	cmd := &cobra.Command{
		Use:   "cloudformation --org-id o-... --ous OU,... --regions R,... [flags]",
		Short: "CloudFormation for continuous mode: the hub bus, queue or Lambda function, roles, and the member StackSet",
		Long: `Write the CloudFormation template (JSON) of continuous mode for an organization, to deploy in the hub (security)
account as the management account or a CloudFormation delegated administrator: an event bus "trailwatch" whose policy
admits the organization (aws:PrincipalOrgID); with --mode service an SQS queue (and its dead-letter queue) that a rule
on the bus fills, for trailwatch watch --org --queue; with --mode lambda the trailwatch Lambda function
(provided.al2023) invoked by that rule and by a --sweep schedule, which AWS Config custom rules may invoke too; the
role the watcher runs as (trailwatch iam-policy watch); and a service-managed StackSet that deploys to every account of
--ous, in every --regions region, a rule forwarding the events that can break the control to the hub bus (with the
role EventBridge needs for a cross-account bus target) and, in --home-region, the read role the watcher assumes
(trailwatch iam-policy read). Deploy with aws cloudformation deploy --capabilities CAPABILITY_NAMED_IAM.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return emit(e, out, w.Validate, func(o io.Writer) error { return deploy.WriteWatch(o, w) })
		},
	}
	bindWatchDeploy(cmd, &w)
	f := cmd.Flags()
	f.StringVarP(&out, "output", "o", "", "write the template to this file (default: standard output)")
	return cmd
}

func bindWatchDeploy(cmd *cobra.Command, w *deploy.Watch) {
	f := cmd.Flags()
	f.StringVar(&w.Mode, "mode", "service", "service (an SQS queue for trailwatch watch) or lambda")
	f.StringVar(&w.OrgID, "org-id", "", "the organization's id (o-...)")
	f.StringSliceVar(&w.OUs, "ous", nil, "the OUs (ou-...) or the root (r-...) whose accounts forward their events")
	f.StringSliceVar(&w.Regions, "regions", nil, "every enabled region of the members (EventBridge rules are regional)")
	f.StringVar(&w.HomeRegion, "home-region", "us-east-1", "the region where member stacks create the (global) read role")
	f.StringVar(&w.ReadRole, "read-role", "trailwatch-read", "the role created in each member for the watcher to assume")
	f.StringVar(&w.Sweep, "sweep", "rate(6 hours)", "--mode lambda: the sweep schedule")
	f.StringVar(&w.CodeBucket, "code-bucket", "", "--mode lambda: the S3 bucket of the zipped bootstrap binary")
	f.StringVar(&w.CodeKey, "code-key", "", "--mode lambda: its S3 key")
	f.StringVar(&w.Args, "args", "", "--mode lambda: more trailwatch flags for the function (TRAILWATCH_ARGS), for example --alarms --security-hub")
	f.BoolVar(&w.DelegatedAdmin, "delegated-admin", false, "the hub is a CloudFormation delegated administrator, not the management account: the StackSet is created with CallAs DELEGATED_ADMIN (the management account's own changes then need the member template deployed there as a stack)")
}

func newDeployTerraformCmd(e *env) *cobra.Command {
	w := deploy.Watch{}
	var out string
	cmd := &cobra.Command{
		Use:   "terraform --org-id o-... --ous OU,... --regions R,... [flags]",
		Short: "Terraform for continuous mode: the same hub resources, and the member rules as a service-managed StackSet",
		Long: `Write continuous mode as one Terraform configuration for the hub account (AWS provider 6 or later): the same
resources as deploy cloudformation (the bus admitting the organization, the queue or the Lambda function, the
watcher's role), with the member side as a service-managed CloudFormation StackSet and one stack set instance per
--regions region, targeting --ous. Apply as the management account or a CloudFormation delegated administrator.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return emit(e, out, w.Validate, func(o io.Writer) error { return deploy.WriteWatchTerraform(o, w) })
		},
	}
	bindWatchDeploy(cmd, &w)
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the configuration to this file (default: standard output)")
	return cmd
}
