package cfn

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/partition"
)

func (t *Template) errf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{t.File, line, fmt.Sprintf(format, args...)}
}

// eval evaluates a template value; nil is absent (null).
func (t *Template) eval(n *yaml.Node) (value, error) {
	if n == nil {
		return null(), nil
	}
	if t.steps++; t.steps > MaxEvalSteps {
		return value{}, t.errf(n, "evaluation stopped after %d steps: YAML aliases (or aliases of aliases) expand too far", MaxEvalSteps)
	}
	switch n.Kind {
	case yaml.AliasNode:
		return t.eval(n.Alias)
	case yaml.ScalarNode:
		if n.Tag == "!!null" || (n.Tag == "" && n.Value == "") {
			return null(), nil
		}
		if strings.Contains(n.Value, "{{resolve:") {
			return unknown("a dynamic reference (" + n.Value + ") is resolved at deployment"), nil
		}
		return str(n.Value), nil
	case yaml.SequenceNode:
		v := value{list: []value{}}
		for _, c := range n.Content {
			x, err := t.eval(c)
			if err != nil {
				return value{}, err
			}
			if x.unknown != "" && v.unknown == "" {
				v.unknown = ""
			}
			v.list = append(v.list, x)
		}
		return v, nil
	case yaml.MappingNode:
		if len(n.Content) == 2 {
			k := n.Content[0].Value
			if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
				return t.intrinsic(k, n.Content[1], n)
			}
		}
		v := value{m: map[string]value{}}
		for i := 0; i+1 < len(n.Content); i += 2 {
			x, err := t.eval(n.Content[i+1])
			if err != nil {
				return value{}, err
			}
			v.m[n.Content[i].Value] = x
		}
		return v, nil
	}
	return null(), nil
}

// withPlaceholders evaluates n with each parameter that has no default and no value standing for itself, as the
// placeholder "${Name}": a role policy that names its log group by !Ref GroupName, as the group's LogGroupName does,
// is then seen to name that group whatever the parameter becomes (issue 21). A placeholder matches only itself in an
// IAM pattern, so a write allowed with placeholders is allowed with any value; a refused one may not be refused.
// Only Ref, Fn::Sub, Fn::Join and Fn::GetAtt take a placeholder; any other function (a condition, Fn::Select,
// Fn::FindInMap, ...) could decide something from it, so the value is unknown, and conditions are decided as before.
func (t *Template) withPlaceholders(n *yaml.Node) (value, bool) {
	if len(t.unset) == 0 || t.placeholders {
		return value{}, false
	}
	t.placeholders = true
	defer func() { t.placeholders = false }()
	v, err := t.eval(n)
	if err != nil || v.unknown != "" {
		return value{}, false
	}
	return v, true
}

