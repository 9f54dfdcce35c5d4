// Package prove proves capture end to end (trailwatch prove): in each account and region in scope it makes two
// harmless marked calls, a write and a read, and looks for them in every log group that should receive the region's
// management events; a region whose marker never arrives is NOT_SEEN whatever its configuration says. With alarms, it
// runs the stored metric filters on the account's own recent events with CloudWatch Logs' own matcher.
//
// The markers (docs/controls.md "capture-proof"):
//   - write: ec2:CreatePlacementGroup with DryRun, group name trailwatch-proof-<run>-<account>-<region>-w. A dry run
//     changes nothing; AWS answers DryRunOperation when the caller may make the call, and CloudTrail records it as a
//     write management event with errorCode Client.DryRunOperation (seen in public CloudTrail records;
//     shared/reference/beyond-trails.md §4). A placement group is in no CIS monitoring pattern, so the marker sets off
//     no CIS alarm (CreateSecurityGroup, the first choice, is in 4.10's: every proof fired it);
//   - read: ec2:DescribeSecurityGroups filtered on group-name trailwatch-proof-<run>-<account>-<region>-r: it lists
//     nothing and is recorded as a read management event with the filter in its requestParameters.
//
// Both are found with logs:FilterLogEvents on the run's prefix in each destination group, polled until every marker
// is seen or the timeout passes (CloudTrail "typically delivers logs within an average of about 5 minutes of an API
// call. This time is not guaranteed": CTUG, get-and-view-cloudtrail-log-files), within a call budget. A refused
// marker or an unreadable group is UNKNOWN, never NOT_SEEN.
package prove

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/fanout"
	"github.com/trailwatch/trailwatch/internal/model"
)

// ControlID is the proof's control.
const ControlID = "capture-proof"

// Reason codes of capture-proof.
const (
	Proven     = "PROVEN"
	NotSeen    = "NOT_SEEN"
	NotYetSeen = "NOT_YET_SEEN"
	NoLogGroup = "NO_LOG_GROUP"
	// DestinationUnknown: no trail sends the region's events to CloudWatch Logs, and whether a telemetry rule does is
	// unknown (its read failed): there is no knowing where to look.
	DestinationUnknown = "DESTINATION_UNKNOWN"
	MarkerRefused      = "MARKER_REFUSED"
	GroupUnreadable    = "GROUP_UNREADABLE"
	OutOfScope         = "GROUP_OUT_OF_SCOPE"
	BudgetSpent        = "CALL_BUDGET_SPENT"
	Interrupted        = "INTERRUPTED"
)

// EC2API is what the markers need.
type EC2API interface {
	CreatePlacementGroup(ctx context.Context, in *ec2.CreatePlacementGroupInput, optFns ...func(*ec2.Options)) (*ec2.CreatePlacementGroupOutput, error)
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
}

