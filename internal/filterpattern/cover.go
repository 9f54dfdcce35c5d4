package filterpattern

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// CloudTrailFields are the CloudTrail record fields documented as always present ("Optional: False" in "CloudTrail
// record contents for management, data, and network activity events", CloudTrail User Guide,
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html). A
// condition on one of them is never decided by the field being absent: no CloudTrail event lacks it.
var CloudTrailFields = map[string]bool{
	"eventTime": true, "eventVersion": true, "userIdentity": true, "eventSource": true, "eventName": true,
	"awsRegion": true, "sourceIPAddress": true, "eventID": true, "eventType": true,
}

// Coverage says how a stored pattern judges the events a required (published) pattern matches.
type Coverage struct {
	// Misses are the required pattern's cases the stored one does not catch as a rule (their plain events, the other
	// properties of a CloudTrail event given ordinary values, are rejected), each as its conditions.
	Misses []string
	// Narrowed describes events the stored pattern rejects although it catches their case as a rule: each is the
	// smallest set of property values (beyond the case's) that makes it reject an event of the case.
	Narrowed []string
	// Direct counts the required cases whose plainest events stored matches as they are (no property added): zero
	// means the stored pattern is about something else.
	Direct int
	// OwnTerms counts the required cases of which stored catches some events on the case's own properties alone (the
	// others ordinary), and because of what the case asks of them: a filter for ConsoleLogin with MFAUsed = "No"
	// catches part of 4.2 on its own terms; one for sourceIPAddress = "1.2.3.4" catches root events only by asking
	// something else of them, and one for StopLogging catches AccessDenied* events named StopLogging, but not for
	// their error code.
	OwnTerms int
	// Counterexamples are events, one per case missed or narrowed, that the required pattern matches and the stored
	// one rejects: built and checked with Match.
	Counterexamples []map[string]any
}

// OK is true when every required case is matched and nothing is narrowed.
func (c Coverage) OK() bool { return len(c.Misses) == 0 && len(c.Narrowed) == 0 }

// maxTerms bounds the expansion of a pattern into cases (the CIS ones have at most 18), and with it the work a
// hostile stored pattern can cause: 256 cases of a 1,024-character pattern are judged in well under a second.
const maxTerms = 256

// maxSearch bounds the assignments the searches of one Covers call try together (a CIS filter needs a few hundred to a
// few thousand): a hostile 1,024-character pattern is an ErrTooComplex within a second, not a stall.
const maxSearch = 500_000

// ErrTooComplex is a pattern whose coverage cannot be decided within the work trailwatch allows.
var ErrTooComplex = errors.New("filter pattern: too many combinations to decide coverage exactly")

// ErrWildcardSelector is a pattern with $.* or [*]: which events it selects depends on fields no CIS item names, and
// its coverage is not decided (Match still evaluates it).
var ErrWildcardSelector = errors.New("filter pattern: coverage is not decided for wildcard selectors ($.*, [*])")

// Covers decides exactly whether stored matches every event required matches (issue 24). required is expanded into
// its cases (a disjunction of conjunctions); for each case, a search over the values that can make any comparison of
// either pattern true or false (every literal, wildcards filled empty, filled, and overlapping each other, numbers on
// both sides of each bound, null, booleans, another value, and absence for fields CloudTrail does not always send)
// looks for an event of the case that stored rejects. Such an event is returned, checked with Match; none found
// means none exists, since every event behaves on each comparison like one of those values. A case whose plain events
// (its own values, other fields ordinary) stored rejects is a miss; otherwise the rejected event is a narrowing, and
// the properties that make the difference are named.
func Covers(stored, required *Node) (Coverage, error) {
	for _, l := range append(leaves(stored), leaves(required)...) {
		if hasWildcard(l.Selector) {
			return Coverage{}, fmt.Errorf("%w: %s", ErrWildcardSelector, l)
		}
	}
	terms, err := dnf(required)
	if err != nil {
		return Coverage{}, err
	}
	var cov Coverage
	narrowed := map[string]bool{}
	steps := 0 // shared by every search of this call: the work is bounded per pattern, not per case
	for _, term := range terms {
		direct := false
		for _, w := range witnessesFor(term) {
			// A CloudTrail event always has the fields CloudTrail always sends: give those stored compares, and the
			// case leaves free, an ordinary value.
			for _, l := range leaves(stored) {
				if _, has := lookupLeaf(w, l.Selector); !has && CloudTrailFields[l.Selector] {
					set(w, l.Selector, otherValue)
				}
			}
			if Match(required, w) && Match(stored, w) {
				direct = true
			}
		}
		if direct {
			cov.Direct++
		}
		s := newSearch(term, stored)
		s.steps = &steps
		if ev, err := s.ordinary().find(true); err != nil {
			return Coverage{}, err
		} else if ev != nil && s.dependsOnCase(ev, stored) {
			cov.OwnTerms++
		}
		ce, err := s.find(false)
		if err != nil {
			return Coverage{}, err
		}
		if ce == nil {
			continue
		}
		cov.Counterexamples = append(cov.Counterexamples, ce)
		base := s.caughtBase(stored)
		if base == nil {
			cov.Misses = append(cov.Misses, describe(term))
			continue
		}
		d := s.difference(base, ce, stored)
		if !narrowed[d] {
			narrowed[d] = true
			cov.Narrowed = append(cov.Narrowed, d)
		}
	}
	sort.Strings(cov.Narrowed)
	return cov, nil
}

