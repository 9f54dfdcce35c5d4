package awssim

import (
	"fmt"
	"slices"
	"time"
)

// CloudWatch telemetry enablement rules (observabilityadmin, API 2018-05-10, restJson1: POST /<Operation>): capture of
// CloudTrail events in CloudWatch Logs without a trail (shared/reference/beyond-trails.md §1). Shapes: aws-sdk-go-v2
// service/observabilityadmin v1.16.2 (GetTelemetryEvaluationStatus, ListTelemetryRules, GetTelemetryRule). A rule
// for AWS::CloudTrail delivers, while the account's evaluation is RUNNING, the management events its selectors keep
// to log group aws/cloudtrail/managementevents in each region it applies in (the group names cannot be changed:
// AWS's cloud-operations best-practices guide); the stream name is the simulator's own ([inference]:
// <account>_CloudTrail_<region>, as a trail's).

const telemetryGroup = "aws/cloudtrail/managementevents"

// telemetryEvaluation is where telemetry evaluation runs: in its home region, and in the others when it was started
// multi-region (StartTelemetryEvaluation with AllRegions or Regions; without them "the operation applies only to the
// current region": API reference, StartTelemetryEvaluation). regions nil: every region (AllRegions).
type telemetryEvaluation struct {
	status  string
	home    string
	regions []string
}

// runningIn reports whether rules are evaluated in region.
func (e *telemetryEvaluation) runningIn(region string) bool {
	return e != nil && e.status == "RUNNING" && (e.regions == nil || e.home == region || slices.Contains(e.regions, region))
}

// describe is GetTelemetryEvaluationStatus[ForOrganization]'s answer in region: the status, and for multi-region
// evaluation its home region and each other region's status (RegionStatuses).
func (e *telemetryEvaluation) describe(region string, all []string) map[string]any {
	if e == nil || e.status == "NOT_STARTED" {
		return map[string]any{"Status": "NOT_STARTED"}
	}
	regions := e.regions
	if regions == nil {
		regions = all
	}
	if region != e.home && !slices.Contains(regions, region) {
		return map[string]any{"Status": "NOT_STARTED"}
	}
	out := map[string]any{"Status": e.status}
	if len(regions) > 1 || len(regions) == 1 && regions[0] != e.home {
		spokes := []map[string]any{}
		for _, r := range regions {
			if r != e.home {
				spokes = append(spokes, map[string]any{"Region": r, "Status": e.status})
			}
		}
		out["HomeRegion"], out["RegionStatuses"] = e.home, spokes
	}
	return out
}

type telemetryRule struct {
	name, arn, home string
	all             bool
	regions         []string
	events          string // all, write_only, read_only, none
	retention       int
	created         time.Time
}

// appliesIn reports whether the rule applies in region.
func (r *telemetryRule) appliesIn(region string) bool {
	return r.all || r.home == region || slices.Contains(r.regions, region)
}

// keeps reports whether the rule's selectors keep a management event (read or write).
func (r *telemetryRule) keeps(readOnly bool) bool {
	switch r.events {
	case "none":
		return false
	case "write_only":
		return !readOnly
	case "read_only":
		return readOnly
	}
	return true
}

// telemetryStatuses are GetTelemetryEvaluationStatus's values (observabilityadmin types.Status).
var telemetryStatuses = []string{"NOT_STARTED", "STARTING", "FAILED_START", "RUNNING", "STOPPING", "FAILED_STOP", "STOPPED"}

func (w *world) telemetry(a *account, sa Account, t0, now0 time.Time) error {
	status, rules, err := w.telemetryRules(a, a.id, sa.TelemetryStatus, sa.TelemetryRules, "telemetry-rule/", t0)
	if err != nil {
		return err
	}
	ev, err := evaluationOf(a, "account "+a.id, status, sa.TelemetryEvaluationRegions)
	if err != nil {
		return err
	}
	a.evaluation, a.telemetryRules = ev, rules
	if c := sa.TelemetryChannel; c != "" && !slices.Contains([]string{"absent", "all", "write_only", "read_only", "none"}, c) {
		return fmt.Errorf("line %d: telemetry_channel %q: want absent, all, write_only, read_only or none", sa.Line, c)
	}
	a.channel = sa.TelemetryChannel
	return w.telemetryGroups(a, rules, sa.TelemetryRules, ev, t0, now0)
}

