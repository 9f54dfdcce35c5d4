package remediate

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/model"
)

// TestWaitRecheck: after a fix, the fixed trails are judged again until none is PENDING or the wait is over; each wait
// says what is still pending and how long is left, and is never longer than what is left. Interrupted while waiting,
// the last judgement comes back with ErrWaitInterrupted (the fixes stay applied). On a fake clock: no test waits.
func TestWaitRecheck(t *testing.T) {
	const a, b = "arn:aws:cloudtrail:us-east-1:111111111111:trail/a", "arn:aws:cloudtrail:us-east-1:111111111111:trail/b"
	fixed := map[string]time.Time{a: time.Unix(0, 0).UTC(), b: time.Unix(0, 0).UTC()}
	finding := func(rid string, st model.Status) model.Finding {
		return model.Finding{ControlID: "cloudtrail-cloudwatch-logs-integration", ResourceType: model.TypeTrail, ResourceID: rid, Status: st}
	}
	// a delivers at the second scan, b at the third.
	scans := [][]model.Finding{
		{finding(a, model.StatusPending), finding(b, model.StatusPending)},
		{finding(a, model.StatusPass), finding(b, model.StatusPending)},
		{finding(a, model.StatusPass), finding(b, model.StatusPass)},
	}
	run := func(wait time.Duration, cancelAt int) (Recheck, error, int, []string, []time.Duration) {
		now := time.Unix(1000, 0)
		n := 0
		var progress []string
		var slept []time.Duration
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rc, err := WaitRecheck(ctx, func(context.Context) ([]model.Finding, error) {
			n++
			return scans[min(n, len(scans))-1], nil
		}, fixed, RecheckOptions{Wait: wait, Poll: 40 * time.Second, Now: func() time.Time { return now },
			Progress: func(w []string, left time.Duration) {
				progress = append(progress, slices.Concat(w, []string{left.String()})...)
			},
			Sleep: func(ctx context.Context, d time.Duration) error {
				if len(slept)+1 == cancelAt {
					cancel()
					return ctx.Err()
				}
				slept = append(slept, d)
				now = now.Add(d)
				return nil
			}})
		return rc, err, n, progress, slept
	}
	rc, err, n, progress, slept := run(5*time.Minute, 0)
	if err != nil || n != 3 || rc.Pending != 0 || len(rc.Items) != 2 || rc.Items[0].Status != model.StatusPass || rc.Items[1].Status != model.StatusPass {
		t.Errorf("waited 5m: %d scans, %+v, %v: want 3 scans, both PASS", n, rc, err)
	}
	if want := []string{a, b, "5m0s", b, "4m20s"}; !slices.Equal(progress, want) {
		t.Errorf("progress %q, want %q", progress, want)
	}
	// No wait: one scan, the PENDING reported as it is.
	if rc, err, n, _, _ = run(0, 0); err != nil || n != 1 || rc.Pending != 2 {
		t.Errorf("no wait: %d scans, %+v, %v", n, rc, err)
	}
	// A wait shorter than the poll: the one wait is what is left, then the last judgement.
	if rc, err, n, _, slept = run(30*time.Second, 0); err != nil || n != 2 || rc.Pending != 1 || !slices.Equal(slept, []time.Duration{30 * time.Second}) {
		t.Errorf("30s wait: %d scans, slept %v, %+v, %v", n, slept, rc, err)
	}
	// Interrupted during the first wait.
	if rc, err, n, _, _ = run(5*time.Minute, 1); !errors.Is(err, ErrWaitInterrupted) || n != 1 || rc.Pending != 2 {
		t.Errorf("interrupted: %d scans, %+v, %v", n, rc, err)
	}
}
