package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/awsconfig"
	"github.com/trailwatch/trailwatch/internal/guardrails"
	"github.com/trailwatch/trailwatch/internal/remediate"
	"github.com/trailwatch/trailwatch/internal/report"
	"github.com/trailwatch/trailwatch/internal/scan"
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
	from             string
	logGroups, roles []string
	journal          string
}

// writer is what a guardrail write needs, before any write: the AWS configuration, the caller it writes as (refused
// credentials, or a caller that cannot be told, stop it: field trial, a deploy with a wrong secret went ahead and
// journaled "unknown"), and the journal.
func (o *guardOptions) writer(ctx context.Context, e *env) (aws.Config, guardrails.Recorder, func(), error) {
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Profile: o.profile, Region: o.region})
	if err != nil {
		return cfg, nil, nil, usageError("load AWS configuration: %v", err)
	}
	caller, err := scan.Caller(ctx, cfg) // the one way a write learns who it writes as (fix apply's reviewed plan too)
	if err != nil {
		err = scanError(err)
		if ee, ok := err.(*exitError); ok {
			ee.err = fmt.Errorf("%w; nothing was written", ee.err)
		}
		return cfg, nil, nil, err
	}
	rec, closeJournal, err := o.openJournal(e, scan.Identity{Account: caller.CallerID, ARN: caller.CallerARN, Partition: caller.Partition}, cfg.Region)
	return cfg, rec, closeJournal, err
}

// openJournal opens the journal of a guardrail write (--journal, default trailwatch-journal-<UTC time>.jsonl), the
// fix journal's format: who, when, call, parameters, result.
func (o *guardOptions) openJournal(e *env, who scan.Identity, region string) (guardrails.Recorder, func(), error) {
	j, path, err := remediate.OpenJournal(o.journal, who.ARN, e.clock)
	if err != nil {
		return nil, nil, usageError("--journal: %v", err)
	}
	rec := func(action string, params map[string]any, result string, err error) {
		// Where the call was made: the caller's account, in the configuration's region (field trial: left empty).
		en := remediate.Entry{AccountID: who.Account, Region: region, Action: action, Params: params, Attempt: 1, Result: result}
		if err != nil {
			en.Result, en.Error = "error", err.Error()
			if result == "undone" {
				en.Result = "undo-error"
			}
		}
		j.Record(en)
	}
	return rec, func() { j.Close(); fmt.Fprintf(e.stderr, "journal: %s\n", path) }, nil
}

