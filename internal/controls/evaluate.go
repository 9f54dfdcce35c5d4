package controls

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/delivery"
	"github.com/trailwatch/trailwatch/internal/model"
)

// Settings are the thresholds a scan judges against.
type Settings struct {
	// Now is the instant ages are measured from (UTC).
	Now time.Time
	// MaxDeliveryAge is the oldest acceptable CloudWatch Logs delivery; older fails. Exactly this age passes.
	MaxDeliveryAge time.Duration
	// MinRetentionDays is the shortest acceptable log group retention.
	MinRetentionDays int
	// PendingWindow: a whole pipeline that has never delivered is PENDING, not FAIL, while logging started less than
	// this long ago, or while the trail was fixed (FixedAt) less than this long ago.
	PendingWindow time.Duration
	// FixedAt holds when trailwatch fixed each trail (from the apply journal): until the first delivery after it the
	// trail is PENDING, not failing on the delivery it had before the fix.
	FixedAt map[string]time.Time
	// Alarms are the CIS monitoring items to judge (alarms.ForVersion); none: the alarm family is not judged.
	Alarms []alarms.Item
	// Literal judges every trail as AWS Config's cloud-trail-cloud-watch-logs-enabled does: a trail without CloudWatch
	// Logs fails even where a telemetry rule captures its regions' events (--literal).
	Literal bool
}

// DefaultSettings returns the documented defaults at instant now.
func DefaultSettings(now time.Time) Settings {
	return Settings{Now: now.UTC(), MaxDeliveryAge: 24 * time.Hour, MinRetentionDays: 365, PendingWindow: 30 * time.Minute}
}

// Reason codes (docs/controls.md).
const (
	NotIntegrated = "NOT_INTEGRATED"
	// CapturedByTelemetry: a CloudWatch telemetry rule captures the events (a region, or every region of a trail
	// that has no CloudWatch Logs of its own).
	CapturedByTelemetry  = "CAPTURED_BY_TELEMETRY_RULE"
	NeverDelivered       = "NEVER_DELIVERED"
	DeliveryStale        = "DELIVERY_STALE"
	DeliveryError        = "DELIVERY_ERROR"
	NotLogging           = "NOT_LOGGING"
	LogGroupMissing      = "LOG_GROUP_MISSING"
	RoleMissing          = "ROLE_MISSING"
	RoleNotTrusted       = "ROLE_NOT_TRUSTED"
	RoleCannotWrite      = "ROLE_CANNOT_WRITE"
	NoManagementEvents   = "NO_MANAGEMENT_EVENTS"
	OwnedElsewhere       = "OWNED_ELSEWHERE"
	AccessDenied         = "ACCESS_DENIED"
	Throttled            = "THROTTLED"
	CollectionError      = "COLLECTION_ERROR"
	RetentionTooShort    = "RETENTION_TOO_SHORT"
	NoTrail              = "NO_TRAIL"
	RegionsUncovered     = "REGIONS_UNCOVERED"
	PendingFirstDelivery = "PENDING_FIRST_DELIVERY"
	CoverageUnknown      = "COVERAGE_UNKNOWN"
)

// verdict accumulates reasons, each with the status it implies; the finding's status is the worst of them.
type verdict struct {
	status   model.Status
	reasons  []model.Reason
	notes    []string
	evidence *model.Evidence
}

func (v *verdict) add(st model.Status, code, format string, args ...any) {
	v.reasons = append(v.reasons, model.Reason{Code: code, Message: fmt.Sprintf(format, args...)})
	// FAIL outranks ERROR: a definite failure stays a failure even when another read failed.
	if v.status == "" || st.Rank() < v.status.Rank() {
		v.status = st
	}
}

func (v *verdict) note(format string, args ...any) {
	v.notes = append(v.notes, fmt.Sprintf(format, args...))
}

func errorReason(v *verdict, what string, e *model.CallError) {
	code := CollectionError
	switch e.Kind {
	case model.ErrAccessDenied:
		code = AccessDenied
	case model.ErrThrottled:
		code = Throttled
	}
	v.add(model.StatusError, code, "%s: %s failed: %s: %s", what, e.API, e.Code, e.Message)
}

// view is one account's view of a trail.
type view struct {
	acct  *model.Account
	trail *model.Trail
}

// Evaluate judges an inventory against the catalog's controls. Each trail is judged once, by its ARN: from its owner's
// account when the owner was scanned, else from the best member view. Findings come back sorted by account, region,
// status (worst first) and resource.
func Evaluate(cat *Catalog, inv *model.Inventory, s Settings) []model.Finding {
	return newEvaluator(cat, inv, s).run()
}

func newEvaluator(cat *Catalog, inv *model.Inventory, s Settings) *evaluator {
	return &evaluator{cat: cat, inv: inv, s: s, verdicts: map[string]model.Status{}, names: map[string]string{}, accounts: map[string]*model.Account{},
		patterns: patternCache{judged: map[string]judged{}}}
}

type evaluator struct {
	cat      *Catalog
	inv      *model.Inventory
	s        Settings
	verdicts map[string]model.Status // trail ARN -> integration status
	names    map[string]string       // account id -> name
	accounts map[string]*model.Account
	findings []model.Finding
	patterns patternCache
	chains   map[string]AlarmChain // AlarmChains only
	iac      bool                  // judging infrastructure as code: unknowns are UNKNOWN, not ERROR
}

func (e *evaluator) run() []model.Finding {
	views := map[string][]view{}
	var order []string
	for _, a := range e.inv.Accounts {
		e.names[a.ID] = a.Name
		e.accounts[a.ID] = a
		for _, t := range a.Trails {
			if _, ok := views[t.ARN]; !ok {
				order = append(order, t.ARN)
			}
			views[t.ARN] = append(views[t.ARN], view{a, t})
		}
	}
	groups := map[string]bool{}
	for _, arn := range order {
		v := best(views[arn])
		if v.trail.JudgedByOwner {
			continue // its owner's account is judged in another part of the scan (a shard): no verdict here
		}
		e.integration(v)
		if lg := v.trail.LogGroup; !v.trail.OwnedElsewhere && (lg != nil || v.trail.LogGroupErr != nil) {
			key := v.trail.LogGroupARN
			if lg != nil {
				key = lg.ARN
			}
			if !groups[key] {
				groups[key] = true
				e.retention(v)
			}
		}
	}
	for _, a := range e.inv.Accounts {
		e.telemetryRetention(a, groups)
		e.regionErrors(a)
		e.capture(a)
		if len(e.s.Alarms) > 0 {
			e.alarmFamily(a)
		}
	}
	e.organization()
	sort.SliceStable(e.findings, func(i, j int) bool {
		a, b := e.findings[i], e.findings[j]
		if a.AccountID != b.AccountID {
			return a.AccountID < b.AccountID
		}
		if a.Region != b.Region {
			// Account-level findings ("global") first, then regions in order.
			if a.Region == "global" || b.Region == "global" {
				return a.Region == "global"
			}
			return a.Region < b.Region
		}
		if a.Status.Rank() != b.Status.Rank() {
			return a.Status.Rank() < b.Status.Rank()
		}
		if a.ControlID != b.ControlID {
			return a.ControlID < b.ControlID
		}
		return a.ResourceID < b.ResourceID
	})
	return e.findings
}

