package scan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// TestAuthErrorInAnEnabledRegionIsAnError: an enabled region (DescribeRegions lists it) whose calls fail with the
// authentication errors that disabled opt-in regions also return is not "not enabled": its trails were not seen, so
// it is an ERROR, and the account's coverage is not known there (issue 11).
func TestAuthErrorInAnEnabledRegionIsAnError(t *testing.T) {
	for _, code := range []string{"UnrecognizedClientException", "InvalidClientTokenId"} {
		t.Run(code, func(t *testing.T) {
			r := scanScenario(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails: [{name: main, home_region: us-east-1, log_group: CT, role: R}]
    log_groups: [{name: CT, region: us-east-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
faults: [{operation: cloudtrail:DescribeTrails, region: eu-west-1, error: `+code+`}]
`, nil)
			e := r.get(t, controls.IntegrationID, "arn:aws:cloudtrail:eu-west-1:111111111111:trail/*")
			if e.Status != model.StatusError || !strings.Contains(e.Reasons[0].Message, code) {
				t.Errorf("region error finding %s %+v", e.Status, e.Reasons)
			}
			for _, sk := range r.inv.Accounts[0].Skipped {
				if sk.Region == "eu-west-1" {
					t.Errorf("eu-west-1 reported as skipped: %s", sk.Reason)
				}
			}
			// The single-region trail covers us-east-1; eu-west-1 is unknown, not uncovered and not skipped.
			a := r.get(t, controls.CaptureID, acct)
			if a.Status != model.StatusError || !strings.Contains(a.Reasons[0].Message, "eu-west-1") {
				t.Errorf("account %s %+v, want ERROR naming eu-west-1", a.Status, a.Reasons)
			}
		})
	}
}

// TestOrganizationTrailWithUnknownStateIsNotUncovered: when the organization trail's status cannot be read in the
// management account, the trail is ERROR and every account's coverage is unknown through it: never FAIL
// REGIONS_UNCOVERED with commands that create a duplicate trail (issue 11).
func TestOrganizationTrailWithUnknownStateIsNotUncovered(t *testing.T) {
	fault := `faults: [{operation: cloudtrail:GetTrailStatus, account: "111111111111", resource: "` + trailARN + `", error: AccessDeniedException}]`
	r := scanScenario(t, fmt.Sprintf(orgScenario, fault), nil)
	if f := r.get(t, controls.IntegrationID, trailARN); f.Status != model.StatusError {
		t.Fatalf("org trail %s %+v", f.Status, f.Reasons)
	}
	for _, id := range []string{"111111111111", "333333333333"} {
		a := r.get(t, controls.CaptureID, id)
		if a.Status != model.StatusError {
			t.Errorf("account %s: %s %+v, want ERROR", id, a.Status, a.Reasons)
		}
		for _, rs := range a.Reasons {
			if rs.Code == controls.RegionsUncovered || rs.Code == controls.NoTrail {
				t.Errorf("account %s: %s: %s", id, rs.Code, rs.Message)
			}
		}
		if len(a.Commands) > 0 {
			t.Errorf("account %s: fix commands for an unknown state: %v", id, a.Commands)
		}
		if !strings.Contains(a.Reasons[0].Message, trailARN) {
			t.Errorf("account %s: the reason does not name the trail: %s", id, a.Reasons[0].Message)
		}
	}
}

// TestAccountListingBreaksOff: ListAccounts fails (after retries) once the first page has arrived. The accounts
// listed are scanned, the rest are not silently dropped: the inventory says it is incomplete, and the organization
// gets an ERROR finding naming how many accounts were listed (issue 11).
func TestAccountListingBreaksOff(t *testing.T) {
	sc := awssim.Generate(awssim.GenOptions{Accounts: 50, Seed: 3, Regions: []string{"us-east-1"}})
	sc.Faults = append(sc.Faults, awssim.Fault{Operation: "organizations:ListAccounts", After: 1, Error: "ServiceException"})
	srv := startGenerated(t, sc)
	r := runOrg(t, srv, mgmtID, OrgOptions{})
	if len(r.inv.Accounts) != 20 {
		t.Errorf("%d accounts scanned, want the first page's 20", len(r.inv.Accounts))
	}
	if len(r.inv.Incomplete) != 1 || !strings.Contains(r.inv.Incomplete[0], "after 20 accounts") {
		t.Errorf("incomplete: %q", r.inv.Incomplete)
	}
	var org *model.Finding
	for i, f := range r.findings {
		if f.ResourceType == model.TypeOrganization {
			org = &r.findings[i]
		}
	}
	if org == nil {
		t.Fatal("no finding on the organization")
	}
	if org.Status != model.StatusError || org.AccountID != mgmtID || !strings.Contains(org.Reasons[0].Message, "ServiceException") ||
		!strings.HasPrefix(org.ResourceID, "arn:aws:organizations::"+mgmtID+":organization/o-") {
		t.Errorf("organization finding: %+v", *org)
	}
}

// TestCredentialsRefusedEverywhere: when every region refuses the credentials (a session that expired during the
// scan, a wrong secret key), the account is one ERROR that says so, as an account that denies every region is; it
// was one ERROR per region.
func TestCredentialsRefusedEverywhere(t *testing.T) {
	for _, code := range []string{"ExpiredTokenException", "UnrecognizedClientException"} {
		t.Run(code, func(t *testing.T) {
			r := scanScenario(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1, ap-south-1]
    trails: [{name: main, home_region: us-east-1, log_group: CT, role: R}]
    log_groups: [{name: CT, region: us-east-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
faults: [{operation: cloudtrail:DescribeTrails, error: `+code+`}]
`, nil)
			a := r.inv.Accounts[0]
			if a.Error == nil || a.Error.Kind != model.ErrCredentialsRefused || len(a.RegionErrors) != 0 {
				t.Fatalf("account error %+v, region errors %d", a.Error, len(a.RegionErrors))
			}
			if len(r.findings) != 1 || r.findings[0].Status != model.StatusError || !strings.Contains(r.findings[0].Reasons[0].Message, "every region") {
				for _, f := range r.findings {
					t.Logf("%s %s %s", f.ControlID, f.Region, f.Status)
				}
				t.Errorf("%d findings, want one ERROR saying every region refused", len(r.findings))
			}
		})
	}
}

// TestSelectorsRefused: GetEventSelectors refused on a trail that logs data events only: the trail is an ERROR (its
// management events are unknown), and the account's capture is unknown for the regions that rely on it, never PASS.
// "Management events assumed" turned it from FAIL to PASS and the exit code from 1 to 0 (issue 23).
func TestSelectorsRefused(t *testing.T) {
	r := scanScenario(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, management_events: false, log_group: CT, role: R}
    log_groups:
      - {name: CT, region: us-east-1, retention_days: 365}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
    faults:
      - {operation: "cloudtrail:GetEventSelectors", error: AccessDeniedException}
`, nil)
	if f := r.get(t, controls.IntegrationID, trailARN); f.Status != model.StatusError || codes(f) != controls.AccessDenied {
		t.Errorf("trail: %s %s", f.Status, codes(f))
	}
	if f := r.get(t, controls.CaptureID, acct); f.Status != model.StatusError || codes(f) != controls.CoverageUnknown {
		t.Errorf("capture: %s %s", f.Status, codes(f))
	}
}

// TestDescribeRegionsRefused: with DescribeRegions refused, only the partition's default regions are scanned, so a
// failing trail homed in an opt-in region the account enabled goes unseen: the account's capture is an ERROR saying
// so, never a PASS with a note (issue 23: the exit code went from 1 to 0).
func TestDescribeRegionsRefused(t *testing.T) {
	const text = `
accounts:
  - id: "111111111111"
    regions: [us-east-1, af-south-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
      - {name: cape, home_region: af-south-1}
    log_groups:
      - {name: CT, region: us-east-1, retention_days: 365}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
`
	whole := scanScenario(t, text, nil)
	if f := whole.get(t, controls.IntegrationID, "arn:aws:cloudtrail:af-south-1:111111111111:trail/cape"); f.Status != model.StatusFail {
		t.Fatalf("the opt-in region's trail, DescribeRegions answered: %s", f.Status)
	}
	r := scanScenario(t, text+"    faults:\n      - {operation: \"ec2:DescribeRegions\", error: UnauthorizedOperation}\n", nil)
	f := r.get(t, controls.CaptureID, acct)
	if f.Status != model.StatusError || !strings.Contains(codes(f), controls.AccessDenied) || !strings.Contains(f.Reasons[len(f.Reasons)-1].Message, "opt-in regions") {
		t.Errorf("capture with DescribeRegions refused: %s %s %+v", f.Status, codes(f), f.Reasons)
	}
}
