package awssim

import (
	"fmt"
	"slices"
	"strings"
)

// Evidence of capture outside CloudWatch Logs (shared/reference/beyond-trails.md §2): Amazon Security Lake
// (GetDataLakeSources, restJson1 POST /v1/datalake/sources; ResourceNotFoundException where the region has no data
// lake) collecting an account's CloudTrail management events (source CLOUD_TRAIL_MGMT), and CloudTrail Lake event data
// stores (ListEventDataStores, GetEventDataStore). Shapes: aws-sdk-go-v2 service/securitylake v1.25.17 and service/cloudtrail.

// SecurityLake is an account's Security Lake in one region (scenario security_lake).
type SecurityLake struct {
	Region string `yaml:"region"`
	// Status of its CLOUD_TRAIL_MGMT source: COLLECTING (default), NOT_COLLECTING or MISCONFIGURED.
	Status string `yaml:"status,omitempty"`
	Line   int    `yaml:"-"`
}

// EventDataStore is a CloudTrail Lake event data store (scenario event_data_stores).
type EventDataStore struct {
	Name   string `yaml:"name"`
	Region string `yaml:"region,omitempty"` // default the account's first region
	// Status: ENABLED (default), STOPPED_INGESTION, PENDING_DELETION, ...
	Status string `yaml:"status,omitempty"`
	// MultiRegion (default true: CreateEventDataStore's MultiRegionEnabled defaults to true) and ManagementEvents
	// (default true: a store created without selectors logs every management event; false: S3 data events only).
	MultiRegion      *bool `yaml:"multi_region,omitempty"`
	ManagementEvents *bool `yaml:"management_events,omitempty"`
	Line             int   `yaml:"-"`
}

type lakeStore struct {
	name, region, status, arn string
	multiRegion, management   bool
}

func (w *world) alternates(a *account, sa Account) error {
	for _, l := range sa.SecurityLake {
		if !a.regions[l.Region] {
			return fmt.Errorf("line %d: security_lake: region %q is not an enabled region of account %s", l.Line, l.Region, a.id)
		}
		st := l.Status
		if st == "" {
			st = "COLLECTING"
		}
		if !slices.Contains([]string{"COLLECTING", "NOT_COLLECTING", "MISCONFIGURED"}, st) {
			return fmt.Errorf("line %d: security_lake: status %q: want COLLECTING, NOT_COLLECTING or MISCONFIGURED", l.Line, st)
		}
		if a.securityLake == nil {
			a.securityLake = map[string]string{}
		}
		a.securityLake[l.Region] = st
	}
	for _, e := range sa.EventDataStores {
		region := e.Region
		if region == "" && len(a.regionList) > 0 {
			region = a.regionList[0]
		}
		st := e.Status
		if st == "" {
			st = "ENABLED"
		}
		// The statuses an event data store has (CloudTrail API Reference, EventDataStore.Status; field trial: any
		// value was accepted).
		if !slices.Contains([]string{"CREATED", "ENABLED", "PENDING_DELETION", "STARTING_INGESTION", "STOPPING_INGESTION", "STOPPED_INGESTION"}, st) {
			return fmt.Errorf("line %d: event_data_stores: status %q: want ENABLED, CREATED, PENDING_DELETION, STARTING_INGESTION, STOPPING_INGESTION or STOPPED_INGESTION", e.Line, st)
		}
		a.lakeStores = append(a.lakeStores, &lakeStore{name: e.Name, region: region, status: st,
			arn: w.arn("cloudtrail", region, a.id, "eventdatastore/"+e.Name), multiRegion: e.MultiRegion == nil || *e.MultiRegion,
			management: e.ManagementEvents == nil || *e.ManagementEvents})
	}
	return nil
}

func slGetDataLakeSources(s *Server, c *call) (any, error) {
	st, ok := c.acct.securityLake[c.region]
	if !ok {
		return nil, errf(404, "ResourceNotFoundException", "The data lake does not exist in %s", c.region)
	}
	// Security Lake's members are camelCase on the wire (its model's jsonName traits).
	return map[string]any{"dataLakeArn": s.w.arn("securitylake", c.region, c.acct.id, "data-lake/default"),
		"dataLakeSources": []map[string]any{{"account": c.acct.id, "sourceName": "CLOUD_TRAIL_MGMT",
			"sourceStatuses": []map[string]any{{"resource": "arn:" + s.w.part.Name + ":cloudtrail:" + c.region + ":" + c.acct.id + ":trail/*", "status": st}}}}}, nil
}

