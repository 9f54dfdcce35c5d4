package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/fanout"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/partition"
	"github.com/trailwatch/trailwatch/internal/selectors"
)

// Options narrow and tune the collection of one account.
type Options struct {
	// Regions narrows the scan to these regions (enabled ones only); empty scans every enabled region.
	Regions []string
	// HomeRegion is where global and region-listing calls go (STS, EC2 DescribeRegions); default us-east-1.
	HomeRegion string
	// Concurrency bounds the calls in flight for the account; default 24.
	Concurrency int
	// Logger receives debug logs; nil discards.
	Logger *slog.Logger
	// AccountID and Partition, when both set, are the account the clients reach (known from the role assumed into
	// it): the collector then skips sts:GetCallerIdentity.
	AccountID, Partition string
	// OnCaller, when set, is told the caller's ARN when the collector asks sts:GetCallerIdentity (the journal of a
	// later fix names it; the scan then asks no second time).
	OnCaller func(callerARN string)
	// OrgID, when set, is the organization id (no DescribeOrganization call).
	OrgID string
	// JudgedElsewhere reports trails owned by another account whose owner is scanned too: their details are not read
	// from this account (the owner's judgement stands), saving one status call per member per organization trail.
	JudgedElsewhere func(trailARN string) bool
	// OrgTelemetry, in an organization scan, returns the organization's telemetry rules read once for the scan
	// (ReadOrgTelemetry; it may wait for that read): they apply in this account too, and the collector reads their
	// groups here. Nil: the organization's rules are not read (a single-account scan cannot read them).
	OrgTelemetry func() *OrgTelemetry
	// Monitoring reads the CIS alarm chain too: the metric filters of each judged trail's log group, the alarms on
	// their metrics (DescribeAlarms once per region that has filters) and the topics those alarms notify
	// (ListSubscriptionsByTopic once per topic).
	Monitoring bool
	// Discovery is how trails are found: DiscoverySweep (the default when empty), DiscoveryList or DiscoveryAuto.
	Discovery string
	// Listing is the evidence of ListTrails' scope that DiscoveryAuto shares across the accounts of one run; nil
	// gives each account its own.
	Listing *ListingEvidence
}

// Discovery modes (--discovery).
const (
	// DiscoverySweep lists trails with DescribeTrails in every region in scope: one call per region, and what each
	// region shows is read from that region. The default, because it relies on nothing AWS leaves undocumented.
	DiscoverySweep = "sweep"
	// DiscoveryList lists the account's trails once with ListTrails (in the home region) and calls DescribeTrails only
	// in the regions those trails are homed in; when no multi-region trail was read that way, it reads every other
	// region in scope too (so an account whose ListTrails shows no multi-region trail, for example a member that
	// cannot list its organization's trail, is read exactly as the sweep reads it). It assumes ListTrails returns every trail the
	// account sees, of every region: AWS documents only "trails that are in the current account" (monitoring-and-
	// events.md §4.5), so it is opt-in, and `trailwatch discovery check` tests the assumption in a live account. Where
	// ListTrails fails (denied, or any other error) the account falls back to the sweep, and says so.
	DiscoveryList = "list"
	// DiscoveryAuto sweeps and calls ListTrails beside the sweep to compare, until an account shows ListTrails
	// account-wide (then later accounts are read as DiscoveryList reads them) or missing trails (then they are swept,
	// without ListTrails): see ListingEvidence. Options.Listing carries the evidence across the accounts of a run.
	DiscoveryAuto = "auto"
)

