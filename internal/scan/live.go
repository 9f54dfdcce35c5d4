package scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/trailwatch/trailwatch/internal/apicalls"
	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/org"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

// LiveOptions describe a scan of live accounts: the caller's own account, or (Org) its organization. scan, watch's
// sweeps and the fix commands' scans all run one.
type LiveOptions struct {
	Options
	// Org scans the organization the caller manages (OrgOptions' fields below); otherwise the caller's account.
	Org        bool
	RoleName   string
	ExternalID string
	Filter     org.Filter
	// Members is a run's saved account list (RunMembers); nil lists the organization now.
	Members []org.Member
	// Recorder counts, logs and paces API calls (required).
	Recorder *apicalls.Recorder
	Pacing   bool
	Progress func(done, total, failed int)
	// Partial keeps the finished accounts of an interrupted scan (Result.Interrupted says so); without it an
	// interrupted scan is an *InterruptedError.
	Partial bool
}

// Result is a finished live scan, with what reaches each account afterwards (for fixes and re-reads).
type Result struct {
	Inv      *model.Inventory
	Findings []model.Finding
	// Base is the caller's configuration; CallerID its account and CallerARN who it is (sts:GetCallerIdentity, asked
	// once a run: the journal names it); Partition the scan's AWS partition.
	Base      aws.Config
	CallerID  string
	CallerARN string
	Partition string
	// Interrupted is set (with Partial only) when the context ended the scan: Inv and Findings then hold only the
	// accounts that finished, and Inv says it is incomplete.
	Interrupted *InterruptedError
}

// InterruptedError is a scan the context ended after Done of Total accounts; Unlisted: before the organization's
// listing ended, so it may have more than Total.
type InterruptedError struct {
	Done, Total int
	Unlisted    bool
}

func (e *InterruptedError) Error() string {
	if e.Unlisted {
		// Field trial: "after 108 of 120 accounts" in an organization of 300 (120 were listed when the signal came).
		return fmt.Sprintf("interrupted after %d of the %d accounts listed so far (the organization's listing was cut short too)", e.Done, e.Total)
	}
	return fmt.Sprintf("interrupted after %d of %d accounts", e.Done, e.Total)
}

// UnidentifiedError is a single-account scan that could not tell which account the credentials reach: nothing was
// scanned. Refused says whether the credentials were refused (the caller must fix them) rather than the call failing.
type UnidentifiedError struct {
	Err     *model.CallError
	Refused bool
}

func (e *UnidentifiedError) Error() string {
	if e.Refused {
		return RefusedCredentials(e.Err).Error()
	}
	return fmt.Sprintf("could not tell which account the credentials reach, so nothing was scanned: %s", e.Err.Error())
}

