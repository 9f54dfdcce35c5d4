// Package model holds trailwatch's domain types: the inventory that every source (a live account, later IaC) is turned
// into, and the findings the controls produce from it. It imports nothing but the standard library.
//
// Conventions: times are UTC; resources are named by ARN; a pointer field that is nil means "not known" (not read,
// or not visible to the caller), which the controls never treat as a failure. The JSON form of the inventory travels
// inside shard reports so that `trailwatch merge` can judge the union exactly as one scan would.
package model

import (
	"encoding/json"
	"slices"
	"time"
)

// Inventory is everything collected in one scan.
type Inventory struct {
	Partition   string     `json:"partition"`
	CollectedAt time.Time  `json:"collected_at"`
	Accounts    []*Account `json:"accounts"`
	// SkippedAccounts are organization accounts not scanned (suspended, closed, filtered out), with the reason.
	SkippedAccounts []SkippedAccount `json:"skipped_accounts,omitempty"`
	// Organization is the organization an organization-wide scan listed; nil for account scans.
	Organization *Organization `json:"organization,omitempty"`
	// Incomplete says, one sentence each, what the scan was asked to see and did not (the account listing broke off,
	// the run was interrupted). Empty for a complete scan. A finding absent from an incomplete scan is not resolved.
	Incomplete []string `json:"incomplete,omitempty"`
	// ListTrails is what a --discovery auto run learnt of ListTrails' scope, and from which trail; nil when nothing
	// settled it (or trails were found another way).
	ListTrails *ListTrailsScope `json:"list_trails,omitempty"`
}

// ListTrailsScope is one account's evidence of ListTrails' scope (docs/controls.md, "Finding trails").
type ListTrailsScope struct {
	// AccountWide is true when ListTrails, called in CalledIn, returned TrailARN, a single-region trail homed in
	// another region (a region-scoped ListTrails cannot return it); false when it left out TrailARN, which
	// DescribeTrails showed.
	AccountWide bool   `json:"account_wide"`
	Account     string `json:"account"`
	CalledIn    string `json:"called_in"`
	TrailARN    string `json:"trail_arn"`
	// Conflict is set when the evidence came both ways in one run: accounts read with ListTrails before it was seen
	// to miss a trail may lack trails.
	Conflict string `json:"conflict,omitempty"`
}

// Organization is what an organization-wide scan read of the organization itself.
type Organization struct {
	ID                string `json:"id"`
	ManagementAccount string `json:"management_account"`
	// Listed is how many accounts ListAccounts returned; ListError is set when the listing broke off, so accounts
	// after the Listed ones were neither listed nor scanned.
	Listed    int        `json:"listed"`
	ListError *CallError `json:"list_error,omitempty"`
	// ListInterrupted: the run was interrupted before the listing ended, so the organization may have more accounts.
	ListInterrupted bool `json:"list_interrupted,omitempty"`
}

// SkippedAccount is an account left out of the scan.
type SkippedAccount struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Reason string `json:"reason"`
}

