package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/awsconfig"
	"github.com/trailwatch/trailwatch/internal/guardrails"
)

type guardOptions struct {
	profile, region  string
	output           string
	yes              bool
	maxDeliveryAge   time.Duration
	minRetentionDays int
	deploy           bool
	account          bool
	packName         string
	scpName          string
	adminRoles       []string
	attach           bool
	targets          []string
}

func newGuardrailsCmd(e *env) *cobra.Command {
	o := &guardOptions{}
	cmd := &cobra.Command{Use: "guardrails", Short: "Service-wide guardrails: an AWS Config conformance pack and a service control policy"}
	pack := &cobra.Command{
		Use:   "conformance-pack",
		Short: "Write (and with --deploy, deploy) an AWS Config conformance pack for this control",
		Long: `Write an AWS Config conformance pack template with the managed rules CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED
(expectedDeliveryWindowAge from --max-delivery-age) and CW_LOGGROUP_RETENTION_PERIOD_CHECK (MinRetentionTime from
--min-retention-days). --deploy calls PutOrganizationConformancePack (from the management account or a Config delegated
administrator), or PutConformancePack for this account alone with --account, after showing what it will do.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			hours := int(o.maxDeliveryAge.Hours())
			if hours < 1 || o.minRetentionDays < 1 {
				return usageError("--max-delivery-age must be at least 1h and --min-retention-days at least 1")
			}
			tpl := guardrails.ConformancePack(guardrails.ConformancePackOptions{MaxDeliveryAgeHours: hours, MinRetentionDays: o.minRetentionDays})
			if err := o.write(e, tpl); err != nil {
				return err
			}
			if !o.deploy {
				return nil
			}
			call := "PutOrganizationConformancePack"
			if o.account {
				call = "PutConformancePack"
			}
			if !o.yes && !confirm(e, fmt.Sprintf("Call %s %q with this template? [y/N] ", call, o.packName)) {
				return usageError("not deployed: confirm at the prompt or pass --yes")
			}
			cfg, err := awsconfig.Load(cmd.Context(), awsconfig.Options{Profile: o.profile, Region: o.region})
			if err != nil {
				return usageError("load AWS configuration: %v", err)
			}
			arn, err := deployPack(cmd.Context(), cfg, o.packName, tpl, o.account)
			if err != nil {
				return &exitError{code: ExitFailed, err: fmt.Errorf("%s: %w", call, err)}
			}
			fmt.Fprintf(e.stderr, "deployed %s\n", arn)
			return nil
		},
	}
	pack.Flags().DurationVar(&o.maxDeliveryAge, "max-delivery-age", 24*time.Hour, "expectedDeliveryWindowAge (whole hours)")
	pack.Flags().IntVar(&o.minRetentionDays, "min-retention-days", 365, "MinRetentionTime")
	pack.Flags().BoolVar(&o.deploy, "deploy", false, "deploy the pack")
	pack.Flags().BoolVar(&o.account, "account", false, "with --deploy: this account only (PutConformancePack)")
	pack.Flags().StringVar(&o.packName, "name", "trailwatch-cloudtrail-cloudwatch-logs", "conformance pack name")
	scp := &cobra.Command{
		Use:   "scp",
		Short: "Write (and with --attach, create and attach) a service control policy that protects the integration",
		Long: `Write a service control policy that denies cloudtrail:StopLogging, DeleteTrail, UpdateTrail and PutEventSelectors,
deleting or shortening the trails' log groups, and deleting or weakening their delivery roles, to everyone but the
--admin-role roles. --attach creates it (CreatePolicy) and attaches it to each --target (the root, OUs or accounts)
after confirmation, from the management account.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			doc, err := guardrails.SCP(guardrails.SCPOptions{AdminRoles: o.adminRoles})
			if err != nil {
				return usageError("%v", err)
			}
			if err := o.write(e, doc+"\n"); err != nil {
				return err
			}
			if !o.attach {
				return nil
			}
			if len(o.targets) == 0 {
				return usageError("--attach needs --target (a root r-..., an OU ou-... or an account id)")
			}
			if !o.yes && !confirm(e, fmt.Sprintf("Create SCP %q and attach it to %v? [y/N] ", o.scpName, o.targets)) {
				return usageError("not attached: confirm at the prompt or pass --yes")
			}
			cfg, err := awsconfig.Load(cmd.Context(), awsconfig.Options{Profile: o.profile, Region: o.region})
			if err != nil {
				return usageError("load AWS configuration: %v", err)
			}
			id, err := attachSCP(cmd.Context(), cfg, o.scpName, doc, o.targets)
			if err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			fmt.Fprintf(e.stderr, "created %s and attached it to %v\n", id, o.targets)
			return nil
		},
	}
	scp.Flags().StringSliceVar(&o.adminRoles, "admin-role", nil, "role names or ARN patterns still allowed to change trails (default OrganizationAccountAccessRole)")
	scp.Flags().BoolVar(&o.attach, "attach", false, "create the policy and attach it")
	scp.Flags().StringSliceVar(&o.targets, "target", nil, "root, OU or account ids to attach to")
	scp.Flags().StringVar(&o.scpName, "name", "trailwatch-protect-cloudtrail-cloudwatch-logs", "policy name")
	for _, c := range []*cobra.Command{pack, scp} {
		c.Flags().StringVar(&o.profile, "profile", "", "AWS shared config profile")
		c.Flags().StringVar(&o.region, "region", "", "region (default: AWS_REGION or us-east-1)")
		c.Flags().StringVarP(&o.output, "output", "o", "", "write to FILE instead of stdout")
		c.Flags().BoolVar(&o.yes, "yes", false, "do not ask")
	}
	cmd.AddCommand(pack, scp)
	return cmd
}

func (o *guardOptions) write(e *env, text string) error {
	if o.output == "" {
		_, err := fmt.Fprint(e.stdout, text)
		return err
	}
	if err := os.WriteFile(o.output, []byte(text), 0o644); err != nil {
		return usageError("--output: %v", err)
	}
	return nil
}

func deployPack(ctx context.Context, cfg aws.Config, name, tpl string, account bool) (string, error) {
	c := configservice.NewFromConfig(cfg)
	if account {
		out, err := c.PutConformancePack(ctx, &configservice.PutConformancePackInput{ConformancePackName: aws.String(name), TemplateBody: aws.String(tpl)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ConformancePackArn), nil
	}
	out, err := c.PutOrganizationConformancePack(ctx, &configservice.PutOrganizationConformancePackInput{OrganizationConformancePackName: aws.String(name), TemplateBody: aws.String(tpl)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.OrganizationConformancePackArn), nil
}

func attachSCP(ctx context.Context, cfg aws.Config, name, doc string, targets []string) (string, error) {
	c := organizations.NewFromConfig(cfg)
	out, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String(name), Content: aws.String(doc),
		Description: aws.String("Written by trailwatch: protects the CloudTrail to CloudWatch Logs integration"), Type: orgtypes.PolicyTypeServiceControlPolicy})
	if err != nil {
		return "", fmt.Errorf("CreatePolicy: %w", err)
	}
	id := aws.ToString(out.Policy.PolicySummary.Id)
	for _, t := range targets {
		if _, err := c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(t)}); err != nil {
			return id, fmt.Errorf("AttachPolicy %s to %s: %w", id, t, err)
		}
	}
	return id, nil
}
