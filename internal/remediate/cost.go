package remediate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/cost"
	"github.com/trailwatch/trailwatch/internal/model"
)

// EstimateCost fills the plan's Costs: for each trail the plan integrates with CloudWatch Logs (an UpdateTrail that
// sets its log group), the monthly ingestion its events will cost, from the trail's own S3 delivery; for each
// account the plan captures by a telemetry rule, the same from the account's own trail that logs management events
// to S3, at the telemetry rule's price. s3For returns an S3 client in an account and region. price, when > 0,
// replaces the table's prices (--price-per-gb).
func (p *Plan) EstimateCost(ctx context.Context, inv *model.Inventory, s3For func(account, region string) cost.S3API, now time.Time, price float64, b cost.Budget) {
	prices := cost.DefaultPrices
	if price > 0 {
		prices.IngestionPerGB, prices.TelemetryPerGB = price, price
		prices.Source = fmt.Sprintf("--price-per-gb %g", price)
	}
	p.PriceSource = prices.Source
	accounts := map[string]*model.Account{}
	for _, a := range inv.Accounts {
		accounts[a.ID] = a
	}
	seen := map[string]bool{}
	for _, s := range p.Steps {
		if seen[s.ResourceID] {
			continue
		}
		switch s.Action {
		case UpdateTrail:
			a := accounts[s.AccountID]
			t := trailOf(inv, s.ResourceID)
			if a == nil || t == nil || t.LogGroupARN != "" && t.LogGroupARN == fmt.Sprint(s.Params["CloudWatchLogsLogGroupArn"]) {
				continue
			}
			seen[s.ResourceID] = true
			e := cost.Trail(ctx, func(r string) cost.S3API { return s3For(a.ID, r) }, t, a.ID, controls.CapturedRegions(a, t), now, prices.IngestionPerGB, b)
			p.Costs = append(p.Costs, e)
		case CreateTelemetryRule:
			a := accounts[s.AccountID]
			if a == nil {
				continue
			}
			seen[s.ResourceID] = true
			t := measurable(a)
			if t == nil {
				p.Costs = append(p.Costs, cost.Estimate{TrailARN: a.ID, Status: cost.Unknown, PricePerGB: prices.TelemetryPerGB,
					Reason: "no trail of the account logs its management events to S3 in every region: there is no delivery to measure"})
				continue
			}
			e := cost.Trail(ctx, func(r string) cost.S3API { return s3For(a.ID, r) }, t, a.ID, a.Regions, now, prices.TelemetryPerGB, b)
			e.Notes = append([]string{fmt.Sprintf("for the telemetry rule of account %s, measured on trail %s's S3 delivery", a.ID, t.ARN)}, e.Notes...)
			e.TrailARN = a.ID
			p.Costs = append(p.Costs, e)
		}
	}
}

// measurable is the account's own multi-region trail that logs management events to S3: its delivery shows the
// account's management event volume.
func measurable(a *model.Account) *model.Trail {
	for _, t := range a.Trails {
		if !t.OwnedElsewhere && !t.Organization && t.MultiRegion && t.S3Bucket != "" && (t.ManagementEvents == nil || *t.ManagementEvents) {
			return t
		}
	}
	return nil
}

// CostSummary renders the plan's cost estimates for people.
func (p *Plan) CostSummary() string {
	if len(p.Costs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("Estimated CloudWatch Logs ingestion a month, before anything is applied (" + p.PriceSource + "):\n")
	for _, e := range p.Costs {
		if e.Status != cost.Estimated {
			fmt.Fprintf(&b, "  %s: UNKNOWN: %s\n", e.TrailARN, e.Reason)
			continue
		}
		fmt.Fprintf(&b, "  %s: %.2f GB ($%.2f) a month at the median day; %.2f-%.2f GB ($%.2f-$%.2f) from the quietest and busiest of %d days\n",
			e.TrailARN, e.MonthlyGB.Median, e.MonthlyUSD.Median, e.MonthlyGB.Min, e.MonthlyGB.Max, e.MonthlyUSD.Min, e.MonthlyUSD.Max, e.Days)
		fmt.Fprintf(&b, "      measured: %s, compression %.1fx on %d files, %d S3 calls, %d bytes read\n", e.Source, e.Ratio, e.Samples, e.Calls, e.BytesRead)
		for _, n := range e.Notes {
			fmt.Fprintf(&b, "      note: %s\n", n)
		}
	}
	return b.String()
}
