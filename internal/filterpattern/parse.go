// Package filterpattern parses CloudWatch Logs JSON filter patterns ({ $.a.b = "x" && ... }) into a tree, evaluates
// them on JSON events, and decides exactly whether one pattern catches every event another catches: clause order,
// quoting, spacing, newlines and extra || branches do not matter (issues 13 and 24, the CIS monitoring metric filters).
//
// Syntax, from the CloudWatch Logs User Guide ("Using filter patterns to match terms in JSON log events",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html; "Supported regular
// expressions (regex) syntax", regex-expressions.html; the filter pattern syntax page): a pattern is wrapped in braces;
// a selector starts with $. and names a property path of letters, digits, "_" and "-" (a.b, arrays as a[0], a
// period-holding name as ['cluster.name']), or a wildcard ($.* any field, [*] any element; one per selector, three per
// pattern); comparisons are = and != for strings (quoted, or bare) with * as a wildcard (alone it matches any string or
// number), or a %regular expression% (two per pattern, no parentheses, matched anywhere unless anchored), and =, !=,
// <, >, <=, >= for numbers; IS TRUE, IS FALSE, IS NULL and NOT EXISTS test a property; && and || combine and
// parentheses group, "() > && > ||"; patterns are case sensitive.
package filterpattern

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Op is a comparison.
type Op string

// The comparisons of the JSON filter pattern syntax.
const (
	Eq        Op = "="
	Ne        Op = "!="
	Lt        Op = "<"
	Gt        Op = ">"
	Le        Op = "<="
	Ge        Op = ">="
	IsTrue    Op = "IS TRUE"
	IsFalse   Op = "IS FALSE"
	IsNull    Op = "IS NULL"
	NotExists Op = "NOT EXISTS"
)

// Node is a pattern tree: an And or Or of children, or a comparison (Leaf).
type Node struct {
	And, Or []*Node
	Leaf    *Comparison
}

// Comparison is one selector test.
type Comparison struct {
	Selector string // the path after "$.", for example userIdentity.type, arrayKey[*], *, ['cluster.name']
	Op       Op
	Value    string  // string value (wildcards kept) for = and !=; %regex% as written for a regular expression
	Number   float64 // numeric value, when IsNumber
	IsNumber bool
	// Regex is the value's regular expression, for a value written %...% (matched anywhere in a string value).
	Regex *regexp.Regexp
}

// String renders the comparison in the canonical form the reports show.
func (c *Comparison) String() string {
	switch c.Op {
	case IsTrue, IsFalse, IsNull, NotExists:
		return fmt.Sprintf("$.%s %s", c.Selector, c.Op)
	}
	if c.IsNumber {
		return fmt.Sprintf("$.%s %s %s", c.Selector, c.Op, strconv.FormatFloat(c.Number, 'g', -1, 64))
	}
	if c.Regex != nil {
		return fmt.Sprintf("$.%s %s %s", c.Selector, c.Op, c.Value)
	}
	return fmt.Sprintf("$.%s %s %q", c.Selector, c.Op, c.Value)
}

// SyntaxError says where a pattern stops making sense.
type SyntaxError struct {
	Pos int // byte offset in the pattern
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("filter pattern: at position %d: %s", e.Pos, e.Msg)
}

// MaxDepth bounds nesting, so that a hostile pattern cannot exhaust the stack.
const MaxDepth = 64

// MaxLength is the longest filter pattern CloudWatch Logs stores (botocore's logs model: FilterPattern max 1024).
const MaxLength = 1024

// Parse reads a JSON filter pattern.
func Parse(pattern string) (*Node, error) {
	if len(pattern) > MaxLength {
		return nil, &SyntaxError{Pos: MaxLength, Msg: fmt.Sprintf("longer than the %d characters CloudWatch Logs allows", MaxLength)}
	}
	p := &parser{s: pattern}
	p.space()
	if !p.eat("{") {
		return nil, p.err("a JSON filter pattern starts with {")
	}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.regexes > MaxRegexes {
		return nil, &SyntaxError{Pos: p.i, Msg: fmt.Sprintf("%d regular expressions: CloudWatch Logs allows %d in a JSON filter pattern", p.regexes, MaxRegexes)}
	}
	if p.wildcards > MaxWildcards {
		return nil, &SyntaxError{Pos: p.i, Msg: fmt.Sprintf("%d wildcard selectors: CloudWatch Logs allows %d in a filter pattern", p.wildcards, MaxWildcards)}
	}
	p.space()
	if !p.eat("}") {
		return nil, p.err("expected && or || or the closing }")
	}
	p.space()
	if p.i != len(p.s) {
		return nil, p.err("text after the closing }")
	}
	return n, nil
}

