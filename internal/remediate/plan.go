// Package remediate turns failing findings into a reviewable plan of AWS API calls, and applies a plan safely. Planning
// is pure (inventory and findings in, steps out); applying goes through a narrow write interface, journals every call,
// retries IAM propagation errors, and undoes what it created for a trail whose fix fails part-way.
package remediate

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/cost"
	"github.com/trailwatch/trailwatch/internal/delivery"
	"github.com/trailwatch/trailwatch/internal/model"
)

// Actions a plan uses.
const (
	CreateLogGroup         = "CreateLogGroup"
	PutRetentionPolicy     = "PutRetentionPolicy"
	CreateRole             = "CreateRole"
	UpdateAssumeRolePolicy = "UpdateAssumeRolePolicy"
	PutRolePolicy          = "PutRolePolicy"
	UpdateTrail            = "UpdateTrail"
	StartLogging           = "StartLogging"
)

// Actions that undo a step (Step.Undo); UpdateTrail, UpdateAssumeRolePolicy, PutRolePolicy and PutRetentionPolicy
// also restore a previous value.
const (
	DeleteLogGroup        = "DeleteLogGroup"
	DeleteRetentionPolicy = "DeleteRetentionPolicy"
	DeleteRole            = "DeleteRole"
	DeleteRolePolicy      = "DeleteRolePolicy"
	StopLogging           = "StopLogging"
)

// SchemaVersion of the plan JSON.
const SchemaVersion = 1

// Plan is a reviewable list of steps, and what was refused.
type Plan struct {
	SchemaVersion int       `json:"schema_version"`
	GeneratedAt   time.Time `json:"generated_at"`
	Steps         []Step    `json:"steps"`
	Refused       []Refusal `json:"refused"`
	// ReliesOn maps a trail to the resources whose steps also fix it: a log group, role or delivery permission it
	// shares with a trail planned before it is created or written once, in that trail's steps.
	ReliesOn map[string][]string `json:"relies_on,omitempty"`
	// Warnings say what the plan cannot finish by itself (an alarm topic with no subscriber to add).
	Warnings []string `json:"warnings,omitempty"`
	// Via is how the plan fixes capture (--via): a reviewed plan is applied only with the same.
	Via string `json:"via,omitempty"`
	// Costs are the estimated monthly CloudWatch Logs ingestion of what the plan sends there (fix plan --cost), and
	// PriceSource the prices they use.
	Costs       []cost.Estimate `json:"costs,omitempty"`
	PriceSource string          `json:"price_source,omitempty"`
}

// Step is one AWS API call with its exact parameters and the equivalent AWS CLI command.
type Step struct {
	AccountID  string `json:"account_id"`
	Region     string `json:"region"`
	ResourceID string `json:"resource_id"` // the trail's ARN the step serves
	// Action is the API operation the step calls, Params its parameters (their type is the action's).
	Action string `json:"action"`
	Params Params `json:"params"`
	CLI    string `json:"cli"`
	Why    string `json:"why"`
	// Undo is the call that puts back what was there before this step, from the scanned state: it deletes what the
	// step creates and restores what it changes (the trail's previous log group and role, the previous trust policy,
	// inline policy or retention). Nil when there is nothing to put back.
	Undo *Call `json:"undo,omitempty"`
	// Existing describes the resource the step changes when it exists already (a trail, a log group, a role), as the
	// scan saw it: code renderings import it and state these settings, so that applying them changes nothing else.
	Existing map[string]any `json:"existing,omitempty"`
	// Serves are the accounts an organization-wide step reaches (its ResourceID is the organization): every account
	// scanned but those whose capture is unknown (refused). The rollout gate judges each one's capture after it.
	Serves []string `json:"serves,omitempty"`
}

// excepted applies the exceptions the findings carry: what an exception mutes is not fixed. Muted findings get their
// status back, so that the plan sees them, and are refused as excluded, naming the exception (alarm findings one by
// one, since they share the account's resource id), whether the findings come from the command's scan or a saved one.
func excepted(fs []model.Finding, excluded func(string) (bool, string)) ([]model.Finding, func(string) (bool, string)) {
	out := make([]model.Finding, len(fs))
	copy(out, fs)
	muted := map[string]*model.ExceptionRef{}
	for i := range out {
		f := &out[i]
		if f.Exception == nil {
			continue
		}
		if controls.IsAlarmControl(f.ControlID) {
			muted[f.ID] = f.Exception
		} else {
			muted[f.ResourceID] = f.Exception
		}
		if f.Status == model.StatusMuted && f.MutedStatus != "" {
			f.Status = f.MutedStatus
		}
	}
	if len(muted) == 0 {
		return out, excluded
	}
	return out, func(id string) (bool, string) {
		if x := muted[id]; x != nil {
			return true, fmt.Sprintf("%s (owner %s, until %s: %s)", x.Where, x.Owner, x.Expires, x.Reason)
		}
		if excluded != nil {
			return excluded(id)
		}
		return false, ""
	}
}

