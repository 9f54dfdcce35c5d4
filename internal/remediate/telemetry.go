package remediate

import (
	"fmt"
	"maps"
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
	// ViaOrgTelemetryRule: one organization telemetry rule (CreateTelemetryRuleForOrganization), made from the
	// management account or a delegated administrator, captures every account of the organization.
	ViaOrgTelemetryRule = "org-telemetry-rule"
)

// WithoutTrail reports whether via captures without a trail (an account or an organization telemetry rule).
func WithoutTrail(via string) bool { return via == ViaTelemetryRule || via == ViaOrgTelemetryRule }

// Telemetry actions.
const (
	StartTelemetryEvaluation = "StartTelemetryEvaluation"
	StopTelemetryEvaluation  = "StopTelemetryEvaluation"
	CreateTelemetryRule      = "CreateTelemetryRule"
	DeleteTelemetryRule      = "DeleteTelemetryRule"
	// The organization's: "can only be called by the organization's management account or a delegated administrator
	// account" (API reference, CreateTelemetryRuleForOrganization).
	StartTelemetryEvaluationForOrganization = "StartTelemetryEvaluationForOrganization"
	StopTelemetryEvaluationForOrganization  = "StopTelemetryEvaluationForOrganization"
	CreateTelemetryRuleForOrganization      = "CreateTelemetryRuleForOrganization"
	DeleteTelemetryRuleForOrganization      = "DeleteTelemetryRuleForOrganization"
)

// TelemetryRuleName is the rule trailwatch creates in an account.
const TelemetryRuleName = "trailwatch-cloudtrail-management-events"

