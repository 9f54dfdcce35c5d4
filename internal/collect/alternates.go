package collect

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/securitylake"
	sltypes "github.com/aws/aws-sdk-go-v2/service/securitylake/types"

	"github.com/trailwatch/trailwatch/internal/fanout"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/selectors"
)

// Evidence of capture that is not CloudWatch Logs (issue 26; shared/reference/beyond-trails.md §2): Amazon Security
// Lake collecting the account's CloudTrail management events (securitylake:GetDataLakeSources, source CLOUD_TRAIL_MGMT,
// a status COLLECTING), and CloudTrail Lake event data stores (cloudtrail:ListEventDataStores, then
// cloudtrail:GetEventDataStore for each one's status ENABLED: the list's Status "has been deprecated" and is no longer
// returned, CloudTrail API Reference, EventDataStore). Both are read in the home region, after the trails, for an
// account that no integrated multi-region trail captures: two calls, and one a store. They are reported, and count as capture only
// through an "alternate" exception that names them (a SIEM alarms on them: trailwatch cannot see that), verified on
// every scan.

// SecurityLakeAPI is the Security Lake reads.
type SecurityLakeAPI interface {
	GetDataLakeSources(context.Context, *securitylake.GetDataLakeSourcesInput, ...func(*securitylake.Options)) (*securitylake.GetDataLakeSourcesOutput, error)
	ListLogSources(context.Context, *securitylake.ListLogSourcesInput, ...func(*securitylake.Options)) (*securitylake.ListLogSourcesOutput, error)
}

// EventDataStoresAPI is the CloudTrail Lake read (the CloudTrail client has it).
type EventDataStoresAPI interface {
	ListEventDataStores(context.Context, *cloudtrail.ListEventDataStoresInput, ...func(*cloudtrail.Options)) (*cloudtrail.ListEventDataStoresOutput, error)
	GetEventDataStore(context.Context, *cloudtrail.GetEventDataStoreInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetEventDataStoreOutput, error)
}

// AlternateClients is what Clients that can read the alternates also give; without it they stay unread (nil).
type AlternateClients interface {
	SecurityLake(region string) SecurityLakeAPI
	EventDataStores(region string) EventDataStoresAPI
}

// SecurityLake returns the Security Lake client of region.
func (c *SDKClients) SecurityLake(region string) SecurityLakeAPI {
	return securitylake.NewFromConfig(c.cfg, func(o *securitylake.Options) { o.Region = region })
}

// EventDataStores returns the CloudTrail client of region (the one CloudTrail returns: the SDK's client has both).
func (c *SDKClients) EventDataStores(region string) EventDataStoresAPI {
	return c.CloudTrail(region).(*cloudtrail.Client)
}

// mayNeedAlternates reports whether the account's capture may rest on an alternate: not when a multi-region trail
// logging management events already has a CloudWatch Logs log group (the common, healthy case costs no extra call;
// the control judges that trail, and an alternate exception is never needed for it).
func (col *collector) mayNeedAlternates() bool {
	for _, t := range col.acct.Trails {
		// Healthy by what was read: logging, keeping every management event, its group there, delivered at least once
		// and no delivery error (field trial: a trail whose group was deleted, or that was stopped, skipped the read its
		// account's alternate needed). Its delivery age is the control's to judge; an alternate that then cannot be
		// verified says so.
		// An organization trail another account judges was not read here: its owner's scan says whether it delivers.
		st := t.Status
		healthy := t.OwnedElsewhere && st == nil ||
			st != nil && st.IsLogging != nil && *st.IsLogging && (st.LatestDeliveryError == nil || *st.LatestDeliveryError == "") &&
				st.LatestDelivery != nil && t.LogGroup != nil && t.LogGroup.Exists
		if t.MultiRegion && t.LogGroupARN != "" && (t.ManagementEvents == nil || *t.ManagementEvents) &&
			(t.ManagementReadWrite == "" || t.ManagementReadWrite == "All") && t.StatusErr == nil && healthy {
			return false
		}
	}
	return true
}

