// Package cfn reads CloudFormation templates (YAML or JSON; SAM and CDK-synthesized ones too) into the model: each
// AWS::CloudTrail::Trail with its CloudWatch Logs settings, the log group and role they resolve to, with file and line.
// Intrinsics are evaluated with parameter defaults (or --cfn-params values): Ref, Fn::GetAtt, Fn::Sub, Fn::Join,
// Fn::Select, Fn::Split, Fn::If with Conditions, Fn::Equals/And/Or/Not, Fn::FindInMap, Fn::ImportValue, Fn::Base64,
// short forms included. A value that depends on something unknown before deployment (an import, a parameter without
// a value, an SSM parameter, a dynamic reference) stays unknown, with the reason.
package cfn

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/iac/limits"
	"github.com/trailwatch/trailwatch/internal/model"
)

// Placeholders for values known only at deployment (shared with the controls' ARN checks).
const (
	partitionTok = "${partition}"
	regionTok    = "${region}"
	accountTok   = "${account}"
)

// value is an evaluated template value: known (string, bool, list, map), null (absent, AWS::NoValue), or unknown
// with the reason.
type value struct {
	null    bool
	unknown string
	s       string
	isStr   bool
	b       *bool
	list    []value
	m       map[string]value
}

func str(s string) value       { return value{s: s, isStr: true} }
func unknown(why string) value { return value{unknown: why} }
func null() value              { return value{null: true} }

// Template is a parsed template.
type Template struct {
	File       string
	root       *yaml.Node
	resources  map[string]*yaml.Node // logical id -> resource mapping
	types      map[string]string
	params     map[string]value
	conditions map[string]*yaml.Node
	condCache  map[string]value
	mappings   *yaml.Node
	arnOwner   map[string]string // evaluated ARN -> logical id
	resolving  []string          // resources whose names are being evaluated, to detect circular references
	steps      int               // nodes evaluated so far (MaxEvalSteps)
	// unset are the parameters with no default and no value; with placeholders set, Ref of one is "${Name}"
	// (withPlaceholders).
	unset        map[string]bool
	placeholders bool
	// pin is what the condition of the trail being judged fixes of its deployment (pinsOf): placeholder -> value.
	pin map[string]string
	// referrer is the trail whose properties are being read, and referrerCond its Condition ("" for none);
	// referrerMaybe: whether the trail is made is decided at deployment (conditionalRef).
	referrer, referrerCond string
	referrerMaybe          bool
}

// Bounds on the work and memory of one template (issue 23: 1 KB of YAML aliases used by !Join, or three nested
// Fn::ForEach of 1,000 items, exhausted memory). Each is an error naming the limit.
const (
	// MaxEvalSteps bounds the template nodes evaluated, counting each use of a YAML alias anew: aliases of aliases
	// multiply (the "billion laughs"); no real template comes near it.
	MaxEvalSteps = 1_000_000
	// MaxValueSize bounds a string an intrinsic function builds (Fn::Join, Fn::Sub): the limit Terraform shares.
	MaxValueSize = limits.MaxValueSize
	// MaxResources bounds the resources Fn::ForEach may expand to: CloudFormation refuses a template that declares
	// more than 500 resources ("Resources: 500", CloudFormation quotas, AWS CloudFormation User Guide), so this is
	// already far past what deploys.
	MaxResources = 10_000
)

// Error is an invalid template: the file and line, and what is wrong.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// IsTemplate reports whether data looks like a CloudFormation template.
//
// Detection is by structure, not by words: a top-level AWSTemplateFormatVersion, or a top-level Resources mapping of
// which at least one entry is a mapping with a Type "AWS::..." (CloudFormation template anatomy). Compliance files,
// issue templates or a Serverless Framework file (resources under a lowercase key) that merely mention "Resources"
// and "AWS::" are not templates.
func IsTemplate(data []byte) bool {
	s := string(data)
	if !strings.Contains(s, "AWS") || !strings.Contains(s, "Resources") && !strings.Contains(s, "AWSTemplateFormatVersion") {
		return false
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// Not YAML or JSON: a template only if it says so (then its parse error is reported).
		return strings.Contains(s, "AWSTemplateFormatVersion")
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return false
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		switch top.Content[i].Value {
		case "AWSTemplateFormatVersion":
			return true
		case "Resources":
			res := top.Content[i+1]
			if res.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(res.Content); j += 2 {
				r := res.Content[j+1]
				if r.Kind != yaml.MappingNode {
					continue
				}
				for k := 0; k+1 < len(r.Content); k += 2 {
					if r.Content[k].Value == "Type" && strings.HasPrefix(r.Content[k+1].Value, "AWS::") {
						return true
					}
				}
			}
		}
	}
	return false
}

