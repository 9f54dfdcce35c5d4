package scan

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/observabilityadmin"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailwatch/trailwatch/internal/apicalls"
	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/fanout"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/org"
	"github.com/trailwatch/trailwatch/internal/remediate"
	"github.com/trailwatch/trailwatch/internal/suggest"
)

// OrgOptions tune an organization-wide scan.
type OrgOptions struct {
	Options
	// RoleName is assumed in every member account (default OrganizationAccountAccessRole); ExternalID is passed if set.
	RoleName   string
	ExternalID string
	Filter     org.Filter
	// Recorder counts, logs and paces API calls (required).
	Recorder *apicalls.Recorder
	// Pacing keeps each account's calls per region below AWS's published rates.
	Pacing bool
	// Progress is told after each account: accounts done, total, accounts with errors so far.
	Progress func(done, total, failed int)
	// Members, when not nil, is the run's account list (read once for all the shards of a run): it replaces
	// ListAccounts, so that every shard partitions the same list.
	Members []org.Member
	// Caller is who the base configuration's credentials are, when the run has asked already (nil: Org asks).
	Caller *Identity
}

// Org scans the accounts of the organization the base configuration's caller can list (the management account or a
// delegated administrator). It assumes RoleName in each member and streams: accounts start as their ListAccounts page
// arrives. The management account starts first; members do not read the organization trails it judges (they wait for
// its verdict only at that step). An account that cannot be assumed or read becomes one ERROR finding; suspended and
// closed accounts are listed as skipped. The returned error is for the organization as a whole (it cannot be listed).
func Org(ctx context.Context, cat *controls.Catalog, base aws.Config, o OrgOptions) (*model.Inventory, []model.Finding, error) {
	if o.RoleName == "" {
		o.RoleName = "OrganizationAccountAccessRole"
	}
	if o.AccountConcurrency <= 0 {
		o.AccountConcurrency = 128
	}
	if o.Collect.Logger == nil {
		o.Collect.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Recorder == nil {
		o.Recorder = apicalls.NewRecorder(nil)
	}
	if o.Collect.Discovery == collect.DiscoveryAuto && o.Collect.Listing == nil {
		o.Collect.Listing = collect.NewListingEvidence() // one run: its accounts share what they learn of ListTrails
	}
	caller := base.Copy()
	caller.APIOptions = append(caller.APIOptions, o.Recorder.Middleware("caller", nil))
	if o.Caller == nil {
		id, err := Identify(ctx, caller)
		if err != nil {
			return nil, nil, identifyError(ctx, err)
		}
		o.Caller = &id
	}
	callerID, partition := o.Caller.Account, o.Caller.Partition
	orgAPI := organizations.NewFromConfig(caller)
	found, err := org.Describe(ctx, orgAPI)
	if err != nil {
		return nil, nil, transient(fmt.Errorf("read the organization from account %s (run from the management account or a delegated administrator): %w", callerID, err))
	}

	// The OU tree: needed before selection when --ous narrows the scan, else read alongside.
	var ous map[string]org.OUPath
	var ouErr error
	ousDone := make(chan struct{})
	// The walk ends with Org: an early return (the listing failed, the selection matches nothing) stops it and waits,
	// so that it neither outlives the call nor warns about a walk nobody needs any more.
	ouCtx, stopOUs := context.WithCancel(ctx)
	defer func() { stopOUs(); <-ousDone }()
	// Named accounts (--accounts, without --ous or --shard) are read one by one, never by listing the organization
	// (issue 22: a scan of one account of a large organization paged through all of them first); their OUs are not
	// read either (the OU walk pages through the whole tree).
	named := len(o.Filter.Accounts) > 0 && len(o.Filter.OUs) == 0 && o.Filter.ShardCount == 0 && o.Members == nil
	if named {
		ous = map[string]org.OUPath{}
		close(ousDone)
	} else if o.Members != nil {
		// A run's saved list was placed in the OU tree when it was listed (org.Discover): a shard does not walk the
		// tree again (at 10,000 accounts that is 500 sequential ListAccountsForParent pages, 15 s per shard).
		ous = make(map[string]org.OUPath, len(o.Members))
		for _, m := range o.Members {
			ous[m.ID] = org.OUPath{Path: m.OU, IDs: m.OUIDs}
		}
		close(ousDone)
	} else {
		go func() {
			defer close(ousDone)
			if ous, ouErr = org.OUs(ouCtx, orgAPI); ouErr != nil && ouCtx.Err() == nil {
				o.Collect.Logger.Warn("organizational units not read; findings carry no OU", "error", ouErr.Error())
			}
		}()
	}
	if len(o.Filter.OUs) > 0 {
		<-ousDone
		if ouErr != nil {
			return nil, nil, fmt.Errorf("--ous: the organization's OUs could not be read: %w", ouErr)
		}
		if err := checkOUs(o.Filter.OUs, ous); err != nil {
			return nil, nil, err
		}
	}

	s := &orgScan{o: o, cat: cat, ctx: ctx, base: base, callerID: callerID, partition: partition, found: found,
		caller: caller, judged: map[string]bool{}, mgmtDone: make(chan struct{}),
		sem: fanout.NewLimit(o.AccountConcurrency), telemetryDone: make(chan struct{})}
	// The organization's telemetry rules (capture without a trail, issue 26): read once, by the caller (the management
	// account or a delegated administrator, the only ones AWS lets read them), beside the accounts; each member's
	// collector waits for it only when it comes to its telemetry.
	go func() {
		defer close(s.telemetryDone)
		home := o.Collect.HomeRegion
		if home == "" {
			home = "us-east-1"
		}
		s.telemetry = collect.ReadOrgTelemetry(ctx, observabilityadmin.NewFromConfig(caller, func(oo *observabilityadmin.Options) { oo.Region = home }), home)
	}()
	defer func() { <-s.telemetryDone }() // an early return does not leave the read behind
	inv := &model.Inventory{Partition: partition}
	var members []org.Member
	var accounts []*model.Account
	var mu sync.Mutex
	var wg sync.WaitGroup
	tags := map[string]map[string]string{}
	tagErrs := map[string]*model.CallError{}
	tagSem := fanout.NewLimit(32)
	start := func(m org.Member) {
		if len(o.Filter.OUs) > 0 {
			m.Place(ous)
		}
		ok, reason := o.Filter.Decide(m)
		if !ok {
			if reason != "" {
				mu.Lock()
				inv.SkippedAccounts = append(inv.SkippedAccounts, model.SkippedAccount{ID: m.ID, Name: m.Name, Reason: reason})
				mu.Unlock()
			}
			return
		}
		// A member's goroutines start when a slot is free, not when it is listed: otherwise a 10,000-account scan
		// parks thousands of goroutines, each with its stack, on the semaphore (its peak RSS went from 315 to 299 MB).
		// The listing waits instead, at most one page ahead of the scan.
		mgmt := m.ID == found.ManagementAccount
		s.total.Add(1) // listed: the progress total counts it while it waits for a slot
		if !mgmt {
			s.sem.Acquire()
		}
		tagSem.Acquire()
		mu.Lock()
		members = append(members, m)
		slot := len(accounts)
		accounts = append(accounts, nil)
		mu.Unlock()
		wg.Go(func() {
			if !mgmt {
				defer s.sem.Release()
			}
			a := s.account(m)
			mu.Lock()
			accounts[slot] = a
			mu.Unlock()
		})
		// Tags come from the organization; read them while the accounts are scanned. Each account's read has its own
		// client, so its own adaptive retry limiter: throttling of one read does not slow every other account's.
		wg.Go(func() {
			defer tagSem.Release()
			t, err := org.AccountTags(ctx, organizations.NewFromConfig(caller), m.ID)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && ctx.Err() != nil {
				return // interrupted: said once, by the command, not as a warning per account
			}
			if err != nil {
				o.Collect.Logger.Warn("account tags not read", "account_id", m.ID, "error", err.Error())
				tagErrs[m.ID] = collect.Classify("organizations:ListTagsForResource", "", err)
				return
			}
			tags[m.ID] = t
		})
	}
	// The management account first: it is ACTIVE by definition, and its organization trails are judged there.
	mgmt := org.Member{ID: found.ManagementAccount, State: "ACTIVE"}
	if len(o.Filter.OUs) > 0 {
		mgmt.Place(ous)
	}
	mgmtScanned := false
	if ok, _ := o.Filter.Decide(mgmt); ok {
		mgmtScanned = true
		start(mgmt)
	} else {
		close(s.mgmtDone)
		if o.Filter.ShardCount > 0 {
			// Another shard scans the management account and judges its organization trails; `merge` joins them.
			s.judgedByShard = true
		}
	}
	listed := 0
	listedIDs := map[string]bool{}
	list := func(ctx context.Context, api org.API, fn func(org.Member)) error {
		if named {
			_, err := org.DescribeAccounts(ctx, api, o.Filter.Accounts, fn) // the unknown ones are reported below
			return err
		}
		if o.Members == nil {
			return org.ListAccounts(ctx, api, fn)
		}
		for _, m := range o.Members {
			fn(m)
		}
		return nil
	}
	listErr := list(ctx, orgAPI, func(m org.Member) {
		mu.Lock()
		listed++
		listedIDs[m.ID] = true
		mu.Unlock()
		if m.ID == found.ManagementAccount && mgmtScanned {
			mu.Lock()
			members[0].Name, members[0].Email = m.Name, m.Email
			mu.Unlock()
			return
		}
		start(m)
	})
	wg.Wait()
	if listErr != nil && len(members) <= 1 {
		return nil, nil, transient(fmt.Errorf("list the organization's accounts from account %s (run from the management account or a delegated administrator): %w", callerID, listErr))
	}
	if listErr == nil && len(o.Filter.Accounts) > 0 {
		var unknown []string
		for _, id := range o.Filter.Accounts {
			if !listedIDs[id] {
				unknown = append(unknown, id)
			}
		}
		if len(unknown) == len(o.Filter.Accounts) {
			return nil, nil, fmt.Errorf("--accounts %s: no such account in organization %s", strings.Join(unknown, ","), found.ID)
		}
		if len(unknown) > 0 {
			inv.Incomplete = append(inv.Incomplete, fmt.Sprintf("--accounts named %s, which organization %s does not have: not scanned", strings.Join(unknown, ", "), found.ID))
		}
	}
	if listErr == nil && len(members) == 0 && o.Filter.ShardCount == 0 && (len(o.Filter.Accounts) > 0 || len(o.Filter.OUs) > 0) {
		return nil, nil, fmt.Errorf("the account selection (--accounts, --exclude-accounts, --ous) matches no ACTIVE account of organization %s", found.ID)
	}
	inv.Organization = &model.Organization{ID: found.ID, ManagementAccount: found.ManagementAccount, Listed: listed,
		ListInterrupted: listErr != nil && ctx.Err() != nil}
	if listErr != nil && ctx.Err() == nil {
		// The accounts after the break were neither listed nor scanned: an ERROR on the organization and an incomplete
		// scan, so that nobody reads their absence as "nothing failing there" (a diff would call their FAILs resolved).
		ce := collect.Classify("organizations:ListAccounts", "", listErr)
		inv.Organization.ListError = ce
		inv.Incomplete = append(inv.Incomplete, fmt.Sprintf("the organization's account listing broke off after %d accounts (%s: %s); accounts after them were not scanned", listed, ce.Code, ce.Message))
		o.Collect.Logger.Error("the account listing broke off; the accounts listed so far were scanned", "listed", listed, "error", listErr.Error())
	}
	<-ousDone
	for i, m := range members {
		m.Place(ous)
		a := accounts[i]
		a.ID, a.Name, a.OU, a.Tags, a.TagsErr = m.ID, m.Name, m.OU, tags[m.ID], tagErrs[m.ID]
		a.OUUnknown = named // the OU tree was not walked
		if a.Partition == "" {
			a.Partition = partition
		}
		if a.OrgID == "" {
			a.OrgID = found.ID
		}
	}
	sort.SliceStable(accounts, func(i, j int) bool { return accounts[i].ID < accounts[j].ID })
	sort.Slice(inv.SkippedAccounts, func(i, j int) bool { return inv.SkippedAccounts[i].ID < inv.SkippedAccounts[j].ID })
	inv.Accounts = accounts
	now := o.Settings.Now
	if now.IsZero() {
		now = time.Now().UTC()
		o.Settings.Now = now
	}
	inv.CollectedAt = now
	noteListTrails(inv, o.Collect.Listing.Scope(partition))
	return inv, remediate.Judge(cat, inv, o.Settings), nil
}

// checkOUs fails when an --ous entry names no organizational unit that holds accounts (by id or by path), or when the
// OU tree could not be read at all: a typo would otherwise select nothing, silently.
func checkOUs(want []string, ous map[string]org.OUPath) error {
	known := map[string]bool{}
	var names []string
	for _, p := range ous {
		for _, id := range p.IDs {
			known[id] = true
		}
		parts := strings.Split(p.Path, "/")
		for i := range parts {
			path := strings.Join(parts[:i+1], "/")
			if path != "" && !known[path] {
				known[path] = true
				names = append(names, path)
			}
		}
	}
	sort.Strings(names)
	for _, w := range want {
		if !known[w] {
			return fmt.Errorf("--ous %q: no organizational unit with that id or path holds accounts%s (paths are names from the root, such as Workloads/Prod)", w, suggest.DidYouMean(w, names))
		}
	}
	return nil
}

// orgScan is the state of one organization scan.
type orgScan struct {
	o                   OrgOptions
	cat                 *controls.Catalog
	ctx                 context.Context
	base                aws.Config
	callerID, partition string
	found               *org.Organization
	caller              aws.Config    // the caller's configuration, for per-account STS clients
	sem                 *fanout.Limit // accounts scanned at once (the management account takes none)
	done, failed, total atomic.Int64

	mgmtDone      chan struct{}
	telemetryDone chan struct{}
	telemetry     *collect.OrgTelemetry // read after telemetryDone
	judged        map[string]bool       // organization trails the management account judged; read after mgmtDone
	judgedByShard bool
}

// judgedElsewhere tells a member whether to skip reading a trail owned by another account: yes when the management
// account judged it (waiting for that account if it is still being read), or when another shard judges it.
func (s *orgScan) judgedElsewhere(arn string) bool {
	if s.judgedByShard {
		return strings.Contains(arn, ":"+s.found.ManagementAccount+":trail/")
	}
	<-s.mgmtDone
	return s.judged[arn]
}

func (s *orgScan) config(m org.Member) aws.Config {
	cfg := s.base.Copy()
	var pacer *apicalls.Pacer
	if s.o.Pacing {
		pacer = apicalls.NewPacer()
	}
	cfg.APIOptions = append(cfg.APIOptions, s.o.Recorder.Middleware(m.ID, pacer))
	if m.ID != s.callerID {
		roleARN := awsarn.Role(s.partition, m.ID, s.o.RoleName)
		// One STS client per account: a retryer's state is per client, and a shared one (with the adaptive retryer
		// this used until 2026-11-30) throttled itself under 20% throttling until accounts started at 2-4 a second
		// (issue 11).
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(s.caller), roleARN, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = SessionName
			if s.o.ExternalID != "" {
				ao.ExternalID = aws.String(s.o.ExternalID)
			}
		}))
	}
	return cfg
}

