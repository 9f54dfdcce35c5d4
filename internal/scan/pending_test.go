package scan

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

// TestPendingOnAnyLaterScan: a trail integrated minutes ago (here by applying the fix plan, as a person running the
// printed commands would) is PENDING in a plain later scan, which knows nothing of the fix: the integration time comes
// from AWS (the log group's creationTime). Once integrated for longer than --pending-window without a delivery, it is
// FAIL NEVER_DELIVERED (issue 10 §5).
func TestPendingOnAnyLaterScan(t *testing.T) {
	r := scanScenario(t, `
first_delivery_delay: 48h
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: main, home_region: us-east-1}
`, nil)
	if f := r.get(t, controls.IntegrationID, trailARN); f.Status != model.StatusFail {
		t.Fatalf("before the fix: %s", f.Status)
	}
	p := remediate.NewPlan(r.inv, r.findings, remediate.Options{Now: r.srv.Now()})
	res := remediate.Apply(context.Background(), remediate.NewSDKWriter(r.srv.SDKConfig(acct, "us-east-1")), p.Steps, remediate.NewJournal(nil, "t", nil),
		remediate.ApplyOptions{Sleep: func(context.Context, time.Duration) error { return nil }, Now: r.srv.Now})
	if res[0].Error != "" {
		t.Fatal(res[0].Error)
	}
	cat, _ := controls.Load()
	judge := func() model.Finding {
		inv := rescan(t, r)
		for _, f := range controls.Evaluate(cat, inv, controls.DefaultSettings(r.srv.Now())) { // no FixedAt: a plain scan
			if f.ResourceID == trailARN {
				return f
			}
		}
		t.Fatal("no finding for the trail")
		return model.Finding{}
	}
	r.srv.Advance(5 * time.Minute)
	if f := judge(); f.Status != model.StatusPending || !strings.Contains(f.Reasons[0].Message, "log group was created") {
		t.Errorf("5 minutes after the fix: %s %+v", f.Status, f.Reasons)
	}
	r.srv.Advance(2 * time.Hour)
	if f := judge(); f.Status != model.StatusFail || codes(f) != controls.NeverDelivered {
		t.Errorf("2 hours after the fix, never delivered: %s %s", f.Status, codes(f))
	}
}