// Live runs the scan o describes with the caller's configuration cfg. Errors: *InterruptedError (the context ended),
// *TransientError (throttling or a service error before any account of an organization was scanned),
// *UnidentifiedError, or the organization could not be listed or selected.
func Live(ctx context.Context, cat *controls.Catalog, cfg aws.Config, o LiveOptions) (*Result, error) {
	res := &Result{Base: cfg}
	if o.Recorder == nil {
		o.Recorder = apicalls.NewRecorder(o.Collect.Logger)
	}
	var id Identity
	if o.Org {
		// Who the caller is, asked once for the whole run (counted with the scan's calls: field trial, "API calls (N)"
		// was one short of what AWS saw), before the organization is read.
		var err error
		id, err = Identify(ctx, cfg, func(so *sts.Options) { so.APIOptions = append(so.APIOptions, o.Recorder.Middleware("caller", nil)) })
		if err != nil {
			return nil, identifyError(ctx, err)
		}
		res.Inv, res.Findings, err = Org(ctx, cat, cfg, OrgOptions{Options: o.Options, RoleName: o.RoleName, ExternalID: o.ExternalID,
			Filter: o.Filter, Recorder: o.Recorder, Pacing: o.Pacing, Progress: o.Progress, Members: o.Members, Caller: &id})
		if err != nil && ctx.Err() != nil {
			return nil, &InterruptedError{}
		}
		if err != nil {
			return nil, err
		}
	} else {
		var pacer *apicalls.Pacer
		if o.Pacing {
			pacer = apicalls.NewPacer()
		}
		scfg := cfg.Copy()
		scfg.APIOptions = append(scfg.APIOptions, o.Recorder.Middleware("", pacer))
		// The collector identifies the caller while it lists the regions (one round trip for both), and says who it is.
		so := o.Options
		so.Collect.OnCaller = func(arn string) { id.ARN = arn }
		res.Inv, res.Findings = Run(ctx, cat, []Target{{Clients: collect.NewSDKClients(scfg)}}, so)
		if a := res.Inv.Accounts; len(a) == 1 && a[0].ID == "" && a[0].Error != nil && ctx.Err() == nil {
			ce := a[0].Error
			return nil, &UnidentifiedError{Err: ce, Refused: ce.Kind == model.ErrCredentialsRefused || ce.Kind == model.ErrAccessDenied}
		}
		if a := res.Inv.Accounts; len(a) == 1 {
			id.Account, id.Partition = a[0].ID, a[0].Partition
		}
	}
	res.CallerID, res.CallerARN = id.Account, id.ARN
	if ctx.Err() != nil {
		// Interrupted: what was cut short is no finding about AWS. Keep only the accounts that finished.
		total := len(res.Inv.Accounts)
		ie := &InterruptedError{Done: DropUnfinished(res.Inv), Total: total, Unlisted: res.Inv.Organization != nil && res.Inv.Organization.ListInterrupted}
		if !o.Partial {
			return nil, ie
		}
		res.Interrupted = ie
		res.Inv.Incomplete = append(res.Inv.Incomplete, ie.Error()+" (SIGINT or SIGTERM); the rest were not scanned")
		res.Findings = remediate.Judge(cat, res.Inv, o.Settings)
	}
	res.Partition = res.Inv.Partition
	if res.Partition == "" {
		res.Partition = id.Partition
	}
	return res, nil
}

// identifyError is what a failed sts:GetCallerIdentity means before an organization scan: the context ended, the
// credentials were refused, or (throttling, a service error) a transient error to run again after.
func identifyError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &InterruptedError{}
	}
	if ce := collect.Classify("sts:GetCallerIdentity", "", err); ce.Kind == model.ErrCredentialsRefused {
		return RefusedCredentials(ce)
	}
	return transient(fmt.Errorf("identify the caller (sts:GetCallerIdentity): %w", err))
}

// Identity is who a configuration's credentials are (sts:GetCallerIdentity).
type Identity struct {
	Account, ARN, Partition string
}

// Identify asks sts:GetCallerIdentity who cfg's credentials are; the error is the SDK's (collect.Classify reads it).
func Identify(ctx context.Context, cfg aws.Config, optFns ...func(*sts.Options)) (Identity, error) {
	id, err := sts.NewFromConfig(cfg, optFns...).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, err
	}
	return Identity{Account: aws.ToString(id.Account), ARN: aws.ToString(id.Arn), Partition: awsarn.Partition(aws.ToString(id.Arn))}, nil
}

// Caller resolves who cfg's credentials are, without scanning (applying a reviewed plan, watch's writes, the
// guardrails): the caller's account and partition, from sts:GetCallerIdentity. A failed call is *UnidentifiedError,
// Refused when the credentials were refused, as a single-account scan that cannot identify its caller says.
func Caller(ctx context.Context, cfg aws.Config) (*Result, error) {
	id, err := Identify(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &InterruptedError{}
		}
		ce := collect.Classify("sts:GetCallerIdentity", "", err)
		return nil, &UnidentifiedError{Err: ce, Refused: ce.Kind == model.ErrCredentialsRefused || ce.Kind == model.ErrAccessDenied}
	}
	return &Result{Base: cfg, CallerID: id.Account, CallerARN: id.ARN, Partition: id.Partition}, nil
}

// MemberConfig reaches account id from the scan's caller, assuming roleName there (the caller's own account needs no
// role).
func (r *Result) MemberConfig(id, roleName, externalID string) aws.Config {
	return MemberConfig(r.Base, r.Partition, r.CallerID, id, roleName, externalID)
}

