package awssim

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// The simulator's own check of a delivery role, written apart from internal/policy (which trailwatch's controls use),
// so that the simulator is an independent oracle: a bug in one evaluator is caught by the other, and both are held to
// the same table of cases from AWS's documentation (deliverycheck_test.go). It covers what CloudTrail's delivery needs
// and nothing more (IAM User Guide, "Policy evaluation logic": an explicit Deny wins; without an Allow the request is
// denied; Action/NotAction and Resource/NotResource with * and ? wildcards, case-insensitive actions; a trust
// policy's Principal.Service). Conditions are not evaluated: a statement with a Condition is taken as written, the
// same simplification the controls document.

// docStatements decodes a policy document's statements; nil for malformed JSON.
func docStatements(doc string) []map[string]any {
	var d map[string]any
	if json.Unmarshal([]byte(doc), &d) != nil {
		return nil
	}
	switch st := d["Statement"].(type) {
	case map[string]any:
		return []map[string]any{st}
	case []any:
		var out []map[string]any
		for _, s := range st {
			if m, ok := s.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// strs reads a string or a list of strings.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// globMatch matches an IAM pattern (* any run, ? one character) against s, by translating it to a regular expression.
func globMatch(pattern, s string, fold bool) bool {
	key := pattern
	if fold {
		key = "i:" + pattern
	}
	if re, ok := globCache.Load(key); ok {
		return re.(*regexp.Regexp) != nil && re.(*regexp.Regexp).MatchString(s)
	}
	var b strings.Builder
	b.WriteString("^")
	if fold {
		b.WriteString("(?i)")
	}
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		re = nil
	}
	globCache.Store(key, re)
	return re != nil && re.MatchString(s)
}

// globCache holds compiled glob patterns: reconcile judges every trail's delivery on each change, and an organization
// of thousands of accounts repeats a handful of policy patterns.
var globCache sync.Map

func anyGlob(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if globMatch(p, s, fold) {
			return true
		}
	}
	return false
}

// statementApplies reports whether a statement covers action on resource (identity policies).
func statementApplies(st map[string]any, action, resource string) bool {
	actionOK := false
	if a, ok := st["Action"]; ok {
		actionOK = anyGlob(strs(a), action, true)
	} else if na, ok := st["NotAction"]; ok {
		actionOK = !anyGlob(strs(na), action, true)
	}
	if !actionOK {
		return false
	}
	if r, ok := st["Resource"]; ok {
		return anyGlob(strs(r), resource, false)
	}
	if nr, ok := st["NotResource"]; ok {
		return !anyGlob(strs(nr), resource, false)
	}
	return false
}

// roleMayWrite: some statement of the role's policies allows action on resource and none denies it.
func roleMayWrite(docs []string, action, resource string) bool {
	allowed := false
	for _, doc := range docs {
		for _, st := range docStatements(doc) {
			if !statementApplies(st, action, resource) {
				continue
			}
			switch st["Effect"] {
			case "Deny":
				return false
			case "Allow":
				allowed = true
			}
		}
	}
	return allowed
}

// roleTrustsService: the trust policy allows service to call sts:AssumeRole and does not deny it.
func roleTrustsService(doc, service string) bool {
	allowed := false
	for _, st := range docStatements(doc) {
		p, ok := st["Principal"]
		if !ok {
			continue
		}
		principals := map[string]any{}
		switch x := p.(type) {
		case map[string]any:
			principals = x
		case string:
			if x != "*" {
				continue
			}
			principals["*"] = "*"
		}
		match := principals["*"] != nil || anyGlob(strs(principals["Service"]), service, false) && service != ""
		if !match {
			continue
		}
		acts := strs(st["Action"])
		if !anyGlob(acts, "sts:AssumeRole", true) {
			continue
		}
		switch st["Effect"] {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

// checkDocument is the simulator's own check that a policy document is one IAM accepts (else MalformedPolicyDocument):
// a JSON object whose Statement is a statement or a non-empty list of them, each with an Effect of Allow or Deny
// (IAM User Guide, "IAM JSON policy elements reference": Statement and Effect are required).
func checkDocument(doc string) error {
	var d map[string]any
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return fmt.Errorf("syntax errors in policy: %v", err)
	}
	raw, ok := d["Statement"]
	if !ok {
		return errors.New("syntax errors in policy: Statement is required")
	}
	var list []any
	switch x := raw.(type) {
	case map[string]any:
		list = []any{x}
	case []any:
		list = x
	}
	if len(list) == 0 {
		return errors.New("syntax errors in policy: Statement must be a statement or a list of statements")
	}
	for i, s := range list {
		st, ok := s.(map[string]any)
		if !ok {
			return fmt.Errorf("syntax errors in policy: statement %d is not an object", i+1)
		}
		if e := st["Effect"]; e != "Allow" && e != "Deny" {
			return fmt.Errorf("syntax errors in policy: statement %d: Effect must be Allow or Deny", i+1)
		}
	}
	return nil
}

// roleTrustsAccount: the trust policy lets a principal of account (ARN caller) call sts:AssumeRole: an AWS principal
// that is "*", the account id, its root ARN (arn:PARTITION:iam::ACCOUNT:root: every principal of the account), or the
// caller's ARN (with wildcards); an explicit Deny wins (IAM User Guide, "AWS JSON policy elements: Principal").
func roleTrustsAccount(doc, account, caller string) bool {
	allowed := false
	for _, st := range docStatements(doc) {
		p, ok := st["Principal"]
		if !ok {
			continue
		}
		match := false
		switch x := p.(type) {
		case string:
			match = x == "*"
		case map[string]any:
			for _, a := range strs(x["AWS"]) {
				if a == "*" || a == account || globMatch(a, caller, false) ||
					(strings.HasPrefix(a, "arn:") && strings.HasSuffix(a, ":iam::"+account+":root")) {
					match = true
				}
			}
		}
		if !match || !anyGlob(strs(st["Action"]), "sts:AssumeRole", true) {
			continue
		}
		switch st["Effect"] {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}
