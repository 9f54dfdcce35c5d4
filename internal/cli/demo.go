package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/examples"
	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/report"
	"github.com/trailwatch/trailwatch/internal/scan"
)

type demoOptions struct {
	exc      exceptionOptions
	store    storeOptions
	out      outputOptions
	settings settingsOptions
	now      func() time.Time // tests pin the simulator's clock
}

func newDemoCmd(e *env) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Scan a realistic example organization served by the built-in AWS simulator (no AWS account needed)",
		Long: `Start the AWS simulator in-process with examples/organization.yaml (a management account with an
organization trail, a delegated administrator, and members with one broken pipeline of each kind), scan every
account through the real AWS SDK, and print the report. Nothing leaves this machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.out.validate(); err != nil {
				return err
			}
			if err := o.settings.validate(); err != nil {
				return err
			}
			st, err := o.store.openIfSet(cmd.Context())
			if err != nil {
				return err
			}
			if st != nil {
				defer st.Close()
			}
			r, err := runDemo(cmd.Context(), e, o)
			if err != nil {
				return err
			}
			return o.out.deliver(cmd.Context(), e, st, r)
		},
	}
	o.out.bind(cmd)
	o.settings.bind(cmd)
	o.exc.bind(cmd)
	o.store.bind(cmd, true)
	// The demo shows failures on purpose; it exits 0 unless asked otherwise.
	_ = cmd.Flags().Set("fail-on", "none")
	cmd.Flags().Lookup("fail-on").DefValue = "none"
	return cmd
}

func runDemo(ctx context.Context, e *env, o *demoOptions) (*report.Report, error) {
	sc, err := awssim.ParseScenario("examples/organization.yaml", examples.Organization)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv, err := awssim.Start(ctx, sc, awssim.Options{Now: o.now})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	cat, err := controls.Load()
	if err != nil {
		return nil, err
	}
	var targets []scan.Target
	for _, a := range srv.Accounts() {
		cfg := srv.SDKConfig(a.AccountID, "us-east-1")
		name, tags, ou := accountLabels(sc, a.AccountID)
		targets = append(targets, scan.Target{Clients: collect.NewSDKClients(cfg), Name: name, Tags: tags, OU: ou})
	}
	fmt.Fprintf(e.stderr, "Simulated: examples/organization.yaml served by trailwatch's built-in AWS simulator on loopback (no AWS account is contacted), scenario time %s.\n",
		srv.Now().UTC().Format(time.RFC3339))
	settings := o.settings.controls(srv.Now())
	inv, findings := scan.Run(ctx, cat, targets, scan.Options{Settings: settings, Collect: collect.Options{Logger: e.log, Monitoring: o.settings.alarms, Discovery: collect.DiscoveryAuto}})
	findings, err = o.exc.apply(inv, findings, srv.Now())
	if err != nil {
		return nil, err
	}
	return report.Build(inv, findings, o.settings.report(), toolVersion()), nil
}

// accountLabels are what an organization would say of the account: name, tags, OU.
func accountLabels(sc *awssim.Scenario, id string) (string, map[string]string, string) {
	for _, a := range sc.Accounts {
		if a.ID == id {
			return a.Name, a.Tags, a.OU
		}
	}
	return "", nil, ""
}