// account scans one account (its caller holds a slot of the account concurrency limit).
func (s *orgScan) account(m org.Member) *model.Account {
	isMgmt := m.ID == s.found.ManagementAccount
	defer func() {
		n := s.done.Add(1)
		if s.o.Progress != nil {
			s.o.Progress(int(n), int(s.total.Load()), int(s.failed.Load()))
		}
	}()
	a := s.collect(m)
	if isMgmt {
		for _, t := range a.Trails {
			if t.Organization && !t.OwnedElsewhere && t.StatusErr == nil {
				s.judged[t.ARN] = true
			}
		}
		close(s.mgmtDone)
	}
	if a.Error != nil {
		s.failed.Add(1)
	}
	return a
}

func (s *orgScan) collect(m org.Member) *model.Account {
	return s.o.collectAccount(s.ctx, func(ctx context.Context) *model.Account { return s.read(ctx, m) })
}

// read assumes the member's role and collects the account, within ctx (the account's time).
func (s *orgScan) read(ctx context.Context, m org.Member) *model.Account {
	cfg := s.config(m)
	if m.ID != s.callerID {
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			ce := collect.Classify("sts:AssumeRole", "", err)
			ce.Message = fmt.Sprintf("cannot assume %s: %s", awsarn.Role(s.partition, m.ID, s.o.RoleName), ce.Message)
			return &model.Account{ID: m.ID, Partition: s.partition, Error: ce, RegionErrors: map[string]*model.CallError{}}
		}
	}
	co := s.o.Collect
	co.AccountID, co.Partition, co.OrgID = m.ID, s.partition, s.found.ID
	if m.ID != s.found.ManagementAccount {
		co.JudgedElsewhere = s.judgedElsewhere
	}
	co.OrgTelemetry = func() *collect.OrgTelemetry { <-s.telemetryDone; return s.telemetry }
	clients := collect.NewSDKClients(cfg)
	a := collect.Account(ctx, clients, co)
	s.o.afterCollect(ctx, s.cat, clients, a)
	return a
}

