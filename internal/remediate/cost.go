package remediate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/cost"
	"github.com/trailwatch/trailwatch/internal/model"
)

// EstimateCost fills the plan's Costs: for each trail the plan integrates with CloudWatch Logs (an UpdateTrail that
// sets its log group), the monthly ingestion its events will cost, from the trail's own S3 delivery; for each
// account the plan captures by a telemetry rule, the same from the account's own trail that logs management events
// to S3, at the telemetry rule's price. s3For returns an S3 client in an account and region. price, when > 0,
// replaces the table's prices (--price-per-gb).
func (p *Plan) EstimateCost(ctx context.Context, inv *model.Inventory, s3For func(account, region string) cost.S3API, now time.Time, price float64, b cost.Budget) {
	prices := cost.PricesFor(price)
	p.PriceSource = prices.Source
	accounts := map[string]*model.Account{}
	for _, a := range inv.Accounts {
		accounts[a.ID] = a
	}
	seen := map[string]bool{}
	for _, s := range p.Steps {
		if len(s.Serves) > 0 {
			// An organization rule ingests every account's events, not only those it fixes (field trial): each
			// account scanned, measured as its own rule would be.
			for _, a := range inv.Accounts {
				if !seen[a.ID] {
					seen[a.ID] = true
					p.Costs = append(p.Costs, ruleCost(ctx, a, s3For, now, prices.TelemetryPerGB, b, "the organization telemetry rule in account "+a.ID))
				}
			}
			continue
		}
		if seen[s.ResourceID] {
			continue
		}
		a := accounts[s.AccountID]
		if a == nil {
			continue
		}
		switch {
		case strings.Contains(s.ResourceID, ":trail/"):
			// Every trail the plan fixes starts (or resumes) sending events to CloudWatch Logs: a new or repaired log
			// group, role or trust, logging started (field trial: only a changed log group was estimated).
			t := trailOf(inv, s.ResourceID)
			if t == nil {
				continue
			}
			seen[s.ResourceID] = true
			p.Costs = append(p.Costs, cost.Trail(ctx, func(r string) cost.S3API { return s3For(a.ID, r) }, t, a.ID, capturedEverywhere(a, t), now, prices.IngestionPerGB, b))
		case s.Action == CreateTrail:
			// A new trail (fix --trail-bucket) has no delivery yet: its volume is unknown until it has delivered a few
			// days (then scan --cost shows its group's IncomingBytes).
			seen[s.ResourceID] = true
			p.Costs = append(p.Costs, cost.Estimate{Resource: a.ID, Status: cost.Unknown, PricePerGB: prices.IngestionPerGB,
				Reason: "a new trail (" + NewTrailName + ") has delivered nothing to measure yet; after a few days, scan --cost shows what its log group ingests"})
		case s.Action == CreateTelemetryRule || s.Action == StartTelemetryEvaluation:
			seen[s.ResourceID] = true
			p.Costs = append(p.Costs, ruleCost(ctx, a, s3For, now, prices.TelemetryPerGB, b, "the telemetry rule of account "+a.ID))
		}
	}
}

// ruleCost estimates what a telemetry rule (what names it) sends from account a: every management event of every
// region, measured on the account's own multi-region trail's S3 delivery, or UNKNOWN when there is none.
func ruleCost(ctx context.Context, a *model.Account, s3For func(acct, region string) cost.S3API, now time.Time, perGB float64, b cost.Budget, what string) cost.Estimate {
	t := measurable(a)
	if t == nil {
		return cost.Estimate{Resource: a.ID, Status: cost.Unknown, PricePerGB: perGB,
			Reason: "no trail of the account logs all its management events, read and write, from every region to S3: there is no delivery to measure"}
	}
	e := cost.Trail(ctx, func(r string) cost.S3API { return s3For(a.ID, r) }, t, a.ID, enabledRegions(a), now, perGB, b)
	e.Resource = a.ID
	e.Notes = append([]string{fmt.Sprintf("%s, measured on trail %s's S3 delivery", what, t.ARN)}, e.Notes...)
	return e
}

// enabledRegions are the account's enabled regions, those --regions left out of the scan included: a multi-region
// trail or an AllRegions rule sends every one's events (field trial: --regions us-east-1 measured a third of a
// three-region trail).
func enabledRegions(a *model.Account) []string {
	out := slices.Clone(a.Regions)
	for _, sk := range a.Skipped {
		if sk.Reason == "outside --regions" && !slices.Contains(out, sk.Region) {
			out = append(out, sk.Region)
		}
	}
	slices.Sort(out)
	return out
}

// capturedEverywhere are the regions whose events trail t sends: every enabled region for a multi-region trail.
func capturedEverywhere(a *model.Account, t *model.Trail) []string {
	if t.MultiRegion {
		return enabledRegions(a)
	}
	return []string{t.HomeRegion}
}

// measurable is the account's own multi-region trail that logs management events to S3: its delivery shows the
// account's management event volume.
func measurable(a *model.Account) *model.Trail {
	for _, t := range a.Trails {
		// Every management event, read and write, as the rule sends them (field trial: a write-only trail would
		// understate the rule several times over).
		if !t.OwnedElsewhere && !t.Organization && t.MultiRegion && t.S3Bucket != "" && (t.ManagementEvents == nil || *t.ManagementEvents) &&
			(t.ManagementReadWrite == "" || t.ManagementReadWrite == "All") {
			return t
		}
	}
	return nil
}

// CostSummary renders the plan's cost estimates for people.
func (p *Plan) CostSummary() string {
	return cost.Summary("Estimated CloudWatch Logs ingestion a month, before anything is applied ("+p.PriceSource+"):", p.Costs)
}
