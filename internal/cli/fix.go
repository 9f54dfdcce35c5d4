package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/apicalls"
	"github.com/trailwatch/trailwatch/internal/cost"
	"github.com/trailwatch/trailwatch/internal/delivery"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
	"github.com/trailwatch/trailwatch/internal/scan"
)

type fixOptions struct {
	scan        scanOptions
	from        string
	format      string
	output      string
	groupName   string
	roleName    string
	retention   int
	kmsKey      string
	tags        []string
	trails      []string
	planFile    string
	yes         bool
	journal     string
	batchSize   int
	order       string
	priorityTag string
	maxFailures int
	wait        time.Duration
	poll        time.Duration
	alarmTopic  string
	notify      []string
	via         string
	trailBucket string
	cost        bool
	pricePerGB  float64
}

func newFixCmd(e *env) *cobra.Command {
	o := &fixOptions{}
	cmd := &cobra.Command{Use: "fix", Short: "Plan and apply the fix of failing trails: a plan first, then apply, in batches"}
	plan := &cobra.Command{
		Use:   "plan",
		Short: "Print the ordered AWS API calls (and AWS CLI commands) that make each failing trail pass",
		Long: `Plan the fix of every failing trail from a fresh scan (the scan flags apply) or from a saved JSON report with
its inventory (--from scan.json, written with --include-inventory): create the log group in the trail owner's account
and home region if missing, create or repair the delivery role (trust cloudtrail.amazonaws.com; a least-privilege
inline policy on exactly that log group's streams, with o-<org id>_* for organization trails), UpdateTrail, StartLogging,
retention fixes. What exists and is right is reused and not changed. Organization trails seen from a member,
Control Tower trails and excluded trails are refused, with the reason.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch o.format {
			case "text", "json", "terraform", "cloudformation":
			default:
				return usageError("--format %q: want text, json, terraform or cloudformation", o.format)
			}
			if err := checkWritableDir("--output", o.output); err != nil {
				return err
			}
			if err := checkPrice(cmd, o.cost, o.pricePerGB); err != nil {
				return err
			}
			switch {
			case o.cost && o.from != "":
				return usageError("--cost reads the trails' S3 buckets, which a saved report (--from) cannot: plan from a fresh scan")
			case o.cost && (o.format == "terraform" || o.format == "cloudformation"):
				return usageError("--cost is shown with --format text or json")
			}
			p, sr, err := o.makePlan(cmd.Context(), e)
			if err != nil {
				return err
			}
			if o.cost && sr != nil {
				p.EstimateCost(cmd.Context(), sr.Inv, func(acct, region string) cost.S3API {
					return s3.NewFromConfig(sr.MemberConfig(acct, o.scan.roleName, o.scan.externalID), func(so *s3.Options) {
						so.Region = region
						so.DisableLogOutputChecksumValidationSkipped = true // CloudTrail's files carry no checksum: not news
					})
				}, e.clock(), o.pricePerGB, cost.Budget{})
			}
			return o.printPlan(e, p)
		},
	}
	apply := &cobra.Command{
		Use:   "apply",
		Short: "Apply a reviewed plan (--plan plan.json), or plan and apply (--yes), in batches, re-checking each",
		Long: `Apply a plan. Without --plan it plans from a fresh scan first. Without --yes it shows the plan and asks.
Every call is written to the journal (who, when, account, region, call, result). A trail whose fix fails stops there
and what was created for it is deleted again. With --org the accounts are fixed in batches (--batch-size), production
first (--priority-tag), each batch re-scanned before the next; the rollout stops when a batch has more than
--max-failures unhealthy trails. Fixed trails are PENDING until their first delivery; --wait polls until then.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.apply(cmd.Context(), e) },
	}
	for _, c := range []*cobra.Command{plan, apply} {
		o.scan.bind(c)
		o.scan.settings.bind(c)
		f := c.Flags()
		f.StringVar(&o.from, "from", "", "plan from a saved JSON report with its inventory instead of a fresh scan")
		f.StringVar(&o.groupName, "log-group-name", delivery.DefaultGroupName, "name of a new log group (%s: the trail name)")
		f.StringVar(&o.roleName, "delivery-role-name", delivery.DefaultRoleName, "name of a new delivery role (%s: the trail name)")
		f.IntVar(&o.retention, "retention-days", 365, "retention of new log groups and of retention fixes")
		f.StringVar(&o.kmsKey, "kms-key", "", "KMS key ARN for new log groups")
		f.StringArrayVar(&o.tags, "tag", nil, "tag for new log groups, key=value (repeatable)")
		f.StringSliceVar(&o.trails, "trails", nil, "fix only these trail ARNs")
		f.StringVarP(&o.output, "output", "o", "", "fix plan: write the plan to FILE; fix apply: write the result (JSON: each batch's trails, what was done, undone and not undone, the journal) to FILE")
		f.StringVar(&o.alarmTopic, "alarm-topic", "", "with --alarms: the SNS topic ARN new alarms notify (default: create "+remediate.DefaultAlarmTopic+" beside the log group)")
		f.StringVar(&o.via, "via", remediate.ViaTrail, "how capture is fixed: "+remediate.ViaTrail+" (integrate each failing trail with CloudWatch Logs), "+remediate.ViaTelemetryRule+" (one CloudWatch telemetry rule per account sends its CloudTrail events to CloudWatch Logs without a trail; no trail is changed) or "+remediate.ViaOrgTelemetryRule+" (one organization telemetry rule for every account, with --org, run from the management account or a delegated administrator)")
		f.StringVar(&o.trailBucket, "trail-bucket", "", "an account no trail covers gets a new multi-region trail ("+remediate.NewTrailName+") delivering to this S3 bucket, whose policy must let CloudTrail write (trailwatch creates no bucket); without it such an account is refused")
		f.StringArrayVar(&o.notify, "notify", nil, "with --alarms: subscribe this endpoint to the alarm topic: email:ADDRESS, sqs:QUEUE_ARN, lambda:FUNCTION_ARN or an https:// URL (repeatable; email and https wait for confirmation; the journal keeps only a URL's host)")
	}
	plan.Flags().StringVar(&o.format, "format", "text", "text, json, terraform or cloudformation")
	plan.Flags().BoolVar(&o.cost, "cost", false, "estimate the monthly CloudWatch Logs ingestion of each trail (or telemetry rule) the plan sends there, from its S3 delivery over the last 7 days (reads the bucket: s3:GetBucketLocation, s3:ListBucket, s3:GetObject, and kms:Decrypt for SSE-KMS)")
	plan.Flags().Float64Var(&o.pricePerGB, "price-per-gb", 0, "with --cost: the price per GB ingested, in USD (default: us-east-1 list prices, $0.50 for a trail's integration, $0.75 by telemetry rule)")
	apply.Flags().StringVar(&o.planFile, "plan", "", "apply this reviewed plan (JSON from fix plan --format json)")
	apply.Flags().BoolVar(&o.yes, "yes", false, "apply without asking")
	apply.Flags().StringVar(&o.journal, "journal", "", "journal file (default trailwatch-journal-<UTC time>.jsonl)")
	apply.Flags().IntVar(&o.batchSize, "batch-size", 10, "accounts per batch")
	apply.Flags().StringVar(&o.order, "order", "tag", "tag (priority tag first, then name) or name")
	apply.Flags().StringVar(&o.priorityTag, "priority-tag", "environment=production", "accounts with this tag go first")
	apply.Flags().IntVar(&o.maxFailures, "max-failures", 0, "unhealthy trails tolerated in a batch before stopping")
	apply.Flags().DurationVar(&o.wait, "wait", 0, "after applying, poll until every fixed trail delivered (or this timeout)")
	apply.Flags().DurationVar(&o.poll, "poll", 30*time.Second, "how often --wait re-checks")
	cmd.AddCommand(plan, apply)
	return cmd
}

