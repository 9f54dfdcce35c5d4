package scan

import (
	"context"
	"time"

	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/partition"
)

// deliveryEvidence are the reasons that speak of what CloudTrail last delivered, not of the configuration.
var deliveryEvidence = map[string]bool{controls.NeverDelivered: true, controls.DeliveryStale: true, controls.DeliveryError: true}

// readRepairs looks up, for each trail of a just-collected account whose configuration passes but whose delivery
// evidence fails (the rule says so: its integration finding FAILs on delivery reasons only), when its delivery role
// last changed in CloudTrail event history within the pending window. A role repaired outside trailwatch (its policy
// or trust fixed by hand, or by `fix apply` on another machine) is then PENDING on any later scan until the first
// delivery after the repair, as a repaired log group or restarted trail is (docs/controls.md). Trails that deliver,
// or whose configuration still fails, cost no call.
func readRepairs(ctx context.Context, cat *controls.Catalog, c collect.Clients, a *model.Account, s controls.Settings) {
	if cat == nil || a == nil || a.Error != nil || s.PendingWindow <= 0 {
		return
	}
	now := s.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	var candidates []*model.Trail
	for _, t := range a.Trails {
		st, r := t.Status, t.Role
		if t.OwnedElsewhere || st == nil || r == nil || !r.Exists || r.Name == "" {
			continue
		}
		if r.CreatedAt != nil && now.Sub(*r.CreatedAt) < s.PendingWindow {
			continue // the role's own creation already dates the repair
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
	h, ok := c.CloudTrail(part.GlobalRegion).(collect.EventHistoryAPI)
	if !ok {
		return
	}
	looked := map[*model.Role]bool{}
	for _, t := range candidates {
		f := verdict[t.ARN]
		if f.Status != model.StatusFail || looked[t.Role] || !onlyDeliveryEvidence(f) {
			continue
		}
		looked[t.Role] = true
		collect.RoleChanged(ctx, h, t.Role, now.Add(-s.PendingWindow), now)
	}
}

func onlyDeliveryEvidence(f model.Finding) bool {
	for _, r := range f.Reasons {
		if !deliveryEvidence[r.Code] {
			return false
		}
	}
	return len(f.Reasons) > 0
}