// RefusedCredentials says that AWS refused the caller's credentials (an unknown or revoked key, a wrong secret, an
// expired session), and what to check for the error AWS gave (field trial: an unknown access key id was told to check
// its secret key).
func RefusedCredentials(ce *model.CallError) error {
	check := "check the access key id and secret key, whether the session has expired, or --profile"
	switch ce.Code {
	case "InvalidClientTokenId", "UnrecognizedClientException":
		// "The security token included in the request is invalid": AWS does not know the access key id (deleted,
		// mistyped, or of another partition) or the session token does not belong to it.
		check = "AWS does not know this access key id (deleted, deactivated, mistyped, or of another partition), or the session token is not its own: check the key id and AWS_SESSION_TOKEN, or --profile"
	case "SignatureDoesNotMatch", "InvalidSignatureException":
		check = "the secret key does not match the access key id: check the secret key, or --profile"
	case "ExpiredToken", "ExpiredTokenException":
		check = "the session has expired: renew it (aws sso login, or assume the role again), or use --profile"
	}
	return fmt.Errorf("the credentials were refused (%s: %s: %s): %s", ce.API, ce.Code, ce.Message, check)
}

// Merge joins the inventories of shards into one: each account once (a successful collection wins over a failed
// one), skipped accounts that no shard scanned. Judging the result equals judging one scan of all the accounts.
func Merge(invs []*model.Inventory) *model.Inventory {
	out := &model.Inventory{}
	byID := map[string]*model.Account{}
	skipped := map[string]model.SkippedAccount{}
	for _, inv := range invs {
		if out.Partition == "" {
			out.Partition = inv.Partition
		}
		// What any shard missed, the union missed too.
		out.Incomplete = append(out.Incomplete, inv.Incomplete...)
		if o := inv.Organization; o != nil && (out.Organization == nil || o.ListError != nil) {
			out.Organization = o
		}
		if inv.CollectedAt.After(out.CollectedAt) {
			out.CollectedAt = inv.CollectedAt
		}
		merged := mergeListTrails(out.ListTrails, inv.ListTrails)
		if merged != nil && merged.Conflict != "" && merged != inv.ListTrails && merged != out.ListTrails {
			// The shards disagree (each shard's own conflict is in its Incomplete already).
			out.Incomplete = append(out.Incomplete, listTrailsIncomplete(merged))
		}
		out.ListTrails = merged
		for _, a := range inv.Accounts {
			if prev := byID[a.ID]; prev == nil || (prev.Error != nil && a.Error == nil) {
				byID[a.ID] = a
			}
		}
		for _, s := range inv.SkippedAccounts {
			skipped[s.ID] = s
		}
	}
	for _, a := range byID {
		out.Accounts = append(out.Accounts, a)
		delete(skipped, a.ID)
	}
	sort.Slice(out.Accounts, func(i, j int) bool { return out.Accounts[i].ID < out.Accounts[j].ID })
	for _, s := range skipped {
		out.SkippedAccounts = append(out.SkippedAccounts, s)
	}
	sort.Slice(out.SkippedAccounts, func(i, j int) bool { return out.SkippedAccounts[i].ID < out.SkippedAccounts[j].ID })
	return out
}

