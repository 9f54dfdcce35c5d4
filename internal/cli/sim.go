package cli

import (
	"fmt"
	"io"
	"net"
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
	allowRemote  bool
	envFile      string
}

// checkLoopback refuses a listen address that is not loopback unless allowed: the simulator's keys are printed and its
// admin endpoint (clock, counters) has no authentication.
func checkLoopback(addr string, allow bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError("--addr %q: want host:port, for example 127.0.0.1:4566", addr)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() || allow {
		return nil
	}
	return usageError("--addr %q is not a loopback address: the simulator and its admin endpoint have no authentication; add --allow-remote to serve on it anyway", addr)
}

func newSimCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "sim", Short: "Run the AWS simulator (a loopback AWS for tests, benchmarks and demos)"}
	o := &simOptions{}
	serve := &cobra.Command{
		Use:   "serve --scenario FILE",
		Short: "Serve a scenario on loopback and print the environment to point aws and trailwatch at it",
		Long: `Serve a simulated AWS world on 127.0.0.1 until interrupted. It first prints shell export lines for the
management account (or the first account): AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
AWS_DEFAULT_REGION, then a commented key pair for each other account. The keys are the simulator's own, not AWS
credentials. --env-file writes the same lines to a file (mode 0600) once the simulator listens, so a shell can run it
in the background and source the file:

  trailwatch sim serve --scenario examples/organization.yaml --env-file sim.env &
  until [ -s sim.env ]; do sleep 0.1; done; . ./sim.env

It refuses a non-loopback --addr unless --allow-remote: it has no authentication, its admin endpoint included.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("sim serve: unexpected argument %q: give the scenario as --scenario %s", args[0], args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.scenario == "" {
				return usageError("sim serve: --scenario FILE is required (see docs/scenario.md and examples/)")
			}
			if err := checkLoopback(o.addr, o.allowRemote); err != nil {
				return err
			}
			if err := checkWritableDir("--env-file", o.envFile); err != nil {
				return err
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
			var env strings.Builder
			fmt.Fprintf(&env, "export AWS_ENDPOINT_URL=%s\n", srv.URL)
			fmt.Fprintf(&env, "export AWS_ACCESS_KEY_ID=%s\n", accts[0].AccessKeyID)
			fmt.Fprintf(&env, "export AWS_SECRET_ACCESS_KEY=%s\n", accts[0].SecretAccessKey)
			fmt.Fprintf(&env, "export AWS_REGION=%s\n", region)
			fmt.Fprintf(&env, "export AWS_DEFAULT_REGION=%s\n", region)
			if q := srv.WatchQueueURL(); q != "" {
				fmt.Fprintf(&env, "export TRAILWATCH_QUEUE=%s\n", q) // the scenario's watch section: trailwatch watch --queue "$TRAILWATCH_QUEUE"
			}
			for _, a := range accts[1:] {
				fmt.Fprintf(&env, "# account %s: AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n", a.AccountID, a.AccessKeyID, a.SecretAccessKey)
			}
			fmt.Fprint(e.stdout, env.String())
			if o.envFile != "" {
				if err := writeFileAtomic(o.envFile, func(w io.Writer) error { _, err := io.WriteString(w, env.String()); return err }); err != nil {
					srv.Close()
					return usageError("--env-file: %v", err)
				}
			}
			fmt.Fprintf(e.stderr, "simulator serving %s on %s (admin: %s/_sim/counters, %s/_sim/clock, unauthenticated); Ctrl-C to stop\n",
				strings.TrimSpace(o.scenario), srv.URL, srv.URL, srv.URL)
			if note := clockNote(srv.Now(), time.Now()); note != "" {
				fmt.Fprintln(e.stderr, note)
			}
			<-cmd.Context().Done()
			return srv.Close()
		},
	}
	serve.Flags().StringVar(&o.scenario, "scenario", "", "scenario file (YAML, docs/scenario.md)")
	serve.Flags().StringVar(&o.addr, "addr", "127.0.0.1:0", "listen address")
	serve.Flags().BoolVar(&o.rateLimits, "rate-limits", false, "enforce AWS's per-account, per-region request rates")
	serve.Flags().BoolVar(&o.scenarioTime, "scenario-time", false, "start the clock at the scenario's own now: time instead of the real time (trailwatch and the AWS CLI still measure ages on the host clock)")
	serve.Flags().BoolVar(&o.allowRemote, "allow-remote", false, "allow a non-loopback --addr (the simulator has no authentication)")
	serve.Flags().StringVar(&o.envFile, "env-file", "", "also write the export lines to FILE (mode 0600) once listening")
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
			if err := validateRegions("", g.regions); err != nil {
				return err
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

// clockNote warns when the simulator's clock and the host's disagree by more than a minute (--scenario-time, or a
// clock advanced through the admin endpoint): trailwatch and the AWS CLI measure delivery ages on the host clock, so
// every delivery looks that much older (or younger) than the scenario says.
func clockNote(sim, host time.Time) string {
	d := host.Sub(sim)
	if d < time.Minute && d > -time.Minute {
		return ""
	}
	rel, looks := "behind", "older than the scenario says (trails stale past --max-delivery-age)"
	if d < 0 {
		d, rel, looks = -d, "ahead of", "younger than the scenario says (delivered in the future)"
	}
	return fmt.Sprintf("note: the simulator's clock (%s) is %s %s the host's; trailwatch and the AWS CLI measure delivery ages on the host clock, so every delivery looks %s %s; serve without --scenario-time to judge the scenario as of now",
		sim.UTC().Format(time.RFC3339), d.Round(time.Minute), rel, d.Round(time.Minute), looks)
}