// alternates reads the account's Security Lake sources and CloudTrail Lake event data stores.
func (col *collector) alternates(ctx context.Context) {
	ac, ok := col.c.(AlternateClients)
	if !ok {
		return
	}
	home := col.o.HomeRegion
	ev := &model.Alternates{Region: home}
	col.acct.Alternates = ev
	col.securityLake(ctx, ac, ev)
	ev.EventDataStores, ev.EventDataStoreStatus, ev.LakeErr = enabledEventDataStores(ctx, ac.EventDataStores(home), home)
	sort.Strings(ev.SecurityLake)
	sort.Strings(ev.EventDataStores)
}

// securityLake reads where Security Lake collects the account's CloudTrail management events: the regions its
// CLOUD_TRAIL_MGMT source is enabled in (ListLogSources, from the home region), then that source's status in each of
// them the scan covers (GetDataLakeSources "retrieves a snapshot of the current Region": API reference), since a source
// enabled in a region may not collect there (MISCONFIGURED, NOT_COLLECTING). 1 + R calls at most. When the regions
// cannot be listed, the home region's status is still read, and the regions stay unknown; when the home region has no
// data lake, each scanned region is asked.
func (col *collector) securityLake(ctx context.Context, ac AlternateClients, ev *model.Alternates) {
	home := col.o.HomeRegion
	enabled, err := securityLakeRegions(ctx, ac.SecurityLake(home), col.acct.ID, home)
	var regions []string
	switch {
	case err != nil && err.Kind == model.ErrNotFound:
		// No data lake where it was asked: whether another region has one is not said (review: the API may answer per
		// region), so each scanned region is asked.
		ev.SecurityLakeRegions, regions = []string{}, slices.Clone(col.acct.Regions)
	case err != nil:
		ev.SecurityLakeRegionsErr = err
		regions = []string{home}
	default:
		ev.SecurityLakeRegions = []string{}
		for _, r := range enabled {
			if slices.Contains(col.acct.Regions, r) {
				regions = append(regions, r)
			}
		}
	}
	// The regions are read at once, within the account's concurrency; their results are taken in order.
	statuses, errs := make([]string, len(regions)), make([]*model.CallError, len(regions))
	fanout.Each(regions, 0, func(i int, region string) {
		col.bounded(func() { statuses[i], errs[i] = dataLakeStatus(ctx, ac.SecurityLake(region), col.acct.ID, region) })
	})
	for i, region := range regions {
		status, err := statuses[i], errs[i]
		switch {
		case err != nil && err.Kind == model.ErrNotFound && enabled == nil:
			continue // asked because ListLogSources could not say: no data lake here, nothing enabled
		case err != nil && err.Kind == model.ErrNotFound:
			status = "NO_DATA_LAKE"
		case err != nil:
			ev.SecurityLakeErr = err
			continue
		}
		if status == "COLLECTING" {
			ev.SecurityLake = append(ev.SecurityLake, fmt.Sprintf("%s: CLOUD_TRAIL_MGMT (COLLECTING)", region))
			if ev.SecurityLakeRegions != nil {
				ev.SecurityLakeRegions = append(ev.SecurityLakeRegions, region)
			}
			continue
		}
		if ev.SecurityLakeStatus == nil {
			ev.SecurityLakeStatus = map[string]string{}
		}
		ev.SecurityLakeStatus[region] = status
	}
}

// dataLakeStatus is the status of the account's CLOUD_TRAIL_MGMT source in region (GetDataLakeSources): COLLECTING
// when any of its resources collects, else the first other status, else "NOT_ENABLED".
func dataLakeStatus(ctx context.Context, api SecurityLakeAPI, account, region string) (string, *model.CallError) {
	status := "NOT_ENABLED"
	p := securitylake.NewGetDataLakeSourcesPaginator(api, &securitylake.GetDataLakeSourcesInput{Accounts: []string{account}})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return "", Classify("securitylake:GetDataLakeSources", region, err)
		}
		for _, s := range out.DataLakeSources {
			if aws.ToString(s.SourceName) != "CLOUD_TRAIL_MGMT" || aws.ToString(s.Account) != account {
				continue
			}
			for _, st := range s.SourceStatuses {
				switch {
				case st.Status == sltypes.SourceCollectionStatusCollecting:
					return "COLLECTING", nil
				case status == "NOT_ENABLED" && st.Status != "":
					status = string(st.Status)
				}
			}
		}
	}
	return status, nil
}