// checkPrice checks --price-per-gb (scan and fix plan): above 0, and only with --cost.
func checkPrice(cmd *cobra.Command, withCost bool, price float64) error {
	priced := cmd.Flags().Changed("price-per-gb")
	switch {
	case priced && !(price > 0 && price <= 1000):
		// Bounded: a price that makes the figures overflow (1e308) broke the JSON report after a whole scan (field trial).
		return usageError("--price-per-gb %g: want a price per GB above 0 and at most 1000, in USD", price)
	case priced && !withCost:
		return usageError("--price-per-gb applies with --cost only")
	}
	return nil
}

func (o *fixOptions) planOptions(now time.Time) (remediate.Options, error) {
	if err := remediate.CheckRetention(o.retention); err != nil {
		return remediate.Options{}, usageError("--retention-days: %v", err)
	}
	if err := remediate.CheckNameTemplate("--log-group-name", o.groupName); err != nil {
		return remediate.Options{}, usageError("%v", err)
	}
	if err := remediate.CheckNameTemplate("--delivery-role-name", o.roleName); err != nil {
		return remediate.Options{}, usageError("%v", err)
	}
	tags := map[string]string{}
	for _, kv := range o.tags {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return remediate.Options{}, usageError("--tag %q: want key=value", kv)
		}
		tags[k] = v
	}
	if min := o.scan.settings.minRetentionDays; o.retention < min {
		// Checked here, before any AWS call, for fix plan and a direct fix apply alike (a plan file is checked
		// step by step too): the fix would leave every group it makes failing the retention control.
		return remediate.Options{}, usageError("--retention-days %d is below --min-retention-days %d: the groups the fix makes or changes would fail the retention control (give both flags if a shorter minimum is what you want)", o.retention, min)
	}
	if err := remediate.CheckVia(o.via); err != nil {
		return remediate.Options{}, usageError("%v", err)
	}
	if err := remediate.CheckBucketName(o.trailBucket); err != nil {
		return remediate.Options{}, usageError("--trail-bucket: %v", err)
	}
	if o.trailBucket != "" && remediate.WithoutTrail(o.via) {
		return remediate.Options{}, usageError("--trail-bucket makes a trail; --via %s captures without one: give one of them", o.via)
	}
	switch {
	case o.via == remediate.ViaOrgTelemetryRule && o.from != "":
		// A saved scan cannot prove that it saw the whole organization, which exceptions apply, or who runs the fix
		// (review: --from got past the refusals that keep an organization rule from excluded accounts).
		return remediate.Options{}, usageError("--via %s is planned from a fresh scan only (--org, from the management account or a delegated administrator), not --from: the plan must see every account it reaches and the exceptions that apply", o.via)
	case o.via == remediate.ViaOrgTelemetryRule && !o.scan.org:
		return remediate.Options{}, usageError("--via %s makes one rule for the whole organization: give --org (and run from the management account or a delegated administrator)", o.via)
	}
	if !o.scan.settings.alarms && (o.alarmTopic != "" || len(o.notify) > 0) {
		return remediate.Options{}, usageError("--alarm-topic and --notify apply with --alarms only (they complete the CIS alarm chain): add --alarms")
	}
	for _, n := range o.notify {
		if err := remediate.CheckNotify(n); err != nil {
			return remediate.Options{}, usageError("%v", err)
		}
	}
	if o.alarmTopic != "" {
		if err := remediate.CheckTopicARN("--alarm-topic", o.alarmTopic); err != nil {
			return remediate.Options{}, usageError("%v", err)
		}
	}
	po := remediate.Options{LogGroupName: o.groupName, RoleName: o.roleName, RetentionDays: o.retention, KMSKey: o.kmsKey,
		Tags: tags, Trails: o.trails, Accounts: o.scan.accounts, Now: now, AlarmTopic: o.alarmTopic, Notify: o.notify, Via: o.via, TrailBucket: o.trailBucket}
	return po, nil
}