// Account collects the account the clients' credentials belong to. It never returns an error: what could not be read
// is recorded in the account (Error, RegionErrors, or a trail's *Err fields).
func Account(ctx context.Context, c Clients, o Options) *model.Account {
	if o.HomeRegion == "" {
		o.HomeRegion = "us-east-1"
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 24
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Discovery == DiscoveryAuto && o.Listing == nil {
		o.Listing = NewListingEvidence()
	}
	col := &collector{c: c, o: o, limit: fanout.NewLimit(o.Concurrency), groups: map[string]*groupResult{}, roles: map[string]*roleResult{}}
	return col.run(ctx)
}

type collector struct {
	c    Clients
	o    Options
	acct *model.Account
	part string
	// optIn are the enabled regions DescribeRegions calls "opted-in": read with DescribeTrails in every mode.
	optIn map[string]bool

	limit  *fanout.Limit // the account's calls at once, shared by every fan-out of its collection
	mu     sync.Mutex
	groups map[string]*groupResult
	roles  map[string]*roleResult
}

type groupResult struct {
	once sync.Once
	lg   *model.LogGroup
	err  *model.CallError
}

type roleResult struct {
	once sync.Once
	role *model.Role
	err  *model.CallError
}

func (col *collector) run(ctx context.Context) *model.Account {
	a := &model.Account{RegionErrors: map[string]*model.CallError{}}
	col.acct = a
	// Who am I and which regions are enabled do not depend on each other: ask both at once.
	var regions *ec2.DescribeRegionsOutput
	var regionsErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		regions, regionsErr = col.c.EC2(col.o.HomeRegion).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	}()
	if col.o.AccountID != "" && col.o.Partition != "" {
		a.ID, col.part = col.o.AccountID, col.o.Partition
		<-done
	} else {
		id, err := col.c.STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		<-done
		if err != nil {
			a.Error = Classify("sts:GetCallerIdentity", "", err)
			return a
		}
		a.ID = aws.ToString(id.Account)
		col.part = awsarn.Partition(aws.ToString(id.Arn))
		if col.o.OnCaller != nil {
			col.o.OnCaller(aws.ToString(id.Arn))
		}
	}
	a.Partition = col.part
	col.o.Logger.Debug("collect account", "account_id", a.ID, "partition", col.part)
	col.regions(regions, regionsErr)
	// Telemetry rules (capture without a trail) are read beside the trails: neither waits for the other.
	tdone := make(chan struct{})
	readTelemetry := a.Error == nil
	go func() {
		defer close(tdone)
		if readTelemetry {
			col.telemetry(ctx)
		}
	}()
	col.trails(ctx)
	<-tdone
	if a.Error == nil && col.mayNeedAlternates() {
		col.alternates(ctx)
	}
	if col.o.Monitoring && a.Error == nil {
		col.monitoring(ctx)
	}
	return a
}

// regions reads the enabled regions (EC2 DescribeRegions) and applies --regions.
func (col *collector) regions(out *ec2.DescribeRegionsOutput, err error) {
	a := col.acct
	var enabled []string
	col.optIn = map[string]bool{}
	if err == nil {
		for _, r := range out.Regions {
			enabled = append(enabled, aws.ToString(r.RegionName))
			if aws.ToString(r.OptInStatus) == "opted-in" {
				col.optIn[aws.ToString(r.RegionName)] = true
			}
		}
	} else {
		ce := Classify("ec2:DescribeRegions", col.o.HomeRegion, err)
		a.RegionsErr = ce
		p, _ := partition.Lookup(col.part)
		enabled = p.Defaults
		if ce.Kind != model.ErrCanceled {
			col.o.Logger.Warn("cannot list enabled regions; assuming the partition's default regions", "account_id", a.ID, "error", ce.Error())
		}
		a.Skipped = append(a.Skipped, model.SkippedRegion{Region: "*", Reason: fmt.Sprintf("enabled regions unknown (%s: %s); scanned the partition's default regions", ce.API, ce.Code)})
	}
	sort.Strings(enabled)
	if len(col.o.Regions) == 0 {
		a.Regions = enabled
		return
	}
	want := map[string]bool{}
	for _, r := range col.o.Regions {
		want[r] = true
	}
	isEnabled := map[string]bool{}
	for _, r := range enabled {
		isEnabled[r] = true
		if want[r] {
			a.Regions = append(a.Regions, r)
		} else {
			a.Skipped = append(a.Skipped, model.SkippedRegion{Region: r, Reason: "outside --regions"})
		}
	}
	for _, r := range col.o.Regions {
		if !isEnabled[r] {
			a.Skipped = append(a.Skipped, model.SkippedRegion{Region: r, Reason: "not enabled in this account"})
		}
	}
	sort.Slice(a.Skipped, func(i, j int) bool { return a.Skipped[i].Region < a.Skipped[j].Region })
}

