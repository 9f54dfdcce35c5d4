package remediate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// Capture by a CloudWatch telemetry rule instead of per-trail integration (issue 26; `fix plan --via telemetry-rule`).
// The rule sends the account's CloudTrail management events, read and write, from every region into CloudWatch Logs
// (log group aws/cloudtrail/managementevents in each region), without a trail (shared/reference/beyond-trails.md §1:
// aws-sdk-go-v2 service/observabilityadmin, CreateTelemetryRule; multi-region rules with AllRegions). Rules apply only
// where telemetry evaluation runs, so the plan starts it in every region first (StartTelemetryEvaluation with
// AllRegions: "If neither Regions nor AllRegions is provided, the operation applies only to the current region", API
// reference) when the account's evaluation does not already run everywhere in scope.

// Via values: how the plan fixes capture.
const (
	ViaTrail         = "trail"
	ViaTelemetryRule = "telemetry-rule"
)

// Telemetry actions.
const (
	StartTelemetryEvaluation = "StartTelemetryEvaluation"
	StopTelemetryEvaluation  = "StopTelemetryEvaluation"
	CreateTelemetryRule      = "CreateTelemetryRule"
	DeleteTelemetryRule      = "DeleteTelemetryRule"
)

// TelemetryRuleName is the rule trailwatch creates in an account.
const TelemetryRuleName = "trailwatch-cloudtrail-management-events"

// CheckVia says what is wrong with a --via value.
func CheckVia(v string) error {
	if v == "" || v == ViaTrail || v == ViaTelemetryRule {
		return nil
	}
	return fmt.Errorf("--via %q: want %s (integrate each failing trail with CloudWatch Logs) or %s (one CloudWatch telemetry rule per account, no trail needed)", v, ViaTrail, ViaTelemetryRule)
}

// TelemetryRule is the rule's definition as CreateTelemetryRule takes it (TelemetryRule, API 2018-05-10): every
// management event (eventCategory = Management keeps read and write: the same selector rule that judges trails and
// rules, controls/collect managementEvents), to CloudWatch Logs, kept retentionDays, in every region.
func TelemetryRule(retentionDays int) map[string]any {
	return map[string]any{
		"ResourceType": "AWS::CloudTrail", "TelemetryType": "Logs", "AllRegions": true,
		"DestinationConfiguration": map[string]any{
			"DestinationType": "cloud-watch-logs", "RetentionInDays": retentionDays,
			"CloudtrailParameters": map[string]any{"AdvancedEventSelectors": []any{map[string]any{
				"Name": "Management events", "FieldSelectors": []any{map[string]any{"Field": "eventCategory", "Equals": []any{"Management"}}},
			}}},
		},
	}
}

// planTelemetry plans, for each account with a failing trail integration or uncovered regions, the telemetry rule
// that captures it, instead of the trails' fixes.
func planTelemetry(p *Plan, inv *model.Inventory, findings []model.Finding, o Options) {
	need := map[string]bool{}
	for _, f := range findings {
		if f.Status != model.StatusFail || (f.ControlID != controls.IntegrationID && f.ControlID != controls.CaptureID) {
			continue
		}
		need[f.AccountID] = true
	}
	for _, a := range inv.Accounts {
		if !need[a.ID] || len(o.Accounts) > 0 && !slices.Contains(o.Accounts, a.ID) {
			continue
		}
		if o.Excluded != nil {
			if ex, why := o.Excluded(a.ID); ex {
				p.Refused = append(p.Refused, Refusal{ResourceID: a.ID, AccountID: a.ID, Reason: "excluded by an exception: " + why})
				continue
			}
		}
		if why := refuseTelemetry(a); why != "" {
			p.Refused = append(p.Refused, Refusal{ResourceID: a.ID, AccountID: a.ID, Reason: why})
			continue
		}
		home := homeRegionOf(a)
		if !evaluationEverywhere(a) {
			s := render(Step{AccountID: a.ID, Region: home, ResourceID: a.ID, Action: StartTelemetryEvaluation,
				Params: map[string]any{"AllRegions": true},
				Why:    "telemetry rules apply only where evaluation runs: start it in every region, with " + home + " as its home region"})
			if a.Telemetry.Status == "NOT_STARTED" || a.Telemetry.Status == "STOPPED" {
				s.Undo = &Call{Action: StopTelemetryEvaluation, Params: map[string]any{}}
			}
			p.Steps = append(p.Steps, s)
		}
		s := render(Step{AccountID: a.ID, Region: home, ResourceID: a.ID, Action: CreateTelemetryRule,
			Params: map[string]any{"RuleName": TelemetryRuleName, "Rule": TelemetryRule(o.RetentionDays)},
			Why:    fmt.Sprintf("send the account's CloudTrail management events, read and write, from every region to CloudWatch Logs (group %s in each region, kept %d days), without a trail", model.TelemetryLogGroup, o.RetentionDays)})
		s.Undo = &Call{Action: DeleteTelemetryRule, Params: map[string]any{"RuleIdentifier": TelemetryRuleName}}
		p.Steps = append(p.Steps, s)
	}
}

// refuseTelemetry says why an account's capture must not be planned as a new telemetry rule, or "".
func refuseTelemetry(a *model.Account) string {
	tm := a.Telemetry
	switch {
	case a.Error != nil:
		return "the account could not be read"
	case tm == nil:
		return "the account's CloudWatch telemetry was not read"
	case tm.Err != nil:
		return fmt.Sprintf("the account's CloudWatch telemetry could not be read (%s: %s): whether a rule exists is unknown", tm.Err.API, tm.Err.Code)
	}
	for _, r := range tm.Rules {
		if r.Organization {
			continue
		}
		if r.Name == TelemetryRuleName || r.DestinationType == "cloud-watch-logs" {
			// Rules of one scope must differ in resource type, telemetry type and destination (CloudWatch User Guide,
			// "Telemetry enablement rules": "Duplicate rules trigger a conflict exception").
			return fmt.Sprintf("telemetry rule %s already sends CloudTrail events to CloudWatch Logs and does not capture every region (the capture finding says why): change it (observabilityadmin UpdateTelemetryRule) rather than add a second, conflicting rule", r.ARN)
		}
	}
	return ""
}

// evaluationEverywhere reports whether the account's telemetry evaluation runs in every region in scope.
func evaluationEverywhere(a *model.Account) bool {
	tm := a.Telemetry
	if tm.Status != "RUNNING" {
		return false
	}
	if tm.RegionStatus == nil {
		return true
	}
	for _, r := range a.Regions {
		if tm.RegionStatus[r] != "RUNNING" {
			return false
		}
	}
	return true
}

// homeRegionOf is where an account-wide fix is managed from: us-east-1 when the account has it in scope, else its
// first region.
func homeRegionOf(a *model.Account) string {
	if len(a.Regions) == 0 || slices.Contains(a.Regions, "us-east-1") {
		return "us-east-1"
	}
	return strings.Clone(a.Regions[0])
}