// expandForEach expands Fn::ForEach (the AWS::LanguageExtensions transform) in a Resources mapping, as CloudFormation
// does before anything else: for each value of the collection, a copy of the template with ${Identifier} (and
// &{Identifier}) replaced in keys and strings, and {"Ref": Identifier} replaced by the value (CloudFormation User
// Guide, intrinsic-function-reference-foreach). A collection must be a literal list or a parameter's default
// (a CommaDelimitedList); anything else is an error naming the line.
func (t *Template) expandForEach(res *yaml.Node, params map[string]string, depth int) error {
	if depth > 5 {
		return &Error{t.File, res.Line, "Fn::ForEach nested more than 5 deep"}
	}
	if depth == 0 {
		// Count first: nested loops multiply, and expanding level by level built gigabytes before any count tripped.
		if n, k := t.forEachCount(res, params, 0); n > MaxResources {
			return &Error{t.File, k.Line, fmt.Sprintf("%s: expands to more than %d resources, the most trailwatch evaluates (CloudFormation itself refuses more than 500)", k.Value, MaxResources)}
		}
	}
	var out []*yaml.Node
	expanded := false
	for i := 0; i+1 < len(res.Content); i += 2 {
		k, v := res.Content[i], res.Content[i+1]
		if !strings.HasPrefix(k.Value, "Fn::ForEach::") {
			out = append(out, k, v)
			continue
		}
		expanded = true
		if v.Kind != yaml.SequenceNode || len(v.Content) != 3 || v.Content[2].Kind != yaml.MappingNode {
			return &Error{t.File, k.Line, k.Value + ": want [Identifier, Collection, {OutputKey: Template}]"}
		}
		ident := v.Content[0].Value
		items, err := t.forEachCollection(v.Content[1], params)
		if err != nil {
			return err
		}
		tpl := v.Content[2]
		if n := len(out)/2 + len(items)*max(len(tpl.Content)/2, 1); n > MaxResources {
			return &Error{t.File, k.Line, fmt.Sprintf("%s: expands to more than %d resources, the most trailwatch evaluates (CloudFormation itself refuses more than 500)", k.Value, MaxResources)}
		}
		for _, item := range items {
			rep := strings.NewReplacer("${"+ident+"}", item, "&{"+ident+"}", alnum(item))
			for j := 0; j+1 < len(tpl.Content); j += 2 {
				key := *tpl.Content[j]
				key.Value = rep.Replace(key.Value)
				out = append(out, &key, substitute(tpl.Content[j+1], ident, item, rep))
			}
		}
	}
	res.Content = out
	if expanded {
		return t.expandForEach(res, params, depth+1) // a template may hold another Fn::ForEach
	}
	return nil
}

// forEachCount counts the entries a Resources mapping's loops expand to, loops within loops multiplied, without
// expanding them; it stops counting once past MaxResources and returns the loop key that took it there. A collection that cannot
// be read counts as one item (expandForEach reports it).
func (t *Template) forEachCount(res *yaml.Node, params map[string]string, depth int) (int, *yaml.Node) {
	n, at := 0, res
	for i := 0; i+1 < len(res.Content) && depth <= 5; i += 2 {
		k, v := res.Content[i], res.Content[i+1]
		if !strings.HasPrefix(k.Value, "Fn::ForEach::") || v.Kind != yaml.SequenceNode || len(v.Content) != 3 || v.Content[2].Kind != yaml.MappingNode {
			if depth > 0 {
				n++ // an entry a loop copies; the template's own resources are not bounded here
			}
			continue
		}
		items, err := t.forEachCollection(v.Content[1], params)
		per, _ := t.forEachCount(v.Content[2], params, depth+1)
		if err != nil || len(items) == 0 {
			items = []string{""}
		}
		if per > 0 && len(items) > (MaxResources+1)/per {
			return MaxResources + 1, k
		}
		if n += len(items) * per; n > MaxResources {
			return n, k
		}
		at = k
	}
	return n, at
}