// orgTelemetry sets up the organization's rules (held by the management account) and their groups in every account of
// the organization. The rule ARN's resource part is the simulator's own [inference: organization-telemetry-rule/<name>].
func (w *world) orgTelemetry(t0, now0 time.Time) error {
	o := w.org
	if o == nil || len(o.TelemetryRules) == 0 && o.TelemetryStatus == "" {
		return nil
	}
	mgmt := w.accounts[o.ManagementAccount]
	status, rules, err := w.telemetryRules(mgmt, "organization "+o.ID, o.TelemetryStatus, o.TelemetryRules, "organization-telemetry-rule/", t0)
	if err != nil {
		return err
	}
	ev, err := evaluationOf(mgmt, "organization "+o.ID, status, o.TelemetryEvaluationRegions)
	if err != nil {
		return err
	}
	w.orgEvaluation, w.orgTelemetryRules = ev, rules
	for _, id := range w.order {
		if err := w.telemetryGroups(w.accounts[id], rules, o.TelemetryRules, ev, t0, now0); err != nil {
			return err
		}
	}
	return nil
}

// telemetryRules validates and builds the rules of an account (or of the organization, held by its management
// account a) and the evaluation status that gates them.
func (w *world) telemetryRules(a *account, who, status string, srs []TelemetryRule, kind string, t0 time.Time) (string, []*telemetryRule, error) {
	if status != "" && !slices.Contains(telemetryStatuses, status) {
		return "", nil, fmt.Errorf("%s: telemetry_status %q: want one of %v", who, status, telemetryStatuses)
	}
	names := map[string]bool{}
	for _, sr := range srs {
		switch {
		case sr.Name == "":
			return "", nil, fmt.Errorf("line %d: telemetry rule: name is required", sr.Line)
		case names[sr.Name]:
			return "", nil, fmt.Errorf("line %d: telemetry rule %s is listed twice in %s", sr.Line, sr.Name, who)
		case sr.AllRegions && len(sr.Regions) > 0:
			return "", nil, fmt.Errorf("line %d: telemetry rule %s: all_regions and regions are mutually exclusive", sr.Line, sr.Name)
		}
		names[sr.Name] = true
		for _, r := range append([]string{sr.HomeRegion}, sr.Regions...) {
			if r != "" && !a.regions[r] {
				return "", nil, fmt.Errorf("line %d: telemetry rule %s: region %s is not an enabled region of account %s", sr.Line, sr.Name, r, a.id)
			}
		}
	}
	if status == "" {
		status = "NOT_STARTED"
		if len(srs) > 0 {
			status = "RUNNING"
		}
	}
	var rules []*telemetryRule
	for _, sr := range srs {
		r := &telemetryRule{name: sr.Name, home: sr.HomeRegion, all: sr.AllRegions, regions: sr.Regions, events: sr.Events, retention: sr.RetentionDays, created: t0}
		if r.home == "" && len(a.regionList) > 0 {
			r.home = a.regionList[0]
		}
		if r.events == "" {
			r.events = "all"
		}
		if !slices.Contains([]string{"all", "write_only", "read_only", "none"}, r.events) {
			return "", nil, fmt.Errorf("line %d: telemetry rule %s: events %q: want all, write_only, read_only or none", sr.Line, sr.Name, sr.Events)
		}
		if err := checkDailyBytes(sr.DailyBytes); err != nil {
			return "", nil, fmt.Errorf("line %d: telemetry rule %s: daily_bytes: %w", sr.Line, sr.Name, err)
		}
		if r.retention == 0 {
			r.retention = 365
		}
		r.arn = w.arn("observabilityadmin", r.home, a.id, kind+r.name)
		rules = append(rules, r)
	}
	return status, rules, nil
}

// evaluationOf is the evaluation a scenario describes: status in regions (the first the home region; none: every
// region, from a's first region).
func evaluationOf(a *account, who, status string, regions []string) (*telemetryEvaluation, error) {
	for _, r := range regions {
		if !a.regions[r] {
			return nil, fmt.Errorf("%s: telemetry_evaluation_regions: %s is not an enabled region of account %s", who, r, a.id)
		}
	}
	ev := &telemetryEvaluation{status: status, home: "us-east-1"}
	if len(a.regionList) > 0 {
		ev.home = a.regionList[0]
	}
	if len(regions) > 0 {
		ev.home, ev.regions = regions[0], slices.Clone(regions)
	}
	return ev, nil
}

