package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/scan"
	"github.com/trailwatch/trailwatch/internal/watch"
)

type watchOptions struct {
	scan   scanOptions
	queue  string
	sweep  time.Duration
	settle time.Duration
	format string
	output string
	wait   int32
	once   bool
}

func newWatchCmd(e *env) *cobra.Command {
	o := &watchOptions{}
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Re-judge within seconds of a change: consume EventBridge events from an SQS queue, and sweep on a schedule",
		Long: `Keep the findings of an account (or with --org an organization) current. trailwatch reads everything once (the
baseline, not printed), then long-polls --queue, an SQS queue that EventBridge rules fill with "AWS API Call via
CloudTrail" events (trailwatch deploy writes them), and re-reads only what an event touches, --settle after it
arrives: the trail, the trails that use a log group or role the event names, the account's rollup. Unrelated events
cost no AWS call; events whose call failed (errorCode) are ignored; a message that is not an EventBridge event stays
on the queue so that SQS moves it to the queue's dead-letter queue. Every --sweep it reads everything again, because
EventBridge delivery is best effort and StopLogging on the last trail silences the events that would report it.

Each change is one JSON line (--format jsonl): {"schema_version":1,"event":"finding_changed","cause":{...},
"previous":{"status","reasons"}|null,"finding":{...}}, where cause names the event (event name and id, account,
region, principal ARN, time) or {"sweep":true}. Runs until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), e) },
	}
	o.scan.bind(cmd)
	o.scan.settings.bind(cmd)
	f := cmd.Flags()
	f.StringVar(&o.queue, "queue", "", "the SQS queue URL to consume (required)")
	f.DurationVar(&o.sweep, "sweep", 6*time.Hour, "re-read everything this often (0: only at start)")
	f.DurationVar(&o.settle, "settle", 10*time.Second, "wait this long after events arrive before re-reading what they touch (AWS reads are eventually consistent)")
	f.StringVar(&o.format, "format", "jsonl", "jsonl: one JSON line per change")
	f.StringVarP(&o.output, "output", "o", "", "append the lines to FILE (default stdout)")
	f.BoolVar(&o.once, "once", false, "sweep, handle what the queue holds until a receive comes back empty, then exit (a scheduled job instead of a service)")
	f.Int32Var(&o.wait, "wait-seconds", 20, "long-poll wait per receive, 1-20")
	_ = f.MarkHidden("wait-seconds")
	return cmd
}

func (o *watchOptions) run(ctx context.Context, e *env) error {
	if o.queue == "" {
		return usageError("--queue is required: the URL of the SQS queue EventBridge delivers to (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)")
	}
	if !strings.HasPrefix(o.queue, "https://") && !strings.HasPrefix(o.queue, "http://") {
		return usageError("--queue %q: want the queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME), not its name or ARN", o.queue)
	}
	if o.format != "jsonl" {
		return usageError("--format %q: watch writes jsonl", o.format)
	}
	if o.sweep < 0 || o.settle < 0 {
		return usageError("--sweep and --settle must not be negative")
	}
	if o.wait < 1 || o.wait > 20 {
		return usageError("--wait-seconds %d: want 1-20", o.wait)
	}
	if o.scan.shard != "" {
		return usageError("--shard does not apply to watch: one watcher judges its whole scope")
	}
	if err := o.scan.settings.validate(); err != nil {
		return err
	}
	var out io.Writer = e.stdout
	if o.output != "" {
		f, err := os.OpenFile(o.output, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return usageError("--output: %v", err)
		}
		defer f.Close()
		out = f
	}
	cat, err := controls.Load()
	if err != nil {
		return err
	}
	var base *scanResult
	sweeper := func(ctx context.Context) (*model.Inventory, error) {
		sr, err := o.scan.scan(ctx, e, e.clock(), nil)
		if err != nil {
			return nil, err
		}
		if sr.inv.Incomplete != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		base = sr
		return sr.inv, nil
	}
	reader := func(ctx context.Context, acct string, regions []string) *model.Account {
		cfg := scan.MemberConfig(base.base, base.partition, base.callerID, acct, o.scan.roleName, o.scan.externalID)
		orgID := ""
		if base.inv.Organization != nil {
			orgID = base.inv.Organization.ID
		}
		scanned := map[string]bool{}
		for _, a := range base.inv.Accounts {
			scanned[a.ID] = true
		}
		// An organization trail is judged in its owner's account, when that is in scope: a member does not re-read it.
		judgedElsewhere := func(arn string) bool {
			p := strings.Split(arn, ":")
			return len(p) > 4 && p[4] != acct && scanned[p[4]]
		}
		return collect.Account(ctx, collect.NewSDKClients(cfg), collect.Options{Regions: regions, HomeRegion: cfg.Region,
			Concurrency: o.scan.concurrency, Logger: e.log, AccountID: acct, Partition: base.partition, OrgID: orgID,
			Monitoring: o.scan.settings.alarms, JudgedElsewhere: judgedElsewhere})
	}
	// The queue is read with the caller's own credentials (the hub account).
	qcfg, err := o.scan.scanBase(ctx)
	if err != nil {
		return err
	}
	w := watch.New(cat, sqs.NewFromConfig(qcfg.base), sweeper, reader, watch.Options{
		QueueURL: o.queue, Sweep: o.sweep, Once: o.once, Settle: o.settle, WaitSeconds: o.wait, Out: out, Logger: e.log, Now: e.clock,
		Settings: func(now time.Time) controls.Settings { return o.scan.settings.controls(now) },
	})
	e.log.Info("watching", "queue", o.queue, "sweep", o.sweep.String(), "settle", o.settle.String())
	if err := w.Run(ctx); err != nil {
		return &exitError{code: ExitIncomplete, err: fmt.Errorf("watch: %w", err)}
	}
	st := w.Stats()
	e.log.Info("stopped", "messages", st.Messages, "changes", st.Changes, "rereads", st.Rereads, "sweeps", st.Sweeps)
	return nil
}