// Account is one AWS account as collected.
type Account struct {
	ID   string            `json:"id"`
	Name string            `json:"name,omitempty"`
	Tags map[string]string `json:"tags,omitempty"`
	// OU is the account's organizational unit path (for example "Workloads/Prod"), when known.
	OU string `json:"ou,omitempty"`
	// Partition is aws, aws-us-gov or aws-cn, from the caller's ARN.
	Partition string `json:"partition,omitempty"`
	// OrgID is the account's organization id (o-...), when read; used to check organization trail streams.
	OrgID string `json:"org_id,omitempty"`
	// Regions are the enabled regions in the scan's scope, sorted.
	Regions []string `json:"regions"`
	// Skipped lists regions left out of the scan, and why (not enabled, outside --regions, refused credentials).
	Skipped []SkippedRegion `json:"skipped,omitempty"`
	// RegionErrors are regions whose trail listing failed: what they hold is unknown.
	RegionErrors map[string]*CallError `json:"region_errors,omitempty"`
	// TagsErr is the account's tags failing to be read (Organizations ListTagsForResource): Tags is then unknown, not
	// empty.
	TagsErr *CallError `json:"tags_error,omitempty"`
	// OUUnknown: the account's organizational unit was not read (scan --org --accounts reads named accounts without
	// walking the OU tree): OU is then unknown, not the root.
	OUUnknown bool `json:"ou_unknown,omitempty"`
	// RegionsErr is DescribeRegions failing: the enabled regions are unknown, so the opt-in regions the account
	// enabled were not scanned (only the partition's default regions were).
	RegionsErr *CallError `json:"regions_error,omitempty"`
	// Discovery says how trails were found unless --discovery sweep was asked for: "list" (ListTrails, then
	// DescribeTrails in the regions that needed reading), "sweep (API: code)" when ListTrails failed and every
	// region was read instead, and under --discovery auto "sweep, ListTrails compared", "list (auto)" or "sweep
	// (auto)" (docs/controls.md, "Finding trails"). Empty for --discovery sweep.
	Discovery string `json:"discovery,omitempty"`
	// Trails seen in the account, one per TrailARN, including organization trails owned by another account.
	Trails []*Trail `json:"trails,omitempty"`
	// Error is set when nothing could be read from the account at all.
	Error *CallError `json:"error,omitempty"`
	// Monitoring is the CIS alarm chain read in the account (alarms and their topics); nil when not read.
	Monitoring *Monitoring `json:"monitoring,omitempty"`
	// Telemetry is how CloudWatch telemetry rules send the account's CloudTrail events to CloudWatch Logs without a trail;
	// nil when not read.
	Telemetry *Telemetry `json:"telemetry,omitempty"`
	// Alternates are where the account's CloudTrail events are kept besides CloudWatch Logs (Security Lake, CloudTrail
	// Lake); nil when not read.
	Alternates *Alternates `json:"alternates,omitempty"`
}

// Alternates is evidence of capture outside CloudWatch Logs, read in one region: it counts as capture only through an
// "alternate" exception that names it, verified on every scan.
type Alternates struct {
	Region string `json:"region"`
	// SecurityLake are the Security Lake sources collecting the account's CloudTrail management events
	// (CLOUD_TRAIL_MGMT, status COLLECTING), as "region: source (status)".
	SecurityLake []string `json:"security_lake,omitempty"`
	// SecurityLakeErr is a failed status read (GetDataLakeSources) in a region the source is enabled in.
	SecurityLakeErr *CallError `json:"security_lake_error,omitempty"`
	// SecurityLakeRegions are the scanned regions where Security Lake collects the account's CloudTrail management
	// events: its CLOUD_TRAIL_MGMT source enabled there (ListLogSources) and COLLECTING (GetDataLakeSources). Nil: not
	// known (SecurityLakeRegionsErr says why, or the inventory predates it); empty: none.
	SecurityLakeRegions    []string   `json:"security_lake_regions"`
	SecurityLakeRegionsErr *CallError `json:"security_lake_regions_error,omitempty"`
	// SecurityLakeStatus is the source's status in the scanned regions it is enabled in but does not collect
	// (MISCONFIGURED, NOT_COLLECTING, NO_DATA_LAKE).
	SecurityLakeStatus map[string]string `json:"security_lake_status,omitempty"`
	// EventDataStores are the CloudTrail Lake event data stores that capture the account's management events from every
	// region (ENABLED, MultiRegionEnabled, selectors keeping management events), by ARN; EventDataStoreStatus the status
	// of every store read (GetEventDataStore), by ARN, with why an ENABLED one does not count, so that a lapse can say
	// what was seen.
	EventDataStores      []string          `json:"event_data_stores,omitempty"`
	EventDataStoreStatus map[string]string `json:"event_data_store_status,omitempty"`
	LakeErr              *CallError        `json:"event_data_stores_error,omitempty"`
}

