package controls

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/filterpattern"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/partition"
)

// The alarm family: one control per CIS monitoring item (4.1-4.15), one finding per account. The chain, judged by
// meaning: a monitored trail (multi-region, logging, all management events, passing the integration control) whose
// log group, joined by full ARN, has a metric filter matching every event the published pattern matches; an alarm on
// the filter's metric that fires on one matching event, with actions enabled; an SNS topic among its actions with a
// confirmed subscriber. docs/controls.md "Alarm controls".

// Reason codes of the alarm family.
const (
	Monitored             = "MONITORED"
	NoMonitoredTrail      = "NO_MONITORED_TRAIL"
	FilterMissing         = "FILTER_MISSING"
	FilterMissesEvents    = "FILTER_MISSES_EVENTS"
	FilterNarrowed        = "FILTER_NARROWED"
	FilterUnparseable     = "FILTER_UNPARSEABLE"
	AlarmMissing          = "ALARM_MISSING"
	AlarmActionsDisabled  = "ALARM_ACTIONS_DISABLED"
	AlarmCannotFire       = "ALARM_CANNOT_FIRE"
	AlarmNoTopic          = "ALARM_NO_TOPIC"
	TopicMissing          = "TOPIC_MISSING"
	NoConfirmedSubscriber = "NO_CONFIRMED_SUBSCRIBER"
	TopicUnreadable       = "TOPIC_UNREADABLE"
	ConfirmationUnknown   = "CONFIRMATION_UNKNOWN"
	AlarmUnjudgeable      = "ALARM_NOT_JUDGED"
	TrailNotDeclared      = "TRAIL_NOT_DECLARED"
)

// AlarmControlIDs are the family's control ids, in CIS order.
func AlarmControlIDs() []string {
	var out []string
	for _, it := range alarms.Items {
		out = append(out, it.ID)
	}
	return out
}

// IsAlarmControl reports whether id is one of the alarm family's controls.
func IsAlarmControl(id string) bool { return strings.HasPrefix(id, "alarm-") }

// outcome is how far one path through the chain got: the higher depth, the further. A path that passes has depth 100.
type outcome struct {
	depth  int
	status model.Status
	code   string
	msg    string
	notes  []string
	// The path, for the fix plan (AlarmChains).
	view   *chainView
	filter *model.MetricFilter
	alarm  *model.Alarm
	// topic the alarm notifies, and its subscriptions waiting for confirmation (the topic stage).
	topic   string
	pending int
	// also are the other broken chains this outcome stands for (telemetryChain).
	also []*model.ChainEvidence
}

// evidence is the outcome as typed evidence.
func (o outcome) evidence() *model.ChainEvidence {
	c := &model.ChainEvidence{Stage: o.code, Topic: o.topic, PendingSubscriptions: o.pending}
	if o.view != nil {
		c.LogGroup = o.view.trail.LogGroupARN
		if lg := o.view.trail.LogGroup; lg != nil && lg.ARN != "" {
			c.LogGroup = lg.ARN
		}
	}
	if o.filter != nil {
		c.Filter = o.filter.Name
	}
	if o.alarm != nil {
		c.Alarm = o.alarm.Name
	}
	c.Also = o.also
	return c
}

func (o outcome) better(p outcome) bool {
	if o.depth != p.depth {
		return o.depth > p.depth
	}
	return o.status.Rank() > p.status.Rank()
}

// patternCache judges each stored pattern once per evaluation (an organization repeats the same filters), against
// all the evaluation's items at once: which item a pattern is about is decided across items (alarms.JudgeAll, the
// rule alarms test and iac --alarms share).
type patternCache struct {
	judged map[string]judged
}

type judged struct {
	byItem map[string]alarms.Verdict
	err    error
}

// covers judges a stored pattern against an item: whether it is about the item at all, what it misses and what it
// narrows (alarms.JudgeAll).
func (e *evaluator) covers(stored string, it alarms.Item) (alarms.Verdict, error) {
	j, ok := e.patterns.judged[stored]
	if !ok {
		n, err := filterpattern.Parse(stored)
		if err == nil {
			var all []alarms.Verdict
			if all, err = alarms.JudgeAll(n, e.s.Alarms); err == nil {
				j.byItem = map[string]alarms.Verdict{}
				for _, v := range all {
					j.byItem[v.Item.ID] = v
				}
			}
		}
		j.err = err
		e.patterns.judged[stored] = j
	}
	if j.err != nil {
		return alarms.Verdict{}, j.err
	}
	v, ok := j.byItem[it.ID]
	if !ok {
		return alarms.Verdict{}, fmt.Errorf("item %s is not among the evaluation's items", it.CIS)
	}
	return v, nil
}

// AlarmChain is how far an account's chain for one item got, for the fix plan: the monitored trail's log group (in
// the account that owns it), the filter that covers the item and the alarm on its metric, when the path reached them.
type AlarmChain struct {
	Item     alarms.Item
	Code     string
	Owner    string // the account that owns the log group
	Region   string
	LogGroup *model.LogGroup
	Trail    *model.Trail
	Filter   *model.MetricFilter
	Alarm    *model.Alarm
	// Topics are the owner's topics as read (by ARN).
	Topics map[string]*model.Topic
}