// trailSettings are a trail's settings as aws_cloudtrail names them, for code renderings.
func trailSettings(t *model.Trail) map[string]any {
	m := map[string]any{"name": t.Name, "s3_bucket_name": t.S3Bucket, "is_multi_region_trail": t.MultiRegion,
		"is_organization_trail": t.Organization}
	if t.LogGroupARN != "" {
		// Stated so that an imported trail keeps its integration when only logging changes.
		m["cloud_watch_logs_group_arn"], m["cloud_watch_logs_role_arn"] = t.LogGroupARN, t.RoleARN
	}
	for k, v := range map[string]string{"s3_key_prefix": t.S3KeyPrefix, "kms_key_id": t.KMSKeyID, "sns_topic_name": t.SNSTopicARN} {
		if v != "" {
			m[k] = v
		}
	}
	if t.GlobalServiceEvents != nil {
		m["include_global_service_events"] = *t.GlobalServiceEvents
	}
	if t.LogFileValidation != nil {
		m["enable_log_file_validation"] = *t.LogFileValidation
	}
	if t.HasCustomEventSelectors {
		m["has_custom_event_selectors"] = true
	}
	return m
}

// Call is one AWS API call.
type Call struct {
	Action string `json:"action"`
	Params Params `json:"params"`
}

// call is the call with these parameters.
func call(p Params) *Call { return &Call{Action: p.Action(), Params: p} }

// newStep is a step that makes the call p for the resource rid (its action is p's, its AWS CLI command p's rendering).
func newStep(acct, region, rid, why string, p Params) Step {
	return render(Step{AccountID: acct, Region: region, ResourceID: rid, Action: p.Action(), Params: p, Why: why})
}

// UnmarshalJSON reads a step from a plan file: its parameters as its action's type; a key a step does not have is
// refused.
func (s *Step) UnmarshalJSON(b []byte) error {
	type plain Step
	var raw struct {
		plain
		Params json.RawMessage `json:"params"`
	}
	if err := strictJSON(b, &raw); err != nil {
		return err
	}
	p, err := decodeParams(raw.Action, raw.Params)
	if err != nil {
		return err
	}
	*s = Step(raw.plain)
	s.Params = p
	return nil
}

// UnmarshalJSON reads a call (an undo) from a plan file: its parameters as its action's type.
func (c *Call) UnmarshalJSON(b []byte) error {
	if err := exactKeys(b, reflect.TypeOf(Call{})); err != nil {
		return fmt.Errorf("undo: %w", err)
	}
	var s Step // a call is a step's action and parameters
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*c = Call{Action: s.Action, Params: s.Params}
	return nil
}

// Refusal is a trail the plan will not touch, with the reason.
type Refusal struct {
	ResourceID string `json:"resource_id"`
	AccountID  string `json:"account_id,omitempty"`
	Reason     string `json:"reason"`
	// Excepted: an exception keeps the resource as it is (a choice, not something left to fix).
	Excepted bool `json:"excepted,omitempty"`
}

// Options tune planning.
type Options struct {
	// LogGroupName names a new log group; "%s" is replaced by the trail name. Default aws-cloudtrail-logs/%s.
	LogGroupName string
	// RoleName names a new delivery role; "%s" is replaced by the trail name. Default CloudTrailCloudWatchLogs-%s.
	RoleName string
	// RetentionDays of new log groups and for short-retention fixes (a value CloudWatch Logs accepts). Default 365.
	RetentionDays int
	KMSKey        string
	Tags          map[string]string
	// Trails and Accounts narrow the plan (empty: all).
	Trails, Accounts []string
	// Excluded reports trails an exception excludes, with the reason (alarm findings by finding id).
	Excluded func(trailARN string) (bool, string)
	Now      time.Time
	// Alarms are the CIS monitoring items the findings were judged against (controls.Settings.Alarms); none: no alarm
	// fixes. Each failing alarm finding's chain is read from its typed evidence (model.ChainEvidence) and the
	// inventory, never judged again.
	Alarms []alarms.Item
	// AlarmTopic is the SNS topic new alarms notify; empty: trailwatch creates DefaultAlarmTopic in the log group's
	// account and region.
	AlarmTopic string
	// Notify are endpoints (protocol:endpoint) subscribed to the topics the plan creates or names.
	Notify []string
	// Via is how capture is fixed: ViaTrail (the default: integrate each failing trail), ViaTelemetryRule (one
	// CloudWatch telemetry rule per account instead: no trail is changed) or ViaOrgTelemetryRule (one organization
	// rule, made by Caller).
	Via string
	// Caller is the account the fix runs as (the management account or a delegated administrator for an organization
	// rule); empty: the organization's management account.
	Caller string
	// TrailBucket is the S3 bucket (with CloudTrail's bucket policy) of the multi-region trail the plan creates in an
	// account no trail covers; empty: such an account is refused, with what to do (newtrail.go).
	TrailBucket string
}

// CheckRetention says what is wrong with a retention value.
func CheckRetention(d int) error {
	for _, v := range controls.ValidRetentionDays {
		if v == d {
			return nil
		}
	}
	return fmt.Errorf("retention %d days is not one CloudWatch Logs accepts: %v", d, controls.ValidRetentionDays)
}