// SecurityLakeUncollected are the regions of regions where Security Lake does not collect the account's CloudTrail
// management events (SecurityLakeRegions), in their order; nil when its regions were not read.
func (a *Alternates) SecurityLakeUncollected(regions []string) []string {
	if a.SecurityLakeRegions == nil {
		return nil
	}
	out := []string{}
	for _, r := range regions {
		if !slices.Contains(a.SecurityLakeRegions, r) {
			out = append(out, r)
		}
	}
	return out
}

// Monitoring holds the alarms and SNS topics the alarm controls judge, as read in one account: only the regions that
// hold a judged trail's log group with metric filters, and only alarms on those filters' metrics.
type Monitoring struct {
	// Regions are the regions whose alarms were read (DescribeAlarms), sorted.
	Regions []string `json:"regions,omitempty"`
	// RegionErrors are regions whose alarms could not be read.
	RegionErrors map[string]*CallError `json:"region_errors,omitempty"`
	Alarms       []*Alarm              `json:"alarms,omitempty"`
	// Topics are the SNS topics the alarms notify, by ARN.
	Topics map[string]*Topic `json:"topics,omitempty"`
	// UnfedGroups, in infrastructure as code, are the log groups that declared metric filters are on and that no
	// trail declared in the same root module or template delivers to (the trail is declared elsewhere), with their
	// filters: the alarm chain is judged from the filter on.
	UnfedGroups []*LogGroup `json:"unfed_groups,omitempty"`
}

// TelemetryLogGroup is the log group CloudWatch telemetry rules deliver CloudTrail management events to, in each region
// (its name cannot be changed: AWS's cloud-operations best-practices guide, shared/reference/beyond-trails.md §1).
const TelemetryLogGroup = "aws/cloudtrail/managementevents"

// Telemetry is the account's CloudWatch telemetry enablement for CloudTrail (observabilityadmin).
type Telemetry struct {
	// Status is GetTelemetryEvaluationStatus's (NOT_STARTED, STARTING, RUNNING, FAILED_START, STOPPING, STOPPED, ...):
	// rules apply only while it is RUNNING.
	Status string `json:"status,omitempty"`
	// Err is the failed status read: what telemetry does in the account is unknown.
	Err          *CallError            `json:"error,omitempty"`
	RegionErrors map[string]*CallError `json:"region_errors,omitempty"`
	// RegionStatus is the evaluation status per region, where the status call said: evaluation runs in one region
	// unless it was started multi-region ("If neither Regions nor AllRegions is provided, the operation applies only
	// to the current region": API reference, StartTelemetryEvaluation), and then the home region's status and each
	// spoke region's (RegionStatuses) are given. Nil (an inventory written before 2026-12-06): Status holds everywhere.
	RegionStatus map[string]string `json:"region_status,omitempty"`
	// OrgStatus is the organization's evaluation status (GetTelemetryEvaluationStatusForOrganization, read once per
	// organization scan from the management account or a delegated administrator): its rules apply only while it is
	// RUNNING. Empty when not read; OrgErr is the failed read.
	OrgStatus       string            `json:"org_status,omitempty"`
	OrgRegionStatus map[string]string `json:"org_region_status,omitempty"`
	OrgErr          *CallError        `json:"org_error,omitempty"`
	// Rules are the account's AWS::CloudTrail rules and the organization's (Organization set), each with the
	// account's own groups.
	Rules []*TelemetryRule `json:"rules,omitempty"`
	// Channels are CloudWatch's CloudTrail service-linked channels, by region read: a region present with nil was read
	// and has none; a region absent was not read (no rule applies there, or ChannelErrors says why).
	Channels      map[string]*Channel   `json:"channels,omitempty"`
	ChannelErrors map[string]*CallError `json:"channel_errors,omitempty"`
}