func (o outcome) chain(it alarms.Item) AlarmChain {
	c := AlarmChain{Item: it, Code: o.code, Filter: o.filter, Alarm: o.alarm}
	if o.view != nil && o.view.trail.LogGroup != nil {
		c.Owner, c.LogGroup, c.Trail, c.Region = o.view.owner.ID, o.view.trail.LogGroup, o.view.trail, o.view.trail.LogGroup.Region
		if o.view.owner.Monitoring != nil {
			c.Topics = o.view.owner.Monitoring.Topics
		}
	}
	return c
}

// alarmFamily judges every alarm control on one account.
func (e *evaluator) alarmFamily(a *model.Account) {
	for _, it := range e.s.Alarms {
		v := &verdict{}
		e.alarmItem(a, it, v)
		f := e.finding(it.ID, a.ID, "global", model.TypeAccount, a.ID, v)
		e.findings = append(e.findings, f)
	}
}

// chainView is a monitored trail as the chain sees it: the trail as read in the account that owns its log group.
type chainView struct {
	trail *model.Trail
	owner *model.Account
}

func (e *evaluator) alarmItem(a *model.Account, it alarms.Item, v *verdict) {
	if a.Error != nil {
		errorReason(v, "account", a.Error)
		return
	}
	var views []chainView
	var why []string
	unknown, pending, deferred := "", "", ""
	for _, t := range a.Trails {
		ct, owner := t, a
		if t.OwnedElsewhere {
			// The chain of an organization trail is read in its owner's account: judged there, once.
			if owner = e.accounts[t.OwnerAccount]; owner == nil {
				deferred = t.ARN
				continue
			}
			for _, ot := range owner.Trails {
				if ot.ARN == t.ARN {
					ct = ot
				}
			}
		}
		st, judged := e.verdicts[t.ARN]
		switch {
		case !judged:
			deferred = t.ARN
			continue
		case e.iac && ct.Unknown.Module != "":
			unknown = t.ARN // declared in a module that was not read: nothing about it is known
			continue
		case ct.LogGroupARN == "":
			// It passes only because a CloudWatch telemetry rule captures its regions: it has no log group to alarm on.
			why = append(why, fmt.Sprintf("%s has no CloudWatch Logs log group", t.ARN))
			continue
		case !ct.MultiRegion:
			why = append(why, fmt.Sprintf("%s is single-region", t.ARN))
			continue
		case ct.ManagementEvents == nil:
			unknown = t.ARN
			continue
		case !*ct.ManagementEvents:
			why = append(why, fmt.Sprintf("%s logs no management events", t.ARN))
			continue
		case ct.ManagementReadWrite != "" && ct.ManagementReadWrite != "All":
			why = append(why, fmt.Sprintf("%s logs %s only", t.ARN, KeptEvents(ct.ManagementReadWrite)))
			continue
		case st == model.StatusError || st == model.StatusUnknown:
			unknown = t.ARN
			continue
		case st == model.StatusPending:
			pending = t.ARN
			continue
		case st != model.StatusPass && st != model.StatusWarn:
			why = append(why, fmt.Sprintf("%s fails %s (see its finding)", t.ARN, IntegrationID))
			continue
		}
		views = append(views, chainView{ct, owner})
	}
	// The CloudWatch telemetry path (issue 26): where telemetry rules capture every region of the account, their groups
	// are a monitored destination too, judged by the same chain.
	tele, teleOK := e.telemetryChain(a, it)
	if len(views) == 0 && teleOK {
		e.settleAlarm(a, it, v, tele)
		return
	}
	if len(views) == 0 {
		switch {
		case unknown != "" && e.iac:
			v.add(model.StatusUnknown, ValueUnknown, "Whether a monitored trail captures the account is known only after deployment: trail %s's integration is UNKNOWN (see its finding).", unknown)
		case unknown != "":
			v.add(model.StatusError, CoverageUnknown, "Whether a monitored trail captures this account is unknown: the state of %s could not be read (see its finding).", unknown)
		case pending != "":
			v.add(model.StatusPending, PendingFirstDelivery, "The only candidate trail, %s, waits for its first delivery.", pending)
		case deferred != "":
			v.add(model.StatusSkipped, OwnedElsewhere, "The account relies on organization trail %s, judged in its owner's account, which is not part of this scan.", deferred)
		default:
			msg := "No trail captures this account's management events (read and write, in every region) into CloudWatch Logs"
			if len(why) > 0 {
				msg += ": " + strings.Join(why, "; ")
			}
			v.add(model.StatusFail, NoMonitoredTrail, "%s.", msg)
		}
		return
	}
	best, failed := outcome{depth: -1}, outcome{depth: -1}
	// A telemetry rule's groups declared as code (one per region) are judged together, as live judges a rule's:
	// monitored only when the chain is whole on each (review: IaC took the best region's, live the worst's).
	feeders := map[string][]*model.Trail{}
	var outcomes []outcome
	for _, cv := range views {
		if cv.trail.TelemetryFeeder {
			if feeders[cv.trail.ARN] == nil {
				outcomes = append(outcomes, outcome{view: &cv}) // a placeholder, judged below in the order met
			}
			feeders[cv.trail.ARN] = append(feeders[cv.trail.ARN], cv.trail)
			continue
		}
		outcomes = append(outcomes, e.chain(cv, it))
	}
	for i, o := range outcomes {
		if o.view == nil || !o.view.trail.TelemetryFeeder {
			continue
		}
		if g := feeders[o.view.trail.ARN]; len(g) > 0 {
			outcomes[i] = e.worstChain(a, it, g)
		}
	}
	for _, o := range outcomes {
		if o.better(best) {
			best = o
		}
		if o.status == model.StatusError && failed.depth < 0 {
			failed = o
		}
	}
	if best.status != model.StatusPass {
		// A chain (or a candidate trail) that could not be read may be the one that monitors the item: no chain that
		// was read decides the verdict then, since the unread one might pass (issue 23). The read chains' furthest
		// path is kept as a note.
		switch {
		case failed.depth >= 0 && failed.view != best.view:
			failed.notes = append(failed.notes, "Of the chains that were read, the furthest: "+best.msg)
			best = failed
		case failed.depth < 0 && unknown != "" && e.iac:
			best = outcome{depth: best.depth, status: model.StatusUnknown, code: ValueUnknown, view: best.view,
				msg:   fmt.Sprintf("Trail %s's integration is UNKNOWN (see its finding): whether it monitors the item is known after deployment.", unknown),
				notes: []string{"Of the other trails' chains, the furthest: " + best.msg}}
		case failed.depth < 0 && unknown != "":
			best = outcome{depth: best.depth, status: model.StatusError, code: CoverageUnknown, view: best.view,
				msg:   fmt.Sprintf("Whether trail %s monitors the item is unknown: its state could not be read (see its finding).", unknown),
				notes: []string{"Of the other trails' chains, the furthest: " + best.msg}}
		}
	}
	if teleOK && tele.better(best) {
		e.settleAlarm(a, it, v, tele)
		return
	}
	e.settleAlarm(a, it, v, best)
	if views[0].owner != a {
		v.note("Judged on log group %s in account %s, the owner of organization trail %s (a member cannot read it).", views[0].trail.LogGroupARN, views[0].owner.ID, views[0].trail.ARN)
	}
}

