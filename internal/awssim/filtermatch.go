package awssim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The simulator's own CloudWatch Logs filter pattern matcher, for PutMetricFilter, TestMetricFilter, metric filters
// counting delivered events and FilterLogEvents. It is written apart from trailwatch's filterpattern package (the
// simulator is the oracle that package is tested against, so it must not share its code) and held to the same table
// of AWS's documented examples (internal/filterpattern/testdata/aws-doc-examples.json). Sources: CloudWatch Logs User
// Guide, "Using filter patterns to match terms in JSON log events" and "Using filter patterns to match terms in
// unstructured log events" (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html and the
// pages it links).
//
// JSON patterns: { SELECTOR OP VALUE } joined by && and || (&& binds tighter) with parentheses; OP is =, !=, <, <=,
// >, >=; VALUE a quoted or bare string (* is a wildcard), a number, %regex% or *; also IS NULL, IS TRUE, IS FALSE,
// NOT EXISTS. Selectors: $.a.b, $.a[0], $.a[*], $.*, $.['a.b']. A comparison on a property the event lacks matches
// only NOT EXISTS. Term patterns: every term must appear (a quoted term as a phrase); ?term makes them alternatives;
// -term excludes. The empty pattern matches every event.

type simFilter struct {
	json  *simExpr
	terms []simTerm
	any   bool // ?term alternatives
}

type simTerm struct {
	text    string
	exclude bool
}

type simExpr struct {
	op       string // "&&", "||", or "" for a comparison
	kids     []*simExpr
	path     []string // "*" for a wildcard step
	cmp      string   // =, !=, <, <=, >, >=, IS NULL, IS TRUE, IS FALSE, NOT EXISTS
	value    string
	quoted   bool
	re       *regexp.Regexp
	anything bool // = *
}

func parseSimFilter(p string) (*simFilter, error) {
	s := strings.TrimSpace(p)
	if strings.HasPrefix(s, "{") {
		if !strings.HasSuffix(s, "}") {
			return nil, fmt.Errorf("a JSON pattern ends with }")
		}
		ps := &simParser{src: s[1 : len(s)-1]}
		e, err := ps.or()
		if err != nil {
			return nil, err
		}
		if ps.skip(); ps.pos < len(ps.src) {
			return nil, fmt.Errorf("unexpected %q", ps.src[ps.pos:])
		}
		return &simFilter{json: e}, nil
	}
	f := &simFilter{}
	for s != "" {
		var t simTerm
		switch s[0] {
		case '?':
			f.any, s = true, s[1:]
		case '-':
			t.exclude, s = true, s[1:]
		}
		if strings.HasPrefix(s, `"`) {
			end := strings.Index(s[1:], `"`)
			if end < 0 {
				return nil, fmt.Errorf("unclosed quote")
			}
			t.text, s = s[1:end+1], s[end+2:]
		} else {
			end := strings.IndexAny(s, " \t")
			if end < 0 {
				end = len(s)
			}
			t.text, s = s[:end], s[end:]
		}
		f.terms = append(f.terms, t)
		s = strings.TrimLeft(s, " \t")
	}
	return f, nil
}

// match reports whether the filter matches a log event's message.
func (f *simFilter) match(msg string) bool {
	if f.json != nil {
		var ev any
		if json.Unmarshal([]byte(msg), &ev) != nil {
			return false
		}
		return f.json.eval(ev)
	}
	if len(f.terms) == 0 {
		return true
	}
	for _, t := range f.terms {
		has := strings.Contains(msg, t.text)
		switch {
		case t.exclude && has:
			return false
		case f.any && !t.exclude && has:
			return true
		case !f.any && !t.exclude && !has:
			return false
		}
	}
	return !f.any
}

type simParser struct {
	src string
	pos int
}

func (p *simParser) skip() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n') {
		p.pos++
	}
}

func (p *simParser) eat(s string) bool {
	p.skip()
	if strings.HasPrefix(p.src[p.pos:], s) {
		p.pos += len(s)
		return true
	}
	return false
}

func (p *simParser) or() (*simExpr, error) { return p.join("||", p.and) }

func (p *simParser) and() (*simExpr, error) { return p.join("&&", p.unary) }

// join parses operands of next separated by op (&& binds tighter than ||: and is or's operand).
func (p *simParser) join(op string, next func() (*simExpr, error)) (*simExpr, error) {
	e, err := next()
	if err != nil {
		return nil, err
	}
	out := &simExpr{op: op, kids: []*simExpr{e}}
	for p.eat(op) {
		k, err := next()
		if err != nil {
			return nil, err
		}
		out.kids = append(out.kids, k)
	}
	if len(out.kids) == 1 {
		return e, nil
	}
	return out, nil
}

func (p *simParser) unary() (*simExpr, error) {
	if p.eat("(") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, fmt.Errorf("missing ) at %d", p.pos)
		}
		return e, nil
	}
	return p.comparison()
}

