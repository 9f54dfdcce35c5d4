package filterpattern

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Match reports whether the pattern matches a JSON event (decoded with encoding/json: objects as map[string]any,
// numbers as float64).
//
// A comparison on a property the event does not have matches only NOT EXISTS. The guide says so for NOT EXISTS; for
// != it says nothing, and AWS's console test of { ($.errorCode = "AccessDenied") && ($.userIdentity.invokedBy !=
// "cloudfront.amazonaws.com") } on an event without invokedBy gave "no match" (DataBiosphere/azul#5884, as reported
// there).
func Match(n *Node, event any) bool {
	switch {
	case n.Leaf != nil:
		return matchLeaf(n.Leaf, event)
	case n.And != nil:
		for _, k := range n.And {
			if !Match(k, event) {
				return false
			}
		}
		return true
	default:
		for _, k := range n.Or {
			if Match(k, event) {
				return true
			}
		}
		return false
	}
}

// MatchJSON decodes a JSON event and matches it; a message that is not JSON matches no JSON pattern.
func MatchJSON(n *Node, message []byte) bool {
	var v any
	if json.Unmarshal(message, &v) != nil {
		return false
	}
	return Match(n, v)
}

// Path segments: a property name (marked with \x00 when it is all digits or came from brackets, so that it is not
// taken for an index), an array index (digits), any array element ([*]) or any property ($.*).
const (
	anyElement = "\x01[*]"
	anyField   = "\x02*"
)

// splitPath turns a selector into segments: a.b[0].c, arrayKey[*], *, ['cluster.name'], detail-type.
func splitPath(sel string) []string {
	var out []string
	for i := 0; i < len(sel); {
		switch {
		case sel[i] == '.':
			i++
		case strings.HasPrefix(sel[i:], "['"):
			j := strings.Index(sel[i+2:], "']")
			if j < 0 {
				return append(out, "\x00"+sel[i:])
			}
			out = append(out, "\x00"+sel[i+2:i+2+j])
			i += j + 4
		case sel[i] == '[':
			j := strings.IndexByte(sel[i:], ']')
			if j < 0 {
				return append(out, "\x00"+sel[i:])
			}
			if seg := sel[i+1 : i+j]; seg == "*" {
				out = append(out, anyElement)
			} else {
				out = append(out, seg)
			}
			i += j + 1
		default:
			j := strings.IndexAny(sel[i:], ".[")
			if j < 0 {
				j = len(sel) - i
			}
			switch name := sel[i : i+j]; {
			case name == "*":
				out = append(out, anyField)
			case isIndex(name):
				out = append(out, "\x00"+name) // a property whose name is digits
			default:
				out = append(out, name)
			}
			i += j
		}
	}
	return out
}

// hasWildcard reports whether a selector has $.* or [*].
func hasWildcard(sel string) bool {
	for _, p := range splitPath(sel) {
		if p == anyElement || p == anyField {
			return true
		}
	}
	return false
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// matchLeaf decides one comparison. A wildcard selector matches when any value it selects satisfies the comparison
// ("You can use the JSON wildcard to select any array element or any JSON object field", CloudWatch Logs User Guide,
// filter pattern syntax); a selector that points to an array or object matches no comparison of value ("If a property
// selector points to an array or object, the filter pattern won't match the log format").
func matchLeaf(c *Comparison, event any) bool {
	vals := lookupAll(event, splitPath(c.Selector))
	switch c.Op {
	case NotExists:
		return len(vals) == 0
	case IsNull:
		return slices.Contains(vals, nil)
	}
	for _, v := range vals {
		if matchValue(c, v) {
			return true
		}
	}
	return false
}

func matchValue(c *Comparison, v any) bool {
	switch c.Op {
	case IsTrue, IsFalse:
		b, ok := v.(bool)
		return ok && b == (c.Op == IsTrue)
	}
	if c.Regex != nil {
		// A regular expression matches anywhere in a string value unless anchored (%Trail% matches "UpdateTrail" in
		// the guide's examples; ^ and $ anchor it).
		s, ok := v.(string)
		return ok && c.Regex.MatchString(s) == (c.Op == Eq)
	}
	if c.IsNumber {
		f, ok := v.(float64)
		if !ok {
			if s, isStr := v.(string); isStr && (c.Op == Eq || c.Op == Ne) {
				return (s == c.Value) == (c.Op == Eq)
			}
			return false
		}
		switch c.Op {
		case Eq:
			return f == c.Number
		case Ne:
			return f != c.Number
		case Lt:
			return f < c.Number
		case Gt:
			return f > c.Number
		case Le:
			return f <= c.Number
		default:
			return f >= c.Number
		}
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case float64:
		// "Use the asterisk as a wild card to match numbers": { $.latency = * } matches 50, { $.code = 4* } 400.
		if !strings.Contains(c.Value, "*") {
			return false
		}
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return false
	}
	eq := wildcard(c.Value, s)
	if c.Op == Eq {
		return eq
	}
	return !eq
}

// lookupAll resolves path segments to the values they select (several through a wildcard, none when absent).
func lookupAll(cur any, parts []string) []any {
	if len(parts) == 0 {
		return []any{cur}
	}
	part, rest := parts[0], parts[1:]
	switch {
	case part == anyElement:
		arr, _ := cur.([]any)
		var out []any
		for _, e := range arr {
			out = append(out, lookupAll(e, rest)...)
		}
		return out
	case part == anyField:
		obj, _ := cur.(map[string]any)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []any
		for _, k := range keys {
			out = append(out, lookupAll(obj[k], rest)...)
		}
		return out
	case isIndex(part):
		arr, ok := cur.([]any)
		idx, _ := strconv.Atoi(part)
		if !ok || idx >= len(arr) {
			return nil
		}
		return lookupAll(arr[idx], rest)
	}
	obj, ok := cur.(map[string]any)
	if !ok {
		return nil
	}
	v, has := obj[strings.TrimPrefix(part, "\x00")]
	if !has {
		return nil
	}
	return lookupAll(v, rest)
}

// lookupLeaf resolves a selector without wildcards to its value.
func lookupLeaf(event any, selector string) (any, bool) {
	vals := lookupAll(event, splitPath(selector))
	if len(vals) == 0 {
		return nil, false
	}
	return vals[0], true
}

// wildcard matches s against a pattern where * stands for any run of characters.
func wildcard(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

func dnf(n *Node) ([][]*Comparison, error) {
	switch {
	case n.Leaf != nil:
		return [][]*Comparison{{n.Leaf}}, nil
	case n.Or != nil:
		var out [][]*Comparison
		for _, k := range n.Or {
			t, err := dnf(k)
			if err != nil {
				return nil, err
			}
			out = append(out, t...)
			if len(out) > maxTerms {
				return nil, fmt.Errorf("filter pattern: more than %d cases", maxTerms)
			}
		}
		return out, nil
	default:
		out := [][]*Comparison{{}}
		for _, k := range n.And {
			t, err := dnf(k)
			if err != nil {
				return nil, err
			}
			var next [][]*Comparison
			for _, a := range out {
				for _, b := range t {
					next = append(next, append(append([]*Comparison(nil), a...), b...))
				}
			}
			if len(next) > maxTerms {
				return nil, fmt.Errorf("filter pattern: more than %d cases", maxTerms)
			}
			out = next
		}
		return out, nil
	}
}

func leaves(n *Node) []*Comparison {
	if n.Leaf != nil {
		return []*Comparison{n.Leaf}
	}
	var out []*Comparison
	for _, k := range append(append([]*Node(nil), n.And...), n.Or...) {
		out = append(out, leaves(k)...)
	}
	return out
}

const otherValue = "trailwatch-other-value"

// wildFill is the text a plain witness puts for a wildcard (and the search tries too).
const wildFill = "X-trailwatch-X"

// witnessesFor builds events that satisfy a case: wildcards filled with nothing and with text. Array selectors
// ($.a[0]) are built as objects, so a case that needs an array yields no event and is not judged (the CIS patterns
// have none).
func witnessesFor(term []*Comparison) []map[string]any {
	var out []map[string]any
	for _, fill := range []string{"", wildFill} {
		ev := map[string]any{}
		for _, c := range term { // equalities first, so that a != on the same property does not overwrite them
			if c.Op == Eq {
				if c.IsNumber {
					set(ev, c.Selector, c.Number)
				} else {
					set(ev, c.Selector, strings.ReplaceAll(c.Value, "*", fill))
				}
			}
		}
		for _, c := range term {
			if _, has := lookupLeaf(ev, c.Selector); has && c.Op != NotExists {
				continue
			}
			switch c.Op {
			case Ne:
				if c.IsNumber {
					set(ev, c.Selector, c.Number+1)
				} else {
					set(ev, c.Selector, otherValue)
				}
			case Lt:
				set(ev, c.Selector, c.Number-1)
			case Gt:
				set(ev, c.Selector, c.Number+1)
			case Le, Ge:
				set(ev, c.Selector, c.Number)
			case IsTrue:
				set(ev, c.Selector, true)
			case IsFalse:
				set(ev, c.Selector, false)
			case IsNull:
				set(ev, c.Selector, nil)
			case NotExists:
				unset(ev, c.Selector)
			}
		}
		out = append(out, ev)
	}
	return out
}

func set(ev map[string]any, sel string, v any) {
	parts := splitPath(sel)
	cur := ev
	for i, p := range parts {
		p = strings.TrimPrefix(p, "\x00")
		if i == len(parts)-1 {
			cur[p] = v
			return
		}
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
}

func unset(ev map[string]any, sel string) {
	parts := splitPath(sel)
	cur := ev
	for i, p := range parts {
		p = strings.TrimPrefix(p, "\x00")
		if i == len(parts)-1 {
			delete(cur, p)
			return
		}
		next, ok := cur[p].(map[string]any)
		if !ok {
			return
		}
		cur = next
	}
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	default:
		return v
	}
}

func describe(term []*Comparison) string {
	var parts []string
	for _, c := range term {
		parts = append(parts, c.String())
	}
	return strings.Join(parts, " && ")
}

// Mentions counts the cases of required whose every condition (property, comparison and value) stored also states,
// wherever it states it: a measure of what a stored pattern is about that exclusions it adds do not change.
func Mentions(stored, required *Node) (cases, mentioned int, err error) {
	terms, err := dnf(required)
	if err != nil {
		return 0, 0, err
	}
	has := map[string]bool{}
	for _, l := range leaves(stored) {
		has[l.String()] = true
	}
	for _, term := range terms {
		all := true
		for _, c := range term {
			if !has[c.String()] {
				all = false
				break
			}
		}
		if all {
			mentioned++
		}
	}
	return len(terms), mentioned, nil
}