// telemetryGroups creates, in account a, the aws/cloudtrail/managementevents group of each region the rules apply in
// (unless no_group), seeded with the rule's last delivery while status is RUNNING.
func (w *world) telemetryGroups(a *account, rules []*telemetryRule, srs []TelemetryRule, ev *telemetryEvaluation, t0, now0 time.Time) error {
	for i, r := range rules {
		sr := srs[i]
		if sr.NoGroup {
			continue
		}
		last, never, err := parsePinTime(sr.LastDelivery, now0)
		if err != nil {
			return fmt.Errorf("line %d: telemetry rule %s: last_delivery: %w", sr.Line, sr.Name, err)
		}
		if last.IsZero() && !never {
			last = now0.Add(-2 * time.Minute)
		}
		for _, region := range a.regionList {
			if !r.appliesIn(region) {
				continue
			}
			// A group the scenario lists itself (to give it metric filters) is the rule's group all the same.
			g := a.logGroups[region+"\x00"+telemetryGroup]
			if g == nil {
				g = &logGroup{name: telemetryGroup, region: region, created: t0, class: "STANDARD", retention: r.retention}
				a.logGroups[region+"\x00"+telemetryGroup] = g
			}
			if g.seeded == nil && !never && ev.runningIn(region) && r.events != "none" {
				g.seeded = map[string]time.Time{a.id + "_CloudTrail_" + region: last}
				g.seedDaily(sr.DailyBytes, now0)
			}
		}
	}
	return nil
}

func telemetryOps() map[string]handler {
	return map[string]handler{"GetTelemetryEvaluationStatus": oaGetTelemetryEvaluationStatus, "ListTelemetryRules": oaListTelemetryRules,
		"GetTelemetryRule": oaGetTelemetryRule, "GetTelemetryEvaluationStatusForOrganization": oaGetTelemetryEvaluationStatusForOrganization,
		"ListTelemetryRulesForOrganization": oaListTelemetryRulesForOrganization, "GetTelemetryRuleForOrganization": oaGetTelemetryRuleForOrganization,
		"StartTelemetryEvaluation": oaStartTelemetryEvaluation, "StopTelemetryEvaluation": oaStopTelemetryEvaluation,
		"CreateTelemetryRule": oaCreateTelemetryRule, "DeleteTelemetryRule": oaDeleteTelemetryRule,
		"StartTelemetryEvaluationForOrganization": oaStartTelemetryEvaluationForOrganization, "StopTelemetryEvaluationForOrganization": oaStopTelemetryEvaluationForOrganization,
		"CreateTelemetryRuleForOrganization": oaCreateTelemetryRuleForOrganization, "DeleteTelemetryRuleForOrganization": oaDeleteTelemetryRuleForOrganization}
}

// oaStartTelemetryEvaluation starts evaluation in the region called, and in every region (AllRegions) or the listed
// ones (Regions) with it as the home region (API reference, StartTelemetryEvaluation). AWS passes through STARTING;
// the simulator is RUNNING at once.
func oaStartTelemetryEvaluation(s *Server, c *call) (any, error) {
	ev, err := startedEvaluation(c)
	if err != nil {
		return nil, err
	}
	c.acct.evaluation = ev
	return map[string]any{}, nil
}

// startedEvaluation is the evaluation a Start call asks for: in the region called, and in every region (AllRegions)
// or the listed ones (Regions, which must not name the current region), with the current region as its home.
func startedEvaluation(c *call) (*telemetryEvaluation, error) {
	var all bool
	var regions []string
	if err := c.decode("AllRegions", &all); err != nil {
		return nil, err
	}
	if err := c.decode("Regions", &regions); err != nil {
		return nil, err
	}
	if all && len(regions) > 0 {
		return nil, errf(400, "ValidationException", "AllRegions and Regions are mutually exclusive")
	}
	if slices.Contains(regions, c.region) {
		return nil, errf(400, "ValidationException", "Regions must not include the current region %s", c.region)
	}
	ev := &telemetryEvaluation{status: "RUNNING", home: c.region, regions: []string{c.region}}
	if all {
		ev.regions = nil
	} else {
		ev.regions = append(ev.regions, regions...)
	}
	return ev, nil
}

