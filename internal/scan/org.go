package scan

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailwatch/trailwatch/internal/apicalls"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/org"
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
}

// Org scans the accounts of the organization the base configuration's caller can list (the management account or a
// delegated administrator): it assumes RoleName in each member, scans the management account first so that its
// organization trails are judged once there, then the members concurrently. An account that cannot be assumed or read
// becomes one ERROR finding; suspended and closed accounts are listed as skipped. The error is for the organization
// as a whole (it cannot be listed).
func Org(ctx context.Context, cat *controls.Catalog, base aws.Config, o OrgOptions) (*model.Inventory, []model.Finding, error) {
	if o.RoleName == "" {
		o.RoleName = "OrganizationAccountAccessRole"
	}
	if o.AccountConcurrency <= 0 {
		o.AccountConcurrency = 32
	}
	caller := base.Copy()
	caller.APIOptions = append(caller.APIOptions, o.Recorder.Middleware("caller", nil))
	id, err := sts.NewFromConfig(caller).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, nil, fmt.Errorf("identify the caller (sts:GetCallerIdentity): %w", err)
	}
	callerID := aws.ToString(id.Account)
	partition := strings.SplitN(aws.ToString(id.Arn), ":", 3)[1]
	orgAPI := organizations.NewFromConfig(caller)
	found, ouErr, err := org.Discover(ctx, orgAPI)
	if err != nil {
		return nil, nil, fmt.Errorf("list the organization's accounts from account %s (run from the management account or a delegated administrator): %w", callerID, err)
	}
	if ouErr != nil {
		o.Collect.Logger.Warn("organizational units not read; findings carry no OU and --ous matches nothing", "error", ouErr.Error())
	}
	members, skipped := org.Select(found.Members, o.Filter)
	inv := &model.Inventory{Partition: partition}
	for _, s := range skipped {
		inv.SkippedAccounts = append(inv.SkippedAccounts, model.SkippedAccount{ID: s.Member.ID, Name: s.Member.Name, Reason: s.Reason})
	}

	// Tags come from the organization; read them while the accounts are scanned.
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	var tags map[string]map[string]string
	tagsDone := make(chan struct{})
	go func() {
		defer close(tagsDone)
		var errs map[string]error
		tags, errs = org.Tags(ctx, orgAPI, ids, 8)
		for id, err := range errs {
			o.Collect.Logger.Warn("account tags not read", "account_id", id, "error", err.Error())
		}
	}()

	stsCaller := sts.NewFromConfig(caller)
	configFor := func(m org.Member) aws.Config {
		cfg := base.Copy()
		var pacer *apicalls.Pacer
		if o.Pacing {
			pacer = apicalls.NewPacer()
		}
		cfg.APIOptions = append(cfg.APIOptions, o.Recorder.Middleware(m.ID, pacer))
		if m.ID != callerID {
			roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, m.ID, o.RoleName)
			cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsCaller, roleARN, func(ao *stscreds.AssumeRoleOptions) {
				ao.RoleSessionName = "trailwatch"
				if o.ExternalID != "" {
					ao.ExternalID = aws.String(o.ExternalID)
				}
			}))
		}
		return cfg
	}
	var done, failed atomic.Int64
	scanOne := func(m org.Member, judged func(string) bool) *model.Account {
		defer func() {
			n := done.Add(1)
			if o.Progress != nil {
				o.Progress(int(n), len(members), int(failed.Load()))
			}
		}()
		cfg := configFor(m)
		if m.ID != callerID {
			if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
				failed.Add(1)
				ce := collect.Classify("sts:AssumeRole", "", err)
				ce.Message = fmt.Sprintf("cannot assume arn:%s:iam::%s:role/%s: %s", partition, m.ID, o.RoleName, ce.Message)
				return &model.Account{ID: m.ID, Partition: partition, Error: ce, RegionErrors: map[string]*model.CallError{}}
			}
		}
		co := o.Collect
		co.AccountID, co.Partition, co.OrgID, co.JudgedElsewhere = m.ID, partition, found.ID, judged
		a := collect.Account(ctx, collect.NewSDKClients(cfg), co)
		if a.Error != nil {
			failed.Add(1)
		}
		return a
	}

	accounts := make([]*model.Account, len(members))
	// The management account first: its organization trails are judged there, and members skip reading them.
	judgedInMgmt := map[string]bool{}
	for i, m := range members {
		if m.ID != found.ManagementAccount {
			continue
		}
		accounts[i] = scanOne(m, nil)
		for _, t := range accounts[i].Trails {
			if t.Organization && !t.OwnedElsewhere && t.StatusErr == nil {
				judgedInMgmt[t.ARN] = true
			}
		}
	}
	mgmtInScan := len(judgedInMgmt) > 0
	judged := func(arn string) bool { return judgedInMgmt[arn] }
	if !mgmtInScan && o.Filter.ShardCount > 0 && !containsID(ids, found.ManagementAccount) {
		// Sharded: the management account is in another shard, which judges its organization trails; `merge` joins them.
		judged = func(arn string) bool { return strings.Contains(arn, ":"+found.ManagementAccount+":trail/") }
	}
	sem := make(chan struct{}, o.AccountConcurrency)
	var wg sync.WaitGroup
	for i, m := range members {
		if accounts[i] != nil {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			accounts[i] = scanOne(m, judged)
		})
	}
	wg.Wait()
	<-tagsDone
	for i, m := range members {
		a := accounts[i]
		a.ID, a.Name, a.OU, a.Tags = m.ID, m.Name, m.OU, tags[m.ID]
		if a.Partition == "" {
			a.Partition = partition
		}
		if a.OrgID == "" {
			a.OrgID = found.ID
		}
	}
	sort.SliceStable(accounts, func(i, j int) bool { return accounts[i].ID < accounts[j].ID })
	inv.Accounts = accounts
	now := o.Settings.Now
	if now.IsZero() {
		now = time.Now().UTC()
		o.Settings.Now = now
	}
	inv.CollectedAt = now
	return inv, controls.Evaluate(cat, inv, o.Settings), nil
}

func containsID(l []string, id string) bool {
	for _, v := range l {
		if v == id {
			return true
		}
	}
	return false
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
		if inv.CollectedAt.After(out.CollectedAt) {
			out.CollectedAt = inv.CollectedAt
		}
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