// trails lists trails in every region in scope, deduplicates them by ARN, and reads each one's details.
func (col *collector) trails(ctx context.Context) {
	a := col.acct
	swept := a.Regions
	var listed []listedTrail
	var results []regionResult
	mode := col.o.Discovery
	if mode == DiscoveryAuto {
		mode = col.o.Listing.mode(col.part)
		if mode == DiscoveryList && len(a.Regions) <= 2 {
			// ListTrails and one DescribeTrails cannot cost less than two DescribeTrails (a watcher's re-read of
			// the event's region, a scan narrowed by --regions).
			mode = discoveryFewRegions
		}
	}
	switch mode {
	case DiscoveryList:
		var ok bool
		if listed, ok = col.listTrails(ctx); ok {
			swept = listRead(listed, a.Regions, col.optIn)
		}
		if col.o.Discovery == DiscoveryAuto && a.Discovery == DiscoveryList {
			a.Discovery = DiscoveryList + " (auto)"
		}
	case discoveryCompare:
		var compared <-chan struct{}
		results, compared = col.compare(ctx)
		defer func() { <-compared }()
	case DiscoverySweep:
		if col.o.Discovery == DiscoveryAuto {
			a.Discovery = DiscoverySweep + " (auto: ListTrails was seen to miss trails)"
		}
	case discoveryFewRegions:
		a.Discovery = DiscoverySweep + " (auto: too few regions for ListTrails to save a call)"
	}
	if results == nil {
		results = col.describe(ctx, swept)
	}
	if len(swept) < len(a.Regions) {
		// Without a multi-region trail read in its home region, the regions not read yet are read too: an account is
		// never found to have no trail, or no multi-region trail, from ListTrails alone.
		if rest := unread(a.Regions, swept); !readMultiRegion(results) {
			results = append(results, col.describe(ctx, rest)...)
			swept = append(slices.Clone(swept), rest...)
		}
		col.o.Logger.Debug("trails listed", "account_id", a.ID, "listed", len(listed), "regions_read", len(swept), "regions", len(a.Regions))
	}
	byARN := map[string]*model.Trail{}
	for i, r := range results {
		region := swept[i]
		if r.err != nil {
			// Every region here is enabled (DescribeRegions said so): an error, whatever its code, leaves the
			// region's trails unknown. It never makes the region "not enabled".
			a.RegionErrors[region] = r.err
			continue
		}
		for _, t := range r.trails {
			if prev := byARN[t.ARN]; prev != nil {
				prev.SeenIn = append(prev.SeenIn, region)
				continue
			}
			byARN[t.ARN] = t
			a.Trails = append(a.Trails, t)
		}
	}
	if denied := allRefused(a, swept); denied != nil {
		// Refused everywhere: one account-level error, not one per region.
		a.Error, a.RegionErrors = denied, map[string]*model.CallError{}
		return
	}
	sort.Slice(a.Trails, func(i, j int) bool { return a.Trails[i].ARN < a.Trails[j].ARN })

	a.OrgID = col.o.OrgID
	for _, t := range a.Trails {
		if t.Organization && !t.OwnedElsewhere && a.OrgID == "" {
			col.orgID(ctx)
			break
		}
	}
	var detailed []*model.Trail
	for _, t := range a.Trails {
		if t.OwnedElsewhere && col.o.JudgedElsewhere != nil && col.o.JudgedElsewhere(t.ARN) {
			t.JudgedByOwner = true
			continue
		}
		detailed = append(detailed, t)
	}
	fanout.Each(detailed, 0, func(_ int, t *model.Trail) { col.details(ctx, t) })
}