// oaStartTelemetryEvaluationForOrganization starts the organization's evaluation (API reference,
// StartTelemetryEvaluationForOrganization: AllRegions or Regions as for an account; only the management account or a
// delegated administrator). The organization's rules then apply in every account where they apply: their groups are
// made in each (the simulator's [inference]: AWS makes aws/cloudtrail/managementevents when the rule first delivers).
func oaStartTelemetryEvaluationForOrganization(s *Server, c *call) (any, error) {
	if err := s.orgTelemetryReader(c); err != nil {
		return nil, err
	}
	ev, err := startedEvaluation(c)
	if err != nil {
		return nil, err
	}
	s.w.orgEvaluation = ev
	for _, r := range s.w.orgTelemetryRules {
		s.w.orgRuleGroups(r, c.now)
	}
	return map[string]any{}, nil
}

func oaStopTelemetryEvaluationForOrganization(s *Server, c *call) (any, error) {
	if err := s.orgTelemetryReader(c); err != nil {
		return nil, err
	}
	if ev := s.w.orgEvaluation; ev != nil && ev.status == "RUNNING" {
		ev.status = "STOPPED"
	}
	return map[string]any{}, nil
}

// orgRuleGroups makes an organization rule's group in each account of the organization and region where it applies
// and the organization's evaluation runs.
func (w *world) orgRuleGroups(r *telemetryRule, now time.Time) {
	for _, id := range w.order {
		a := w.accounts[id]
		for _, region := range a.regionList {
			if r.appliesIn(region) && w.orgEvaluation.runningIn(region) && a.logGroups[region+"\x00"+telemetryGroup] == nil {
				a.logGroups[region+"\x00"+telemetryGroup] = &logGroup{name: telemetryGroup, region: region, created: now, class: "STANDARD", retention: r.retention}
			}
		}
	}
}

func oaStopTelemetryEvaluation(s *Server, c *call) (any, error) {
	if ev := c.acct.evaluation; ev != nil && ev.status == "RUNNING" {
		ev.status = "STOPPED"
	}
	return map[string]any{}, nil
}

// oaCreateTelemetryRule creates an account rule. Rules need telemetry evaluation (the Terraform provider's
// aws_observabilityadmin_telemetry_rule: "telemetry evaluation must be enabled for your AWS account"); within one
// scope, two rules with the same resource type, telemetry type and destination conflict (CloudWatch User Guide,
// "Telemetry enablement rules"). A CloudTrail rule keeps what its advanced event selectors keep, judged by the
// simulator's own reading: eventCategory Management, optionally narrowed by readOnly. Its groups are created in the
// regions where it applies and evaluation runs, with no event yet: new calls reach them.
func oaCreateTelemetryRule(s *Server, c *call) (any, error) {
	a := c.acct
	r, err := decodeRule(c)
	if err != nil {
		return nil, err
	}
	if a.evaluation == nil || a.evaluation.status != "RUNNING" {
		return nil, errf(400, "ValidationException", "Telemetry evaluation is not running for account %s: start it first (StartTelemetryEvaluation)", a.id)
	}
	// Every simulated rule is AWS::CloudTrail to cloud-watch-logs: a second one conflicts.
	if len(a.telemetryRules) > 0 {
		return nil, errf(409, "ConflictException", "A telemetry rule for AWS::CloudTrail to cloud-watch-logs already exists: %s", a.telemetryRules[0].arn)
	}
	r.arn = s.w.arn("observabilityadmin", r.home, a.id, "telemetry-rule/"+r.name)
	a.telemetryRules = append(a.telemetryRules, r)
	for _, region := range a.regionList {
		if r.appliesIn(region) && a.evaluation.runningIn(region) && a.logGroups[region+"\x00"+telemetryGroup] == nil {
			a.logGroups[region+"\x00"+telemetryGroup] = &logGroup{name: telemetryGroup, region: region, created: c.now, class: "STANDARD", retention: r.retention}
		}
	}
	return map[string]any{"RuleArn": r.arn}, nil
}

