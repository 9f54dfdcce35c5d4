package cost

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/trailwatch/trailwatch/internal/model"
)

// IncomingSource names where an integrated group's volume comes from.
const IncomingSource = "cloudwatch:GetMetricData AWS/Logs IncomingBytes (Sum per UTC day)"

// Group is what an integrated log group costs today, from its own IncomingBytes (model.LogGroup.Incoming, read with
// scan --cost): the least, median and busiest day with any ingestion, times 30.4 days, at pricePerGB. CloudWatch Logs
// bills ingestion on these uncompressed bytes (shared/reference/beyond-trails.md §3), so no ratio is involved. A
// group whose metric could not be read, or that ingested nothing in the days measured, is UNKNOWN with the reason.
func Group(lg *model.LogGroup, pricePerGB float64) Estimate {
	e := Estimate{Resource: lg.ARN, Status: Unknown, PricePerGB: pricePerGB, Source: IncomingSource}
	in := lg.Incoming
	switch {
	case in == nil:
		e.Reason = "its IncomingBytes was not read"
		return e
	case in.Err != nil:
		e.Reason = "its IncomingBytes could not be read: " + in.Err.Error()
		return e
	}
	e.Days = len(in.DailyBytes)
	e.DailyBytes = in.DailyBytes
	days := nonzero(in.DailyBytes)
	e.DaysWithData = len(days)
	if len(days) == 0 {
		e.Reason = fmt.Sprintf("it ingested nothing in the last %d days", e.Days)
		return e
	}
	slices.Sort(days)
	month := func(b int64) float64 { return float64(b) * 30.4 / 1e9 }
	e.MonthlyGB, e.MonthlyUSD = figures(month(days[0]), month(median(days)), month(days[len(days)-1]), pricePerGB)
	e.Status = Estimated
	if e.DaysWithData < e.Days {
		e.Notes = append(e.Notes, fmt.Sprintf("only %d of the %d days had any ingestion: the figures come from those days", e.DaysWithData, e.Days))
	}
	return e
}

// Groups are what the inventory's integrated log groups cost today (scan --cost), one estimate per group: a trail's
// group at prices.IngestionPerGB, a CloudWatch telemetry rule's at prices.TelemetryPerGB (CloudTrail's delivery and the
// ingestion, both billed on these bytes), each group once.
func Groups(inv *model.Inventory, prices Prices) []Estimate {
	var out []Estimate
	seen := map[string]bool{}
	for _, a := range inv.Accounts {
		if a == nil {
			continue
		}
		users := map[string][]string{} // group ARN -> the trails delivering to it
		for _, t := range a.Trails {
			if lg := t.LogGroup; lg != nil && lg.Incoming != nil {
				users[lg.ARN] = append(users[lg.ARN], t.ARN)
			}
		}
		for _, t := range a.Trails {
			if lg := t.LogGroup; lg != nil && lg.Incoming != nil && !seen[lg.ARN] {
				seen[lg.ARN] = true
				e := Group(lg, prices.IngestionPerGB)
				what := "trail " + t.ARN + "'s log group"
				if u := users[lg.ARN]; len(u) > 1 {
					// Every trail it serves (field trial: a shared group was attributed to the first).
					what = "the log group of trails " + strings.Join(u, ", ")
				}
				e.Notes = append([]string{what}, e.Notes...)
				out = append(out, e)
			}
		}
		if a.Telemetry == nil {
			continue
		}
		for _, r := range a.Telemetry.Rules {
			for _, reg := range slices.Sorted(maps.Keys(r.Groups)) {
				if lg := r.Groups[reg]; lg != nil && lg.Incoming != nil && !seen[lg.ARN] {
					seen[lg.ARN] = true
					e := Group(lg, prices.TelemetryPerGB)
					e.Notes = append([]string{"CloudWatch telemetry rule " + r.ARN + "'s log group"}, e.Notes...)
					out = append(out, e)
				}
			}
		}
	}
	return out
}

// PricesFor are the default prices, or perGB for both kinds when it is above 0 (--price-per-gb).
func PricesFor(perGB float64) Prices {
	p := DefaultPrices
	if perGB > 0 {
		p.IngestionPerGB, p.TelemetryPerGB = perGB, perGB
		p.Source = fmt.Sprintf("--price-per-gb %g", perGB)
	}
	return p
}

// Summary renders estimates for people under a heading ("" when there are none): each one's monthly GB and USD at the
// median day and the quietest and busiest days, what it was measured on, and its notes; an UNKNOWN one with its reason.
func Summary(heading string, es []Estimate) string {
	if len(es) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(heading + "\n")
	for _, e := range es {
		if e.Status != Estimated || e.MonthlyGB == nil {
			fmt.Fprintf(&b, "  %s: UNKNOWN: %s\n", e.Resource, e.Reason)
			continue
		}
		g, u := e.MonthlyGB, e.MonthlyUSD
		what := "delivery"
		if e.Source == IncomingSource {
			what = "ingestion"
		}
		days := fmt.Sprintf("%d days", e.DaysWithData)
		if e.DaysWithData == 1 {
			days = "1 day"
		}
		fmt.Fprintf(&b, "  %s: %s ($%.2f) a month at the median day; %s-%s ($%.2f-$%.2f) from the quietest and busiest of %s with %s\n",
			e.Resource, GBText(g.Median), u.Median, GBText(g.Min), GBText(g.Max), u.Min, u.Max, days, what)
		if e.Source == IncomingSource {
			fmt.Fprintf(&b, "      measured: %s over %d days\n", e.Source, e.Days)
		} else {
			fmt.Fprintf(&b, "      measured: %s, compression %.1fx on %d files, %d S3 calls, %d bytes read\n", e.Source, e.Ratio, e.Samples, e.Calls, e.BytesRead)
		}
		for _, n := range e.Notes {
			fmt.Fprintf(&b, "      note: %s\n", n)
		}
	}
	return b.String()
}

// GBText says a volume in GB, in MB below 0.01 GB (a small trail is not "0.00 GB").
func GBText(gb float64) string {
	if gb < 0.01 {
		return fmt.Sprintf("%.1f MB", gb*1000)
	}
	return fmt.Sprintf("%.2f GB", gb)
}