// settleAlarm makes outcome o the item's verdict, with its typed evidence and the chain the fix plan reads.
func (e *evaluator) settleAlarm(a *model.Account, it alarms.Item, v *verdict, o outcome) {
	v.add(o.status, o.code, "%s", o.msg)
	v.evidence = &model.Evidence{Chain: o.evidence()}
	if e.chains != nil {
		e.chains[model.FindingID(it.ID, a.ID)] = o.chain(it)
	}
	for _, n := range o.notes {
		v.note("%s", n)
	}
}

// telemetryChain judges the item on the groups CloudWatch telemetry rules deliver the account's management events to,
// when they capture every region in scope (TelemetryCapture). Each region's events reach only that region's group
// (aws/cloudtrail/managementevents in the region), where a multi-region trail brings every region's to one: so the item
// is monitored on this path only when the chain is whole on every region's group, and the verdict is the chain of the
// region that got least far (its evidence names that group, so the fix plan completes it there first).
func (e *evaluator) telemetryChain(a *model.Account, it alarms.Item) (outcome, bool) {
	if e.iac || a.Telemetry == nil || TelemetryCapture(a, a.Regions, &e.s) == "" {
		return outcome{}, false
	}
	var feeders []*model.Trail
	for _, region := range a.Regions {
		rule, lg, _, _ := telemetryRule(a, region, &e.s)
		if rule == nil || lg == nil {
			return outcome{}, false
		}
		feeders = append(feeders, &model.Trail{ARN: rule.ARN, Name: rule.Name, HomeRegion: region, MultiRegion: true, LogGroupARN: lg.ARN, LogGroup: lg})
	}
	return e.worstChain(a, it, feeders), true
}

// worstChain judges the item on telemetry rule groups, one per region (feeders: each stands as a trail that feeds
// its region's group), for live inventories and code alike: monitored only when the chain is whole on every
// region's group; the verdict is the chain of the region that got least far, with every other broken region's chain
// as evidence (so that one plan completes them all).
func (e *evaluator) worstChain(a *model.Account, it alarms.Item, feeders []*model.Trail) outcome {
	global := globalRegion(a.Partition)
	if globalItems[it.ID] && slices.ContainsFunc(feeders, func(f *model.Trail) bool { return f.HomeRegion == global }) {
		// IAM and Organizations are global services: CloudTrail records their events in one region (CloudTrail User
		// Guide, "Understanding global service events"), so only that region's group can see them.
		feeders = slices.DeleteFunc(slices.Clone(feeders), func(f *model.Trail) bool { return f.HomeRegion != global })
	}
	var worst outcome
	whole, n := 0, 0
	var broken []string
	var brokenEvidence []*model.ChainEvidence
	for _, feeder := range feeders {
		o := e.chain(chainView{trail: feeder, owner: a}, it)
		n++
		if o.status == model.StatusPass || o.status == model.StatusWarn {
			whole++
		} else {
			broken = append(broken, feeder.HomeRegion)
			brokenEvidence = append(brokenEvidence, o.evidence())
		}
		if n == 1 || worst.better(o) {
			worst = o
		}
	}
	// Every other broken region's chain, so that one plan completes them all.
	own := worst.evidence().LogGroup
	for _, ev := range brokenEvidence {
		if ev.LogGroup != own {
			worst.also = append(worst.also, ev)
		}
	}
	note := fmt.Sprintf("Judged on the log groups CloudWatch telemetry rules deliver the account's management events to, one per region (each receives only its own region's events): the chain is whole in %d of %d regions", whole, n)
	if globalItems[it.ID] && n == 1 && feeders[0].HomeRegion == global && (len(a.Regions) > 1 || e.iac) {
		note = fmt.Sprintf("Judged on the log group CloudWatch telemetry rules deliver %s's events to: the events of this global service are recorded in %s only", global, global)
	}
	if len(broken) > 0 && n > 1 {
		note += "; not in " + strings.Join(broken, ", ")
	}
	worst.notes = append(worst.notes, note+".")
	return worst
}