// securityLakeRegions are the regions Security Lake has account's CLOUD_TRAIL_MGMT source in (ListLogSources, one
// call a page): a source is enabled per region ("regions: ... the Regions where you want to enable Security Lake": API
// reference, CreateAwsLogSource), so a region without it is not collected.
func securityLakeRegions(ctx context.Context, api SecurityLakeAPI, account, region string) ([]string, *model.CallError) {
	regions := []string{}
	p := securitylake.NewListLogSourcesPaginator(api, &securitylake.ListLogSourcesInput{Accounts: []string{account},
		Sources: []sltypes.LogSourceResource{&sltypes.LogSourceResourceMemberAwsLogSource{Value: sltypes.AwsLogSourceResource{SourceName: sltypes.AwsLogSourceNameCloudTrailMgmt}}}})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, Classify("securitylake:ListLogSources", region, err)
		}
		for _, ls := range out.Sources {
			if aws.ToString(ls.Account) != account {
				continue
			}
			for _, src := range ls.Sources {
				if m, ok := src.(*sltypes.LogSourceResourceMemberAwsLogSource); ok && m.Value.SourceName == sltypes.AwsLogSourceNameCloudTrailMgmt {
					regions = append(regions, aws.ToString(ls.Region))
				}
			}
		}
	}
	slices.Sort(regions)
	return slices.Compact(regions), nil
}

// enabledEventDataStores lists the region's event data stores and reads each one's status (GetEventDataStore, by
// ARN): those ENABLED (ingesting) are returned. A store gone between the two calls (EventDataStoreNotFoundException,
// EventDataStoreARNInvalidException: "does not map to an event data store in your account") is not one. Any other
// failure is returned beside the stores read ENABLED (the first failure): what was seen stands, and what could not be
// read is unknown, never "no store".
func enabledEventDataStores(ctx context.Context, api EventDataStoresAPI, region string) ([]string, map[string]string, *model.CallError) {
	var arns []string
	var first *model.CallError
	var token *string
	for {
		out, err := api.ListEventDataStores(ctx, &cloudtrail.ListEventDataStoresInput{NextToken: token})
		if err != nil {
			first = Classify("cloudtrail:ListEventDataStores", region, err)
			break // the stores of the pages read are still judged
		}
		for _, s := range out.EventDataStores {
			arns = append(arns, aws.ToString(s.EventDataStoreArn))
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	var enabled []string
	var status map[string]string // every store's status, for what a lapse says
	for _, a := range arns {
		out, err := api.GetEventDataStore(ctx, &cloudtrail.GetEventDataStoreInput{EventDataStore: aws.String(a)})
		if err != nil {
			if ce := Classify("cloudtrail:GetEventDataStore", region, err); ce.Code != "EventDataStoreNotFoundException" && ce.Code != "EventDataStoreARNInvalidException" && first == nil {
				first = ce
			}
			continue
		}
		if status == nil {
			status = map[string]string{}
		}
		// A store captures the account's activity when it ingests (ENABLED), from every region (MultiRegionEnabled),
		// and keeps management events (its advanced event selectors, as a trail's are judged: review: any ENABLED
		// store counted, one of S3 data events in one region too).
		st := string(out.Status)
		multi := aws.ToBool(out.MultiRegionEnabled)
		mgmt := selectors.Management(&cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: out.AdvancedEventSelectors})
		switch {
		case out.Status != cttypes.EventDataStoreStatusEnabled:
		case !multi:
			st += ", single-region"
		case !mgmt:
			st += ", no management events"
		default:
			enabled = append(enabled, a)
		}
		status[a] = st
	}
	return enabled, status, first
}
