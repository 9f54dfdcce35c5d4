// Package scan orchestrates a scan: it collects each target account with bounded concurrency, assembles one
// inventory, and judges it with the controls. A failure in one account never stops the others.
package scan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/fanout"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

// Target is one account to scan.
type Target struct {
	// Clients reach the account.
	Clients collect.Clients
	// Name and Tags label the account in findings when known (for example from Organizations).
	Name string
	Tags map[string]string
	OU   string
}

// Options tune a scan.
type Options struct {
	Collect            collect.Options
	Settings           controls.Settings
	AccountConcurrency int
	// AccountTimeout bounds the collection of one account (0: none): what is not read by then is an ERROR that says
	// it timed out, and the other accounts go on.
	AccountTimeout time.Duration
	// CostDays, when above 0, reads what each integrated log group ingested on each of that many days (scan --cost:
	// collect.ReadIncoming), for cost.Groups.
	CostDays int
}

// afterCollect reads, in an account just collected, what the judgement and the report need beyond the collection:
// the repairs' times (always) and the integrated groups' ingestion (--cost).
func (o Options) afterCollect(ctx context.Context, cat *controls.Catalog, c collect.Clients, a *model.Account) {
	readRepairs(ctx, cat, c, a, o.Settings)
	if o.CostDays > 0 && a.Error == nil {
		now := o.Settings.Now
		if now.IsZero() {
			now = time.Now()
		}
		collect.ReadIncoming(ctx, c, a, now, o.CostDays)
	}
}

// accountContext bounds one account's collection by o.AccountTimeout.
func (o Options) accountContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.AccountTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, o.AccountTimeout)
}

// collectAccount collects one account within o.AccountTimeout. An account in which nothing answered before the
// timeout (no trail read, every region's listing failed) is one account-level error naming --account-timeout, as an
// account that refuses every region is, rather than one "context deadline exceeded" per region.
func (o Options) collectAccount(ctx context.Context, read func(context.Context) *model.Account) *model.Account {
	actx, cancel := o.accountContext(ctx)
	defer cancel()
	a := read(actx)
	if errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil && a.Error == nil && len(a.Trails) == 0 &&
		len(a.RegionErrors) == len(a.Regions) {
		a.Error = &model.CallError{API: "the account's collection", Kind: model.ErrOther, Code: "TimedOut",
			Message: fmt.Sprintf("nothing in the account answered within --account-timeout %s, so nothing in it was judged", o.AccountTimeout)}
		a.RegionErrors = map[string]*model.CallError{}
	}
	return a
}

// Run collects every target and evaluates the inventory at o.Settings.Now.
func Run(ctx context.Context, cat *controls.Catalog, targets []Target, o Options) (*model.Inventory, []model.Finding) {
	if o.AccountConcurrency <= 0 {
		o.AccountConcurrency = 4
	}
	if o.Collect.Discovery == collect.DiscoveryAuto && o.Collect.Listing == nil {
		o.Collect.Listing = collect.NewListingEvidence()
	}
	accounts := make([]*model.Account, len(targets))
	fanout.Each(targets, o.AccountConcurrency, func(i int, t Target) {
		a := o.collectAccount(ctx, func(actx context.Context) *model.Account {
			a := collect.Account(actx, t.Clients, o.Collect)
			o.afterCollect(actx, cat, t.Clients, a)
			return a
		})
		if t.Name != "" {
			a.Name = t.Name
		}
		if t.Tags != nil {
			a.Tags = t.Tags
		}
		if t.OU != "" {
			a.OU = t.OU
		}
		accounts[i] = a
	})
	sort.SliceStable(accounts, func(i, j int) bool { return accounts[i].ID < accounts[j].ID })
	now := o.Settings.Now
	if now.IsZero() {
		now = time.Now().UTC()
		o.Settings.Now = now
	}
	inv := &model.Inventory{CollectedAt: now, Accounts: accounts, Partition: "aws"}
	for _, a := range accounts {
		if a.Partition != "" {
			inv.Partition = a.Partition
			break
		}
	}
	noteListTrails(inv, o.Collect.Listing.Scope(inv.Partition))
	return inv, remediate.Judge(cat, inv, o.Settings)
}

// DropUnfinished removes from an interrupted scan's inventory every account whose collection was cut short (any read
// that ended in cancellation), listing it as skipped instead, and returns how many accounts finished. What a
// cancellation cut short says nothing about AWS: it must become neither an ERROR nor a verdict.
func DropUnfinished(inv *model.Inventory) int {
	var kept []*model.Account
	for _, a := range inv.Accounts {
		if a == nil {
			continue
		}
		if !unfinished(a) {
			kept = append(kept, a)
			continue
		}
		inv.SkippedAccounts = append(inv.SkippedAccounts, model.SkippedAccount{ID: a.ID, Name: a.Name, Reason: "not finished: the scan was interrupted"})
	}
	inv.Accounts = kept
	sort.Slice(inv.SkippedAccounts, func(i, j int) bool { return inv.SkippedAccounts[i].ID < inv.SkippedAccounts[j].ID })
	return len(kept)
}

func unfinished(a *model.Account) bool {
	canceled := func(e *model.CallError) bool { return e != nil && e.Kind == model.ErrCanceled }
	if canceled(a.Error) {
		return true
	}
	for _, e := range a.RegionErrors {
		if canceled(e) {
			return true
		}
	}
	for _, t := range a.Trails {
		if canceled(t.StatusErr) || canceled(t.SelectorsErr) || canceled(t.LogGroupErr) || canceled(t.RoleErr) {
			return true
		}
	}
	return false
}