// forEachCollection reads a Fn::ForEach collection: a list of strings, or a Ref to a parameter whose value or default
// is a comma-delimited list.
func (t *Template) forEachCollection(n *yaml.Node, params map[string]string) ([]string, error) {
	if n.Kind == yaml.SequenceNode {
		var out []string
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, &Error{t.File, c.Line, "Fn::ForEach: the collection's items must be strings"}
			}
			out = append(out, c.Value)
		}
		return out, nil
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "Ref" {
		name := n.Content[1].Value
		list, ok := params[name]
		if !ok {
			if p := get(get(t.root, "Parameters"), name); p != nil && get(p, "Default") != nil {
				list, ok = get(p, "Default").Value, true
			}
		}
		if ok {
			var out []string
			for _, x := range strings.Split(list, ",") {
				out = append(out, strings.TrimSpace(x))
			}
			return out, nil
		}
		return nil, &Error{t.File, n.Line, fmt.Sprintf("Fn::ForEach: the collection Ref %s has no value before deployment (--cfn-params)", name)}
	}
	return nil, &Error{t.File, n.Line, "Fn::ForEach: the collection must be a list or a Ref to a parameter"}
}

// substitute copies a template node with the loop identifier replaced by item.
func substitute(n *yaml.Node, ident, item string, rep *strings.Replacer) *yaml.Node {
	c := *n
	switch n.Kind {
	case yaml.ScalarNode:
		c.Value = rep.Replace(n.Value)
	case yaml.MappingNode:
		if len(n.Content) == 2 && n.Content[0].Value == "Ref" && n.Content[1].Value == ident {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: item, Line: n.Line, Column: n.Column}
		}
		fallthrough
	case yaml.SequenceNode:
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, x := range n.Content {
			c.Content[i] = substitute(x, ident, item, rep)
		}
	}
	return &c
}

// alnum keeps a value's letters and digits (the &{Identifier} form, for logical ids).
func alnum(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Parse reads a template. params overrides parameter defaults.
func Parse(file string, data []byte, params map[string]string) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 0
		if _, after, ok := strings.Cut(err.Error(), "line "); ok {
			line, _ = strconv.Atoi(strings.SplitN(after, ":", 2)[0])
		}
		return nil, &Error{file, line, "not valid YAML or JSON: " + err.Error()}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &Error{file, 1, "a template is a mapping with a Resources section"}
	}
	t := &Template{File: file, root: doc.Content[0], resources: map[string]*yaml.Node{}, types: map[string]string{},
		params: map[string]value{}, conditions: map[string]*yaml.Node{}, condCache: map[string]value{}, arnOwner: map[string]string{}}
	normalize(t.root)
	res := get(t.root, "Resources")
	if res == nil || res.Kind != yaml.MappingNode {
		return nil, &Error{file, t.root.Line, "no Resources section"}
	}
	if err := t.expandForEach(res, params, 0); err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(res.Content); i += 2 {
		id, r := res.Content[i].Value, res.Content[i+1]
		if r.Kind != yaml.MappingNode {
			return nil, &Error{file, r.Line, fmt.Sprintf("resource %s is not a mapping", id)}
		}
		t.resources[id] = r
		if ty := get(r, "Type"); ty != nil {
			t.types[id] = ty.Value
		}
	}
	if ps := get(t.root, "Parameters"); ps != nil && ps.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(ps.Content); i += 2 {
			name, p := ps.Content[i].Value, ps.Content[i+1]
			ty := ""
			if n := get(p, "Type"); n != nil {
				ty = n.Value
			}
			switch v, ok := params[name]; {
			case ok:
				t.params[name] = str(v)
			case strings.HasPrefix(ty, "AWS::SSM::Parameter::Value"):
				t.params[name] = unknown(fmt.Sprintf("parameter %s is read from SSM Parameter Store at deployment", name))
			case get(p, "Default") != nil:
				t.params[name] = str(get(p, "Default").Value)
			default:
				t.params[name] = unknown(fmt.Sprintf("parameter %s has no default and no value (--cfn-params)", name))
				if t.unset == nil {
					t.unset = map[string]bool{}
				}
				t.unset[name] = true
			}
		}
	}
	if cs := get(t.root, "Conditions"); cs != nil && cs.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(cs.Content); i += 2 {
			t.conditions[cs.Content[i].Value] = cs.Content[i+1]
		}
	}
	t.mappings = get(t.root, "Mappings")
	return t, nil
}

// Trails evaluates every AWS::CloudTrail::Trail of the template.
func (t *Template) Trails() ([]*model.Trail, error) {
	ids := make([]string, 0, len(t.resources))
	for id := range t.resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []*model.Trail
	for _, id := range ids {
		if t.types[id] != "AWS::CloudTrail::Trail" {
			continue
		}
		tr, err := t.trail(id)
		if err != nil {
			return nil, err
		}
		out = append(out, tr)
	}
	return out, nil
}