// makePlan plans from --from or a fresh scan; the scan result is nil with --from.
func (o *fixOptions) makePlan(ctx context.Context, e *env) (*remediate.Plan, *scanResult, error) {
	now := e.clock()
	po, err := o.planOptions(now)
	if err != nil {
		return nil, nil, err
	}
	if o.from != "" {
		r, err := readReportFile(o.from)
		if err != nil {
			return nil, nil, usageError("--from: %v", err)
		}
		if r.Inventory == nil {
			return nil, nil, usageError("--from %s has no inventory: scan with --include-inventory (or --shard)", o.from)
		}
		if r.Settings.AlarmsCISVersion != "" {
			cs, err := scan.SettingsOf(r.Settings, r.Inventory.CollectedAt)
			if err != nil {
				return nil, nil, usageError("--from %s: %v", o.from, err)
			}
			po.Alarms = cs.Alarms
		}
		// The exceptions file (--exceptions, or the default one) applies to a saved scan as to a fresh one; what the
		// saved scan muted already stays muted (field trial: --from ignored --exceptions and planned a muted trail).
		var findings, muted []model.Finding
		for _, f := range r.Findings {
			if f.Status == model.StatusMuted {
				muted = append(muted, f)
			} else {
				findings = append(findings, f)
			}
		}
		if findings, err = o.scan.exceptions.apply(r.Inventory, findings, now); err != nil {
			return nil, nil, err
		}
		return remediate.NewPlan(r.Inventory, append(findings, muted...), po), nil, nil
	}
	sr, err := o.scan.scan(ctx, e, now, nil)
	if err != nil {
		return nil, nil, err
	}
	// Findings an exception mutes are not fixed: the plan refuses them, naming the exception.
	po.Alarms = o.scan.settings.controls(now).Alarms
	po.Caller = sr.CallerID
	return remediate.NewPlan(sr.Inv, sr.Findings, po), sr, nil
}