// describe calls DescribeTrails (with shadow trails) in each region, within the concurrency limit.
func (col *collector) describe(ctx context.Context, regions []string) []regionResult {
	results := make([]regionResult, len(regions))
	fanout.Each(regions, 0, func(i int, region string) {
		col.bounded(func() {
			out, err := col.c.CloudTrail(region).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
			if err != nil {
				results[i].err = Classify("cloudtrail:DescribeTrails", region, err)
				return
			}
			for _, t := range out.TrailList {
				results[i].trails = append(results[i].trails, col.trailOf(t, region))
			}
		})
	})
	return results
}

// compare is --discovery auto's reading while nothing is settled: the sweep of every region in scope and, where the
// sweep found a single-region trail (elsewhere ListTrails can settle nothing: both readings return the same),
// ListTrails in a region other than that trail's home, compared with the sweep (compareListing) to add to the run's
// evidence. ListTrails runs beside the account's trail details: the returned channel closes when it is done.
func (col *collector) compare(ctx context.Context) ([]regionResult, <-chan struct{}) {
	a := col.acct
	results := col.describe(ctx, a.Regions)
	done := make(chan struct{})
	region := compareIn(col.o.HomeRegion, a.Regions, col.optIn, results)
	if region == "" {
		a.Discovery = DiscoverySweep + " (auto: no single-region trail to compare ListTrails with)"
		close(done)
		return results, done
	}
	// The comparison runs while the account's trails are merged and read (SeenIn grows): it gets its own copy.
	snapshot := make([]regionResult, len(results))
	for i, r := range results {
		snapshot[i].err = r.err
		for _, t := range r.trails {
			snapshot[i].trails = append(snapshot[i].trails, &model.Trail{ARN: t.ARN, HomeRegion: t.HomeRegion,
				MultiRegion: t.MultiRegion, SeenIn: []string{a.Regions[i]}})
		}
	}
	go func() {
		defer close(done)
		listed, err := col.allTrails(ctx, region)
		if err != nil {
			ce := Classify("cloudtrail:ListTrails", region, err)
			a.Discovery = fmt.Sprintf("%s (auto; %s: %s)", DiscoverySweep, ce.API, ce.Code)
			return
		}
		a.Discovery = DiscoverySweep + ", ListTrails compared"
		if s := compareListing(a.ID, region, listed, a.Regions, col.optIn, snapshot); s != nil {
			col.o.Listing.record(col.part, s, col.o.Logger)
		}
	}()
	return results, done
}

// compareIn picks the region to call ListTrails in: one that is not the home of a single-region trail the sweep
// found (the home region when it qualifies), so that a region-scoped ListTrails would leave that trail out and an
// account-wide one would return it. "" when the sweep found no single-region trail, or scope has one region.
// Opted-in regions are neither compared (listRead always reads them) nor called.
func compareIn(home string, scope []string, optIn map[string]bool, results []regionResult) string {
	homes := map[string]bool{}
	for _, r := range results {
		for _, t := range r.trails {
			if !t.MultiRegion && slices.Contains(scope, t.HomeRegion) && !optIn[t.HomeRegion] {
				homes[t.HomeRegion] = true
			}
		}
	}
	if len(homes) == 0 {
		return ""
	}
	if slices.Contains(scope, home) && !optIn[home] && (len(homes) > 1 || !homes[home]) {
		return home
	}
	for _, r := range scope {
		if !optIn[r] && (!homes[r] || len(homes) > 1) {
			return r
		}
	}
	return ""
}

// regionResult is what DescribeTrails returned in one region.
type regionResult struct {
	trails []*model.Trail
	err    *model.CallError
}

// allRefused returns the error when every region read refused to list trails alike: access denied, or the
// credentials refused (expired, revoked, a wrong secret). One account-level error, not one per region.
func allRefused(a *model.Account, read []string) *model.CallError {
	if len(read) == 0 || len(a.RegionErrors) != len(read) {
		return nil
	}
	var first *model.CallError
	for _, r := range read {
		e := a.RegionErrors[r]
		if e == nil || e.Kind != model.ErrAccessDenied && e.Kind != model.ErrCredentialsRefused || first != nil && e.Kind != first.Kind {
			return nil
		}
		if first == nil {
			first = e
		}
	}
	return &model.CallError{API: first.API, Code: first.Code, Kind: first.Kind,
		Message: fmt.Sprintf("refused in every region in scope (%d): %s", len(read), first.Message)}
}

