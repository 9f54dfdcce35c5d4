package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

// AutoFix repairs what breaks, with the fix plan `fix plan` and `fix apply` use: the same steps, refusals
// (organization trails seen from a member, AWS Control Tower trails, exceptions), journal and undo. Without Apply it
// only says what it would do. A finding (a control on a resource) is fixed at most once per CoolDown: a fix that does not hold (someone keeps
// breaking it, or a guardrail reverts it) is reported, not fought.
type AutoFix struct {
	// Controls and Reasons select the findings to fix (empty Reasons: any reason of the selected controls).
	Controls []string
	Reasons  []string
	// Tags select accounts by tag (all must match; empty: every account).
	Tags  map[string]string
	Apply bool
	// CoolDown is the least time between two fixes of one resource (default 1h).
	CoolDown time.Duration
	// Writer makes the write calls of an account.
	Writer func(account string) (remediate.Writer, error)
	// Who names the identity that writes in an account (the assumed role's ARN), for the journal; nil or "": the
	// journal's (the caller).
	Who     func(account string) string
	Journal *remediate.Journal
	Plan    remediate.Options
	// ApplyOptions tune the calls (retries, IAM propagation waits).
	ApplyOptions remediate.ApplyOptions
}

// FixReport is what an automatic fix did, on a change line whose event is fix_planned, fix_applied, fix_failed or
// fix_refused.
type FixReport struct {
	Steps   []string `json:"steps,omitempty"` // the AWS CLI form of each step
	Done    []string `json:"done,omitempty"`
	Undone  []string `json:"undone,omitempty"`
	Refused string   `json:"refused,omitempty"`
	Error   string   `json:"error,omitempty"`
}

func (a *AutoFix) selects(f model.Finding, acct *model.Account) bool {
	if f.Status != model.StatusFail || !slices.Contains(a.Controls, f.ControlID) {
		return false
	}
	if len(a.Reasons) > 0 && !slices.ContainsFunc(f.Reasons, func(r model.Reason) bool { return slices.Contains(a.Reasons, r.Code) }) {
		return false
	}
	for k, v := range a.Tags {
		if acct == nil || acct.Tags[k] != v {
			return false
		}
	}
	return true
}

// autoFix plans and (with Apply) applies the fix of each change that the selector takes, and reports each as a
// change of its own.
func (w *Watcher) autoFix(ctx context.Context, changes []Change) []Change {
	a := w.o.AutoFix
	if a == nil {
		return nil
	}
	var out []Change
	for _, c := range changes {
		w.mu.Lock()
		acct := w.account(c.Finding.AccountID)
		inv := w.inv
		// By finding (control and resource): the alarm items of an account share its resource id, and one item's fix
		// must not keep another's away.
		last, fixed := w.fixedAt[model.FindingID(c.Finding.ControlID, c.Finding.ResourceID)]
		w.mu.Unlock()
		if !a.selects(c.Finding, acct) {
			continue
		}
		report := Change{SchemaVersion: SchemaVersion, Cause: c.Cause, Finding: c.Finding, Fix: &FixReport{}}
		now := w.o.Now()
		cool := a.CoolDown
		if cool <= 0 {
			cool = time.Hour
		}
		if fixed && now.Sub(last) < cool {
			report.Event, report.Fix.Refused = "fix_refused", fmt.Sprintf("fixed %s ago, within the cool-down of %s: not fixed again; look at who keeps breaking it", now.Sub(last).Round(time.Second), cool)
			out = append(out, report)
			continue
		}
		po := a.Plan
		po.Now = now
		p := remediate.NewPlan(inv, []model.Finding{c.Finding}, po)
		for _, s := range p.Steps {
			if !w.inScope(s.AccountID) {
				// Never a write outside the watcher's scope (an excluded account, one outside the organization).
				p.Refused = append(p.Refused, remediate.Refusal{ResourceID: s.ResourceID, AccountID: s.AccountID,
					Reason: fmt.Sprintf("the fix writes in account %s, which is outside the watcher's scope", s.AccountID)})
				p.Steps = nil
				break
			}
		}
		for _, r := range p.Refused {
			report.Event, report.Fix.Refused = "fix_refused", r.Reason
		}
		if report.Event == "" && len(p.Steps) == 0 {
			report.Event, report.Fix.Refused = "fix_refused", "nothing to change automatically"
		}
		if report.Event != "" {
			out = append(out, report)
			continue
		}
		for _, s := range p.Steps {
			report.Fix.Steps = append(report.Fix.Steps, s.CLI)
		}
		if !a.Apply {
			report.Event = "fix_planned"
			out = append(out, report)
			continue
		}
		wr, err := a.Writer(p.Steps[0].AccountID)
		if err != nil {
			report.Event, report.Fix.Error = "fix_failed", err.Error()
			out = append(out, report)
			continue
		}
		w.mu.Lock()
		w.fixedAt[model.FindingID(c.Finding.ControlID, c.Finding.ResourceID)] = now
		w.mu.Unlock()
		report.Event = "fix_applied"
		ao := a.ApplyOptions
		if a.Who != nil {
			ao.Who = a.Who(p.Steps[0].AccountID)
		}
		for _, r := range remediate.Apply(ctx, wr, p.Steps, a.Journal, ao) {
			report.Fix.Done = append(report.Fix.Done, r.Done...)
			report.Fix.Undone = append(report.Fix.Undone, r.Undone...)
			if r.Error != "" {
				report.Event, report.Fix.Error = "fix_failed", r.Error
			}
		}
		out = append(out, report)
	}
	return out
}

func (w *Watcher) emit(changes []Change) {
	w.emitMu.Lock() // a scheduled proof emits from its own goroutine
	defer w.emitMu.Unlock()
	enc := json.NewEncoder(w.o.Out)
	for _, ch := range changes {
		if err := enc.Encode(ch); err != nil {
			w.o.Logger.Error("write change", "error", err.Error())
		}
		w.count(func(s *Stats) { s.Changes++ })
		if w.o.OnChange != nil {
			w.o.OnChange(ch)
		}
	}
}
