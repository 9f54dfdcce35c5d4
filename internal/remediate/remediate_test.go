package remediate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/trailwatch/trailwatch/internal/remediate"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/scan"
)

var simNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

type env struct {
	t   *testing.T
	srv *awssim.Server
	cat *controls.Catalog
}

func newEnv(t *testing.T, text string) *env {
	t.Helper()
	sc, err := awssim.ParseScenario(t.Name()+".yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := awssim.Start(ctx, sc, awssim.Options{Now: func() time.Time { return simNow }})
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := controls.Load()
	return &env{t: t, srv: srv, cat: cat}
}

func (e *env) scan(acct string, fixed map[string]time.Time) (*model.Inventory, []model.Finding) {
	s := controls.DefaultSettings(e.srv.Now())
	s.FixedAt = fixed
	return scan.Run(context.Background(), e.cat, []scan.Target{{Clients: collect.NewSDKClients(e.srv.SDKConfig(acct, "us-east-1"))}}, scan.Options{Settings: s})
}

func status(fs []model.Finding, id string) string {
	for _, f := range fs {
		if f.ResourceID == id {
			var c []string
			for _, r := range f.Reasons {
				c = append(c, r.Code)
			}
			return string(f.Status) + " " + strings.Join(c, ",")
		}
	}
	return "none"
}

const acct = "111111111111"

func arn(name string) string { return "arn:aws:cloudtrail:us-east-1:111111111111:trail/" + name }

const broken = `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: not-integrated, home_region: us-east-1, multi_region: true}
      - {name: group-gone, home_region: us-east-1, log_group: Gone, role: Good}
      - {name: role-gone, home_region: us-east-1, log_group: G2, role: Missing}
      - {name: untrusted, home_region: us-east-1, log_group: G3, role: Untrusted}
      - {name: weak, home_region: us-east-1, log_group: G4, role: Weak}
      - {name: stopped, home_region: us-east-1, logging: false, log_group: G5, role: Good}
      - {name: aws-controltower-BaselineCloudTrail, home_region: us-east-1}
    log_groups:
      - {name: G2, region: us-east-1, retention_days: 365}
      - {name: G3, region: us-east-1, retention_days: 30}
      - {name: G4, region: us-east-1}
      - {name: G5, region: us-east-1}
    roles:
      - {name: Good, trust: cloudtrail, policy: cloudtrail-delivery}
      - {name: Untrusted, trust: logs.amazonaws.com, policy: cloudtrail-delivery}
      - {name: Weak, trust: cloudtrail, policy: create-stream-only}
`

// TestPlanApplyEveryReason plans and applies the fix of every failing reason, checks PENDING right after, PASS after
// the first delivery, that a new plan is empty and that re-applying the old plan changes nothing.
func TestPlanApplyEveryReason(t *testing.T) {
	e := newEnv(t, broken)
	inv, fs := e.scan(acct, nil)
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now()})
	actions := map[string][]string{}
	for _, s := range p.Steps {
		actions[s.ResourceID] = append(actions[s.ResourceID], s.Action)
	}
	want := map[string]string{
		arn("not-integrated"): "CreateLogGroup PutRetentionPolicy CreateRole PutRolePolicy UpdateTrail",
		arn("group-gone"):     "CreateLogGroup PutRetentionPolicy", // the role may already write a group of that name
		arn("role-gone"):      "CreateRole PutRolePolicy",
		arn("untrusted"):      "UpdateAssumeRolePolicy",
		arn("weak"):           "PutRolePolicy",
		arn("stopped"):        "StartLogging",
		"arn:aws:logs:us-east-1:111111111111:log-group:G3": "PutRetentionPolicy",
	}
	for id, w := range want {
		if got := strings.Join(actions[id], " "); got != w {
			t.Errorf("%s: %q, want %q", id, got, w)
		}
	}
	if len(p.Refused) != 1 || !strings.Contains(p.Refused[0].Reason, "Control Tower") {
		t.Errorf("refused %+v", p.Refused)
	}
	var buf bytes.Buffer
	j := remediate.NewJournal(&buf, "arn:aws:iam::111111111111:user/trailwatch-sim", e.srv.Now)
	res := remediate.Apply(context.Background(), remediate.NewSDKWriter(e.srv.SDKConfig(acct, "us-east-1")), p.Steps, j, remediate.ApplyOptions{})
	fixed := map[string]time.Time{}
	for _, r := range res {
		if r.Error != "" {
			t.Errorf("%s: %s", r.ResourceID, r.Error)
		}
		fixed[r.ResourceID] = e.srv.Now()
	}
	// The journal has one line per call, each with who, when, account, region and result.
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(p.Steps) {
		t.Errorf("%d journal lines for %d steps", len(lines), len(p.Steps))
	}
	var first remediate.Entry
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.Who == "" || first.AccountID != acct || first.Result != "ok" || first.Time.IsZero() {
		t.Errorf("journal entry %+v %v", first, err)
	}
	_, fs = e.scan(acct, fixed)
	for id := range want {
		if strings.Contains(id, ":trail/") {
			if got := status(fs, id); !strings.HasPrefix(got, "PENDING") {
				t.Errorf("%s right after the fix: %s", id, got)
			}
		}
	}
	e.srv.Advance(6 * time.Minute)
	inv, fs = e.scan(acct, fixed)
	for id := range want {
		if got := status(fs, id); !strings.HasPrefix(got, "PASS") {
			t.Errorf("%s after the first delivery: %s", id, got)
		}
	}
	if again := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now()}); len(again.Steps) != 0 {
		t.Errorf("a second plan has steps: %+v", again.Steps)
	}
	// Re-applying the old plan changes nothing and fails nothing.
	res = remediate.Apply(context.Background(), remediate.NewSDKWriter(e.srv.SDKConfig(acct, "us-east-1")), p.Steps, remediate.NewJournal(nil, "x", nil), remediate.ApplyOptions{})
	for _, r := range res {
		if r.Error != "" || len(r.Undone) > 0 {
			t.Errorf("re-apply %s: %+v", r.ResourceID, r)
		}
	}
	_, fs = e.scan(acct, nil)
	if got := status(fs, arn("not-integrated")); !strings.HasPrefix(got, "PASS") {
		t.Errorf("after re-apply: %s", got)
	}
}