func (t *Template) trail(id string) (*model.Trail, error) {
	r := t.resources[id]
	props := get(r, "Properties")
	tr := &model.Trail{Source: &model.Location{File: t.File, Line: r.Line, Address: id}}
	if md := get(r, "Metadata"); md != nil {
		if p := get(md, "aws:cdk:path"); p != nil {
			tr.Source.CDKPath = p.Value
		}
		tr.Suppressions = suppressions(md)
	}
	if c := get(r, "Condition"); c != nil {
		if pins := t.pinsOf(t.conditions[c.Value], 0); len(pins) > 0 {
			// Judged in the stack its condition allows: conditions are decided anew there, and again after.
			t.pin, t.condCache = pins, map[string]value{}
			defer func() { t.pin, t.condCache = nil, map[string]value{} }()
			var where []string
			for _, k := range []struct{ tok, what string }{{accountTok, "account"}, {regionTok, "region"}} {
				if v := pins[k.tok]; v != "" {
					where = append(where, k.what+" "+v)
				}
			}
			tr.Notes = append(tr.Notes, fmt.Sprintf("Its Condition %s makes it only in a stack of %s: judged there.", c.Value, strings.Join(where, ", ")))
		}
		v, err := t.condition(c.Value, c.Line)
		if err != nil {
			return nil, err
		}
		switch {
		case v.unknown != "":
			tr.Unknown.Condition = fmt.Sprintf("its Condition %s is decided at deployment (%s)", c.Value, v.unknown)
		case v.b != nil && !*v.b:
			tr.NotInstantiated = true
		}
	}
	name := id
	if props != nil {
		if v, err := t.eval(get(props, "TrailName")); err == nil && v.isStr {
			name = v.s
		}
	}
	tr.Name = name
	tr.ARN = awsarn.Trail(t.tok(partitionTok), t.tok(regionTok), t.tok(accountTok), name)
	if props == nil {
		return tr, nil
	}
	if !tr.NotInstantiated {
		// What the trail's properties refer to must exist wherever the trail is made (conditionalRef).
		t.referrer, t.referrerMaybe = id, tr.Unknown.Condition != ""
		if c := get(r, "Condition"); c != nil {
			t.referrerCond = c.Value
		}
		defer func() { t.referrer, t.referrerCond, t.referrerMaybe = "", "", false }()
	}
	for _, f := range []struct {
		key     string
		unknown *string
		dst     *string
	}{{"CloudWatchLogsLogGroupArn", &tr.Unknown.LogGroupARN, &tr.LogGroupARN}, {"CloudWatchLogsRoleArn", &tr.Unknown.RoleARN, &tr.RoleARN}} {
		v, err := t.eval(get(props, f.key))
		if err != nil {
			return nil, err
		}
		switch {
		case v.unknown != "":
			*f.unknown = v.unknown
		case v.isStr:
			*f.dst = v.s
		}
	}
	for key, dst := range map[string]*bool{"IsMultiRegionTrail": &tr.MultiRegion, "IsOrganizationTrail": &tr.Organization} {
		if v, err := t.eval(get(props, key)); err == nil {
			*dst = truthy(v)
		}
	}
	owner := t.arnOwner[tr.LogGroupARN]
	if owner == "" {
		// An ARN written out (!Sub "arn:...:log-group:${LogGroup}:*", or a literal name) names the template's group of
		// that name as GetAtt would (field trial: the trail's group was left unknown, and every alarm item failed
		// NO_MONITORED_TRAIL). Where it is deployed is the integration rule's question, not this join's.
		owner = t.groupNamed(tr.LogGroupARN)
	}
	if owner != "" && t.types[owner] == "AWS::Logs::LogGroup" {
		tr.LogGroup = t.logGroup(owner)
		tr.LogGroup.ARN = tr.LogGroupARN // as the trail names it (placeholders for what deployment decides)
	}
	if owner := t.arnOwner[tr.RoleARN]; owner != "" && t.types[owner] == "AWS::IAM::Role" {
		role, why, err := t.role(owner)
		if err != nil {
			return nil, err
		}
		tr.Role = role
		if why != "" {
			tr.Unknown.Role = why
		}
	}
	return tr, nil
}