// CheckVia says what is wrong with a --via value.
func CheckVia(v string) error {
	if v == "" || v == ViaTrail || WithoutTrail(v) {
		return nil
	}
	return fmt.Errorf("--via %q: want %s (integrate each failing trail with CloudWatch Logs), %s (one CloudWatch telemetry rule per account, no trail needed) or %s (one organization telemetry rule for every account, with --org, from the management account or a delegated administrator)", v, ViaTrail, ViaTelemetryRule, ViaOrgTelemetryRule)
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

// planTelemetry plans, for each account whose capture fails or is unknown, or that has a failing trail integration,
// the telemetry rule that captures it, instead of the trails' fixes: the evaluation it needs and the rule; only the
// evaluation when the account's own rule would capture once evaluation runs everywhere.
func planTelemetry(p *Plan, inv *model.Inventory, findings []model.Finding, o Options) {
	accounts, unknownWhy := toCapture(p, inv, findings, o)
	for _, a := range accounts {
		existing, why := refuseTelemetry(a)
		if why == "" && unknownWhy[a.ID] != "" {
			why = "whether the account is captured is unknown, so no rule is planned from it: " + unknownWhy[a.ID]
		}
		if why != "" {
			p.Refused = append(p.Refused, Refusal{ResourceID: a.ID, AccountID: a.ID, Reason: why})
			continue
		}
		home := homeRegionOf(a)
		if existing != nil {
			home = existing.HomeRegion
		}
		if st := a.Telemetry.Status; !evaluationEverywhere(a) && changing(st) {
			p.Refused = append(p.Refused, Refusal{ResourceID: a.ID, AccountID: a.ID, Reason: "the account's telemetry evaluation is " + st + ": wait until it settles and plan again (a start now could not be undone to that state)"})
			continue
		}
		if !evaluationEverywhere(a) {
			why := "telemetry rules apply only where evaluation runs: start it in every region, with " + home + " as its home region"
			if existing != nil {
				why = fmt.Sprintf("telemetry rule %s would capture every region, but evaluation does not run in all of them: start it in every region, with %s as its home region", existing.ARN, home)
			}
			s := newStep(a.ID, home, a.ID, why, StartTelemetryEvaluationInput{TelemetryEvaluation{AllRegions: true}})
			if notRunning(a.Telemetry.Status) {
				s.Undo = call(StopTelemetryEvaluationInput{})
			}
			p.Steps = append(p.Steps, s)
		}
		if existing != nil {
			continue
		}
		s := newStep(a.ID, home, a.ID,
			fmt.Sprintf("send the account's CloudTrail management events, read and write, from every region to CloudWatch Logs (group %s in each region, kept %d days), without a trail", model.TelemetryLogGroup, o.RetentionDays),
			CreateTelemetryRuleInput{TelemetryRuleSpec{RuleName: TelemetryRuleName, Rule: TelemetryRule(o.RetentionDays)}})
		s.Undo = call(DeleteTelemetryRuleInput{TelemetryRuleRef{RuleIdentifier: TelemetryRuleName}})
		p.Steps = append(p.Steps, s)
	}
}

// toCapture is which accounts a capture fix serves: those whose capture fails or is unknown, or that have a trail
// without CloudWatch Logs, within --accounts; an account an exception excludes is refused here. unknownWhy says why
// an account's capture is unknown (an ERROR finding). A trail whose own delivery is broken (a log group or role
// problem) is refused with what to do: a rule captures the account's events without it, but does not repair it
// (field trial: the gate passed the account's capture while those trails kept failing).
func toCapture(p *Plan, inv *model.Inventory, findings []model.Finding, o Options) (accounts []*model.Account, unknownWhy map[string]string) {
	need := map[string]bool{}
	unknownWhy = map[string]string{}
	var broken []model.Finding
	for _, f := range findings {
		if f.ControlID != controls.IntegrationID && f.ControlID != controls.CaptureID {
			continue
		}
		switch f.Status {
		case model.StatusFail:
			if f.ControlID == controls.IntegrationID && !slices.ContainsFunc(f.Reasons, func(r model.Reason) bool { return r.Code == controls.NotIntegrated }) {
				broken = append(broken, f)
				continue
			}
			need[f.AccountID] = true
		case model.StatusError:
			// Unknown capture: never a rule planned from it (fail closed); refused with the reason, never dropped.
			need[f.AccountID] = true
			if len(f.Reasons) > 0 && unknownWhy[f.AccountID] == "" {
				unknownWhy[f.AccountID] = f.Reasons[0].Code + ": " + f.Reasons[0].Message
			}
		}
	}
	for _, a := range inv.Accounts {
		if !need[a.ID] || len(o.Accounts) > 0 && !slices.Contains(o.Accounts, a.ID) {
			continue
		}
		if o.Excluded != nil {
			if ex, why := o.Excluded(a.ID); ex {
				p.Refused = append(p.Refused, Refusal{ResourceID: a.ID, AccountID: a.ID, Reason: "excluded by an exception: " + why, Excepted: true})
				continue
			}
		}
		accounts = append(accounts, a)
	}
	for _, f := range broken {
		if len(o.Accounts) > 0 && !slices.Contains(o.Accounts, f.AccountID) || o.Excluded != nil && func() bool { ex, _ := o.Excluded(f.ResourceID); return ex }() {
			continue
		}
		var codes []string
		for _, r := range f.Reasons {
			codes = append(codes, r.Code)
		}
		p.Refused = append(p.Refused, Refusal{ResourceID: f.ResourceID, AccountID: f.AccountID, Reason: fmt.Sprintf(
			"a telemetry rule captures the account's events without this trail, but does not repair the trail's own delivery (%s): fix it with --via %s, or remove its CloudWatch Logs settings (UpdateTrail with empty CloudWatchLogsLogGroupArn and CloudWatchLogsRoleArn) so that the rule's capture judges it",
			strings.Join(codes, ", "), ViaTrail)})
	}
	return accounts, unknownWhy
}

// planOrgTelemetry plans one organization telemetry rule for every account whose capture fails (and the organization's
// evaluation it needs), from the caller, which must be the management account or a delegated administrator: the
// organization's telemetry, read by `scan --org` from the caller, proves it (those reads are refused to anyone else).
// Each step names the accounts it serves (Serves): the rollout gate judges each one's capture. An account whose
// capture is unknown is refused (the rule reaches it, but the plan cannot judge it); an organization rule that
// exists but is wrong is refused with how to change it (a second rule would conflict).
func planOrgTelemetry(p *Plan, inv *model.Inventory, findings []model.Finding, o Options) {
	candidates, unknownWhy := toCapture(p, inv, findings, o)
	var serve []*model.Account
	narrowed := map[string]bool{}
	for _, a := range candidates {
		if why := unknownWhy[a.ID]; why != "" {
			p.Refused = append(p.Refused, Refusal{ResourceID: a.ID, AccountID: a.ID,
				Reason: "whether the account is captured is unknown, so the plan cannot judge what the organization rule does there (it reaches the account all the same): " + why})
			continue
		}
		if why := channelRefusal(a); why != "" {
			// The rule reaches it all the same, but cannot capture it: refused with why, and not judged by the gate.
			narrowed[a.ID] = true
			p.Refused = append(p.Refused, Refusal{ResourceID: a.ID, AccountID: a.ID, Reason: why})
			continue
		}
		serve = append(serve, a)
	}
	if len(serve) == 0 {
		return
	}
	refuseAll := func(why string) {
		for _, a := range serve {
			p.Refused = append(p.Refused, Refusal{ResourceID: a.ID, AccountID: a.ID, Reason: why})
		}
	}
	org := inv.Organization
	if org == nil {
		refuseAll("an organization telemetry rule needs an organization scan: give --org")
		return
	}
	// The rule reaches every account of the organization: a plan narrowed to some (--accounts, --ous,
	// --exclude-accounts, a shard, a listing that broke off), or one an exception excludes, cannot be fixed this way
	// (field trial: an excluded account got the rule's groups and their ingestion).
	inactive := 0
	for _, sk := range inv.SkippedAccounts {
		if strings.HasPrefix(sk.Reason, "account state ") {
			inactive++
		}
	}
	switch {
	case len(o.Accounts) > 0:
		refuseAll(fmt.Sprintf("--accounts narrows the plan to some accounts, but an organization rule reaches every account: fix a subset with --via %s", ViaTelemetryRule))
		return
	case org.ListError != nil || org.Listed > 0 && len(inv.Accounts)+inactive < org.Listed:
		refuseAll(fmt.Sprintf("the scan saw %d of the organization's %d listed accounts (--ous, --exclude-accounts or a shard narrowed it, or the listing broke off), but an organization rule reaches every account: scan the whole organization, or fix a subset with --via %s", len(inv.Accounts), org.Listed, ViaTelemetryRule))
		return
	case o.Excluded != nil:
		for _, a := range inv.Accounts {
			if ex, why := o.Excluded(a.ID); ex {
				refuseAll(fmt.Sprintf("account %s is excluded by an exception (%s), but an organization rule reaches every account: fix the others with --via %s", a.ID, why, ViaTelemetryRule))
				return
			}
		}
	}
	caller := o.Caller
	if caller == "" {
		// Never guessed (review: the management account was assumed, and a delegated administrator's plan would
		// have run there).
		refuseAll("the account this fix runs as is unknown (the scan could not read the caller's identity): organization rules are made from the management account or a delegated administrator; plan from a fresh scan made there")
		return
	}
	// The organization's telemetry as the scan read it, once, from the caller (every account carries the same).
	var tm *model.Telemetry
	for _, a := range inv.Accounts {
		if a.Telemetry != nil && (a.Telemetry.OrgStatus != "" || a.Telemetry.OrgErr != nil) {
			tm = a.Telemetry
			break
		}
	}
	switch {
	case tm == nil:
		refuseAll("the organization's CloudWatch telemetry was not read: organization rules are made, and read, only from the management account or a delegated administrator; scan from there with --org")
		return
	case tm.OrgErr != nil:
		refuseAll(fmt.Sprintf("the organization's CloudWatch telemetry could not be read (%s: %s): organization rules are made only from the management account (%s) or a delegated administrator; run from there", tm.OrgErr.API, tm.OrgErr.Code, org.ManagementAccount))
		return
	}
	// The rule reaches every account, not only those it fixes: the gate judges each one's capture after the change
	// (review: accounts that passed before were never re-checked), and its regions are all of theirs.
	var regions, failing, reached []string
	for _, a := range serve {
		failing = append(failing, a.ID)
	}
	for _, a := range inv.Accounts {
		if unknownWhy[a.ID] == "" && !narrowed[a.ID] {
			reached = append(reached, a.ID) // one whose capture is unknown is refused above: the gate could not judge it
		}
		for _, r := range a.Regions {
			if !slices.Contains(regions, r) {
				regions = append(regions, r)
			}
		}
	}
	slices.Sort(regions)
	var existing *model.TelemetryRule
	for _, r := range tm.Rules {
		if !r.Organization || r.DestinationType != "cloud-watch-logs" {
			continue
		}
		if r.Err != nil {
			refuseAll(fmt.Sprintf("organization telemetry rule %s could not be read (%s: %s): whether it already sends CloudTrail events to CloudWatch Logs is unknown", r.ARN, r.Err.API, r.Err.Code))
			return
		}
		problems := ruleProblems(r, regions)
		if r.Scope != "" {
			// A scope narrows the accounts it reaches (TelemetryRule.Scope: "accounts or organizational units"),
			// which trailwatch does not evaluate: starting evaluation for it may not capture these accounts.
			problems = append(problems, fmt.Sprintf("its scope (%s) may leave these accounts out", r.Scope))
		}
		if len(problems) > 0 {
			refuseAll(fmt.Sprintf("organization telemetry rule %s already sends CloudTrail events to CloudWatch Logs, but %s: change it (observabilityadmin UpdateTelemetryRuleForOrganization) rather than add a second, conflicting rule", r.ARN, strings.Join(problems, "; ")))
			return
		}
		existing = r
		break
	}
	everywhere := runsEverywhere(tm.OrgStatus, tm.OrgRegionStatus, regions)
	if existing != nil && everywhere {
		refuseAll(fmt.Sprintf("%s: organization telemetry rule %s is right and the organization's evaluation runs everywhere, yet the account is not captured in every region (the capture finding's notes say where)", nothingToChange, existing.ARN))
		return
	}
	home := homeOf(regions)
	if existing != nil {
		home = existing.HomeRegion
	}
	if !everywhere && changing(tm.OrgStatus) {
		refuseAll("the organization's telemetry evaluation is " + tm.OrgStatus + ": wait until it settles and plan again (a start now could not be undone to that state)")
		return
	}
	if !everywhere {
		why := fmt.Sprintf("organization telemetry rules apply only where the organization's evaluation runs: start it in every region, with %s as its home region, from account %s", home, caller)
		s := newStep(caller, home, org.ID, why, StartTelemetryEvaluationForOrganizationInput{TelemetryEvaluation{AllRegions: true}})
		s.Serves = reached
		if notRunning(tm.OrgStatus) {
			s.Undo = call(StopTelemetryEvaluationForOrganizationInput{})
		}
		p.Steps = append(p.Steps, s)
	}
	if existing != nil {
		return
	}
	s := newStep(caller, home, org.ID,
		fmt.Sprintf("send the CloudTrail management events, read and write, of every account of organization %s (failing now: %s) from every region to CloudWatch Logs (group %s in each account and region, kept %d days), without a trail",
			org.ID, accountList(failing), model.TelemetryLogGroup, o.RetentionDays),
		CreateTelemetryRuleForOrganizationInput{TelemetryRuleSpec{RuleName: TelemetryRuleName, Rule: TelemetryRule(o.RetentionDays)}})
	s.Serves = reached
	s.Undo = call(DeleteTelemetryRuleForOrganizationInput{TelemetryRuleRef{RuleIdentifier: TelemetryRuleName}})
	p.Steps = append(p.Steps, s)
}

// accountList names up to five accounts, then how many more.
func accountList(ids []string) string {
	if len(ids) <= 5 {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:5], ", "), len(ids)-5)
}

