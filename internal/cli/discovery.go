package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/awsconfig"
	"github.com/trailwatch/trailwatch/internal/collect"
)

func newDiscoveryCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "discovery",
		Short: "Test, in a live account, the ListTrails behaviour that scan --discovery list relies on (auto measures it in every run)",
		Args:  cobra.NoArgs,
	}
	var profile, region, format string
	var regions []string
	check := &cobra.Command{
		Use:   "check",
		Short: "Compare ListTrails with the per-region DescribeTrails sweep in every enabled region",
		Long: `scan --discovery list finds trails with one ListTrails call and reads only the regions they are homed
in. That is right only if ListTrails returns every trail of every region, the organization's trails included;
AWS documents only "Lists trails that are in the current account". check measures it in the account your
credentials belong to: in every enabled region it calls DescribeTrails (with shadow trails) and ListTrails, and
reports any trail the sweep found that ListTrails, called in some region, did not return. Read-only: 2 calls per
region. Run it in the management account and in one member account: the assumption holds if both exit 0.
The default, scan --discovery auto, needs no such step: it compares ListTrails with the sweep in each run and
reads with ListTrails only once an account has shown it returns another region's single-region trail.

Exit codes: 0 ListTrails returned every trail from every region, in an account with a single-region trail (the
kind it could miss); 1 it missed some (do not use --discovery list); 2 inconclusive: a call failed, or the account has no
single-region trail to test with; 3 usage or configuration error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDiscoveryCheck(cmd.Context(), e, profile, region, regions, format)
		},
	}
	f := check.Flags()
	f.StringVar(&profile, "profile", "", "AWS shared config profile (default: AWS_PROFILE or the default chain)")
	f.StringVar(&region, "region", "", "region for global calls and listing regions (default: AWS_REGION, the profile's, or us-east-1)")
	f.StringSliceVar(&regions, "regions", nil, "probe only these regions (comma-separated)")
	f.StringVar(&format, "format", "text", "text or json")
	cmd.AddCommand(check)
	return cmd
}

func runDiscoveryCheck(ctx context.Context, e *env, profile, region string, regions []string, format string) error {
	if format != "text" && format != "json" {
		return usageError("--format %q: want text or json", format)
	}
	if err := validateRegions(region, regions); err != nil {
		return err
	}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Profile: profile, Region: region, MaxAttempts: 8, CallTimeout: 30 * time.Second})
	if err != nil {
		return usageError("load AWS configuration: %v", err)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return credentialsProblem(err)
	}
	p := collect.ProbeListTrails(ctx, collect.NewSDKClients(cfg), collect.Options{Regions: regions, HomeRegion: cfg.Region, Logger: e.log})
	if ctx.Err() != nil {
		return interrupted(0, 0)
	}
	if format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p); err != nil {
			return err
		}
	} else {
		writeProbe(e.stdout, p)
	}
	switch {
	case len(p.Missing) > 0:
		return &exitError{code: ExitFailed}
	case !p.Holds():
		return &exitError{code: ExitIncomplete}
	}
	return nil
}

// writeProbe prints a probe for a person: the verdict first, then what supports it.
func writeProbe(w io.Writer, p *collect.ListTrailsProbe) {
	if p.Error != nil {
		fmt.Fprintf(w, "INCONCLUSIVE: the account could not be read: %s\n", p.Error.Error())
		return
	}
	switch {
	case len(p.Errors) > 0:
		fmt.Fprintf(w, "INCONCLUSIVE: account %s, %d calls failed\n", p.AccountID, len(p.Errors))
	case len(p.Missing) > 0:
		fmt.Fprintf(w, "DOES NOT HOLD: account %s: ListTrails missed trails in %d of %d regions; keep --discovery sweep\n", p.AccountID, len(p.Missing), len(p.Regions))
	case p.SingleRegionTrails == 0:
		fmt.Fprintf(w, "INCONCLUSIVE: account %s has no single-region trail, the kind a region-scoped ListTrails would miss: run the check in an account that has one (in at least two enabled regions)\n", p.AccountID)
	default:
		fmt.Fprintf(w, "HOLDS: account %s: ListTrails, called in each of the %d regions, returned every trail the sweep found (%d); --discovery list reads the same trails\n", p.AccountID, len(p.Regions), len(p.Trails))
	}
	if len(p.Missing) == 0 && len(p.Errors) == 0 {
		if p.OtherAccountTrails > 0 {
			fmt.Fprintf(w, "  organization trails seen from this account: %d, all returned by ListTrails\n", p.OtherAccountTrails)
		} else {
			fmt.Fprintln(w, "  no organization trail of another account here: run the check in a member account too")
		}
	}
	arns := make([]string, 0, len(p.Trails))
	for a := range p.Trails {
		arns = append(arns, a)
	}
	slices.Sort(arns)
	for _, a := range arns {
		fmt.Fprintf(w, "  trail %s, shown by DescribeTrails in %s\n", a, strings.Join(p.Trails[a], ", "))
	}
	for _, r := range p.Regions {
		if m := p.Missing[r]; len(m) > 0 {
			fmt.Fprintf(w, "  ListTrails in %s did not return: %s\n", r, strings.Join(m, ", "))
		}
	}
	keys := make([]string, 0, len(p.Errors))
	for k := range p.Errors {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  error: %s\n", p.Errors[k].Error())
	}
}