func (t *Template) intrinsic(fn string, arg, at *yaml.Node) (value, error) {
	if t.placeholders {
		switch fn {
		case "Ref", "Fn::Sub", "Fn::Join", "Fn::GetAtt":
		case "Condition", "Fn::If":
			// decided without placeholders (condition), as the normal evaluation decides it
		default:
			return unknown(fn + " is not evaluated with placeholders"), nil
		}
	}
	switch fn {
	case "Ref":
		return t.ref(arg.Value, arg)
	case "Condition":
		return t.condition(arg.Value, arg.Line)
	case "Fn::GetAtt":
		var res, attr string
		switch {
		case arg.Kind == yaml.SequenceNode && len(arg.Content) == 2:
			res, attr = arg.Content[0].Value, arg.Content[1].Value
		case arg.Kind == yaml.ScalarNode:
			res, attr, _ = strings.Cut(arg.Value, ".")
		default:
			return value{}, t.errf(at, "Fn::GetAtt takes [LogicalId, Attribute]")
		}
		return t.getAtt(res, attr, at)
	case "Fn::Sub":
		return t.sub(arg, at)
	case "Fn::Join":
		a, err := t.eval(arg)
		if err != nil {
			return value{}, err
		}
		if len(a.list) != 2 {
			return value{}, t.errf(at, "Fn::Join takes [delimiter, [values]]")
		}
		if why := firstUnknown(append([]value{a.list[0]}, a.list[1].list...)...); why != "" || a.list[1].unknown != "" {
			return unknown(why + a.list[1].unknown), nil
		}
		var parts []string
		size := 0
		for _, x := range a.list[1].list {
			if size += len(x.s) + len(a.list[0].s); size > MaxValueSize {
				return value{}, t.errf(at, "Fn::Join would build more than %d bytes, the evaluation limit of one value", MaxValueSize)
			}
			parts = append(parts, x.s)
		}
		return str(strings.Join(parts, a.list[0].s)), nil
	case "Fn::Select":
		a, err := t.eval(arg)
		if err != nil {
			return value{}, err
		}
		if len(a.list) != 2 {
			return value{}, t.errf(at, "Fn::Select takes [index, [values]]")
		}
		if why := firstUnknown(a.list[0], a.list[1]); why != "" {
			return unknown(why), nil
		}
		i, err := strconv.Atoi(a.list[0].s)
		if err != nil || i < 0 || i >= len(a.list[1].list) {
			return value{}, t.errf(at, "Fn::Select index %q is out of range", a.list[0].s)
		}
		return a.list[1].list[i], nil
	case "Fn::Split":
		a, err := t.eval(arg)
		if err != nil {
			return value{}, err
		}
		if len(a.list) != 2 {
			return value{}, t.errf(at, "Fn::Split takes [delimiter, string]")
		}
		if why := firstUnknown(a.list...); why != "" {
			return unknown(why), nil
		}
		out := value{list: []value{}}
		for _, p := range strings.Split(a.list[1].s, a.list[0].s) {
			out.list = append(out.list, str(p))
		}
		return out, nil
	case "Fn::If":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 3 {
			return value{}, t.errf(at, "Fn::If takes [condition, value if true, value if false]")
		}
		c, err := t.condition(arg.Content[0].Value, arg.Line)
		if err != nil {
			return value{}, err
		}
		if c.b == nil {
			return unknown(c.unknown), nil
		}
		if *c.b {
			return t.eval(arg.Content[1])
		}
		return t.eval(arg.Content[2])
	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not":
		return t.logic(fn, arg, at)
	case "Fn::FindInMap":
		a, err := t.eval(arg)
		if err != nil {
			return value{}, err
		}
		if len(a.list) != 3 {
			return value{}, t.errf(at, "Fn::FindInMap takes [map, top-level key, second-level key]")
		}
		if why := firstUnknown(a.list...); why != "" {
			return unknown(why), nil
		}
		n := get(get(get(t.mappings, a.list[0].s), a.list[1].s), a.list[2].s)
		if n == nil {
			return value{}, t.errf(at, "Fn::FindInMap: %s/%s/%s is not in Mappings", a.list[0].s, a.list[1].s, a.list[2].s)
		}
		return t.eval(n)
	case "Fn::ImportValue":
		a, _ := t.eval(arg)
		return unknown(fmt.Sprintf("Fn::ImportValue %s imports another stack's export", a.s)), nil
	case "Fn::Base64", "Fn::ToJsonString":
		return t.eval(arg)
	case "Fn::GetAZs", "Fn::Cidr", "Fn::Transform", "Fn::Length":
		return unknown(fn + " is evaluated at deployment"), nil
	}
	return value{}, t.errf(at, "unknown intrinsic function %s", fn)
}

func firstUnknown(vs ...value) string {
	for _, v := range vs {
		if v.unknown != "" {
			return v.unknown
		}
	}
	return ""
}