// PolicyName prefixes the inline policies trailwatch writes on a delivery role: one per log group the role delivers to
// (PolicyNameFor), so that two trails sharing a role never overwrite each other's permission.
const PolicyName = "TrailwatchCloudWatchLogsDelivery"

// PolicyNameFor is the inline policy name for delivery to one log group: PolicyName, a dash and the group name with
// the characters IAM refuses in policy names ([\w+=,.@-] only) replaced by "-", at most 128 characters.
func PolicyNameFor(group string) string {
	b := []byte(PolicyName + "-" + group)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0) {
			b[i] = '-'
		}
	}
	return truncate(string(b), 128)
}

// CheckNameTemplate validates a --log-group-name or --delivery-role-name template: at most one "%s" (the trail name)
// and no other "%" verb. Without "%s" every trail shares the one name, which the plan then creates once.
func CheckNameTemplate(flag, tmpl string) error {
	if strings.TrimSpace(tmpl) == "" {
		return fmt.Errorf("%s is empty", flag)
	}
	if n := strings.Count(tmpl, "%s"); n > 1 {
		return fmt.Errorf("%s %q: at most one %%s (the trail name), found %d", flag, tmpl, n)
	}
	if strings.Contains(strings.ReplaceAll(tmpl, "%s", ""), "%") {
		return fmt.Errorf("%s %q: only %%s (the trail name) may follow a %%", flag, tmpl)
	}
	// The characters the services accept, checked before any AWS call (field trial: a bad name failed only at apply):
	// IAM role names [\w+=,.@-], CloudWatch Logs group names [.\-_/#A-Za-z0-9] (API references, CreateRole and
	// CreateLogGroup). Trail names are letters, digits, periods, underscores and dashes, so they keep a name valid.
	fixed := strings.ReplaceAll(tmpl, "%s", "")
	switch {
	case flag == "--delivery-role-name" && !roleNameRe.MatchString(fixed):
		return fmt.Errorf("%s %q: a role name has only letters, digits and + = , . @ _ - (IAM CreateRole)", flag, tmpl)
	case flag == "--log-group-name" && !groupNameRe.MatchString(fixed):
		return fmt.Errorf("%s %q: a log group name has only letters, digits and . - _ / # (CloudWatch Logs CreateLogGroup)", flag, tmpl)
	}
	return nil
}

