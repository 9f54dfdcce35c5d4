package remediate_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
	"github.com/trailwatch/trailwatch/internal/scan"
)

// TestAlarmChainOnTelemetryGroups: an account with no trail, captured by a CloudWatch telemetry rule in three
// regions, has its CIS alarm chain judged on the rule's groups, one per region (issue 26): whole in us-east-1 only,
// every regional item fails and names the other regions; the items about global services (IAM, Organizations),
// whose events are recorded in us-east-1 only, pass there. One plan completes the chain in both other regions
// (field trial: a plan fixed one region per run and the gate called it a failure), and the scan after
// `fix apply` is monitored on every item.
func TestAlarmChainOnTelemetryGroups(t *testing.T) {
	e := newEnv(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1, ap-south-1]
    telemetry_rules: [{name: capture, all_regions: true}]
    log_groups:
      - {name: aws/cloudtrail/managementevents, region: us-east-1, retention_days: 365, cis_monitoring: {topic: cis}}
`)
	s := controls.DefaultSettings(e.srv.Now())
	s.Alarms, _ = alarms.ForVersion("")
	judge := func() (*model.Inventory, []model.Finding) {
		return scan.Run(context.Background(), e.cat, []scan.Target{{Clients: collect.NewSDKClients(e.srv.SDKConfig(acct, "us-east-1"))}},
			scan.Options{Settings: s, Collect: collect.Options{Monitoring: true}})
	}
	inv, fs := judge()
	group := func(region string) string {
		return "arn:aws:logs:" + region + ":111111111111:log-group:aws/cloudtrail/managementevents"
	}
	global := map[string]bool{"alarm-iam-policy-changes": true, "alarm-organizations-changes": true}
	n := 0
	for _, f := range fs {
		if !controls.IsAlarmControl(f.ControlID) {
			continue
		}
		n++
		notes := strings.Join(f.Notes, " ")
		if global[f.ControlID] {
			if f.Status != model.StatusPass || !strings.Contains(notes, "recorded in us-east-1 only") {
				t.Errorf("%s (a global service): %s %+v %v, want PASS on us-east-1's group", f.ControlID, f.Status, f.Reasons, f.Notes)
			}
			continue
		}
		if f.Status != model.StatusFail || f.Reasons[0].Code != controls.FilterMissing {
			t.Errorf("%s: %s %+v, want FAIL FILTER_MISSING", f.ControlID, f.Status, f.Reasons)
		}
		if !strings.Contains(notes, "whole in 1 of 3 regions; not in ap-south-1, eu-west-1") {
			t.Errorf("%s: the notes do not say where the chain is whole: %v", f.ControlID, f.Notes)
		}
		ch := f.Evidence.Chain
		var got []string
		for _, ev := range append([]*model.ChainEvidence{ch}, ch.Also...) {
			got = append(got, strings.TrimSuffix(ev.LogGroup, ":*"))
		}
		slices.Sort(got)
		if want := []string{group("ap-south-1"), group("eu-west-1")}; !slices.Equal(got, want) {
			t.Errorf("%s: evidence names %v, want both broken regions' groups %v", f.ControlID, got, want)
		}
	}
	if n != 15 {
		t.Fatalf("%d alarm findings, want 15", n)
	}
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now(), Alarms: s.Alarms, Notify: []string{"sqs:arn:aws:sqs:eu-west-1:111111111111:alerts"}})
	regions := map[string]bool{}
	for _, st := range p.Steps {
		regions[st.Region] = true
	}
	if !regions["eu-west-1"] || !regions["ap-south-1"] || regions["us-east-1"] {
		t.Errorf("steps in %v, want eu-west-1 and ap-south-1 (us-east-1's chain is whole)", regions)
	}
	res := remediate.Apply(context.Background(), remediate.NewSDKWriter(e.srv.SDKConfig(acct, "us-east-1")), p.Steps, remediate.NewJournal(nil, "tester", nil), remediate.ApplyOptions{Sleep: noSleep})
	for _, r := range res {
		if r.Error != "" {
			t.Fatalf("apply: %+v", r)
		}
	}
	_, fs = judge()
	for _, f := range fs {
		if controls.IsAlarmControl(f.ControlID) && f.Status != model.StatusPass {
			t.Errorf("after one apply %s: %s %+v %v, want monitored", f.ControlID, f.Status, f.Reasons, f.Notes)
		}
		if f.ControlID == controls.CaptureID && (f.Status != model.StatusPass || f.Reasons[0].Code != controls.CapturedByTelemetry) {
			t.Errorf("capture: %s %+v", f.Status, f.Reasons)
		}
	}
}

// TestTelemetryRuleFixUndone: when CreateTelemetryRule fails, the evaluation the plan started for it is stopped again
// (undo restores what was there before), and the journal says so.
func TestTelemetryRuleFixUndone(t *testing.T) {
	e := newEnv(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails: [{name: bare, home_region: us-east-1, multi_region: true}]
faults:
  - {operation: observabilityadmin:CreateTelemetryRule, error: ServiceQuotaExceededException}
`)
	s := controls.DefaultSettings(e.srv.Now())
	cfg := e.srv.SDKConfig(acct, "us-east-1")
	inv, fs := scan.Run(context.Background(), e.cat, []scan.Target{{Clients: collect.NewSDKClients(cfg)}}, scan.Options{Settings: s})
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now(), Via: remediate.ViaTelemetryRule})
	if len(p.Steps) != 2 || p.Steps[0].Undo == nil || p.Steps[0].Undo.Action != remediate.StopTelemetryEvaluation {
		t.Fatalf("plan %+v", p.Steps)
	}
	res := remediate.Apply(context.Background(), remediate.NewSDKWriter(cfg), p.Steps, remediate.NewJournal(nil, "tester", nil), remediate.ApplyOptions{Sleep: noSleep})
	if len(res) != 1 || res[0].Error == "" || !strings.Contains(strings.Join(res[0].Undone, ","), remediate.StartTelemetryEvaluation) {
		t.Fatalf("results %+v", res)
	}
	_, fs = scan.Run(context.Background(), e.cat, []scan.Target{{Clients: collect.NewSDKClients(cfg)}}, scan.Options{Settings: s})
	for _, f := range fs {
		if f.ControlID == controls.CaptureID && !strings.Contains(strings.Join(f.Notes, " "), "evaluation is STOPPED") {
			t.Errorf("after the undo the account's evaluation should be stopped again: %+v %v", f.Reasons, f.Notes)
		}
	}
}

