package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/deploy"
)

func newDeployCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "deploy", Short: "Write what runs the sharded organization scan on an engine you run (Kubernetes)"}
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
			if err := k.Validate(); err != nil {
				return usageError("%v", err)
			}
			if out == "" || out == "-" {
				return deploy.WriteKubernetes(e.stdout, k)
			}
			return writeFileAtomic(out, func(w io.Writer) error { return deploy.WriteKubernetes(w, k) })
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
	cmd.AddCommand(kube)
	return cmd
}