// absentValue stands for a property the event does not have.
type absentValue struct{}

var absent = absentValue{}

// search looks for events of one case (term) that a pattern judges a given way.
type search struct {
	term    []*Comparison
	termN   *Node
	stored  *Node
	sels    []string          // the properties either pattern compares, the case's first
	index   map[string]int    // selector -> position in sels
	domain  [][]any           // candidate values per selector
	truth   map[truthKey]bool // a comparison's result on one candidate
	present []bool            // whether the selector is a field CloudTrail always sends
	steps   *int              // assignments tried, shared by the searches of one Covers call
}

type truthKey struct {
	c   *Comparison
	val int
}

func newSearch(term []*Comparison, stored *Node) *search {
	s := &search{term: term, stored: stored, index: map[string]int{}, truth: map[truthKey]bool{}, steps: new(int)}
	var kids []*Node
	for _, c := range term {
		kids = append(kids, &Node{Leaf: c})
	}
	s.termN = &Node{And: kids}
	bySel := map[string][]*Comparison{}
	add := func(c *Comparison) {
		if _, ok := s.index[c.Selector]; !ok {
			s.index[c.Selector] = len(s.sels)
			s.sels = append(s.sels, c.Selector)
		}
		bySel[c.Selector] = append(bySel[c.Selector], c)
	}
	for _, c := range term {
		add(c)
	}
	rest := leaves(stored)
	sort.SliceStable(rest, func(i, j int) bool { return rest[i].Selector < rest[j].Selector })
	for _, c := range rest {
		add(c)
	}
	for _, sel := range s.sels {
		always := CloudTrailFields[sel]
		s.present = append(s.present, always)
		d := candidates(bySel[sel], !always)
		if always && sel != "userIdentity" {
			// The fields CloudTrail always sends are strings: no event gives one a number, null or a boolean.
			d = slices.DeleteFunc(d, func(v any) bool { _, ok := v.(string); return !ok })
		}
		s.domain = append(s.domain, d)
	}
	return s
}

// ordinary is the search with every property the case does not compare held to an ordinary value (one no pattern
// names, or absent where CloudTrail may omit it).
func (s *search) ordinary() *search {
	o := *s
	o.truth = map[truthKey]bool{}
	o.domain = append([][]any(nil), s.domain...)
	inTerm := map[string]bool{}
	for _, c := range s.term {
		inTerm[c.Selector] = true
	}
	for i, sel := range s.sels {
		if !inTerm[sel] {
			o.domain[i] = []any{otherValue}
			if !s.present[i] {
				o.domain[i] = append(o.domain[i], absent)
			}
		}
	}
	return &o
}

// dependsOnCase reports whether stored matches ev because of what the case asks of it: given an ordinary value in
// place of any one of the case's equalities, stored rejects it. (A filter for StopLogging matches an AccessDenied* event named
// StopLogging, but not because of its error code.)
func (s *search) dependsOnCase(ev map[string]any, stored *Node) bool {
	eqs := 0
	for _, c := range s.term {
		if c.Op != Eq {
			continue
		}
		eqs++
		w := deepCopy(ev).(map[string]any)
		set(w, c.Selector, otherValue)
		if Match(stored, w) {
			return false // stored does not care about this equality of the case
		}
	}
	return eqs > 0
}

