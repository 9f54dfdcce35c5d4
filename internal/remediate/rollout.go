package remediate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// AccountInfo labels an account for ordering.
type AccountInfo struct {
	ID, Name string
	Tags     map[string]string
}

// RolloutOptions tune a batched rollout.
type RolloutOptions struct {
	// BatchSize accounts per batch (default 10).
	BatchSize int
	// Order: "tag" (accounts with PriorityTag first, then by name) or "name".
	Order string
	// PriorityTag is key=value (default environment=production).
	PriorityTag string
	// MaxFailures unhealthy trails tolerated in a batch before the rollout stops (default 0).
	MaxFailures int
	Apply       ApplyOptions
	// Writer returns the writer of an account.
	Writer func(accountID string) (Writer, error)
	// Rescan scans accounts again, judging trails fixed at the given times PENDING until their first delivery. The
	// gate fails closed: an error, or a fixed trail the re-scan does not judge, stops the rollout.
	Rescan func(ctx context.Context, accounts []string, fixedAt map[string]time.Time) ([]model.Finding, error)
	// Who names the identity that writes in an account (the assumed role's ARN), for the journal; nil: the journal's.
	Who func(accountID string) string
}

// Batch is one step of a rollout.
type Batch struct {
	Accounts  []string      `json:"accounts"`
	Results   []TrailResult `json:"results"`
	Unhealthy []string      `json:"unhealthy,omitempty"`
}

// RolloutResult is how the rollout went.
type RolloutResult struct {
	Batches []Batch              `json:"batches"`
	Stopped string               `json:"stopped,omitempty"`
	FixedAt map[string]time.Time `json:"fixed_at"`
}

