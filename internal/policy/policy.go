// Package policy is a small IAM policy evaluator for exactly the questions trailwatch asks of a CloudTrail delivery
// role: may cloudtrail.amazonaws.com assume it, and may it call logs:CreateLogStream and logs:PutLogEvents on a log
// group's streams. It supports Allow/Deny, Action/NotAction, Resource/NotResource, Principal/NotPrincipal and the `*`
// and `?` wildcards. Conditions are never evaluated: a statement with a Condition block is reported as such, so that a
// caller can say "conditions not evaluated" instead of guessing.
//
// Evaluation follows the IAM policy evaluation logic for a single account
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an explicit Deny wins,
// then any Allow, else the request is implicitly denied. Action names are case-insensitive, resource ARNs are not.
package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Document is a parsed IAM policy document.
type Document struct {
	Version    string
	Statements []Statement
}

// Statement is one statement of a policy document. Absent lists are nil; a present but empty list is non-nil.
type Statement struct {
	Sid          string
	Effect       string // "Allow" or "Deny"
	Principal    *Principal
	NotPrincipal *Principal
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	HasCondition bool
}

// Principal is a statement's principal block. Any is true for `"Principal": "*"`.
type Principal struct {
	Any       bool
	AWS       []string
	Service   []string
	Federated []string
}

// Parse reads a policy document. It accepts the URL-encoded form IAM returns (GetRole, GetRolePolicy,
// GetPolicyVersion send documents URL-encoded per RFC 3986) as well as plain JSON.
func Parse(doc string) (*Document, error) {
	text := strings.TrimSpace(doc)
	if text != "" && !strings.HasPrefix(text, "{") {
		if dec, err := url.QueryUnescape(text); err == nil {
			text = strings.TrimSpace(dec)
		}
	}
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, fmt.Errorf("parse policy document: %w", err)
	}
	if len(raw.Statement) == 0 {
		return nil, errors.New("parse policy document: no Statement")
	}
	var rawStmts []map[string]json.RawMessage
	if raw.Statement[0] == '[' {
		if err := json.Unmarshal(raw.Statement, &rawStmts); err != nil {
			return nil, fmt.Errorf("parse policy document: Statement: %w", err)
		}
	} else {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw.Statement, &one); err != nil {
			return nil, fmt.Errorf("parse policy document: Statement: %w", err)
		}
		rawStmts = []map[string]json.RawMessage{one}
	}
	d := &Document{Version: raw.Version}
	for i, rs := range rawStmts {
		st, err := parseStatement(rs)
		if err != nil {
			return nil, fmt.Errorf("parse policy document: statement %d: %w", i, err)
		}
		d.Statements = append(d.Statements, st)
	}
	return d, nil
}

func parseStatement(rs map[string]json.RawMessage) (Statement, error) {
	var st Statement
	var err error
	if v, ok := rs["Sid"]; ok {
		_ = json.Unmarshal(v, &st.Sid)
	}
	if v, ok := rs["Effect"]; ok {
		if err := json.Unmarshal(v, &st.Effect); err != nil {
			return st, fmt.Errorf("statement's Effect: %w", err)
		}
	}
	if st.Effect != "Allow" && st.Effect != "Deny" {
		return st, fmt.Errorf("a statement's Effect must be Allow or Deny, got %q", st.Effect)
	}
	for key, dst := range map[string]*[]string{"Action": &st.Action, "NotAction": &st.NotAction,
		"Resource": &st.Resource, "NotResource": &st.NotResource} {
		if v, ok := rs[key]; ok {
			if *dst, err = stringOrList(v); err != nil {
				return st, fmt.Errorf("%s: %w", key, err)
			}
			if *dst == nil {
				*dst = []string{}
			}
		}
	}
	if st.Action == nil && st.NotAction == nil {
		return st, errors.New("needs Action or NotAction")
	}
	if v, ok := rs["Principal"]; ok {
		if st.Principal, err = parsePrincipal(v); err != nil {
			return st, fmt.Errorf("Principal: %w", err)
		}
	}
	if v, ok := rs["NotPrincipal"]; ok {
		if st.NotPrincipal, err = parsePrincipal(v); err != nil {
			return st, fmt.Errorf("NotPrincipal: %w", err)
		}
	}
	if v, ok := rs["Condition"]; ok && string(v) != "null" && string(v) != "{}" {
		st.HasCondition = true
	}
	return st, nil
}

func stringOrList(v json.RawMessage) ([]string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(v, &l); err != nil {
		return nil, errors.New("want a string or a list of strings")
	}
	return l, nil
}

func parsePrincipal(v json.RawMessage) (*Principal, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		if s != "*" {
			return nil, fmt.Errorf("a string principal must be \"*\", got %q", s)
		}
		return &Principal{Any: true}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, errors.New("want \"*\" or an object")
	}
	p := &Principal{}
	var err error
	for k, raw := range m {
		var l []string
		if l, err = stringOrList(raw); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		switch k {
		case "AWS":
			p.AWS = l
		case "Service":
			p.Service = l
		case "Federated":
			p.Federated = l
		case "CanonicalUser":
		default:
			return nil, fmt.Errorf("unknown principal type %q", k)
		}
	}
	return p, nil
}

