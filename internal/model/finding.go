package model

// Status is a finding's verdict.
type Status string

// Statuses, from worst to best for sorting: see Rank.
const (
	StatusFail    Status = "FAIL"
	StatusError   Status = "ERROR"
	StatusWarn    Status = "WARN"
	StatusUnknown Status = "UNKNOWN" // reserved for IaC checks
	StatusPending Status = "PENDING"
	StatusSkipped Status = "SKIPPED"
	StatusMuted   Status = "MUTED" // reserved for exceptions
	StatusPass    Status = "PASS"
)

// AllStatuses lists every status in rank order.
var AllStatuses = []Status{StatusFail, StatusError, StatusWarn, StatusUnknown, StatusPending, StatusSkipped, StatusMuted, StatusPass}

// Rank orders statuses for display: lower is worse.
func (s Status) Rank() int {
	for i, v := range AllStatuses {
		if v == s {
			return i
		}
	}
	return len(AllStatuses)
}

// Resource types, as AWS CloudFormation names them.
const (
	TypeTrail    = "AWS::CloudTrail::Trail"
	TypeLogGroup = "AWS::Logs::LogGroup"
	TypeAccount  = "AWS::::Account"
	// TypeOrganization is an AWS Organizations organization (the type name Security Hub's ASFF uses for it).
	TypeOrganization = "AwsOrganizationsOrganization"
)

// Reason explains a verdict with a stable code (docs/controls.md).
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Finding is one control's verdict on one resource.
type Finding struct {
	ID          string `json:"id"`
	ControlID   string `json:"control_id"`
	Title       string `json:"title"`
	Status      Status `json:"status"`
	Severity    string `json:"severity"`
	AccountID   string `json:"account_id"`
	AccountName string `json:"account_name,omitempty"`
	// AccountOU and AccountTags label the owning account (organization scans).
	AccountOU    string            `json:"account_ou,omitempty"`
	AccountTags  map[string]string `json:"account_tags,omitempty"`
	Region       string            `json:"region"`
	ResourceType string            `json:"resource_type"`
	ResourceID   string            `json:"resource_id"`
	Reasons      []Reason          `json:"reasons"`
	Notes        []string          `json:"notes,omitempty"`
	Remediation  string            `json:"remediation,omitempty"`
	Commands     []string          `json:"commands,omitempty"`
	// Location is where an infrastructure-as-code resource is declared; Fix is the snippet that fixes it there.
	Location *Location `json:"location,omitempty"`
	Fix      string    `json:"fix,omitempty"`
	// Suppressed lists the inline suppressions that muted the finding; MutedStatus is the status it had before.
	Suppressed  []Suppression `json:"suppressed,omitempty"`
	MutedStatus Status        `json:"muted_status,omitempty"`
	// Exception is the exception that muted the finding.
	Exception *ExceptionRef `json:"exception,omitempty"`
	// Evidence is what the judge found, typed, for whoever acts on the finding (the fix plan, the rollout gate):
	// none of them reads a message's text.
	Evidence *Evidence `json:"evidence,omitempty"`
}

// Evidence is a finding's typed evidence; a field is set when the judge looked at that link.
type Evidence struct {
	// Role is the delivery role's check (cloudtrail-cloudwatch-integration).
	Role *RoleEvidence `json:"role,omitempty"`
	// Chain is how far an alarm chain is whole, and where it breaks (the alarm family).
	Chain *ChainEvidence `json:"chain,omitempty"`
}

// RoleEvidence: the delivery role, whether it trusts CloudTrail, and the writes its policies refuse (each "action on
// stream ARN"; empty: it may write every stream CloudTrail writes).
type RoleEvidence struct {
	ARN     string   `json:"arn"`
	Trusted bool     `json:"trusted"`
	Refused []string `json:"refused,omitempty"`
}

// ChainEvidence: the reason code of the stage that decided the item (MONITORED when whole), with the resources of the
// chain as far as it goes, and the subscriptions of its topic that wait for a person to confirm them.
type ChainEvidence struct {
	Stage                string `json:"stage"`
	LogGroup             string `json:"log_group,omitempty"`
	Filter               string `json:"filter,omitempty"`
	Alarm                string `json:"alarm,omitempty"`
	Topic                string `json:"topic,omitempty"`
	PendingSubscriptions int    `json:"pending_subscriptions,omitempty"`
	// Also are the item's other broken chains the verdict stands for: on the path of CloudWatch telemetry rules, one
	// group per region, every region's chain must be whole, and each broken one is fixed.
	Also []*ChainEvidence `json:"also,omitempty"`
}

// ExceptionRef names the exception that muted a finding.
type ExceptionRef struct {
	Owner   string `json:"owner"`
	Reason  string `json:"reason"`
	Expires string `json:"expires"`
	Ticket  string `json:"ticket,omitempty"`
	Where   string `json:"where"` // file:line
}

// FindingID is the stable identifier of a control's finding on a resource: the same across scans.
func FindingID(controlID, resourceID string) string { return controlID + "/" + resourceID }