// ctListEventDataStores lists the region's event data stores by ARN and name only: every other member of the list's
// EventDataStore "has been deprecated" (CloudTrail API Reference, EventDataStore: AdvancedEventSelectors,
// CreatedTimestamp, MultiRegionEnabled, OrganizationEnabled, RetentionPeriod, Status, TerminationProtectionEnabled,
// UpdatedTimestamp; the SDK: "Status is no longer returned by ListEventDataStores"). GetEventDataStore has them.
func ctListEventDataStores(s *Server, c *call) (any, error) {
	out := []map[string]any{}
	for _, e := range c.acct.lakeStores {
		if e.region == c.region {
			out = append(out, map[string]any{"EventDataStoreArn": e.arn, "Name": e.name})
		}
	}
	return map[string]any{"EventDataStores": out}, nil
}

// ctGetEventDataStore answers GetEventDataStore: the store named by its ARN or the ARN's ID suffix (API reference,
// EventDataStore: "The ARN (or the ID suffix of the ARN) of the event data store"), in the region asked;
// EventDataStoreNotFoundException otherwise ("The specified event data store was not found": Errors).
func ctGetEventDataStore(s *Server, c *call) (any, error) {
	id := c.str("EventDataStore")
	for _, e := range c.acct.lakeStores {
		if e.region == c.region && (id == e.arn || strings.HasSuffix(e.arn, "/"+id)) {
			// Its selectors: management events (a store's default), or S3 object data events only (CloudTrail User
			// Guide, "Create an event data store for CloudTrail events": advanced event selectors).
			sel := map[string]any{"Name": "Management events", "FieldSelectors": []map[string]any{{"Field": "eventCategory", "Equals": []string{"Management"}}}}
			if !e.management {
				sel = map[string]any{"Name": "S3 objects", "FieldSelectors": []map[string]any{{"Field": "eventCategory", "Equals": []string{"Data"}},
					{"Field": "resources.type", "Equals": []string{"AWS::S3::Object"}}}}
			}
			return map[string]any{"EventDataStoreArn": e.arn, "Name": e.name, "Status": e.status, "MultiRegionEnabled": e.multiRegion,
				"OrganizationEnabled": false, "RetentionPeriod": 2557, "TerminationProtectionEnabled": true,
				"AdvancedEventSelectors": []map[string]any{sel}}, nil
		}
	}
	return nil, errf(400, "EventDataStoreNotFoundException", "The specified event data store %s was not found.", id)
}

// slListLogSources answers ListLogSources (restJson1 POST /v1/datalake/logsources/list): the sources configured for
// the account, one LogSource per region (its CLOUD_TRAIL_MGMT AWS source, version 2.0), filtered by the request's
// accounts, regions and sources. A source is configured per region ("regions: ... the Regions where you want to enable
// Security Lake": API reference, CreateAwsLogSource), whatever GetDataLakeSources says it collects there. Answered
// from any region [inference]; ResourceNotFoundException when the account has no data lake anywhere.
func slListLogSources(s *Server, c *call) (any, error) {
	if len(c.acct.securityLake) == 0 {
		return nil, errf(404, "ResourceNotFoundException", "The data lake does not exist")
	}
	var accounts, regions []string
	var sources []struct {
		AwsLogSource *struct {
			SourceName string `json:"sourceName"`
		} `json:"awsLogSource"`
	}
	for k, v := range map[string]any{"accounts": &accounts, "regions": &regions, "sources": &sources} {
		if err := c.decode(k, v); err != nil {
			return nil, err
		}
	}
	wantSource := len(sources) == 0
	for _, src := range sources {
		wantSource = wantSource || src.AwsLogSource != nil && src.AwsLogSource.SourceName == "CLOUD_TRAIL_MGMT"
	}
	out := []map[string]any{}
	for _, r := range c.acct.regionList {
		if _, ok := c.acct.securityLake[r]; !ok || !wantSource || len(regions) > 0 && !slices.Contains(regions, r) ||
			len(accounts) > 0 && !slices.Contains(accounts, c.acct.id) {
			continue
		}
		out = append(out, map[string]any{"account": c.acct.id, "region": r,
			"sources": []map[string]any{{"awsLogSource": map[string]any{"sourceName": "CLOUD_TRAIL_MGMT", "sourceVersion": "2.0"}}}})
	}
	return map[string]any{"sources": out}, nil
}