// globalItems are the CIS items about global services (IAM, Organizations), whose events CloudTrail records in the
// partition's global region only.
var globalItems = map[string]bool{"alarm-iam-policy-changes": true, "alarm-organizations-changes": true}

// globalRegion is where a partition records global services' events.
func globalRegion(part string) string {
	if part == "" {
		part = "aws"
	}
	p, ok := partition.Lookup(part)
	if !ok {
		return "us-east-1"
	}
	return p.GlobalRegion
}

// chain follows one monitored trail's log group through filter, alarm and topic, and returns the furthest path.
func (e *evaluator) chain(cv chainView, it alarms.Item) outcome {
	t, lg := cv.trail, cv.trail.LogGroup
	arn := t.LogGroupARN
	switch {
	case lg == nil && t.LogGroupErr != nil:
		return outcome{depth: 1, status: model.StatusError, code: CollectionError, msg: fmt.Sprintf("Log group %s could not be read: %s: %s", arn, t.LogGroupErr.Code, t.LogGroupErr.Message)}
	case lg == nil || !lg.Exists:
		return outcome{depth: 0, status: model.StatusFail, code: NoMonitoredTrail, msg: fmt.Sprintf("Trail %s's log group %s does not exist.", t.ARN, arn)}
	case lg.MetricFiltersErr != nil:
		e := lg.MetricFiltersErr
		return outcome{depth: 1, status: model.StatusError, code: kindCode(e), msg: fmt.Sprintf("The metric filters of %s could not be read: %s failed: %s: %s", lg.ARN, e.API, e.Code, e.Message)}
	case !lg.MetricFiltersRead:
		return outcome{depth: 1, status: model.StatusError, code: CollectionError, msg: fmt.Sprintf("The metric filters of %s were not read (the account was collected without the alarm controls).", lg.ARN)}
	}
	best := outcome{depth: 1, status: model.StatusFail, code: FilterMissing,
		msg: fmt.Sprintf("No metric filter on %s is about %s %s (published pattern: %s).", lg.ARN, it.CIS, it.Title, it.Pattern)}
	for _, f := range lg.MetricFilters {
		f := f
		if f.PatternUnknown != "" {
			// Known at deployment only: it may be the filter that covers the item (outranks a FAIL at this depth).
			o := outcome{depth: 2, status: model.StatusUnknown, code: ValueUnknown, filter: &f,
				msg: fmt.Sprintf("Metric filter %q on %s takes its pattern from a value known only at deployment: whether it covers %s %s is known after deployment.", f.Name, lg.ARN, it.CIS, it.Title)}
			if o.better(best) {
				best = o
			}
			continue
		}
		c, err := e.covers(f.Pattern, it)
		var o outcome
		switch {
		case err != nil:
			var se *filterpattern.SyntaxError
			if !errors.As(err, &se) {
				o = outcome{depth: 2, status: model.StatusError, code: FilterUnparseable, msg: fmt.Sprintf("Metric filter %q on %s cannot be judged: %v.", f.Name, lg.ARN, err)}
			} else {
				// Ties with a filter that misses events (same depth): ERROR outranks FAIL, since the filter that
				// cannot be read may be the one that covers the item.
				o = outcome{depth: 2, status: model.StatusError, code: FilterUnparseable, msg: fmt.Sprintf("Metric filter %q on %s has a pattern trailwatch cannot parse: %v.", f.Name, lg.ARN, err)}
			}
		case !c.About:
			continue
		case len(c.Coverage.Misses) > 0:
			o = outcome{depth: 2, status: model.StatusFail, code: FilterMissesEvents, notes: c.Notes,
				msg: fmt.Sprintf("Metric filter %q on %s misses events the published %s pattern matches: %s.", f.Name, lg.ARN, it.CIS, strings.Join(c.Coverage.Misses, "; "))}
		default:
			o = e.alarmStage(cv, f, it)
			o.notes = append(o.notes, c.Notes...)
			if len(c.Coverage.Narrowed) > 0 {
				narrow := fmt.Sprintf("Metric filter %q on %s rejects events the published %s pattern matches, such as one with %s: they raise no alarm.", f.Name, lg.ARN, it.CIS, strings.Join(c.Coverage.Narrowed, "; or one with "))
				if o.status == model.StatusPass {
					o = outcome{depth: 99, status: model.StatusWarn, code: FilterNarrowed, msg: narrow + " The rest of the chain is whole: " + o.msg, notes: o.notes}
				} else {
					o.notes = append(o.notes, narrow)
				}
			}
		}
		if o.filter == nil && o.depth >= 2 {
			o.filter = &f
		}
		if f.GroupUnknown && (o.status == model.StatusPass || o.status == model.StatusWarn) {
			// The chain is whole if the filter is on this log group, which only deployment decides.
			o.status, o.code = model.StatusUnknown, ValueUnknown
			o.msg = fmt.Sprintf("Metric filter %q's log group is known only at deployment; if it is %s: %s", f.Name, lg.ARN, o.msg)
		}
		if o.better(best) {
			best = o
		}
	}
	best.view = &cv
	return best
}