// listedTrail is one ListTrails entry.
type listedTrail struct{ arn, home string }

// listTrails pages through ListTrails in the home region. ok is false when it failed: the caller then sweeps, and the
// account records why.
func (col *collector) listTrails(ctx context.Context) (out []listedTrail, ok bool) {
	trails, err := col.allTrails(ctx, col.o.HomeRegion)
	if err != nil {
		ce := Classify("cloudtrail:ListTrails", col.o.HomeRegion, err)
		col.acct.Discovery = fmt.Sprintf("%s (%s: %s)", DiscoverySweep, ce.API, ce.Code)
		if ctx.Err() == nil {
			col.o.Logger.Info("cannot list trails; listing them region by region instead", "account_id", col.acct.ID, "error", ce.Error())
		}
		return nil, false
	}
	col.acct.Discovery = DiscoveryList
	return trails, true
}

// maxTrailPages bounds ListTrails paging: an account has at most 5 trails per region (CloudTrail quotas), so even
// 50 regions fit in a few pages; more means the token does not advance.
const maxTrailPages = 100

// allTrails pages through ListTrails in region, each page within the concurrency limit.
func (col *collector) allTrails(ctx context.Context, region string) ([]listedTrail, error) {
	ct := col.c.CloudTrail(region)
	var out []listedTrail
	var token *string
	for range maxTrailPages {
		var page *cloudtrail.ListTrailsOutput
		var err error
		col.bounded(func() { page, err = ct.ListTrails(ctx, &cloudtrail.ListTrailsInput{NextToken: token}) })
		if err != nil {
			return nil, err
		}
		for _, t := range page.Trails {
			if aws.ToString(t.TrailARN) == "" || aws.ToString(t.HomeRegion) == "" {
				// Where it is homed is what reading with ListTrails needs: without it the trail's region would not be
				// read. The account is swept instead.
				return nil, fmt.Errorf("ListTrails returned a trail without its ARN or home region (%q, %q)", aws.ToString(t.TrailARN), aws.ToString(t.HomeRegion))
			}
			out = append(out, listedTrail{arn: aws.ToString(t.TrailARN), home: aws.ToString(t.HomeRegion)})
		}
		if page.NextToken == nil || *page.NextToken == "" {
			return out, nil
		}
		if token != nil && *page.NextToken == *token {
			return nil, fmt.Errorf("ListTrails returned the same NextToken twice (%q): paging does not advance", *token)
		}
		token = page.NextToken
	}
	return nil, fmt.Errorf("ListTrails did not finish in %d pages", maxTrailPages)
}

// listRead returns the regions in scope that reading with ListTrails reads with DescribeTrails, in scope order: the
// home regions of the listed trails, and every opted-in region. AWS documents, for a region that must be opted into,
// only that "CloudTrail creates an identical copy of each multi-Region trail in the opt-in Region that you enabled"
// (CloudTrail user guide, "Working with multi-Region trails and opt-in Regions"): nothing says whether ListTrails,
// called elsewhere, returns the single-region trails homed there, and evidence from the default regions does not
// cover them. So they are read as the sweep reads them, one DescribeTrails each, and never judged from ListTrails.
func listRead(listed []listedTrail, scope []string, optIn map[string]bool) []string {
	homes := map[string]bool{}
	for _, t := range listed {
		homes[t.home] = true
	}
	var out []string
	for _, r := range scope {
		if homes[r] || optIn[r] {
			out = append(out, r)
		}
	}
	return out
}

// unread returns the regions in scope not in read.
func unread(scope, read []string) []string {
	var out []string
	for _, r := range scope {
		if !slices.Contains(read, r) {
			out = append(out, r)
		}
	}
	return out
}

// readMultiRegion reports whether a multi-region trail was read in its home region: its shadow copies are in every
// enabled region ("a trail that applies to all AWS Regions", CloudTrail user guide, "How CloudTrail works"), so those
// regions show it without being read.
func readMultiRegion(results []regionResult) bool {
	for _, r := range results {
		for _, t := range r.trails {
			if t.MultiRegion && slices.Contains(t.SeenIn, t.HomeRegion) {
				return true
			}
		}
	}
	return false
}