// refuseTelemetry says why an account's capture must not be planned as a telemetry rule (why), or returns the
// account's own rule that would capture every region once evaluation runs everywhere (then only the evaluation is
// planned), or neither (a new rule is planned).
func refuseTelemetry(a *model.Account) (existing *model.TelemetryRule, why string) {
	tm := a.Telemetry
	switch {
	case a.Error != nil:
		return nil, "the account could not be read"
	case tm == nil:
		return nil, "the account's CloudWatch telemetry was not read"
	case tm.Err != nil:
		return nil, fmt.Sprintf("the account's CloudWatch telemetry could not be read (%s: %s): whether a rule exists is unknown", tm.Err.API, tm.Err.Code)
	case tm.OrgErr != nil:
		return nil, fmt.Sprintf("the organization's CloudWatch telemetry could not be read (%s: %s): an organization rule may capture the account already; fix that read (from the management account or a delegated administrator) first", tm.OrgErr.API, tm.OrgErr.Code)
	}
	if why := channelRefusal(a); why != "" {
		return nil, why
	}
	for _, region := range slices.Sorted(maps.Keys(tm.RegionErrors)) {
		// Field trial: a refused ListTelemetryRules left the account's rule unknown, and a second one was planned.
		e := tm.RegionErrors[region]
		return nil, fmt.Sprintf("the account's telemetry rules in %s could not be listed (%s: %s): whether a rule exists is unknown", region, e.API, e.Code)
	}
	for _, r := range tm.Rules {
		if r.Err != nil && !r.Organization {
			return nil, fmt.Sprintf("telemetry rule %s could not be read (%s: %s): whether it already sends CloudTrail events to CloudWatch Logs is unknown", r.ARN, r.Err.API, r.Err.Code)
		}
		if r.Organization || r.DestinationType != "cloud-watch-logs" {
			continue
		}
		// Rules of one scope must differ in resource type, telemetry type and destination (CloudWatch User Guide,
		// "Telemetry enablement rules": "Duplicate rules trigger a conflict exception"): never a second one.
		if problems := ruleProblems(r, a.Regions); len(problems) > 0 {
			return nil, fmt.Sprintf("telemetry rule %s already sends CloudTrail events to CloudWatch Logs, but %s: change it (observabilityadmin UpdateTelemetryRule) rather than add a second, conflicting rule", r.ARN, strings.Join(problems, "; "))
		}
		if evaluationEverywhere(a) {
			return nil, fmt.Sprintf("%s: telemetry rule %s is right and evaluation runs everywhere, yet it does not capture every region (the capture finding's notes say where: a group that is missing or silent, or a problem the rule reports in a region; GetTelemetryRule RegionStatuses)", nothingToChange, r.ARN)
		}
		return r, ""
	}
	return nil, ""
}