// Channel is a CloudTrail service-linked channel (GetChannel): the path a telemetry rule's events take. What its
// advanced event selectors keep bounds what can reach the rule's group.
type Channel struct {
	ARN  string `json:"arn"`
	Name string `json:"name"`
	// AllRegions is its SourceConfig.ApplyToAllRegions.
	AllRegions       bool   `json:"all_regions,omitempty"`
	ManagementEvents *bool  `json:"management_events,omitempty"`
	ReadWriteType    string `json:"read_write_type,omitempty"`
}

// TelemetryRule is one AWS::CloudTrail telemetry rule.
type TelemetryRule struct {
	ARN        string `json:"arn"`
	Name       string `json:"name"`
	HomeRegion string `json:"home_region"`
	// Organization: an organization rule (CreateTelemetryRuleForOrganization), gated by Telemetry.OrgStatus.
	Organization bool `json:"organization,omitempty"`
	// Created is when the rule was created or last changed (LastUpdateTimeStamp): a rule made or changed less than
	// the pending window ago whose group has received nothing yet waits for its first delivery.
	Created *time.Time `json:"created,omitempty"`
	// Scope is an organization rule's scope (accounts or organizational units) as AWS states it; trailwatch does not
	// evaluate it: the account's own group evidence says whether the rule delivers there.
	Scope string `json:"scope,omitempty"`
	// AllRegions is the rule's AllRegions (all_regions in infrastructure as code): it applies in every region of
	// every account it reaches (live, Regions lists the account's); Source is where the code declares it.
	AllRegions bool      `json:"all_regions,omitempty"`
	Source     *Location `json:"source,omitempty"`
	// PerStack, in CloudFormation: the rule applies in the region its stack is deployed in (the resource has no
	// AllRegions).
	PerStack bool `json:"per_stack,omitempty"`
	// Unknown, in infrastructure as code, says which of the rule's values is known only at deployment.
	Unknown string `json:"unknown,omitempty"`
	// Regions are the regions it applies in (its home region and Regions, or every enabled region for AllRegions).
	Regions         []string `json:"regions,omitempty"`
	DestinationType string   `json:"destination_type,omitempty"`
	RetentionDays   *int     `json:"retention_days,omitempty"`
	// ManagementEvents and ReadWriteType are what its advanced event selectors keep (as a trail's).
	ManagementEvents *bool  `json:"management_events,omitempty"`
	ReadWriteType    string `json:"read_write_type,omitempty"`
	// Groups are its log group (aws/cloudtrail/managementevents) in each region it applies in, as read.
	Groups         map[string]*LogGroup  `json:"groups,omitempty"`
	GroupErrors    map[string]*CallError `json:"group_errors,omitempty"`
	RegionProblems []string              `json:"region_problems,omitempty"`
	Err            *CallError            `json:"error,omitempty"`
}

// MetricFilter is a CloudWatch Logs metric filter on a log group.
type MetricFilter struct {
	Name string `json:"name"`
	// Pattern is the filter pattern; PatternUnknown, in infrastructure as code, says why it is known only at
	// deployment (Pattern is then empty).
	Pattern        string `json:"pattern"`
	PatternUnknown string `json:"pattern_unknown,omitempty"`
	// GroupUnknown: in IaC, the filter's log group is known only at deployment, so it is listed on every log group
	// it may be on.
	GroupUnknown bool   `json:"group_unknown,omitempty"`
	Namespace    string `json:"namespace"`
	Metric       string `json:"metric"`
	// MetricUnknown, in infrastructure as code, says why the metric the filter publishes (Namespace, Metric) is known
	// only at deployment (both are then empty, and match no alarm).
	MetricUnknown string `json:"metric_unknown,omitempty"`
	// Value is the metric value one matching event adds ("1" for the CIS filters; may name a field, "$.x").
	Value string `json:"value"`
	// CountUnknown, in infrastructure as code, says why whether the filter is created at all is known only at
	// deployment (a count or for_each known then).
	CountUnknown string `json:"count_unknown,omitempty"`
	// ValueUnknown, in infrastructure as code, says why Value is known only at deployment (Value is then empty): what
	// one event adds, so whether an alarm fires on it, is unknown.
	ValueUnknown string `json:"value_unknown,omitempty"`
	// Source is where infrastructure as code declares the filter.
	Source *Location `json:"source,omitempty"`
}