// best picks the view a trail is judged from: the owner's, else a member's that could read the status.
func best(vs []view) view {
	for _, v := range vs {
		if !v.trail.OwnedElsewhere {
			return v
		}
	}
	for _, v := range vs {
		if v.trail.Status != nil {
			return v
		}
	}
	for _, v := range vs {
		if !v.trail.JudgedByOwner {
			return v
		}
	}
	return vs[0]
}

func (e *evaluator) finding(controlID, acct, region, rtype, rid string, v *verdict) model.Finding {
	ctl, _ := e.cat.Control(controlID)
	f := model.Finding{
		ID: model.FindingID(controlID, rid), ControlID: controlID, Title: ctl.Title, Status: v.status,
		Severity: ctl.Severity, AccountID: acct, AccountName: e.names[acct], Region: region, ResourceType: rtype,
		ResourceID: rid, Reasons: v.reasons, Notes: v.notes, Evidence: v.evidence,
	}
	if f.Reasons == nil {
		f.Reasons = []model.Reason{}
	}
	if a := e.accounts[acct]; a != nil {
		f.AccountOU, f.AccountTags = a.OU, a.Tags
	}
	if f.Status != model.StatusPass && f.Status != model.StatusSkipped {
		f.Remediation = ctl.Remediation
	}
	return f
}

// integration judges cloudtrail-cloudwatch-integration for one trail.
func (e *evaluator) integration(vw view) {
	t, s := vw.trail, e.s
	v := &verdict{}
	owner := t.OwnerAccount
	if t.OwnedElsewhere {
		v.note("Organization trail owned by account %s; seen from account %s.", owner, vw.acct.ID)
	}
	if t.StatusErr != nil && t.OwnedElsewhere && t.LogGroupARN != "" {
		// A member may not read the organization trail: the owner must judge it, and that is no failure here.
		v.add(model.StatusSkipped, OwnedElsewhere, "Organization trail owned by account %s: judge it in the management account or the delegated administrator (%s refused: %s).", owner, t.StatusErr.API, t.StatusErr.Code)
		e.emit(t, v)
		return
	}
	if t.LogGroupARN == "" {
		if rules := TelemetryCapture(vw.acct, CapturedRegions(vw.acct, t), &s); !s.Literal && rules != "" {
			// The account's events reach CloudWatch Logs without the trail: nothing to fix on it (issue 26).
			v.add(model.StatusPass, CapturedByTelemetry, "The trail has no CloudWatch Logs log group, and needs none: %s.", rules)
			v.note("AWS Config's cloud-trail-cloud-watch-logs-enabled and Security Hub CloudTrail.5 still fail this trail (they look at the trail only); --literal judges it as they do.")
			e.emit(t, v)
			return
		}
		if rule := telemetryPendingAll(vw.acct, CapturedRegions(vw.acct, t), &s); !s.Literal && rule != nil {
			// A rule made moments ago (a `fix apply --via telemetry-rule`) has not delivered yet.
			v.add(model.StatusPending, PendingFirstDelivery, "The trail has no CloudWatch Logs log group; CloudWatch telemetry rule %s, made %s ago (at %s), will capture its regions once it delivers (within the %s first-delivery window).",
				rule.ARN, s.Now.Sub(*rule.Created).Round(time.Second), rule.Created.UTC().Format(time.RFC3339), s.PendingWindow)
			e.emit(t, v)
			return
		}
		var unread *model.CallError
		for _, r := range CapturedRegions(vw.acct, t) {
			if rule, _, _, u := telemetryRule(vw.acct, r, &s); rule == nil && u != nil {
				unread = u
				break
			}
		}
		if unread != nil && !s.Literal && len(CapturedRegions(vw.acct, t)) > 0 {
			// A rule may capture its regions, and then the trail needs no CloudWatch Logs: its verdict is unknown,
			// never a FAIL guessed from the failed read.
			errorReason(v, "CloudWatch telemetry (the trail has no CloudWatch Logs log group; it needs none if a telemetry rule captures its regions)", unread)
			e.emit(t, v)
			return
		}
		v.add(liveStatus(NotIntegrated), NotIntegrated, "The trail has no CloudWatch Logs log group (CloudWatchLogsLogGroupArn is empty).")
	}
	st := t.Status
	if t.StatusErr != nil {
		errorReason(v, "trail status", t.StatusErr)
	}
	if st != nil && st.IsLogging != nil && !*st.IsLogging {
		msg := "The trail is not logging (IsLogging is false)"
		if st.StopLoggingTime != nil {
			msg += fmt.Sprintf("; it stopped at %s", st.StopLoggingTime.UTC().Format(time.RFC3339))
		}
		v.add(model.StatusFail, NotLogging, "%s.", msg)
	}
	pipelineIssue := false
	if !t.OwnedElsewhere && t.LogGroupARN != "" {
		pipelineIssue = e.pipeline(t, v, vw.acct)
	} else if t.OwnedElsewhere && t.LogGroupARN != "" {
		v.note("The log group and delivery role are in account %s and were not checked from here.", owner)
	}
	if st != nil && t.LogGroupARN != "" {
		e.delivery(t, st, v, pipelineIssue)
	}
	if t.ManagementEvents != nil && !*t.ManagementEvents {
		v.add(liveStatus(NoManagementEvents), NoManagementEvents, "The trail's event selectors exclude management events: CloudWatch Logs receives no API activity to alarm on.")
	}
	if t.SelectorsErr != nil {
		// Whether the trail logs management events is unknown: never assumed (a data-events-only trail would PASS).
		errorReason(v, "event selectors", t.SelectorsErr)
	}
	if v.status == "" && (st == nil || st.LatestDelivery == nil) {
		v.status = model.StatusPass
	} else if v.status == "" {
		v.status = model.StatusPass
		age := s.Now.Sub(*st.LatestDelivery).Round(time.Second)
		if age < 0 {
			// The delivery is stamped after this scan's clock: the clocks disagree. Never print a negative age.
			v.reasons = append(v.reasons, model.Reason{Code: "DELIVERING", Message: fmt.Sprintf("Delivered to CloudWatch Logs at %s, %s after this scan's clock (%s): the clocks disagree; treated as just now.",
				st.LatestDelivery.UTC().Format(time.RFC3339), -age, s.Now.UTC().Format(time.RFC3339))})
		} else {
			v.reasons = append(v.reasons, model.Reason{Code: "DELIVERING", Message: fmt.Sprintf("Delivered to CloudWatch Logs %s ago (at %s).", age, st.LatestDelivery.UTC().Format(time.RFC3339))})
		}
	}
	e.emit(t, v)
}