// channelRefusal says why no telemetry rule can capture account a: in some region the CloudTrail service-linked channel
// its events take keeps less than every management event (field trial: a second rule was planned and applied, and the
// gate then failed with no reason). "" when none does.
func channelRefusal(a *model.Account) string {
	for _, region := range a.Regions {
		if p := controls.ChannelProblem(a, region); p != "" {
			return fmt.Sprintf("in %s, %s: a telemetry rule's events reach CloudWatch Logs through it, and only CloudWatch manages it, so no rule this plan could make or change captures the rest (inspect it with aws cloudtrail get-channel --region %s and raise it with AWS Support; or fix the account with a trail, --via trail)", region, p, region)
		}
	}
	return ""
}

// ruleProblems says why a rule for CloudTrail to CloudWatch Logs would not capture regions once evaluation runs: what
// stops it, the management events its selectors leave out, the regions it does not apply in.
func ruleProblems(r *model.TelemetryRule, regions []string) []string {
	var problems []string
	if p := controls.RuleProblem(r, ""); p != "" {
		problems = append(problems, p)
	} else if r.ReadWriteType != "All" {
		problems = append(problems, "its event selectors keep only "+controls.KeptEvents(r.ReadWriteType))
	}
	// An AllRegions rule applies in every region of every account it reaches (field trial: an organization rule was
	// told to become AllRegions, judged against one account's regions).
	if missing := slices.DeleteFunc(slices.Clone(regions), func(reg string) bool { return slices.Contains(r.Regions, reg) }); len(missing) > 0 && !r.AllRegions {
		problems = append(problems, "it does not apply in "+strings.Join(missing, ", ")+" (make it AllRegions)")
	}
	return problems
}