// Alarm is a CloudWatch metric alarm.
type Alarm struct {
	ARN       string `json:"arn"`
	Name      string `json:"name"`
	Region    string `json:"region"`
	Account   string `json:"account"`
	Namespace string `json:"namespace"`
	Metric    string `json:"metric"`
	// MetricUnknown, in infrastructure as code, says why the metric the alarm watches is known only at deployment
	// (Namespace and Metric are then empty, and match no filter).
	MetricUnknown string `json:"metric_unknown,omitempty"`
	// Dimensions counts the alarm's metric dimensions: a metric filter without dimensions publishes none, so an
	// alarm that names some watches another series.
	Dimensions        int      `json:"dimensions,omitempty"`
	Statistic         string   `json:"statistic,omitempty"`
	ExtendedStatistic string   `json:"extended_statistic,omitempty"`
	Comparison        string   `json:"comparison"`
	Threshold         float64  `json:"threshold"`
	Period            int      `json:"period"`
	EvaluationPeriods int      `json:"evaluation_periods"`
	DatapointsToAlarm int      `json:"datapoints_to_alarm,omitempty"`
	ActionsEnabled    bool     `json:"actions_enabled"`
	Actions           []string `json:"actions,omitempty"`
	// MetricMath is set for an alarm on a metric math expression (not judged: UNKNOWN).
	MetricMath bool `json:"metric_math,omitempty"`
	// Unknown, in infrastructure as code, names the settings that decide whether the alarm fires on one event and are
	// known only at deployment ("comparison_operator, threshold"): whether it fires is then unknown (those settings
	// are left empty, never guessed).
	Unknown string `json:"unknown,omitempty"`
	// ActionsUnknown, in infrastructure as code, says why some of its actions are known only at deployment: they
	// may name a topic someone receives, so the alarm notifies nobody only if none of its known actions does either.
	ActionsUnknown string    `json:"actions_unknown,omitempty"`
	Source         *Location `json:"source,omitempty"`
}

// Topic is an SNS topic an alarm notifies, with the count of its subscriptions by state.
type Topic struct {
	ARN       string `json:"arn"`
	Exists    bool   `json:"exists"`
	Confirmed int    `json:"confirmed"`
	Pending   int    `json:"pending"`
	// Unconfirmable counts subscriptions whose confirmation is unknown before deployment (infrastructure as code:
	// email and http(s) endpoints, other accounts' endpoints).
	Unconfirmable int `json:"unconfirmable,omitempty"`
	// Protocols of the confirmed subscriptions, sorted and unique (endpoints are not kept: they are addresses).
	Protocols []string   `json:"protocols,omitempty"`
	Err       *CallError `json:"error,omitempty"`
	Source    *Location  `json:"source,omitempty"`
}

// SkippedRegion is a region not scanned, with the reason.
type SkippedRegion struct {
	Region string `json:"region"`
	Reason string `json:"reason"`
}

