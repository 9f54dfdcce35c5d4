package remediate

import (
	"fmt"
	"strings"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/delivery"
	"github.com/trailwatch/trailwatch/internal/model"
)

// Annotate fills each failing finding's Commands with the AWS CLI rendering of the plan's steps for it: one plan for
// the whole inventory, so the commands printed beside the findings are exactly what `fix plan` would do, in order,
// with a log group or role shared by several trails created once (the commands of the trail that needs it first). A
// log group whose retention the trail fix sets gets the trail's retention step. An account whose regions are
// uncovered, with a multi-region trail of its own that the plan fixes, gets no commands: fixing that trail covers
// them (its note says so); without one, the commands are the plan's steps that create a trail (newtrail.go), naming
// a CLOUDTRAIL_BUCKET variable unless a bucket was given.
func Annotate(inv *model.Inventory, findings []model.Finding, o Options) []model.Finding {
	p := NewPlan(inv, findings, o)
	o = withDefaults(o)
	byResource := map[string][]string{}
	for _, s := range p.Steps {
		byResource[s.ResourceID] = append(byResource[s.ResourceID], s.CLI)
		if p, ok := s.Params.(PutRetentionPolicyInput); ok {
			// The retention finding is keyed by the log group's ARN without ":*".
			g := awsarn.LogGroupBare(partitionOf(inv), s.Region, s.AccountID, p.LogGroupName)
			if g != s.ResourceID {
				byResource[g] = append(byResource[g], s.CLI)
			}
		}
	}
	// A trail the plan has nothing to change on (its pipeline is in place, yet it does not deliver) gets the read
	// that shows why: the delivery error; the refusal says what to check.
	diagnose := map[string]string{}
	for _, r := range p.Refused {
		if strings.HasPrefix(r.Reason, nothingToChange) {
			if t := trailOf(inv, r.ResourceID); t != nil {
				diagnose[r.ResourceID] = fmt.Sprintf("aws cloudtrail get-trail-status --region %s --name %s   # %s", t.HomeRegion, t.ARN, r.Reason)
			}
		}
	}
	accounts := map[string]*model.Account{}
	for _, a := range inv.Accounts {
		accounts[a.ID] = a
	}
	for i := range findings {
		f := &findings[i]
		f.Commands = nil
		if f.Status != model.StatusFail {
			continue
		}
		switch f.ControlID {
		case controls.IntegrationID, controls.RetentionID:
			f.Commands = byResource[f.ResourceID]
			if d := diagnose[f.ResourceID]; d != "" && len(f.Commands) == 0 {
				f.Commands = []string{d}
			}
			if by := p.ReliesOn[f.ResourceID]; len(by) > 0 {
				// Shown, not hidden: run those first (they come earlier in the report and in the plan).
				f.Commands = append([]string{"# shares a log group or role with " + strings.Join(by, ", ") + ": run its commands first; they create or grant what this trail needs too"}, f.Commands...)
			}
		case controls.CaptureID:
			a := accounts[f.AccountID]
			if a == nil || f.ResourceType != model.TypeAccount {
				continue
			}
			if by := fixingCovers(a, p); len(by) > 0 {
				f.Notes = append(f.Notes, fmt.Sprintf("Fixing trail %s (see its finding) covers every region: no new trail is needed.", strings.Join(by, ", ")))
				continue
			}
			if !needsNewTrail(*f, a, p) {
				continue
			}
			if cmds := byResource[a.ID]; len(cmds) > 0 {
				f.Commands = cmds // the plan makes the trail (--trail-bucket)
				continue
			}
			bucket := bucketPlaceholder
			if o.TrailBucket != "" {
				bucket = o.TrailBucket
			}
			if refuseNewTrail(a, partitionOf(inv)) != "" {
				continue
			}
			for _, s := range newTrailSteps(a, partitionOf(inv), o, bucket) {
				f.Commands = append(f.Commands, s.CLI)
			}
		default:
			// An alarm finding: the steps that complete its chain, keyed by the log group and the item.
			if key := StepResource(*f); controls.IsAlarmControl(f.ControlID) && key != "" {
				f.Commands = byResource[key]
			}
		}
	}
	return findings
}

// Judge evaluates an inventory and fills each failing finding's fix commands from the one fix plan of the whole
// inventory (Annotate), so that printed commands and `fix plan` never disagree: the one way findings are made from an
// inventory (the scan, watch's re-judgement, merge).
func Judge(cat *controls.Catalog, inv *model.Inventory, s controls.Settings) []model.Finding {
	return Annotate(inv, controls.Evaluate(cat, inv, s), Options{Now: s.Now, RetentionDays: controls.NextRetention(s.MinRetentionDays), Alarms: s.Alarms})
}

// StepResource is the resource the plan's steps for a finding serve (Step.ResourceID): the trail's or log group's
// ARN, and for an alarm finding the log group and item of its chain, "<log group ARN>/<control>", from the finding's
// evidence ("" when it names no log group: no monitored trail).
func StepResource(f model.Finding) string {
	if !controls.IsAlarmControl(f.ControlID) {
		return f.ResourceID
	}
	if f.Evidence == nil || f.Evidence.Chain == nil || f.Evidence.Chain.LogGroup == "" {
		return ""
	}
	return f.Evidence.Chain.LogGroup + "/" + f.ControlID
}

func trailOf(inv *model.Inventory, arn string) *model.Trail {
	for _, a := range inv.Accounts {
		for _, t := range a.Trails {
			if t.ARN == arn {
				return t
			}
		}
	}
	return nil
}

func withDefaults(o Options) Options {
	if o.LogGroupName == "" {
		o.LogGroupName = delivery.DefaultGroupName
	}
	if o.RoleName == "" {
		o.RoleName = delivery.DefaultRoleName
	}
	if o.RetentionDays == 0 {
		o.RetentionDays = 365
	}
	return o
}

func partitionOf(inv *model.Inventory) string {
	if inv.Partition == "" {
		return "aws"
	}
	return inv.Partition
}

// fixingCovers returns the account's own trails that the plan fixes, when together they capture every region in
// scope (a multi-region trail all of them, a single-region trail its home region), counting the trails that need no
// fix: then REGIONS_UNCOVERED is fixed by fixing those trails, and no new trail is proposed. It returns nil when some
// region stays uncovered.
func fixingCovers(a *model.Account, p *Plan) []string {
	planned := map[string]bool{}
	for _, s := range p.Steps {
		planned[s.ResourceID] = true
	}
	for _, r := range p.Refused {
		delete(planned, r.ResourceID)
	}
	refused := map[string]bool{}
	for _, r := range p.Refused {
		refused[r.ResourceID] = true
	}
	covered := map[string]bool{}
	var fixing []string
	for _, t := range a.Trails {
		if t.OwnedElsewhere || refused[t.ARN] || t.ManagementEvents != nil && !*t.ManagementEvents {
			continue
		}
		if planned[t.ARN] || len(p.ReliesOn[t.ARN]) > 0 {
			fixing = append(fixing, t.ARN)
		}
		if t.MultiRegion {
			for _, r := range a.Regions {
				covered[r] = true
			}
		} else {
			covered[t.HomeRegion] = true
		}
	}
	for _, r := range a.Regions {
		if !covered[r] {
			return nil
		}
	}
	if len(fixing) == 0 {
		return nil
	}
	return fixing
}
