package remediate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

// notIntegrated is an account with n trails that have no log group at all.
func notIntegrated(names ...string) (*model.Inventory, []model.Finding) {
	a := &model.Account{ID: "111111111111", Partition: "aws", Regions: []string{"us-east-1"}}
	var fs []model.Finding
	yes := true
	for _, n := range names {
		arn := "arn:aws:cloudtrail:us-east-1:111111111111:trail/" + n
		a.Trails = append(a.Trails, &model.Trail{ARN: arn, Name: n, HomeRegion: "us-east-1", OwnerAccount: a.ID, ManagementEvents: &yes,
			Status: &model.TrailStatus{IsLogging: &yes}})
		fs = append(fs, model.Finding{ControlID: controls.IntegrationID, Status: model.StatusFail, ResourceType: model.TypeTrail,
			ResourceID: arn, AccountID: a.ID, Reasons: []model.Reason{{Code: controls.NotIntegrated}}})
	}
	return &model.Inventory{Partition: "aws", Accounts: []*model.Account{a}}, fs
}

// TestNameTemplates: a template without %s names one log group and one role for every trail, created once; a
// template with a stray verb is refused instead of producing "name%!(EXTRA ...)" (issue 10 §1).
func TestNameTemplates(t *testing.T) {
	inv, fs := notIntegrated("alpha", "bravo", "charlie")
	p := remediate.NewPlan(inv, fs, remediate.Options{LogGroupName: "org/cloudtrail", RoleName: "CloudTrailToLogs", Now: time.Now()})
	count := map[string]int{}
	for _, s := range p.Steps {
		count[s.Action]++
		if strings.Contains(s.CLI, "%!") {
			t.Errorf("a formatting error in %s", s.CLI)
		}
	}
	if count[remediate.CreateLogGroup] != 1 || count[remediate.CreateRole] != 1 || count[remediate.PutRolePolicy] != 1 || count[remediate.UpdateTrail] != 3 {
		t.Errorf("steps per action %v, want one log group, one role, one policy, three UpdateTrail", count)
	}
	if len(p.ReliesOn) != 2 {
		t.Errorf("relies_on %v: bravo and charlie rely on alpha's steps", p.ReliesOn)
	}
	for _, tc := range []struct{ tmpl, want string }{
		{"logs/%s/%s", "at most one %s"},
		{"logs-%d", "only %s"},
		{"100%", "only %s"},
		{"", "empty"},
	} {
		if err := remediate.CheckNameTemplate("--log-group-name", tc.tmpl); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckNameTemplate(%q) = %v, want %q", tc.tmpl, err, tc.want)
		}
	}
	for _, ok := range []string{"aws-cloudtrail-logs/%s", "fixed-name"} {
		if err := remediate.CheckNameTemplate("--log-group-name", ok); err != nil {
			t.Errorf("CheckNameTemplate(%q) = %v", ok, err)
		}
	}
}

// TestPolicyNamePerLogGroup: the inline delivery policy is named per log group with only the characters IAM allows.
func TestPolicyNamePerLogGroup(t *testing.T) {
	if got := remediate.PolicyNameFor("aws-cloudtrail-logs/org#1"); got != "TrailwatchCloudWatchLogsDelivery-aws-cloudtrail-logs-org-1" {
		t.Errorf("PolicyNameFor = %q", got)
	}
	if got := remediate.PolicyNameFor(strings.Repeat("g", 500)); len(got) != 128 {
		t.Errorf("%d characters, IAM allows 128", len(got))
	}
}