// candidates are values that between them behave on every comparison as any value can: for each comparison, values
// that make it true and values that make it false.
func candidates(cs []*Comparison, canBeAbsent bool) []any {
	var out []any
	seen := map[string]bool{}
	add := func(v any) {
		k := fmt.Sprintf("%T:%v", v, v)
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	var globs []string
	for _, c := range cs {
		if c.IsNumber {
			for _, d := range []float64{0, -1, 1, -0.5, 0.5} {
				add(c.Number + d)
			}
		}
		if c.Regex != nil {
			// Strings the expression matches, alone and inside other text; coverage with regular expressions is
			// exact only as far as these stand for the strings it matches.
			for _, m := range regexSamples(c.Regex) {
				add(m)
				add("x" + m + "x")
			}
			continue
		}
		if c.Op == Eq || c.Op == Ne {
			add(strings.ReplaceAll(c.Value, "*", ""))
			if strings.Contains(c.Value, "*") {
				add(strings.ReplaceAll(c.Value, "*", "x"))
				add(strings.ReplaceAll(c.Value, "*", wildFill)) // the plain witnesses' filler: both judge the same events
				globs = append(globs, c.Value)
			}
		}
	}
	for _, g := range globs { // strings two wildcard values both match, or one matches around the other
		for _, h := range globs {
			if g != h {
				add(strings.ReplaceAll(g, "*", "") + strings.ReplaceAll(h, "*", ""))
				add(strings.ReplaceAll(g, "*", strings.ReplaceAll(h, "*", "")))
			}
		}
	}
	add(otherValue)
	add(0.0)
	add(nil)
	add(true)
	add(false)
	if canBeAbsent {
		add(absent)
	}
	return out
}

// leafTruth is c's result on candidate i of its selector.
func (s *search) leafTruth(c *Comparison, i int) bool {
	k := truthKey{c, i}
	if t, ok := s.truth[k]; ok {
		return t
	}
	ev := map[string]any{}
	if v := s.domain[s.index[c.Selector]][i]; v != absent {
		set(ev, c.Selector, v)
	}
	t := matchLeaf(c, ev)
	s.truth[k] = t
	return t
}

// eval3 evaluates n on a partial assignment: 1 true, 0 false, -1 not yet decided.
func (s *search) eval3(n *Node, asg []int) int {
	switch {
	case n.Leaf != nil:
		i := asg[s.index[n.Leaf.Selector]]
		if i < 0 {
			return -1
		}
		if s.leafTruth(n.Leaf, i) {
			return 1
		}
		return 0
	case n.And != nil:
		r := 1
		for _, k := range n.And {
			switch s.eval3(k, asg) {
			case 0:
				return 0
			case -1:
				r = -1
			}
		}
		return r
	default:
		r := 0
		for _, k := range n.Or {
			switch s.eval3(k, asg) {
			case 1:
				return 1
			case -1:
				r = -1
			}
		}
		return r
	}
}

// event builds the event an assignment stands for; an unassigned property is absent when CloudTrail may omit it, and
// another value when it always sends it.
func (s *search) event(asg []int) map[string]any {
	ev := map[string]any{}
	order := make([]int, len(s.sels))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(s.sels[order[a]]) < len(s.sels[order[b]]) })
	for _, i := range order {
		var v any = absent
		switch {
		case asg[i] >= 0:
			v = s.domain[i][asg[i]]
		case s.present[i]:
			v = otherValue
		}
		if v != absent {
			set(ev, s.sels[i], v)
		}
	}
	return ev
}

// find returns an event of the case that the stored pattern matches (want) or rejects (!want), or nil when none
// exists.
func (s *search) find(want bool) (map[string]any, error) {
	asg := make([]int, len(s.sels))
	for i := range asg {
		asg[i] = -1
	}
	wantS := 0
	if want {
		wantS = 1
	}
	var dfs func(k int) (map[string]any, error)
	dfs = func(k int) (map[string]any, error) {
		if *s.steps++; *s.steps > maxSearch {
			return nil, ErrTooComplex
		}
		t, st := s.eval3(s.termN, asg), s.eval3(s.stored, asg)
		if t == 0 || st == 1-wantS {
			return nil, nil
		}
		if t == 1 && st == wantS || k == len(s.sels) {
			if ev := s.event(asg); Match(s.termN, ev) && Match(s.stored, ev) == want {
				return ev, nil
			}
			if k == len(s.sels) {
				return nil, nil
			}
		}
		for i := range s.domain[k] {
			asg[k] = i
			ev, err := dfs(k + 1)
			if ev != nil || err != nil {
				asg[k] = -1
				return ev, err
			}
		}
		asg[k] = -1
		return nil, nil
	}
	return dfs(0)
}

