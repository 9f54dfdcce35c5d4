package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/apicalls"
	"github.com/trailwatch/trailwatch/internal/awsconfig"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/cost"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/org"
	"github.com/trailwatch/trailwatch/internal/partition"
	"github.com/trailwatch/trailwatch/internal/report"
	"github.com/trailwatch/trailwatch/internal/scan"
	"github.com/trailwatch/trailwatch/internal/store"
)

type scanOptions struct {
	profile            string
	region             string
	regions            []string
	concurrency        int
	accountConcurrency int
	maxAttempts        int
	org                bool
	roleName           string
	externalID         string
	accounts           []string
	excludeAccounts    []string
	ous                []string
	shard              string
	includeInventory   bool
	noPacing           bool
	out                outputOptions
	settings           settingsOptions
	exceptions         exceptionOptions
	store              storeOptions
	securityHub        bool
	partial            bool
	callTimeout        time.Duration
	// sweepCalls, set by watch and lambda, takes each sweep's call count instead of the "API calls" line.
	sweepCalls *callCount
	// runCalls, set by fix apply, is the run's recorder: its scans count into it and print nothing, and the run prints
	// one "API calls" line with its writes (field trial: a line per re-scan, the writes never counted).
	runCalls       *apicalls.Recorder
	accountTimeout time.Duration
	runID          string
	discovery      string
	st             *store.Store // the history store, open during run (for --run)
	// cost reads what each integrated log group ingests (scan --cost), priced at pricePerGB (0: the table's prices).
	cost       bool
	pricePerGB float64
}