// evaluationEverywhere reports whether the account's telemetry evaluation runs in every region in scope.
func evaluationEverywhere(a *model.Account) bool {
	return runsEverywhere(a.Telemetry.Status, a.Telemetry.RegionStatus, a.Regions)
}

// runsEverywhere reports whether an evaluation (an account's or the organization's) runs in every region given: its
// status, and each region's where the status call listed them (nil: the one status everywhere).
func runsEverywhere(status string, byRegion map[string]string, regions []string) bool {
	if status != "RUNNING" {
		return false
	}
	for _, r := range regions {
		if byRegion != nil && byRegion[r] != "RUNNING" {
			return false
		}
	}
	return true
}

// changing reports whether an evaluation is between states (STARTING, STOPPING, or a stop that failed): a start planned
// now has no undo that puts it back, so the plan waits (fail closed).
func changing(status string) bool {
	return status == "STARTING" || status == "STOPPING" || status == "FAILED_STOP"
}

// notRunning reports whether an evaluation of this status was stopped, never started or failed to start, so that the
// undo of starting it stops it again. Any other status (RUNNING in some regions, STARTING, STOPPING) has no undo: what
// it was cannot be restored by one call.
func notRunning(status string) bool {
	return status == "NOT_STARTED" || status == "STOPPED" || status == "FAILED_START" || status == ""
}

// homeRegionOf is where an account-wide fix is managed from: us-east-1 when the account has it in scope, else its
// first region.
func homeRegionOf(a *model.Account) string { return homeOf(a.Regions) }

// homeOf is us-east-1 when the regions include it (or none is given), else the first.
func homeOf(regions []string) string {
	if len(regions) == 0 || slices.Contains(regions, "us-east-1") {
		return "us-east-1"
	}
	return regions[0]
}
