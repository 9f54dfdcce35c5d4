package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/apicalls"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/prove"
	"github.com/trailwatch/trailwatch/internal/remediate"
	"github.com/trailwatch/trailwatch/internal/report"
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
	sinks  sinkOptions
	fix    autoFixOptions
	store  storeOptions
	// proveEvery runs trailwatch prove on the watcher's inventory this often (0: never), with proveTimeout.
	proveEvery, proveTimeout time.Duration
	// rereads counts the AWS calls of the re-reads events cause (each sweep's calls are printed by its scan).
	rereads *apicalls.Recorder
}

// autoFixOptions select what watch repairs by itself.
type autoFixOptions struct {
	on       bool
	controls []string
	reasons  []string
	tags     []string
	coolDown time.Duration
	yes      bool
	journal  string
}

func (a *autoFixOptions) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&a.on, "auto-fix", false, "repair what breaks, with fix apply's plan, refusals, journal and undo; dry run (the plan is printed as a fix_planned line) unless --yes")
	f.StringSliceVar(&a.controls, "auto-fix-controls", []string{controls.IntegrationID, controls.RetentionID}, "controls whose failures --auto-fix repairs")
	f.StringSliceVar(&a.reasons, "auto-fix-reasons", nil, "only failures with one of these reason codes (default: any)")
	f.StringArrayVar(&a.tags, "auto-fix-tag", nil, "only accounts with this tag, key=value (repeatable; all must match)")
	f.DurationVar(&a.coolDown, "cool-down", time.Hour, "never fix one finding (a control on one resource; each CIS alarm item is its own) twice within this time")
	f.BoolVar(&a.yes, "yes", false, "with --auto-fix: apply the fixes (without it they are only planned)")
	f.StringVar(&a.journal, "journal", "", "with --auto-fix --yes: journal file (default trailwatch-journal-<UTC time>.jsonl)")
}

// validate checks the auto-fix flags before any AWS call: the controls and reason codes exist (a misspelt one would
// otherwise select nothing, silently), tags are key=value, and the flags that only mean something with --auto-fix
// are not given without it.
func (a *autoFixOptions) validate(cmd *cobra.Command) error {
	if !a.on {
		for _, name := range []string{"yes", "journal", "auto-fix-controls", "auto-fix-reasons", "auto-fix-tag", "cool-down"} {
			if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
				return usageError("--%s applies with --auto-fix only: add --auto-fix (a dry run unless --yes)", name)
			}
		}
		return nil
	}
	cat, err := controls.Load()
	if err != nil {
		return err
	}
	for _, c := range a.controls {
		if _, ok := cat.Control(c); !ok {
			return usageError("--auto-fix-controls %q: not a control (trailwatch controls lists them)", c)
		}
	}
	for _, r := range a.reasons {
		if _, ok := cat.Reason(r); !ok {
			return usageError("--auto-fix-reasons %q: not a reason code (trailwatch controls show ID lists each control's)", r)
		}
	}
	for _, kv := range a.tags {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return usageError("--auto-fix-tag %q: want key=value", kv)
		}
	}
	if a.coolDown <= 0 {
		return usageError("--cool-down must be positive")
	}
	return checkWritableDir("--journal", a.journal)
}

// build returns the auto-fix the flags describe (nil without --auto-fix); validate has checked them.
func (a *autoFixOptions) build(caller *scanResult, o *scanOptions) (*watch.AutoFix, func(), error) {
	if !a.on {
		return nil, func() {}, nil
	}
	tags := map[string]string{}
	for _, kv := range a.tags {
		k, v, _ := strings.Cut(kv, "=")
		tags[k] = v
	}
	var journal *remediate.Journal
	if a.yes {
		// Who the journal names: the caller (fix apply's journal names it too); each account's writes name the role
		// assumed there (AutoFix.Who).
		var err error
		if journal, _, err = remediate.OpenJournal(a.journal, caller.CallerARN, nil); err != nil {
			return nil, nil, usageError("--journal: %v", err)
		}
	}
	closeJournal := func() { journal.Close() }
	// Alarm chains are repaired from the findings' evidence, with the items the watcher judges.
	plan := remediate.Options{Alarms: o.settings.controls(time.Now()).Alarms}
	return &watch.AutoFix{Controls: a.controls, Reasons: a.reasons, Tags: tags, Apply: a.yes, CoolDown: a.coolDown, Journal: journal, Plan: plan,
		Writer: func(acct string) (remediate.Writer, error) {
			return remediate.NewSDKWriter(caller.MemberConfig(acct, o.roleName, o.externalID)), nil
		},
		Who: func(acct string) string { return caller.Identity(acct, o.roleName) }}, closeJournal, nil
}