// TestTelemetryPlanRefusals (field trial): the plan never duplicates a rule nor drops an account. A rule that would
// capture once evaluation runs everywhere gets only the evaluation; a rule that keeps too little is refused with
// UpdateTelemetryRule; an account whose telemetry cannot be read is refused with the failed call, not left out.
func TestTelemetryPlanRefusals(t *testing.T) {
	for _, c := range []struct {
		name, account, want string
	}{
		{"evaluation stopped", `telemetry_rules: [{name: r, all_regions: true}]
    telemetry_status: STOPPED`, "StartTelemetryEvaluation"},
		{"evaluation in one region", `telemetry_rules: [{name: r, all_regions: true}]
    telemetry_evaluation_regions: [us-east-1]`, "StartTelemetryEvaluation"},
		{"write events only", `telemetry_rules: [{name: r, all_regions: true, events: write_only}]`, "REFUSED: telemetry rule arn:aws:observabilityadmin:eu-west-1:111111111111:telemetry-rule/r already sends CloudTrail events to CloudWatch Logs, but its event selectors keep only write (WriteOnly) management events"},
		{"one region only", `telemetry_rules: [{name: r, home_region: us-east-1}]`, "it does not apply in eu-west-1 (make it AllRegions)"},
		// Field trial: a service-linked channel that keeps less than the rules keep cannot be changed by any rule: a
		// second rule was planned and applied (its gate failing with no reason), or an UpdateTelemetryRule advised.
		{"channel narrower than the rule", `telemetry_rules: [{name: r, all_regions: true}]
    telemetry_channel: write_only`, "REFUSED: in eu-west-1, CloudTrail service-linked channel arn:aws:cloudtrail:eu-west-1:111111111111:channel/"},
		{"channel keeps reads, the rule writes", `telemetry_rules: [{name: r, all_regions: true, events: write_only}]
    telemetry_channel: read_only`, "keeps none of the management events the telemetry rules keep: a telemetry rule's events reach CloudWatch Logs through it, and only CloudWatch manages it"},
		{"no rule, a channel left behind", `trails: []
    telemetry_channel: write_only`, "StartTelemetryEvaluation,CreateTelemetryRule"},
		{"status unreadable", `trails: [{name: bare, home_region: us-east-1, multi_region: true}]
    faults: [{operation: 'observabilityadmin:GetTelemetryEvaluationStatus', error: AccessDeniedException}]`, "REFUSED: the account's CloudWatch telemetry could not be read (observabilityadmin:GetTelemetryEvaluationStatus: AccessDeniedException)"},
		{"rules unlistable", `telemetry_rules: [{name: r, all_regions: true}]
    trails: [{name: bare, home_region: us-east-1, multi_region: true}]
    faults: [{operation: 'observabilityadmin:ListTelemetryRules', error: AccessDeniedException}]`, "REFUSED: the account's telemetry rules in eu-west-1 could not be listed"},
		{"no trail, no rule", `trails: []`, "StartTelemetryEvaluation,CreateTelemetryRule"},
		{"evaluation starting", `trails: []
    telemetry_status: STARTING`, "REFUSED: the account's telemetry evaluation is STARTING: wait until it settles and plan again"},
		// Field trial: a rule does not repair a trail whose own delivery is broken: the trail is refused with what to do.
		{"a trail with a broken role", `trails: [{name: weak, home_region: us-east-1, multi_region: true, log_group: G, role: Weak}]
    log_groups: [{name: G, region: us-east-1, retention_days: 365}]
    roles: [{name: Weak, trust: cloudtrail, policy: create-stream-only}]`, "REFUSED: a telemetry rule captures the account's events without this trail, but does not repair the trail's own delivery (ROLE_CANNOT_WRITE"},
		// Review: capture unknown for another reason (a trail's status refused) plans no rule (fail closed).
		{"capture unknown", `trails: [{name: main, home_region: us-east-1, multi_region: true, log_group: G, role: R}]
    log_groups: [{name: G, region: us-east-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
    faults: [{operation: 'cloudtrail:GetTrailStatus', error: AccessDeniedException}]`, "REFUSED: whether the account is captured is unknown, so no rule is planned from it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    `+c.account+"\n")
			cfg := e.srv.SDKConfig(acct, "us-east-1")
			inv, fs := scan.Run(context.Background(), e.cat, []scan.Target{{Clients: collect.NewSDKClients(cfg)}}, scan.Options{Settings: controls.DefaultSettings(e.srv.Now())})
			p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now(), Via: remediate.ViaTelemetryRule})
			var got []string
			for _, s := range p.Steps {
				got = append(got, s.Action)
			}
			desc := strings.Join(got, ",")
			for _, r := range p.Refused {
				desc += "REFUSED: " + r.Reason
			}
			if !strings.Contains(desc, c.want) || strings.HasPrefix(c.want, "Start") && desc != c.want {
				t.Errorf("plan %q, want %q", desc, c.want)
			}
		})
	}
}