// oaCreateTelemetryRuleForOrganization creates an organization rule ("can only be called by the organization's
// management account or a delegated administrator account": API reference, CreateTelemetryRuleForOrganization),
// which needs the organization's evaluation (the Terraform provider's aws_observabilityadmin_telemetry_rule_for_organization:
// "telemetry evaluation for organization must be enabled"). It applies in every account of the organization: the
// simulator makes no scoped rules (Scope refused), and its rule ARN's resource part is its own [inference].
func oaCreateTelemetryRuleForOrganization(s *Server, c *call) (any, error) {
	if err := s.orgTelemetryReader(c); err != nil {
		return nil, err
	}
	r, err := decodeRule(c)
	if err != nil {
		return nil, err
	}
	w := s.w
	switch {
	case w.orgEvaluation == nil || w.orgEvaluation.status != "RUNNING":
		return nil, errf(400, "ValidationException", "Telemetry evaluation is not running for the organization: start it first (StartTelemetryEvaluationForOrganization)")
	case len(w.orgTelemetryRules) > 0:
		return nil, errf(409, "ConflictException", "An organization telemetry rule for AWS::CloudTrail to cloud-watch-logs already exists: %s", w.orgTelemetryRules[0].arn)
	}
	r.arn = w.arn("observabilityadmin", r.home, c.acct.id, "organization-telemetry-rule/"+r.name)
	w.orgTelemetryRules = append(w.orgTelemetryRules, r)
	w.orgRuleGroups(r, c.now)
	return map[string]any{"RuleArn": r.arn}, nil
}

func oaDeleteTelemetryRuleForOrganization(s *Server, c *call) (any, error) {
	if err := s.orgTelemetryReader(c); err != nil {
		return nil, err
	}
	return deleteRule(&s.w.orgTelemetryRules, c.str("RuleIdentifier"))
}

// deleteRule removes the rule named by id (its name or ARN) from rules.
func deleteRule(rules *[]*telemetryRule, id string) (any, error) {
	i := slices.IndexFunc(*rules, func(r *telemetryRule) bool { return r.arn == id || r.name == id })
	if i < 0 {
		return nil, errf(404, "ResourceNotFoundException", "Telemetry rule %s not found", id)
	}
	*rules = slices.Delete(*rules, i, i+1)
	return map[string]any{}, nil
}

// decodeRule reads a Create call's RuleName and Rule (TelemetryRule): an AWS::CloudTrail rule to cloud-watch-logs,
// keeping what its advanced event selectors keep, judged by the simulator's own reading (eventCategory Management,
// optionally narrowed by readOnly), made in the region called.
func decodeRule(c *call) (*telemetryRule, error) {
	name := c.str("RuleName")
	var rule struct {
		ResourceType, TelemetryType, Scope string
		AllRegions                         bool
		Regions                            []string
		DestinationConfiguration           *struct {
			DestinationType      string
			RetentionInDays      int
			CloudtrailParameters *struct {
				AdvancedEventSelectors []struct {
					Name           string
					FieldSelectors []struct {
						Field  string
						Equals []string
					}
				}
			}
		}
	}
	if err := c.decode("Rule", &rule); err != nil {
		return nil, err
	}
	switch {
	case name == "" || rule.ResourceType == "" || rule.TelemetryType == "":
		return nil, errf(400, "ValidationException", "RuleName, Rule.ResourceType and Rule.TelemetryType are required")
	case rule.Scope != "":
		return nil, errf(400, "ValidationException", "the simulator creates organization-wide rules only, not Scope %q", rule.Scope)
	case rule.ResourceType != "AWS::CloudTrail":
		return nil, errf(400, "ValidationException", "the simulator creates AWS::CloudTrail rules only, not %s", rule.ResourceType)
	case rule.DestinationConfiguration == nil || rule.DestinationConfiguration.DestinationType != "cloud-watch-logs":
		return nil, errf(400, "ValidationException", "the simulator creates rules to cloud-watch-logs only")
	}
	events := "none"
	if cp := rule.DestinationConfiguration.CloudtrailParameters; cp != nil {
		for _, sel := range cp.AdvancedEventSelectors {
			mgmt, ro := false, ""
			for _, f := range sel.FieldSelectors {
				switch {
				case f.Field == "eventCategory" && slices.Contains(f.Equals, "Management"):
					mgmt = true
				case f.Field == "readOnly" && len(f.Equals) == 1:
					ro = f.Equals[0]
				}
			}
			if mgmt {
				events = map[string]string{"": "all", "true": "read_only", "false": "write_only"}[ro]
			}
		}
	}
	r := &telemetryRule{name: name, home: c.region, all: rule.AllRegions, regions: rule.Regions, events: events,
		retention: rule.DestinationConfiguration.RetentionInDays, created: c.now}
	if r.retention == 0 {
		r.retention = 3653 // [inference] the rule sets the group's retention; none given: ten years, not "never expire"
	}
	return r, nil
}