// sinkOptions are where changes go besides the JSON lines.
type sinkOptions struct {
	webhooks    []string
	notify      []string
	securityHub bool
}

func (s *sinkOptions) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&s.webhooks, "webhook", nil, "POST each change as JSON to this URL, with a Slack-compatible \"text\" (repeatable)")
	f.StringArrayVar(&s.notify, "notify", nil, "publish each change to an SNS topic: sns:TOPIC_ARN (repeatable)")
	f.BoolVar(&s.securityHub, "security-hub", false, "import each changed finding into AWS Security Hub (in its account and region); findings that pass again are archived")
}

func (s *sinkOptions) validate() error {
	for _, u := range s.webhooks {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return usageError("--webhook: want an http(s) URL (the value is not repeated here: webhook URLs carry their secret)")
		}
	}
	for _, n := range s.notify {
		topic, ok := strings.CutPrefix(n, "sns:")
		a, err := arn.Parse(topic)
		if !ok || err != nil || a.Service != "sns" || a.Region == "" || a.AccountID == "" || a.Resource == "" || strings.Contains(a.Resource, ":") {
			return usageError("--notify %q: want sns:TOPIC_ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", n)
		}
	}
	return nil
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.fix.validate(cmd); err != nil {
				return err
			}
			return o.run(cmd.Context(), e)
		},
	}
	o.scan.bind(cmd)
	hideReportFlags(cmd)
	o.scan.settings.bind(cmd)
	f := cmd.Flags()
	f.StringVar(&o.queue, "queue", "", "the SQS queue URL to consume (required)")
	f.DurationVar(&o.sweep, "sweep", 6*time.Hour, "re-read everything this often (0: only at start)")
	f.DurationVar(&o.proveEvery, "prove-every", 0, "prove capture (trailwatch prove: a marked call per account and region, found in its log group) after the baseline and this often, in the background; changed capture-proof findings are lines with cause {\"proof\": true} (0: never)")
	f.DurationVar(&o.proveTimeout, "prove-timeout", 20*time.Minute, "with --prove-every: how long each proof looks for its markers")
	f.DurationVar(&o.settle, "settle", 10*time.Second, "wait this long after events arrive before re-reading what they touch (AWS reads are eventually consistent)")
	f.StringVar(&o.format, "format", "jsonl", "jsonl: one JSON line per change")
	f.StringVarP(&o.output, "output", "o", "", "append the lines to FILE (default stdout)")
	o.sinks.bind(cmd)
	o.fix.bind(cmd)
	o.store.bind(cmd, true)
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
	if err := o.scan.refuseReportFlags("watch"); err != nil {
		return err
	}
	if err := o.sinks.validate(); err != nil {
		return err
	}
	if err := o.scan.validate(e.clock()); err != nil {
		return err
	}
	var out io.Writer = e.stdout
	if o.output != "" {
		f, err := os.OpenFile(o.output, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600) // as every -o: findings are not for other users
		if err != nil {
			return usageError("--output: %v", err)
		}
		defer f.Close()
		out = f
	}
	w, _, done, err := o.watcher(ctx, e, out)
	if err != nil {
		return err
	}
	defer done()
	if _, err := w.CheckQueue(ctx); err != nil {
		if ctx.Err() != nil {
			return interrupted(0, 0)
		}
		return usageError("--queue: %v", err)
	}
	e.log.Info("watching", "queue", o.queue, "sweep", o.sweep.String(), "settle", o.settle.String())
	if err := w.Run(ctx); err != nil {
		return &exitError{code: ExitIncomplete, err: fmt.Errorf("watch: %w", err)}
	}
	st := w.Stats()
	why := "the queue is drained (--once)"
	if ctx.Err() != nil {
		why = "interrupted"
	}
	// Said whatever the log level (issue 25: watch stopped on Ctrl-C without a word).
	fmt.Fprintf(e.stderr, "trailwatch: watch stopped, %s: %d message(s) (%d ignored, %d out of scope, %d not events), %d change(s), %d re-read(s) making %d AWS call(s), %d sweep(s) making %d AWS call(s)\n",
		why, st.Messages, st.Ignored, st.OutOfScope, st.Poison, st.Changes, st.Rereads, o.rereads.Total(), st.Sweeps, o.scan.sweepCalls.total())
	return nil
}

