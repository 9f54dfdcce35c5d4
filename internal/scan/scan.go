// Package scan orchestrates a scan: it collects each target account with bounded concurrency, assembles one
// inventory, and judges it with the controls. A failure in one account never stops the others.
package scan

import (
	"context"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
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
}

// Run collects every target and evaluates the inventory at o.Settings.Now.
func Run(ctx context.Context, cat *controls.Catalog, targets []Target, o Options) (*model.Inventory, []model.Finding) {
	if o.AccountConcurrency <= 0 {
		o.AccountConcurrency = 4
	}
	accounts := make([]*model.Account, len(targets))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.AccountConcurrency)
	for i, t := range targets {
		g.Go(func() error {
			a := collect.Account(gctx, t.Clients, o.Collect)
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
			return nil
		})
	}
	_ = g.Wait()
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
	return inv, controls.Evaluate(cat, inv, o.Settings)
}
