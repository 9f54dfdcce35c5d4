package cli

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/report"
	"github.com/trailwatch/trailwatch/internal/scan"
)

type scanOptions struct {
	profile     string
	region      string
	regions     []string
	concurrency int
	maxAttempts int
	out         outputOptions
	settings    settingsOptions
}

func newScanCmd(e *env) *cobra.Command {
	o := &scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Judge one AWS account's CloudTrail-to-CloudWatch-Logs pipeline",
		Long: `Scan the AWS account your credentials belong to (the standard chain: environment, profile, SSO,
assume-role profiles): every enabled region, every trail, its log group and delivery role, judged against the
controls (trailwatch controls). Read-only.

Exit codes: 0 nothing failed; 1 a finding FAILed (--fail-on tunes the severity); 2 the scan was incomplete
(ERROR findings); 3 usage or configuration error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.out.validate(); err != nil {
				return err
			}
			if err := o.settings.validate(); err != nil {
				return err
			}
			cfg, err := loadAWSConfig(cmd.Context(), o.profile, o.region, o.maxAttempts)
			if err != nil {
				return usageError("load AWS configuration: %v", err)
			}
			cat, err := controls.Load()
			if err != nil {
				return err
			}
			settings := controls.Settings{Now: time.Now().UTC(), MaxDeliveryAge: o.settings.maxDeliveryAge,
				MinRetentionDays: o.settings.minRetentionDays, PendingWindow: o.settings.pendingWindow}
			inv, findings := scan.Run(cmd.Context(), cat, []scan.Target{{Clients: collect.NewSDKClients(cfg)}}, scan.Options{
				Collect:  collect.Options{Regions: o.regions, HomeRegion: cfg.Region, Concurrency: o.concurrency, Logger: e.log},
				Settings: settings,
			})
			return o.out.write(e, report.Build(inv, findings, o.settings.report(), version))
		},
	}
	cmd.Flags().StringVar(&o.profile, "profile", "", "AWS shared config profile (default: AWS_PROFILE or the default chain)")
	cmd.Flags().StringVar(&o.region, "region", "", "region for global calls and listing regions (default: AWS_REGION, the profile's, or us-east-1)")
	cmd.Flags().StringSliceVar(&o.regions, "regions", nil, "scan only these regions (comma-separated); multi-region trails homed elsewhere are still judged")
	cmd.Flags().IntVar(&o.concurrency, "concurrency", 24, "AWS calls in flight per account")
	cmd.Flags().IntVar(&o.maxAttempts, "max-attempts", 8, "attempts per AWS call, throttling retried with backoff by the SDK")
	o.out.bind(cmd)
	o.settings.bind(cmd)
	return cmd
}

// loadAWSConfig resolves credentials and region from the standard chain, with the SDK's standard retryer (throttling
// retried with exponential backoff and jitter) and no client-side retry quota, so that a large scan under throttling
// keeps retrying instead of failing fast.
func loadAWSConfig(ctx context.Context, profile, region string, maxAttempts int) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = maxAttempts
				so.RateLimiter = ratelimit.None
			})
		}),
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(strings.TrimSpace(region)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}