// groupNamed is the logical id of the AWS::Logs::LogGroup whose LogGroupName the log group ARN names ("" when none,
// or when two declare it).
func (t *Template) groupNamed(arn string) string {
	g, ok := awsarn.ParseLogGroup(arn)
	if !ok {
		return ""
	}
	name := g.Name
	found := ""
	for _, id := range t.ids("AWS::Logs::LogGroup") {
		if g := t.logGroup(id); g != nil && g.Name == name && name != "" {
			if found != "" {
				return ""
			}
			found = id
		}
	}
	return found
}

func truthy(v value) bool {
	if v.b != nil {
		return *v.b
	}
	switch strings.ToLower(v.s) {
	case "true", "yes", "on", "y":
		return true
	}
	return false
}

func (t *Template) logGroup(id string) *model.LogGroup {
	props := get(t.resources[id], "Properties")
	lg := &model.LogGroup{Name: id, Exists: true, Source: t.loc(id)}
	if v, err := t.resourceRef(id, nil); err == nil && v.isStr {
		lg.Name = v.s // as Ref gives it: the name, the name built from unset parameters, or the logical id
	}
	if v, err := t.eval(get(props, "RetentionInDays")); err == nil && v.isStr {
		if d, err := strconv.Atoi(v.s); err == nil {
			lg.RetentionDays = &d
		}
	} else if err == nil && v.unknown != "" {
		lg.RetentionUnknown = v.unknown
	}
	return lg
}

// role reads a role's trust policy and every policy that applies to it: inline Policies, AWS::IAM::Policy and
// AWS::IAM::ManagedPolicy resources naming it, and ManagedPolicyArns of managed policies in the template or known AWS
// managed ones. why says what could not be evaluated.
func (t *Template) role(id string) (*model.Role, string, error) {
	props := get(t.resources[id], "Properties")
	role := &model.Role{Name: id, Exists: true, Source: t.loc(id)}
	if v, err := t.eval(get(props, "RoleName")); err == nil && v.isStr {
		role.Name = v.s
	}
	var why []string
	doc := func(n *yaml.Node) string {
		v, err := t.eval(n)
		if err != nil {
			why = append(why, err.Error())
			return ""
		}
		j, w := toJSON(v)
		if w != "" {
			why = append(why, w)
		}
		return j
	}
	// policy is a permissions policy: known, or built with unset parameters as placeholders (a write it allows is
	// allowed whatever they become: model.PolicyDoc.Placeholders), or unknown.
	policy := func(name string, n *yaml.Node) model.PolicyDoc {
		v, err := t.eval(n)
		if err != nil {
			why = append(why, err.Error())
			return model.PolicyDoc{Name: name}
		}
		j, w := toJSON(v)
		if w == "" {
			return model.PolicyDoc{Name: name, Document: j}
		}
		if pv, ok := t.withPlaceholders(n); ok {
			if pj, pw := toJSON(pv); pw == "" && !model.PolicyHasDeny(pj) {
				return model.PolicyDoc{Name: name, Document: pj, Placeholders: w}
			}
		}
		why = append(why, w)
		return model.PolicyDoc{Name: name, Document: j}
	}
	role.Trust = doc(get(props, "AssumeRolePolicyDocument"))
	if ps := get(props, "Policies"); ps != nil && ps.Kind == yaml.SequenceNode {
		for _, p := range ps.Content {
			role.Policies = append(role.Policies, policy(valueOf(get(p, "PolicyName")), get(p, "PolicyDocument")))
		}
	}
	ids := make([]string, 0, len(t.resources))
	for rid := range t.resources {
		ids = append(ids, rid)
	}
	sort.Strings(ids)
	for _, rid := range ids {
		ty := t.types[rid]
		if ty == "AWS::IAM::RolePolicy" {
			// One inline policy on one role, named by RoleName.
			rp := get(t.resources[rid], "Properties")
			if rn, err := t.eval(get(rp, "RoleName")); err == nil && (rn.s == role.Name || rn.s == id) {
				role.Policies = append(role.Policies, policy(rid, get(rp, "PolicyDocument")))
			}
			continue
		}
		if ty != "AWS::IAM::Policy" && ty != "AWS::IAM::ManagedPolicy" {
			continue
		}
		rp := get(t.resources[rid], "Properties")
		roles, err := t.eval(get(rp, "Roles"))
		if err != nil {
			return nil, "", err
		}
		for _, r := range roles.list {
			if r.s == role.Name || r.s == id {
				role.Policies = append(role.Policies, policy(rid, get(rp, "PolicyDocument")))
			}
		}
	}
	if mp, err := t.eval(get(props, "ManagedPolicyArns")); err == nil {
		for _, a := range mp.list {
			switch {
			case a.unknown != "":
				why = append(why, a.unknown)
			case strings.HasSuffix(a.s, ":policy/CloudWatchLogsFullAccess"), strings.HasSuffix(a.s, ":policy/AdministratorAccess"):
				role.Policies = append(role.Policies, model.PolicyDoc{ARN: a.s, Document: `{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`})
			case t.arnOwner[a.s] != "":
				rp := get(t.resources[t.arnOwner[a.s]], "Properties")
				role.Policies = append(role.Policies, model.PolicyDoc{ARN: a.s, Document: doc(get(rp, "PolicyDocument"))})
			default:
				why = append(why, fmt.Sprintf("managed policy %s is not in this template", a.s))
			}
		}
	}
	return role, strings.Join(why, "; "), nil
}