func kindCode(e *model.CallError) string {
	switch e.Kind {
	case model.ErrAccessDenied:
		return AccessDenied
	case model.ErrThrottled:
		return Throttled
	}
	return CollectionError
}

// alarmStage follows a filter that covers the item to its alarms and topics.
func (e *evaluator) alarmStage(cv chainView, f model.MetricFilter, it alarms.Item) outcome {
	lg, mon := cv.trail.LogGroup, cv.owner.Monitoring
	metric := f.Namespace + "/" + f.Metric
	if mon == nil {
		return outcome{depth: 3, status: model.StatusError, code: CollectionError, msg: fmt.Sprintf("The alarms of account %s were not read.", cv.owner.ID)}
	}
	if err := mon.RegionErrors[lg.Region]; err != nil {
		return outcome{depth: 3, status: model.StatusError, code: kindCode(err), msg: fmt.Sprintf("The alarms of %s in %s could not be read: %s failed: %s: %s", cv.owner.ID, lg.Region, err.API, err.Code, err.Message)}
	}
	value, valueKnown := 1.0, true
	if x, err := strconv.ParseFloat(f.Value, 64); err == nil {
		value = x
	} else {
		valueKnown = false
	}
	best := outcome{depth: 3, status: model.StatusFail, code: AlarmMissing,
		msg: fmt.Sprintf("Metric filter %q on %s publishes %s, but no alarm in %s watches it.", f.Name, lg.ARN, metric, lg.Region)}
	unknownAlarm := ""
	for _, al := range mon.Alarms {
		if al.Region == lg.Region && al.MetricUnknown != "" && unknownAlarm == "" {
			unknownAlarm = al.Name
		}
		// A metric known only at deployment matches nothing (two unknown metrics are not the same metric).
		if al.Region != lg.Region || al.MetricUnknown != "" || f.MetricUnknown != "" || al.Namespace != f.Namespace || al.Metric != f.Metric {
			continue
		}
		o := e.alarmOutcome(al, value, valueKnown, mon, f, lg.ARN)
		o.alarm = al
		if o.better(best) {
			best = o
		}
	}
	if e.iac && best.code == AlarmMissing {
		// Which metric a filter publishes, or an alarm watches, may be known only at deployment.
		switch {
		case f.MetricUnknown != "":
			best = outcome{depth: 3, status: model.StatusUnknown, code: ValueUnknown,
				msg: fmt.Sprintf("Metric filter %q on %s publishes a metric whose namespace or name is known only at deployment: whether an alarm watches it is known after deployment.", f.Name, lg.ARN)}
		case unknownAlarm != "":
			best = outcome{depth: 3, status: model.StatusUnknown, code: ValueUnknown,
				msg: fmt.Sprintf("No alarm is known to watch %s (metric filter %q on %s), but alarm %s watches a metric known only at deployment.", metric, f.Name, lg.ARN, unknownAlarm)}
		}
	}
	return best
}

// fires says whether one matching event in one period puts the alarm in ALARM: the filter adds value to the metric
// for the event, so the period's Sum, Average, Minimum, Maximum (and percentiles) are value and its SampleCount 1;
// the comparison must hold for that datapoint, and one breaching datapoint must be enough (DatapointsToAlarm, which
// defaults to EvaluationPeriods, at most 1). CloudWatch alarm evaluation: "Evaluating an alarm" in the CloudWatch user
// guide.
func fires(al *model.Alarm, value float64) (bool, string) {
	x := value
	if al.Statistic == "SampleCount" {
		x = 1
	}
	ok := false
	switch al.Comparison {
	case "GreaterThanOrEqualToThreshold":
		ok = x >= al.Threshold
	case "GreaterThanThreshold":
		ok = x > al.Threshold
	default:
		return false, fmt.Sprintf("its comparison %s does not fire on activity", al.Comparison)
	}
	if !ok {
		return false, fmt.Sprintf("one event gives %s %s, which is not %s %s", statName(al), fmtNum(x), al.Comparison, fmtNum(al.Threshold))
	}
	m := al.DatapointsToAlarm
	if m == 0 {
		m = al.EvaluationPeriods
	}
	if m > 1 {
		return false, fmt.Sprintf("it needs %d breaching datapoints and one event makes one", m)
	}
	return true, ""
}

func statName(al *model.Alarm) string {
	if al.Statistic != "" {
		return al.Statistic
	}
	return al.ExtendedStatistic
}

