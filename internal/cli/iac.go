package cli

import (
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/gctune"
	"github.com/trailwatch/trailwatch/internal/iac"
	"github.com/trailwatch/trailwatch/internal/iac/terraform"
	"github.com/trailwatch/trailwatch/internal/report"
	"github.com/trailwatch/trailwatch/internal/scan"
)

type iacOptions struct {
	kind             string
	vars             []string
	varFiles         []string
	cfnParams        string
	strict           bool
	minRetentionDays int
	out              outputOptions
	exc              exceptionOptions
	now              func() time.Time
	maxFileSize      int64
	maxInstances     int
	log              *slog.Logger
	alarms           bool
	cisVersion       string
}

// iacMemoryLimit is the soft memory limit of `trailwatch iac` (issue 23: every hostile file within 1 GB).
const iacMemoryLimit = 768 << 20

func newIaCCmd(e *env) *cobra.Command {
	o := &iacOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "iac PATH...",
		Short: "Check Terraform, Terraform plans and CloudFormation before deployment",
		Long: `Check infrastructure as code for cloudtrail-cloudwatch-integration: Terraform configurations (.tf, .tf.json),
Terraform JSON plans (terraform show -json), and CloudFormation templates (YAML or JSON, SAM and CDK output
included). The kind is detected; --kind forces it. Each trail resource gets PASS, FAIL, WARN (will deploy but not
deliver, or fail to deploy), UNKNOWN (cannot be known before deployment; --strict fails it), SKIPPED (not created) or
MUTED (an inline suppression with a reason), with file, line and the fix. A file that cannot be read is an ERROR and
the rest still runs. --format sarif writes SARIF 2.1.0 for GitHub code scanning.

Limits keep hostile or accidental input from crashing or exhausting it, each reported, never silent: a file larger
than --max-file-size is an ERROR and not read; a file nested more than 512 levels deep is an ERROR and not parsed;
count or for_each beyond --max-instances is judged as one instance (with a note saying so), and a root stops (an ERROR) after 20
times --max-instances instance evaluations in all; module cycles and module calls more than 32 deep are ERRORs at
the module block and not followed; a value over 1 MiB, an expression that could build over 16 MiB, YAML aliases that
expand too far and Fn::ForEach beyond 10,000 resources are ERRORs at their line (docs/iac.md "Limits").

Exit codes as for scan: 0 nothing failed, 1 a FAIL, 2 an ERROR, 3 usage error, 130 interrupted.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.out.validate(); err != nil {
				return err
			}
			switch o.kind {
			case iac.KindAuto, iac.KindTerraform, iac.KindPlan, iac.KindCloudFormation:
			default:
				return usageError("--kind %q: want auto, terraform, plan or cloudformation", o.kind)
			}
			vars := map[string]string{}
			for _, kv := range o.vars {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usageError("--var %q: want name=value", kv)
				}
				vars[k] = v
			}
			if o.maxFileSize < 1 || o.maxInstances < 1 {
				return usageError("--max-file-size and --max-instances must be at least 1")
			}
			var params map[string]string
			if o.cfnParams != "" {
				var err error
				if params, err = iac.ReadCFNParams(o.cfnParams, o.maxFileSize); err != nil {
					return usageError("--cfn-params: %v", err)
				}
			}
			for _, p := range args {
				if _, err := os.Stat(p); err != nil {
					return usageError("%v", err)
				}
			}
			o.log = e.log
			// Evaluation limits bound what is live (docs/iac.md "Limits"); the soft memory limit keeps the garbage of
			// parsing large files from taking the process past 1 GB.
			gctune.Cap(os.Getenv, iacMemoryLimit)
			r, err := runIaC(args, o, iac.Options{Kind: o.kind, Vars: vars, VarFiles: o.varFiles, CFNParams: params,
				Ctx: cmd.Context(), MaxFileSize: o.maxFileSize, MaxInstances: o.maxInstances})
			if err != nil {
				return err
			}
			if cmd.Context().Err() != nil {
				return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted: nothing written")}
			}
			if r.Scope.Files == 0 {
				fmt.Fprintf(e.stderr, "trailwatch: no Terraform (.tf, .tf.json), Terraform plan or CloudFormation template found in %s\n", strings.Join(args, ", "))
			}
			return o.out.write(e, r)
		},
	}
	cmd.Flags().StringVar(&o.kind, "kind", "auto", "auto, terraform, plan or cloudformation")
	cmd.Flags().StringArrayVar(&o.vars, "var", nil, "a Terraform variable, name=value (repeatable)")
	cmd.Flags().StringArrayVar(&o.varFiles, "var-file", nil, "a Terraform variables file (repeatable)")
	cmd.Flags().StringVar(&o.cfnParams, "cfn-params", "", "CloudFormation parameter values (JSON)")
	cmd.Flags().BoolVar(&o.strict, "strict", false, "an UNKNOWN verdict fails")
	cmd.Flags().Int64Var(&o.maxFileSize, "max-file-size", terraform.DefaultMaxFileSize, "skip (as an ERROR) a file larger than this many bytes")
	cmd.Flags().IntVar(&o.maxInstances, "max-instances", terraform.DefaultMaxInstances, "count or for_each beyond this is judged as one instance, with a note")
	cmd.Flags().IntVar(&o.minRetentionDays, "min-retention-days", 365, "shortest acceptable log group retention in days")
	cmd.Flags().BoolVar(&o.alarms, "alarms", false, "also judge the CIS monitoring chain the code declares (metric filters, alarms, SNS topics and subscriptions)")
	cmd.Flags().StringVar(&o.cisVersion, "cis-version", alarms.DefaultVersion, "with --alarms: the CIS version whose published patterns are required: "+strings.Join(alarms.Versions, ", "))
	o.out.bind(cmd)
	o.exc.bind(cmd)
	return cmd
}

func runIaC(paths []string, o *iacOptions, opts iac.Options) (*report.Report, error) {
	cat, err := controls.Load()
	if err != nil {
		return nil, err
	}
	res := iac.Scan(paths, opts)
	for _, sk := range res.Skipped {
		if o.log == nil {
			break
		}
		o.log.Info("skipped: not infrastructure as code", "file", sk.File, "reason", sk.Reason)
	}
	now := o.now().UTC()
	var items []alarms.Item
	if o.alarms {
		if items, err = alarms.ForVersion(o.cisVersion); err != nil {
			return nil, usageError("--cis-version %s: want one of %s", o.cisVersion, strings.Join(alarms.Versions, ", "))
		}
	}
	fs := scan.IaC(cat, res, controls.IaCSettings{MinRetentionDays: o.minRetentionDays, Strict: o.strict, Now: now},
		controls.NextRetention(o.minRetentionDays), items)
	// The exceptions file applies too: its resources patterns match addresses (aws_cloudtrail.main) or logical ids.
	fs, err = o.exc.apply(nil, fs, now)
	if err != nil {
		return nil, err
	}
	for _, fe := range res.Errors {
		fs = append(fs, controls.FileError(cat, fe.File, fe.Line, fmt.Sprintf("%s:%d: %s", fe.File, fe.Line, fe.Msg)))
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i].Location, fs[j].Location
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return fs[i].ResourceID < fs[j].ResourceID
	})
	return report.BuildIaC(paths, res.Files, fs, report.Settings{MinRetentionDays: o.minRetentionDays}, toolVersion(), now), nil
}