type parser struct {
	s                  string
	i                  int
	regexes, wildcards int
}

// Quotas of the syntax (CloudWatch Logs User Guide): "There is a limit of 2 regex for each filter pattern when
// creating a delimited or JSON filter pattern" ("Supported regular expressions (regex) syntax"); "You can only use up
// to one wildcard selector in a property selector, and up to three wildcard selectors in a filter pattern with compound
// expressions" (filter pattern syntax, wildcard selector).
const (
	MaxRegexes   = 2
	MaxWildcards = 3
)

func (p *parser) err(msg string) error { return &SyntaxError{Pos: p.i, Msg: msg} }

func (p *parser) space() {
	for p.i < len(p.s) && unicode.IsSpace(rune(p.s[p.i])) {
		p.i++
	}
}

func (p *parser) eat(tok string) bool {
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *parser) or(depth int) (*Node, error) {
	first, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	kids := []*Node{first}
	for {
		p.space()
		if !p.eat("||") {
			break
		}
		n, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return &Node{Or: kids}, nil
}

func (p *parser) and(depth int) (*Node, error) {
	first, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	kids := []*Node{first}
	for {
		p.space()
		if !p.eat("&&") {
			break
		}
		n, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return &Node{And: kids}, nil
}

func (p *parser) unary(depth int) (*Node, error) {
	p.space()
	if p.eat("(") {
		if depth+1 > MaxDepth {
			return nil, p.err(fmt.Sprintf("parentheses nested deeper than %d", MaxDepth))
		}
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		p.space()
		if !p.eat(")") {
			return nil, p.err("expected )")
		}
		return n, nil
	}
	c, err := p.comparison()
	if err != nil {
		return nil, err
	}
	return &Node{Leaf: c}, nil
}

func (p *parser) comparison() (*Comparison, error) {
	if !p.eat("$.") {
		return nil, p.err("expected a selector ($.field) or (")
	}
	sel, err := p.selector()
	if err != nil {
		return nil, err
	}
	c := &Comparison{Selector: sel}
	p.space()
	for _, kw := range []Op{IsTrue, IsFalse, IsNull, NotExists} {
		if p.keyword(string(kw)) {
			c.Op = kw
			return c, nil
		}
	}
	switch {
	case p.eat("!="):
		c.Op = Ne
	case p.eat("<="):
		c.Op = Le
	case p.eat(">="):
		c.Op = Ge
	case p.eat("="):
		c.Op = Eq
	case p.eat("<"):
		c.Op = Lt
	case p.eat(">"):
		c.Op = Gt
	default:
		return nil, p.err("expected =, !=, <, >, <=, >=, IS TRUE, IS FALSE, IS NULL or NOT EXISTS")
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '%' {
		return p.regex(c)
	}
	if p.i < len(p.s) && p.s[p.i] == '"' {
		v, err := p.quoted()
		if err != nil {
			return nil, err
		}
		c.Value = v
	} else {
		start := p.i
		for p.i < len(p.s) && (isWord(p.s[p.i]) || strings.IndexByte("*.-:/@+", p.s[p.i]) >= 0) {
			p.i++
		}
		if p.i == start {
			return nil, p.err("expected a value")
		}
		c.Value = p.s[start:p.i]
		if f, err := strconv.ParseFloat(c.Value, 64); err == nil {
			c.Number, c.IsNumber = f, true
		}
	}
	if !c.IsNumber && c.Op != Eq && c.Op != Ne {
		return nil, p.err(fmt.Sprintf("%s compares numbers, not %q", c.Op, c.Value))
	}
	return c, nil
}

// selector reads a property selector after "$.": names of letters, digits, "_" and "-" ("Property selectors are
// alphanumeric strings that support hyphen and underscore characters"), joined by "."; array indexes [0]; the
// wildcards $.* (any field) and [*] (any element), one per selector; and bracket notation ['cluster.name'] for a name
// with a period. (CloudWatch Logs User Guide, filter pattern syntax.)
func (p *parser) selector() (string, error) {
	start, wild := p.i, 0
	for first := true; ; first = false {
		switch {
		case p.eat("['"):
			j := strings.Index(p.s[p.i:], "']")
			if j <= 0 {
				return "", p.err("expected a quoted property name and '] after [' ")
			}
			p.i += j + 2
		case !first && p.eat("["):
			switch {
			case p.eat("*"):
				wild++
			default:
				d := p.i
				for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
					p.i++
				}
				if p.i == d {
					return "", p.err("expected an array index or * inside [ ]")
				}
			}
			if !p.eat("]") {
				return "", p.err("expected ]")
			}
		case !first && p.eat("."):
			if p.i < len(p.s) && p.s[p.i] == '[' {
				continue // $.a.['b'] reads as $.a['b']
			}
			fallthrough
		case first:
			if p.eat("*") {
				wild++
				break
			}
			n := p.i
			for p.i < len(p.s) && (isWord(p.s[p.i]) || p.s[p.i] == '-') {
				p.i++
			}
			if p.i == n {
				return "", p.err("expected a property name")
			}
		default:
			if wild > 1 {
				return "", &SyntaxError{Pos: start, Msg: "more than one wildcard in a property selector"}
			}
			p.wildcards += wild
			return p.s[start:p.i], nil
		}
	}
}

// regex reads a %regular expression% value: characters and operators as "Supported regular expressions (regex)
// syntax" lists them (letters, digits, the symbols : _ # = @ / ; , - and space, the operators ^ $ ? [ ] { } | \ * + .;
// no parentheses), compiled with Go's RE2, which reads that subset the same way.
func (p *parser) regex(c *Comparison) (*Comparison, error) {
	start := p.i
	p.i++
	end := strings.IndexByte(p.s[p.i:], '%')
	if end < 0 {
		return nil, p.err("unterminated regular expression (%...%)")
	}
	body := p.s[p.i : p.i+end]
	for k := 0; k < len(body); k++ {
		ch := body[k]
		if isWord(ch) || strings.IndexByte(":_#=@/;,- ^$?[]{}|\\*+.", ch) >= 0 {
			continue
		}
		p.i += k
		if ch == '(' || ch == ')' {
			return nil, p.err("CloudWatch Logs regular expressions do not support ( or ): subpatterns cannot be grouped")
		}
		return nil, p.err(fmt.Sprintf("%q is not a character CloudWatch Logs regular expressions accept", ch))
	}
	if body == "" {
		return nil, p.err("an empty regular expression")
	}
	re, err := regexp.Compile(body)
	if err != nil {
		p.i = start
		return nil, p.err("regular expression: " + err.Error())
	}
	if c.Op != Eq && c.Op != Ne {
		return nil, p.err(fmt.Sprintf("%s compares numbers, not a regular expression", c.Op))
	}
	p.i += end + 1
	p.regexes++
	c.Regex, c.Value = re, "%"+body+"%"
	return c, nil
}

// keyword matches a multi-word keyword with any whitespace between its words.
func (p *parser) keyword(kw string) bool {
	j := p.i
	for k, w := range strings.Fields(kw) {
		if k > 0 {
			if j >= len(p.s) || !unicode.IsSpace(rune(p.s[j])) {
				return false
			}
			for j < len(p.s) && unicode.IsSpace(rune(p.s[j])) {
				j++
			}
		}
		if !strings.HasPrefix(p.s[j:], w) {
			return false
		}
		j += len(w)
	}
	if j < len(p.s) && isWord(p.s[j]) {
		return false
	}
	p.i = j
	return true
}

func (p *parser) quoted() (string, error) {
	start := p.i
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		ch := p.s[p.i]
		switch ch {
		case '\\':
			if p.i+1 < len(p.s) {
				b.WriteByte(p.s[p.i+1])
				p.i += 2
				continue
			}
		case '"':
			p.i++
			return b.String(), nil
		}
		b.WriteByte(ch)
		p.i++
	}
	p.i = start
	return "", p.err("unterminated quoted string")
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