func fmtNum(f float64) string {
	if f == math.Trunc(f) {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func (e *evaluator) alarmOutcome(al *model.Alarm, value float64, valueKnown bool, mon *model.Monitoring, f model.MetricFilter, lgARN string) outcome {
	name := al.ARN
	if al.MetricMath {
		return outcome{depth: 4, status: model.StatusUnknown, code: AlarmUnjudgeable, msg: fmt.Sprintf("Alarm %s is a metric math alarm; trailwatch does not judge whether it fires on one event.", name)}
	}
	if al.Dimensions > 0 {
		return outcome{depth: 4, status: model.StatusFail, code: AlarmCannotFire, msg: fmt.Sprintf("Alarm %s watches %s/%s with dimensions, a series metric filter %q does not publish.", name, al.Namespace, al.Metric, f.Name)}
	}
	if f.CountUnknown != "" {
		return outcome{depth: 4, status: model.StatusUnknown, code: ValueUnknown, msg: fmt.Sprintf("Whether metric filter %q is created is known only at deployment (%s): whether alarm %s fires on a matching event is known after deployment.", f.Name, f.CountUnknown, name)}
	}
	if f.ValueUnknown != "" {
		return outcome{depth: 4, status: model.StatusUnknown, code: ValueUnknown, msg: fmt.Sprintf("Metric filter %q adds a value known only at deployment (%s) per matching event: whether alarm %s fires on one is known after deployment.", f.Name, f.ValueUnknown, name)}
	}
	if al.Unknown != "" {
		// Before deployment: a comparison, threshold, statistic or period count known only then decides it (a
		// comparison from a variable was "cannot fire", a threshold from one was judged as 0).
		return outcome{depth: 4, status: model.StatusUnknown, code: ValueUnknown, msg: fmt.Sprintf("Alarm %s depends on values known only at deployment (%s): whether it fires on one matching event is known after deployment.", name, al.Unknown)}
	}
	if ok, why := fires(al, value); !ok {
		return outcome{depth: 4, status: model.StatusFail, code: AlarmCannotFire, msg: fmt.Sprintf("Alarm %s cannot fire on one matching event: %s.", name, why)}
	}
	var notes []string
	if !valueKnown {
		notes = append(notes, fmt.Sprintf("Metric filter %q publishes %q per event; judged as 1.", f.Name, f.Value))
	}
	if !al.ActionsEnabled {
		return outcome{depth: 5, status: model.StatusFail, code: AlarmActionsDisabled, msg: fmt.Sprintf("Alarm %s has its actions disabled: it changes state but notifies no one.", name), notes: notes}
	}
	best := outcome{depth: 6, status: model.StatusFail, code: AlarmNoTopic, msg: fmt.Sprintf("Alarm %s notifies no SNS topic (its actions: %s).", name, orNone(al.Actions)), notes: notes}
	for _, act := range al.Actions {
		tp := mon.Topics[act]
		if tp == nil {
			continue
		}
		var o outcome
		switch {
		case tp.Err != nil:
			// A failed read is an ERROR on what it touched, never a verdict (issue 23): the topic may have a confirmed
			// subscriber.
			o = outcome{depth: 8, status: e.statusFor(TopicUnreadable), code: TopicUnreadable, msg: fmt.Sprintf("Alarm %s notifies topic %s, whose subscriptions cannot be read: %s: %s.", name, act, tp.Err.Code, strings.TrimSuffix(tp.Err.Message, "."))}
		case !tp.Exists:
			o = outcome{depth: 7, status: model.StatusFail, code: TopicMissing, msg: fmt.Sprintf("Alarm %s notifies topic %s, which does not exist.", name, act)}
		case tp.Confirmed == 0 && tp.Unconfirmable > 0:
			o = outcome{depth: 8, status: model.StatusUnknown, code: ConfirmationUnknown, msg: fmt.Sprintf("Topic %s (alarm %s) has %d subscription(s) (email, http(s) or another account's endpoint) that a person confirms after deployment: whether one is confirmed is known only in the account.", act, name, tp.Unconfirmable)}
		case tp.Confirmed == 0 && tp.Pending == 0 && e.iac:
			// Declared without any subscription: modules commonly leave subscribing (by email, confirmed by a person)
			// to their users, outside the configuration, so whether someone receives the alarm is known only in the
			// account (scan --alarms judges it there).
			o = outcome{depth: 8, status: model.StatusUnknown, code: ConfirmationUnknown, msg: fmt.Sprintf("Topic %s (alarm %s) has no subscription in this configuration: whether one is added outside it, and confirmed, is known only in the account.", act, name)}
		case tp.Confirmed == 0:
			msg := fmt.Sprintf("Topic %s (alarm %s) has no confirmed subscription", act, name)
			if tp.Pending > 0 {
				msg += fmt.Sprintf("; %d wait for confirmation", tp.Pending)
			}
			o = outcome{depth: 7, status: model.StatusFail, code: NoConfirmedSubscriber, msg: msg + ".", pending: tp.Pending}
		default:
			o = outcome{depth: 100, status: model.StatusPass, code: Monitored,
				msg: fmt.Sprintf("Metric filter %q (metric %s) on %s -> alarm %s -> topic %s with %d confirmed subscription(s) (%s).", f.Name, f.Namespace+"/"+f.Metric, lgARN, name, act, tp.Confirmed, strings.Join(tp.Protocols, ", "))}
		}
		o.notes = append(o.notes, notes...)
		o.topic = act
		if o.better(best) {
			best = o
		}
	}
	if al.ActionsUnknown != "" && best.status != model.StatusPass {
		// A known action that reaches someone decides (review: one unknown action beside it made the item UNKNOWN);
		// otherwise an action known only at deployment may.
		return outcome{depth: 6, status: model.StatusUnknown, code: ValueUnknown, notes: notes,
			msg: fmt.Sprintf("Alarm %s notifies actions known only at deployment (%s): whether someone receives it is known after deployment.", name, al.ActionsUnknown)}
	}
	return best
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// IaCUnit is one deployable unit for EvaluateIaCAlarms: a Terraform root module, a CloudFormation template or a plan,
// with its trails, their integration findings (EvaluateIaC's, same order) and the alarm chain it declares.
type IaCUnit struct {
	Name        string
	Trails      []*model.Trail
	Integration []model.Finding
	Monitoring  *model.Monitoring
	// Telemetry are the CloudWatch telemetry rules for CloudTrail the unit declares (nil: none): a rule that captures
	// makes its log group a monitored destination, as live (telemetryFeeders).
	Telemetry *model.Telemetry
}

// EvaluateIaCAlarms judges the alarm family of each unit on its own (what one root module or template deploys does
// not monitor another's account): one set of findings per unit that declares a trail, named by the unit when there
// are several.
func EvaluateIaCAlarms(cat *Catalog, units []IaCUnit, items []alarms.Item, fix func(IaCUnit, []model.Finding)) []model.Finding {
	var out []model.Finding
	for _, u := range units {
		trails, integration, mon := telemetryFeeders(u.Trails, u.Integration, u.Monitoring, u.Telemetry)
		fs := evaluateIaCUnitAlarms(cat, trails, integration, mon, items)
		if fix != nil {
			fix(u, fs) // the code that completes each chain comes from the fix plan (remediate.FixIaCAlarms)
		}
		if len(units) > 1 {
			for i := range fs {
				fs[i].ID = model.FindingID(fs[i].ControlID, u.Name+">"+fs[i].ResourceID)
				fs[i].Notes = append(fs[i].Notes, "Judged on what "+u.Name+" declares.")
			}
		}
		out = append(out, fs...)
	}
	return out
}

// evaluateIaCUnitAlarms judges the alarm family on infrastructure as code with the live rule: the trails' integration
// verdicts are those EvaluateIaC gave (same order as trails), read through the delivery table (a WARN that means
// nothing reaches the log group is, for the chain, a trail that fails), the log groups carry the declared metric
// filters, and mon the declared alarms and topics. A trail without event selectors logs all management events. What
// is known only after deployment is UNKNOWN, never FAIL: a value computed at apply, a topic declared elsewhere, a
// subscriber that confirms after the apply. One finding per item, on the monitored trail's declaration (or the first
// trail's).
func evaluateIaCUnitAlarms(cat *Catalog, trails []*model.Trail, integration []model.Finding, mon *model.Monitoring, items []alarms.Item) []model.Finding {
	if len(items) == 0 || mon == nil && len(trails) == 0 {
		return nil
	}
	if mon == nil {
		mon = &model.Monitoring{Topics: map[string]*model.Topic{}}
	}
	if len(trails) == 0 {
		return unfedGroupAlarms(cat, mon, items)
	}
	a := &model.Account{ID: "iac", Monitoring: mon}
	s := DefaultSettings(time.Time{})
	s.Alarms = items
	e := newEvaluator(cat, &model.Inventory{Accounts: []*model.Account{a}}, s)
	e.iac = true
	e.chains = map[string]AlarmChain{}
	for i, t := range trails {
		if t.NotInstantiated {
			continue
		}
		tc := *t
		if tc.ManagementEvents == nil && !tc.HasCustomEventSelectors {
			all := true
			tc.ManagementEvents = &all
		}
		tc.OwnedElsewhere = false
		if i < len(integration) {
			st := integration[i].Status
			if st == model.StatusMuted {
				st = integration[i].MutedStatus
			}
			if st == model.StatusWarn && DeliversNothing(integration[i]) {
				st = model.StatusFail
			}
			e.verdicts[tc.ARN] = st
		}
		a.Trails = append(a.Trails, &tc)
	}
	if len(a.Trails) == 0 {
		return nil
	}
	e.accounts[a.ID] = a
	e.alarmFamily(a)
	out := e.findings
	for i := range out {
		f := &out[i]
		c := e.chains[f.ID]
		t := a.Trails[0]
		if c.Trail != nil {
			t = c.Trail
		}
		rid := t.ARN
		if t.Source != nil && t.Source.Address != "" {
			rid = t.Source.Address
		}
		loc := t.Source
		switch {
		case c.Alarm != nil && c.Alarm.Source != nil:
			loc = c.Alarm.Source
		case c.Filter != nil && c.Filter.Source != nil:
			loc = c.Filter.Source
		}
		id := rid
		if t.Source != nil {
			id = t.Source.File + "#" + rid
		}
		f.ID, f.AccountID, f.Region, f.ResourceType, f.ResourceID, f.Location = model.FindingID(f.ControlID, id), "", "", model.TypeTrail, rid, loc
	}
	return out
}

// telemetryFeeders adds, for each telemetry rule of the unit that captures the account's management events (the one
// rule: RuleProblem, every event kept, nothing unknown), its log group (aws/cloudtrail/managementevents in the rule's
// region, with the metric filters declared on it) as a trail that feeds it, so the chain is judged there as live
// judges a rule's group (field trial: every item failed NO_MONITORED_TRAIL beside a PASS CAPTURED_BY_TELEMETRY_RULE).
// Filters declared on that group stop being an unfed group's.
func telemetryFeeders(trails []*model.Trail, integration []model.Finding, mon *model.Monitoring, tm *model.Telemetry) ([]*model.Trail, []model.Finding, *model.Monitoring) {
	if tm == nil {
		return trails, integration, mon
	}
	var unfed []*model.LogGroup
	if mon != nil {
		unfed = mon.UnfedGroups
	}
	trails, integration = slices.Clone(trails), slices.Clone(integration)
	for len(integration) < len(trails) {
		integration = append(integration, model.Finding{Status: model.StatusUnknown})
	}
	for _, r := range tm.Rules {
		if r.Unknown != "" || RuleProblem(r, "") != "" || r.ReadWriteType != "All" {
			continue
		}
		// The rule's group in each region it applies in that the unit declares filters for (review: an all-regions rule's
		// filters declared through another region's provider were left unfed), else its home region's.
		var groups, rest []*model.LogGroup
		for _, g := range unfed {
			if g.Name == model.TelemetryLogGroup && (r.AllRegions || g.Region == r.HomeRegion || slices.Contains(r.Regions, g.Region)) {
				groups = append(groups, g)
			} else {
				rest = append(rest, g)
			}
		}
		unfed = rest
		if len(groups) == 0 {
			part := "${partition}"
			if !strings.HasPrefix(r.HomeRegion, "${") {
				part = partition.OfRegion(r.HomeRegion).Name
			}
			groups = append(groups, &model.LogGroup{Name: model.TelemetryLogGroup, Region: r.HomeRegion, Account: "${account}", Exists: true, MetricFiltersRead: true,
				ARN: awsarn.LogGroupARN(part, r.HomeRegion, "${account}", model.TelemetryLogGroup), Source: r.Source})
		}
		for _, lg := range groups {
			all := true
			trails = append(trails, &model.Trail{ARN: r.ARN, Name: r.Name, HomeRegion: lg.Region, MultiRegion: true, ManagementEvents: &all,
				ManagementReadWrite: "All", LogGroupARN: lg.ARN, LogGroup: lg, Source: r.Source, TelemetryFeeder: true})
			integration = append(integration, model.Finding{Status: model.StatusPass})
		}
	}
	if mon != nil {
		m := *mon
		m.UnfedGroups = unfed
		mon = &m
	}
	return trails, integration, mon
}

// unfedGroupAlarms judges the chain of a unit that declares metric filters but no trail (a monitoring-only root
// module, such as a CIS alarms module fed the log group's name): each log group stands for the trail that feeds it,
// so the chain is judged from the filter on. A whole chain is UNKNOWN (TRAIL_NOT_DECLARED: the trail's link is judged
// where the trail is declared), a broken one fails as it would with the trail. A unit none of whose filters is about
// a CIS item (or parses as a JSON pattern) says nothing: an application's metric filters are not this control's
// business.
func unfedGroupAlarms(cat *Catalog, mon *model.Monitoring, items []alarms.Item) []model.Finding {
	var trails []*model.Trail
	var verdicts []model.Finding
	for _, lg := range mon.UnfedGroups {
		all := true
		trails = append(trails, &model.Trail{ARN: lg.ARN, Name: lg.Name, MultiRegion: true, ManagementEvents: &all,
			LogGroupARN: lg.ARN, LogGroup: lg, Source: lg.Source})
		verdicts = append(verdicts, model.Finding{Status: model.StatusPass})
	}
	if len(trails) == 0 {
		return nil
	}
	fs := evaluateIaCUnitAlarms(cat, trails, verdicts, mon, items)
	about := false
	for i := range fs {
		f := &fs[i]
		about = about || f.Evidence == nil || f.Evidence.Chain == nil || f.Evidence.Chain.Stage != FilterMissing && f.Evidence.Chain.Stage != FilterUnparseable
		lg := "the filter's log group"
		if f.Evidence != nil && f.Evidence.Chain != nil && f.Evidence.Chain.LogGroup != "" {
			lg = f.Evidence.Chain.LogGroup
		}
		if f.Status == model.StatusPass {
			f.Status, f.Fix = model.StatusUnknown, ""
			f.Reasons = []model.Reason{{Code: TrailNotDeclared, Message: fmt.Sprintf("%s No trail declared here delivers to %s: whether a multi-region trail logging every management event feeds it is judged where the trail is declared (or by trailwatch scan --alarms after deployment).", strings.TrimSuffix(f.Reasons[0].Message, ".")+".", lg)}}
		} else {
			f.Notes = append(f.Notes, "No trail declared here delivers to "+lg+"; the chain is judged from the metric filter on.")
		}
	}
	if !about {
		return nil
	}
	return fs
}