var (
	roleNameRe  = regexp.MustCompile(`^[\w+=,.@-]*$`)
	groupNameRe = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]*$`)
)

// nameFrom fills a name template with the trail name.
func nameFrom(tmpl, trail string) string { return delivery.NameFor(tmpl, trail) }

// NewPlan plans the fix of every failing trail and short-retention log group in the findings.
func NewPlan(inv *model.Inventory, findings []model.Finding, o Options) *Plan {
	o = withDefaults(o)
	findings, o.Excluded = excepted(findings, o.Excluded)
	p := &Plan{SchemaVersion: SchemaVersion, GeneratedAt: o.Now.UTC(), Steps: []Step{}, Refused: []Refusal{}}
	if WithoutTrail(o.Via) {
		p.Via = o.Via
	}
	trails := map[string]*model.Trail{}
	accounts := map[string]*model.Account{}
	for _, a := range inv.Accounts {
		accounts[a.ID] = a
		for _, t := range a.Trails {
			if prev := trails[t.ARN]; prev == nil || (prev.OwnedElsewhere && !t.OwnedElsewhere) {
				trails[t.ARN] = t
			}
		}
	}
	want := func(l []string, v string) bool {
		if len(l) == 0 {
			return true
		}
		for _, x := range l {
			if x == v {
				return true
			}
		}
		return false
	}
	groupTrails := map[string][]string{}       // log group ARN (without ":*") -> the trails delivering to it
	groupState := map[string]*model.LogGroup{} // log group ARN (without ":*") -> as scanned
	for _, t := range trails {
		if t.LogGroupARN != "" {
			g := strings.TrimSuffix(t.LogGroupARN, ":*")
			groupTrails[g] = append(groupTrails[g], t.ARN)
			if t.LogGroup != nil {
				groupState[g] = t.LogGroup
			}
		}
	}
	fixedGroups := map[string]bool{}
	// What earlier trails' steps already create or write, per account: a log group or role is created once, a
	// delivery policy for a role and log group written once, however many trails share them.
	done := map[string]string{} // step key -> the resource whose steps hold it
	switch o.Via {
	case ViaTelemetryRule:
		planTelemetry(p, inv, findings, o)
	case ViaOrgTelemetryRule:
		planOrgTelemetry(p, inv, findings, o)
	}
	for _, f := range findings {
		if f.ControlID != controls.IntegrationID || f.Status != model.StatusFail || f.ResourceType != model.TypeTrail || WithoutTrail(o.Via) {
			continue
		}
		t := trails[f.ResourceID]
		if t == nil || !want(o.Trails, t.ARN) || !want(o.Accounts, t.OwnerAccount) {
			continue
		}
		if r, excepted := refuse(t, o); r != "" {
			p.Refused = append(p.Refused, Refusal{ResourceID: t.ARN, AccountID: t.OwnerAccount, Reason: r, Excepted: excepted})
			continue
		}
		steps, why := planTrail(t, f, accounts[t.OwnerAccount], o)
		if slices.ContainsFunc(f.Reasons, func(r model.Reason) bool { return r.Code == controls.NoManagementEvents }) {
			// The plan repairs delivery, never what a trail logs (field trial: the plan promised a pass, and the trail
			// stayed WARN after it with nothing said).
			p.Refused = append(p.Refused, Refusal{ResourceID: t.ARN, AccountID: t.OwnerAccount, Reason: fmt.Sprintf(
				"its event selectors log no management events (%s), and the plan does not change what a trail logs: add management events, read and write, where the trail is managed (cloudtrail PutEventSelectors)", controls.NoManagementEvents)})
		}
		if len(steps) == 0 {
			p.Refused = append(p.Refused, Refusal{ResourceID: t.ARN, AccountID: t.OwnerAccount, Reason: why})
			continue
		}
		for _, s := range steps {
			if g := s.logGroup(); p.addOnce(done, s) && g != "" && (s.Action == CreateLogGroup || s.Action == PutRetentionPolicy) {
				fixedGroups[s.AccountID+"/"+s.Region+"/"+g] = true
			}
		}
	}
	if !WithoutTrail(o.Via) {
		planNewTrails(p, inv, findings, o, want, done)
	}
	for _, f := range findings {
		if f.ControlID != controls.RetentionID || f.Status != model.StatusFail || !want(o.Accounts, f.AccountID) {
			continue
		}
		g, ok := awsarn.ParseLogGroup(f.ResourceID)
		if !ok {
			continue // a retention finding names its log group by ARN
		}
		name := g.Name
		if fixedGroups[f.AccountID+"/"+f.Region+"/"+name] {
			continue
		}
		if name == model.TelemetryLogGroup {
			// A CloudWatch telemetry rule manages this group and sets its retention (DestinationConfiguration
			// .RetentionInDays): a PutRetentionPolicy of ours would not be the rule's (issue 26).
			p.Refused = append(p.Refused, Refusal{ResourceID: f.ResourceID, AccountID: f.AccountID,
				Reason: "the group belongs to a CloudWatch telemetry rule: set the retention in the rule (observabilityadmin UpdateTelemetryRule, DestinationConfiguration.RetentionInDays)"})
			continue
		}
		if o.Excluded != nil {
			// An exception on the log group (or on the trail that delivers to it, for the same control family)
			// keeps every step off it.
			if ex, why := o.Excluded(f.ResourceID); ex {
				p.Refused = append(p.Refused, Refusal{ResourceID: f.ResourceID, AccountID: f.AccountID, Reason: "excluded by an exception: " + why, Excepted: true})
				continue
			}
		}
		if len(o.Trails) > 0 && !slices.ContainsFunc(groupTrails[strings.TrimSuffix(f.ResourceID, ":*")], func(arn string) bool { return want(o.Trails, arn) }) {
			continue // --trails narrows the plan to those trails and the log groups they deliver to
		}
		var prev *int
		if lg := groupState[f.ResourceID]; lg != nil {
			prev = lg.RetentionDays
		}
		p.Steps = append(p.Steps, retentionStep(f.AccountID, f.Region, name, f.ResourceID, o.RetentionDays, "retention is below the minimum", prev))
	}
	planAlarms(p, inv, findings, o, done)
	sort.SliceStable(p.Steps, func(i, j int) bool { return p.Steps[i].AccountID < p.Steps[j].AccountID })
	return p
}

// addOnce adds a step unless an earlier one makes the same change (stepKey): then the step's resource relies on the
// earlier one's. It reports whether it added the step.
func (p *Plan) addOnce(done map[string]string, s Step) bool {
	key := stepKey(s)
	if by, ok := done[key]; ok {
		if by != s.ResourceID && !slices.Contains(p.ReliesOn[s.ResourceID], by) {
			if p.ReliesOn == nil {
				p.ReliesOn = map[string][]string{}
			}
			p.ReliesOn[s.ResourceID] = append(p.ReliesOn[s.ResourceID], by)
		}
		return false
	}
	done[key] = s.ResourceID
	p.Steps = append(p.Steps, s)
	return true
}

// nothingToChange opens the refusal of a trail whose pipeline is in place but which still fails.
const nothingToChange = "nothing to change automatically"

// stepKey identifies what a step changes, so that trails sharing a log group or role do not repeat (and break) it:
// a second CreateRole fails with EntityAlreadyExists, a second CreateLogGroup with ResourceAlreadyExistsException.
// UpdateTrail and StartLogging change one trail each and are never shared.
func stepKey(s Step) string {
	switch p := s.Params.(type) {
	case CreateLogGroupInput, PutRetentionPolicyInput:
		return s.AccountID + "|" + s.Region + "|" + s.Action + "|" + s.logGroup()
	case CreateRoleInput:
		return s.AccountID + "|" + s.Action + "|" + p.RoleName
	case UpdateAssumeRolePolicyInput:
		return s.AccountID + "|" + s.Action + "|" + p.RoleName
	case PutRolePolicyInput:
		return s.AccountID + "|" + s.Action + "|" + p.RoleName + "|" + p.PolicyName
	}
	return s.AccountID + "|" + s.Region + "|" + s.Action + "|" + s.ResourceID
}

// logGroup is the log group a CloudWatch Logs step names ("" for any other).
func (s Step) logGroup() string {
	switch p := s.Params.(type) {
	case CreateLogGroupInput:
		return p.LogGroupName
	case PutRetentionPolicyInput:
		return p.LogGroupName
	case DeleteLogGroupInput:
		return p.LogGroupName
	case DeleteRetentionPolicyInput:
		return p.LogGroupName
	case PutMetricFilterInput:
		return p.LogGroupName
	case DeleteMetricFilterInput:
		return p.LogGroupName
	}
	return ""
}

// refuse says why a trail must not be touched from here, or "", and whether an exception is why.
func refuse(t *model.Trail, o Options) (string, bool) {
	// An exception first: the team's own decision about the trail is the reason it stays as it is.
	if o.Excluded != nil {
		if ex, why := o.Excluded(t.ARN); ex {
			return "excluded by an exception: " + why, true
		}
	}
	if t.OwnedElsewhere {
		return fmt.Sprintf("organization trail owned by account %s (the management account): fix it there, or from the CloudTrail delegated administrator; members cannot change organization trails", t.OwnerAccount), false
	}
	if strings.HasPrefix(t.Name, "aws-controltower-") {
		return "managed by AWS Control Tower (its guardrails deny changes): fix it through Control Tower, and mute the finding with an exception meanwhile", false
	}
	return "", false
}

func planTrail(t *model.Trail, f model.Finding, acct *model.Account, o Options) ([]Step, string) {
	has := map[string]bool{}
	for _, r := range f.Reasons {
		has[r.Code] = true
	}
	part, region, owner := awsarn.Partition(t.ARN), t.HomeRegion, t.OwnerAccount
	var steps []Step
	add := func(why string, p Params) {
		steps = append(steps, newStep(owner, region, t.ARN, why, p))
	}
	// The log group: reuse the trail's when it exists; else create it (under the trail's chosen name).
	group := ""
	if t.LogGroupARN != "" {
		group = groupNameOf(t.LogGroupARN)
	}
	if group == "" {
		group = nameFrom(o.LogGroupName, t.Name)
	}
	// A group in another account or region cannot be the trail's (CloudTrail refuses it): one of the same name is
	// created where the trail is. An ARN that names no log group (IaC) names none to reuse.
	groupMissing := t.LogGroupARN == "" || (t.LogGroup != nil && !t.LogGroup.Exists) || has[controls.LogGroupMissing] || has[controls.LogGroupElsewhere] ||
		has[controls.LogGroupARNInvalid]
	if groupMissing {
		tags := map[string]string{"managed-by": "trailwatch"}
		for k, v := range o.Tags {
			tags[k] = v
		}
		add("the trail's log group does not exist", CreateLogGroupInput{LogGroupName: group, KmsKeyID: o.KMSKey, Tags: tags})
		steps[len(steps)-1].Undo = call(DeleteLogGroupInput{LogGroupName: group})
		s := retentionStep(owner, region, group, t.ARN, o.RetentionDays, "a new log group never expires by default")
		s.Undo = nil // deleting the new log group undoes it
		steps = append(steps, s)
	}
	groupARN := awsarn.LogGroupARN(part, region, owner, group)

	// The role: reuse and repair the trail's when it exists; else create one.
	roleName, roleARN := "", ""
	if t.RoleARN != "" && t.Role != nil && t.Role.Exists {
		roleName, roleARN = t.Role.Name, t.RoleARN
	} else if t.RoleARN != "" {
		roleName, roleARN = awsarn.RoleName(t.RoleARN), t.RoleARN
	} else {
		roleName = delivery.RoleName(o.RoleName, t.Name)
		roleARN = awsarn.Role(part, owner, roleName)
	}
	roleMissing := t.RoleARN == "" || t.Role == nil || !t.Role.Exists
	orgID := ""
	if t.Organization && acct != nil {
		orgID = acct.OrgID
	}
	g := awsarn.LogGroup{Partition: part, Region: region, Account: owner, Name: group}
	doc := delivery.Policy(g, orgID)
	if roleMissing {
		add("the delivery role does not exist", CreateRoleInput{RoleName: roleName, AssumeRolePolicyDocument: delivery.TrustPolicy,
			Description: "CloudTrail delivery to CloudWatch Logs for " + t.ARN, Tags: map[string]string{"managed-by": "trailwatch"}})
		steps[len(steps)-1].Undo = call(DeleteRoleInput{RoleName: roleName})
	} else if trusted, _ := delivery.Trusts(t.Role.Trust); !trusted {
		add("the role does not trust cloudtrail.amazonaws.com", UpdateAssumeRolePolicyInput{RoleName: roleName, PolicyDocument: delivery.TrustPolicy})
		steps[len(steps)-1].Undo = call(UpdateAssumeRolePolicyInput{RoleName: roleName, PolicyDocument: t.Role.Trust})
		steps[len(steps)-1].Existing = map[string]any{"name": roleName}
	}
	if roleMissing || has[controls.RoleCannotWrite] || len(delivery.CheckRole(t.Role, g, delivery.Trail{Owner: owner, HomeRegion: region, Organization: t.Organization, OrgID: orgID}).Missing) > 0 {
		add("the role needs logs:CreateLogStream and logs:PutLogEvents on the log group's streams",
			PutRolePolicyInput{RoleName: roleName, PolicyName: PolicyNameFor(group), PolicyDocument: doc})
		undo := call(DeleteRolePolicyInput{RoleName: roleName, PolicyName: PolicyNameFor(group)})
		if t.Role != nil {
			for _, pd := range t.Role.Policies {
				if pd.ARN == "" && pd.Name == PolicyNameFor(group) {
					undo = call(PutRolePolicyInput{RoleName: roleName, PolicyName: pd.Name, PolicyDocument: pd.Document})
				}
			}
		}
		steps[len(steps)-1].Undo = undo
	}
	if t.LogGroupARN != groupARN || t.RoleARN != roleARN {
		add("point the trail at the log group and role", UpdateTrailInput{Name: t.ARN, CloudWatchLogsLogGroupArn: groupARN, CloudWatchLogsRoleArn: roleARN})
		// Put the trail back as it was ("" clears the integration: CTUG stop-cloudtrail-from-sending-events-to-cloudwatch-logs).
		steps[len(steps)-1].Undo = call(UpdateTrailInput{Name: t.ARN, CloudWatchLogsLogGroupArn: t.LogGroupARN, CloudWatchLogsRoleArn: t.RoleARN})
		steps[len(steps)-1].Existing = trailSettings(t)
	}
	if has[controls.NotLogging] {
		add("the trail is stopped", StartLoggingInput{Name: t.ARN})
		steps[len(steps)-1].Undo = call(StopLoggingInput{Name: t.ARN})
		steps[len(steps)-1].Existing = trailSettings(t)
	}
	if len(steps) == 0 {
		var codes []string
		for c := range has {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		return nil, nothingToChange + ": the log group and role are in place (" + strings.Join(codes, ", ") + "); read the delivery error and check the role's permissions boundary and SCPs"
	}
	return steps, ""
}

// retentionStep sets a log group's retention; prev is its retention before (nil: never expire), for the undo.
func retentionStep(acct, region, group, rid string, days int, why string, prev ...*int) Step {
	s := newStep(acct, region, rid, why, PutRetentionPolicyInput{LogGroupName: group, RetentionInDays: days})
	if len(prev) > 0 {
		s.Existing = map[string]any{"name": group}
		if prev[0] == nil {
			s.Undo = call(DeleteRetentionPolicyInput{LogGroupName: group})
		} else {
			s.Undo = call(PutRetentionPolicyInput{LogGroupName: group, RetentionInDays: *prev[0]})
		}
	}
	return s
}

func groupNameOf(arn string) string {
	g, _ := awsarn.ParseLogGroup(arn)
	return g.Name
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func tagList(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+tags[k])
	}
	return strings.Join(parts, ",")
}

// Summary renders the plan for people.
func (p *Plan) Summary() string {
	var b strings.Builder
	last := ""
	for _, s := range p.Steps {
		if s.ResourceID != last {
			if s.ResourceID == s.AccountID {
				fmt.Fprintf(&b, "account %s (%s)\n", s.AccountID, s.Region) // an account-wide fix (a telemetry rule)
			} else {
				fmt.Fprintf(&b, "%s (account %s, %s)\n", s.ResourceID, s.AccountID, s.Region)
			}
			last = s.ResourceID
		}
		fmt.Fprintf(&b, "  %-22s %s\n      $ %s\n", s.Action, s.Why, s.CLI)
	}
	for _, r := range p.Refused {
		fmt.Fprintf(&b, "REFUSED %s: %s\n", r.ResourceID, r.Reason)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "WARNING %s\n", w)
	}
	fmt.Fprintf(&b, "%s for %s (trails, log groups, alarm chains or accounts); %d refused\n", plural(len(p.Steps), "step"), plural(countResources(p.Steps), "resource"), len(p.Refused))
	return b.String()
}

func countResources(steps []Step) int {
	seen := map[string]bool{}
	for _, s := range steps {
		seen[s.ResourceID] = true
	}
	return len(seen)
}

// ReadPlan parses a plan written as JSON.
//
// A plan file is data a person may edit, so it is read strictly: a key this trailwatch does not write, at any level
// and in any letter case (Go's decoder matches keys case-insensitively), is refused, and an error names its step
// (numbered from 1, as every plan message numbers them).
func ReadPlan(data []byte) (*Plan, error) {
	var raw struct {
		Plan
		Steps []json.RawMessage `json:"steps"` // each read on its own, so that an error names its step
	}
	if err := strictJSON(data, &raw); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	p := raw.Plan
	if raw.Steps != nil {
		p.Steps = make([]Step, len(raw.Steps))
		for i, r := range raw.Steps {
			if err := json.Unmarshal(r, &p.Steps[i]); err != nil {
				return nil, fmt.Errorf("read plan: step %d: %w", i+1, err)
			}
		}
	}
	if p.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("read plan: schema_version %d, this trailwatch reads %d", p.SchemaVersion, SchemaVersion)
	}
	if p.Steps == nil {
		// Every plan has its steps (an empty list when there is nothing to do); a scan report has none (field trial: a
		// report given as a plan was read as one that fixes nothing).
		return nil, fmt.Errorf("read plan: not a fix plan (no steps): write one with trailwatch fix plan --format json")
	}
	for i, s := range p.Steps {
		switch s.Action {
		case CreateLogGroup, PutRetentionPolicy, CreateRole, UpdateAssumeRolePolicy, PutRolePolicy, UpdateTrail, StartLogging,
			PutMetricFilter, PutMetricAlarm, EnableAlarmActions, CreateTopic, Subscribe, StartTelemetryEvaluation, CreateTelemetryRule, CreateTrail,
			StartTelemetryEvaluationForOrganization, CreateTelemetryRuleForOrganization:
		default:
			return nil, fmt.Errorf("read plan: step %d: unknown action %q", i+1, s.Action)
		}
		if u := s.Undo; u != nil {
			switch u.Action {
			case DeleteLogGroup, DeleteRetentionPolicy, DeleteRole, DeleteRolePolicy, StopLogging, PutRetentionPolicy, UpdateAssumeRolePolicy, PutRolePolicy, UpdateTrail,
				DeleteMetricFilter, PutMetricFilter, DeleteAlarms, PutMetricAlarm, DisableAlarmActions, DeleteTopic,
				StopTelemetryEvaluation, DeleteTelemetryRule, DeleteTrail, StopTelemetryEvaluationForOrganization, DeleteTelemetryRuleForOrganization:
			default:
				return nil, fmt.Errorf("read plan: step %d: unknown undo action %q", i+1, u.Action)
			}
		}
		if s.AccountID == "" || s.Region == "" {
			return nil, fmt.Errorf("read plan: step %d (%s) has no account_id or region", i+1, s.Action)
		}
		if err := s.consistent(); err != nil {
			return nil, fmt.Errorf("read plan: step %d (%s): %w", i+1, s.Action, err)
		}
	}
	return &p, nil
}

// consistent checks what a person editing a reviewed plan could get wrong: the account is an account id, the
// resource the step serves is in that account and region (as its ARN says), and a retention is one CloudWatch Logs
// accepts.
func (s Step) consistent() error {
	if !model.IsAccountID(s.AccountID) {
		return fmt.Errorf("account_id %q is not a 12-digit account id", s.AccountID)
	}
	if a, ok := awsarn.Parse(s.ResourceID); ok {
		if a.AccountID != "" && a.AccountID != s.AccountID {
			return fmt.Errorf("resource_id %s is in account %s, not in the step's account_id %s", s.ResourceID, a.AccountID, s.AccountID)
		}
		if a.Region != "" && a.Region != s.Region && s.Action != CreateRole && s.Action != UpdateAssumeRolePolicy && s.Action != PutRolePolicy {
			return fmt.Errorf("resource_id %s is in region %s, not in the step's region %s", s.ResourceID, a.Region, s.Region)
		}
	}
	if s.Action == PutRetentionPolicy || createsRule(s.Action) {
		d, ok := s.retentionDays()
		if !ok {
			return fmt.Errorf("the step's retention (retentionInDays, or the rule's DestinationConfiguration.RetentionInDays): want a number of days")
		}
		if err := CheckRetention(d); err != nil {
			return err
		}
	}
	return nil
}

// createsRule reports whether action creates a telemetry rule (of the account or of the organization).
func createsRule(action string) bool {
	return action == CreateTelemetryRule || action == CreateTelemetryRuleForOrganization
}

// retentionDays is a PutRetentionPolicy step's retentionInDays, or the retention a CreateTelemetryRule step gives
// its groups.
func (s Step) retentionDays() (int, bool) {
	var v any
	switch p := s.Params.(type) {
	case PutRetentionPolicyInput:
		return p.RetentionInDays, true
	case CreateTelemetryRuleInput:
		v = ruleRetention(p.Rule)
	case CreateTelemetryRuleForOrganizationInput:
		v = ruleRetention(p.Rule)
	}
	switch v := v.(type) {
	case float64:
		return int(v), v == float64(int(v))
	case int:
		return v, true
	case int32:
		return int(v), true
	case int64:
		return int(v), true
	}
	return 0, false
}

// CheckMinRetention refuses a plan that would set a log group's retention below min days: applying it would make the
// retention control fail, and CloudWatch Logs deletes the older events at once.
func (p *Plan) CheckMinRetention(min int) error {
	for i, s := range p.Steps {
		if s.Action != PutRetentionPolicy && !createsRule(s.Action) {
			continue
		}
		if d, ok := s.retentionDays(); ok && d < min {
			unit := "days"
			if d == 1 {
				unit = "day"
			}
			what := s.ResourceID
			switch p := s.Params.(type) {
			case CreateTelemetryRuleInput:
				what = fmt.Sprintf("the groups of telemetry rule %v in account %s", p.RuleName, s.AccountID)
			case CreateTelemetryRuleForOrganizationInput:
				what = fmt.Sprintf("the groups of organization telemetry rule %v in every account", p.RuleName)
			}
			return fmt.Errorf("step %d sets the retention of %s to %d %s, below the %d-day minimum (--min-retention-days)", i+1, what, d, unit, min)
		}
	}
	return nil
}

// PlanChangedError is Reviewed's refusal of a plan that is not the plan trailwatch writes now.
type PlanChangedError struct{ Err error }

func (e *PlanChangedError) Error() string { return e.Err.Error() }
func (e *PlanChangedError) Unwrap() error { return e.Err }

// Reviewed accepts a reviewed plan file (data) only if it reads, keeps every retention at or above minRetention, and
// is, step for step, the plan trailwatch writes now: fresh makes that plan (a scan: called only once the file has
// passed the cheaper checks). A refusal of the file itself is an error from ReadPlan or CheckMinRetention; a plan that
// differs is a *PlanChangedError; fresh's own error is returned as it is.
func Reviewed(data []byte, minRetention int, fresh func() (*Plan, error)) (*Plan, error) {
	p, err := ReadPlan(data)
	if err != nil {
		return nil, err
	}
	if err := p.CheckMinRetention(minRetention); err != nil {
		return nil, err
	}
	now, err := fresh()
	if err != nil {
		return nil, err
	}
	if err := SamePlan(p, now); err != nil {
		return nil, &PlanChangedError{Err: err}
	}
	return p, nil
}

// SamePlan checks that a reviewed plan is exactly the plan trailwatch writes now for the same accounts and flags:
// the same steps in the same order, each with the same action, account, region, resource, parameters and undo. A plan
// file is data a person (or anything with write access to it) can edit: an undo that deletes a healthy log group, a
// policy replaced by Allow *:*, a step renamed to another trail. None of that may run; nor may a plan whose accounts
// changed since it was reviewed. The error names the first difference.
func SamePlan(reviewed, now *Plan) error {
	if reviewed.Via != now.Via {
		via := func(v string) string {
			if v == "" {
				return ViaTrail
			}
			return v
		}
		return fmt.Errorf("the plan was made with --via %s, and is now planned with --via %s: give the flag it was made with", via(reviewed.Via), via(now.Via))
	}
	canon := func(v any) string {
		b, _ := json.Marshal(v)
		var x any
		_ = json.Unmarshal(b, &x)
		b, _ = json.Marshal(x)
		return string(b)
	}
	for i := 0; i < len(reviewed.Steps) || i < len(now.Steps); i++ {
		if i >= len(now.Steps) {
			s := reviewed.Steps[i]
			return fmt.Errorf("step %d (%s on %s) is not in the plan trailwatch writes now (give fix apply the flags the plan was made with: --org, --trail-bucket, --alarms, --via, --trails, --accounts; or the accounts changed since: plan again)", i+1, s.Action, s.ResourceID)
		}
		if i >= len(reviewed.Steps) {
			s := now.Steps[i]
			return fmt.Errorf("the plan trailwatch writes now has a step %d (%s on %s) that the reviewed plan lacks", i+1, s.Action, s.ResourceID)
		}
		r, n := reviewed.Steps[i], now.Steps[i]
		for _, c := range []struct {
			field string
			a, b  any
		}{
			{"action", r.Action, n.Action}, {"account_id", r.AccountID, n.AccountID}, {"region", r.Region, n.Region},
			{"resource_id", r.ResourceID, n.ResourceID}, {"params", r.Params, n.Params}, {"undo", r.Undo, n.Undo}, {"serves", r.Serves, n.Serves},
			// What a reviewer reads: the command and the reason (field trial: a cli rewritten to delete-log-group ran).
			{"cli", r.CLI, n.CLI}, {"why", r.Why, n.Why}, {"existing", r.Existing, n.Existing},
		} {
			if canon(c.a) != canon(c.b) {
				what := "its " + c.field + " differs"
				if c.field == "params" {
					what = "its parameters differ"
				}
				return fmt.Errorf("step %d (%s on %s): %s from the plan trailwatch writes now (give fix apply the flags the plan was made with: names, retention, --alarms, --notify, --trail-bucket)", i+1, n.Action, n.ResourceID, what)
			}
		}
	}
	return nil
}

// plural is "1 step", "2 steps" (field trial: "5 steps for 1 trails").
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