func newScanCmd(e *env) *cobra.Command {
	o := &scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Judge an AWS account's, or a whole organization's, CloudTrail-to-CloudWatch-Logs pipeline",
		Long: `Scan the AWS account your credentials belong to (the standard chain: environment, profile, SSO,
assume-role profiles): every enabled region, every trail, its log group and delivery role, judged against the
controls (trailwatch controls). Read-only.

With --org, scan every ACTIVE account of the organization (run from the management account or a delegated
administrator): --role-name is assumed in each member, organization trails are judged once in the management account.

Exit codes: 0 nothing failed; 1 a finding FAILed (--fail-on tunes the severity); 2 the scan was incomplete
(ERROR findings, an account listing that broke off, a history store that could not be written); 3 usage or
configuration error; 130 interrupted (nothing written over --output unless --partial).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkPrice(cmd, o.cost, o.pricePerGB); err != nil {
				return err
			}
			if f := o.out.format; o.cost && f != "table" && f != "json" && f != "html" {
				// Refused before the scan: the other formats have no place for costs (field trial: dropped silently).
				return usageError("--cost is shown with --format table, json or html, not %s", f)
			}
			return o.run(cmd.Context(), e)
		},
	}
	o.bind(cmd)
	o.store.bind(cmd, true)
	cmd.Flags().BoolVar(&o.cost, "cost", false, "show what each integrated log group (a trail's, a CloudWatch telemetry rule's) costs today: its IncomingBytes over the last 7 days (cloudwatch:GetMetricData, one call per region), as monthly GB and USD")
	cmd.Flags().Float64Var(&o.pricePerGB, "price-per-gb", 0, "with --cost: the price per GB ingested, in USD (default: us-east-1 list prices, $0.50 for a trail's group, $0.75 for a telemetry rule's)")
	cmd.Flags().BoolVar(&o.securityHub, "security-hub", false, "import the findings into AWS Security Hub (BatchImportFindings, from each finding's account and region)")
	cmd.Flags().StringVar(&o.runID, "run", "", "a sharded run's id (--org --store), or auto for the AWS Batch array job's id: the shards share the run's account list, listed once, and save their reports under it; trailwatch merge --store --run joins them")
	cmd.Flags().BoolVar(&o.partial, "partial", false, `when interrupted (Ctrl-C, SIGTERM), still write the report of the accounts finished, marked "complete": false`)
	o.out.bind(cmd)
	o.settings.bind(cmd)
	return cmd
}

// bind defines the flags that select and tune what is scanned (shared by scan and fix).
func (o *scanOptions) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.profile, "profile", "", "AWS shared config profile (default: AWS_PROFILE or the default chain)")
	f.StringVar(&o.region, "region", "", "region for global calls and listing regions (default: AWS_REGION, the profile's, or us-east-1)")
	f.StringSliceVar(&o.regions, "regions", nil, "scan only these regions (comma-separated); multi-region trails homed elsewhere are still judged")
	f.IntVar(&o.concurrency, "concurrency", 24, "AWS calls in flight per account")
	f.IntVar(&o.accountConcurrency, "account-concurrency", 128, "accounts scanned at once (--org)")
	f.IntVar(&o.maxAttempts, "max-attempts", 8, "attempts per AWS call; throttling and transient errors are retried with full-jitter exponential backoff (50 ms base)")
	f.BoolVar(&o.org, "org", false, "scan every ACTIVE account of the organization")
	f.StringVar(&o.roleName, "role-name", "OrganizationAccountAccessRole", "role assumed in each member account (--org)")
	f.StringVar(&o.externalID, "external-id", "", "external id for assuming --role-name (--org)")
	f.StringSliceVar(&o.accounts, "accounts", nil, "scan only these account ids (--org)")
	f.StringSliceVar(&o.excludeAccounts, "exclude-accounts", nil, "leave these account ids out (--org)")
	f.StringSliceVar(&o.ous, "ous", nil, "scan only accounts under these OUs: ids (ou-...) or paths of names (Workloads/Prod) (--org)")
	f.StringVar(&o.shard, "shard", "", "scan shard i of n (for example 2/4) of the accounts, or auto/n to take i from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) or AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array jobs), both 0-based; join the shards' reports with trailwatch merge (--org)")
	f.BoolVar(&o.includeInventory, "include-inventory", false, "put the collected inventory in the JSON report (always on with --shard)")
	f.BoolVar(&o.noPacing, "no-pacing", false, "do not pace calls below AWS's published per-region request rates")
	f.StringVar(&o.discovery, "discovery", collect.DiscoveryAuto, "how trails are found: auto (sweep every region and compare ListTrails with the sweep until an account shows ListTrails returning another region's single-region trail, then read later accounts with ListTrails first: about half the calls; if it is seen to leave a trail out, sweep everything), sweep (DescribeTrails in every region in scope, nothing else) or list (ListTrails first from the start: run trailwatch discovery check in your accounts before relying on it). ListTrails failing falls back to the sweep")
	f.DurationVar(&o.callTimeout, "call-timeout", 30*time.Second, "longest wait for one attempt of an AWS call (then retried; what stays unanswered is an ERROR saying it timed out)")
	f.DurationVar(&o.accountTimeout, "account-timeout", 10*time.Minute, "longest time spent reading one account; what is not read by then is an ERROR saying it timed out")
	o.exceptions.bind(cmd)
}

func (o *scanOptions) run(ctx context.Context, e *env) error {
	if err := o.out.validate(); err != nil {
		return err
	}
	// The history store is opened (and migrated) before the first AWS call, so a bad --store costs no scan; it is
	// written after the report, so a busy or broken store never costs the report either.
	if o.runID == "auto" {
		id, err := autoRunID()
		if err != nil {
			return err
		}
		o.runID = id
	}
	if o.runID != "" && (!o.org || o.store.dsn == "") {
		return usageError("--run %s: a run's shards meet in the history store: add --org and --store", o.runID)
	}
	st, err := o.store.openIfSet(ctx)
	if err != nil {
		return err
	}
	if st != nil {
		defer st.Close()
	}
	o.st = st
	sr, err := o.scan(ctx, e, e.clock(), nil)
	if err != nil {
		return err
	}
	r := report.Build(sr.Inv, sr.Findings, o.settings.report(), toolVersion())
	if o.cost {
		prices := cost.PricesFor(o.pricePerGB)
		r.Costs, r.PriceSource = cost.Groups(sr.Inv, prices), prices.Source
	}
	if o.includeInventory {
		r.Inventory = sr.Inv
	}
	if o.shard != "" {
		// The shard as resolved (auto/N names its index only through the environment): merge reads i/n.
		i, n, _ := parseShard(o.shard)
		r.Scope.Shard = fmt.Sprintf("%d/%d", i, n)
	}
	if sr.Interrupted != nil {
		// Only with --partial (scan refuses otherwise): the finished accounts, marked incomplete; not recorded.
		if err := o.out.write(e, r); err != nil {
			var ee *exitError
			if !errors.As(err, &ee) || ee.err != nil {
				return err
			}
		}
		return &exitError{code: ExitInterrupted, err: sr.Interrupted}
	}
	if o.runID != "" {
		// A run's shard: its report, with its inventory, is saved under the run (a retry replaces it), not recorded
		// as a scan of its own; trailwatch merge --store --run records the whole run.
		i, n := 1, 1
		if o.shard != "" {
			i, n, _ = parseShard(o.shard)
		}
		r.Inventory = sr.Inv
		var buf bytes.Buffer
		if err := report.WriteJSON(&buf, r); err != nil {
			return err
		}
		if err := st.SaveShard(ctx, o.runID, i, n, buf.Bytes()); err != nil {
			fmt.Fprintf(e.stderr, "trailwatch: %v\n", err)
			return &exitError{code: ExitIncomplete}
		}
		fmt.Fprintf(e.stderr, "saved shard %d/%d of run %s\n", i, n, o.runID)
		if !o.includeInventory {
			r.Inventory = nil
		}
		return o.out.write(e, r)
	}
	exit := o.out.deliver(ctx, e, st, r)
	if o.securityHub {
		n, failed, err := importToSecurityHub(ctx, sr, o, r)
		fmt.Fprintf(e.stderr, "Security Hub: %d findings imported, %d failed\n", n, failed)
		if err != nil {
			fmt.Fprintln(e.stderr, "trailwatch:", err)
		}
	}
	return exit
}

// scanResult is a finished scan, with what reaches each account afterwards (for fixes).
type scanResult = scan.Result

// loadConfig loads the AWS configuration the flags name and proves it has credentials, before any AWS call.
func (o *scanOptions) loadConfig(ctx context.Context, callTimeout time.Duration) (aws.Config, error) {
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Profile: o.profile, Region: o.region, MaxAttempts: o.maxAttempts, CallTimeout: callTimeout})
	if err != nil {
		return aws.Config{}, usageError("load AWS configuration: %v", err)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return aws.Config{}, interrupted(0, 0)
		}
		return aws.Config{}, credentialsProblem(err)
	}
	return cfg, nil
}

// scanError maps a failed scan to its exit code.
func scanError(err error) error {
	var ie *scan.InterruptedError
	var te *scan.TransientError
	var ue *scan.UnidentifiedError
	switch {
	case errors.As(err, &ie):
		return &exitError{code: ExitInterrupted, err: ie}
	case errors.As(err, &te):
		return &exitError{code: ExitIncomplete, err: fmt.Errorf("%w: a transient AWS error before any account was scanned (throttling or a service error past the retries); nothing was judged, run it again", err)}
	case errors.As(err, &ue) && ue.Refused:
		return usageError("%v", ue)
	case errors.As(err, &ue):
		return &exitError{code: ExitIncomplete, err: ue}
	}
	return &exitError{code: ExitUsage, err: err}
}

// scan runs the scan the flags describe, judging trails fixed at fixedAt PENDING until their first delivery.
func (o *scanOptions) scan(ctx context.Context, e *env, now time.Time, fixedAt map[string]time.Time) (*scanResult, error) {
	if err := o.validate(now); err != nil {
		return nil, err
	}
	var filter org.Filter
	if o.shard != "" {
		filter.ShardIndex, filter.ShardCount, _ = parseShard(o.shard)
		o.includeInventory = true
	}
	cfg, err := o.loadConfig(ctx, o.callTimeout)
	if err != nil {
		return nil, err
	}
	cat, err := controls.Load()
	if err != nil {
		return nil, err
	}
	settings := o.settings.controls(now)
	settings.FixedAt = fixedAt
	rec := apicalls.NewRecorder(e.log)
	if o.runCalls != nil {
		rec = o.runCalls
	}
	var members []org.Member
	if o.org && o.runID != "" && o.st != nil {
		if members, err = scan.RunMembers(ctx, o.st, o.runID, cfg); err != nil {
			if ctx.Err() != nil {
				return nil, interrupted(0, 0)
			}
			return nil, &exitError{code: ExitUsage, err: err}
		}
	}
	if o.org {
		filter.Accounts, filter.ExcludeAccounts, filter.OUs = o.accounts, o.excludeAccounts, o.ous
	}
	bar := newProgress(e.stderr) // drawn only for an organization, whose scan reports its progress
	res, err := scan.Live(ctx, cat, cfg, scan.LiveOptions{
		Options: scan.Options{Collect: collect.Options{Regions: o.regions, HomeRegion: cfg.Region, Concurrency: o.concurrency, Logger: e.log,
			Monitoring: o.settings.alarms, Discovery: o.discovery}, Settings: settings, AccountConcurrency: o.accountConcurrency,
			AccountTimeout: o.accountTimeout, CostDays: o.costDays()},
		Org: o.org, RoleName: o.roleName, ExternalID: o.externalID, Filter: filter, Members: members, Recorder: rec,
		Pacing: !o.noPacing, Progress: bar.update, Partial: o.partial,
	})
	bar.finish()
	if o.sweepCalls != nil {
		// A watcher's sweep: counted into its stop line, not printed every sweep (field trial: noisy for a service).
		o.sweepCalls.add(rec.Total())
		e.log.Info("sweep API calls", "total", rec.Total(), "calls", rec.Summary())
	} else if o.runCalls == nil && (err == nil || scan.IsInterrupted(err)) {
		fmt.Fprintf(e.stderr, "API calls (%d): %s\n", rec.Total(), rec.Summary())
	}
	if err != nil {
		return nil, scanError(err)
	}
	if res.Findings, err = o.exceptions.apply(res.Inv, res.Findings, now); err != nil {
		return nil, err
	}
	return res, nil
}

// validateRegions checks --region and --regions against the regions of the AWS partitions, before any call: a typo
// or upper case would otherwise be "not enabled in this account" and silently scan nothing there.
func validateRegions(region string, regions []string) error {
	check := func(flag, r string) error {
		if err := partition.CheckRegion(flag, r); err != nil {
			return usageError("%v", err)
		}
		return nil
	}
	if region != "" {
		if err := check("--region", region); err != nil {
			return err
		}
	}
	for _, r := range regions {
		if err := check("--regions", r); err != nil {
			return err
		}
	}
	return nil
}

// shardIndexVars are where batch engines put a worker's 0-based index: Kubernetes Indexed Jobs and AWS Batch array
// jobs (index k is shard k+1).
var shardIndexVars = []string{"JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"}

// autoRunID names the run after the AWS Batch array job the shard belongs to: a child's AWS_BATCH_JOB_ID is the
// parent's id, a colon and the child's index ("Array jobs", AWS Batch User Guide:
// https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html), so every shard of one submission gets the same
// run and the next night's submission a new one.
func autoRunID() (string, error) {
	id := os.Getenv("AWS_BATCH_JOB_ID")
	parent, _, isChild := strings.Cut(id, ":")
	if !isChild || parent == "" {
		return "", usageError("--run auto: AWS_BATCH_JOB_ID is %q, not an AWS Batch array child's id (PARENT:INDEX); give the run's id", id)
	}
	return parent, nil
}

// parseShard reads "i/n" with 1 <= i <= n, or "auto/n" with i from the engine's index variable.
func parseShard(s string) (int, int, error) {
	if rest, ok := strings.CutPrefix(s, "auto/"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			return 0, 0, usageError("--shard %q: want auto/n with n at least 1", s)
		}
		for _, v := range shardIndexVars {
			if raw, set := os.LookupEnv(v); set {
				k, err := strconv.Atoi(strings.TrimSpace(raw))
				if err != nil || k < 0 || k >= n {
					return 0, 0, usageError("--shard %s: %s=%q is not an index from 0 to %d", s, v, raw, n-1)
				}
				return k + 1, n, nil
			}
		}
		return 0, 0, usageError("--shard %s: neither JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) nor AWS_BATCH_JOB_ARRAY_INDEX (an AWS Batch array job) is set; give the shard as i/n", s)
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, usageError("--shard %q: want i/n with 1 <= i <= n, for example 2/4", s)
	}
	return i, n, nil
}

// scanBase resolves the caller and its base configuration without scanning (for applying a reviewed plan).
func (o *scanOptions) scanBase(ctx context.Context) (*scanResult, error) {
	cfg, err := o.loadConfig(ctx, 0)
	if err != nil {
		return nil, err
	}
	res, err := scan.Caller(ctx, cfg)
	if err != nil {
		return nil, scanError(err)
	}
	return res, nil
}

// validate checks the flags that select and tune a scan, before any AWS call (watch calls it too, before its first).
func (o *scanOptions) validate(now time.Time) error {
	if err := o.settings.validate(); err != nil {
		return err
	}
	if o.shard != "" {
		if _, _, err := parseShard(o.shard); err != nil {
			return err
		}
	}
	if !o.org && (len(o.accounts) > 0 || len(o.excludeAccounts) > 0 || len(o.ous) > 0 || o.shard != "") {
		return usageError("--accounts, --exclude-accounts, --ous and --shard select organization accounts: add --org")
	}
	if o.org {
		if err := validateOrgSelection(o.accounts, o.excludeAccounts, o.roleName); err != nil {
			return err
		}
	}
	if o.concurrency < 1 || o.accountConcurrency < 1 || o.maxAttempts < 1 {
		return usageError("--concurrency, --account-concurrency and --max-attempts must be at least 1")
	}
	if o.callTimeout <= 0 || o.accountTimeout <= 0 {
		return usageError("--call-timeout and --account-timeout must be positive durations, such as 30s and 10m")
	}
	if err := validateRegions(o.region, o.regions); err != nil {
		return err
	}
	if err := validateDiscovery(o.discovery); err != nil {
		return err
	}
	if _, err := o.exceptions.load(now); err != nil {
		return err // a bad exceptions file costs no scan
	}
	return nil
}

// validateOrgSelection checks the account ids and the member role name before any AWS call.
func validateOrgSelection(accounts, exclude []string, role string) error {
	excluded := map[string]bool{}
	for flag, ids := range map[string][]string{"--accounts": accounts, "--exclude-accounts": exclude} {
		for i, id := range ids {
			id = strings.TrimSpace(id) // "111111111111, 222222222222" (field trial)
			ids[i] = id
			if !model.IsAccountID(id) {
				return usageError("%s %q: an account id is 12 digits, such as 123456789012", flag, id)
			}
		}
	}
	for _, id := range exclude {
		excluded[id] = true
	}
	for _, id := range accounts {
		if excluded[id] {
			return usageError("--accounts and --exclude-accounts both name %s: give it to one of them", id)
		}
	}
	// IAM: a role name is 1-64 characters of letters, digits and +=,.@_- (IAM API reference, CreateRole RoleName);
	// a path before it ("security/Scanner") takes the same characters.
	name := role[strings.LastIndex(role, "/")+1:]
	ok := name != "" && len(name) <= 64
	for _, r := range role {
		ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+=,.@_-/", r))
	}
	if !ok {
		return usageError("--role-name %q: an IAM role name is 1 to 64 letters, digits and +=,.@_- (at most 64), optionally after a path such as security/", role)
	}
	return nil
}

// validateDiscovery checks --discovery before any AWS call.
func validateDiscovery(d string) error {
	switch d {
	case collect.DiscoveryAuto, collect.DiscoverySweep, collect.DiscoveryList:
		return nil
	}
	return usageError("--discovery %q: want auto (the default: ListTrails first once the run has seen it account-wide), sweep (every region is read) or list (ListTrails first; see trailwatch discovery check)", d)
}

// credentialsProblem says why no credentials could be had, from the call that failed: a profile's AssumeRole (its
// source credentials, the role, or STS unreachable), its SSO token, or no credentials at all. An assume-role profile
// that could not reach STS was reported as "no AWS credentials found".
func credentialsProblem(err error) error {
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		switch oe.OperationName {
		case "AssumeRole", "AssumeRoleWithWebIdentity":
			return usageError("the profile's credentials come from sts:%s, which failed: %v (check its source credentials, the role_arn and that it trusts them, and that STS is reachable)", oe.OperationName, err)
		case "GetRoleCredentials", "CreateToken":
			return usageError("the profile's SSO credentials could not be had (%s failed): %v (run aws sso login)", oe.OperationName, err)
		}
	}
	return usageError("no AWS credentials found: %v (use --profile or AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or aws sso login)", err)
}

// callCount adds up calls from concurrent sweeps.
type callCount struct {
	mu sync.Mutex
	n  int
}

func (c *callCount) add(n int) { c.mu.Lock(); c.n += n; c.mu.Unlock() }

func (c *callCount) total() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

// costDays are the days of ingestion scan --cost reads (0: not read).
func (o *scanOptions) costDays() int {
	if o.cost {
		return 7
	}
	return 0
}
