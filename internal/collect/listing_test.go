package collect

import (
	"context"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwatch/trailwatch/internal/fanout"
	"github.com/trailwatch/trailwatch/internal/model"
)

// TestCompareListing: what one account settles about ListTrails' scope, from ListTrails called in us-east-1 and the
// sweep of three regions. The expectations are worked out by hand from the two readings (monitoring-and-events.md
// §4.5): an account-wide ListTrails returns every trail; a region-scoped one the called region's trails and the
// multi-region ones.
func TestCompareListing(t *testing.T) {
	scope := []string{"af-south-1", "ap-south-1", "eu-west-1", "us-east-1"}
	const (
		cape  = "arn:aws:cloudtrail:af-south-1:111111111111:trail/cape"
		main  = "arn:aws:cloudtrail:us-east-1:111111111111:trail/main"
		east  = "arn:aws:cloudtrail:us-east-1:111111111111:trail/east"
		west  = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/west"
		org   = "arn:aws:cloudtrail:eu-west-1:999999999999:trail/org"
		south = "arn:aws:cloudtrail:ap-south-1:999999999999:trail/org-south"
	)
	multi := map[string]bool{main: true, org: true}
	optedIn := map[string]bool{"af-south-1": true}
	home := map[string]string{cape: "af-south-1", main: "us-east-1", east: "us-east-1", west: "eu-west-1", org: "eu-west-1", south: "ap-south-1"}
	// sweep builds what DescribeTrails showed: a multi-region trail in every region, a single-region one at home.
	sweep := func(arns ...string) []regionResult {
		out := make([]regionResult, len(scope))
		for i, region := range scope {
			for _, arn := range arns {
				if multi[arn] || home[arn] == region {
					out[i].trails = append(out[i].trails, &model.Trail{ARN: arn, HomeRegion: home[arn], MultiRegion: multi[arn], SeenIn: []string{region}})
				}
			}
		}
		return out
	}
	list := func(arns ...string) []listedTrail {
		var out []listedTrail
		for _, arn := range arns {
			out = append(out, listedTrail{arn: arn, home: home[arn]})
		}
		return out
	}
	wide := func(arn string) *model.ListTrailsScope {
		return &model.ListTrailsScope{AccountWide: true, Account: "111111111111", CalledIn: "us-east-1", TrailARN: arn}
	}
	missed := func(arn string) *model.ListTrailsScope {
		return &model.ListTrailsScope{Account: "111111111111", CalledIn: "us-east-1", TrailARN: arn}
	}
	cases := []struct {
		name    string
		results []regionResult
		listed  []listedTrail
		want    *model.ListTrailsScope
		optIn   map[string]bool
	}{
		{"another region's single-region trail returned: account-wide", sweep(main, west), list(main, west), wide(west), nil},
		{"it is left out, beside a multi-region trail: missed", sweep(main, west), list(main), missed(west), nil},
		{"it is left out, with no multi-region trail (list would sweep here, but not elsewhere): missed", sweep(west), list(), missed(west), nil},
		{"a single-region trail of the called region proves nothing", sweep(main, east), list(main, east), nil, nil},
		{"multi-region trails only prove nothing", sweep(main, org), list(main, org), nil, nil},
		{"an organization trail a member's ListTrails leaves out: list reads the multi-region shadow anyway", sweep(main, org), list(main), nil, nil},
		{"a member's single-region organization trail of another region, returned: account-wide", sweep(org, south), list(org, south), wide(south), nil},
		{"a multi-region trail left out with no other: list would sweep, nothing missed", sweep(org), list(), nil, nil},
		{"no trail at all", sweep(), list(), nil, nil},
		{"a returned trail the sweep did not see proves nothing", sweep(main), list(main, west), nil, nil},
		// An opted-in region is read with DescribeTrails whatever ListTrails says: its trails settle nothing.
		{"an opted-in region's trail left out: read anyway, nothing missed", sweep(main, cape), list(main), nil, optedIn},
		{"an opted-in region's trail returned proves nothing", sweep(main, cape), list(main, cape), nil, optedIn},
		{"the same region not opted into (enabled by default): missed", sweep(main, cape), list(main), missed(cape), nil},
	}
	// A region that reading with ListTrails would read failed in the sweep: what the sweep saw elsewhere and not there
	// is DescribeTrails' doing, not ListTrails', so nothing is concluded (hand-built: the multi-region org trail shows
	// only in ap-south-1, and eu-west-1, the home of a listed trail, failed).
	failed := make([]regionResult, len(scope))
	failed[1].trails = []*model.Trail{{ARN: org, HomeRegion: "eu-west-1", MultiRegion: true, SeenIn: []string{"ap-south-1"}}}
	failed[2].err = &model.CallError{API: "cloudtrail:DescribeTrails", Code: "InternalFailure"}
	failed[3].trails = []*model.Trail{{ARN: main, HomeRegion: "us-east-1", MultiRegion: true, SeenIn: []string{"us-east-1"}}}
	cases = append(cases, struct {
		name    string
		results []regionResult
		listed  []listedTrail
		want    *model.ListTrailsScope
		optIn   map[string]bool
	}{"a region it would read failed in the sweep: nothing concluded", failed, list(main, west), nil, nil})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := compareListing("111111111111", "us-east-1", tc.listed, scope, tc.optIn, tc.results)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestListingEvidence: a run keeps the first verdict per partition; "misses trails" wins over "account-wide" whatever
// the order, and arriving second it records the conflict (accounts read with ListTrails in between may lack trails).
func TestListingEvidence(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	wide := &model.ListTrailsScope{AccountWide: true, Account: "111111111111", CalledIn: "us-east-1", TrailARN: "arn:aws:cloudtrail:eu-west-1:111111111111:trail/w"}
	missed := &model.ListTrailsScope{Account: "222222222222", CalledIn: "us-east-1", TrailARN: "arn:aws:cloudtrail:eu-west-1:222222222222:trail/w"}

	e := NewListingEvidence()
	if m := e.mode("aws"); m != discoveryCompare {
		t.Fatalf("nothing known: mode %q", m)
	}
	e.record("aws", wide, log)
	if m := e.mode("aws"); m != DiscoveryList {
		t.Errorf("account-wide: mode %q", m)
	}
	if m := e.mode("aws-cn"); m != discoveryCompare {
		t.Errorf("another partition: mode %q", m)
	}
	e.record("aws", missed, log)
	got := e.Scope("aws")
	if got.AccountWide || got.Account != "222222222222" || got.Conflict == "" || e.mode("aws") != DiscoverySweep {
		t.Errorf("missed after account-wide: %+v, mode %q", got, e.mode("aws"))
	}

	e = NewListingEvidence()
	e.record("aws", missed, log)
	e.record("aws", wide, log)
	if got := e.Scope("aws"); got.AccountWide || got.Conflict != "" || e.mode("aws") != DiscoverySweep {
		t.Errorf("account-wide after missed: %+v", got)
	}
	if (*ListingEvidence)(nil).Scope("aws") != nil {
		t.Error("nil evidence has a scope")
	}
}

// TestCompareIn: ListTrails is called where a region-scoped ListTrails would leave a single-region trail out.
func TestCompareIn(t *testing.T) {
	scope := []string{"ap-south-1", "eu-west-1", "us-east-1"}
	single := func(homes ...string) []regionResult {
		var r regionResult
		for _, h := range homes {
			r.trails = append(r.trails, &model.Trail{ARN: "arn:aws:cloudtrail:" + h + ":111111111111:trail/t", HomeRegion: h})
		}
		return []regionResult{r, {trails: []*model.Trail{{ARN: "m", HomeRegion: "us-east-1", MultiRegion: true}}}}
	}
	cases := []struct {
		name    string
		scope   []string
		results []regionResult
		want    string
	}{
		{"elsewhere: the home region", scope, single("eu-west-1"), "us-east-1"},
		{"in the home region: another region", scope, single("us-east-1"), "ap-south-1"},
		{"in two regions, one the home region: the home region", scope, single("us-east-1", "eu-west-1"), "us-east-1"},
		{"multi-region trails only: nothing to compare", scope, single(), ""},
		{"one region in scope: nothing to compare", []string{"us-east-1"}, single("us-east-1"), ""},
		{"home region outside scope", []string{"ap-south-1", "eu-west-1"}, single("eu-west-1"), "ap-south-1"},
		{"a trail homed outside scope is not compared", []string{"ap-south-1", "eu-west-1"}, single("us-west-2"), ""},
		{"a trail of an opted-in region only: nothing to compare", []string{"af-south-1", "us-east-1"}, single("af-south-1"), ""},
		{"never called in an opted-in region", []string{"af-south-1", "ap-south-1", "us-east-1"}, single("us-east-1"), "ap-south-1"},
	}
	optIn := map[string]bool{"af-south-1": true}
	for _, tc := range cases {
		if got := compareIn("us-east-1", tc.scope, optIn, tc.results); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// worldCT answers DescribeTrails and ListTrails for one region of a fixed world: main, multi-region, homed in
// us-east-1; west, single-region, homed in eu-west-1.
type worldCT struct {
	CloudTrailAPI
	region string
}

func (f worldCT) DescribeTrails(context.Context, *cloudtrail.DescribeTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error) {
	out := &cloudtrail.DescribeTrailsOutput{TrailList: []cttypes.Trail{{TrailARN: aws.String("arn:aws:cloudtrail:us-east-1:111111111111:trail/main"),
		HomeRegion: aws.String("us-east-1"), IsMultiRegionTrail: aws.Bool(true)}}}
	if f.region == "eu-west-1" {
		out.TrailList = append(out.TrailList, cttypes.Trail{TrailARN: aws.String("arn:aws:cloudtrail:eu-west-1:111111111111:trail/west"),
			HomeRegion: aws.String("eu-west-1"), IsMultiRegionTrail: aws.Bool(false)})
	}
	return out, nil
}

func (f worldCT) ListTrails(context.Context, *cloudtrail.ListTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.ListTrailsOutput, error) {
	return &cloudtrail.ListTrailsOutput{Trails: []cttypes.TrailInfo{trailInfo("arn:aws:cloudtrail:us-east-1:111111111111:trail/main"),
		trailInfo("arn:aws:cloudtrail:eu-west-1:111111111111:trail/west")}}, nil
}

type worldClients struct{ Clients }

func (worldClients) CloudTrail(region string) CloudTrailAPI { return worldCT{region: region} }

// TestCompareUsesItsOwnCopy: the comparison runs while the account's trails are merged (SeenIn grows as each
// region's copy is folded in) and read; it must not read those trails. Under -race (make test), sharing them is a
// reported data race (CI caught it in TestScanOrgShardsAndMerge).
func TestCompareUsesItsOwnCopy(t *testing.T) {
	col := &collector{c: worldClients{}, limit: fanout.NewLimit(4), part: "aws",
		o:    Options{HomeRegion: "us-east-1", Logger: slog.New(slog.DiscardHandler), Listing: NewListingEvidence()},
		acct: &model.Account{ID: "111111111111", Regions: []string{"eu-west-1", "us-east-1"}}}
	results, done := col.compare(t.Context())
	for _, r := range results {
		for _, tr := range r.trails {
			tr.SeenIn = append(tr.SeenIn, "merged") // what trails() does meanwhile
		}
	}
	<-done
	if s := col.o.Listing.Scope("aws"); s == nil || !s.AccountWide || s.TrailARN != "arn:aws:cloudtrail:eu-west-1:111111111111:trail/west" {
		t.Errorf("evidence %+v", s)
	}
}