// inUse reads the log group and delivery role names the trails of a saved scan use (scan --include-inventory).
func inUse(path string) (groups, roles []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, usageError("--from: %v", err)
	}
	defer f.Close()
	r, err := report.ReadJSON(f)
	if err != nil {
		return nil, nil, usageError("--from %s: %v", path, err)
	}
	if r.Inventory == nil {
		return nil, nil, usageError("--from %s has no inventory: scan with --include-inventory", path)
	}
	seen := map[string]bool{}
	for _, a := range r.Inventory.Accounts {
		for _, t := range a.Trails {
			if t.OwnedElsewhere {
				continue
			}
			if g, ok := awsarn.ParseLogGroup(t.LogGroupARN); ok && !seen["g"+g.Name] {
				seen["g"+g.Name] = true
				groups = append(groups, g.Name)
			}
			if r := awsarn.RoleName(t.RoleARN); t.RoleARN != "" && !seen["r"+r] {
				seen["r"+r] = true
				roles = append(roles, r)
			}
		}
	}
	sort.Strings(groups)
	sort.Strings(roles)
	return groups, roles, nil
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
			if err := checkWritableDir("--journal", o.journal); err != nil {
				return err
			}
			call := "PutOrganizationConformancePack"
			if o.account {
				call = "PutConformancePack"
			}
			if !o.yes && !confirm(e, fmt.Sprintf("Call %s %q with this template? [y/N] ", call, o.packName)) {
				return usageError("not deployed: confirm at the prompt or pass --yes")
			}
			cfg, rec, closeJournal, err := o.writer(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer closeJournal()
			arn, err := guardrails.DeployPack(cmd.Context(), configservice.NewFromConfig(cfg), o.packName, tpl, o.account, rec)
			if err != nil {
				return &exitError{code: ExitFailed, err: err}
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
--admin-role roles. It protects the default names (trailwatch's and the console's), the log groups and roles the
trails of a saved scan use (--from scan.json, written with --include-inventory), and any --log-group or
--delivery-role given. --attach, from the management account and after confirmation, is idempotent: it reuses the
policy of that --name (updating its content when it differs), attaches it to each --target not yet attached, and
when a call fails undoes what it changed, newest first: it detaches what it attached and deletes the policy it
created or gives an updated one its previous content back. Every write and undo is journaled (--journal).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			so := guardrails.SCPOptions{AdminRoles: o.adminRoles}
			if o.from != "" {
				groups, roles, err := inUse(o.from)
				if err != nil {
					return err
				}
				so.ExtraLogGroups, so.ExtraRoles = groups, roles
			}
			so.ExtraLogGroups = append(so.ExtraLogGroups, o.logGroups...)
			so.ExtraRoles = append(so.ExtraRoles, o.roles...)
			doc, err := guardrails.SCP(so)
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
			if err := checkWritableDir("--journal", o.journal); err != nil {
				return err
			}
			if !o.yes && !confirm(e, fmt.Sprintf("Create SCP %q and attach it to %v? [y/N] ", o.scpName, o.targets)) {
				return usageError("not attached: confirm at the prompt or pass --yes")
			}
			cfg, rec, closeJournal, err := o.writer(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer closeJournal()
			res, err := guardrails.AttachSCP(cmd.Context(), organizations.NewFromConfig(cfg), o.scpName, doc, o.targets, rec)
			if err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			fmt.Fprintf(e.stderr, "%s %s; attached to %v (already attached: %v)\n", res.How, res.ID, res.Attached, res.Already)
			return nil
		},
	}
	scp.Flags().StringSliceVar(&o.adminRoles, "admin-role", nil, "role names or ARN patterns still allowed to change trails (default OrganizationAccountAccessRole)")
	scp.Flags().BoolVar(&o.attach, "attach", false, "create the policy and attach it")
	scp.Flags().StringSliceVar(&o.targets, "target", nil, "root, OU or account ids to attach to")
	scp.Flags().StringVar(&o.scpName, "name", "trailwatch-protect-cloudtrail-cloudwatch-logs", "policy name")
	scp.Flags().StringVar(&o.from, "from", "", "also protect the log groups and roles the trails of this saved scan use (scan --include-inventory)")
	scp.Flags().StringSliceVar(&o.logGroups, "log-group", nil, "also protect these log group names or patterns (* wildcards)")
	scp.Flags().StringSliceVar(&o.roles, "delivery-role", nil, "also protect these role names or patterns (* wildcards)")
	for _, c := range []*cobra.Command{pack, scp} {
		c.Flags().StringVar(&o.profile, "profile", "", "AWS shared config profile")
		c.Flags().StringVar(&o.region, "region", "", "region (default: AWS_REGION or us-east-1)")
		c.Flags().StringVarP(&o.output, "output", "o", "", "write to FILE instead of stdout")
		c.Flags().BoolVar(&o.yes, "yes", false, "do not ask")
		c.Flags().StringVar(&o.journal, "journal", "", "with --deploy or --attach: journal file of the write calls and their undo (default trailwatch-journal-<UTC time>.jsonl)")
	}
	cmd.AddCommand(pack, scp)
	return cmd
}

func (o *guardOptions) write(e *env, text string) error {
	if o.output == "" {
		_, err := fmt.Fprint(e.stdout, text)
		return err
	}
	if err := writeFileAtomic(o.output, func(w io.Writer) error { _, err := io.WriteString(w, text); return err }); err != nil {
		return usageError("--output: %v", err)
	}
	return nil
}
