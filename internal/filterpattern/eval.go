package filterpattern

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Match reports whether the pattern matches a JSON event (decoded with encoding/json: objects as map[string]any,
// numbers as float64).
//
// A comparison on a property the event does not have matches only NOT EXISTS. That is our reading of the user guide
// for = and the numeric operators; for != on a missing property it is an assumption not yet checked against AWS
// (TestMetricFilter in a real account would settle it): the CIS patterns only use != on properties every CloudTrail
// event of their kind carries (eventType, additionalEventData.MFAUsed on ConsoleLogin, sourceIPAddress, eventName).
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

// splitPath turns a.b[0].c into a, b, #0, c (indexes marked so that a property named "0" stays a property).
func splitPath(sel string) []string {
	var out []string
	for _, seg := range strings.Split(sel, ".") {
		for {
			i := strings.IndexByte(seg, '[')
			if i < 0 {
				break
			}
			if i > 0 {
				out = append(out, seg[:i])
			}
			j := strings.IndexByte(seg[i:], ']')
			if j < 0 {
				break
			}
			out = append(out, "#"+seg[i+1:i+j])
			seg = seg[i+j+1:]
		}
		if seg != "" {
			out = append(out, seg)
		}
	}
	for k, p := range out {
		if strings.HasPrefix(p, "#") {
			out[k] = p[1:]
		} else if isIndex(p) {
			out[k] = "\x00" + p // a property whose name is digits
		}
	}
	return out
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

func matchLeaf(c *Comparison, event any) bool {
	v, found := lookupLeaf(event, c.Selector)
	switch c.Op {
	case NotExists:
		return !found
	case IsNull:
		return found && v == nil
	case IsTrue, IsFalse:
		b, ok := v.(bool)
		return found && ok && b == (c.Op == IsTrue)
	}
	if !found {
		return false
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
	s, ok := v.(string)
	if !ok {
		return false
	}
	eq := wildcard(c.Value, s)
	if c.Op == Eq {
		return eq
	}
	return !eq
}

// lookupLeaf resolves a selector, with digit segments inside brackets as array indexes.
func lookupLeaf(event any, selector string) (any, bool) {
	cur := event
	for _, part := range splitPath(selector) {
		if strings.HasPrefix(part, "\x00") {
			part = part[1:]
		} else if isIndex(part) {
			arr, ok := cur.([]any)
			idx, _ := strconv.Atoi(part)
			if !ok || idx >= len(arr) {
				return nil, false
			}
			cur = arr[idx]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		var has bool
		if cur, has = obj[part]; !has {
			return nil, false
		}
	}
	return cur, true
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

// witnessesFor builds events that satisfy a case: wildcards filled with nothing and with text. Array selectors
// ($.a[0]) are built as objects, so a case that needs an array yields no event and is not judged (the CIS patterns
// have none).
func witnessesFor(term []*Comparison) []map[string]any {
	var out []map[string]any
	for _, fill := range []string{"", "X-trailwatch-X"} {
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
