package watch_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/prove"
	"github.com/trailwatch/trailwatch/internal/scan"
	"github.com/trailwatch/trailwatch/internal/watch"
)

type simProveClients struct {
	cfg func(acct, region string) (*ec2.Client, *cloudwatchlogs.Client)
}

func (c simProveClients) EC2(acct, region string) (prove.EC2API, bool) {
	e, _ := c.cfg(acct, region)
	return e, true
}

func (c simProveClients) Logs(acct, region string) (prove.LogsAPI, bool) {
	_, l := c.cfg(acct, region)
	return l, true
}

// TestWatchProvesOnSchedule: with Prove and ProveEvery, the watcher proves capture after its baseline, in the
// background, and emits each region's capture-proof finding with the cause {"proof": true}; a later identical proof
// emits nothing, and the proofs are among the current findings (what --store records).
func TestWatchProvesOnSchedule(t *testing.T) {
	f := setup(t, 0)
	f.stop()
	cat, _ := controls.Load()
	clients := func(acct string) collect.Clients { return collect.NewSDKClients(f.srv.SDKConfig(acct, "us-east-1")) }
	sim := simProveClients{cfg: func(acct, region string) (*ec2.Client, *cloudwatchlogs.Client) {
		cfg := f.srv.SDKConfig(acct, region)
		return ec2.NewFromConfig(cfg), cloudwatchlogs.NewFromConfig(cfg)
	}}
	var proofs atomic.Int32
	out := &lines{}
	w := watch.New(cat, sqsClient(f.srv), func(ctx context.Context) (*model.Inventory, error) {
		inv, _ := scan.Run(ctx, cat, []scan.Target{{Clients: clients(hub)}, {Clients: clients(member)}}, scan.Options{Settings: controls.DefaultSettings(f.srv.Now())})
		return inv, nil
	}, func(ctx context.Context, acct string, regions []string) *model.Account {
		return collect.Account(ctx, clients(acct), collect.Options{Regions: regions, AccountID: acct, Partition: "aws", OrgID: "o-abcdefghij"})
	}, watch.Options{QueueURL: f.queue, WaitSeconds: 1, Out: out, Now: f.srv.Now, ProveEvery: 50 * time.Millisecond,
		Prove: func(ctx context.Context, inv *model.Inventory, findings []model.Finding) []model.Finding {
			proofs.Add(1)
			// The simulator delivers 5 minutes later: each pause moves its clock.
			return prove.Run(ctx, cat, inv, findings, sim, prove.Options{Now: f.srv.Now, Poll: time.Minute, Timeout: 20 * time.Minute,
				Sleep: func(ctx context.Context, d time.Duration) error { f.srv.Advance(d); return ctx.Err() }}).Findings
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	proofLines := func() (n int, proven int) {
		for _, c := range out.changes(t) {
			if c.Cause.Proof && c.Finding.ControlID == prove.ControlID {
				n++
				if c.Finding.Status == model.StatusPass {
					proven++
				}
			}
		}
		return
	}
	waitFor(t, "the first proof", func() bool { n, _ := proofLines(); return n > 0 })
	waitFor(t, "a second proof", func() bool { return proofs.Load() >= 3 })
	n, proven := proofLines()
	if n == 0 || proven != n {
		t.Errorf("%d proof lines, %d proven", n, proven)
	}
	inRegions := 0
	for _, fd := range w.Findings() {
		if fd.ControlID == prove.ControlID {
			inRegions++
		}
	}
	if inRegions != n {
		t.Errorf("%d capture-proof findings among the current ones, %d emitted once each", inRegions, n)
	}
}
