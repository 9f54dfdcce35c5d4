// Package exceptions reads the exceptions file teams keep in version control (who accepted which finding, why, until
// when) and applies it to findings: a covered finding becomes MUTED, keeping its status and reasons; an expired
// exception no longer mutes, and both expired and unused exceptions are reported.
package exceptions

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/policy"
	"github.com/trailwatch/trailwatch/internal/suggest"
)

// Exception is one entry of the file.
type Exception struct {
	Control   string            `yaml:"control" json:"control"`
	Resources []string          `yaml:"resources" json:"resources,omitempty"`
	Accounts  []string          `yaml:"accounts" json:"accounts,omitempty"`
	Regions   []string          `yaml:"regions" json:"regions,omitempty"`
	Tags      map[string]string `yaml:"tags" json:"tags,omitempty"`
	OUs       []string          `yaml:"ous" json:"ous,omitempty"`
	Owner     string            `yaml:"owner" json:"owner"`
	Reason    string            `yaml:"reason" json:"reason"`
	Expires   string            `yaml:"expires" json:"expires"`
	Ticket    string            `yaml:"ticket" json:"ticket,omitempty"`
	// Kind is "mute" (the default: the finding is accepted) or "alternate": the account's CloudTrail events are
	// captured elsewhere (Evidence: security-lake or cloudtrail-lake) and a SIEM alarms on them, so
	// account-activity-capture passes while that evidence is seen live; the day it is not, the entry lapses.
	Kind     string `yaml:"kind" json:"kind,omitempty"`
	Evidence string `yaml:"evidence" json:"evidence,omitempty"`

	File string    `yaml:"-" json:"file"`
	Line int       `yaml:"-" json:"line"`
	end  time.Time // first instant no longer covered: the day after Expires, 00:00 UTC
}

// Ref locates an exception for people: file:line.
func (x *Exception) Ref() string { return fmt.Sprintf("%s:%d", x.File, x.Line) }

// Key identifies an exception by what it covers (its control and selectors), not by where it is written: moving or
// reordering the file keeps its findings' ids, so `diff` does not churn.
func (x *Exception) Key() string {
	tags := make([]string, 0, len(x.Tags))
	for k, v := range x.Tags {
		tags = append(tags, k+"="+v)
	}
	sort.Strings(tags)
	parts := []string{x.Control, strings.Join(sorted(x.Resources), ","), strings.Join(sorted(x.Accounts), ","),
		strings.Join(sorted(x.Regions), ","), strings.Join(tags, ","), strings.Join(sorted(x.OUs), ",")}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "exception/" + hex.EncodeToString(sum[:8])
}

func sorted(l []string) []string {
	out := append([]string(nil), l...)
	sort.Strings(out)
	return out
}

// Set is a parsed exceptions file.
type Set struct {
	File       string
	Exceptions []*Exception
	used       map[*Exception]bool
	maybe      map[*Exception]bool // exceptions that may cover a finding whose account tags are unknown
	scanned    map[string]bool     // accounts the applied findings belong to
	lapsed     map[*Exception]bool // alternates whose evidence an applied finding's account lacks
}

// Lapsed reports whether x is an alternate whose evidence the applied findings' scan did not see in some account it
// covers (ALTERNATE_LAPSED).
func (s *Set) Lapsed(x *Exception) bool { return s.lapsed[x] }

// CheckControls fails, naming each entry's file and line and the nearest known id, when an exception names a control
// that does not exist: a typo would otherwise mute nothing and say nothing.
func (s *Set) CheckControls(known []string) error {
	var errs []string
	for _, x := range s.Exceptions {
		if x.Control == "*" || slices.Contains(known, x.Control) {
			continue
		}
		errs = append(errs, fmt.Sprintf("%s:%d: control: %q is not a control id%s (trailwatch controls lists them)", x.File, x.Line, x.Control, suggest.DidYouMean(x.Control, known)))
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

// Load reads and validates an exceptions file: every error names the file, the line and the field.
func Load(path string, now time.Time, maxDays int) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read exceptions: %w", err)
	}
	return Parse(path, data, now, maxDays)
}

var (
	controlRe = regexp.MustCompile(`^(\*|[a-z0-9-]+)$`)
)