// Trail is one CloudTrail trail, deduplicated by ARN across the regions it was seen in.
type Trail struct {
	// Provider, in Terraform, is the trail's provider reference ("aws.west"): a fix declares what it creates with it.
	Provider string `json:"provider,omitempty"`
	// TelemetryFeeder, in infrastructure as code, marks a CloudWatch telemetry rule's log group in one region standing
	// as a trail for the alarm chain (its ARN is the rule's): the chain must be whole on each region's group.
	TelemetryFeeder bool   `json:"telemetry_feeder,omitempty"`
	ARN             string `json:"arn"`
	Name            string `json:"name"`
	HomeRegion      string `json:"home_region"`
	OwnerAccount    string `json:"owner_account"` // the account in the ARN
	MultiRegion     bool   `json:"multi_region"`
	Organization    bool   `json:"organization"`
	// OwnedElsewhere is true when the trail belongs to another account than the one scanned (an organization trail
	// seen from a member account).
	OwnedElsewhere bool   `json:"owned_elsewhere,omitempty"`
	LogGroupARN    string `json:"log_group_arn,omitempty"`
	RoleARN        string `json:"role_arn,omitempty"`
	// HasCustomEventSelectors from DescribeTrails; when false the trail logs all management events.
	HasCustomEventSelectors bool `json:"has_custom_event_selectors,omitempty"`
	// Delivery settings from DescribeTrails, kept so that a fix rendered as code (an imported aws_cloudtrail) states
	// them and changes nothing else.
	S3Bucket            string   `json:"s3_bucket,omitempty"`
	S3KeyPrefix         string   `json:"s3_key_prefix,omitempty"`
	KMSKeyID            string   `json:"kms_key_id,omitempty"`
	SNSTopicARN         string   `json:"sns_topic_arn,omitempty"`
	GlobalServiceEvents *bool    `json:"include_global_service_events,omitempty"`
	LogFileValidation   *bool    `json:"log_file_validation,omitempty"`
	SeenIn              []string `json:"seen_in,omitempty"`
	// JudgedByOwner is true when the trail's details were deliberately not read from this account because its owner's
	// account is scanned too (an organization trail seen from a member): the owner's judgement stands for it.
	JudgedByOwner bool `json:"judged_by_owner,omitempty"`

	Status    *TrailStatus `json:"status,omitempty"`
	StatusErr *CallError   `json:"status_error,omitempty"`
	// LogsChangedAt is the latest change to the trail's CloudWatch Logs settings (an UpdateTrail or CreateTrail that
	// set its log group or role) found in CloudTrail event history (LookupEvents in its home region), read only for a
	// trail whose configuration passes but whose delivery evidence fails; LogsChangesErr the lookup that failed.
	LogsChangedAt  *time.Time `json:"logs_changed_at,omitempty"`
	LogsChangesErr *CallError `json:"logs_changes_error,omitempty"`

	// ManagementEvents is nil when unknown (selectors unreadable).
	ManagementEvents *bool `json:"management_events,omitempty"`
	// ManagementReadWrite is which management events the selectors keep: "All" (the default, and when unknown: empty),
	// "ReadOnly" or "WriteOnly". The CIS monitoring items need All.
	ManagementReadWrite string     `json:"management_read_write,omitempty"`
	SelectorsErr        *CallError `json:"selectors_error,omitempty"`

	// LogGroup is the trail's log group as found in its account and home region; nil when not looked up.
	LogGroup    *LogGroup  `json:"log_group,omitempty"`
	LogGroupErr *CallError `json:"log_group_error,omitempty"`
	// Role is the delivery role; nil when not looked up.
	Role    *Role      `json:"role,omitempty"`
	RoleErr *CallError `json:"role_error,omitempty"`

	// Infrastructure as code only.
	// Source is where the trail is declared.
	Source *Location `json:"source,omitempty"`
	// Unknown says which of the trail's settings cannot be known before deployment, and why.
	Unknown Unknowns `json:"unknown,omitzero"`
	// NotInstantiated: the resource is not created (count = 0, a false condition).
	NotInstantiated bool `json:"not_instantiated,omitempty"`
	// Suppressions are inline suppressions found at the resource.
	Suppressions []Suppression `json:"suppressions,omitempty"`
	// Notes from the adapter that do not change the verdict.
	Notes []string `json:"notes,omitempty"`
}

// Unknowns are, in infrastructure as code, why a trail's settings can be known only at deployment: each field the
// chain that made its value unknown ("var.log_group_arn has no value"), empty when it is known. One field a setting,
// so that every adapter and the rule name the same one (a string-keyed map let a test ask for "log_group", which no
// adapter writes).
type Unknowns struct {
	// Instances: how many instances the resource has (count, for_each) is decided at deployment (a note).
	Instances string `json:"instances,omitempty"`
	// Condition: whether the resource is created at all.
	Condition string `json:"condition,omitempty"`
	// Module: the trail is declared in a module that was not read.
	Module      string `json:"module,omitempty"`
	LogGroupARN string `json:"log_group_arn,omitempty"`
	RoleARN     string `json:"role_arn,omitempty"`
	// Role: the delivery role's trust or permissions.
	Role string `json:"role,omitempty"`
}