func TestPropagationRetriedAndFailureUndone(t *testing.T) {
	e := newEnv(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: slow-iam, home_region: us-east-1}
      - {name: denied, home_region: us-east-1, log_group: Existing}
    log_groups:
      - {name: Existing, region: us-east-1}
faults:
  - {operation: cloudtrail:UpdateTrail, resource: slow-iam, error: InvalidCloudWatchLogsRoleArnException, message: "Access denied. Check the trust relationships for your role.", count: 2}
  - {operation: cloudtrail:UpdateTrail, resource: denied, error: AccessDeniedException}
`)
	inv, fs := e.scan(acct, nil)
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now()})
	j := remediate.NewJournal(nil, "tester", nil)
	var slept []time.Duration
	res := remediate.Apply(context.Background(), remediate.NewSDKWriter(e.srv.SDKConfig(acct, "us-east-1")), p.Steps, j, remediate.ApplyOptions{
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }})
	byID := map[string]remediate.TrailResult{}
	for _, r := range res {
		byID[r.ResourceID] = r
	}
	if r := byID[arn("slow-iam")]; r.Error != "" || len(slept) != 2 || slept[1] != 2*slept[0] {
		t.Errorf("propagation: %+v, slept %v", r, slept)
	}
	attempts := 0
	for _, en := range j.Entries() {
		if en.ResourceID == arn("slow-iam") && en.Action == remediate.UpdateTrail {
			attempts++
		}
	}
	if attempts != 3 {
		t.Errorf("UpdateTrail attempts journaled: %d", attempts)
	}
	r := byID[arn("denied")]
	if !strings.Contains(r.Error, "AccessDenied") || strings.Join(r.Undone, ",") != "PutRolePolicy,CreateRole" {
		t.Errorf("failed trail: %+v", r)
	}
	// The role it created is gone; the log group that existed before is still there.
	if _, err := iam.NewFromConfig(e.srv.SDKConfig(acct, "us-east-1")).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("CloudTrailCloudWatchLogs-denied")}); err == nil {
		t.Error("the created role was not undone")
	}
	out, _ := cloudwatchlogs.NewFromConfig(e.srv.SDKConfig(acct, "us-east-1")).DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("Existing")})
	if len(out.LogGroups) != 1 {
		t.Error("a log group that existed before was touched")
	}
}

func TestOrganizationTrailFromMemberRefused(t *testing.T) {
	e := newEnv(t, `
organization: {id: o-a1b2c3d4e5, management_account: "111111111111"}
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails: [{name: org, home_region: us-east-1, multi_region: true, organization: true}]
  - {id: "333333333333", regions: [us-east-1]}
`)
	inv, fs := e.scan("333333333333", nil)
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now()})
	if len(p.Steps) != 0 || len(p.Refused) != 1 || !strings.Contains(p.Refused[0].Reason, "account 111111111111") {
		t.Errorf("plan %+v", p)
	}
	// From the management account the same trail is fixed, with the o-<org id> streams in the policy.
	inv, fs = e.scan(acct, nil)
	p = remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now()})
	doc := ""
	for _, s := range p.Steps {
		if s.Action == remediate.PutRolePolicy {
			doc = s.Params["PolicyDocument"].(string)
		}
	}
	if !strings.Contains(doc, "log-stream:o-a1b2c3d4e5_*") {
		t.Errorf("org trail policy %s", doc)
	}
}

func TestReadPlanRejectsBadInput(t *testing.T) {
	for _, in := range []string{`{`, `{"schema_version":2}`, `{"schema_version":1,"steps":[{"action":"DeleteTrail","account_id":"1","region":"r"}]}`,
		`{"schema_version":1,"steps":[{"action":"UpdateTrail"}]}`} {
		if _, err := remediate.ReadPlan([]byte(in)); err == nil {
			t.Errorf("ReadPlan(%s) accepted", in)
		}
	}
	if err := remediate.CheckRetention(366); err == nil {
		t.Error("retention 366 accepted")
	}
	// A reviewed plan is JSON a person may edit: a step that names one account and changes a resource of another, or
	// sets a retention CloudWatch Logs refuses, is refused before anything is applied (they were applied, or tried,
	// step by step).
	step := func(s string) string { return `{"schema_version":1,"steps":[` + s + `]}` }
	for name, in := range map[string]string{
		"account id that is not one": step(`{"action":"StartLogging","account_id":"1","region":"us-east-1","resource_id":"arn:aws:cloudtrail:us-east-1:111111111111:trail/t"}`),
		"resource of another account": step(`{"action":"PutRetentionPolicy","account_id":"999999999999","region":"us-east-1",` +
			`"resource_id":"arn:aws:logs:us-east-1:222222222222:log-group:g","params":{"logGroupName":"g","retentionInDays":365}}`),
		"resource of another region": step(`{"action":"StartLogging","account_id":"111111111111","region":"eu-west-1","resource_id":"arn:aws:cloudtrail:us-east-1:111111111111:trail/t"}`),
		"retention CloudWatch Logs refuses": step(`{"action":"PutRetentionPolicy","account_id":"222222222222","region":"us-east-1",` +
			`"resource_id":"arn:aws:logs:us-east-1:222222222222:log-group:g","params":{"logGroupName":"g","retentionInDays":2}}`),
		"retention missing": step(`{"action":"PutRetentionPolicy","account_id":"222222222222","region":"us-east-1",` +
			`"resource_id":"arn:aws:logs:us-east-1:222222222222:log-group:g","params":{"logGroupName":"g"}}`),
	} {
		if _, err := remediate.ReadPlan([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A retention CloudWatch Logs accepts but below the control's minimum is the caller's to refuse (MinRetention).
	p, err := remediate.ReadPlan([]byte(step(`{"action":"PutRetentionPolicy","account_id":"222222222222","region":"us-east-1",` +
		`"resource_id":"arn:aws:logs:us-east-1:222222222222:log-group:g","params":{"logGroupName":"g","retentionInDays":1}}`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckMinRetention(365); err == nil || !strings.Contains(err.Error(), "1 day") {
		t.Errorf("retention 1 under a 365-day minimum: %v", err)
	}
	if err := p.CheckMinRetention(1); err != nil {
		t.Errorf("retention 1 under a 1-day minimum: %v", err)
	}
}

// TestIAMPropagationPhysics: with the simulator's IAM propagation delay, remediate.UpdateTrail with a role created moments ago
// fails as it does in AWS, and apply retries until IAM has propagated the role (the sleeps advance the clock).
func TestIAMPropagationPhysics(t *testing.T) {
	e := newEnv(t, `
iam_propagation_delay: 8s
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails: [{name: fresh, home_region: us-east-1}]
`)
	inv, fs := e.scan(acct, nil)
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now()})
	j := remediate.NewJournal(nil, "tester", nil)
	res := remediate.Apply(context.Background(), remediate.NewSDKWriter(e.srv.SDKConfig(acct, "us-east-1")), p.Steps, j, remediate.ApplyOptions{
		Sleep: func(_ context.Context, d time.Duration) error { e.srv.Advance(d); return nil }})
	if len(res) != 1 || res[0].Error != "" {
		t.Fatalf("apply %+v", res)
	}
	var attempts []string
	for _, en := range j.Entries() {
		if en.Action == remediate.UpdateTrail {
			attempts = append(attempts, en.Result)
		}
	}
	if strings.Join(attempts, ",") != "error,error,error,ok" {
		t.Errorf("UpdateTrail attempts %v, want three refusals while IAM propagates (2+4 s < 8 s) then success", attempts)
	}
	fixed := map[string]time.Time{arn("fresh"): e.srv.Now()}
	if _, fs = e.scan(acct, fixed); !strings.HasPrefix(status(fs, arn("fresh")), "PENDING") {
		t.Errorf("right after: %s", status(fs, arn("fresh")))
	}
	e.srv.Advance(6 * time.Minute)
	if _, fs = e.scan(acct, fixed); !strings.HasPrefix(status(fs, arn("fresh")), "PASS") {
		t.Errorf("after the first delivery: %s", status(fs, arn("fresh")))
	}
}