var knownKeys = map[string]bool{"kind": true, "evidence": true, "control": true, "resources": true, "accounts": true, "regions": true, "tags": true,
	"ous": true, "owner": true, "reason": true, "expires": true, "ticket": true}

// Parse reads exceptions text; maxDays caps how far ahead an expiry may be (0: no cap).
func Parse(file string, data []byte, now time.Time, maxDays int) (*Set, error) {
	var root yaml.Node
	s := &Set{File: file, used: map[*Exception]bool{}, maybe: map[*Exception]bool{}, lapsed: map[*Exception]bool{}}
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return s, nil // an empty or comment-only file: no exceptions
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(root.Content) == 0 {
		return s, nil
	}
	top := root.Content[0]
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "exceptions" {
			list = top.Content[i+1]
		} else {
			return nil, fmt.Errorf("%s:%d: unknown key %q: the file holds `exceptions:`", file, top.Content[i].Line, top.Content[i].Value)
		}
	}
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" || list != nil && list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		return s, nil // `exceptions:` with nothing under it yet
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: want `exceptions:` with a list of entries", file, top.Line)
	}
	var errs []string
	for _, n := range list.Content {
		x, err := parseEntry(file, n, now, maxDays)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		s.Exceptions = append(s.Exceptions, x)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return s, nil
}

func parseEntry(file string, n *yaml.Node, now time.Time, maxDays int) (*Exception, error) {
	bad := func(line int, field, msg string) error { return fmt.Errorf("%s:%d: %s: %s", file, line, field, msg) }
	if n.Kind != yaml.MappingNode {
		return nil, bad(n.Line, "entry", "want a mapping")
	}
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !knownKeys[k.Value] {
			return nil, bad(k.Line, k.Value, "unknown field (known: control, resources, accounts, regions, tags, ous, owner, reason, expires, ticket, kind, evidence)")
		}
		lines[k.Value] = n.Content[i+1].Line
	}
	x := &Exception{File: file, Line: n.Line}
	if err := n.Decode(x); err != nil {
		return nil, fmt.Errorf("%s:%d: %v", file, n.Line, err)
	}
	line := func(f string) int {
		if l, ok := lines[f]; ok {
			return l
		}
		return n.Line
	}
	switch {
	case x.Control == "":
		return nil, bad(line("control"), "control", "required (a control id, or \"*\")")
	case !controlRe.MatchString(x.Control):
		return nil, bad(line("control"), "control", fmt.Sprintf("%q is not a control id or \"*\"", x.Control))
	case strings.TrimSpace(x.Owner) == "":
		return nil, bad(line("owner"), "owner", "required: who answers for this exception")
	case strings.TrimSpace(x.Reason) == "":
		return nil, bad(line("reason"), "reason", "required: why the finding is accepted")
	case x.Expires == "":
		return nil, bad(line("expires"), "expires", "required: a date, YYYY-MM-DD")
	case len(x.Resources)+len(x.Accounts)+len(x.Regions)+len(x.Tags)+len(x.OUs) == 0:
		return nil, bad(n.Line, "resources", "name at least one of resources, accounts, regions, tags, ous: an exception covers something")
	case x.Kind != "" && x.Kind != KindMute && x.Kind != KindAlternate:
		return nil, bad(line("kind"), "kind", fmt.Sprintf("%q: want mute (the default) or alternate", x.Kind))
	case x.Kind == KindAlternate && x.Control != CaptureControl:
		return nil, bad(line("control"), "control", fmt.Sprintf("an alternate is about %s (where the account's events are captured), not %q", CaptureControl, x.Control))
	case x.Kind == KindAlternate && !slices.Contains(Evidences, x.Evidence):
		return nil, bad(line("evidence"), "evidence", fmt.Sprintf("%q: an alternate names what trailwatch verifies live: one of %v", x.Evidence, Evidences))
	case x.Kind != KindAlternate && x.Evidence != "":
		return nil, bad(line("evidence"), "evidence", "only an exception of kind alternate names evidence")
	}
	for _, a := range x.Accounts {
		if !model.IsAccountID(a) {
			hint := "name the accounts, or use resources to cover more"
			if strings.Trim(a, "0123456789") == "" {
				hint = "quote it (\"012345678901\"): a bare number loses its leading zeros"
			}
			return nil, bad(line("accounts"), "accounts", fmt.Sprintf("%q is not a 12-digit account id; %s", a, hint))
		}
	}
	d, err := time.Parse("2006-01-02", x.Expires)
	if err != nil {
		return nil, bad(line("expires"), "expires", fmt.Sprintf("%q is not a date YYYY-MM-DD", x.Expires))
	}
	x.end = d.Add(24 * time.Hour)
	if maxDays > 0 && d.After(now.UTC().Add(time.Duration(maxDays)*24*time.Hour)) {
		return nil, bad(line("expires"), "expires", fmt.Sprintf("%s is more than %d days ahead (--max-exception-days)", x.Expires, maxDays))
	}
	return x, nil
}