// LogsAPI is what finding them needs.
type LogsAPI interface {
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// Clients reach an account in a region; ok is false for an account outside the run's scope (its credentials are not
// the run's to use).
type Clients interface {
	EC2(account, region string) (EC2API, bool)
	Logs(account, region string) (LogsAPI, bool)
}

// MinWait is the shortest search after which a marker not seen is NOT_SEEN: CloudTrail delivers "within an average of
// about 5 minutes of an API call. This time is not guaranteed" (CTUG, get-and-view-cloudtrail-log-files), so a
// shorter --timeout proves nothing by not finding it (NOT_YET_SEEN, UNKNOWN). 15 minutes is three times the stated
// average, the wait shared/reference/beyond-trails.md §4 suggests before calling a marker lost.
const MinWait = 15 * time.Minute

// Options tune a proof.
type Options struct {
	// Timeout is how long markers are looked for (default 20m).
	Timeout time.Duration
	// Poll is the pause between searches (default 30s).
	Poll time.Duration
	// MaxCalls bounds the FilterLogEvents calls of the whole run (default 2,000).
	MaxCalls int
	// Concurrency bounds the markers made at once (default 8).
	Concurrency int
	// Now is the clock (default time.Now); Sleep waits d or until ctx ends (default a timer).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// RunID names the run's markers (default random).
	RunID string
	Log   *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 30 * time.Second
	}
	if o.MaxCalls <= 0 {
		o.MaxCalls = 2000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	if o.RunID == "" {
		b := make([]byte, 5)
		_, _ = rand.Read(b)
		o.RunID = hex.EncodeToString(b)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Result is what a run proved: one finding per account and region, the calls it made, and whether it was cut short.
type Result struct {
	Findings    []model.Finding
	MarkerCalls int
	SearchCalls int
	Interrupted bool
	// Searched is how long the markers were looked for, on the run's clock.
	Searched time.Duration
}

// group is a log group a region's events should reach.
type group struct {
	account, region, name, arn string
	trails                     []string
}

// target is one account and region.
type target struct {
	account, region string
	groups          []string // group keys
	config          string   // the configuration's verdict on its capture, for the report
	// telemetryUnread is the failed read that leaves a telemetry rule's group unknown as a destination.
	telemetryUnread *model.CallError
	write, read     marker
	// unreadable are the groups that could not be searched, with why; outOfScope those this run may not read;
	// missing those that do not exist.
	unreadable, outOfScope map[string]string
	missing                []string
}

type marker struct {
	name    string
	madeAt  time.Time
	refused string // why the call was refused ("" when made)
	seenAt  time.Time
	seenIn  string
}

// Run proves capture in every account and enabled region of the inventory. findings are the configuration's findings
// (from the same scan), quoted beside each proof; they are never changed.
func Run(ctx context.Context, cat *controls.Catalog, inv *model.Inventory, findings []model.Finding, c Clients, o Options) *Result {
	o = o.withDefaults()
	res := &Result{}
	groups := map[string]*group{}
	var targets []*target
	config := configVerdicts(findings)
	for _, a := range inv.Accounts {
		if a.Error != nil {
			continue // the scan's own ERROR says why; nothing in it can be proven
		}
		for _, r := range a.Regions {
			if a.RegionErrors[r] != nil {
				continue
			}
			t := &target{account: a.ID, region: r, config: config[a.ID], unreadable: map[string]string{}, outOfScope: map[string]string{}}
			for _, tr := range a.Trails {
				if tr.LogGroupARN == "" || !contains(controls.CapturedRegions(a, tr), r) {
					continue
				}
				g, ok := awsarn.ParseLogGroup(tr.LogGroupARN)
				if !ok {
					continue
				}
				k := g.Account + "/" + g.Region + "/" + g.Name
				if groups[k] == nil {
					groups[k] = &group{account: g.Account, region: g.Region, name: g.Name, arn: strings.TrimSuffix(tr.LogGroupARN, ":*")}
				}
				if !contains(groups[k].trails, tr.ARN) {
					groups[k].trails = append(groups[k].trails, tr.ARN)
				}
				if !contains(t.groups, k) {
					t.groups = append(t.groups, k)
				}
			}
			t.telemetryUnread = controls.TelemetryUnread(a, r)
			if arn := controls.TelemetryDestination(a, r); arn != "" {
				// A CloudWatch telemetry rule's group receives the region's events without a trail.
				if g, ok := awsarn.ParseLogGroup(arn + ":*"); ok {
					k := g.Account + "/" + g.Region + "/" + g.Name
					if groups[k] == nil {
						groups[k] = &group{account: g.Account, region: g.Region, name: g.Name, arn: arn}
					}
					if !contains(t.groups, k) {
						t.groups = append(t.groups, k)
					}
				}
			}
			prefix := fmt.Sprintf("trailwatch-proof-%s-%s-%s", o.RunID, a.ID, r)
			t.write.name, t.read.name = prefix+"-w", prefix+"-r"
			targets = append(targets, t)
		}
	}
	markers(ctx, targets, c, o, res)
	began := o.Now()
	search(ctx, targets, groups, c, o, res)
	res.Searched = o.Now().Sub(began)
	res.Interrupted = ctx.Err() != nil
	for _, t := range targets {
		f := t.finding(inv.Partition, groups, res, o)
		if ctl, ok := cat.Control(ControlID); ok {
			f.Title, f.Severity, f.Remediation = ctl.Title, ctl.Severity, ctl.Remediation
		}
		res.Findings = append(res.Findings, f)
	}
	return res
}

// configVerdicts is, per account, what the configuration says of its capture (account-activity-capture).
func configVerdicts(fs []model.Finding) map[string]string {
	out := map[string]string{}
	for _, f := range fs {
		if f.ControlID == controls.CaptureID {
			st := f.Status
			if st == model.StatusMuted {
				st = f.MutedStatus
			}
			out[f.AccountID] = string(st)
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// markers makes each target's two marked calls (none where no group should receive them: there is nothing to
// look in).
func markers(ctx context.Context, targets []*target, c Clients, o Options, res *Result) {
	var mu sync.Mutex
	var marked []*target
	for _, t := range targets {
		if len(t.groups) > 0 {
			marked = append(marked, t)
		}
	}
	fanout.Each(marked, o.Concurrency, func(_ int, t *target) {
		api, ok := c.EC2(t.account, t.region)
		if !ok {
			t.write.refused, t.read.refused = "the account is outside this run's scope", "the account is outside this run's scope"
			return
		}
		t.write.madeAt = o.Now().UTC()
		_, err := api.CreatePlacementGroup(ctx, &ec2.CreatePlacementGroupInput{DryRun: aws.Bool(true), GroupName: aws.String(t.write.name),
			Strategy: ec2types.PlacementStrategySpread})
		if code := errorCode(err); code != "DryRunOperation" {
			t.write.refused = refusal("ec2:CreatePlacementGroup (dry run)", err)
		}
		t.read.madeAt = o.Now().UTC()
		_, err = api.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{t.read.name}}}})
		if err != nil {
			t.read.refused = refusal("ec2:DescribeSecurityGroups", err)
		}
		mu.Lock()
		res.MarkerCalls += 2
		mu.Unlock()
	})
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func refusal(call string, err error) string {
	if err == nil {
		return call + " answered without the DryRunOperation error a dry run gives"
	}
	ce := collect.Classify(call, "", err) // the one classification of AWS errors (a timeout, a cancellation, an API error)
	return fmt.Sprintf("%s: %s: %s", call, ce.Code, strings.TrimRight(ce.Message, "."))
}

// search polls each destination group for the run's markers until every marker made is seen, the timeout passes, the
// budget is spent or ctx ends.
func search(ctx context.Context, targets []*target, groups map[string]*group, c Clients, o Options, res *Result) {
	// The timeout runs on both clocks: o.Now (the one the records are stamped against, which a test may move) and
	// the host's monotonic clock (a clock that stands still must not keep the run polling for ever).
	deadline, began := o.Now().Add(o.Timeout), time.Now()
	failed := map[string]bool{}
	byGroup := map[string][]*target{}
	var start time.Time
	for _, t := range targets {
		for _, k := range t.groups {
			byGroup[k] = append(byGroup[k], t)
		}
		if !t.write.madeAt.IsZero() && (start.IsZero() || t.write.madeAt.Before(start)) {
			start = t.write.madeAt
		}
	}
	keys := make([]string, 0, len(byGroup))
	for k := range byGroup {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for {
		outstanding := false
		for _, k := range keys {
			if ctx.Err() != nil {
				return
			}
			if failed[k] || !waiting(byGroup[k]) {
				continue
			}
			g := groups[k]
			api, ok := c.Logs(g.account, g.region)
			if !ok {
				failed[k] = true
				for _, t := range byGroup[k] {
					t.outOfScope[k] = g.account
				}
				continue
			}
			outstanding = true
			if err := searchGroup(ctx, api, g, byGroup[k], start, o, res); err != nil {
				if ctx.Err() != nil || errors.Is(err, errBudget) {
					return
				}
				failed[k] = true
				if errors.Is(err, errGone) {
					continue
				}
				for _, t := range byGroup[k] {
					t.unreadable[k] = err.Error()
				}
			}
		}
		if !outstanding || !o.Now().Before(deadline) || time.Since(began) >= o.Timeout {
			return
		}
		wait := o.Poll
		if left := min(deadline.Sub(o.Now()), o.Timeout-time.Since(began)); left < wait {
			wait = left
		}
		if o.Sleep(ctx, wait) != nil {
			return
		}
	}
}

var (
	errBudget = errors.New("call budget spent")
	errGone   = errors.New("the log group does not exist")
)

// waiting reports whether a marker made for one of the targets is still unseen.
func waiting(ts []*target) bool {
	for _, t := range ts {
		for _, m := range []*marker{&t.write, &t.read} {
			if m.refused == "" && !m.madeAt.IsZero() && m.seenAt.IsZero() {
				return true
			}
		}
	}
	return false
}

// searchGroup reads the run's records in one group since the first marker, every page. The records carry AWS's
// eventTime, so the start allows 15 minutes of skew between this host's clock and AWS's; the run's prefix keeps
// every other record out.
func searchGroup(ctx context.Context, api LogsAPI, g *group, ts []*target, start time.Time, o Options, res *Result) error {
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(g.name), StartTime: aws.Int64(start.Add(-15 * time.Minute).UnixMilli()),
		FilterPattern: aws.String(`"trailwatch-proof-` + o.RunID + `"`)}
	prefix := "trailwatch-proof-" + o.RunID + "-"
	names := map[string]*marker{}
	for _, t := range ts {
		names[t.write.name], names[t.read.name] = &t.write, &t.read
	}
	for {
		if res.SearchCalls >= o.MaxCalls {
			return errBudget
		}
		res.SearchCalls++
		out, err := api.FilterLogEvents(ctx, in)
		if errorCode(err) == "ResourceNotFoundException" {
			// The group does not exist: searched, and nothing can be in it (the configuration's LOG_GROUP_MISSING).
			for _, t := range ts {
				t.missing = append(t.missing, g.arn)
			}
			return errGone
		}
		if err != nil {
			return errors.New(refusal("logs:FilterLogEvents", err))
		}
		seen := o.Now().UTC()
		for _, ev := range out.Events {
			// Each record names its marker once: find the run's names in it rather than trying every marker on every
			// record (quadratic in an organization: 34,000 markers in one group).
			msg := aws.ToString(ev.Message)
			for i := strings.Index(msg, prefix); i >= 0; {
				end := strings.IndexByte(msg[i:], '"')
				if end < 0 {
					break
				}
				if m := names[msg[i:i+end]]; m != nil && m.seenAt.IsZero() {
					m.seenAt, m.seenIn = seen, g.arn
				}
				next := strings.Index(msg[i+end:], prefix)
				if next < 0 {
					break
				}
				i += end + next
			}
		}
		if out.NextToken == nil || aws.ToString(out.NextToken) == "" {
			return nil
		}
		in.NextToken = out.NextToken
	}
}

// finding is the target's verdict.
func (t *target) finding(partition string, groups map[string]*group, res *Result, o Options) model.Finding {
	if partition == "" {
		partition = "aws"
	}
	f := model.Finding{ControlID: ControlID, AccountID: t.account, Region: t.region, ResourceType: model.TypeAccount,
		ResourceID: awsarn.Of(partition, "ec2", t.region, t.account, "region/"+t.region)}
	f.ID = model.FindingID(ControlID, f.ResourceID)
	add := func(st model.Status, code, msg string, args ...any) {
		if f.Status == "" || st.Rank() > f.Status.Rank() {
			f.Status = st
		}
		f.Reasons = append(f.Reasons, model.Reason{Code: code, Message: fmt.Sprintf(msg, args...)})
	}
	var where []string
	for _, k := range t.groups {
		where = append(where, groups[k].arn)
	}
	if t.config != "" {
		f.Notes = append(f.Notes, "Configuration (account-activity-capture): "+t.config+".")
	}
	switch {
	case len(t.groups) == 0 && t.telemetryUnread != nil:
		add(model.StatusUnknown, DestinationUnknown, "No trail sends this region's management events to CloudWatch Logs, and whether a CloudWatch telemetry rule does is unknown (%s: %s): there is no knowing where to look, so no marker was made.", t.telemetryUnread.API, t.telemetryUnread.Code)
		return f
	case len(t.groups) == 0:
		add(model.StatusFail, NoLogGroup, "No trail or CloudWatch telemetry rule sends this region's management events to CloudWatch Logs: there is no log group to find a marker in.")
		return f
	case !t.write.seenAt.IsZero() && !t.read.seenAt.IsZero():
		add(model.StatusPass, Proven, "Both markers were found: the write marker %s in %s after %s, the read marker %s in %s after %s.",
			t.write.name, t.write.seenIn, t.write.seenAt.Sub(t.write.madeAt).Round(time.Second), t.read.name, t.read.seenIn, t.read.seenAt.Sub(t.read.madeAt).Round(time.Second))
		return f
	}
	// Each marker on its own: seen, refused (untested), or made and not seen. A marker not seen is NOT_SEEN only when
	// every group that should hold it was searched for at least MinWait and the run was not cut short: else a group
	// that was not searched, or a search too short, may hold it (UNKNOWN, never NOT_SEEN).
	searchedAll := len(t.unreadable)+len(t.outOfScope) == 0
	long := res.Searched >= MinWait && res.Searched >= o.Timeout
	var notSeen, seen []string
	for _, m := range []struct {
		kind string
		m    marker
	}{{"write", t.write}, {"read", t.read}} {
		switch {
		case m.m.refused != "":
			add(model.StatusUnknown, MarkerRefused, "The %s marker call was refused, so the capture of %s events is not tested: %s.", m.kind, m.kind, m.m.refused)
		case !m.m.seenAt.IsZero():
			seen = append(seen, fmt.Sprintf("the %s marker %s was found in %s after %s", m.kind, m.m.name, m.m.seenIn, m.m.seenAt.Sub(m.m.madeAt).Round(time.Second)))
		default:
			notSeen = append(notSeen, m.kind+" marker "+m.m.name)
		}
	}
	if len(notSeen) > 0 {
		switch {
		case res.Interrupted:
			add(model.StatusUnknown, Interrupted, "Interrupted before the %s was found in %s.", strings.Join(notSeen, " and the "), strings.Join(where, ", "))
		case !searchedAll:
			for _, k := range t.groups {
				if why, ok := t.unreadable[k]; ok {
					add(model.StatusUnknown, GroupUnreadable, "Log group %s could not be searched: %s.", groups[k].arn, why)
				}
				if acct, ok := t.outOfScope[k]; ok {
					add(model.StatusUnknown, OutOfScope, "Log group %s is in account %s, outside this run: prove from that account too (trailwatch prove --org from the management account).", groups[k].arn, acct)
				}
			}
		case res.SearchCalls >= o.MaxCalls:
			add(model.StatusUnknown, BudgetSpent, "The run's search budget (%d FilterLogEvents calls) was spent before the %s was found in %s.", o.MaxCalls, strings.Join(notSeen, " and the "), strings.Join(where, ", "))
		case !long:
			add(model.StatusUnknown, NotYetSeen, "The %s was not found in %s within %s, less than the %s CloudTrail may take (it delivers in about 5 minutes on average, not guaranteed): prove again with --timeout %s or more.",
				strings.Join(notSeen, " and the "), strings.Join(where, ", "), res.Searched.Round(time.Second), MinWait, MinWait)
		default:
			add(model.StatusFail, NotSeen, "The %s never reached %s within %s: events of this region are not captured there, whatever the configuration says.",
				strings.Join(notSeen, " and the "), strings.Join(where, ", "), res.Searched.Round(time.Second))
			for _, g := range t.missing {
				f.Notes = append(f.Notes, "Log group "+g+" does not exist.")
			}
		}
	}
	if len(seen) > 0 {
		f.Notes = append(f.Notes, strings.ToUpper(seen[0][:1])+strings.Join(seen, "; ")[1:]+".")
	}
	for _, r := range f.Reasons {
		if r.Code == NotSeen {
			f.Status = model.StatusFail // a marker proven lost outweighs one that could not be tested
		}
	}
	return f
}