// RoleConfig is base with roleARN assumed (an AWS Config rule's executionRoleArn).
func RoleConfig(base aws.Config, roleARN, externalID string) aws.Config {
	cfg := base.Copy()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), roleARN, func(ao *stscreds.AssumeRoleOptions) {
		ao.RoleSessionName = "trailwatch"
		if externalID != "" {
			ao.ExternalID = aws.String(externalID)
		}
	}))
	return cfg
}

// SessionName names the sessions trailwatch assumes roles under (what CloudTrail records as the caller in members).
const SessionName = "trailwatch"

// MemberConfig is the configuration that reaches account id from the caller's base configuration: the base itself for
// the caller's own account, else roleName assumed there (with externalID when set), in partition.
func MemberConfig(base aws.Config, partition, callerID, id, roleName, externalID string) aws.Config {
	cfg := base.Copy()
	if id == callerID {
		return cfg
	}
	roleARN := awsarn.Role(partition, id, roleName)
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), roleARN, func(ao *stscreds.AssumeRoleOptions) {
		ao.RoleSessionName = "trailwatch"
		if externalID != "" {
			ao.ExternalID = aws.String(externalID)
		}
	}))
	return cfg
}

// noteListTrails records what the run learnt of ListTrails; evidence that conflicts makes the scan incomplete, since
// accounts read with ListTrails before it was seen to miss a trail may lack trails (a diff must not call their
// absent findings resolved).
func noteListTrails(inv *model.Inventory, s *model.ListTrailsScope) {
	inv.ListTrails = s
	if s != nil && s.Conflict != "" {
		inv.Incomplete = append(inv.Incomplete, listTrailsIncomplete(s))
	}
}