// Location is a place in a source file, with the resource's address (Terraform) or logical id (CloudFormation).
type Location struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Address string `json:"address,omitempty"`
	// CDKPath is the aws:cdk:path metadata of a CDK-synthesized resource.
	CDKPath string `json:"cdk_path,omitempty"`
	// Root is the Terraform root module the resource was evaluated from: one module called by two roots gives two
	// resources, told apart by their root.
	Root string `json:"root,omitempty"`
}

// Suppression is an inline suppression of a check (trailwatch's own or a peer's).
type Suppression struct {
	Tool    string `json:"tool"`   // trailwatch, checkov, trivy, tfsec, cfn-guard
	Rule    string `json:"rule"`   // the control or the peer's rule id
	Reason  string `json:"reason"` // empty: reported as a suppression without a reason
	Expires string `json:"expires,omitempty"`
	Line    int    `json:"line,omitempty"`
}

// TrailStatus is what GetTrailStatus returned. A nil field was absent from the reply.
type TrailStatus struct {
	IsLogging             *bool      `json:"is_logging,omitempty"`
	LatestDelivery        *time.Time `json:"latest_cloudwatch_logs_delivery,omitempty"`
	LatestDeliveryError   *string    `json:"latest_cloudwatch_logs_delivery_error,omitempty"`
	StartLoggingTime      *time.Time `json:"start_logging,omitempty"`
	StopLoggingTime       *time.Time `json:"stop_logging,omitempty"`
	ErrorFieldsNotVisible bool       `json:"error_fields_not_visible,omitempty"` // member view of an organization trail
}

// LogGroup is a CloudWatch Logs log group.
type LogGroup struct {
	ARN           string `json:"arn"` // with ":*"
	Name          string `json:"name"`
	Region        string `json:"region"`
	Account       string `json:"account"`
	Exists        bool   `json:"exists"`
	RetentionDays *int   `json:"retention_days,omitempty"` // nil: never expire (unless RetentionUnknown)
	// RetentionUnknown (infrastructure as code): the retention is known only at deployment, and why; RetentionDays is
	// then nil and means nothing.
	RetentionUnknown string `json:"retention_unknown,omitempty"`
	Class            string `json:"class,omitempty"`
	// CreatedAt is the log group's creationTime (UTC), when read: a pipeline whose log group is this recent was
	// integrated at most this long ago.
	CreatedAt *time.Time `json:"created_at,omitempty"`
	// Source is where infrastructure as code declares the log group (a fix then edits it there).
	Source *Location `json:"source,omitempty"`
	// MetricFilters are the group's metric filters; nil when not read (MetricFiltersRead says whether they were).
	MetricFilters     []MetricFilter `json:"metric_filters,omitempty"`
	MetricFiltersRead bool           `json:"metric_filters_read,omitempty"`
	MetricFiltersErr  *CallError     `json:"metric_filters_error,omitempty"`
	// LatestIngestion is when the group last received an event (its newest stream's lastIngestionTime), read only for
	// a group a CloudWatch telemetry rule delivers to: that path has no GetTrailStatus. NoStreams: the group has none.
	LatestIngestion *time.Time `json:"latest_ingestion,omitempty"`
	NoStreams       bool       `json:"no_streams,omitempty"`
	IngestionErr    *CallError `json:"ingestion_error,omitempty"`
	// Incoming is what the group ingested on each of the last days (scan --cost): nil when not read.
	Incoming *Incoming `json:"incoming,omitempty"`
}