func valueOf(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

// toJSON turns an evaluated policy document into JSON; an unknown part is reported.
func toJSON(v value) (string, string) {
	var why string
	var conv func(v value) any
	conv = func(v value) any {
		switch {
		case v.unknown != "":
			why = v.unknown
			return "UNKNOWN"
		case v.null:
			return nil
		case v.m != nil:
			m := map[string]any{}
			for k, x := range v.m {
				if !x.null {
					m[k] = conv(x)
				}
			}
			return m
		case v.list != nil:
			l := []any{}
			for _, x := range v.list {
				if !x.null {
					l = append(l, conv(x))
				}
			}
			return l
		case v.b != nil:
			return *v.b
		}
		return v.s
	}
	b, _ := json.Marshal(conv(v))
	return string(b), why
}

func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// shortForms are the YAML tags CloudFormation accepts for intrinsics.
var shortForms = map[string]string{"!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub",
	"!Join": "Fn::Join", "!Select": "Fn::Select", "!Split": "Fn::Split", "!If": "Fn::If", "!Equals": "Fn::Equals",
	"!And": "Fn::And", "!Or": "Fn::Or", "!Not": "Fn::Not", "!FindInMap": "Fn::FindInMap", "!ImportValue": "Fn::ImportValue",
	"!Base64": "Fn::Base64", "!GetAZs": "Fn::GetAZs", "!Cidr": "Fn::Cidr", "!Transform": "Fn::Transform",
	"!ToJsonString": "Fn::ToJsonString", "!Length": "Fn::Length"}

// normalize rewrites short-form intrinsics (!Ref x) to their long form ({Ref: x}) in place, splitting !GetAtt A.B on
// the first dot, and clears YAML 1.1 typing so that scalars stay text, as CloudFormation reads them.
func normalize(n *yaml.Node) {
	for _, c := range n.Content {
		normalize(c)
	}
	fn, ok := shortForms[n.Tag]
	if !ok {
		if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
			n.Tag = "!!str"
		}
		return
	}
	inner := *n
	inner.Tag = ""
	if inner.Kind == yaml.ScalarNode {
		inner.Tag = "!!str"
	}
	if fn == "Fn::GetAtt" && inner.Kind == yaml.ScalarNode {
		a, b, _ := strings.Cut(inner.Value, ".")
		inner = yaml.Node{Kind: yaml.SequenceNode, Line: n.Line, Column: n.Column, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: a, Line: n.Line}, {Kind: yaml.ScalarNode, Tag: "!!str", Value: b, Line: n.Line}}}
	}
	*n = yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: fn, Line: n.Line}, &inner}}
}

// suppressions reads Metadata.checkov.skip, Metadata.guard.SuppressedRules and trailwatch's own Metadata.trailwatch.
func suppressions(md *yaml.Node) []model.Suppression {
	var out []model.Suppression
	if ck := get(get(md, "checkov"), "skip"); ck != nil {
		for _, s := range ck.Content {
			out = append(out, model.Suppression{Tool: "checkov", Rule: valueOf(get(s, "id")), Reason: valueOf(get(s, "comment")), Line: s.Line})
		}
	}
	if g := get(get(md, "guard"), "SuppressedRules"); g != nil {
		for _, s := range g.Content {
			out = append(out, model.Suppression{Tool: "cfn-guard", Rule: s.Value, Line: s.Line})
		}
	}
	if tw := get(get(md, "trailwatch"), "ignore"); tw != nil {
		for _, s := range tw.Content {
			out = append(out, model.Suppression{Tool: "trailwatch", Rule: valueOf(get(s, "control")), Reason: valueOf(get(s, "reason")),
				Expires: valueOf(get(s, "expires")), Line: s.Line})
		}
	}
	return out
}