// Active reports whether the exception still covers findings at now (UTC): through the whole expiry day.
func (x *Exception) Active(now time.Time) bool { return now.UTC().Before(x.end) }

// State is active, expiring (within 30 days), expired, or unused (when usage is known).
func (x *Exception) State(now time.Time) string {
	switch {
	case !x.Active(now):
		return "expired"
	case x.end.Sub(now) <= 30*24*time.Hour:
		return "expiring"
	}
	return "active"
}

// Kinds of exception, and what an alternate may name as evidence.
const (
	KindMute       = "mute"
	KindAlternate  = "alternate"
	CaptureControl = "account-activity-capture"
)

// Evidences are what an alternate may name: Amazon Security Lake collecting the account's CloudTrail management
// events, or a CloudTrail Lake event data store (model.Alternates).
var Evidences = []string{"security-lake", "cloudtrail-lake"}

// AccountInfo gives the selectors what the findings do not carry.
type AccountInfo struct {
	// Alternates are the account's evidence of capture outside CloudWatch Logs, as read by the scan (nil: not read).
	Alternates *model.Alternates
	// Regions are the account's scanned regions: an alternate must collect in each.
	Regions []string
	Tags    map[string]string
	OU      string
	// TagsUnknown: the account's tags could not be read; an exception scoped by tags neither matches nor misses.
	// OUUnknown likewise for the account's organizational unit.
	TagsUnknown, OUUnknown bool
}

// undecided reports whether the exception would cover the finding but for the account's tags, which are unknown.
func (x *Exception) undecided(f model.Finding, acct AccountInfo) bool {
	tags, ous := len(x.Tags) > 0 && acct.TagsUnknown, len(x.OUs) > 0 && acct.OUUnknown
	if !tags && !ous {
		return false
	}
	scoped := *x
	if tags {
		scoped.Tags = nil
	}
	if ous {
		scoped.OUs = nil // review: --accounts reads no OU; an ous-scoped exception is undecided, never "not covering"
	}
	return scoped.matches(f, acct)
}

