package controls

import (
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/model"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

const (
	arn   = "arn:aws:cloudtrail:us-east-1:111111111111:trail/t"
	group = "arn:aws:logs:us-east-1:111111111111:log-group:G:*"
	role  = "arn:aws:iam::111111111111:role/R"
	trust = `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	write = `{"Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:111111111111:log-group:G:*"}]}`
)

// healthy returns a trail whose pipeline is whole and delivered 5 minutes ago; cases change one thing.
func healthy() *model.Trail {
	return &model.Trail{
		ARN: arn, Name: "t", HomeRegion: "us-east-1", OwnerAccount: "111111111111", LogGroupARN: group, RoleARN: role,
		Status:           &model.TrailStatus{IsLogging: ptr(true), LatestDelivery: ptr(now.Add(-5 * time.Minute)), StartLoggingTime: ptr(now.Add(-48 * time.Hour))},
		ManagementEvents: ptr(true),
		LogGroup:         &model.LogGroup{ARN: group, Name: "G", Region: "us-east-1", Account: "111111111111", Exists: true, RetentionDays: ptr(365)},
		Role:             &model.Role{ARN: role, Name: "R", Exists: true, Trust: trust, Policies: []model.PolicyDoc{{Name: "p", Document: write}}},
	}
}

func judge(t *testing.T, tr *model.Trail) model.Finding {
	t.Helper()
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	inv := &model.Inventory{Partition: "aws", Accounts: []*model.Account{{ID: "111111111111", OrgID: "o-a1b2c3d4e5", Regions: []string{"us-east-1"}, Trails: []*model.Trail{tr}}}}
	for _, f := range Evaluate(cat, inv, DefaultSettings(now)) {
		if f.ControlID == IntegrationID {
			return f
		}
	}
	t.Fatal("no integration finding")
	return model.Finding{}
}

func reasonCodes(f model.Finding) string {
	var c []string
	for _, r := range f.Reasons {
		c = append(c, r.Code)
	}
	return strings.Join(c, ",")
}

func TestIntegrationDecisionTable(t *testing.T) {
	tests := []struct {
		name   string
		change func(*model.Trail)
		status model.Status
		codes  string
		note   string
	}{
		{"healthy", func(*model.Trail) {}, model.StatusPass, "DELIVERING", ""},
		{"pending first delivery", func(t *model.Trail) {
			t.Status.LatestDelivery, t.Status.StartLoggingTime = nil, ptr(now.Add(-10*time.Minute))
		}, model.StatusPending, "PENDING_FIRST_DELIVERY", ""},
		{"pending window over", func(t *model.Trail) {
			t.Status.LatestDelivery, t.Status.StartLoggingTime = nil, ptr(now.Add(-31*time.Minute))
		}, model.StatusFail, "NEVER_DELIVERED", ""},
		{"never delivered with a broken role is not pending", func(t *model.Trail) {
			t.Status.LatestDelivery, t.Status.StartLoggingTime = nil, ptr(now.Add(-time.Minute))
			t.Role.Exists = false
		}, model.StatusFail, "ROLE_MISSING,NEVER_DELIVERED", ""},
		{"status unreadable", func(t *model.Trail) {
			t.Status, t.StatusErr = nil, &model.CallError{API: "cloudtrail:GetTrailStatus", Code: "AccessDeniedException", Kind: model.ErrAccessDenied}
		}, model.StatusError, "ACCESS_DENIED", ""},
		{"status throttled", func(t *model.Trail) {
			t.Status, t.StatusErr = nil, &model.CallError{API: "cloudtrail:GetTrailStatus", Code: "ThrottlingException", Kind: model.ErrThrottled}
		}, model.StatusError, "THROTTLED", ""},
		{"not integrated outranks an unreadable status", func(t *model.Trail) {
			t.LogGroupARN, t.Status = "", nil
			t.StatusErr = &model.CallError{API: "cloudtrail:GetTrailStatus", Code: "InternalFailure", Kind: model.ErrOther}
		}, model.StatusFail, "NOT_INTEGRATED,COLLECTION_ERROR", ""},
		{"log group unreadable", func(t *model.Trail) {
			t.LogGroup, t.LogGroupErr = nil, &model.CallError{API: "logs:DescribeLogGroups", Code: "AccessDeniedException", Kind: model.ErrAccessDenied}
		}, model.StatusError, "ACCESS_DENIED", ""},
		{"role unreadable", func(t *model.Trail) {
			t.Role, t.RoleErr = nil, &model.CallError{API: "iam:GetRole", Code: "AccessDenied", Kind: model.ErrAccessDenied}
		}, model.StatusError, "ACCESS_DENIED", ""},
		{"invalid log group ARN", func(t *model.Trail) { t.LogGroupARN, t.LogGroup = "arn:aws:s3:::bucket", nil }, model.StatusFail, "LOG_GROUP_MISSING", ""},
		{"no role ARN", func(t *model.Trail) { t.RoleARN, t.Role = "", nil }, model.StatusFail, "ROLE_MISSING", ""},
		{"conditional trust", func(t *model.Trail) {
			t.Role.Trust = `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}`
		}, model.StatusPass, "DELIVERING", "conditions, which were not evaluated"},
		{"explicit deny on writes", func(t *model.Trail) {
			t.Role.Policies = append(t.Role.Policies, model.PolicyDoc{Document: `{"Statement":[{"Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`})
		}, model.StatusFail, "ROLE_CANNOT_WRITE", ""},
		{"organization trail without o- stream permission", func(t *model.Trail) {
			t.Organization = true
			t.Role.Policies = []model.PolicyDoc{{Document: `{"Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:111111111111:log-group:G:log-stream:111111111111_CloudTrail_*"}]}`}}
		}, model.StatusFail, "ROLE_CANNOT_WRITE", ""},
		{"missing IsLogging and times is unknown, not a failure of logging", func(t *model.Trail) {
			t.Status.IsLogging = nil
		}, model.StatusPass, "DELIVERING", ""},
		{"member view of organization trail", func(t *model.Trail) {
			t.OwnedElsewhere, t.Organization, t.LogGroup, t.Role = true, true, nil, nil
			t.Status.ErrorFieldsNotVisible = true
		}, model.StatusPass, "DELIVERING", "not visible from a member account"},
		{"member view, not integrated", func(t *model.Trail) {
			t.OwnedElsewhere, t.Organization, t.LogGroupARN, t.LogGroup, t.Role = true, true, "", nil, nil
		}, model.StatusFail, "NOT_INTEGRATED", "owned by account 111111111111"},
		{"member refused", func(t *model.Trail) {
			t.OwnedElsewhere, t.Organization, t.Status, t.LogGroup, t.Role = true, true, nil, nil, nil
			t.StatusErr = &model.CallError{API: "cloudtrail:GetTrailStatus", Code: "CloudTrailARNInvalidException", Kind: model.ErrAccessDenied}
		}, model.StatusSkipped, "OWNED_ELSEWHERE", ""},
		{"selectors unreadable: management events assumed", func(t *model.Trail) {
			t.ManagementEvents, t.SelectorsErr = nil, &model.CallError{API: "cloudtrail:GetEventSelectors", Code: "AccessDeniedException", Kind: model.ErrAccessDenied}
		}, model.StatusPass, "DELIVERING", "management events assumed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := healthy()
			tc.change(tr)
			f := judge(t, tr)
			if f.Status != tc.status || reasonCodes(f) != tc.codes {
				t.Errorf("%s [%s], want %s [%s]: %+v", f.Status, reasonCodes(f), tc.status, tc.codes, f.Reasons)
			}
			if tc.note != "" && !strings.Contains(strings.Join(f.Notes, " "), tc.note) {
				t.Errorf("notes %v lack %q", f.Notes, tc.note)
			}
		})
	}
}

func TestCatalogComplete(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{IntegrationID, RetentionID, CaptureID} {
		c, ok := cat.Control(id)
		if !ok || c.Title == "" || c.Severity != "Medium" || c.Rationale == "" || c.Remediation == "" {
			t.Errorf("control %s incomplete: %+v", id, c)
		}
	}
	for _, code := range []string{NotIntegrated, NeverDelivered, DeliveryStale, DeliveryError, NotLogging, LogGroupMissing,
		RoleMissing, RoleNotTrusted, RoleCannotWrite, NoManagementEvents, OwnedElsewhere, AccessDenied, Throttled,
		CollectionError, RetentionTooShort, NoTrail, RegionsUncovered, PendingFirstDelivery} {
		if r, ok := cat.Reason(code); !ok || r.Meaning == "" || r.Fix == "" {
			t.Errorf("reason %s undocumented", code)
		}
	}
}

func TestNextRetention(t *testing.T) {
	for min, want := range map[int]int{1: 1, 2: 3, 365: 365, 366: 400, 5000: 3653} {
		if got := NextRetention(min); got != want {
			t.Errorf("NextRetention(%d) = %d, want %d", min, got, want)
		}
	}
}
