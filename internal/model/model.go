// Package model holds trailwatch's domain types: the inventory that every source (a live account, later IaC) is turned
// into, and the findings the controls produce from it. It imports nothing but the standard library.
//
// Conventions: times are UTC; resources are named by ARN; a pointer field that is nil means "not known" (not read,
// or not visible to the caller), which the controls never treat as a failure.
package model

import "time"

// Inventory is everything collected in one scan.
type Inventory struct {
	Partition   string
	CollectedAt time.Time
	Accounts    []*Account
}

// Account is one AWS account as collected.
type Account struct {
	ID   string
	Name string
	Tags map[string]string
	// Partition is aws, aws-us-gov or aws-cn, from the caller's ARN.
	Partition string
	// OrgID is the account's organization id (o-...), when read; used to check organization trail streams.
	OrgID string
	// Regions are the enabled regions in the scan's scope, sorted.
	Regions []string
	// Skipped lists regions left out of the scan, and why (not enabled, outside --regions, refused credentials).
	Skipped []SkippedRegion
	// RegionErrors are regions whose trail listing failed: what they hold is unknown.
	RegionErrors map[string]*CallError
	// Trails seen in the account, one per TrailARN, including organization trails owned by another account.
	Trails []*Trail
	// Error is set when nothing could be read from the account at all.
	Error *CallError
}

// SkippedRegion is a region not scanned, with the reason.
type SkippedRegion struct {
	Region string `json:"region"`
	Reason string `json:"reason"`
}

// Trail is one CloudTrail trail, deduplicated by ARN across the regions it was seen in.
type Trail struct {
	ARN          string
	Name         string
	HomeRegion   string
	OwnerAccount string // the account in the ARN
	MultiRegion  bool
	Organization bool
	// OwnedElsewhere is true when the trail belongs to another account than the one scanned (an organization trail
	// seen from a member account).
	OwnedElsewhere bool
	LogGroupARN    string
	RoleARN        string
	// HasCustomEventSelectors from DescribeTrails; when false the trail logs all management events.
	HasCustomEventSelectors bool
	SeenIn                  []string

	Status    *TrailStatus
	StatusErr *CallError

	// ManagementEvents is nil when unknown (selectors unreadable).
	ManagementEvents *bool
	SelectorsErr     *CallError

	// LogGroup is the trail's log group as found in its account and home region; nil when not looked up.
	LogGroup    *LogGroup
	LogGroupErr *CallError
	// Role is the delivery role; nil when not looked up.
	Role    *Role
	RoleErr *CallError
}

// TrailStatus is what GetTrailStatus returned. A nil field was absent from the reply.
type TrailStatus struct {
	IsLogging             *bool
	LatestDelivery        *time.Time // LatestCloudWatchLogsDeliveryTime
	LatestDeliveryError   *string    // LatestCloudWatchLogsDeliveryError; nil when absent
	StartLoggingTime      *time.Time
	StopLoggingTime       *time.Time
	ErrorFieldsNotVisible bool // member view of an organization trail: AWS omits the error fields
}

// LogGroup is a CloudWatch Logs log group.
type LogGroup struct {
	ARN           string // with ":*"
	Name          string
	Region        string
	Account       string
	Exists        bool
	RetentionDays *int // nil: never expire
	Class         string
}

// Role is an IAM role with its policy documents (JSON, already URL-decoded).
type Role struct {
	ARN      string
	Name     string
	Exists   bool
	Trust    string
	Policies []PolicyDoc
}

// PolicyDoc is one identity policy attached to a role, inline or managed.
type PolicyDoc struct {
	Name     string
	ARN      string // managed policies only
	Document string
}

// ErrorKind classifies an AWS error once, at the edge.
type ErrorKind string

// Error kinds.
const (
	ErrAccessDenied   ErrorKind = "access_denied"
	ErrThrottled      ErrorKind = "throttled"
	ErrNotFound       ErrorKind = "not_found"
	ErrRegionDisabled ErrorKind = "region_disabled"
	ErrOther          ErrorKind = "other"
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