func (x *Exception) matches(f model.Finding, acct AccountInfo) bool {
	if x.Control != "*" && x.Control != f.ControlID {
		return false
	}
	if len(x.Resources) > 0 && !anyGlob(x.Resources, f.ResourceID) {
		return false
	}
	if len(x.Accounts) > 0 && !slices.Contains(x.Accounts, f.AccountID) {
		return false
	}
	if len(x.Regions) > 0 && !slices.Contains(x.Regions, f.Region) {
		return false
	}
	for k, v := range x.Tags {
		if acct.Tags[k] != v {
			return false
		}
	}
	if len(x.OUs) > 0 {
		ok := false
		for _, ou := range x.OUs {
			if acct.OU == ou || strings.HasPrefix(acct.OU, ou+"/") {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Apply mutes the findings an active exception covers and marks those only an expired one covers with
// EXCEPTION_EXPIRED; accounts gives account tags and OUs by id. It returns the findings.
func (s *Set) Apply(fs []model.Finding, accounts map[string]AccountInfo, now time.Time) []model.Finding {
	for i := range fs {
		f := &fs[i]
		if f.AccountID != "" {
			if s.scanned == nil {
				s.scanned = map[string]bool{}
			}
			s.scanned[f.AccountID] = true
		}
		if f.Status == model.StatusPass || f.ControlID == HygieneID {
			continue
		}
		if s.alternate(f, accounts[f.AccountID], now) {
			continue
		}
		var expired, undecided *Exception
		for _, x := range s.Exceptions {
			if x.Kind == KindAlternate {
				continue
			}
			if x.Active(now) && x.undecided(*f, accounts[f.AccountID]) {
				undecided = x
				s.maybe[x] = true
				continue
			}
			if !x.matches(*f, accounts[f.AccountID]) {
				continue
			}
			s.used[x] = true
			if !x.Active(now) {
				expired = x
				continue
			}
			if f.Status != model.StatusMuted {
				f.MutedStatus, f.Status = f.Status, model.StatusMuted
			}
			f.Exception = &model.ExceptionRef{Owner: x.Owner, Reason: x.Reason, Expires: x.Expires, Ticket: x.Ticket, Where: x.Ref()}
			expired, undecided = nil, nil
			break
		}
		if undecided != nil && f.Status != model.StatusMuted {
			// Muted or not depends on tags nobody could read: unknown, never read as "not covered" (a FAIL) nor as
			// covered (MUTED).
			f.Status = model.StatusError
			cond := fmt.Sprintf("has tags %s, but the account's tags could not be read", tagText(undecided.Tags))
			if len(undecided.Tags) == 0 || !accounts[f.AccountID].TagsUnknown {
				cond = fmt.Sprintf("is in organizational unit %s, but its OU was not read (scan --org --accounts reads no OU)", strings.Join(undecided.OUs, " or "))
			}
			f.Reasons = append(f.Reasons, model.Reason{Code: "EXCEPTION_UNDECIDED", Message: fmt.Sprintf(
				"The exception at %s (owner %s) covers this finding if account %s %s: whether it is muted is unknown.",
				undecided.Ref(), undecided.Owner, f.AccountID, cond)})
		}
		if expired != nil {
			f.Reasons = append(f.Reasons, model.Reason{Code: "EXCEPTION_EXPIRED", Message: fmt.Sprintf(
				"The exception at %s (owner %s: %q) expired on %s and no longer mutes this finding.", expired.Ref(), expired.Owner, expired.Reason, expired.Expires)})
		}
	}
	return fs
}

// alternate applies an active alternate exception to an account's failing capture finding, verified against the
// evidence the scan read: seen, the finding passes (ALTERNATE_CAPTURE, its own reasons kept as notes, the exception
// named); not seen, it lapses (ALTERNATE_LAPSED, the finding keeps its verdict); unreadable, whether it holds is
// unknown (ERROR, ALTERNATE_UNVERIFIED). It reports whether an alternate decided the finding.
func (s *Set) alternate(f *model.Finding, acct AccountInfo, now time.Time) bool {
	if f.ControlID != CaptureControl || f.Status == model.StatusPass || f.Status == model.StatusMuted {
		return false
	}
	// Every matching alternate is tried: one whose evidence is seen decides; the others' lapses are said, and an
	// ordinary exception may still mute the finding (field trial: the first lapsed alternate hid a later one that
	// held, and a mute).
	var lapsed, unverified []model.Reason
	for _, x := range s.Exceptions {
		if x.Kind != KindAlternate || !x.Active(now) {
			continue
		}
		if x.undecided(*f, acct) {
			// Scoped by tags nobody could read: whether it applies is unknown, as for a mute (review).
			s.maybe[x] = true
			unverified = append(unverified, model.Reason{Code: "EXCEPTION_UNDECIDED", Message: fmt.Sprintf(
				"The alternate at %s (owner %s) covers this account if it has tags %s, but the account's tags could not be read.", x.Ref(), x.Owner, tagText(x.Tags))})
			continue
		}
		if !x.matches(*f, acct) {
			continue
		}
		s.used[x] = true
		seen, unread, missing := evidenceOf(acct.Alternates, acct.Regions, x.Evidence)
		switch {
		case missing != "":
			s.lapsed[x] = true
			lapsed = append(lapsed, model.Reason{Code: "ALTERNATE_LAPSED", Message: fmt.Sprintf(
				"The exception at %s (owner %s) counts %s as capture, but %s: it no longer applies.", x.Ref(), x.Owner, x.Evidence, missing)})
		case seen != "":
			for _, r := range f.Reasons {
				f.Notes = append(f.Notes, fmt.Sprintf("Without the alternate: %s: %s", r.Code, r.Message))
			}
			f.MutedStatus = f.Status // what it was without the alternate (exceptions check --from restores it)
			f.Status, f.Commands = model.StatusPass, nil
			f.Exception = &model.ExceptionRef{Owner: x.Owner, Reason: x.Reason, Expires: x.Expires, Ticket: x.Ticket, Where: x.Ref()}
			f.Reasons = []model.Reason{{Code: "ALTERNATE_CAPTURE", Message: fmt.Sprintf(
				"The account's events are captured outside CloudWatch Logs, by %s, seen in this scan; the exception at %s (owner %s, until %s) states that an alarm watches them: %s.",
				seen, x.Ref(), x.Owner, x.Expires, x.Reason)}}
			return true
		case unread != "":
			unverified = append(unverified, model.Reason{Code: "ALTERNATE_UNVERIFIED", Message: fmt.Sprintf(
				"The exception at %s (owner %s) counts %s as capture, but whether it is there could not be verified: %s.", x.Ref(), x.Owner, x.Evidence, unread)})
		default:
			s.lapsed[x] = true
			lapsed = append(lapsed, model.Reason{Code: "ALTERNATE_LAPSED", Message: fmt.Sprintf(
				"The exception at %s (owner %s) counts %s as capture, but this scan does not see it (nothing collects the account's CloudTrail management events there): it no longer applies.", x.Ref(), x.Owner, x.Evidence)})
		}
	}
	f.Reasons = append(f.Reasons, lapsed...)
	if len(unverified) > 0 {
		f.Status = model.StatusError // an alternate that may hold: whether the account is captured is unknown
		f.Reasons = append(f.Reasons, unverified...)
	}
	return false
}

// evidenceOf says what of the named evidence the scan saw (seen), why it could not tell (unread), or which of the
// account's regions the evidence leaves out (missing).
func evidenceOf(alt *model.Alternates, regions []string, evidence string) (seen, unread, missing string) {
	if alt == nil {
		return "", "the scan did not read it: the account has a multi-region trail with a log group that was logging without a delivery error when read, and such accounts are not read for alternates (scan again once the trail's state is known)", ""
	}
	failed := func(e *model.CallError) string { return fmt.Sprintf("%s failed: %s: %s", e.API, e.Code, e.Message) }
	switch evidence {
	case "security-lake":
		if len(alt.SecurityLake) > 0 {
			// Security Lake collects a region's events only where its source is enabled and collecting (ListLogSources,
			// GetDataLakeSources per region); an inventory written before the regions were read has none to check.
			switch {
			case alt.SecurityLakeRegionsErr != nil:
				return "", failed(alt.SecurityLakeRegionsErr) + " (which regions it collects is unknown)", ""
			case alt.SecurityLakeErr != nil:
				return "", failed(alt.SecurityLakeErr) + " (whether it collects in that region is unknown)", ""
			}
			if uncollected := alt.SecurityLakeUncollected(regions); uncollected != nil {
				var out []string
				for _, r := range uncollected {
					st := alt.SecurityLakeStatus[r]
					if st == "" {
						st = "source not enabled"
					}
					out = append(out, fmt.Sprintf("%s (%s)", r, st))
				}
				if len(out) > 0 {
					return "", "", fmt.Sprintf("Amazon Security Lake does not collect the account's CloudTrail management events (CLOUD_TRAIL_MGMT) in %s; it collects in %s",
						strings.Join(out, ", "), strings.Join(alt.SecurityLakeRegions, ", "))
				}
				return fmt.Sprintf("Amazon Security Lake (%s)", strings.Join(alt.SecurityLake, ", ")), "", ""
			}
			return fmt.Sprintf("Amazon Security Lake in %s (%s)", alt.Region, strings.Join(alt.SecurityLake, ", ")), "", ""
		}
		if e := alt.SecurityLakeErr; e != nil {
			return "", failed(e), ""
		}
		if e := alt.SecurityLakeRegionsErr; e != nil {
			return "", failed(e), ""
		}
		if alt.SecurityLakeRegions != nil {
			where := "its CloudTrail source (CLOUD_TRAIL_MGMT) is enabled in none of the scanned regions"
			if len(alt.SecurityLakeStatus) > 0 {
				var st []string
				for _, r := range slices.Sorted(maps.Keys(alt.SecurityLakeStatus)) {
					st = append(st, r+" "+alt.SecurityLakeStatus[r])
				}
				where = "its CloudTrail source (CLOUD_TRAIL_MGMT) collects in none of the scanned regions (" + strings.Join(st, ", ") + ")"
			}
			return "", "", "Amazon Security Lake does not collect the account's CloudTrail management events: " + where
		}
	case "cloudtrail-lake":
		if len(alt.EventDataStores) > 0 {
			return fmt.Sprintf("CloudTrail Lake event data stores in %s (%s)", alt.Region, strings.Join(alt.EventDataStores, ", ")), "", ""
		}
		if e := alt.LakeErr; e != nil {
			return "", failed(e), ""
		}
		// Say what was seen (field trial: "this scan does not see it" named no store).
		what := "the account has no event data store there"
		if len(alt.EventDataStoreStatus) > 0 {
			var st []string
			for _, a := range slices.Sorted(maps.Keys(alt.EventDataStoreStatus)) {
				st = append(st, a+" "+alt.EventDataStoreStatus[a])
			}
			what = "its event data stores there are " + strings.Join(st, ", ")
		}
		return "", "", fmt.Sprintf("no CloudTrail Lake event data store of the account in %s ingests its management events from every region: %s", alt.Region, what)
	}
	return "", "", ""
}

// HygieneID is the control exception findings are reported under.
const HygieneID = "exception-hygiene"

// Excludes reports whether an active exception covers a trail for the integration control (for fix plans).
func (s *Set) Excludes(f model.Finding, acct AccountInfo, now time.Time) (bool, string) {
	for _, x := range s.Exceptions {
		if x.Active(now) && x.matches(f, acct) {
			return true, fmt.Sprintf("%s (owner %s, until %s)", x.Ref(), x.Owner, x.Expires)
		}
		if x.Active(now) && x.undecided(f, acct) {
			// Fail closed: what an exception may cover is not changed while its tags cannot be read.
			return true, fmt.Sprintf("%s (owner %s, until %s) may cover it: the account's tags could not be read", x.Ref(), x.Owner, x.Expires)
		}
	}
	return false, ""
}

// inScope reports whether the scan could have used the exception: not when it names accounts of which the scan read
// none (a narrower scan, --accounts or --ous: field trial, its other accounts' exceptions were called unused).
func (s *Set) inScope(x *Exception) bool {
	if len(x.Accounts) == 0 || s.scanned == nil {
		return true
	}
	return slices.ContainsFunc(x.Accounts, func(a string) bool { return s.scanned[a] })
}

// Hygiene reports expired exceptions and, when usage is known (after Apply), exceptions that matched nothing.
func (s *Set) Hygiene(now time.Time, usageKnown bool) []model.Finding {
	var out []model.Finding
	for _, x := range s.Exceptions {
		var r model.Reason
		switch {
		case !x.Active(now):
			r = model.Reason{Code: "EXCEPTION_EXPIRED", Message: fmt.Sprintf("Expired on %s; owner %s: renew it or fix what it covers (reason was %q).", x.Expires, x.Owner, x.Reason)}
		case usageKnown && !s.used[x] && !s.maybe[x] && s.inScope(x):
			r = model.Reason{Code: "EXCEPTION_UNUSED", Message: fmt.Sprintf("Matches no finding: stale? Owner %s; remove it or correct its selectors.", x.Owner)}
		default:
			continue
		}
		out = append(out, model.Finding{ID: model.FindingID(HygieneID, x.Key()), ControlID: HygieneID,
			Title: "Exceptions are current and used", Status: model.StatusWarn, Severity: "Low", Region: "global",
			ResourceType: "trailwatch::Exception", ResourceID: x.Ref(), Reasons: []model.Reason{r},
			Location: &model.Location{File: x.File, Line: x.Line}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ResourceID < out[j].ResourceID })
	return out
}

func anyGlob(patterns []string, s string) bool {
	for _, p := range patterns {
		if policy.Match(p, s) {
			return true
		}
	}
	return false
}

func tagText(tags map[string]string) string {
	var l []string
	for k, v := range tags {
		l = append(l, k+"="+v)
	}
	sort.Strings(l)
	return strings.Join(l, ",")
}
