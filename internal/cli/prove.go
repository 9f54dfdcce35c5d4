package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go/middleware"
	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/apicalls"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/prove"
	"github.com/trailwatch/trailwatch/internal/report"
)

type proveOptions struct {
	scan     scanOptions
	timeout  time.Duration
	poll     time.Duration
	maxCalls int
	window   time.Duration
}

func newProveCmd(e *env) *cobra.Command {
	o := &proveOptions{}
	cmd := &cobra.Command{
		Use:   "prove",
		Short: "Prove capture end to end: make a marked call in each region and find it in the log group",
		Long: `Scan as trailwatch scan does (the same flags), then, in each account and enabled region in scope, make two
harmless marked calls: a dry-run ec2:CreatePlacementGroup (a write; a dry run creates nothing, and it is in no CIS
alarm pattern) and an ec2:DescribeSecurityGroups that lists nothing (a read), each naming
trailwatch-proof-<run>-<account>-<region>. Then look for both with logs:FilterLogEvents in the log groups that should
receive the region's management events (the integrated trails' groups, an organization trail's in its owner's
account) until each is found in one, polling every --poll until --timeout. Each account and region is a capture-proof
finding: PROVEN with the delay from call to visibility, NOT_SEEN (a marker never arrived in a search of at least 15
minutes: capture is broken whatever the configuration says), NO_LOG_GROUP, or UNKNOWN with the reason (a marker call
refused, a group that cannot be searched, NOT_YET_SEEN after a search shorter than 15 minutes, the call budget spent,
interrupted). A
region the configuration passes and the proof does not see is listed first on stderr. The report holds the
configuration's findings and the proof's; --store records both (history and diff show when capture was last proven).

With --alarms, also prove each CIS item's stored metric filter on the account's own events: up to 50 events of the
last --window that the item's published pattern matches (logs:FilterLogEvents with that pattern), run through the
stored filter with logs:TestMetricFilter, CloudWatch Logs' own matcher. An event the published pattern matches and the
stored filter misses is FILTER_MISS_PROVEN, named by its event, time and principal; no such event is
NOTHING_TO_PROVE, never a PASS.
Nothing is created, so an interrupted run leaves nothing behind; it reports what was proven by then.

Exit codes as trailwatch scan: 0 every region proven (and nothing else failed); 1 a FAIL; 2 incomplete, or a proof
that could not be made (UNKNOWN; an item with no recent event to prove its filter with does not count); 3 usage;
130 interrupted (no report is written and nothing recorded; the markers create nothing, so nothing needs cleaning
up).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), e) },
	}
	o.scan.bind(cmd)
	o.scan.store.bind(cmd, true)
	o.scan.out.bind(cmd)
	o.scan.settings.bind(cmd)
	f := cmd.Flags()
	f.DurationVar(&o.timeout, "timeout", 20*time.Minute, "how long to look for the markers (CloudTrail delivers in about 5 minutes on average, not guaranteed)")
	f.DurationVar(&o.poll, "poll", 30*time.Second, "pause between searches of a log group")
	f.IntVar(&o.maxCalls, "max-calls", 2000, "most logs:FilterLogEvents calls the run makes (pages included)")
	f.DurationVar(&o.window, "window", 24*time.Hour, "with --alarms: how far back to look for events each CIS item's published pattern matches")
	return cmd
}

func (o *proveOptions) run(ctx context.Context, e *env) error {
	if err := o.scan.out.validate(); err != nil {
		return err
	}
	if o.timeout <= 0 || o.poll <= 0 || o.maxCalls <= 0 || o.window <= 0 {
		return usageError("--timeout, --poll, --max-calls and --window must be positive")
	}
	st, err := o.scan.store.openIfSet(ctx)
	if err != nil {
		return err
	}
	if st != nil {
		defer st.Close()
	}
	sr, err := o.scan.scan(ctx, e, e.clock(), nil)
	if err != nil {
		return err
	}
	cat, err := controls.Load()
	if err != nil {
		return err
	}
	caller := sr.CallerID
	if !o.scan.org && len(sr.Inv.Accounts) == 1 {
		caller = sr.Inv.Accounts[0].ID
	}
	c := &proveClients{cfg: func(acct string) (aws.Config, bool) {
		if acct == caller {
			return sr.Base, true
		}
		if !o.scan.org || !inScope(sr.Inv, acct) {
			return aws.Config{}, false
		}
		return sr.MemberConfig(acct, o.scan.roleName, o.scan.externalID), true
	}, rec: apicalls.NewRecorder(e.log), ec2s: map[string]prove.EC2API{}, logs: map[string]*cloudwatchlogs.Client{}}
	res := prove.Run(ctx, cat, sr.Inv, sr.Findings, c, prove.Options{Timeout: o.timeout, Poll: o.poll, MaxCalls: o.maxCalls, Log: e.log, Now: e.clock})
	if o.scan.settings.alarms && ctx.Err() == nil {
		items := o.scan.settings.controls(e.clock()).Alarms
		res.Findings = append(res.Findings, prove.Alarms(ctx, cat, sr.Inv, sr.Findings, items, c.alarmLogs, o.window, e.clock())...)
	}
	for _, line := range prove.Contradictions(sr.Findings, res.Findings) {
		fmt.Fprintln(e.stderr, line)
	}
	fmt.Fprintf(e.stderr, "proof API calls (%d): %s\n", c.rec.Total(), c.rec.Summary())
	if res.Interrupted {
		// Nothing was created (the markers are a dry run and a list), so there is nothing to clean up. What was proven
		// by then is said; no report is written over --output and nothing is recorded: an interrupted proof is no
		// verdict on the regions it did not finish.
		proven := prove.ProvenRegions(res.Findings)
		fmt.Fprintf(e.stderr, "proof interrupted: %d of %d regions proven by then%s\n", len(proven), len(res.Findings), listed(proven))
		return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted: no report written, nothing recorded, nothing to clean up (the markers create nothing)")}
	}
	r := report.Build(sr.Inv, append(sr.Findings, res.Findings...), o.scan.settings.report(), toolVersion())
	exit := o.scan.out.deliver(ctx, e, st, r)
	if n := prove.Untested(res.Findings); exit == nil && n > 0 {
		// Nothing failed, but what could not be tested is no proof: exit 2, as the help says.
		fmt.Fprintf(e.stderr, "%d proof findings are UNKNOWN (not tested): exit %d\n", n, ExitIncomplete)
		return &exitError{code: ExitIncomplete}
	}
	return exit
}

func inScope(inv *model.Inventory, acct string) bool {
	for _, a := range inv.Accounts {
		if a.ID == acct {
			return true
		}
	}
	return false
}

// proveClients reach each account of the run in a region, created on first use.
type proveClients struct {
	cfg  func(acct string) (aws.Config, bool)
	rec  *apicalls.Recorder // counts the proof's calls (and logs each at debug level)
	mu   sync.Mutex
	ec2s map[string]prove.EC2API
	logs map[string]*cloudwatchlogs.Client
}

func (p *proveClients) EC2(acct, region string) (prove.EC2API, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := acct + "/" + region
	if c, ok := p.ec2s[k]; ok {
		return c, c != nil
	}
	cfg, ok := p.cfg(acct)
	if !ok {
		p.ec2s[k] = nil
		return nil, false
	}
	cfg = p.counted(cfg, acct, region)
	c := ec2.NewFromConfig(cfg)
	p.ec2s[k] = c
	return c, true
}

func (p *proveClients) Logs(acct, region string) (prove.LogsAPI, bool) {
	c := p.logsClient(acct, region)
	return c, c != nil
}

func (p *proveClients) alarmLogs(acct, region string) (prove.AlarmLogsAPI, bool) {
	c := p.logsClient(acct, region)
	return c, c != nil
}

func (p *proveClients) logsClient(acct, region string) *cloudwatchlogs.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := acct + "/" + region
	if c, ok := p.logs[k]; ok {
		return c
	}
	cfg, ok := p.cfg(acct)
	if !ok {
		p.logs[k] = nil
		return nil
	}
	cfg = p.counted(cfg, acct, region)
	c := cloudwatchlogs.NewFromConfig(cfg)
	p.logs[k] = c
	return c
}

func listed(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return ": " + strings.Join(l, ", ")
}

// counted is cfg in region, its calls counted by the run's recorder.
func (p *proveClients) counted(cfg aws.Config, acct, region string) aws.Config {
	cfg = cfg.Copy()
	cfg.Region = region
	if p.rec != nil {
		cfg.APIOptions = append(append([]func(*middleware.Stack) error(nil), cfg.APIOptions...), p.rec.Middleware(acct, nil))
	}
	return cfg
}
