package scan

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// An organization trail whose delivery broke a day ago: its delivery is stale and CloudTrail reports an error.
const brokenOrgTrail = `
%s
organization: {id: o-a1b2c3d4e5, management_account: "111111111111"}
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, organization: true, log_group: CT, role: R, delivery: {last: 30h, error: "Access denied. Check the permissions for your role."}}
      - {name: west, home_region: eu-west-1, log_group: W, role: R}
    log_groups: [{name: CT, region: us-east-1, retention_days: 365}, {name: W, region: eu-west-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
  - id: "333333333333"
    regions: [us-east-1, eu-west-1]
`

// TestVerdictsDoNotDependOnTheSimulatorsGuesses runs the same world under each setting of the simulator's
// extrapolations (issue 16): whether a member sees an organization trail's delivery error, and whether ListTrails
// spans regions. trailwatch's verdicts must not change: the organization trail is judged once, in its owner's account,
// and a broken one FAILs from a member's view either way.
func TestVerdictsDoNotDependOnTheSimulatorsGuesses(t *testing.T) {
	var runs [][]model.Finding
	for _, a := range []string{"", "assumptions: {member_sees_org_delivery_error: true, list_trails_home_region_only: true}"} {
		r := scanScenario(t, fmt.Sprintf(brokenOrgTrail, a), nil)
		runs = append(runs, r.findings)
		member := scanScenario(t, fmt.Sprintf(brokenOrgTrail, a), nil, "333333333333")
		if f := member.get(t, controls.IntegrationID, trailARN); f.Status != model.StatusFail {
			t.Errorf("%q: the broken organization trail seen from a member: %s %+v", a, f.Status, f.Reasons)
		}
	}
	if diff := cmp.Diff(runs[0], runs[1]); diff != "" {
		t.Errorf("verdicts differ with the simulator's assumptions (-default +switched):\n%s", diff)
	}
}
