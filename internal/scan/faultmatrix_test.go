package scan

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/model"
)

// TestFaultMatrix scans an 80-account organization clean, then under each fault pattern, and compares the findings
// resource by resource (issue 11): nothing the clean run judged may be missing unless an ERROR names what covers it
// (its account, its region, the organization's account listing); nothing may FAIL that is not failing in the clean
// run; and an ERROR never turns into a verdict.
func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the 80-account fault matrix takes a few seconds")
	}
	regions := []string{"us-east-1", "eu-west-1"}
	base := func() *awssim.Scenario {
		return awssim.Generate(awssim.GenOptions{Accounts: 80, Seed: 21, Regions: regions}) // 4 pages of ListAccounts: one more than the fault below lets through
	}
	clean := runOrg(t, startGenerated(t, base()), mgmtID, OrgOptions{})
	cleanBy := map[string]model.Finding{}
	for _, f := range clean.findings {
		if f.Status == model.StatusError {
			t.Fatalf("the clean run has an ERROR: %+v", f)
		}
		cleanBy[f.ControlID+" "+f.ResourceID] = f
	}
	rate := func(r float64) *float64 { return &r }
	patterns := []struct {
		name   string
		faults []awssim.Fault
	}{
		{"GetTrailStatus denied in 30% of calls", []awssim.Fault{{Operation: "cloudtrail:GetTrailStatus", Error: "AccessDeniedException", Rate: rate(0.3)}}},
		{"DescribeTrails failing in one region", []awssim.Fault{{Operation: "cloudtrail:DescribeTrails", Region: "eu-west-1", Error: "InternalFailure"}}},
		{"credentials refused in one enabled region", []awssim.Fault{{Operation: "cloudtrail:*", Region: "eu-west-1", Error: "UnrecognizedClientException"}}},
		{"AssumeRole denied for some members", []awssim.Fault{{Operation: "sts:AssumeRole", Error: "AccessDenied", Rate: rate(0.1)}}},
		{"ListAccounts breaks off after 3 pages", []awssim.Fault{{Operation: "organizations:ListAccounts", After: 3, Error: "ServiceException"}}},
		{"DescribeLogGroups denied in 20% of calls", []awssim.Fault{{Operation: "logs:DescribeLogGroups", Error: "AccessDeniedException", Rate: rate(0.2)}}},
		{"IAM reads failing in 20% of calls", []awssim.Fault{{Operation: "iam:*", Error: "ServiceFailure", Rate: rate(0.2)}}},
		{"the organization trail's status unreadable", []awssim.Fault{{Operation: "cloudtrail:GetTrailStatus", Account: mgmtID, Resource: "org-trail", Error: "AccessDeniedException"}}},
		{"DescribeRegions denied", []awssim.Fault{{Operation: "ec2:DescribeRegions", Error: "UnauthorizedOperation"}}},
		{"account tags denied", []awssim.Fault{{Operation: "organizations:ListTagsForResource", Error: "AccessDeniedException"}}},
		{"GetEventSelectors throttled for good", []awssim.Fault{{Operation: "cloudtrail:GetEventSelectors", Error: "ThrottlingException"}}},
		{"20% of all calls throttled", []awssim.Fault{{Operation: "*", ThrottleRate: 0.2}}},
	}
	for _, p := range patterns {
		t.Run(p.name, func(t *testing.T) {
			sc := base()
			sc.Faults = append(sc.Faults, p.faults...)
			r := runOrg(t, startGenerated(t, sc), mgmtID, OrgOptions{})
			got := map[string]model.Finding{}
			for _, f := range r.findings {
				got[f.ControlID+" "+f.ResourceID] = f
			}
			// What covers a resource that is missing: an ERROR on its account, its region, or the organization.
			acctErr, regionErr, orgErr := map[string]bool{}, map[string]bool{}, false
			for _, f := range r.findings {
				if f.Status != model.StatusError {
					continue
				}
				switch {
				case f.ResourceType == model.TypeOrganization:
					orgErr = true
				case f.ResourceType == model.TypeAccount:
					acctErr[f.AccountID] = true
				case strings.HasSuffix(f.ResourceID, ":trail/*"):
					regionErr[f.AccountID+"/"+f.Region] = true
				}
			}
			listed := map[string]bool{}
			for _, a := range r.inv.Accounts {
				listed[a.ID] = true
			}
			var missing, invented []string
			for k, cf := range cleanBy {
				f, ok := got[k]
				if !ok {
					covered := acctErr[cf.AccountID] || regionErr[cf.AccountID+"/"+cf.Region] ||
						orgErr && !listed[cf.AccountID] && len(r.inv.Incomplete) > 0
					if !covered {
						missing = append(missing, k)
					}
					continue
				}
				if f.Status == model.StatusFail && cf.Status != model.StatusFail {
					invented = append(invented, fmt.Sprintf("%s: FAIL %v, clean %s", k, codesOf(f), cf.Status))
				}
			}
			for k, f := range got {
				if _, ok := cleanBy[k]; !ok && f.Status == model.StatusFail {
					invented = append(invented, fmt.Sprintf("%s: FAIL %v, absent from the clean run", k, codesOf(f)))
				}
			}
			sort.Strings(missing)
			sort.Strings(invented)
			if len(missing) > 0 {
				t.Errorf("%d findings missing without an ERROR that covers them, e.g. %v", len(missing), missing[:min(5, len(missing))])
			}
			if len(invented) > 0 {
				t.Errorf("%d FAILs that the clean run does not have, e.g. %v", len(invented), invented[:min(5, len(invented))])
			}
		})
	}
}

func codesOf(f model.Finding) []string {
	var c []string
	for _, r := range f.Reasons {
		c = append(c, r.Code)
	}
	return c
}