func (e *evaluator) emit(t *model.Trail, v *verdict) {
	f := e.finding(IntegrationID, t.OwnerAccount, t.HomeRegion, model.TypeTrail, t.ARN, v)
	e.verdicts[t.ARN] = f.Status
	e.findings = append(e.findings, f)
}

// delivery judges the latest CloudWatch Logs delivery time and error.
func (e *evaluator) delivery(t *model.Trail, st *model.TrailStatus, v *verdict, pipelineIssue bool) {
	s := e.s
	// A pipeline whose configuration passes, made or repaired within the pending window and not delivered since, is
	// PENDING: its delivery evidence (never delivered, an old delivery, the error it had) predates the repair. When it
	// was last made whole comes from AWS, so that any later scan, not only `fix apply`'s, sees it (docs/controls.md):
	// the trail's StartLoggingTime, the log group's creationTime, the role's CreateDate, the latest change to the
	// role's trust or permissions in CloudTrail event history, and trailwatch's own apply journal (FixedAt).
	since, what := repairedAt(t, st)
	evidenceFails := st.LatestDelivery == nil || s.Now.Sub(*st.LatestDelivery) > s.MaxDeliveryAge ||
		(st.LatestDeliveryError != nil && *st.LatestDeliveryError != "")
	pending := since != nil && s.Now.Sub(*since) < s.PendingWindow && !since.After(s.Now) &&
		(st.LatestDelivery == nil || (st.LatestDelivery.Before(*since) && evidenceFails))
	if fixed, ok := s.FixedAt[t.ARN]; ok && s.Now.Sub(fixed) < s.PendingWindow && (st.LatestDelivery == nil || st.LatestDelivery.Before(fixed)) {
		// trailwatch's own fix, from the apply journal: until the first delivery after it.
		f := fixed
		since, what, pending = &f, "trailwatch fixed it", true
	}
	if pending && !pipelineIssue && v.status == "" {
		if st.LatestDelivery == nil {
			v.add(model.StatusPending, PendingFirstDelivery, "No delivery yet; %s %s ago (at %s), within the %s first-delivery window.",
				what, s.Now.Sub(*since).Round(time.Second), since.UTC().Format(time.RFC3339), s.PendingWindow)
		} else {
			v.add(model.StatusPending, PendingFirstDelivery, "No delivery since %s %s ago (at %s), within the %s first-delivery window; the latest delivery was at %s.",
				what, s.Now.Sub(*since).Round(time.Second), since.UTC().Format(time.RFC3339), s.PendingWindow, st.LatestDelivery.UTC().Format(time.RFC3339))
		}
		if st.LatestDeliveryError != nil && *st.LatestDeliveryError != "" {
			v.note("The delivery error %q was reported before that.", *st.LatestDeliveryError)
		}
		return
	}
	recent := false
	switch {
	case st.LatestDelivery == nil:
		v.add(model.StatusFail, NeverDelivered, "CloudTrail reports no CloudWatch Logs delivery for this trail (LatestCloudWatchLogsDeliveryTime is absent).")
	default:
		age := s.Now.Sub(*st.LatestDelivery)
		if age > s.MaxDeliveryAge {
			v.add(model.StatusFail, DeliveryStale, "Latest CloudWatch Logs delivery was %s ago (at %s), older than the %s maximum.",
				fmtAge(age), st.LatestDelivery.UTC().Format(time.RFC3339), fmtAge(s.MaxDeliveryAge))
		} else {
			recent = true
		}
	}
	if st.LatestDeliveryError != nil && *st.LatestDeliveryError != "" {
		if recent {
			v.add(model.StatusWarn, DeliveryError, "CloudTrail reports a CloudWatch Logs delivery error, though the latest delivery is recent (the error may be old): %q.", *st.LatestDeliveryError)
		} else {
			v.add(model.StatusFail, DeliveryError, "CloudTrail reports a CloudWatch Logs delivery error: %q.", *st.LatestDeliveryError)
		}
	}
	if ce := t.LogsChangesErr; ce != nil {
		v.note("Whether the trail's CloudWatch Logs settings were set within the last %s could not be read (%s: %s): a repair made since would make this PENDING.",
			s.PendingWindow, ce.API, ce.Code)
	}
	if r := t.Role; r != nil && r.ChangesErr != nil {
		// The failing delivery evidence stands; what could not be read is only whether a repair is on its way.
		v.note("Whether delivery role %s was repaired within the last %s could not be read (%s: %s): a repair made since would make this PENDING.",
			t.RoleARN, s.PendingWindow, r.ChangesErr.API, r.ChangesErr.Code)
	}
	if st.ErrorFieldsNotVisible {
		v.note("Delivery errors of an organization trail are not visible from a member account.")
	}
}

// repairedAt is when the trail's pipeline was last made or repaired, as AWS records it, and what happened then: the
// latest of logging's start, the log group's creation, the delivery role's creation and the latest change to the role
// found in event history.
func repairedAt(t *model.Trail, st *model.TrailStatus) (*time.Time, string) {
	var since *time.Time
	what := ""
	consider := func(at *time.Time, w string) {
		if at != nil && (since == nil || at.After(*since)) {
			since, what = at, w
		}
	}
	consider(st.StartLoggingTime, "logging started")
	consider(t.LogsChangedAt, "its CloudWatch Logs settings were set (UpdateTrail)")
	if lg := t.LogGroup; lg != nil {
		consider(lg.CreatedAt, "its log group was created")
	}
	if r := t.Role; r != nil {
		consider(r.CreatedAt, "its delivery role was created")
		if r.ChangedAt != nil {
			consider(r.ChangedAt, "its delivery role was changed ("+r.ChangedBy+")")
		}
	}
	return since, what
}

// pipeline checks the log group and the delivery role; it reports whether any link is broken.
func (e *evaluator) pipeline(t *model.Trail, v *verdict, acct *model.Account) bool {
	broken := false
	lg, _ := awsarn.ParseLogGroup(t.LogGroupARN)
	lgName, lgRegion, lgAcct := lg.Name, lg.Region, lg.Account
	switch {
	case t.LogGroupErr != nil:
		errorReason(v, "log group", t.LogGroupErr)
	case t.LogGroup != nil && !t.LogGroup.Exists:
		broken = true
		v.add(liveStatus(LogGroupMissing), LogGroupMissing, "Log group %s does not exist in account %s, region %s.", lgName, lgAcct, lgRegion)
	case t.LogGroup == nil && lgName == "":
		broken = true
		v.add(liveStatus(LogGroupMissing), LogGroupMissing, "The log group ARN %q is not a valid CloudWatch Logs log group ARN.", t.LogGroupARN)
	}
	if t.LogGroupARN != "" && !strings.HasSuffix(t.LogGroupARN, ":*") {
		v.note("The log group ARN does not end in \":*\"; CloudTrail normally stores it with the suffix.")
	}
	switch {
	case t.RoleARN == "":
		broken = true
		v.add(liveStatus(RoleMissing), RoleMissing, "The trail has no CloudWatch Logs role (CloudWatchLogsRoleArn is empty).")
	case t.RoleErr != nil:
		errorReason(v, "delivery role", t.RoleErr)
	case t.Role != nil && !t.Role.Exists:
		broken = true
		v.add(liveStatus(RoleMissing), RoleMissing, "Delivery role %s does not exist.", t.RoleARN)
	case t.Role != nil:
		orgID := ""
		if t.Organization {
			orgID = acct.OrgID
		}
		g := awsarn.LogGroup{Partition: awsarn.Partition(t.ARN), Region: lgRegion, Account: lgAcct, Name: lgName}
		dt := delivery.Trail{Owner: t.OwnerAccount, HomeRegion: t.HomeRegion, Organization: t.Organization, OrgID: orgID}
		if roleVerdict(v, liveStatus, t.RoleARN, t.Role, g, dt, nil) {
			broken = true
		}
	}
	return broken
}