// Identity names who writes in account id, for a journal: "" for the caller itself in its own account, else the
// session of the role assumed there, as CloudTrail records the calls (field trial: the journal named the role, where
// CloudTrail and watch's causes name the session).
func (r *Result) Identity(id, roleName string) string {
	if id == r.CallerID {
		return ""
	}
	return awsarn.AssumedRole(r.Partition, id, roleName, SessionName)
}

// RereadOptions tune the re-read of one account after a change (watch).
type RereadOptions struct {
	RoleName, ExternalID string
	Concurrency          int
	Logger               *slog.Logger
	Monitoring           bool
	Discovery            string
	// Listing is what re-reads learn of ListTrails (--discovery auto), kept for the next.
	Listing *collect.ListingEvidence
	// Recorder counts the re-read's calls (nil: not counted).
	Recorder *apicalls.Recorder
	// Catalog and Settings (at the time of the re-read), when set, read the account's repairs as a scan does
	// (readRepairs), so that a trail integrated or a role repaired is PENDING in watch as in a scan.
	Catalog  *controls.Catalog
	Settings func() controls.Settings
}

// Reread collects account acct again in regions, reached as the scan reached it: an organization trail judged in its
// owner's account, when that account is in the scan, is not re-read from a member.
func (r *Result) Reread(ctx context.Context, acct string, regions []string, o RereadOptions) *model.Account {
	cfg := r.MemberConfig(acct, o.RoleName, o.ExternalID)
	if o.Recorder != nil {
		cfg.APIOptions = append(append([]func(*middleware.Stack) error(nil), cfg.APIOptions...), o.Recorder.Middleware(acct, nil))
	}
	orgID := ""
	scanned := map[string]bool{}
	if r.Inv != nil { // a Caller result has no inventory
		if r.Inv.Organization != nil {
			orgID = r.Inv.Organization.ID
		}
		for _, a := range r.Inv.Accounts {
			scanned[a.ID] = true
		}
	}
	judgedElsewhere := func(trailARN string) bool {
		a, err := arn.Parse(trailARN)
		return err == nil && a.AccountID != acct && scanned[a.AccountID]
	}
	clients := collect.NewSDKClients(cfg)
	a := collect.Account(ctx, clients, collect.Options{Regions: regions, HomeRegion: cfg.Region,
		Concurrency: o.Concurrency, Logger: o.Logger, AccountID: acct, Partition: r.Partition, OrgID: orgID,
		Monitoring: o.Monitoring, JudgedElsewhere: judgedElsewhere, Discovery: o.Discovery, Listing: o.Listing})
	if o.Catalog != nil && o.Settings != nil {
		readRepairs(ctx, o.Catalog, clients, a, o.Settings())
	}
	return a
}

// RunAccounts keeps a run's account list (the store).
type RunAccounts interface {
	RunAccounts(ctx context.Context, run string) ([]byte, bool, error)
	SaveRunAccounts(ctx context.Context, run string, accounts []byte) ([]byte, error)
}

// RunMembers returns a run's account list: the one saved, or, for the first shard, the organization's accounts listed
// now and saved (the first saved list wins, so concurrent shards agree).
func RunMembers(ctx context.Context, st RunAccounts, run string, cfg aws.Config) ([]org.Member, error) {
	data, ok, err := st.RunAccounts(ctx, run)
	if err != nil {
		return nil, err
	}
	if !ok {
		found, _, err := org.Discover(ctx, organizations.NewFromConfig(cfg))
		if err != nil {
			return nil, fmt.Errorf("--run %s: list the organization's accounts: %w", run, err)
		}
		listed, _ := json.Marshal(found.Members)
		if data, err = st.SaveRunAccounts(ctx, run, listed); err != nil {
			return nil, err
		}
	}
	var members []org.Member
	if err := json.Unmarshal(data, &members); err != nil {
		return nil, fmt.Errorf("--run %s: the stored account list: %w", run, err)
	}
	return members, nil
}

// IsInterrupted reports whether err is a scan the context ended.
func IsInterrupted(err error) bool {
	var ie *InterruptedError
	return errors.As(err, &ie)
}
