package collect

import (
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"

	"github.com/trailwatch/trailwatch/internal/model"
)

// ListingEvidence is what one run (a scan, a watcher) has seen of ListTrails' scope, shared by its accounts, for
// --discovery auto. AWS does not document whether ListTrails is account-wide or region-scoped (monitoring-and-
// events.md §4.5: "Lists trails that are in the current account", no word on regions; moto models it region-scoped,
// aws-samples/service-screener-v2 uses it account-wide). So auto sweeps every region, as --discovery sweep does, and
// where the sweep found a single-region trail calls ListTrails in another region to compare (collector.compare),
// until one account settles the question:
//
//   - ListTrails returned a single-region trail homed in another region than the one it was called in, which the
//     sweep confirms: a region-scoped ListTrails cannot return it, so ListTrails is account-wide. The run's later
//     accounts are read as --discovery list reads them.
//   - ListTrails left out a single-region trail the sweep found, or --discovery list would have lost a trail the
//     sweep found: the run keeps sweeping, and stops calling ListTrails.
//
// Until then (accounts with no single-region trail prove nothing either way) every account is swept, and an account
// is read with ListTrails only after the run itself saw ListTrails return what a region-scoped one cannot. Auto costs
// the sweep one ListTrails per compared account at most; opted-in regions are always read region by region.
// Evidence is kept per partition: the aws-cn and aws-us-gov partitions are separate deployments of CloudTrail.
type ListingEvidence struct {
	mu    sync.Mutex
	byPar map[string]*model.ListTrailsScope
}

// NewListingEvidence returns evidence that knows nothing yet.
func NewListingEvidence() *ListingEvidence {
	return &ListingEvidence{byPar: map[string]*model.ListTrailsScope{}}
}

// Scope returns what the run learnt in partition, or nil when nothing settled it.
func (e *ListingEvidence) Scope(partition string) *model.ListTrailsScope {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.byPar[partition]; s != nil {
		c := *s
		return &c
	}
	return nil
}

// mode is how an account of partition is read under auto: DiscoveryList once ListTrails was shown account-wide,
// DiscoverySweep once it was shown to miss trails, discoveryCompare while nothing settled it.
func (e *ListingEvidence) mode(partition string) string {
	s := e.Scope(partition)
	switch {
	case s == nil:
		return discoveryCompare
	case s.AccountWide && s.Conflict == "":
		return DiscoveryList
	}
	return DiscoverySweep
}

// record keeps what one account showed. Evidence that ListTrails misses trails wins over evidence that it does not,
// whatever the order: the run then sweeps. When it arrives after accounts were read with ListTrails, the conflict is
// recorded and logged, because those accounts relied on it.
func (e *ListingEvidence) record(partition string, s *model.ListTrailsScope, log *slog.Logger) {
	e.mu.Lock()
	defer e.mu.Unlock()
	prev := e.byPar[partition]
	switch {
	case prev == nil:
		e.byPar[partition] = s
		if s.AccountWide {
			log.Info("ListTrails returned a single-region trail of another region: it is account-wide; later accounts are read with it (--discovery auto)",
				"account_id", s.Account, "called_in", s.CalledIn, "trail_arn", s.TrailARN)
		} else {
			log.Warn("ListTrails left out a trail that DescribeTrails shows: every account is read region by region (--discovery auto)",
				"account_id", s.Account, "called_in", s.CalledIn, "trail_arn", s.TrailARN)
		}
	case prev.AccountWide && !s.AccountWide:
		c := *s
		c.Conflict = fmt.Sprintf("earlier, in account %s, ListTrails called in %s returned %s, a single-region trail of another region; accounts read with ListTrails in between may lack trails: scan again with --discovery sweep", prev.Account, prev.CalledIn, prev.TrailARN)
		e.byPar[partition] = &c
		log.Error("ListTrails evidence conflicts: it returned another region's trail in one account and left one out in another; later accounts are swept",
			"account_id", s.Account, "trail_arn", s.TrailARN, "earlier_account_id", prev.Account)
	}
}

// Auto's readings besides list and sweep: discoveryCompare while nothing is settled (the sweep, with ListTrails
// beside it); discoveryFewRegions, the sweep where ListTrails cannot save a call (two regions or fewer in scope).
const (
	discoveryCompare    = "compare"
	discoveryFewRegions = "few-regions"
)

// compareListing compares what ListTrails returned (called in calledIn) with what DescribeTrails showed in each of
// the regions in scope (results[i] is scope[i]'s). It returns nil when the account settles nothing.
// Trails homed in an opted-in region are left out of the comparison: reading with ListTrails reads those regions
// anyway (listRead).
func compareListing(account, calledIn string, listed []listedTrail, scope []string, optIn map[string]bool, results []regionResult) *model.ListTrailsScope {
	swept := map[string]*model.Trail{}
	var arns []string
	for _, r := range results {
		for _, t := range r.trails {
			if swept[t.ARN] == nil {
				swept[t.ARN] = t
				arns = append(arns, t.ARN)
			}
		}
	}
	sort.Strings(arns)
	isListed := map[string]bool{}
	for _, l := range listed {
		isListed[l.arn] = true
	}
	missed := func(arn string) *model.ListTrailsScope {
		return &model.ListTrailsScope{Account: account, CalledIn: calledIn, TrailARN: arn}
	}
	// A single-region trail ListTrails left out: --discovery list misses it in any account that also has a
	// multi-region trail.
	for _, arn := range arns {
		if t := swept[arn]; !t.MultiRegion && !optIn[t.HomeRegion] && !isListed[arn] {
			return missed(arn)
		}
	}
	// What --discovery list would have read here, from this ListTrails: anything the sweep saw that it would not.
	// Not where a region it would read failed: what is missing there is DescribeTrails' doing, not ListTrails'.
	read := listRead(listed, scope, optIn)
	var readResults []regionResult
	failed := false
	for i, region := range scope {
		if slices.Contains(read, region) {
			readResults = append(readResults, results[i])
			failed = failed || results[i].err != nil
		}
	}
	if !failed && readMultiRegion(readResults) {
		seen := map[string]bool{}
		for _, r := range readResults {
			for _, t := range r.trails {
				seen[t.ARN] = true
			}
		}
		for _, arn := range arns {
			if !seen[arn] {
				return missed(arn)
			}
		}
	}
	// A single-region trail of another region, returned: a region-scoped ListTrails cannot return it.
	for _, l := range listed {
		if t := swept[l.arn]; t != nil && !t.MultiRegion && !optIn[t.HomeRegion] && t.HomeRegion != calledIn && l.home == t.HomeRegion {
			return &model.ListTrailsScope{AccountWide: true, Account: account, CalledIn: calledIn, TrailARN: l.arn}
		}
	}
	return nil
}
