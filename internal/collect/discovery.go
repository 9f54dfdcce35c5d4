package collect

import (
	"context"
	"slices"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/trailwatch/trailwatch/internal/fanout"
	"github.com/trailwatch/trailwatch/internal/model"
)

// ListTrailsProbe is the live test of the assumption --discovery list makes (monitoring-and-events.md §4.5): that
// ListTrails, called in any region, returns every trail DescribeTrails shows in every region. AWS documents only
// "Lists trails that are in the current account" (API_ListTrails), so this is measured, per account, not assumed.
type ListTrailsProbe struct {
	AccountID string `json:"account_id"`
	// Regions are the enabled regions probed (in --regions when given).
	Regions []string `json:"regions"`
	// Trails are the trails the sweep found (DescribeTrails with shadow trails in every region), by ARN, with the
	// regions that showed each.
	Trails map[string][]string `json:"trails"`
	// Missing maps a region where ListTrails was called to the trails the sweep found that it did not return.
	Missing map[string][]string `json:"missing,omitempty"`
	// Errors are the calls that failed, by "API region": the probe is then inconclusive for those regions.
	Errors map[string]*model.CallError `json:"errors,omitempty"`
	// Error is set when the account could not be read at all.
	Error *model.CallError `json:"error,omitempty"`
	// SingleRegionTrails counts the trails shown in one region only: what a region-scoped ListTrails would miss when
	// called in another region. Without one, the probe has nothing to catch and proves nothing.
	SingleRegionTrails int `json:"single_region_trails"`
	// OtherAccountTrails counts the trails of another account (organization trails seen from a member).
	OtherAccountTrails int `json:"other_account_trails"`
}

// Holds reports whether ListTrails returned every trail the sweep found, from every region probed, with no error,
// in an account where a region-scoped ListTrails would have missed one (a single-region trail, probed from at least
// one other region).
func (p *ListTrailsProbe) Holds() bool {
	return p.Error == nil && len(p.Errors) == 0 && len(p.Missing) == 0 && p.SingleRegionTrails > 0
}

// ProbeListTrails calls DescribeTrails (with shadow trails) and ListTrails in every enabled region in scope and
// compares them: 2 calls per region, plus STS and EC2 to find the account and its regions. Read-only.
func ProbeListTrails(ctx context.Context, c Clients, o Options) *ListTrailsProbe {
	if o.HomeRegion == "" {
		o.HomeRegion = "us-east-1"
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 24
	}
	col := &collector{c: c, o: o, limit: fanout.NewLimit(o.Concurrency), acct: &model.Account{RegionErrors: map[string]*model.CallError{}}}
	p := &ListTrailsProbe{Trails: map[string][]string{}, Missing: map[string][]string{}, Errors: map[string]*model.CallError{}}
	out, err := c.STS().GetCallerIdentity(ctx, nil)
	if err != nil {
		p.Error = Classify("sts:GetCallerIdentity", "", err)
		return p
	}
	p.AccountID = aws.ToString(out.Account)
	col.acct.ID = p.AccountID
	regions, rerr := c.EC2(o.HomeRegion).DescribeRegions(ctx, nil)
	col.regions(regions, rerr)
	if rerr != nil {
		p.Error = Classify("ec2:DescribeRegions", o.HomeRegion, rerr)
		return p
	}
	p.Regions = col.acct.Regions
	listed := make([]map[string]bool, len(p.Regions))
	var mu sync.Mutex
	fail := func(api, region string, err error) {
		mu.Lock()
		defer mu.Unlock()
		p.Errors[api+" "+region] = Classify(api, region, err)
	}
	fanout.Each(p.Regions, 0, func(i int, region string) {
		ct := c.CloudTrail(region)
		described := func() {
			col.bounded(func() {
				out, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
				if err != nil {
					fail("cloudtrail:DescribeTrails", region, err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for _, t := range out.TrailList {
					arn := aws.ToString(t.TrailARN)
					p.Trails[arn] = append(p.Trails[arn], region)
				}
			})
		}
		fanout.All(described, func() {
			trails, err := col.allTrails(ctx, region)
			if err != nil {
				fail("cloudtrail:ListTrails", region, err)
				return
			}
			set := map[string]bool{}
			for _, t := range trails {
				set[t.arn] = true
			}
			listed[i] = set
		})
	})
	for trailARN, shown := range p.Trails {
		sort.Strings(shown)
		if len(shown) == 1 && len(p.Regions) > 1 {
			p.SingleRegionTrails++
		}
		if a, err := arn.Parse(trailARN); err == nil && a.AccountID != p.AccountID {
			p.OtherAccountTrails++
		}
	}
	for i, region := range p.Regions {
		if listed[i] == nil {
			continue
		}
		for arn := range p.Trails {
			if !listed[i][arn] {
				p.Missing[region] = append(p.Missing[region], arn)
			}
		}
		slices.Sort(p.Missing[region])
	}
	return p
}