// TestExceptionsNarrowRetentionSteps: an excepted log group gets no PutRetentionPolicy; --trails keeps only the log
// groups of the named trails (issue 10 §2).
func TestExceptionsNarrowRetentionSteps(t *testing.T) {
	days := 30
	a := &model.Account{ID: "111111111111", Regions: []string{"us-east-1"}}
	var fs []model.Finding
	for _, n := range []string{"alpha", "bravo"} {
		a.Trails = append(a.Trails, &model.Trail{ARN: "arn:aws:cloudtrail:us-east-1:111111111111:trail/" + n, Name: n, HomeRegion: "us-east-1", OwnerAccount: a.ID,
			LogGroupARN: "arn:aws:logs:us-east-1:111111111111:log-group:" + n + ":*",
			LogGroup:    &model.LogGroup{Name: n, Exists: true, RetentionDays: &days}})
		fs = append(fs, model.Finding{ControlID: controls.RetentionID, Status: model.StatusFail, ResourceType: model.TypeLogGroup,
			ResourceID: "arn:aws:logs:us-east-1:111111111111:log-group:" + n, AccountID: a.ID, Region: "us-east-1"})
	}
	inv := &model.Inventory{Partition: "aws", Accounts: []*model.Account{a}}
	excepted := "arn:aws:logs:us-east-1:111111111111:log-group:alpha"
	p := remediate.NewPlan(inv, fs, remediate.Options{Excluded: func(arn string) (bool, string) { return arn == excepted, "accepted risk" }})
	if len(p.Steps) != 1 || p.Steps[0].ResourceID != "arn:aws:logs:us-east-1:111111111111:log-group:bravo" {
		t.Errorf("steps %+v, want bravo's retention only", p.Steps)
	}
	if len(p.Refused) != 1 || p.Refused[0].ResourceID != excepted {
		t.Errorf("refused %+v", p.Refused)
	}
	p = remediate.NewPlan(inv, fs, remediate.Options{Trails: []string{"arn:aws:cloudtrail:us-east-1:111111111111:trail/alpha"}})
	if len(p.Steps) != 1 || p.Steps[0].ResourceID != excepted {
		t.Errorf("--trails alpha: steps %+v, want alpha's log group only", p.Steps)
	}
}

// TestPlanLeavesTelemetryGroupsToTheirRule: a short retention on a CloudWatch telemetry rule's group is refused with
// the way to fix it in the rule, never a PutRetentionPolicy the rule does not know of.
func TestPlanLeavesTelemetryGroupsToTheirRule(t *testing.T) {
	inv := &model.Inventory{Partition: "aws", Accounts: []*model.Account{{ID: "111111111111", Regions: []string{"us-east-1"}}}}
	f := model.Finding{ControlID: controls.RetentionID, Status: model.StatusFail, AccountID: "111111111111", Region: "us-east-1",
		ResourceID: "arn:aws:logs:us-east-1:111111111111:log-group:aws/cloudtrail/managementevents"}
	p := remediate.NewPlan(inv, []model.Finding{f}, remediate.Options{})
	if len(p.Steps) != 0 || len(p.Refused) != 1 || !strings.Contains(p.Refused[0].Reason, "UpdateTelemetryRule") {
		t.Errorf("steps %+v, refused %+v", p.Steps, p.Refused)
	}
}

// TestPlanSaysWhatItDoesNotChange (field trial): a trail that logs no management events and cannot deliver gets its
// delivery repaired, and a refusal saying the plan does not change what it logs (it promised a pass, and the trail
// stayed WARN NO_MANAGEMENT_EVENTS after it with nothing said).
func TestPlanSaysWhatItDoesNotChange(t *testing.T) {
	e := newEnv(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: data-only, home_region: us-east-1, multi_region: true, management_events: false, log_group: G, role: Weak}
    log_groups: [{name: G, region: us-east-1, retention_days: 365}]
    roles: [{name: Weak, trust: cloudtrail, policy: create-stream-only}]
`)
	inv, fs := e.scan(acct, nil)
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now()})
	if len(p.Steps) == 0 || p.Steps[0].Action != remediate.PutRolePolicy {
		t.Errorf("steps %+v, want the role's permission", p.Steps)
	}
	if len(p.Refused) == 0 || p.Refused[0].ResourceID != "arn:aws:cloudtrail:us-east-1:111111111111:trail/data-only" ||
		!strings.Contains(p.Refused[0].Reason, "NO_MANAGEMENT_EVENTS") || !strings.Contains(p.Refused[0].Reason, "PutEventSelectors") {
		t.Errorf("refused %+v, want the selectors named", p.Refused)
	}
}