// caughtBase returns a plain event of the case that stored matches, the other properties it compares given ordinary
// values (another value, or absent where it asks NOT EXISTS); nil when stored rejects every plain event of the case:
// it does not catch the case as a rule.
func (s *search) caughtBase(stored *Node) map[string]any {
	inTerm := map[string]bool{}
	for _, c := range s.term {
		inTerm[c.Selector] = true
	}
	wantsAbsent := map[string]bool{}
	for _, c := range leaves(stored) {
		if c.Op == NotExists {
			wantsAbsent[c.Selector] = true
		}
	}
	witnesses := witnessesFor(s.term)
	for _, mode := range []int{0, 1, 2} { // ordinary values; all present; all absent (where CloudTrail may omit them)
		all, var0 := true, map[string]any(nil)
		for _, w := range witnesses {
			if !Match(s.termN, w) {
				continue
			}
			ev := deepCopy(w).(map[string]any)
			for i, sel := range s.sels {
				if inTerm[sel] {
					continue
				}
				switch {
				case mode == 2 && !s.present[i], mode == 0 && wantsAbsent[sel] && !s.present[i]:
					unset(ev, sel)
				default:
					set(ev, sel, otherValue)
				}
			}
			if !Match(s.termN, ev) || !Match(stored, ev) {
				all = false
				break
			}
			if var0 == nil {
				var0 = ev
			}
		}
		if all && var0 != nil {
			return var0
		}
	}
	// Caught on conditions of other properties (CIS's own SSO variant of 4.2 asks userIdentity.type = "IAMUser"): each
	// plain event of the case, its own values kept, is matched when the other properties take some value. Then what
	// it rejects is a narrowing; when some plain event cannot be matched whatever the others, the case's own values
	// are cut short: a miss.
	var first map[string]any
	for _, w := range witnesses {
		if !Match(s.termN, w) {
			continue
		}
		fixed := *s
		fixed.truth = map[truthKey]bool{}
		fixed.domain = append([][]any(nil), s.domain...)
		for i, sel := range s.sels {
			if inTerm[sel] {
				v, ok := lookupLeaf(w, sel)
				if !ok {
					v = absent
				}
				fixed.domain[i] = []any{v}
			}
		}
		ev, err := fixed.find(true)
		if err != nil || ev == nil {
			return nil
		}
		if first == nil {
			first = ev
		}
	}
	return first
}

// difference names the fewest property values of ce that, put on base, make stored reject an event of the case.
func (s *search) difference(base, ce map[string]any, stored *Node) string {
	var diff []string
	for _, sel := range s.sels {
		bv, bok := lookupLeaf(base, sel)
		cv, cok := lookupLeaf(ce, sel)
		if bok != cok || fmt.Sprint(bv) != fmt.Sprint(cv) {
			diff = append(diff, sel)
		}
	}
	apply := func(sels []string) map[string]any {
		ev := deepCopy(base).(map[string]any)
		for _, sel := range sels {
			if v, ok := lookupLeaf(ce, sel); ok {
				set(ev, sel, v)
			} else {
				unset(ev, sel)
			}
		}
		return ev
	}
	rejected := func(ev map[string]any) bool { return Match(s.termN, ev) && !Match(stored, ev) }
	if !rejected(apply(diff)) {
		return describeEvent(ce, s.sels)
	}
	for i := 0; i < len(diff); {
		fewer := append(append([]string(nil), diff[:i]...), diff[i+1:]...)
		if rejected(apply(fewer)) {
			diff = fewer
			continue
		}
		i++
	}
	return describeEvent(apply(diff), diff)
}

