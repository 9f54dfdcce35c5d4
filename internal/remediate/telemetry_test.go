package remediate_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
	"github.com/trailwatch/trailwatch/internal/scan"
)

// TestAlarmChainOnTelemetryGroups: an account with no trail, captured by a CloudWatch telemetry rule in two regions,
// has its CIS alarm chain judged on the rule's groups, one per region (issue 26): whole in us-east-1 only, every item
// fails on eu-west-1's group, and says so; the fix plan completes the chain there, and the scan after `fix apply` is
// monitored on every item.
func TestAlarmChainOnTelemetryGroups(t *testing.T) {
	e := newEnv(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
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
	const west = "arn:aws:logs:eu-west-1:111111111111:log-group:aws/cloudtrail/managementevents"
	n := 0
	for _, f := range fs {
		if !controls.IsAlarmControl(f.ControlID) {
			continue
		}
		n++
		if f.Status != model.StatusFail || f.Reasons[0].Code != controls.FilterMissing || !strings.Contains(f.Reasons[0].Message, west) {
			t.Errorf("%s: %s %+v, want FAIL FILTER_MISSING on eu-west-1's group", f.ControlID, f.Status, f.Reasons)
		}
		if !strings.Contains(strings.Join(f.Notes, " "), "whole in 1 of 2 regions; not in eu-west-1") {
			t.Errorf("%s: the notes do not say where the chain is whole: %v", f.ControlID, f.Notes)
		}
		if f.Evidence == nil || f.Evidence.Chain == nil || strings.TrimSuffix(f.Evidence.Chain.LogGroup, ":*") != west {
			t.Errorf("%s: evidence %+v, want eu-west-1's group", f.ControlID, f.Evidence)
		}
	}
	if n != 15 {
		t.Fatalf("%d alarm findings, want 15", n)
	}
	p := remediate.NewPlan(inv, fs, remediate.Options{Now: e.srv.Now(), Alarms: s.Alarms, Notify: []string{"sqs:arn:aws:sqs:eu-west-1:111111111111:alerts"}})
	for _, st := range p.Steps {
		if st.Region != "eu-west-1" {
			t.Errorf("step %s in %s, want eu-west-1 only (us-east-1's chain is whole)", st.Action, st.Region)
		}
	}
	res := remediate.Apply(context.Background(), remediate.NewSDKWriter(e.srv.SDKConfig(acct, "us-east-1")), p.Steps, remediate.NewJournal(nil, "tester", nil), remediate.ApplyOptions{Sleep: noSleep})
	for _, r := range res {
		if r.Error != "" {
			t.Fatalf("apply: %+v", r)
		}
	}
	_, fs = judge()
	for _, f := range fs {
		if controls.IsAlarmControl(f.ControlID) && (f.Status != model.StatusPass || !strings.Contains(strings.Join(f.Notes, " "), "whole in 2 of 2 regions")) {
			t.Errorf("after apply %s: %s %+v %v, want monitored in both regions", f.ControlID, f.Status, f.Reasons, f.Notes)
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