// watcher wires a Watcher to the scan flags: sweeps are scans (an organization with --org), re-reads collect one
// account (assuming --role-name in members), the queue and Config are reached with the caller's credentials.
func (o *watchOptions) watcher(ctx context.Context, e *env, out io.Writer) (*watch.Watcher, watch.ConfigFor, func(), error) {
	cat, err := controls.Load()
	if err != nil {
		return nil, nil, nil, err
	}
	var base *scanResult
	sweeper := func(ctx context.Context) (*model.Inventory, error) {
		sr, err := o.scan.scan(ctx, e, e.clock(), nil)
		if err != nil {
			return nil, err
		}
		if sr.Inv.Incomplete != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		base = sr
		return sr.Inv, nil
	}
	listing := collect.NewListingEvidence() // --discovery auto: what re-reads learn of ListTrails, kept for the next
	o.rereads = apicalls.NewRecorder(e.log)
	o.scan.sweepCalls = &callCount{}
	reader := func(ctx context.Context, acct string, regions []string) *model.Account {
		return base.Reread(ctx, acct, regions, scan.RereadOptions{RoleName: o.scan.roleName, ExternalID: o.scan.externalID,
			Concurrency: o.scan.concurrency, Logger: e.log, Monitoring: o.scan.settings.alarms, Discovery: o.scan.discovery,
			Listing: listing, Recorder: o.rereads, Catalog: cat, Settings: func() controls.Settings { return o.scan.settings.controls(e.clock()) }})
	}
	caller, err := o.scan.scanBase(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	fix, done, err := o.fix.build(caller, &o.scan)
	if err != nil {
		return nil, nil, nil, err
	}
	// --store: the watcher starts from the last recorded findings (so a restart reports what changed meanwhile) and
	// records the current state after each sweep and each change, for history and diff.
	var previous []model.Finding
	var onState func(*model.Inventory, []model.Finding)
	if o.store.dsn != "" {
		st, err := o.store.open(ctx)
		if err != nil {
			done()
			return nil, nil, nil, err
		}
		// The store is written in the background, newest state first: a store busy with another writer must not hold
		// up the next event (it waited up to a minute per change). done waits for the last state to be recorded.
		recorder := watch.NewLatest(func(r *report.Report) {
			if _, err := st.Record(ctx, r); err != nil {
				e.log.Warn("the current state was not recorded in the store", "error", err.Error())
			}
		})
		prevDone := done
		done = func() { recorder.Flush(); st.Close(); prevDone() }
		if scans, err := st.Scans(ctx); err == nil {
			for _, sc := range scans {
				if sc.Complete {
					previous, _ = st.Findings(ctx, sc.ID)
					break
				}
			}
		}
		onState = func(inv *model.Inventory, findings []model.Finding) {
			r := report.Build(inv, findings, o.scan.settings.report(), toolVersion())
			// Recorded later, in the background: nothing in it may be shared with the inventory the watcher patches.
			r.Incomplete, r.Scope.SkippedAccounts = slices.Clone(r.Incomplete), slices.Clone(r.Scope.SkippedAccounts)
			recorder.Put(r)
		}
	}
	var q watch.Queue
	if o.queue != "" {
		q = sqs.NewFromConfig(caller.Base)
	}
	w := watch.New(cat, q, sweeper, reader, watch.Options{
		QueueURL: o.queue, Sweep: o.sweep, Settle: o.settle, WaitSeconds: o.wait, Out: out, Logger: e.log, Now: e.clock, Once: o.once,
		HomeRegion: caller.Base.Region,
		Settings:   func(now time.Time) controls.Settings { return o.scan.settings.controls(now) },
		OnChange:   o.onChange(ctx, e, caller, func() *scanResult { return base }),
		AutoFix:    fix,
		Previous:   previous,
		OnState:    onState,
		ProveEvery: o.proveEvery,
		Prove: func(ctx context.Context, inv *model.Inventory, findings []model.Finding) []model.Finding {
			c := &proveClients{cfg: func(acct string) (aws.Config, bool) {
				if acct == caller.CallerID {
					return caller.Base, true
				}
				if !inScope(inv, acct) {
					return aws.Config{}, false
				}
				return caller.MemberConfig(acct, o.scan.roleName, o.scan.externalID), true
			}, ec2s: map[string]prove.EC2API{}, logs: map[string]*cloudwatchlogs.Client{}}
			res := prove.Run(ctx, cat, inv, findings, c, prove.Options{Timeout: o.proveTimeout, Log: e.log})
			e.log.Info("proof", "marker_calls", res.MarkerCalls, "searches", res.SearchCalls, "interrupted", res.Interrupted)
			return res.Findings
		},
	})
	configFor := func(acct, region, role string) watch.ConfigAPI {
		cfg := caller.Base.Copy()
		cfg.Region = region
		if acct != caller.CallerID {
			if role != "" {
				cfg = scan.RoleConfig(caller.Base, role, "")
			} else {
				cfg = caller.MemberConfig(acct, o.scan.roleName, o.scan.externalID)
			}
			cfg.Region = region
		}
		return configservice.NewFromConfig(cfg)
	}
	return w, configFor, done, nil
}

type lambdaOptions struct {
	watchOptions
	invoke string
}

func newLambdaCmd(e *env) *cobra.Command {
	o := &lambdaOptions{}
	cmd := &cobra.Command{
		Use:   "lambda",
		Short: "Serve as an AWS Lambda function: EventBridge events, scheduled sweeps, AWS Config custom rule invocations",
		Long: `Run as the handler of an AWS Lambda function (runtime provided.al2023, the trailwatch binary as bootstrap). Each
invocation is one of: an "AWS API Call via CloudTrail" event (re-read what it touches, print the changed findings as
JSON lines, as watch does); a scheduled event (sweep); an AWS Config custom rule invocation for AWS::CloudTrail::Trail
(ConfigurationItemChangeNotification, OversizedConfigurationItemChangeNotification or ScheduledNotification), answered
with PutEvaluations so that the verdicts show in AWS Config and Security Hub. A cold start first reads everything once.

In Lambda the binary named bootstrap runs "trailwatch lambda" with the flags in TRAILWATCH_ARGS. --invoke FILE handles
one invocation payload from a file (or - for stdin) and exits: for trying a payload without Lambda.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.fix.validate(cmd); err != nil {
				return err
			}
			return o.run(cmd.Context(), e)
		},
	}
	o.scan.bind(cmd)
	hideReportFlags(cmd)
	o.scan.settings.bind(cmd)
	o.sinks.bind(cmd)
	o.fix.bind(cmd)
	o.store.bind(cmd, true)
	cmd.Flags().StringVar(&o.invoke, "invoke", "", "handle this invocation payload (a JSON file, or - for stdin) and exit")
	return cmd
}

func (o *lambdaOptions) run(ctx context.Context, e *env) error {
	if err := o.scan.refuseReportFlags("lambda"); err != nil {
		return err
	}
	if err := o.scan.validate(e.clock()); err != nil {
		return err
	}
	if err := o.sinks.validate(); err != nil {
		return err
	}
	inLambda := os.Getenv("AWS_LAMBDA_RUNTIME_API") != ""
	if o.invoke == "" && !inLambda {
		return usageError("not running in AWS Lambda (AWS_LAMBDA_RUNTIME_API is not set): deploy the binary as bootstrap on provided.al2023, or try a payload with --invoke FILE")
	}
	var payload []byte
	if o.invoke != "" {
		var err error
		if o.invoke == "-" {
			payload, err = io.ReadAll(e.stdin)
		} else {
			payload, err = os.ReadFile(o.invoke)
		}
		if err != nil {
			return usageError("--invoke: %v", err)
		}
		if !json.Valid(payload) {
			return usageError("--invoke %s: not JSON", o.invoke)
		}
	}
	o.wait = 20
	w, configFor, done, err := o.watcher(ctx, e, e.stdout)
	if err != nil {
		return err
	}
	defer done()
	handler := func(ctx context.Context, raw json.RawMessage) (watch.Result, error) {
		return w.Handle(ctx, raw, configFor)
	}
	if o.invoke != "" {
		res, err := handler(ctx, payload)
		if errors.Is(err, watch.ErrPayload) {
			return usageError("--invoke %s: %v", o.invoke, err) // bad input, not a failed read (field trial: it exited 2)
		}
		if err != nil {
			return &exitError{code: ExitIncomplete, err: err}
		}
		// Said on stderr, whatever the log level (issue 25: a successful --invoke printed nothing); the change lines, if
		// any, are on stdout.
		fmt.Fprintf(e.stderr, "trailwatch: handled the %s invocation: %d evaluation(s) written, %d change(s)\n", res.Kind, res.Evaluations, res.Changes)
		if res.OutOfScope > 0 {
			// Said, not only logged (field trial: a member's event dropped without --org was silent).
			fmt.Fprintf(e.stderr, "trailwatch: the event names an account outside this function's scope (its organization with --org, --accounts, --exclude-accounts, --ous): dropped, nothing read\n")
		}
		return nil
	}
	lambda.StartWithOptions(handler, lambda.WithContext(ctx))
	return nil
}

// lambdaArgs are the arguments of the binary run as a Lambda function's bootstrap: "lambda" and TRAILWATCH_ARGS.
func lambdaArgs(argv0 string, args []string) []string {
	if filepathBase(argv0) != "bootstrap" || os.Getenv("AWS_LAMBDA_RUNTIME_API") == "" || len(args) > 0 {
		return args
	}
	return append([]string{"lambda"}, strings.Fields(os.Getenv("TRAILWATCH_ARGS"))...)
}

func filepathBase(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// onChange sends each change to the sinks the flags name.
func (o *watchOptions) onChange(ctx context.Context, e *env, caller *scanResult, base func() *scanResult) func(watch.Change) {
	var sends []func(context.Context, watch.Change) error
	for _, u := range o.sinks.webhooks {
		sends = append(sends, watch.Webhook{URL: u}.Send)
	}
	for _, n := range o.sinks.notify {
		topic := strings.TrimPrefix(n, "sns:")
		a, _ := arn.Parse(topic) // checked when the flags were read
		cfg := caller.Base.Copy()
		cfg.Region = a.Region
		sends = append(sends, watch.Topic{ARN: topic, Client: sns.NewFromConfig(cfg)}.Send)
	}
	if o.sinks.securityHub {
		sends = append(sends, func(ctx context.Context, c watch.Change) error {
			sr := base()
			if sr == nil {
				return fmt.Errorf("security hub: no scan yet")
			}
			return importChange(ctx, sr, &o.scan, c)
		})
	}
	if len(sends) == 0 {
		return nil
	}
	return func(c watch.Change) {
		for _, send := range sends {
			if err := send(ctx, c); err != nil {
				e.log.Warn("a change was not delivered to a sink (the JSON line has it)", "finding", c.Finding.ID, "error", err.Error())
			}
		}
	}
}

// hideReportFlags hides, on the commands that judge their whole scope continuously (watch, lambda), the scan flags
// that only mean something for one report; refuseReportFlags refuses them when given anyway.
func hideReportFlags(cmd *cobra.Command) {
	for _, n := range []string{"shard", "include-inventory"} {
		_ = cmd.Flags().MarkHidden(n)
	}
}

func (o *scanOptions) refuseReportFlags(command string) error {
	if o.shard != "" {
		return usageError("--shard does not apply to %s: one watcher judges its whole scope", command)
	}
	if o.includeInventory {
		return usageError("--include-inventory does not apply to %s: it writes changes, not a report", command)
	}
	return nil
}