func (col *collector) orgID(ctx context.Context) {
	out, err := col.c.Organizations().DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		if ctx.Err() == nil { // an interruption is said once, by the command, not as a warning per account
			col.o.Logger.Warn("cannot read the organization id; organization trail stream permissions are checked without it",
				"account_id", col.acct.ID, "error", Classify("organizations:DescribeOrganization", "", err).Error())
		}
		return
	}
	if out.Organization != nil {
		col.acct.OrgID = aws.ToString(out.Organization.Id)
	}
}

// trailOf converts a DescribeTrails entry seen in region.
func (col *collector) trailOf(t cttypes.Trail, region string) *model.Trail {
	trailARN := aws.ToString(t.TrailARN)
	owner := ""
	if a, err := arn.Parse(trailARN); err == nil {
		owner = a.AccountID
	}
	return &model.Trail{
		ARN: trailARN, Name: aws.ToString(t.Name), HomeRegion: aws.ToString(t.HomeRegion), OwnerAccount: owner,
		MultiRegion: aws.ToBool(t.IsMultiRegionTrail), Organization: aws.ToBool(t.IsOrganizationTrail),
		OwnedElsewhere: owner != col.acct.ID, LogGroupARN: aws.ToString(t.CloudWatchLogsLogGroupArn),
		RoleARN: aws.ToString(t.CloudWatchLogsRoleArn), HasCustomEventSelectors: aws.ToBool(t.HasCustomEventSelectors),
		SeenIn: []string{region}, S3Bucket: aws.ToString(t.S3BucketName), S3KeyPrefix: aws.ToString(t.S3KeyPrefix),
		KMSKeyID: aws.ToString(t.KmsKeyId), SNSTopicARN: aws.ToString(t.SnsTopicARN),
		GlobalServiceEvents: t.IncludeGlobalServiceEvents, LogFileValidation: t.LogFileValidationEnabled,
	}
}

// details reads a trail's status and event selectors (home region, by ARN) and, for trails the account owns, its log
// group and delivery role.
func (col *collector) details(ctx context.Context, t *model.Trail) {
	ct := col.c.CloudTrail(t.HomeRegion)
	status := func() {
		col.bounded(func() {
			st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(t.ARN)})
			if err != nil {
				t.StatusErr = Classify("cloudtrail:GetTrailStatus", t.HomeRegion, err)
				return
			}
			t.Status = &model.TrailStatus{
				IsLogging: st.IsLogging, LatestDelivery: utc(st.LatestCloudWatchLogsDeliveryTime),
				LatestDeliveryError: st.LatestCloudWatchLogsDeliveryError, StartLoggingTime: utc(st.StartLoggingTime),
				StopLoggingTime: utc(st.StopLoggingTime), ErrorFieldsNotVisible: t.OwnedElsewhere,
			}
		})
	}
	var sel, group, role func()
	// Without custom selectors a trail logs all management events (HasCustomEventSelectors false): no call needed.
	if t.HasCustomEventSelectors {
		sel = func() {
			col.bounded(func() {
				out, err := ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(t.ARN)})
				if err != nil {
					t.SelectorsErr = Classify("cloudtrail:GetEventSelectors", t.HomeRegion, err)
					return
				}
				t.ManagementEvents, t.ManagementReadWrite = selectors.Kept(out)
			})
		}
	} else {
		mgmt := true
		t.ManagementEvents = &mgmt
	}
	if !t.OwnedElsewhere && t.LogGroupARN != "" {
		group = func() { t.LogGroup, t.LogGroupErr = col.logGroup(ctx, t.LogGroupARN) }
		if t.RoleARN != "" {
			role = func() { t.Role, t.RoleErr = col.role(ctx, t.RoleARN) }
		}
	}
	fanout.All(status, sel, group, role) // All skips the nil ones
}