func (t *Template) ref(name string, at *yaml.Node) (value, error) {
	switch name {
	case "AWS::Region":
		return str(t.tok(regionTok)), nil
	case "AWS::AccountId":
		return str(t.tok(accountTok)), nil
	case "AWS::Partition":
		return str(t.tok(partitionTok)), nil
	case "AWS::NoValue":
		return null(), nil
	case "AWS::StackName", "AWS::StackId", "AWS::URLSuffix", "AWS::NotificationARNs":
		return unknown(name + " is known at deployment"), nil
	}
	if v, ok := t.params[name]; ok {
		if t.placeholders && t.unset[name] {
			return str("${" + name + "}"), nil
		}
		return v, nil
	}
	if _, ok := t.resources[name]; ok {
		return t.resourceRef(name, at)
	}
	return value{}, t.errf(at, "Ref %s: no parameter or resource of that name", name)
}

// resourceRef is what Ref returns for a resource: a log group's or role's name (when set, else the logical id
// stands for the generated name).
// A name that refers, through Ref, GetAtt or Sub, back to itself is a circular dependency: CloudFormation refuses
// such a template, and following it would never end.
func (t *Template) resourceRef(id string, at *yaml.Node) (value, error) {
	if v, stop, err := t.conditionalRef(id, at); stop {
		return v, err
	}
	defer t.outsideReferrer()()
	props := get(t.resources[id], "Properties")
	if t.types[id] == "AWS::SNS::Topic" {
		// Ref of a topic is its ARN (AWS::SNS::Topic return values); the name is TopicName, else generated (the
		// logical id stands for it: it only has to identify the topic within the template).
		name := id
		if v, err := t.eval(get(props, "TopicName")); err == nil && v.isStr {
			name = v.s
		}
		return str(awsarn.Topic(t.tok(partitionTok), t.tok(regionTok), t.tok(accountTok), name)), nil
	}
	if t.types[id] == "AWS::IAM::ManagedPolicy" {
		// Ref of a managed policy is its ARN (AWS::IAM::ManagedPolicy return values), as Fn::GetAtt PolicyArn is: the
		// logical id stands for the policy's name, which only has to identify it within the template.
		arn := awsarn.Policy(t.tok(partitionTok), t.tok(accountTok), id)
		t.arnOwner[arn] = id
		return str(arn), nil
	}
	key := map[string]string{"AWS::Logs::LogGroup": "LogGroupName", "AWS::IAM::Role": "RoleName", "AWS::CloudTrail::Trail": "TrailName"}[t.types[id]]
	if key != "" {
		if i := slices.Index(t.resolving, id); i >= 0 {
			return value{}, t.errf(at, "circular dependency between resources: %s -> %s", strings.Join(t.resolving[i:], " -> "), id)
		}
		t.resolving = append(t.resolving, id)
		v, err := t.eval(get(props, key))
		t.resolving = t.resolving[:len(t.resolving)-1]
		if err != nil {
			if _, circular := err.(*Error); circular && strings.Contains(err.Error(), "circular dependency") {
				return value{}, err
			}
		}
		if err == nil && v.isStr {
			return v, nil
		}
		if err == nil && v.unknown != "" {
			if pv, ok := t.withPlaceholders(get(props, key)); ok && pv.isStr {
				return pv, nil // the name built from unset parameters, so that a policy naming it the same way matches
			}
		}
		return str(id), nil
	}
	return unknown(fmt.Sprintf("Ref %s (%s) is known at deployment", id, t.types[id])), nil
}