// roleVerdict is the one judgement of a delivery role against the log group its trail names, from either source (each
// reason's status from the source table, status): the trust, then the writes to the trail's streams (g.Name empty: the
// group ARN names no group, and only the trust is judged), with notes on what it did not evaluate, and the role's
// typed evidence. checked is the role as the rule reads it (before deployment, with the placeholders its policies
// share with the group's ARN set: sameDeployment). undecided, when set, is asked before a refused write is called
// ROLE_CANNOT_WRITE: a reason there makes it UNKNOWN (before deployment, a value known only then). It reports whether
// the role keeps events from the log group.
func roleVerdict(v *verdict, status func(string) model.Status, roleARN string, checked *model.Role, g awsarn.LogGroup, dt delivery.Trail, undecided func(delivery.Check) string) bool {
	c := delivery.CheckRole(checked, g, dt)
	var refused []string
	if g.Name != "" {
		for _, w := range c.Missing {
			refused = append(refused, w.String())
		}
	}
	v.evidence = &model.Evidence{Role: &model.RoleEvidence{ARN: roleARN, Trusted: c.Trusted, Refused: refused}}
	broken := false
	if !c.Trusted {
		broken = true
		v.add(status(RoleNotTrusted), RoleNotTrusted, "Role %s does not let cloudtrail.amazonaws.com assume it (trust policy).", roleARN)
	} else if c.TrustConditional {
		v.note("The role's trust policy has conditions, which were not evaluated; AWS documents that aws:SourceArn and aws:SourceAccount are not supported for this role.")
	}
	if g.Name == "" {
		return broken
	}
	if len(c.Missing) > 0 {
		if undecided != nil {
			if why := undecided(c); why != "" {
				v.add(model.StatusUnknown, ValueUnknown, "%s", why)
				return broken
			}
		}
		broken = true
		v.add(status(RoleCannotWrite), RoleCannotWrite, "Role %s may not %s.", roleARN, delivery.Join(c.Missing))
	}
	if c.Conditional {
		v.note("The role's permission policies have conditions, which were not evaluated.")
	}
	if c.NumberedMissing {
		v.note("Role %s may write stream %s but not the numbered streams (%s_<number>) CloudTrail adds at high volume.", roleARN, c.Streams[0], c.Streams[0])
	}
	if c.OrgUnknown {
		v.note("The organization id could not be read, so the role's permission on the o-<org id>_* streams was not checked.")
	}
	return broken
}

// retention judges cloudwatch-log-group-retention for the log group a trail delivers to.
func (e *evaluator) retention(vw view) {
	t := vw.trail
	e.groupRetention(t.LogGroup, t.LogGroupErr, t.LogGroupARN, "trail "+t.ARN)
}

// groupRetention judges cloudwatch-log-group-retention for a log group CloudTrail events reach (by groupARN, as the
// source names it), from source (a trail or a CloudWatch telemetry rule).
func (e *evaluator) groupRetention(lg *model.LogGroup, lgErr *model.CallError, groupARN, source string) {
	v := &verdict{}
	g, _ := awsarn.ParseLogGroup(groupARN)
	region, acct := g.Region, g.Account
	var name string
	rid := strings.TrimSuffix(groupARN, ":*")
	if lgErr != nil {
		errorReason(v, "log group", lgErr)
	} else {
		if !lg.Exists {
			return // reported by the integration finding as LOG_GROUP_MISSING
		}
		rid = strings.TrimSuffix(lg.ARN, ":*")
		name, region, acct = lg.Name, lg.Region, lg.Account
		switch {
		case lg.RetentionDays == nil:
			v.status = model.StatusPass
			v.reasons = append(v.reasons, model.Reason{Code: "RETENTION_OK", Message: "Retention: never expire (events are kept indefinitely)."})
		case *lg.RetentionDays < e.s.MinRetentionDays:
			v.add(liveStatus(RetentionTooShort), RetentionTooShort, "Log group %s keeps events %d days, less than the %d-day minimum.", name, *lg.RetentionDays, e.s.MinRetentionDays)
		default:
			v.status = model.StatusPass
			v.reasons = append(v.reasons, model.Reason{Code: "RETENTION_OK", Message: fmt.Sprintf("Retention is %d days (minimum %d).", *lg.RetentionDays, e.s.MinRetentionDays)})
		}
		if lg.Class == "INFREQUENT_ACCESS" || lg.Class == "DELIVERY" {
			v.note("Log group class %s may not support metric filters; verify alarms work.", lg.Class)
		}
	}
	v.note("Receives events from %s.", source)
	e.findings = append(e.findings, e.finding(RetentionID, acct, region, model.TypeLogGroup, rid, v))
}

// telemetryRetention judges the retention of the groups CloudWatch telemetry rules deliver CloudTrail events to (issue
// 26), once per group, unless a trail's finding already judged it.
func (e *evaluator) telemetryRetention(a *model.Account, judged map[string]bool) {
	if a.Telemetry == nil {
		return
	}
	for _, r := range a.Telemetry.Rules {
		regions := make([]string, 0, len(r.Groups)+len(r.GroupErrors))
		for reg := range r.Groups {
			regions = append(regions, reg)
		}
		for reg := range r.GroupErrors {
			regions = append(regions, reg)
		}
		sort.Strings(regions)
		for _, reg := range regions {
			lg, lgErr := r.Groups[reg], r.GroupErrors[reg]
			arn := awsarn.LogGroupARN(awsarn.Partition(r.ARN), reg, a.ID, model.TelemetryLogGroup)
			if lg != nil && lg.ARN != "" {
				arn = lg.ARN
			}
			if judged[arn] || (lg != nil && !lg.Exists) {
				continue
			}
			judged[arn] = true
			e.groupRetention(lg, lgErr, arn, "CloudWatch telemetry rule "+r.ARN)
		}
	}
}