// bounded runs fn, a unit of sequential API calls, within the account's concurrency limit.
func (col *collector) bounded(fn func()) { col.limit.Do(fn) }

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// logGroup finds a trail's log group: DescribeLogGroups in the group's region with the name as prefix, paging until the
// exact name. A group in another account than the scanned one cannot be read and is reported as not found there.
func (col *collector) logGroup(ctx context.Context, groupARN string) (*model.LogGroup, *model.CallError) {
	g, ok := awsarn.ParseLogGroup(groupARN)
	if !ok {
		return nil, nil
	}
	name, region, acct := g.Name, g.Region, g.Account
	lg := &model.LogGroup{ARN: g.ARN(), Name: name, Region: region, Account: acct}
	if acct != col.acct.ID || !slices.Contains(col.acct.Regions, region) && !col.knownRegion(region) {
		return lg, nil
	}
	key := region + "\x00" + name
	col.mu.Lock()
	res := col.groups[key]
	if res == nil {
		res = &groupResult{}
		col.groups[key] = res
	}
	col.mu.Unlock()
	res.once.Do(func() { col.bounded(func() { col.findGroup(ctx, res, lg, region, name) }) })
	return res.lg, res.err
}

// findGroup pages DescribeLogGroups with the name as prefix until the exact name.
func (col *collector) findGroup(ctx context.Context, res *groupResult, lg *model.LogGroup, region, name string) {
	{
		p := cloudwatchlogs.NewDescribeLogGroupsPaginator(col.c.Logs(region), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
		found := *lg
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				res.err = Classify("logs:DescribeLogGroups", region, err)
				return
			}
			for _, g := range out.LogGroups {
				if aws.ToString(g.LogGroupName) == name {
					found.Exists = true
					if g.RetentionInDays != nil {
						d := int(*g.RetentionInDays)
						found.RetentionDays = &d
					}
					found.Class = string(g.LogGroupClass)
					if g.CreationTime != nil {
						c := time.UnixMilli(*g.CreationTime).UTC()
						found.CreatedAt = &c
					}
					if g.Arn != nil {
						found.ARN = aws.ToString(g.Arn)
					}
					res.lg = &found
					return
				}
			}
		}
		res.lg = &found
	}
}

func (col *collector) knownRegion(region string) bool {
	p, _ := partition.Lookup(col.part)
	return p.Known(region)
}

// role reads a delivery role with its trust policy and every inline and attached policy.
func (col *collector) role(ctx context.Context, arn string) (*model.Role, *model.CallError) {
	name := awsarn.RoleName(arn)
	r := &model.Role{ARN: arn, Name: name}
	if a, ok := awsarn.Parse(arn); !ok || a.Service != "iam" || a.AccountID != col.acct.ID || !strings.HasPrefix(a.Resource, "role/") {
		return r, nil // another account's role: CloudTrail cannot use it either
	}
	col.mu.Lock()
	res := col.roles[arn]
	if res == nil {
		res = &roleResult{}
		col.roles[arn] = res
	}
	col.mu.Unlock()
	res.once.Do(func() { col.bounded(func() { res.role, res.err = col.readRole(ctx, r) }) })
	return res.role, res.err
}

func (col *collector) readRole(ctx context.Context, r *model.Role) (*model.Role, *model.CallError) {
	c := col.c.IAM()
	out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(r.Name)})
	if err != nil {
		ce := Classify("iam:GetRole", "", err)
		if ce.Kind == model.ErrNotFound {
			return r, nil
		}
		return nil, ce
	}
	if aws.ToString(out.Role.Arn) != r.ARN {
		return r, nil // same name, other path: not the role the trail names
	}
	r.Exists = true
	r.Trust = decode(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if d := out.Role.CreateDate; d != nil {
		utc := d.UTC()
		r.CreatedAt = &utc
	}
	// Inline and attached policies are listed at once; each list is read in order.
	var inline, attached []model.PolicyDoc
	var inlineErr, attachedErr *model.CallError
	fanout.All(func() { inline, inlineErr = col.inlinePolicies(ctx, c, r.Name) },
		func() { attached, attachedErr = col.attachedPolicies(ctx, c, r.Name) })
	if inlineErr != nil {
		return nil, inlineErr
	}
	if attachedErr != nil {
		return nil, attachedErr
	}
	r.Policies = append(inline, attached...)
	return r, nil
}