// conditionalRef judges a trail's reference to resource id made only under a Condition the trail does not share: a
// stack that makes the trail but not the resource fails to deploy ("Unresolved resource dependencies [id] in the
// Resources block of the template", and cfn-lint's W1001, "Ref/GetAtt to resource that is available when conditions
// are applied"). The Condition decided true, the reference holds; decided false where the trail is made, the template
// cannot deploy (an error); decided at deployment, the value is unknown, with why. stop says the reference was
// decided here (v, err), else it is resolved as any other.
func (t *Template) conditionalRef(id string, at *yaml.Node) (v value, stop bool, err error) {
	c := get(t.resources[id], "Condition")
	if c == nil || t.referrer == "" || id == t.referrer || c.Value == t.referrerCond || t.sameCondition(c.Value, t.referrerCond) {
		return value{}, false, nil
	}
	referrer := t.referrer
	cv, err := t.condition(c.Value, c.Line)
	switch {
	case err != nil:
		return value{}, true, err
	case cv.unknown != "":
		return unknown(fmt.Sprintf("%s is made only when its Condition %s holds, decided at deployment (%s); where %s is made without it, the stack fails to deploy (unresolved resource dependency)", id, c.Value, cv.unknown, referrer)), true, nil
	case cv.b != nil && !*cv.b && t.referrerMaybe:
		return unknown(fmt.Sprintf("%s is not made (its Condition %s is false): if %s is made, the stack fails to deploy (unresolved resource dependency)", id, c.Value, referrer)), true, nil
	case cv.b != nil && !*cv.b:
		return value{}, true, t.errf(at, "%s refers to %s, which its Condition %s leaves out of this stack: CloudFormation refuses it (Unresolved resource dependencies [%s] in the Resources block of the template)", referrer, id, c.Value, id)
	}
	return value{}, false, nil
}

// sameCondition reports whether two named conditions are the same test written twice (field trial: Logs and Logs2,
// both !Equals [!Ref WithLogs, "yes"], were taken for different ones): their definitions alike once short forms are
// written long and named conditions are replaced by their definitions.
func (t *Template) sameCondition(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	budget := 10_000
	x, y := t.canon(t.conditions[a], &budget, 0), t.canon(t.conditions[b], &budget, 0)
	return x != "" && x == y && budget > 0
}