func (o *fixOptions) printPlan(e *env, p *remediate.Plan) error {
	render := func(w io.Writer) error {
		switch o.format {
		case "json":
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			return enc.Encode(p)
		case "text":
			_, err := io.WriteString(w, p.Summary()+p.CostSummary())
			return err
		case "terraform", "cloudformation":
			_, err := io.WriteString(w, remediate.AsCode(p, o.format))
			return err
		}
		return usageError("--format %q: want text, json, terraform or cloudformation", o.format)
	}
	if o.output == "" {
		return render(e.stdout)
	}
	if err := writeFileAtomic(o.output, render); err != nil {
		return &exitError{code: ExitIncomplete, err: fmt.Errorf("--output: %w", err)}
	}
	return nil
}

func (o *fixOptions) apply(ctx context.Context, e *env) error {
	// Every call of the run, its scans, re-scans and writes, counted once and said once at the end.
	calls := apicalls.NewRecorder(e.log)
	o.scan.runCalls = calls
	defer func() {
		if calls.Total() > 0 {
			fmt.Fprintf(e.stderr, "API calls (%d): %s\n", calls.Total(), calls.Summary())
		}
	}()
	// Every path is checked before any work: a journal that cannot be written would be found only after the scan.
	if err := checkWritableDir("--journal", o.journal); err != nil {
		return err
	}
	if err := checkWritableDir("--output", o.output); err != nil {
		return err
	}
	var p *remediate.Plan
	var sr *scanResult
	var err error
	if o.planFile != "" {
		data, rerr := os.ReadFile(o.planFile)
		if rerr != nil {
			return usageError("--plan: %v", rerr)
		}
		// Only the plan trailwatch would write may run: scan again and plan with the same flags, and refuse any step,
		// parameter or undo that differs (an edited plan, or accounts that changed since the review).
		var freshErr error
		p, err = remediate.Reviewed(data, o.scan.settings.minRetentionDays, func() (*remediate.Plan, error) {
			fresh, fsr, err := o.makePlan(ctx, e)
			sr, freshErr = fsr, err
			return fresh, err
		})
		var changed *remediate.PlanChangedError
		switch {
		case freshErr != nil:
			return freshErr
		case errors.As(err, &changed):
			return usageError("--plan %s: not applied: %v. Run fix plan again with the same flags and review it (the file was edited, the flags differ from the plan's, or the accounts changed since)", o.planFile, changed.Err)
		case err != nil:
			return usageError("--plan %s: %v", o.planFile, err)
		}
	} else if p, sr, err = o.makePlan(ctx, e); err != nil {
		return err
	}
	fmt.Fprint(e.stderr, p.Summary())
	if len(p.Steps) == 0 {
		// Nothing applied: a success only when nothing needed fixing or an exception kept it (field trial: a fix whose
		// every step was refused exited 0, and a pipeline took it for done).
		for _, r := range p.Refused {
			if !r.Excepted {
				return &exitError{code: ExitFailed, err: fmt.Errorf("nothing applied: every fix was refused (%d; the REFUSED lines say why and what to do)", len(p.Refused))}
			}
		}
		return nil
	}
	if remediate.HasAlarmSteps(p) {
		// The re-scan that checks each batch must judge the alarm controls the plan fixes.
		o.scan.settings.alarms = true
	}
	if !o.yes && !confirm(e, fmt.Sprintf("Apply %d steps? [y/N] ", len(p.Steps))) {
		return usageError("not applied: confirm at the prompt or pass --yes")
	}
	if sr == nil {
		// A reviewed plan: reach its accounts with the scan flags' credentials and role.
		if sr, err = o.scan.scanBase(ctx); err != nil {
			return err
		}
	}
	j, path, err := remediate.OpenJournal(o.journal, sr.CallerARN, nil)
	if err != nil {
		return usageError("--journal: %v", err)
	}
	defer j.Close()
	var infos []remediate.AccountInfo
	if sr.Inv != nil {
		for _, a := range sr.Inv.Accounts {
			infos = append(infos, remediate.AccountInfo{ID: a.ID, Name: a.Name, Tags: a.Tags})
		}
	}
	res := remediate.Rollout(ctx, p, infos, j, remediate.RolloutOptions{BatchSize: o.batchSize, Order: o.order,
		PriorityTag: o.priorityTag, MaxFailures: o.maxFailures,
		Writer: func(id string) (remediate.Writer, error) {
			// Counted: the writes, and the AssumeRole calls that reach a member (made with the base configuration).
			base := sr.Base.Copy()
			base.APIOptions = append(slices.Clone(base.APIOptions), calls.Middleware(id, nil))
			return remediate.NewSDKWriter(scan.MemberConfig(base, sr.Partition, sr.CallerID, id, o.scan.roleName, o.scan.externalID)), nil
		},
		Who: func(id string) string { return sr.Identity(id, o.scan.roleName) },
		Rescan: func(ctx context.Context, ids []string, fixed map[string]time.Time) ([]model.Finding, error) {
			so := o.scan
			if so.org {
				so.accounts = ids
			}
			r, err := so.scan(ctx, e, e.clock(), fixed)
			if err != nil {
				return nil, err
			}
			return r.Findings, nil
		}})
	fmt.Fprintf(e.stderr, "journal: %s\n", path)
	undoFailed := 0
	for i, b := range res.Batches {
		for _, r := range b.Results {
			state := resultState(r)
			if why := refusedPart(p, r.ResourceID); r.Error == "" && why != "" {
				// Field trial: "fixed" beside a REFUSED line for the same trail, which still failed after.
				state = "fixed in part; still to do by hand: " + why
			}
			fmt.Fprintf(e.stdout, "batch %d  %s  %s: %s\n", i+1, r.AccountID, r.ResourceID, state)
			for _, u := range r.UndoFailed {
				undoFailed++
				fmt.Fprintf(e.stdout, "    NOT UNDONE: %s\n", u)
			}
		}
	}
	if undoFailed > 0 {
		fmt.Fprintf(e.stderr, "%d changes could not be undone: the lines NOT UNDONE say what is left to do by hand (journal %s)\n", undoFailed, path)
	}
	if o.output != "" {
		// The apply result, for what runs after it (a ticket, a pipeline step); written whatever the outcome.
		err := writeFileAtomic(o.output, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(struct {
				Journal string `json:"journal"`
				remediate.RolloutResult
			}{path, res})
		})
		if err != nil {
			return &exitError{code: ExitIncomplete, err: fmt.Errorf("--output: %w", err)}
		}
	}
	if res.Stopped != "" {
		fmt.Fprintln(e.stdout, "stopped:", res.Stopped)
		if ctx.Err() != nil {
			if undoFailed > 0 {
				return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted: %d changes of the trail in progress could not be undone (the NOT UNDONE lines; journal %s)", undoFailed, path)}
			}
			return &exitError{code: ExitInterrupted, err: fmt.Errorf("%s (journal %s)", res.Stopped, path)}
		}
		return &exitError{code: ExitFailed}
	}
	if err := o.recheck(ctx, e, res.FixedAt); err != nil {
		return err
	}
	// What was refused still fails: the apply is not the whole fix (field trial: exit 0, and the scan after it red).
	refused := 0
	for _, r := range p.Refused {
		if !r.Excepted {
			refused++
		}
	}
	if refused > 0 {
		return &exitError{code: ExitFailed, err: fmt.Errorf("applied what it could; %d refused (the REFUSED lines say why and what to do): their findings still fail", refused)}
	}
	return nil
}