func (col *collector) inlinePolicies(ctx context.Context, c IAMAPI, role string) ([]model.PolicyDoc, *model.CallError) {
	var out []model.PolicyDoc
	names := iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
	for names.HasMorePages() {
		page, err := names.NextPage(ctx)
		if err != nil {
			return nil, Classify("iam:ListRolePolicies", "", err)
		}
		for _, pn := range page.PolicyNames {
			doc, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(pn)})
			if err != nil {
				return nil, Classify("iam:GetRolePolicy", "", err)
			}
			out = append(out, model.PolicyDoc{Name: pn, Document: decode(aws.ToString(doc.PolicyDocument))})
		}
	}
	return out, nil
}

func (col *collector) attachedPolicies(ctx context.Context, c IAMAPI, role string) ([]model.PolicyDoc, *model.CallError) {
	var out []model.PolicyDoc
	att := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	for att.HasMorePages() {
		page, err := att.NextPage(ctx)
		if err != nil {
			return nil, Classify("iam:ListAttachedRolePolicies", "", err)
		}
		for _, ap := range page.AttachedPolicies {
			pol, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: ap.PolicyArn})
			if err != nil {
				return nil, Classify("iam:GetPolicy", "", err)
			}
			ver, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: ap.PolicyArn, VersionId: pol.Policy.DefaultVersionId})
			if err != nil {
				return nil, Classify("iam:GetPolicyVersion", "", err)
			}
			out = append(out, model.PolicyDoc{Name: aws.ToString(ap.PolicyName), ARN: aws.ToString(ap.PolicyArn),
				Document: decode(aws.ToString(ver.PolicyVersion.Document))})
		}
	}
	return out, nil
}

// decode undoes IAM's URL encoding of policy documents (RFC 3986; the SDK does not decode them).
func decode(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// Classify maps an AWS error, once, to a CallError with a domain kind.
func Classify(api, region string, err error) *model.CallError {
	ce := &model.CallError{API: api, Region: region, Kind: model.ErrOther, Code: "Error", Message: err.Error()}
	var qe ratelimit.QuotaExceededError
	if errors.As(err, &qe) {
		ce.Kind, ce.Code, ce.Message = model.ErrThrottled, "RetryQuotaExceeded", "the SDK's retry quota ran out under throttling"
		return ce
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		var ne net.Error
		switch {
		case errors.Is(err, context.Canceled):
			ce.Kind, ce.Code = model.ErrCanceled, "Canceled"
		case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
			// --call-timeout (an attempt) or --account-timeout (the account) ran out: an ERROR on what it touched.
			ce.Code, ce.Message = "TimedOut", "timed out: "+err.Error()
		}
		return ce
	}
	ce.Code, ce.Message = ae.ErrorCode(), ae.ErrorMessage()
	if _, ok := retry.DefaultThrottleErrorCodes[ce.Code]; ok {
		// Throttling is what the SDK's own retryer calls throttling (aws/retry DefaultThrottleErrorCodes): one list
		// for the classifier, the call recorder and the retryer (issue 22: two hand-kept lists differed).
		ce.Kind = model.ErrThrottled
		return ce
	}
	switch ce.Code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AuthorizationError",
		"CloudTrailARNInvalidException", "OperationNotPermittedException":
		ce.Kind = model.ErrAccessDenied
	case "UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure", "SignatureDoesNotMatch", "InvalidSignatureException",
		"ExpiredToken", "ExpiredTokenException":
		// A disabled opt-in region refuses the credentials so (prowler-cloud/prowler#1808), but so do revoked or
		// expired keys in an enabled one, a wrong secret key (the signature does not match), and a session token that
		// expired during a long scan: the kind says what happened, not why.
		ce.Kind = model.ErrCredentialsRefused
	case "TrailNotFoundException", "NoSuchEntity", "ResourceNotFoundException", "ResourceNotFound", "NotFound":
		ce.Kind = model.ErrNotFound
	}
	return ce
}