// canon writes a template node in one form (see sameCondition); "" past the budget of nodes or depth.
func (t *Template) canon(n *yaml.Node, budget *int, depth int) string {
	if *budget--; n == nil || *budget <= 0 || depth > 32 {
		return ""
	}
	if long, ok := shortForms[n.Tag]; ok {
		c := *n
		c.Tag = ""
		if long == "Condition" {
			return t.canon(t.conditions[c.Value], budget, depth+1)
		}
		return "{" + strconv.Quote(long) + ":" + t.canon(&c, budget, depth+1) + "}"
	}
	switch n.Kind {
	case yaml.DocumentNode, yaml.AliasNode:
		if n.Kind == yaml.AliasNode {
			return t.canon(n.Alias, budget, depth+1)
		}
		if len(n.Content) == 1 {
			return t.canon(n.Content[0], budget, depth+1)
		}
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	case yaml.SequenceNode:
		parts := make([]string, len(n.Content))
		for i, c := range n.Content {
			parts[i] = t.canon(c, budget, depth+1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case yaml.MappingNode:
		if len(n.Content) == 2 && n.Content[0].Value == "Condition" {
			return t.canon(t.conditions[n.Content[1].Value], budget, depth+1)
		}
		parts := make([]string, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			parts = append(parts, strconv.Quote(n.Content[i].Value)+":"+t.canon(n.Content[i+1], budget, depth+1))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return ""
}

// outsideReferrer leaves the trail's context while a resource it refers to is resolved (what that resource refers to
// is the resource's own, not judged against the trail's Condition), and returns what restores it.
func (t *Template) outsideReferrer() func() {
	r, c, m := t.referrer, t.referrerCond, t.referrerMaybe
	t.referrer, t.referrerCond, t.referrerMaybe = "", "", false
	return func() { t.referrer, t.referrerCond, t.referrerMaybe = r, c, m }
}

// getAtt resolves the attributes trailwatch needs: a log group's Arn (CloudFormation's ends in ":*", per the
// AWS::Logs::LogGroup return values) and a role's or managed policy's Arn. Other attributes are unknown.
func (t *Template) getAtt(res, attr string, at *yaml.Node) (value, error) {
	if _, ok := t.resources[res]; !ok {
		return value{}, t.errf(at, "Fn::GetAtt %s.%s: there is no resource %s in this template", res, attr, res)
	}
	if v, stop, err := t.conditionalRef(res, at); stop {
		return v, err
	}
	defer t.outsideReferrer()()
	if t.types[res] == "AWS::IAM::ManagedPolicy" && attr == "PolicyArn" ||
		t.types[res] == "AWS::SNS::Topic" && attr == "TopicArn" { // AWS::SNS::Topic return values: TopicArn, as Ref
		return t.resourceRef(res, at)
	}
	if attr != "Arn" {
		return unknown(fmt.Sprintf("%s.%s is known at deployment", res, attr)), nil
	}
	name, err := t.resourceRef(res, at)
	if err != nil {
		return value{}, err
	}
	if name.unknown != "" {
		return unknown(fmt.Sprintf("%s.Arn is known at deployment", res)), nil
	}
	var arn string
	switch t.types[res] {
	case "AWS::Logs::LogGroup":
		arn = awsarn.LogGroupARN(t.tok(partitionTok), t.tok(regionTok), t.tok(accountTok), name.s)
	case "AWS::IAM::Role":
		arn = awsarn.Role(t.tok(partitionTok), t.tok(accountTok), name.s)
	case "AWS::IAM::ManagedPolicy":
		arn = awsarn.Policy(t.tok(partitionTok), t.tok(accountTok), res)
	default:
		return unknown(fmt.Sprintf("%s.Arn is known at deployment", res)), nil
	}
	t.arnOwner[arn] = res
	if strings.HasSuffix(arn, ":*") {
		t.arnOwner[strings.TrimSuffix(arn, ":*")] = res
	}
	return str(arn), nil
}

var subVarRe = regexp.MustCompile(`\$\{([^}]*)\}`)

func (t *Template) sub(arg, at *yaml.Node) (value, error) {
	tmpl := arg
	vars := map[string]value{}
	if arg.Kind == yaml.SequenceNode {
		if len(arg.Content) != 2 {
			return value{}, t.errf(at, "Fn::Sub takes a string or [string, {variables}]")
		}
		tmpl = arg.Content[0]
		m, err := t.eval(arg.Content[1])
		if err != nil {
			return value{}, err
		}
		vars = m.m
	}
	var why string
	var subErr error
	size := len(tmpl.Value)
	out := subVarRe.ReplaceAllStringFunc(tmpl.Value, func(m string) string {
		if subErr != nil {
			return ""
		}
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		var v value
		var err error
		if x, ok := vars[name]; ok {
			v = x
		} else if res, attr, ok := strings.Cut(name, "."); ok {
			v, err = t.getAtt(res, attr, tmpl)
		} else {
			v, err = t.ref(name, tmpl)
		}
		if err != nil {
			subErr = err
			return ""
		}
		if v.unknown != "" {
			why = v.unknown
		}
		if size += len(v.s); size > MaxValueSize {
			subErr = t.errf(at, "Fn::Sub would build more than %d bytes, the evaluation limit of one value", MaxValueSize)
			return ""
		}
		return v.s
	})
	if subErr != nil {
		return value{}, subErr
	}
	if why != "" {
		return unknown(why), nil
	}
	if t.arnOwner[out] == "" {
		// "${LogGroup.Arn}" keeps the log group's identity; "...:log-group:${LogGroup}:*" resolves to the same ARN.
		for arn, owner := range t.arnOwner {
			if strings.HasPrefix(out, arn) {
				t.arnOwner[out] = owner
				break
			}
		}
	}
	return str(out), nil
}

func (t *Template) logic(fn string, arg, at *yaml.Node) (value, error) {
	a, err := t.eval(arg)
	if err != nil {
		return value{}, err
	}
	b := func(x bool) value { return value{b: &x} }
	switch fn {
	case "Fn::Equals":
		if len(a.list) != 2 {
			return value{}, t.errf(at, "Fn::Equals takes two values")
		}
		if why := firstUnknown(a.list...); why != "" {
			return unknown(why), nil
		}
		// A pseudo parameter known only at deployment (the stack's region, account or partition) stands as a
		// placeholder: a condition on it is decided there, not here (Fn::Equals [!Ref AWS::Region, us-east-1] was
		// decided false, and the trail it guarded SKIPPED).
		for _, x := range a.list {
			for _, tok := range []string{regionTok, accountTok, partitionTok} {
				if x.isStr && strings.Contains(x.s, tok) {
					return unknown(fmt.Sprintf("Fn::Equals compares %q, known only at deployment", x.s)), nil
				}
			}
		}
		return b(a.list[0].s == a.list[1].s && truthyEq(a.list[0], a.list[1])), nil
	case "Fn::Not":
		if len(a.list) != 1 {
			return value{}, t.errf(at, "Fn::Not takes one condition")
		}
		if a.list[0].b == nil {
			return unknown(a.list[0].unknown), nil
		}
		return b(!*a.list[0].b), nil
	}
	result := fn == "Fn::And"
	why := ""
	for _, x := range a.list {
		if x.b == nil {
			why = x.unknown
			continue
		}
		if fn == "Fn::And" && !*x.b {
			return b(false), nil
		}
		if fn == "Fn::Or" && *x.b {
			return b(true), nil
		}
	}
	if why != "" {
		return unknown(why), nil
	}
	return b(result), nil
}

func truthyEq(a, b value) bool { return a.s == b.s }

// condition evaluates a named condition (memoized); a condition on unknown values is unknown.
func (t *Template) condition(name string, line int) (value, error) {
	if v, ok := t.condCache[name]; ok {
		return v, nil
	}
	n, ok := t.conditions[name]
	if !ok {
		return value{}, &Error{t.File, line, fmt.Sprintf("condition %s is not defined under Conditions", name)}
	}
	t.condCache[name] = unknown("condition " + name + " refers to itself")
	ph := t.placeholders
	t.placeholders = false // a condition is never decided from a placeholder
	v, err := t.eval(n)
	t.placeholders = ph
	if err != nil {
		return value{}, err
	}
	if v.b == nil && v.unknown == "" {
		v = unknown("condition " + name + " is not a condition")
	} else if v.b == nil {
		v.unknown = fmt.Sprintf("condition %s depends on %s", name, v.unknown)
	}
	t.condCache[name] = v
	return v, nil
}

// tok is a pseudo parameter's placeholder, or the value the resource being judged fixes for it (pin).
func (t *Template) tok(placeholder string) string {
	if v, ok := t.pin[placeholder]; ok {
		return v
	}
	return placeholder
}

// pinsOf is what a condition fixes of where the stack is deployed: the account and region an Fn::Equals of
// Ref AWS::AccountId or Ref AWS::Region and a literal requires, alone, under Fn::And, or through a named Condition.
// A resource under such a condition is made only in a stack of that account and region, so it is judged there: a
// stack has one account and one region, for every resource in it (trailwatch's own fix template makes each
// account's and region's resources under one such condition).
func (t *Template) pinsOf(n *yaml.Node, depth int) map[string]string {
	out := map[string]string{}
	if n == nil || depth > 16 || n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return out
	}
	fn, arg := n.Content[0].Value, n.Content[1]
	switch fn {
	case "Condition":
		return t.pinsOf(t.conditions[arg.Value], depth+1)
	case "Fn::And":
		for _, c := range arg.Content {
			for k, v := range t.pinsOf(c, depth+1) {
				out[k] = v
			}
		}
	case "Fn::Equals":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
			return out
		}
		for i := 0; i < 2; i++ {
			r, lit := arg.Content[i], arg.Content[1-i]
			if r.Kind != yaml.MappingNode || len(r.Content) != 2 || r.Content[0].Value != "Ref" || lit.Kind != yaml.ScalarNode {
				continue
			}
			switch r.Content[1].Value {
			case "AWS::AccountId":
				if model.IsAccountID(lit.Value) {
					out[accountTok] = lit.Value
				}
			case "AWS::Region":
				if partition.CheckRegion("region", lit.Value) == nil {
					out[regionTok], out[partitionTok] = lit.Value, partition.OfRegion(lit.Value).Name
				}
			}
		}
	}
	return out
}