// TestOrgTelemetryPlan (issue 26): `fix plan --org --via org-telemetry-rule` plans one organization rule, and the
// organization's evaluation it needs, in the caller's account (the management account or a delegated administrator),
// naming the accounts it serves for the rollout gate. Refused, with what to do, whatever cannot be planned safely: no
// organization scan, the organization's telemetry unreadable (only the management account or a delegated
// administrator may read it, and only they may make the rule), an organization rule that exists but keeps too little
// (a second one conflicts); an account whose capture is unknown is refused alone.
func TestOrgTelemetryPlan(t *testing.T) {
	yes := true
	mgmt, member, admin := "111111111111", "222222222222", "333333333333"
	regions := []string{"eu-west-1", "us-east-1"}
	inventory := func(tm model.Telemetry, org bool) *model.Inventory {
		inv := &model.Inventory{}
		if org {
			inv.Organization = &model.Organization{ID: "o-a1b2c3d4e5", ManagementAccount: mgmt}
		}
		for _, id := range []string{mgmt, member} {
			c := tm
			inv.Accounts = append(inv.Accounts, &model.Account{ID: id, Regions: regions, Telemetry: &c})
		}
		return inv
	}
	capture := func(id string, status model.Status) model.Finding {
		return model.Finding{ControlID: controls.CaptureID, ResourceID: id, AccountID: id, ResourceType: model.TypeAccount, Status: status,
			Reasons: []model.Reason{{Code: "X", Message: "as scanned"}}}
	}
	rule := func(rw string) *model.TelemetryRule {
		return &model.TelemetryRule{ARN: "arn:aws:observabilityadmin:us-east-1:111111111111:organization-telemetry-rule/ct", Organization: true,
			HomeRegion: "eu-west-1", DestinationType: "cloud-watch-logs", ManagementEvents: &yes, ReadWriteType: rw, Regions: regions}
	}
	for _, c := range []struct {
		name     string
		inv      *model.Inventory
		findings []model.Finding
		o        remediate.Options
		steps    string // action@account:resource serves=...
		refused  string
	}{
		{name: "a new rule", inv: inventory(model.Telemetry{OrgStatus: "NOT_STARTED"}, true),
			findings: []model.Finding{capture(mgmt, model.StatusPass), capture(member, model.StatusFail)},
			steps:    "StartTelemetryEvaluationForOrganization@111111111111:o-a1b2c3d4e5 serves=111111111111,222222222222 undo=StopTelemetryEvaluationForOrganization;CreateTelemetryRuleForOrganization@111111111111:o-a1b2c3d4e5 serves=111111111111,222222222222 undo=DeleteTelemetryRuleForOrganization"},
		// Review: the caller is never guessed (a delegated administrator's plan would have run in the management account).
		{name: "caller unknown", inv: inventory(model.Telemetry{OrgStatus: "RUNNING"}, true),
			findings: []model.Finding{capture(member, model.StatusFail)}, refused: "222222222222: the account this fix runs as is unknown"},
		// Review: a scoped rule may leave accounts out, which trailwatch does not evaluate: never only started for it.
		{name: "an existing scoped rule", inv: inventory(model.Telemetry{OrgStatus: "STOPPED", Rules: []*model.TelemetryRule{func() *model.TelemetryRule {
			r := rule("All")
			r.Scope = "OrganizationalUnitId = 'ou-abcd-12345678'"
			return r
		}()}}, true), findings: []model.Finding{capture(member, model.StatusFail)},
			refused: "its scope (OrganizationalUnitId = 'ou-abcd-12345678') may leave these accounts out"},
		{name: "from a delegated administrator", inv: inventory(model.Telemetry{OrgStatus: "RUNNING"}, true), o: remediate.Options{Caller: admin},
			findings: []model.Finding{capture(mgmt, model.StatusFail), capture(member, model.StatusFail)},
			steps:    "CreateTelemetryRuleForOrganization@333333333333:o-a1b2c3d4e5 serves=111111111111,222222222222 undo=DeleteTelemetryRuleForOrganization"},
		{name: "no organization scan", inv: inventory(model.Telemetry{OrgStatus: "NOT_STARTED"}, false),
			findings: []model.Finding{capture(member, model.StatusFail)}, refused: "222222222222: an organization telemetry rule needs an organization scan: give --org"},
		{name: "organization telemetry unreadable", inv: inventory(model.Telemetry{OrgErr: &model.CallError{API: "observabilityadmin:GetTelemetryEvaluationStatusForOrganization", Code: "AccessDeniedException"}}, true),
			findings: []model.Finding{capture(member, model.StatusFail)},
			refused:  "222222222222: the organization's CloudWatch telemetry could not be read (observabilityadmin:GetTelemetryEvaluationStatusForOrganization: AccessDeniedException): organization rules are made only from the management account (111111111111) or a delegated administrator"},
		// Review: an evaluation between states cannot be put back by an undo: the plan waits.
		{name: "evaluation stopping", inv: inventory(model.Telemetry{OrgStatus: "STOPPING"}, true),
			findings: []model.Finding{capture(member, model.StatusFail)},
			refused:  "222222222222: the organization's telemetry evaluation is STOPPING: wait until it settles and plan again"},
		{name: "a right rule, evaluation stopped", inv: inventory(model.Telemetry{OrgStatus: "STOPPED", Rules: []*model.TelemetryRule{rule("All")}}, true),
			findings: []model.Finding{capture(member, model.StatusFail)},
			steps:    "StartTelemetryEvaluationForOrganization@111111111111:o-a1b2c3d4e5 serves=111111111111,222222222222 undo=StopTelemetryEvaluationForOrganization"},
		{name: "a rule that keeps writes only", inv: inventory(model.Telemetry{OrgStatus: "RUNNING", Rules: []*model.TelemetryRule{rule("WriteOnly")}}, true),
			findings: []model.Finding{capture(member, model.StatusFail)},
			refused:  "222222222222: organization telemetry rule arn:aws:observabilityadmin:us-east-1:111111111111:organization-telemetry-rule/ct already sends CloudTrail events to CloudWatch Logs, but its event selectors keep only write (WriteOnly) management events: change it (observabilityadmin UpdateTelemetryRuleForOrganization)"},
		// Field trial: the rule reaches every account, so a plan narrowed to some, or one an exception excludes, is
		// refused (an excluded account got the rule's groups and their ingestion).
		{name: "--accounts narrows it", inv: inventory(model.Telemetry{OrgStatus: "RUNNING"}, true), o: remediate.Options{Accounts: []string{member}},
			findings: []model.Finding{capture(member, model.StatusFail)},
			refused:  "222222222222: --accounts narrows the plan to some accounts, but an organization rule reaches every account"},
		{name: "the scan saw some accounts", inv: func() *model.Inventory {
			inv := inventory(model.Telemetry{OrgStatus: "RUNNING"}, true)
			inv.Organization.Listed = 4
			inv.SkippedAccounts = []model.SkippedAccount{{ID: "444444444444", Reason: "account state SUSPENDED"}}
			return inv
		}(), findings: []model.Finding{capture(member, model.StatusFail)},
			refused: "222222222222: the scan saw 2 of the organization's 4 listed accounts"},
		{name: "a suspended account does not narrow it", inv: func() *model.Inventory {
			inv := inventory(model.Telemetry{OrgStatus: "RUNNING"}, true)
			inv.Organization.Listed = 3
			inv.SkippedAccounts = []model.SkippedAccount{{ID: "444444444444", Reason: "account state SUSPENDED"}}
			return inv
		}(), findings: []model.Finding{capture(member, model.StatusFail)},
			steps: "CreateTelemetryRuleForOrganization@111111111111:o-a1b2c3d4e5 serves=111111111111,222222222222 undo=DeleteTelemetryRuleForOrganization"},
		{name: "an exception excludes an account", inv: inventory(model.Telemetry{OrgStatus: "RUNNING"}, true),
			o:        remediate.Options{Excluded: func(id string) (bool, string) { return id == mgmt, "owner sec, until 2027-01-01: audited elsewhere" }},
			findings: []model.Finding{capture(member, model.StatusFail)},
			refused:  "222222222222: account 111111111111 is excluded by an exception (owner sec, until 2027-01-01: audited elsewhere), but an organization rule reaches every account"},
		// Field trial: a trail whose own delivery is broken is not repaired by a rule: refused with what to do, and
		// its account is not counted as served when its capture passes.
		{name: "a trail with a broken role", inv: inventory(model.Telemetry{OrgStatus: "RUNNING"}, true),
			findings: []model.Finding{capture(member, model.StatusPass), {ControlID: controls.IntegrationID, ResourceID: "arn:aws:cloudtrail:us-east-1:222222222222:trail/t",
				AccountID: member, ResourceType: model.TypeTrail, Status: model.StatusFail, Reasons: []model.Reason{{Code: controls.RoleCannotWrite}}}},
			refused: "222222222222: a telemetry rule captures the account's events without this trail, but does not repair the trail's own delivery (ROLE_CANNOT_WRITE): fix it with --via trail"},
		// Field trial: an AllRegions rule was told to "make it AllRegions", judged against one account's regions.
		{name: "an AllRegions rule, a member with another region", inv: func() *model.Inventory {
			r := rule("All")
			r.AllRegions = true
			inv := inventory(model.Telemetry{OrgStatus: "STOPPED", Rules: []*model.TelemetryRule{r}}, true)
			inv.Accounts[1].Regions = append(slices.Clone(regions), "ap-southeast-2")
			return inv
		}(), findings: []model.Finding{capture(member, model.StatusFail)},
			steps: "StartTelemetryEvaluationForOrganization@111111111111:o-a1b2c3d4e5 serves=111111111111,222222222222 undo=StopTelemetryEvaluationForOrganization"},
		// Field trial: a member whose service-linked channel keeps less than the rule cannot be captured by it: refused
		// with the channel, and not judged by the gate.
		{name: "a member's channel keeps less than the rule", inv: func() *model.Inventory {
			inv := inventory(model.Telemetry{OrgStatus: "STOPPED", Rules: []*model.TelemetryRule{rule("All")}}, true)
			tm := *inv.Accounts[1].Telemetry
			tm.Channels = map[string]*model.Channel{"us-east-1": {ARN: "arn:aws:cloudtrail:us-east-1:222222222222:channel/c", ManagementEvents: &yes, ReadWriteType: "WriteOnly"}}
			inv.Accounts[1].Telemetry = &tm
			return inv
		}(), findings: []model.Finding{capture(mgmt, model.StatusFail), capture(member, model.StatusFail)},
			steps:   "StartTelemetryEvaluationForOrganization@111111111111:o-a1b2c3d4e5 serves=111111111111 undo=StopTelemetryEvaluationForOrganization",
			refused: "222222222222: in us-east-1, CloudTrail service-linked channel arn:aws:cloudtrail:us-east-1:222222222222:channel/c keeps only write (WriteOnly) management events, less than the telemetry rules keep"},
		{name: "capture unknown in one account", inv: inventory(model.Telemetry{OrgStatus: "RUNNING"}, true),
			findings: []model.Finding{capture(mgmt, model.StatusFail), capture(member, model.StatusError)},
			steps:    "CreateTelemetryRuleForOrganization@111111111111:o-a1b2c3d4e5 serves=111111111111 undo=DeleteTelemetryRuleForOrganization",
			refused:  "222222222222: whether the account is captured is unknown"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			o.Via = remediate.ViaOrgTelemetryRule
			if o.Caller == "" && c.name != "caller unknown" {
				o.Caller = mgmt
			}
			p := remediate.NewPlan(c.inv, c.findings, o)
			var steps, refused []string
			for _, s := range p.Steps {
				d := s.Action + "@" + s.AccountID + ":" + s.ResourceID + " serves=" + strings.Join(s.Serves, ",")
				if s.Undo != nil {
					d += " undo=" + s.Undo.Action
				}
				steps = append(steps, d)
			}
			for _, r := range p.Refused {
				refused = append(refused, r.AccountID+": "+r.Reason)
			}
			if got := strings.Join(steps, ";"); got != c.steps {
				t.Errorf("steps\n got %s\nwant %s", got, c.steps)
			}
			if got := strings.Join(refused, ";"); c.refused == "" && got != "" || !strings.Contains(got, c.refused) {
				t.Errorf("refused\n got %s\nwant %s", got, c.refused)
			}
		})
	}
}