func (p *simParser) comparison() (*simExpr, error) {
	if !p.eat("$") {
		return nil, fmt.Errorf("a selector starts with $ (at %d)", p.pos)
	}
	e := &simExpr{}
	for p.pos < len(p.src) {
		switch {
		case strings.HasPrefix(p.src[p.pos:], ".['"), strings.HasPrefix(p.src[p.pos:], "['"):
			start := strings.Index(p.src[p.pos:], "['") + p.pos + 2
			end := strings.Index(p.src[start:], "']")
			if end < 0 {
				return nil, fmt.Errorf("unclosed ['")
			}
			e.path = append(e.path, p.src[start:start+end])
			p.pos = start + end + 2
		case p.src[p.pos] == '[':
			end := strings.IndexByte(p.src[p.pos:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [")
			}
			e.path = append(e.path, p.src[p.pos+1:p.pos+end])
			p.pos += end + 1
		case p.src[p.pos] == '.':
			p.pos++
			start := p.pos
			for p.pos < len(p.src) && (isIdent(p.src[p.pos]) || p.src[p.pos] == '*') {
				p.pos++
			}
			if start == p.pos {
				return nil, fmt.Errorf("empty selector step at %d", p.pos)
			}
			e.path = append(e.path, p.src[start:p.pos])
		default:
			goto op
		}
	}
op:
	for _, kw := range []string{"IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"} {
		if p.eat(kw) {
			e.cmp = kw
			return e, nil
		}
	}
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if p.eat(op) {
			e.cmp = op
			break
		}
	}
	if e.cmp == "" {
		return nil, fmt.Errorf("no comparison at %d", p.pos)
	}
	p.skip()
	rest := p.src[p.pos:]
	switch {
	case strings.HasPrefix(rest, `"`):
		end := 1
		for end < len(rest) && rest[end] != '"' {
			if rest[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(rest) {
			return nil, fmt.Errorf("unclosed quote")
		}
		e.value, e.quoted = rest[1:end], true
		p.pos += end + 1
	case strings.HasPrefix(rest, "%"):
		end := strings.IndexByte(rest[1:], '%')
		if end < 0 {
			return nil, fmt.Errorf("unclosed %%")
		}
		re, err := regexp.Compile(rest[1 : end+1])
		if err != nil {
			return nil, err
		}
		e.re = re
		p.pos += end + 2
	default:
		end := 0
		for end < len(rest) && rest[end] != ' ' && rest[end] != ')' && rest[end] != '&' && rest[end] != '|' {
			end++
		}
		if end == 0 {
			return nil, fmt.Errorf("no value at %d", p.pos)
		}
		e.value = rest[:end]
		p.pos += end
	}
	e.anything = !e.quoted && e.re == nil && e.value == "*"
	return e, nil
}

func isIdent(c byte) bool {
	return c == '_' || c == '-' || c == '@' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (e *simExpr) eval(ev any) bool {
	switch e.op {
	case "&&":
		for _, k := range e.kids {
			if !k.eval(ev) {
				return false
			}
		}
		return true
	case "||":
		for _, k := range e.kids {
			if k.eval(ev) {
				return true
			}
		}
		return false
	}
	vals := selectAll(ev, e.path)
	if e.cmp == "NOT EXISTS" {
		return len(vals) == 0
	}
	for _, v := range vals {
		if e.test(v) {
			return true
		}
	}
	return false
}

// selectAll follows a selector through an event: every value it reaches (a wildcard step reaches several).
func selectAll(v any, path []string) []any {
	if len(path) == 0 {
		return []any{v}
	}
	step, rest := path[0], path[1:]
	var out []any
	switch x := v.(type) {
	case map[string]any:
		if step == "*" {
			for _, c := range x {
				out = append(out, selectAll(c, rest)...)
			}
		} else if c, ok := x[step]; ok {
			out = selectAll(c, rest)
		}
	case []any:
		if step == "*" {
			for _, c := range x {
				out = append(out, selectAll(c, rest)...)
			}
		} else if i, err := strconv.Atoi(step); err == nil && i >= 0 && i < len(x) {
			out = selectAll(x[i], rest)
		}
	}
	return out
}

func (e *simExpr) test(v any) bool {
	switch e.cmp {
	case "IS NULL":
		return v == nil
	case "IS TRUE":
		return v == true
	case "IS FALSE":
		return v == false
	}
	if e.anything {
		return e.cmp == "="
	}
	if n, ok := v.(float64); ok && !e.quoted && e.re == nil {
		want, err := strconv.ParseFloat(e.value, 64)
		if err != nil {
			return e.cmp == "!="
		}
		switch e.cmp {
		case "=":
			return n == want
		case "!=":
			return n != want
		case "<":
			return n < want
		case "<=":
			return n <= want
		case ">":
			return n > want
		case ">=":
			return n >= want
		}
	}
	s, ok := v.(string)
	if !ok || (e.cmp != "=" && e.cmp != "!=") {
		return false
	}
	var eq bool
	if e.re != nil {
		eq = e.re.MatchString(s)
	} else {
		eq = starMatch(e.value, s)
	}
	return eq == (e.cmp == "=")
}

// starMatch matches s against a filter value in which * stands for any characters (and ? for itself, unlike IAM).
func starMatch(pat, s string) bool {
	parts := strings.Split(pat, "*")
	if len(parts) == 1 {
		return pat == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