// Decision is the outcome of evaluating one request against a set of policies.
type Decision struct {
	// Allowed is true when an Allow statement matched and no Deny statement did.
	Allowed bool
	// ExplicitDeny is true when a Deny statement without conditions matched.
	ExplicitDeny bool
	// ConditionsNotEvaluated is true when a statement that decided (or could have changed) the outcome carries a
	// Condition block, which this evaluator does not evaluate: the decision assumes the conditions hold for Allow
	// statements and do not hold for Deny statements.
	ConditionsNotEvaluated bool
}

// Evaluate decides whether identity policies docs allow action on resource.
func Evaluate(docs []*Document, action, resource string) Decision {
	var d Decision
	allowed := false
	for _, doc := range docs {
		if doc == nil {
			continue
		}
		for _, st := range doc.Statements {
			if !st.matchesAction(action) || !st.matchesResource(resource) {
				continue
			}
			switch st.Effect {
			case "Deny":
				if st.HasCondition {
					d.ConditionsNotEvaluated = true
					continue
				}
				d.ExplicitDeny = true
			case "Allow":
				allowed = true
				if st.HasCondition {
					d.ConditionsNotEvaluated = true
				}
			}
		}
	}
	d.Allowed = allowed && !d.ExplicitDeny
	return d
}

// TrustsService decides whether a role trust policy lets the AWS service principal (for example
// "cloudtrail.amazonaws.com") call sts:AssumeRole.
func TrustsService(doc *Document, service string) Decision {
	return trusts(doc, func(p *Principal) bool {
		if p.Any {
			return true
		}
		for _, s := range p.Service {
			if strings.EqualFold(s, service) {
				return true
			}
		}
		return false
	})
}

// TrustsAccount decides whether a role trust policy lets a principal of account accountID, whose ARN is callerARN,
// call sts:AssumeRole. A principal of the form "123456789012" or "arn:<partition>:iam::123456789012:root" trusts every
// principal of that account (IAM then also requires the caller's own permission, which the simulator grants).
func TrustsAccount(doc *Document, accountID, callerARN string) Decision {
	return trusts(doc, func(p *Principal) bool {
		if p.Any {
			return true
		}
		for _, a := range p.AWS {
			if a == "*" || a == accountID || a == callerARN || wildcardMatch(a, callerARN, false) {
				return true
			}
			if strings.HasPrefix(a, "arn:") && strings.HasSuffix(a, ":iam::"+accountID+":root") {
				return true
			}
		}
		return false
	})
}

func trusts(doc *Document, principalMatches func(*Principal) bool) Decision {
	var d Decision
	if doc == nil {
		return d
	}
	allowed := false
	for _, st := range doc.Statements {
		if !st.matchesAction("sts:AssumeRole") {
			continue
		}
		matched := false
		switch {
		case st.Principal != nil:
			matched = principalMatches(st.Principal)
		case st.NotPrincipal != nil:
			matched = !principalMatches(st.NotPrincipal)
		}
		if !matched {
			continue
		}
		if st.Effect == "Deny" {
			if st.HasCondition {
				d.ConditionsNotEvaluated = true
				continue
			}
			d.ExplicitDeny = true
			continue
		}
		allowed = true
		if st.HasCondition {
			d.ConditionsNotEvaluated = true
		}
	}
	d.Allowed = allowed && !d.ExplicitDeny
	return d
}

func (st Statement) matchesAction(action string) bool {
	if st.NotAction != nil {
		return !anyMatch(st.NotAction, action, true)
	}
	return anyMatch(st.Action, action, true)
}

func (st Statement) matchesResource(resource string) bool {
	if st.NotResource != nil {
		return !anyMatch(st.NotResource, resource, false)
	}
	if st.Resource == nil { // trust policies carry no Resource
		return true
	}
	return anyMatch(st.Resource, resource, false)
}

func anyMatch(patterns []string, value string, fold bool) bool {
	for _, p := range patterns {
		if wildcardMatch(p, value, fold) {
			return true
		}
	}
	return false
}

// wildcardMatch matches value against an IAM pattern where `*` is any run of characters and `?` any one character.
func wildcardMatch(pattern, value string, fold bool) bool {
	if fold {
		pattern, value = strings.ToLower(pattern), strings.ToLower(value)
	}
	// Iterative glob with backtracking on the last star.
	p, v := 0, 0
	star, mark := -1, 0
	for v < len(value) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == value[v]):
			p++
			v++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, v
			p++
		case star >= 0:
			p = star + 1
			mark++
			v = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// Match reports whether value matches an IAM wildcard pattern (`*`, `?`), case-sensitively.
func Match(pattern, value string) bool { return wildcardMatch(pattern, value, false) }
