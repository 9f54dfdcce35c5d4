package scan

import (
	"context"
	"slices"
	"time"

	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/fanout"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/partition"
)

// deliveryEvidence are the reasons that speak of what CloudTrail last delivered, not of the configuration.
var deliveryEvidence = map[string]bool{controls.NeverDelivered: true, controls.DeliveryStale: true, controls.DeliveryError: true}

// readRepairs looks up, for each trail of a just-collected account whose configuration passes but whose delivery
// evidence fails (the rule says so: its integration finding FAILs on delivery reasons only, whatever it WARNs of), when
// its pipeline was last repaired in CloudTrail event history within the pending window: its CloudWatch Logs settings
// set (UpdateTrail: one lookup per home region) and its delivery role's trust or permissions changed (one
// lookup per role). A trail integrated or a role repaired outside trailwatch (by hand, or by `fix apply` on another
// machine) is then PENDING on any later scan until the first delivery after the repair, as a repaired log group or
// restarted trail is (docs/controls.md). Trails that deliver, or whose configuration still fails, cost no call, nor do
// repairs AWS dates already (a role or log group created, logging started, within the window).
func readRepairs(ctx context.Context, cat *controls.Catalog, c collect.Clients, a *model.Account, s controls.Settings) {
	if cat == nil || a == nil || a.Error != nil || s.PendingWindow <= 0 {
		return
	}
	now := s.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	recent := func(at *time.Time) bool { return at != nil && now.Sub(*at) < s.PendingWindow }
	var candidates []*model.Trail
	for _, t := range a.Trails {
		st := t.Status
		if t.OwnedElsewhere || st == nil {
			continue
		}
		failing := st.LatestDelivery == nil || (st.LatestDeliveryError != nil && *st.LatestDeliveryError != "") ||
			now.Sub(*st.LatestDelivery) > s.MaxDeliveryAge
		if failing {
			candidates = append(candidates, t)
		}
	}
	if len(candidates) == 0 {
		return
	}
	s.Now = now
	verdict := map[string]model.Finding{}
	for _, f := range controls.Evaluate(cat, &model.Inventory{Accounts: []*model.Account{a}}, s) {
		if f.ControlID == controls.IntegrationID {
			verdict[f.ResourceID] = f
		}
	}
	part, ok := partition.Lookup(a.Partition)
	if !ok {
		part, _ = partition.Lookup("aws")
	}
	// Which lookups the trails need: one per home region (the trails' CloudWatch Logs settings) and one per role. They
	// are independent, so they run at once: one round trip added to the account's scan, not one per lookup.
	var trails []*model.Trail
	var regions []string
	var roles []*model.Role
	for _, t := range candidates {
		f := verdict[t.ARN]
		if f.Status != model.StatusFail || !onlyDeliveryEvidence(f) {
			continue
		}
		if lg := t.LogGroup; !recent(t.Status.StartLoggingTime) && (lg == nil || !recent(lg.CreatedAt)) {
			trails = append(trails, t)
			if !slices.Contains(regions, t.HomeRegion) {
				regions = append(regions, t.HomeRegion)
			}
		}
		if r := t.Role; r != nil && r.Exists && r.Name != "" && !slices.Contains(roles, r) && !recent(r.CreatedAt) {
			roles = append(roles, r) // a role created within the window dates its repair already
		}
	}
	found := make([]map[string]time.Time, len(regions))
	failed := make([]*model.CallError, len(regions))
	var lookups []func()
	for i, region := range regions {
		if h, ok := c.CloudTrail(region).(collect.EventHistoryAPI); ok {
			lookups = append(lookups, func() { found[i], failed[i] = collect.TrailLogsChanged(ctx, h, now.Add(-s.PendingWindow), now) })
		}
	}
	if h, ok := c.CloudTrail(part.GlobalRegion).(collect.EventHistoryAPI); ok {
		for _, r := range roles {
			lookups = append(lookups, func() { collect.RoleChanged(ctx, h, r, now.Add(-s.PendingWindow), now) })
		}
	}
	fanout.All(lookups...)
	for _, t := range trails {
		i := slices.Index(regions, t.HomeRegion)
		if at, ok := latest(found[i][t.Name], found[i][t.ARN]); ok {
			t.LogsChangedAt = &at
		}
		t.LogsChangesErr = failed[i]
	}
}

// latest is the later of two times from a lookup (zero: not found).
func latest(a, b time.Time) (time.Time, bool) {
	if b.After(a) {
		a = b
	}
	return a, !a.IsZero()
}

// onlyDeliveryEvidence: every reason that fails the finding speaks of what CloudTrail last delivered (a reason that
// only warns, such as selectors without management events, does not keep a repair from being recognised).
func onlyDeliveryEvidence(f model.Finding) bool {
	n := 0
	for _, r := range f.Reasons {
		switch {
		case deliveryEvidence[r.Code]:
			n++
		case controls.LiveStatus(r.Code) != model.StatusWarn:
			return false
		}
	}
	return n > 0
}