// Incoming is a log group's daily ingestion, from its AWS/Logs IncomingBytes metric (GetMetricData, Sum per UTC day).
type Incoming struct {
	// Start is the first day measured (00:00 UTC); DailyBytes are the uncompressed bytes ingested on each day from it,
	// oldest first, the last one yesterday (0: no datapoint, nothing ingested).
	Start      time.Time `json:"start"`
	DailyBytes []int64   `json:"daily_bytes,omitempty"`
	// Err is the failed read: the group's volume is unknown.
	Err *CallError `json:"error,omitempty"`
}

// Role is an IAM role with its policy documents (JSON, already URL-decoded).
type Role struct {
	ARN      string      `json:"arn"`
	Name     string      `json:"name"`
	Exists   bool        `json:"exists"`
	Trust    string      `json:"trust,omitempty"`
	Policies []PolicyDoc `json:"policies,omitempty"`
	// Source is where infrastructure as code declares the role.
	Source *Location `json:"source,omitempty"`
	// CreatedAt is the role's CreateDate (GetRole), UTC: a delivery role this recent was just made.
	CreatedAt *time.Time `json:"created_at,omitempty"`
	// ChangedAt is the latest change to the role's trust or permissions found in CloudTrail event history
	// (LookupEvents), read only for a trail whose configuration passes but whose delivery evidence fails; ChangedBy is
	// that event's name; ChangesErr the lookup that failed.
	ChangedAt  *time.Time `json:"changed_at,omitempty"`
	ChangedBy  string     `json:"changed_by,omitempty"`
	ChangesErr *CallError `json:"changes_error,omitempty"`
}

// PolicyDoc is one identity policy attached to a role, inline or managed.
type PolicyDoc struct {
	Name     string `json:"name,omitempty"`
	ARN      string `json:"arn,omitempty"` // managed policies only
	Document string `json:"document"`
	// Placeholders, in infrastructure as code, says why the document holds placeholders for values known only at
	// deployment ("${var.group}"): a write it allows is allowed whatever they become, a write it refuses may not be.
	Placeholders string `json:"placeholders,omitempty"`
}

// PolicyHasDeny reports whether a policy document has a Deny statement, or cannot be read as one.
func PolicyHasDeny(doc string) bool {
	var d struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return true
	}
	var one struct{ Effect string }
	var many []struct{ Effect string }
	if json.Unmarshal(d.Statement, &many) != nil {
		if json.Unmarshal(d.Statement, &one) != nil {
			return true
		}
		many = append(many, one)
	}
	for _, st := range many {
		if st.Effect != "Allow" {
			return true
		}
	}
	return false
}

// ErrorKind classifies an AWS error once, at the edge.
type ErrorKind string

// Error kinds.
const (
	ErrAccessDenied ErrorKind = "access_denied"
	ErrThrottled    ErrorKind = "throttled"
	ErrNotFound     ErrorKind = "not_found"
	// ErrCredentialsRefused: the service refused the credentials (UnrecognizedClientException, InvalidClientTokenId,
	// AuthFailure). Disabled opt-in regions answer so too, but whether a region is enabled is read from
	// DescribeRegions, never guessed from this error.
	ErrCredentialsRefused ErrorKind = "credentials_refused"
	// ErrCanceled: the call was cut short because the run was interrupted or timed out; not a finding about AWS.
	ErrCanceled ErrorKind = "canceled"
	ErrOther    ErrorKind = "other"
)

// CallError is a failed AWS call: which API, where, and the AWS error code and message.
type CallError struct {
	API     string    `json:"api"`
	Region  string    `json:"region,omitempty"`
	Code    string    `json:"code"`
	Message string    `json:"message"`
	Kind    ErrorKind `json:"kind"`
}

func (e *CallError) Error() string {
	if e.Region != "" {
		return e.API + " in " + e.Region + ": " + e.Code + ": " + e.Message
	}
	return e.API + ": " + e.Code + ": " + e.Message
}

// IsAccountID reports whether s is an AWS account id: exactly 12 digits ("AWS account identifiers", AWS Account
// Management reference guide).
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