func listTrailsIncomplete(s *model.ListTrailsScope) string {
	return fmt.Sprintf("ListTrails left out %s in account %s after accounts had been read with it: %s", s.TrailARN, s.Account, s.Conflict)
}

// mergeListTrails joins two shards' evidence of ListTrails' scope: evidence that it misses trails wins, and when one
// shard read accounts with ListTrails that another shard saw miss a trail, the conflict is kept.
func mergeListTrails(a, b *model.ListTrailsScope) *model.ListTrailsScope {
	switch {
	case a == nil:
		return b
	case b == nil, a.Conflict != "":
		return a
	case b.Conflict != "":
		return b
	case a.AccountWide == b.AccountWide:
		return a
	}
	wide, missed := a, b
	if b.AccountWide {
		wide, missed = b, a
	}
	c := *missed
	c.Conflict = fmt.Sprintf("another shard, in account %s, saw ListTrails called in %s return %s, a single-region trail of another region, and read its later accounts with ListTrails: they may lack trails; scan again with --discovery sweep", wide.Account, wide.CalledIn, wide.TrailARN)
	return &c
}

// TransientError is an error before the first account that AWS may not repeat: throttling past the retries, a
// service error, a timeout (the SDK's own retry classifiers say so). Nothing was judged and nothing is misconfigured:
// the run is incomplete, and running it again may well work.
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// transient marks err as a TransientError when the SDK's retry classifiers call it retryable or throttling.
func transient(err error) error {
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary ||
		retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary {
		return &TransientError{Err: err}
	}
	return err
}