func oaDeleteTelemetryRule(s *Server, c *call) (any, error) {
	return deleteRule(&c.acct.telemetryRules, c.str("RuleIdentifier"))
}

// orgTelemetryReader: the organization's telemetry operations "can only be called by the organization's management
// account or a delegated administrator account" (API reference, GetTelemetryRuleForOrganization).
func (s *Server) orgTelemetryReader(c *call) error {
	if s.w.org == nil || !s.w.isOrgReader(c.acct.id) {
		return errf(403, "AccessDeniedException", "Only the organization's management account or a delegated administrator may call this operation")
	}
	return nil
}

func oaGetTelemetryEvaluationStatusForOrganization(s *Server, c *call) (any, error) {
	if err := s.orgTelemetryReader(c); err != nil {
		return nil, err
	}
	return s.w.orgEvaluation.describe(c.region, s.w.part.All()), nil
}

func oaListTelemetryRulesForOrganization(s *Server, c *call) (any, error) {
	if err := s.orgTelemetryReader(c); err != nil {
		return nil, err
	}
	return ruleSummaries(s.w.orgTelemetryRules, ""), nil
}

func oaGetTelemetryRuleForOrganization(s *Server, c *call) (any, error) {
	if err := s.orgTelemetryReader(c); err != nil {
		return nil, err
	}
	return describeTelemetryRule(s.w.orgTelemetryRules, c.str("RuleIdentifier"))
}

func oaGetTelemetryEvaluationStatus(s *Server, c *call) (any, error) {
	return c.acct.evaluation.describe(c.region, s.w.part.All()), nil
}

func oaListTelemetryRules(s *Server, c *call) (any, error) {
	return ruleSummaries(c.acct.telemetryRules, c.region), nil
}

// ruleSummaries lists the rules (those that apply in region, when it is set).
func ruleSummaries(rules []*telemetryRule, region string) map[string]any {
	out := []map[string]any{}
	for _, r := range rules {
		if region == "" || r.appliesIn(region) {
			out = append(out, map[string]any{"RuleArn": r.arn, "RuleName": r.name, "ResourceType": "AWS::CloudTrail", "TelemetryType": "Logs",
				"CreatedTimeStamp": r.created.UnixMilli(), "LastUpdateTimeStamp": r.created.UnixMilli()})
		}
	}
	return map[string]any{"TelemetryRuleSummaries": out}
}

func oaGetTelemetryRule(s *Server, c *call) (any, error) {
	return describeTelemetryRule(c.acct.telemetryRules, c.str("RuleIdentifier"))
}

func describeTelemetryRule(rules []*telemetryRule, id string) (any, error) {
	for _, r := range rules {
		if r.arn != id && r.name != id {
			continue
		}
		rule := map[string]any{"ResourceType": "AWS::CloudTrail", "TelemetryType": "Logs",
			"DestinationConfiguration": map[string]any{"DestinationType": "cloud-watch-logs", "RetentionInDays": r.retention,
				"CloudtrailParameters": map[string]any{"AdvancedEventSelectors": []map[string]any{{"Name": "management events", "FieldSelectors": fieldSelectors(r.events)}}}}}
		if r.all {
			rule["AllRegions"] = true
		} else if len(r.regions) > 0 {
			rule["Regions"] = r.regions
		}
		return map[string]any{"RuleName": r.name, "RuleArn": r.arn, "HomeRegion": r.home, "CreatedTimeStamp": r.created.UnixMilli(),
			"LastUpdateTimeStamp": r.created.UnixMilli(), "TelemetryRule": rule}, nil
	}
	return nil, errf(404, "ResourceNotFoundException", "Telemetry rule %s not found", id)
}

// fieldSelectors are the advanced field selectors that keep events (all, write_only, read_only or none) of the
// management events.
func fieldSelectors(events string) []map[string]any {
	sel := []map[string]any{{"Field": "eventCategory", "Equals": []string{"Management"}}}
	switch events {
	case "write_only":
		sel = append(sel, map[string]any{"Field": "readOnly", "Equals": []string{"false"}})
	case "read_only":
		sel = append(sel, map[string]any{"Field": "readOnly", "Equals": []string{"true"}})
	case "none":
		sel = []map[string]any{{"Field": "eventCategory", "Equals": []string{"Data"}}}
	}
	return sel
}