// regionErrors reports each region whose trail listing failed as an ERROR on "every trail homed there"
// (arn:...:trail/*): trails homed in that region were not seen, so they were not judged.
func (e *evaluator) regionErrors(a *model.Account) {
	regions := make([]string, 0, len(a.RegionErrors))
	for r := range a.RegionErrors {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	part := a.Partition
	if part == "" {
		part = "aws"
	}
	for _, r := range regions {
		v := &verdict{}
		errorReason(v, "trails homed in "+r+" were not listed, so not judged", a.RegionErrors[r])
		e.findings = append(e.findings, e.finding(IntegrationID, a.ID, r, model.TypeTrail, awsarn.Trail(part, r, a.ID, "*"), v))
	}
}

// CapturedRegions are the regions of account a whose management events trail t (one of a's trails: its own, or its
// organization's as a sees it) captures, whatever the trail's state: its home region, or every enabled region for a
// multi-region trail; none when it logs no management events. The one rule for which trail should capture a region,
// read by account-activity-capture and by trailwatch prove (which log groups a region's events should reach).
func CapturedRegions(a *model.Account, t *model.Trail) []string {
	if t.ManagementEvents != nil && !*t.ManagementEvents {
		return nil
	}
	if t.MultiRegion {
		return a.Regions
	}
	return []string{t.HomeRegion}
}

// telemetryRule returns the telemetry rule that captures account a's management events, read and write, in region
// into CloudWatch Logs, with its log group there: the account's evaluation RUNNING, the rule AWS::CloudTrail to
// cloud-watch-logs applying in the region without a problem there, its selectors keeping all management events, and
// its group existing; with settings, the group must also have received an event within MaxDeliveryAge (its newest
// stream's lastIngestionTime: this path has no GetTrailStatus). Without a rule, why says why the rules that apply in
// the region do not capture it ("" when none applies), and unread is the failed read that leaves it unknown.
func telemetryRule(a *model.Account, region string, s *Settings) (rule *model.TelemetryRule, lg *model.LogGroup, why string, unread *model.CallError) {
	tm := a.Telemetry
	if tm == nil {
		return nil, nil, "", nil
	}
	// An account rule applies while the account's evaluation runs, an organization rule while the organization's does.
	var whys []string
	// Evaluation runs per region: in the home region, and in others only when started multi-region (their
	// RegionStatuses); an inventory without per-region statuses has the one status everywhere.
	at := func(status string, byRegion map[string]string) string {
		if byRegion == nil || status != "RUNNING" {
			return status
		}
		if st, ok := byRegion[region]; ok {
			return st
		}
		return "NOT_STARTED_IN_REGION"
	}
	acctStatus, orgStatus := at(tm.Status, tm.RegionStatus), at(tm.OrgStatus, tm.OrgRegionStatus)
	running := func(r *model.TelemetryRule) bool {
		if r.Organization {
			return orgStatus == "RUNNING"
		}
		return acctStatus == "RUNNING"
	}
	for _, st := range []struct{ who, status string }{{"the account", acctStatus}, {"the organization", orgStatus}} {
		switch {
		case st.status == "NOT_STARTED_IN_REGION":
			whys = append(whys, "CloudWatch telemetry evaluation in "+st.who+" does not include the region (it was not started there or multi-region), so its rules do not apply")
		case st.status != "" && st.status != "NOT_STARTED" && st.status != "RUNNING":
			whys = append(whys, "CloudWatch telemetry evaluation is "+st.status+" in "+st.who+", so its rules do not apply")
		}
	}
	switch {
	case tm.Err != nil && tm.OrgStatus != "RUNNING":
		return nil, nil, "", tm.Err
	case tm.Err != nil:
		unread = tm.Err // the account's own rules are unknown; the organization's may still capture the region
	case tm.OrgErr != nil:
		unread = tm.OrgErr // the organization's rules are unknown: one may capture the region
	}
	if e := tm.RegionErrors[region]; e != nil && tm.Status == "RUNNING" {
		unread = e // the rules of this region could not be listed: one may capture it
	}
	// Two rules may keep reads and writes between them into the same group: each kind from a rule that otherwise
	// qualifies (field trial: a write_only and a read_only rule together were "no rule").
	var readRule, writeRule *model.TelemetryRule
	var readGroup *model.LogGroup
	for _, r := range tm.Rules {
		if !running(r) {
			continue
		}
		if r.Err != nil {
			unread = r.Err
			continue
		}
		if !slices.Contains(r.Regions, region) {
			continue
		}
		problem := RuleProblem(r, region)
		g := r.Groups[region]
		switch {
		case problem != "":
		case r.GroupErrors[region] != nil:
			unread = r.GroupErrors[region]
			continue
		case g == nil || !g.Exists:
			problem = "its log group " + model.TelemetryLogGroup + " does not exist in the region"
		case g.IngestionErr != nil && s != nil:
			unread = g.IngestionErr
			continue
		case s != nil && (g.NoStreams || g.LatestIngestion == nil):
			problem = "its log group has never received an event"
		case s != nil && s.Now.Sub(*g.LatestIngestion) > s.MaxDeliveryAge:
			problem = fmt.Sprintf("its log group last received an event %s ago (at %s), more than %s", s.Now.Sub(*g.LatestIngestion).Round(time.Second), g.LatestIngestion.UTC().Format(time.RFC3339), s.MaxDeliveryAge)
		}
		// What reaches the group is at most what the CloudTrail service-linked channel carries; named beside any other
		// problem (field trial: it surfaced only once delivery was mended).
		rw, ch := r.ReadWriteType, channelFor(tm, region)
		if ch != nil && ch.ManagementEvents != nil { // nil: what it keeps was not said (no SourceConfig): no bound
			chProblem := ""
			if rw = narrowerRW(rw, channelRW(ch)); rw == "None" {
				chProblem = "its events reach CloudWatch Logs through CloudTrail service-linked channel " + ch.ARN + ", which keeps none of the management events the rule keeps"
			} else if problem != "" && rw != r.ReadWriteType {
				chProblem = "its events reach CloudWatch Logs through CloudTrail service-linked channel " + ch.ARN + ", which keeps only " + KeptEvents(rw)
			}
			if chProblem != "" && problem != "" {
				problem += "; and " + chProblem
			} else if chProblem != "" {
				problem = chProblem
			}
		}
		if problem == "" {
			switch rw {
			case "All":
				return r, g, "", nil
			case "ReadOnly":
				readRule, readGroup = r, g
			case "WriteOnly":
				writeRule = r
			}
			if readRule != nil && writeRule != nil {
				return readRule, readGroup, "", nil
			}
			problem = "its event selectors keep only " + KeptEvents(r.ReadWriteType)
			if rw != r.ReadWriteType {
				problem = "its events reach CloudWatch Logs through CloudTrail service-linked channel " + ch.ARN + ", which keeps only " + KeptEvents(rw)
			}
		}
		whys = append(whys, "telemetry rule "+r.ARN+": "+problem)
	}
	if _, read := tm.Channels[region]; read && len(whys) > 0 && channelFor(tm, region) == nil {
		whys = append(whys, "no CloudTrail service-linked channel for CloudWatch exists in the region (cloudtrail:ListChannels), the path a telemetry rule's events take")
	}
	return nil, nil, strings.Join(whys, "; "), unread
}

// channelFor returns the CloudTrail service-linked channel that carries CloudWatch telemetry in region, as read: the
// region's own, else one that applies to every region; nil when none was read there.
func channelFor(tm *model.Telemetry, region string) *model.Channel {
	if ch := tm.Channels[region]; ch != nil {
		return ch
	}
	for _, r := range slices.Sorted(maps.Keys(tm.Channels)) {
		if ch := tm.Channels[r]; ch != nil && ch.AllRegions {
			return ch
		}
	}
	return nil
}

// NotCapturedByTelemetry begins the capture finding's note on why a telemetry rule does not capture a region (the
// rollout gate quotes those notes).
const NotCapturedByTelemetry = "not captured by CloudWatch telemetry"

// ChannelProblem says how the CloudTrail service-linked channel in account a's region keeps less than the account's
// telemetry rules there keep between them ("" when it does not, or was not read). A channel that keeps what the rules
// keep follows them (a rule changed, the channel changes with it); one that keeps less, only CloudWatch can change, so
// no rule a fix plans captures the rest.
func ChannelProblem(a *model.Account, region string) string {
	tm := a.Telemetry
	if tm == nil {
		return ""
	}
	ch := channelFor(tm, region)
	if ch == nil {
		return ""
	}
	if ch.ManagementEvents == nil {
		return "" // what it keeps was not said: no bound
	}
	// What the rules that apply here keep between them: reads from one, writes from another add up.
	var read, write, some bool
	for _, r := range tm.Rules {
		if r.Err == nil && RuleProblem(r, region) == "" && slices.Contains(r.Regions, region) {
			read = read || r.ReadWriteType == "All" || r.ReadWriteType == "ReadOnly"
			write = write || r.ReadWriteType == "All" || r.ReadWriteType == "WriteOnly"
			some = some || r.ReadWriteType == "Partial"
		}
	}
	rules := map[[2]bool]string{{true, true}: "All", {true, false}: "ReadOnly", {false, true}: "WriteOnly"}[[2]bool{read, write}]
	if rules == "" && some {
		rules = "Partial"
	}
	chRW := channelRW(ch)
	if rules == "" || narrowerRW(rules, chRW) == rules {
		return ""
	}
	if chRW == "None" || narrowerRW(rules, chRW) == "None" {
		return "CloudTrail service-linked channel " + ch.ARN + " keeps none of the management events the telemetry rules keep"
	}
	return "CloudTrail service-linked channel " + ch.ARN + " keeps only " + KeptEvents(chRW) + ", less than the telemetry rules keep"
}

// narrowerRW is what two selections of management events keep together (selectors.ReadWrite's values: All, ReadOnly,
// WriteOnly, Partial for some narrowed by another field; "None" or "" for none), "None" when they share none.
func narrowerRW(a, b string) string {
	switch {
	case a == "" || b == "" || a == "None" || b == "None":
		return "None"
	case a == b, b == "All":
		return a
	case a == "All":
		return b
	case a == "Partial" || b == "Partial":
		return "Partial" // some of what the other keeps
	}
	return "None" // ReadOnly and WriteOnly
}

// channelNarrows reports whether the channel read in region keeps less than every management event.
func channelNarrows(tm *model.Telemetry, region string) bool {
	ch := channelFor(tm, region)
	return ch != nil && ch.ManagementEvents != nil && channelRW(ch) != "All"
}

// channelRW is what a channel's selectors keep of the management events ("None" when none).
func channelRW(ch *model.Channel) string {
	if ch.ManagementEvents == nil || !*ch.ManagementEvents {
		return "None"
	}
	return ch.ReadWriteType
}

// telemetryPending returns the rule whose first delivery to account a's region is pending: a rule made or changed
// less than PendingWindow ago that would capture the region (running evaluation, CloudWatch Logs, every management
// event, no problem reported there) but whose group has received no event yet, or does not exist yet. Nil otherwise.
func telemetryPending(a *model.Account, region string, s *Settings) *model.TelemetryRule {
	tm := a.Telemetry
	if tm == nil || s == nil {
		return nil
	}
	for _, r := range tm.Rules {
		status, byRegion := tm.Status, tm.RegionStatus
		if r.Organization {
			status, byRegion = tm.OrgStatus, tm.OrgRegionStatus
		}
		if byRegion != nil && status == "RUNNING" {
			status = byRegion[region] // "" where evaluation does not run
		}
		// Since when it may deliver: the rule's creation or last change, or a fix of the account's telemetry (fix apply
		// --via telemetry-rule starting evaluation for a rule that exists: the re-check's FixedAt).
		since := r.Created
		if f, ok := s.FixedAt[a.ID]; ok && (since == nil || f.After(*since)) {
			since = &f
		}
		switch {
		case status != "RUNNING", r.Err != nil, since == nil, !slices.Contains(r.Regions, region),
			RuleProblem(r, region) != "", r.ReadWriteType != "All", channelNarrows(tm, region),
			s.Now.Sub(*since) >= s.PendingWindow, r.GroupErrors[region] != nil:
			continue
		}
		if g := r.Groups[region]; g == nil || !g.Exists || g.NoStreams || g.LatestIngestion == nil || g.LatestIngestion.Before(*since) {
			c := *r
			c.Created = since // the message says since when it waits
			return &c
		}
	}
	return nil
}

// telemetryPendingAll returns the rule whose first delivery is pending in every one of regions that no rule captures
// yet, when at least one region waits for it and the others are captured; nil otherwise.
func telemetryPendingAll(a *model.Account, regions []string, s *Settings) *model.TelemetryRule {
	var pending *model.TelemetryRule
	for _, r := range regions {
		if rule, _, _, _ := telemetryRule(a, r, s); rule != nil {
			continue
		}
		p := telemetryPending(a, r, s)
		if p == nil {
			return nil
		}
		pending = p
	}
	return pending
}

// RuleProblem is the one rule for whether a telemetry rule sends management events to CloudWatch Logs, whatever its
// evaluation and groups: "" when it does (in region, when region is given), else what stops it. What it keeps of
// reads and writes is separate (ReadWriteType: two rules may split them).
func RuleProblem(r *model.TelemetryRule, region string) string {
	switch {
	case r.DestinationType != "cloud-watch-logs":
		return "it delivers to " + r.DestinationType + ", not CloudWatch Logs"
	case r.ManagementEvents == nil || !*r.ManagementEvents:
		return "its event selectors keep no management events"
	case region != "" && slices.ContainsFunc(r.RegionProblems, func(p string) bool { return strings.HasPrefix(p, region+":") }):
		return "it reports a problem in the region"
	}
	return ""
}

// KeptEvents says what selectors that keep less than every management event keep (selectors.ReadWrite's value).
func KeptEvents(rw string) string {
	switch rw {
	case "ReadOnly":
		return "read (ReadOnly) management events"
	case "WriteOnly":
		return "write (WriteOnly) management events"
	}
	return "some management events (another field, such as eventSource or eventName, or a readOnly condition, narrows them)"
}

// TelemetryDestination is the ARN (without ":*") of the log group a telemetry rule sends account a's management events
// in region to, or "" when none does: where a proof of capture looks besides the trails' groups.
func TelemetryDestination(a *model.Account, region string) string {
	if _, lg, _, _ := telemetryRule(a, region, nil); lg != nil {
		return strings.TrimSuffix(lg.ARN, ":*")
	}
	return ""
}

// TelemetryUnread is the failed read that leaves unknown whether a telemetry rule captures account a's events in
// region, or nil.
func TelemetryUnread(a *model.Account, region string) *model.CallError {
	if rule, _, _, unread := telemetryRule(a, region, nil); rule == nil {
		return unread
	}
	return nil
}

// TelemetryCapture says, when telemetry rules capture account a's events in every one of regions, which rules and
// groups do; "" when some region is not so captured.
func TelemetryCapture(a *model.Account, regions []string, s *Settings) string {
	if len(regions) == 0 {
		return ""
	}
	by, via := map[string][]string{}, map[string][]string{}
	var order []string
	for _, r := range regions {
		rule, lg, _, _ := telemetryRule(a, r, s)
		if rule == nil {
			return ""
		}
		if by[rule.ARN] == nil {
			order = append(order, rule.ARN)
		}
		by[rule.ARN] = append(by[rule.ARN], strings.TrimSuffix(lg.ARN, ":*"))
		if ch := channelFor(a.Telemetry, r); ch != nil && !slices.Contains(via[rule.ARN], ch.ARN) {
			via[rule.ARN] = append(via[rule.ARN], ch.ARN)
		}
	}
	var parts []string
	for _, arn := range order {
		p := fmt.Sprintf("telemetry rule %s sends its management events to %s", arn, strings.Join(by[arn], ", "))
		if len(via[arn]) > 0 {
			// The evidence of the path: the CloudTrail service-linked channel the events take.
			p += " through CloudTrail service-linked " + plural("channel ", "channels ", len(via[arn])) + strings.Join(via[arn], ", ")
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// capture judges account-activity-capture: every enabled region in scope must be covered by a healthy trail that logs
// management events.
func (e *evaluator) capture(a *model.Account) {
	v := &verdict{}
	rid := a.ID
	if a.Error != nil {
		errorReason(v, "account", a.Error)
		f := e.finding(CaptureID, a.ID, "global", model.TypeAccount, rid, v)
		e.findings = append(e.findings, f)
		return
	}
	covered := map[string]string{}   // region -> covering trail ARN
	deferred := map[string]string{}  // region -> org trail judged elsewhere (SKIPPED)
	pendingBy := map[string]string{} // region -> trail ARN whose first delivery is pending
	erredBy := map[string]string{}   // region -> trail ARN whose state could not be read (ERROR)
	for _, t := range a.Trails {
		st, judged := e.verdicts[t.ARN]
		if !judged && t.JudgedByOwner {
			st = model.StatusSkipped
		}
		if t.LogGroupARN == "" {
			// Without a log group a trail captures nothing into CloudWatch Logs: it passes (or waits, or is unknown)
			// only by what a telemetry rule does, which is judged below.
			continue
		}
		for _, r := range CapturedRegions(a, t) {
			switch st {
			case model.StatusPass, model.StatusWarn:
				if _, ok := covered[r]; !ok {
					covered[r] = t.ARN
				}
			case model.StatusSkipped:
				deferred[r] = t.ARN
			case model.StatusPending:
				pendingBy[r] = "trail " + t.ARN
			case model.StatusError:
				if _, ok := erredBy[r]; !ok {
					erredBy[r] = t.ARN
				}
			}
		}
	}
	// A region no trail covers may be captured by a CloudWatch telemetry rule, without a trail (issue 26).
	var byTelemetry []string
	whyNot := map[string][]string{}
	var unreadErr *model.CallError // a telemetry read that failed: a rule may capture what no trail does
	for _, r := range a.Regions {
		if _, ok := covered[r]; ok {
			continue
		}
		rule, _, why, unread := telemetryRule(a, r, &e.s)
		var waiting *model.TelemetryRule
		if rule == nil && pendingBy[r] == "" {
			waiting = telemetryPending(a, r, &e.s)
		}
		switch {
		case rule != nil:
			covered[r] = rule.ARN
			byTelemetry = append(byTelemetry, r)
		case waiting != nil:
			pendingBy[r] = "CloudWatch telemetry rule " + waiting.ARN
		case unread != nil:
			unreadErr = unread
		case why != "":
			whyNot[why] = append(whyNot[why], r)
		}
	}
	if tm := a.Telemetry; tm != nil && len(tm.ChannelErrors) > 0 && (len(byTelemetry) > 0 || len(whyNot) > 0) {
		// Evidence only: the verdict rests on the rule and its group, but a refused read must not pass unnoticed
		// (field trial: an older policy without cloudtrail:ListChannels got a PASS with nothing said).
		for _, r := range slices.Sorted(maps.Keys(tm.ChannelErrors)) {
			ce := tm.ChannelErrors[r]
			v.note("The CloudTrail service-linked channel that carries CloudWatch telemetry in %s could not be read (%s: %s): whether it keeps every management event the rule keeps is unknown; the verdict rests on the rule and its group.", r, ce.API, ce.Code)
		}
	}
	whys := make([]string, 0, len(whyNot))
	for why := range whyNot {
		whys = append(whys, why)
	}
	sort.Strings(whys)
	for _, why := range whys {
		regions := whyNot[why]
		v.note("%s %s "+NotCapturedByTelemetry+": %s.", plural("Region", "Regions", len(regions)), strings.Join(regions, ", ")+map[bool]string{true: " is", false: " are"}[len(regions) == 1], why)
	}
	var uncovered, unknown, deferredRegions, pending []string
	erred := map[string][]string{} // trail ARN in ERROR -> regions that depend on it
	var erredOrder []string
	for _, r := range a.Regions {
		if _, ok := covered[r]; ok {
			continue
		}
		switch {
		case deferred[r] != "":
			deferredRegions = append(deferredRegions, r)
		case pendingBy[r] != "":
			pending = append(pending, r)
		case erredBy[r] != "":
			// A trail whose state is unknown may well capture the region: coverage is unknown, not missing.
			arn := erredBy[r]
			if erred[arn] == nil {
				erredOrder = append(erredOrder, arn)
			}
			erred[arn] = append(erred[arn], r)
		case a.RegionErrors[r] != nil:
			unknown = append(unknown, r)
		default:
			uncovered = append(uncovered, r)
		}
	}
	switch {
	case len(uncovered) > 0 && unreadErr != nil:
		// A telemetry rule may capture them: whether they are captured is unknown, never a FAIL guessed from an error.
		errorReason(v, fmt.Sprintf("telemetry rules (regions %s are captured by no trail; a rule may capture them)", strings.Join(uncovered, ", ")), unreadErr)
	case len(a.Trails) == 0 && len(a.RegionErrors) == 0 && len(byTelemetry) == 0 && len(pending) == 0:
		v.add(model.StatusFail, NoTrail, "Account %s has no CloudTrail trail, of its own or of its organization, in any scanned region, and no CloudWatch telemetry rule captures its CloudTrail events in CloudWatch Logs (the notes say why where a rule exists).", a.ID)
	case len(uncovered) > 0:
		v.add(model.StatusFail, RegionsUncovered, "No healthy, integrated trail or CloudWatch telemetry rule captures management events in %d of %d regions: %s.", len(uncovered), len(a.Regions), strings.Join(uncovered, ", "))
	}
	for _, arn := range erredOrder {
		v.add(model.StatusError, CoverageUnknown, "Whether regions %s are captured is unknown: they rely on trail %s, whose state could not be read (see its finding).", strings.Join(erred[arn], ", "), arn)
	}
	for _, r := range unknown {
		errorReason(v, "trails in "+r, a.RegionErrors[r])
	}
	if a.RegionsErr != nil {
		// Only the partition's default regions were scanned: a trail homed in an opt-in region the account enabled,
		// or such a region that nothing captures, would go unseen. Coverage is unknown, never a PASS.
		errorReason(v, "enabled regions (opt-in regions the account enabled were not scanned)", a.RegionsErr)
	}
	if len(deferredRegions) > 0 {
		arn := deferred[deferredRegions[0]]
		if _, judged := e.verdicts[arn]; judged {
			v.add(model.StatusSkipped, OwnedElsewhere, "Regions %s rely on organization trail %s, which this account may not read: judge it in the management account.", strings.Join(deferredRegions, ", "), arn)
		} else {
			v.add(model.StatusSkipped, OwnedElsewhere, "Regions %s rely on organization trail %s, judged in its owner's account, which is not part of this scan (merge the shards to judge it).", strings.Join(deferredRegions, ", "), arn)
		}
	}
	if len(pending) > 0 {
		v.add(model.StatusPending, PendingFirstDelivery, "Regions %s rely on %s, whose first delivery is pending.", strings.Join(pending, ", "), pendingBy[pending[0]])
	}
	if v.status == "" {
		v.status = model.StatusPass
		var by []string
		seen := map[string]bool{}
		for _, r := range a.Regions {
			if arn := covered[r]; !seen[arn] {
				seen[arn] = true
				by = append(by, arn)
			}
		}
		if len(byTelemetry) > 0 {
			// Regions captured without a trail: the reason names the rule and the group (issue 26).
			v.reasons = append(v.reasons, model.Reason{Code: CapturedByTelemetry, Message: fmt.Sprintf("%s %s captured without a trail: %s.", plural("Region", "Regions", len(byTelemetry)), strings.Join(byTelemetry, ", ")+map[bool]string{true: " is", false: " are"}[len(byTelemetry) == 1], TelemetryCapture(a, byTelemetry, &e.s))})
		}
		if len(byTelemetry) < len(a.Regions) {
			v.reasons = append(v.reasons, model.Reason{Code: "CAPTURED", Message: fmt.Sprintf("All %d scanned regions are captured by %s.", len(a.Regions), strings.Join(by, ", "))})
		}
		for _, t := range a.Trails {
			if t.OwnedElsewhere && seen[t.ARN] {
				v.note("Organization trail %s is judged once, in its owner's account %s.", t.Name, t.OwnerAccount)
			}
		}
	}
	if alt := a.Alternates; alt != nil && v.status != model.StatusPass {
		// Evidence outside CloudWatch Logs is reported; it counts only through an alternate exception (issue 26).
		if len(alt.SecurityLake) > 0 {
			where := fmt.Sprintf("in %s (%s)", alt.Region, strings.Join(alt.SecurityLake, ", "))
			if out := alt.SecurityLakeUncollected(a.Regions); out != nil {
				where = fmt.Sprintf("in %d of the %d scanned regions (%s)", len(a.Regions)-len(out), len(a.Regions), strings.Join(alt.SecurityLakeRegions, ", "))
			}
			v.note("Amazon Security Lake collects this account's CloudTrail management events %s: that counts as capture only where an alarm watches it, which the team states with an exception of kind alternate, evidence security-lake.", where)
		}
		if len(alt.EventDataStores) > 0 {
			v.note("CloudTrail Lake event data stores keep this account's events in %s (%s): they count as capture only through an exception of kind alternate, evidence cloudtrail-lake.", alt.Region, strings.Join(alt.EventDataStores, ", "))
		}
	}
	if v.status == model.StatusFail && a.Telemetry != nil && a.Telemetry.OrgStatus == "" && a.Telemetry.OrgErr == nil {
		// Field trial: a member scanned alone cannot see its organization's telemetry rules.
		v.note("Organization telemetry rules were not read (AWS lets only the management account or a delegated administrator read them): if the account belongs to an organization whose rule captures it, scan with --org from there.")
	}
	for _, sk := range a.Skipped {
		v.note("Region %s not scanned: %s.", sk.Region, sk.Reason)
	}
	e.findings = append(e.findings, e.finding(CaptureID, a.ID, "global", model.TypeAccount, rid, v))
}

// organization reports an account listing that broke off as an ERROR on the organization: the accounts after the
// break were not judged, so the capture control is unknown for them.
func (e *evaluator) organization() {
	o := e.inv.Organization
	if o == nil || o.ListError == nil {
		return
	}
	v := &verdict{}
	errorReason(v, fmt.Sprintf("the organization's accounts after the first %d were not listed, so not judged", o.Listed), o.ListError)
	part := e.inv.Partition
	if part == "" {
		part = "aws"
	}
	rid := awsarn.Of(part, "organizations", "", o.ManagementAccount, "organization/"+o.ID)
	e.findings = append(e.findings, e.finding(CaptureID, o.ManagementAccount, "global", model.TypeOrganization, rid, v))
}

func fmtAge(d time.Duration) string {
	d = d.Round(time.Minute)
	h := int(d.Hours())
	m := int(d.Minutes()) % 60
	if m == 0 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}

// ValidRetentionDays lists the retention values PutRetentionPolicy accepts (logs/2014-03-28 service model).
var ValidRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// NextRetention is the smallest retention CloudWatch Logs accepts that is at least min days.
func NextRetention(min int) int {
	for _, d := range ValidRetentionDays {
		if d >= min {
			return d
		}
	}
	return 3653
}

func plural(one, many string, n int) string {
	if n == 1 {
		return one
	}
	return many
}