// OrderAccounts sorts accounts for a rollout: with order "tag", those carrying the priority tag (production) first;
// then by name, then id.
func OrderAccounts(accts []AccountInfo, order, priorityTag string) []AccountInfo {
	k, v, _ := strings.Cut(priorityTag, "=")
	out := append([]AccountInfo(nil), accts...)
	sort.SliceStable(out, func(i, j int) bool {
		if order != "name" {
			pi, pj := out[i].Tags[k] == v, out[j].Tags[k] == v
			if pi != pj {
				return pi
			}
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Rollout applies a plan account batch by account batch, in priority order, re-scanning each batch before the next and
// stopping when a batch does not come back healthy (more than MaxFailures trails failing, or fixes that failed).
func Rollout(ctx context.Context, p *Plan, accts []AccountInfo, j *Journal, o RolloutOptions) RolloutResult {
	if o.BatchSize <= 0 {
		o.BatchSize = 10
	}
	if o.PriorityTag == "" {
		o.PriorityTag = "environment=production"
	}
	steps := map[string][]Step{}
	serves := map[string][]string{} // an organization-wide step's resource (the organization) -> the accounts it fixes
	for _, s := range p.Steps {
		steps[s.AccountID] = append(steps[s.AccountID], s)
		for _, id := range s.Serves {
			if !slices.Contains(serves[s.ResourceID], id) {
				serves[s.ResourceID] = append(serves[s.ResourceID], id)
			}
		}
	}
	var todo []AccountInfo
	known := map[string]bool{}
	for _, a := range accts {
		known[a.ID] = true
		if len(steps[a.ID]) > 0 {
			todo = append(todo, a)
		}
	}
	for id := range steps {
		if !known[id] {
			todo = append(todo, AccountInfo{ID: id})
		}
	}
	todo = OrderAccounts(todo, o.Order, o.PriorityTag)
	res := RolloutResult{FixedAt: map[string]time.Time{}}
	for start := 0; start < len(todo); start += o.BatchSize {
		batch := Batch{}
		fixedHere := map[string]bool{}
		var alsoJudged []string // accounts an organization-wide step of this batch fixes, judged with it
		for _, a := range todo[start:min(start+o.BatchSize, len(todo))] {
			batch.Accounts = append(batch.Accounts, a.ID)
			w, err := o.Writer(a.ID)
			if err != nil {
				batch.Results = append(batch.Results, TrailResult{AccountID: a.ID, Error: err.Error()})
				batch.Unhealthy = append(batch.Unhealthy, a.ID+": "+err.Error())
				continue
			}
			ao := o.Apply
			if o.Who != nil {
				ao.Who = o.Who(a.ID)
			}
			for _, r := range Apply(ctx, w, steps[a.ID], j, ao) {
				batch.Results = append(batch.Results, r)
				if r.Error != "" {
					batch.Unhealthy = append(batch.Unhealthy, r.ResourceID+": "+r.Error)
					continue
				}
				res.FixedAt[r.ResourceID] = r.FixedAt
				fixedHere[r.ResourceID] = true
				// An organization rule fixes accounts outside the batch: each one's capture judges it, now.
				for _, id := range serves[r.ResourceID] {
					res.FixedAt[id], fixedHere[id] = r.FixedAt, true
					if !slices.Contains(batch.Accounts, id) && !slices.Contains(alsoJudged, id) {
						alsoJudged = append(alsoJudged, id)
					}
				}
			}
		}
		if ctx.Err() != nil {
			res.Batches = append(res.Batches, batch)
			res.Stopped = fmt.Sprintf("interrupted during batch %d: what was in progress was undone; re-run to converge", len(res.Batches))
			break
		}
		if o.Rescan == nil {
			res.Batches = append(res.Batches, batch)
			res.Stopped = fmt.Sprintf("batch %d cannot be checked (no re-scan): stopping", len(res.Batches))
			break
		}
		found, err := o.Rescan(ctx, append(slices.Clone(batch.Accounts), alsoJudged...), res.FixedAt)
		if err != nil && ctx.Err() != nil {
			// Field trial: interrupted while checking, nothing was in progress, yet the run said it was undone.
			res.Batches = append(res.Batches, batch)
			res.Stopped = fmt.Sprintf("interrupted while re-checking batch %d: its changes were applied and stay (the journal has them), unchecked; re-run to converge", len(res.Batches))
			break
		}
		if err != nil {
			// Fail closed: a gate that cannot check stops the rollout.
			res.Batches = append(res.Batches, batch)
			res.Stopped = fmt.Sprintf("the re-scan of batch %d failed, so its health is unknown: %v; stopping", len(res.Batches), err)
			break
		}
		judged := map[string]bool{}
		// owner account|control -> the fixed resources (log group ARN/control): one item's chain may be fixed on several
		// groups (a telemetry rule's, one per region), all judged by the item's one finding (field trial).
		alarmFixes := map[string][]string{}
		for rid := range fixedHere {
			if acct, ctl, ok := alarmFixOf(rid); ok {
				alarmFixes[acct+"|"+ctl] = append(alarmFixes[acct+"|"+ctl], rid)
			}
		}
		for _, f := range found {
			if rids, ok := alarmFixes[f.AccountID+"|"+f.ControlID]; ok {
				// An email or https subscriber waits for a person to confirm: that is the fix working, not failing.
				awaiting := f.Status == model.StatusFail && len(f.Reasons) == 1 && f.Reasons[0].Code == controls.NoConfirmedSubscriber &&
					f.Evidence != nil && f.Evidence.Chain != nil && f.Evidence.Chain.PendingSubscriptions > 0
				for _, rid := range rids {
					judged[rid] = true
					if f.Status != model.StatusPass && f.Status != model.StatusWarn && !awaiting {
						batch.Unhealthy = append(batch.Unhealthy, fmt.Sprintf("%s: %s after the fix%s", rid, f.Status, gateWhy(f)))
					}
				}
				continue
			}
			if fixedHere[f.ResourceID] && f.ControlID == controls.CaptureID && f.ResourceID == f.AccountID {
				// An account-wide fix (a telemetry rule): its account's capture judges it.
				judged[f.ResourceID] = true
				if f.Status != model.StatusPass && f.Status != model.StatusPending {
					batch.Unhealthy = append(batch.Unhealthy, fmt.Sprintf("account %s: capture %s after the fix%s", f.ResourceID, f.Status, gateWhy(f)))
				}
				continue
			}
			if !fixedHere[f.ResourceID] || f.ControlID != controls.IntegrationID {
				continue
			}
			judged[f.ResourceID] = true
			if f.Status != model.StatusPass && f.Status != model.StatusPending && f.Status != model.StatusWarn {
				batch.Unhealthy = append(batch.Unhealthy, fmt.Sprintf("%s: %s after the fix%s", f.ResourceID, f.Status, gateWhy(f)))
			}
		}
		for arn := range fixedHere {
			_, _, alarm := alarmFixOf(arn)
			if !judged[arn] && (strings.Contains(arn, ":trail/") || alarm || model.IsAccountID(arn)) {
				batch.Unhealthy = append(batch.Unhealthy, arn+": not judged by the re-scan")
			}
		}
		sort.Strings(batch.Unhealthy)
		res.Batches = append(res.Batches, batch)
		if len(batch.Unhealthy) > o.MaxFailures {
			res.Stopped = fmt.Sprintf("batch %d came back unhealthy (%d > --max-failures %d): %s", len(res.Batches), len(batch.Unhealthy), o.MaxFailures, strings.Join(batch.Unhealthy, "; "))
			break
		}
	}
	return res
}

// alarmFixOf splits the resource id of an alarm fix ("<log group ARN>/<alarm control>") into the log group's account
// and the control.
func alarmFixOf(rid string) (acct, control string, ok bool) {
	i := strings.LastIndex(rid, "/")
	if i < 0 || !strings.HasPrefix(rid, "arn:") || !strings.Contains(rid, ":log-group:") || !controls.IsAlarmControl(rid[i+1:]) {
		return "", "", false
	}
	_, acct = awsarn.Where(rid)
	return acct, rid[i+1:], true
}

// gateWhy says why a re-scanned finding fails the gate: its reason codes, and the notes that say why a telemetry rule
// does not capture a region (field trial: "capture FAIL after the fix" said nothing of the narrowed channel).
func gateWhy(f model.Finding) string {
	var parts []string
	for _, r := range f.Reasons {
		parts = append(parts, r.Code)
	}
	for _, n := range f.Notes {
		if strings.Contains(n, controls.NotCapturedByTelemetry) {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// Recheck is how the fixed resources look in a scan after the fix: each one's finding, PENDING until its first
// delivery, then PASS (or still failing).
type Recheck struct {
	Items []RecheckItem
	// Pending and Failing count the items still PENDING and those that FAIL or are in ERROR.
	Pending, Failing int
}

// RecheckItem is one fixed resource as the scan judged it: What names it (a trail's or log group's ARN; an alarm item
// as "<control> <account>", judged for the account).
type RecheckItem struct {
	What    string
	Status  model.Status
	FixedAt time.Time
	// Why is what still fails, as the gate says it (" (REASON_CODE; ...)"); "" for PASS and PENDING.
	Why string
}

// Rechecked finds, among a scan's findings, those of the resources fixed at the times given (keyed as StepResource
// keys them), by status, then by what they name.
func Rechecked(findings []model.Finding, fixed map[string]time.Time) Recheck {
	var r Recheck
	for _, f := range findings {
		key := StepResource(f)
		at, ok := fixed[key]
		if !ok || key == "" {
			continue
		}
		switch f.Status {
		case model.StatusPending:
			r.Pending++
		case model.StatusFail, model.StatusError:
			r.Failing++
		}
		what := f.ResourceID
		if controls.IsAlarmControl(f.ControlID) {
			what = f.ControlID + " " + f.AccountID
		}
		it := RecheckItem{What: what, Status: f.Status, FixedAt: at}
		if f.Status != model.StatusPass && f.Status != model.StatusPending {
			it.Why = gateWhy(f) // field trial: a bare FAIL after fix apply --alarms, the reason only in a later scan
		}
		r.Items = append(r.Items, it)
	}
	sort.Slice(r.Items, func(i, j int) bool {
		a, b := r.Items[i], r.Items[j]
		if a.Status != b.Status {
			return a.Status < b.Status
		}
		if a.What != b.What {
			return a.What < b.What
		}
		return a.FixedAt.Before(b.FixedAt)
	})
	return r
}

// RecheckOptions tune WaitRecheck.
type RecheckOptions struct {
	// Wait is how long to wait for the fixed resources still PENDING (0: check once); Poll how often to check.
	Wait, Poll time.Duration
	// Progress, when set, hears before each wait which resources are still PENDING and how long is left.
	Progress func(waiting []string, left time.Duration)
	// Sleep waits d or until ctx ends (default a timer); Now is the clock the deadline is kept on (default time.Now).
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

// ErrWaitInterrupted is WaitRecheck's error when its context ends while it waits between two scans.
var ErrWaitInterrupted = errors.New("interrupted while waiting for delivery")

// WaitRecheck judges the fixed resources in a fresh scan (scan), again every Poll while some are PENDING (a trail
// until its first delivery) and Wait has not passed, and returns the last judgement. Interrupted between scans (ctx),
// it returns the last judgement and ErrWaitInterrupted: the fixes stay applied. A scan's error is returned as it is.
func WaitRecheck(ctx context.Context, scan func(context.Context) ([]model.Finding, error), fixed map[string]time.Time, o RecheckOptions) (Recheck, error) {
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	deadline := o.Now().Add(o.Wait)
	for {
		fs, err := scan(ctx)
		if err != nil {
			return Recheck{}, err
		}
		rc := Rechecked(fs, fixed)
		left := deadline.Sub(o.Now())
		if rc.Pending == 0 || o.Wait <= 0 || left <= 0 {
			return rc, nil
		}
		if o.Progress != nil {
			o.Progress(rc.Waiting(), left)
		}
		if err := o.Sleep(ctx, min(o.Poll, left)); err != nil {
			return rc, fmt.Errorf("%w: %w", ErrWaitInterrupted, err)
		}
	}
}

// Waiting names the items still PENDING.
func (r Recheck) Waiting() []string {
	var w []string
	for _, it := range r.Items {
		if it.Status == model.StatusPending {
			w = append(w, it.What)
		}
	}
	return w
}
