package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/awssim"
)

type simOptions struct {
	scenario     string
	addr         string
	rateLimits   bool
	scenarioTime bool
}

func newSimCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "sim", Short: "Run the AWS simulator (a loopback AWS for tests, benchmarks and demos)"}
	o := &simOptions{}
	serve := &cobra.Command{
		Use:   "serve --scenario FILE",
		Short: "Serve a scenario on loopback and print the environment to point aws and trailwatch at it",
		Long: `Serve a simulated AWS world on 127.0.0.1 until interrupted. It first prints shell export lines for the
management account (or the first account): AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
then a commented key pair for each other account. The keys are the simulator's own, not AWS credentials.

  eval "$(trailwatch sim serve --scenario examples/organization.yaml | head -n 4)"   # in another shell`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.scenario == "" {
				return usageError("sim serve: --scenario FILE is required (see docs/scenario.md and examples/)")
			}
			sc, err := awssim.LoadScenario(o.scenario)
			if err != nil {
				return usageError("%v", err)
			}
			if !o.scenarioTime {
				// Clients outside (trailwatch scan, the AWS CLI) measure ages on the real clock: serve in real time,
				// with the scenario's relative times (delivery pins such as 26h) measured from now.
				sc.Now = ""
			}
			srv, err := awssim.Start(cmd.Context(), sc, awssim.Options{Addr: o.addr, RateLimits: o.rateLimits})
			if err != nil {
				return usageError("%v", err)
			}
			accts := srv.Accounts()
			region := "us-east-1"
			if regs := sc.Accounts[0].Regions; len(regs) > 0 {
				region = regs[0]
			}
			for _, a := range sc.Accounts {
				if a.ID == accts[0].AccountID && len(a.Regions) > 0 {
					region = a.Regions[0]
				}
			}
			fmt.Fprintf(e.stdout, "export AWS_ENDPOINT_URL=%s\n", srv.URL)
			fmt.Fprintf(e.stdout, "export AWS_ACCESS_KEY_ID=%s\n", accts[0].AccessKeyID)
			fmt.Fprintf(e.stdout, "export AWS_SECRET_ACCESS_KEY=%s\n", accts[0].SecretAccessKey)
			fmt.Fprintf(e.stdout, "export AWS_REGION=%s\n", region)
			for _, a := range accts[1:] {
				fmt.Fprintf(e.stdout, "# account %s: AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n", a.AccountID, a.AccessKeyID, a.SecretAccessKey)
			}
			fmt.Fprintf(e.stderr, "simulator serving %s on %s (admin: %s/_sim/counters, %s/_sim/clock); Ctrl-C to stop\n",
				strings.TrimSpace(o.scenario), srv.URL, srv.URL, srv.URL)
			<-cmd.Context().Done()
			return srv.Close()
		},
	}
	serve.Flags().StringVar(&o.scenario, "scenario", "", "scenario file (YAML, docs/scenario.md)")
	serve.Flags().StringVar(&o.addr, "addr", "127.0.0.1:0", "listen address")
	serve.Flags().BoolVar(&o.rateLimits, "rate-limits", false, "enforce AWS's per-account, per-region request rates")
	serve.Flags().BoolVar(&o.scenarioTime, "scenario-time", false, "start the clock at the scenario's `now` instead of the real time")
	g := &genOptions{}
	gen := &cobra.Command{
		Use:   "generate --accounts N",
		Short: "Write a generated organization scenario (for benchmarks and scale tests) to stdout",
		Long: `Generate an organization of N accounts: a management account with a healthy organization trail, a delegated
administrator, members in three OUs with 0 to 3 local trails each, some broken. Deterministic for a given --seed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.accounts < 2 {
				return usageError("--accounts %d: want at least 2", g.accounts)
			}
			sc := awssim.Generate(awssim.GenOptions{Accounts: g.accounts, Regions: g.regions, Latency: g.latency, RateLimits: g.rateLimits, Seed: g.seed})
			if err := sc.Validate(); err != nil {
				return usageError("%v", err)
			}
			data, err := sc.Marshal()
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(data)
			return err
		},
	}
	gen.Flags().IntVar(&g.accounts, "accounts", 100, "number of accounts, the management account included")
	gen.Flags().StringSliceVar(&g.regions, "regions", nil, "enabled regions (default: the 17 default regions)")
	gen.Flags().DurationVar(&g.latency, "latency", 0, "latency per call, for example 30ms")
	gen.Flags().BoolVar(&g.rateLimits, "rate-limits", false, "enforce AWS's request rates")
	gen.Flags().Int64Var(&g.seed, "seed", 1, "seed of the generated trails")
	cmd.AddCommand(serve, gen)
	return cmd
}

type genOptions struct {
	accounts   int
	regions    []string
	latency    time.Duration
	rateLimits bool
	seed       int64
}