// describeEvent renders the given properties of an event as conditions.
func describeEvent(ev map[string]any, sels []string) string {
	var parts []string
	for _, sel := range sels {
		v, ok := lookupLeaf(ev, sel)
		switch x := v.(type) {
		case nil:
			if ok {
				parts = append(parts, fmt.Sprintf("$.%s IS NULL", sel))
			} else {
				parts = append(parts, fmt.Sprintf("$.%s NOT EXISTS", sel))
			}
		case bool:
			parts = append(parts, fmt.Sprintf("$.%s IS %s", sel, strings.ToUpper(strconv.FormatBool(x))))
		case float64:
			parts = append(parts, fmt.Sprintf("$.%s = %s", sel, strconv.FormatFloat(x, 'g', -1, 64)))
		case string:
			if x == otherValue {
				parts = append(parts, fmt.Sprintf("$.%s = (a value the pattern does not name)", sel))
			} else {
				parts = append(parts, fmt.Sprintf("$.%s = %q", sel, x))
			}
		default:
			parts = append(parts, fmt.Sprintf("$.%s = %v", sel, x))
		}
	}
	return strings.Join(parts, " && ")
}

// Format renders a pattern canonically (comparisons as String shows them, && binding tighter than ||).
func Format(n *Node) string {
	var f func(n *Node, inAnd bool) string
	f = func(n *Node, inAnd bool) string {
		switch {
		case n.Leaf != nil:
			return n.Leaf.String()
		case n.And != nil:
			var parts []string
			for _, k := range n.And {
				parts = append(parts, f(k, true))
			}
			return strings.Join(parts, " && ")
		default:
			var parts []string
			for _, k := range n.Or {
				parts = append(parts, f(k, false))
			}
			if inAnd {
				return "(" + strings.Join(parts, " || ") + ")"
			}
			return strings.Join(parts, " || ")
		}
	}
	return "{ " + f(n, false) + " }"
}

// ExclusionsAsMeant reads a pattern that joins exclusions (!= comparisons) to the rest with || (CIS v1.4's 4.1 as
// published: A || B || C != x || D != y, which matches nearly every event) as its authors evidently meant it, the
// exclusions joined with && to the last branch (v3.0 writes it A || B && C != x && D != y). It returns nil for a
// pattern without such exclusions.
func ExclusionsAsMeant(n *Node) *Node {
	if n.Or == nil {
		return nil
	}
	var pos, excl []*Node
	for _, k := range n.Or {
		if k.Leaf != nil && k.Leaf.Op == Ne {
			excl = append(excl, k)
		} else {
			pos = append(pos, k)
		}
	}
	if len(pos) == 0 || len(excl) == 0 {
		return nil
	}
	last := pos[len(pos)-1]
	and := append([]*Node{last}, excl...)
	if last.And != nil {
		and = append(append([]*Node(nil), last.And...), excl...)
	}
	return &Node{Or: append(append([]*Node(nil), pos[:len(pos)-1]...), &Node{And: and})}
}

// regexSamples builds strings a regular expression matches: its shortest reading, and one taking each alternative
// and one repetition more.
func regexSamples(re *regexp.Regexp) []string {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil
	}
	var out []string
	for _, more := range []bool{false, true} {
		for alt := 0; alt < 4; alt++ {
			if m := sample(t, alt, more); re.MatchString(m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// sample writes a string t matches: the alt-th alternative where there is a choice (the last when fewer), and one
// more repetition than needed when more.
func sample(t *syntax.Regexp, alt int, more bool) string {
	var b strings.Builder
	var walk func(t *syntax.Regexp)
	walk = func(t *syntax.Regexp) {
		switch t.Op {
		case syntax.OpLiteral:
			b.WriteString(string(t.Rune))
		case syntax.OpCharClass:
			if len(t.Rune) > 0 {
				b.WriteRune(t.Rune[min(alt, len(t.Rune)-1)&^1])
			}
		case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			b.WriteByte('x')
		case syntax.OpCapture:
			walk(t.Sub[0])
		case syntax.OpConcat:
			for _, s := range t.Sub {
				walk(s)
			}
		case syntax.OpAlternate:
			walk(t.Sub[min(alt, len(t.Sub)-1)])
		case syntax.OpPlus:
			walk(t.Sub[0])
			if more {
				walk(t.Sub[0])
			}
		case syntax.OpStar, syntax.OpQuest:
			if more {
				walk(t.Sub[0])
			}
		case syntax.OpRepeat:
			n := t.Min
			if more && (t.Max < 0 || t.Max > n) {
				n++
			}
			for i := 0; i < n; i++ {
				walk(t.Sub[0])
			}
		}
	}
	walk(t)
	return b.String()
}