// refusedPart is why the plan refused part of a resource's fix ("" when nothing of it was refused).
func refusedPart(p *remediate.Plan, rid string) string {
	var why []string
	for _, r := range p.Refused {
		if r.ResourceID == rid && !r.Excepted {
			why = append(why, r.Reason)
		}
	}
	return strings.Join(why, "; ")
}

// resultState says how one trail's fix went: fixed, or failed with what was undone (or that nothing needed undoing).
func resultState(r remediate.TrailResult) string {
	if r.Error == "" {
		return "fixed"
	}
	state := "FAILED (" + r.Error + ")"
	switch {
	case len(r.Undone) > 0:
		state += "; undone: " + strings.Join(r.Undone, ", ")
	case len(r.UndoFailed) == 0:
		state += "; nothing to undo"
	}
	if len(r.UndoFailed) > 0 {
		state += fmt.Sprintf("; %d change(s) NOT undone, see below", len(r.UndoFailed))
	}
	return state
}

// recheck scans the fixed trails again: PENDING until their first delivery, then PASS; with --wait it polls.
func (o *fixOptions) recheck(ctx context.Context, e *env, fixed map[string]time.Time) error {
	rc, err := remediate.WaitRecheck(ctx, func(ctx context.Context) ([]model.Finding, error) {
		sr, err := o.scan.scan(ctx, e, e.clock(), fixed)
		if err != nil {
			return nil, err
		}
		return sr.Findings, nil
	}, fixed, remediate.RecheckOptions{Wait: o.wait, Poll: o.poll, Progress: func(waiting []string, left time.Duration) {
		// Say which trails are still waiting for their first delivery, and for how much longer we wait.
		fmt.Fprintf(e.stderr, "waiting for the first delivery to %d fixed resources (%s left, next check in %s): %s\n",
			len(waiting), left.Round(time.Second), min(o.poll, left).Round(time.Second), strings.Join(waiting, ", "))
	}})
	switch {
	case errors.Is(err, remediate.ErrWaitInterrupted):
		return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted while waiting for delivery; the fixes stay applied: %d trails still PENDING", len(rc.Waiting()))}
	case err != nil:
		return err
	}
	for _, it := range rc.Items {
		fmt.Fprintf(e.stdout, "%-8s %s (fixed at %s)%s\n", it.Status, it.What, it.FixedAt.Format(time.RFC3339), it.Why)
	}
	if len(rc.Items) == 0 {
		fmt.Fprintln(e.stdout)
	}
	if rc.Pending > 0 && o.wait > 0 {
		// Field trial: the wait ended with PENDING lines and nothing said it had run out.
		fmt.Fprintf(e.stderr, "--wait %s passed with %d still PENDING: their first delivery comes later; scan again to see them PASS (or wait longer)\n", o.wait, rc.Pending)
	}
	if rc.Failing > 0 {
		return &exitError{code: ExitFailed, err: fmt.Errorf("%d of the fixed resources still fail after the fix (the reason codes above; scan for the whole verdict)", rc.Failing)}
	}
	return nil
}

func confirm(e *env, prompt string) bool {
	fmt.Fprint(e.stderr, prompt)
	line, _ := bufio.NewReader(e.stdin).ReadString('\n')
	return strings.EqualFold(strings.TrimSpace(line), "y") || strings.EqualFold(strings.TrimSpace(line), "yes")
}
