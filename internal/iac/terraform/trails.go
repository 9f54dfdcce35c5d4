package terraform

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/model"
)

// registry collects, across the root module and its children, what trails may point at.
type registry struct {
	groups   map[string]*model.LogGroup // ARN without ":*" -> log group
	roles    map[string]*roleDecl       // role ARN -> role
	roleName map[string]*roleDecl       // role name -> role
	policies map[string]cty.Value       // managed policy ARN -> document
	attach   []attachment
	rolePols []rolePolicy
	// monitoring holds the alarm chain's declarations (monitoring.go).
	monitoring *monitoringDecls
	// telemetry are the CloudTrail telemetry rules declared, and evaluation and orgEvaluation whether the account's
	// and the organization's evaluation they need are (telemetry.go).
	telemetry     []*model.TelemetryRule
	evaluation    bool
	orgEvaluation bool
}

type roleDecl struct {
	role *model.Role
	why  string
}

type attachment struct {
	role   string
	arn    cty.Value
	source string
}

type rolePolicy struct {
	role, name string
	doc        cty.Value
	// sym is the document with unset variables as placeholders (module.symbolic), when doc is unknown.
	sym string
}

// withPlaceholders is a policy document built with unset variables as placeholders, for a role's policies, or false
// when it cannot be one: a Deny statement could match once the placeholders take values, so such a document stays
// unknown.
func withPlaceholders(name, arn, sym string, doc cty.Value) (model.PolicyDoc, bool) {
	if sym == "" || model.PolicyHasDeny(sym) {
		return model.PolicyDoc{}, false
	}
	return model.PolicyDoc{Name: name, ARN: arn, Document: sym, Placeholders: reason(doc)}, true
}

// awsManaged are the AWS managed policies whose documents matter here.
var awsManaged = map[string]string{
	"CloudWatchLogsFullAccess": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*"],"Resource":"*"}]}`,
	"AdministratorAccess":      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
}

func (m *module) reg() *registry {
	if m.res.reg == nil {
		m.res.reg = &registry{groups: map[string]*model.LogGroup{}, roles: map[string]*roleDecl{}, roleName: map[string]*roleDecl{}, policies: map[string]cty.Value{}}
	}
	return m.res.reg
}

// collectTrails turns the module's resources, and its children's, into trails, and registers log groups, roles and
// policies for resolution.
func (m *module) collectTrails() {
	reg := m.reg()
	for _, c := range m.children {
		c.res.reg = reg
		c.res.Trails = nil
		rulesBefore := len(reg.telemetry)
		c.collectTrails()
		if c.notCreated || m.notCreated {
			reg.telemetry = reg.telemetry[:rulesBefore] // a telemetry rule its module never creates captures nothing (field trial)
			for _, t := range c.res.Trails {
				t.NotInstantiated = true
				t.Notes = append(t.Notes, "Its module call creates no instance (count = 0 or an empty for_each).")
			}
		}
		m.res.Trails = append(m.res.Trails, c.res.Trails...)
		m.res.Errors = append(m.res.Errors, c.res.Errors...)
		m.res.Files += c.res.Files
	}
	m.undownloadedTrailModules()
	for _, b := range m.resources {
		if m.st.stop() {
			break // what is not evaluated is not judged (Load reports why), never "not created"
		}
		if msg := m.countError(b.body); msg != "" {
			// Terraform refuses the configuration: an ERROR at the block, not a resource "not created".
			m.res.Errors = append(m.res.Errors, FileError{File: b.file, Line: b.rng.Start.Line, Msg: fmt.Sprintf("%s.%s: %s", b.typ, b.name, msg)})
			continue
		}
		insts, note, countUnknown := m.instances(b.body)
		for _, in := range insts {
			addr := m.addr + b.typ + "." + b.name
			if in.key != cty.NilVal {
				addr += instanceSuffix(in.key)
			}
			switch b.typ {
			case "aws_cloudwatch_log_group":
				a := m.attrs(b.body, "name", "retention_in_days", "log_group_class")
				obj := m.resourceObject(b, in.vars)
				lg := &model.LogGroup{Name: obj.GetAttr("name").AsString(), Exists: true, Region: m.regionFor(b.body, in.vars), Account: m.accountFor(b.body)}
				rv := m.attrVal(a, "retention_in_days", in.vars)
				if d, ok := number(rv); ok && d > 0 {
					lg.RetentionDays = &d
				} else if !rv.IsWhollyKnown() {
					lg.RetentionUnknown = reason(rv)
				}
				lg.ARN = obj.GetAttr("arn").AsString() + ":*"
				lg.Source = &model.Location{File: b.file, Line: b.rng.Start.Line, Address: addr}
				reg.groups[obj.GetAttr("arn").AsString()] = lg
			case "aws_iam_role":
				m.registerRole(reg, b, in.vars)
			case "aws_iam_policy":
				obj := m.resourceObject(b, in.vars)
				reg.policies[obj.GetAttr("arn").AsString()] = obj.GetAttr("policy")
			case "aws_iam_role_policy":
				a := m.attrs(b.body, "role", "policy", "name")
				rp := rolePolicy{role: strOr(m.attrVal(a, "role", in.vars), ""), name: addr, doc: m.attrVal(a, "policy", in.vars)}
				if !rp.doc.IsWhollyKnown() && a["policy"] != nil {
					rp.sym, _ = m.symbolic(a["policy"].Expr, in.vars)
				}
				reg.rolePols = append(reg.rolePols, rp)
			case "aws_iam_role_policy_attachment":
				a := m.attrs(b.body, "role", "policy_arn")
				reg.attach = append(reg.attach, attachment{role: strOr(m.attrVal(a, "role", in.vars), ""), arn: m.attrVal(a, "policy_arn", in.vars), source: addr})
			case "aws_iam_policy_attachment":
				// The exclusive attachment resource names its roles in a list (roles = [...]).
				a := m.attrs(b.body, "roles", "policy_arn")
				if roles := m.attrVal(a, "roles", in.vars); roles.IsWhollyKnown() && !roles.IsNull() && roles.CanIterateElements() {
					roles, _ = roles.UnmarkDeep()
					for it := roles.ElementIterator(); it.Next(); {
						if _, r := it.Element(); r.Type() == cty.String {
							reg.attach = append(reg.attach, attachment{role: r.AsString(), arn: m.attrVal(a, "policy_arn", in.vars), source: addr})
						}
					}
				}
			case "aws_cloudwatch_log_metric_filter", "aws_cloudwatch_metric_alarm", "aws_sns_topic", "aws_sns_topic_subscription":
				unknownCount := ""
				if countUnknown {
					unknownCount = note
				}
				m.monitoringResource(reg, b, in.vars, addr, unknownCount)
			case "aws_observabilityadmin_telemetry_rule", "aws_observabilityadmin_telemetry_evaluation",
				"aws_observabilityadmin_telemetry_rule_for_organization", "aws_observabilityadmin_telemetry_evaluation_for_organization":
				m.telemetryResource(reg, b, in.vars, addr)
			case "aws_cloudtrail":
				if msg, line := m.undeclaredRef(b); msg != "" {
					// Terraform refuses the configuration ("Reference to undeclared resource"): an ERROR at the
					// reference, not a value known only after apply.
					m.res.Errors = append(m.res.Errors, FileError{File: b.file, Line: line, Msg: msg})
					continue
				}
				t := m.trail(b, in.vars, addr)
				if note != "" {
					t.Unknown.Instances = note
				}
				m.res.Trails = append(m.res.Trails, t)
			}
		}
		if len(insts) == 0 && b.typ == "aws_cloudtrail" {
			m.res.Trails = append(m.res.Trails, &model.Trail{Name: b.name, NotInstantiated: true,
				Source: &model.Location{File: b.file, Line: b.rng.Start.Line, Address: m.addr + b.typ + "." + b.name}})
		}
	}
	if m.addr == "" {
		resolve(reg, m.res.Trails)
		m.res.Monitoring = resolveMonitoring(reg, m.res.Trails)
		m.res.Telemetry = declaredTelemetry(reg)
	}
}

func number(v cty.Value) (int, bool) {
	v, _ = v.Unmark()
	if !v.IsKnown() || v.IsNull() {
		return 0, false
	}
	switch v.Type() {
	case cty.Number:
		i, _ := v.AsBigFloat().Int64()
		return int(i), true
	case cty.String:
		i, err := strconv.Atoi(v.AsString())
		return i, err == nil
	}
	return 0, false
}

func (m *module) registerRole(reg *registry, b block, inst map[string]cty.Value) {
	obj := m.resourceObject(b, inst)
	a := m.attrs(b.body, "assume_role_policy", "managed_policy_arns")
	addr := m.addr + b.typ + "." + b.name
	if k, ok := inst["count"]; ok && k.Type().IsObjectType() {
		addr += instanceSuffix(k.GetAttr("index"))
	} else if k, ok := inst["each"]; ok && k.Type().IsObjectType() {
		addr += instanceSuffix(k.GetAttr("key"))
	}
	d := &roleDecl{role: &model.Role{Name: obj.GetAttr("name").AsString(), ARN: obj.GetAttr("arn").AsString(), Exists: true,
		Source: &model.Location{File: b.file, Line: b.rng.Start.Line, Address: addr}}}
	trust := m.attrVal(a, "assume_role_policy", inst)
	if s, ok := known(trust); ok {
		d.role.Trust = s
	} else {
		d.why = "the role's trust policy: " + reason(trust)
	}
	c, _, _ := b.body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "inline_policy"}}})
	for _, ib := range c.Blocks {
		ia := m.attrs(ib.Body, "name", "policy")
		doc := m.attrVal(ia, "policy", inst)
		sym := ""
		if !doc.IsWhollyKnown() && ia["policy"] != nil {
			sym, _ = m.symbolic(ia["policy"].Expr, inst)
		}
		if s, ok := known(doc); ok {
			d.role.Policies = append(d.role.Policies, model.PolicyDoc{Name: strOr(m.attrVal(ia, "name", inst), "inline_policy"), Document: s})
		} else if pd, ok := withPlaceholders(strOr(m.attrVal(ia, "name", inst), "inline_policy"), "", sym, doc); ok {
			d.role.Policies = append(d.role.Policies, pd)
		} else {
			d.why = "an inline policy: " + reason(doc)
		}
	}
	if mp := m.attrVal(a, "managed_policy_arns", inst); !mp.IsNull() {
		if !mp.IsWhollyKnown() {
			d.why = "managed_policy_arns: " + reason(mp)
		} else {
			mp, _ = mp.UnmarkDeep()
			for it := mp.ElementIterator(); it.Next(); {
				_, v := it.Element()
				reg.attach = append(reg.attach, attachment{role: d.role.Name, arn: v, source: "managed_policy_arns"})
			}
		}
	}
	reg.roles[d.role.ARN] = d
	reg.roleName[d.role.Name] = d
}

func known(v cty.Value) (string, bool) {
	if !v.IsWhollyKnown() || v.IsNull() {
		return "", false
	}
	v, _ = v.UnmarkDeep()
	if v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// trail reads one aws_cloudtrail instance.
func (m *module) trail(b block, inst map[string]cty.Value, addr string) *model.Trail {
	a := m.attrs(b.body, "name", "cloud_watch_logs_group_arn", "cloud_watch_logs_role_arn", "is_multi_region_trail", "is_organization_trail")
	name := strOr(m.attrVal(a, "name", inst), b.name)
	// Its home region is its provider's (an alias, or the provider-6 region argument), as its ARN's (field trial: an
	// aliased trail was homed in the default provider's region).
	home := m.regionFor(b.body, inst)
	provider := ""
	if c, _, _ := b.body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "provider"}}}); c.Attributes["provider"] != nil {
		if tr, d := hcl.AbsTraversalForExpr(c.Attributes["provider"].Expr); !d.HasErrors() && len(tr) == 2 {
			if at, ok := tr[1].(hcl.TraverseAttr); ok {
				provider = tr.RootName() + "." + at.Name
			}
		}
	}
	t := &model.Trail{Name: name, HomeRegion: home, Provider: provider,
		ARN:    awsarn.Trail(partitionIn(home), home, m.accountFor(b.body), name),
		Source: &model.Location{File: b.file, Line: b.rng.Start.Line, Address: addr}}
	for attr, dst := range map[string]*string{"cloud_watch_logs_group_arn": &t.LogGroupARN, "cloud_watch_logs_role_arn": &t.RoleARN} {
		v := m.attrVal(a, attr, inst)
		why := map[string]*string{"cloud_watch_logs_group_arn": &t.Unknown.LogGroupARN, "cloud_watch_logs_role_arn": &t.Unknown.RoleARN}[attr]
		switch {
		case !v.IsWhollyKnown():
			*why = reason(v)
		case v.IsNull():
		default:
			if s, ok := known(v); ok {
				*dst = s
			}
		}
	}
	for attr, dst := range map[string]*bool{"is_multi_region_trail": &t.MultiRegion, "is_organization_trail": &t.Organization} {
		v, _ := m.attrVal(a, attr, inst).Unmark()
		if v.IsKnown() && !v.IsNull() && v.Type() == cty.Bool {
			*dst = v.True()
		}
	}
	t.Suppressions = m.suppressionsAt(b.file, b.rng.Start.Line, bodyEnd(b))
	return t
}

func bodyEnd(b block) int {
	type ranger interface{ Range() hcl.Range }
	if r, ok := b.body.(ranger); ok {
		return r.Range().End.Line
	}
	return b.rng.End.Line + 50
}

// resolve points each trail at the log group and role its ARNs name, with the role's policies.
func resolve(reg *registry, trails []*model.Trail) {
	for _, d := range reg.roles {
		d.role.Policies = d.role.Policies[:len(inlineOnly(d.role.Policies))]
	}
	for _, rp := range reg.rolePols {
		if d := reg.roleName[rp.role]; d != nil {
			if s, ok := known(rp.doc); ok {
				d.role.Policies = append(d.role.Policies, model.PolicyDoc{Name: rp.name, Document: s})
			} else if pd, ok := withPlaceholders(rp.name, "", rp.sym, rp.doc); ok {
				d.role.Policies = append(d.role.Policies, pd)
			} else {
				d.why = rp.name + ": " + reason(rp.doc)
			}
		}
	}
	for _, at := range reg.attach {
		d := reg.roleName[at.role]
		if d == nil {
			continue
		}
		arn, ok := known(at.arn)
		switch {
		case !ok:
			d.why = at.source + ": " + reason(at.arn)
		case reg.policies[arn] != cty.NilVal:
			if s, ok := known(reg.policies[arn]); ok {
				d.role.Policies = append(d.role.Policies, model.PolicyDoc{ARN: arn, Document: s})
			} else {
				d.why = arn + ": " + reason(reg.policies[arn])
			}
		case awsManaged[awsarn.ResourceName(arn)] != "" && strings.Contains(arn, ":iam::aws:policy/"):
			d.role.Policies = append(d.role.Policies, model.PolicyDoc{ARN: arn, Document: awsManaged[awsarn.ResourceName(arn)]})
		default:
			d.why = "managed policy " + arn + " is not declared here"
		}
	}
	for _, t := range trails {
		if lg := reg.groups[strings.TrimSuffix(t.LogGroupARN, ":*")]; lg != nil {
			t.LogGroup = lg
		} else if lg := reg.groups[strings.TrimSuffix(strings.TrimSuffix(t.LogGroupARN, ":*"), ":*")]; lg != nil {
			t.LogGroup = lg
		}
		if d := reg.roles[t.RoleARN]; d != nil {
			t.Role = d.role
			if d.why != "" {
				t.Unknown.Role = d.why
			}
		}
	}
}

// inlineOnly keeps the policies registered with the role itself (inline_policy blocks), dropping ones added by an
// earlier resolve.
func inlineOnly(ps []model.PolicyDoc) []model.PolicyDoc {
	for i, p := range ps {
		if p.ARN != "" || strings.Contains(p.Name, "aws_iam_role_policy.") {
			return ps[:i]
		}
	}
	return ps
}

// trailModuleArgs are arguments only a module that declares a trail takes (the aws_cloudtrail arguments it forwards).
var trailModuleArgs = []string{"cloud_watch_logs_group_arn", "cloud_watch_logs_role_arn", "cloudwatch_logs_group_arn",
	"cloudwatch_logs_role_arn", "is_multi_region_trail", "is_organization_trail", "enable_log_file_validation",
	"include_global_service_events", "trail_name", "cloudtrail_name"}

// undownloadedTrailModules reports a module call that is not downloaded and declares a trail by all appearances (its
// name in the registry is cloudtrail, or it is passed a trail's arguments) as a trail whose settings are unknown:
// UNKNOWN "run terraform init", not silence (issue 12). Other modules that are not downloaded stay silent: an S3
// bucket module would only add noise.
func (m *module) undownloadedTrailModules() {
	for _, b := range m.modules {
		if _, loaded := m.children[b.name]; loaded {
			continue
		}
		a := m.attrs(b.body, "source", "version")
		src := strOr(m.attrVal(a, "source", nil), "")
		key := strings.TrimPrefix(m.key+"."+b.name, ".")
		if strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../") || m.modulesJSON[key] != "" {
			continue // a local or downloaded module that was not followed (a cycle, too deep) is reported as such
		}
		attrs, _ := b.body.JustAttributes()
		var why []string
		if registryName(src) == "cloudtrail" || strings.HasSuffix(registryName(src), "-cloudtrail") {
			why = append(why, "its source is a CloudTrail module")
		}
		for _, arg := range trailModuleArgs {
			if _, ok := attrs[arg]; ok {
				why = append(why, "it is passed "+arg)
				break
			}
		}
		if len(why) == 0 {
			continue
		}
		if insts, _, _ := m.instances(b.body); len(insts) == 0 {
			continue
		}
		version := strOr(m.attrVal(a, "version", nil), "")
		if version != "" {
			version = " " + version
		}
		msg := fmt.Sprintf("module.%s (%s%s) is not downloaded and declares a trail (%s): run terraform init, or scan a plan (terraform show -json), to judge it",
			b.name, src, version, strings.Join(why, ", "))
		m.res.Trails = append(m.res.Trails, &model.Trail{ARN: m.addr + "module." + b.name, Name: b.name, Unknown: model.Unknowns{Module: msg},
			Source: &model.Location{File: b.file, Line: b.rng.Start.Line, Address: m.addr + "module." + b.name}})
	}
}

// registryName is a module source's name: NAME in a registry address NAMESPACE/NAME/PROVIDER (with an optional host
// and //subdirectory), or the repository name without its terraform-aws- prefix in a git or URL source.
func registryName(src string) string {
	src, _, _ = strings.Cut(src, "?")
	if i := strings.Index(src, "//"); i >= 0 && !strings.Contains(src[:i], ":") {
		src = src[:i]
	}
	parts := strings.Split(strings.TrimSuffix(src, ".git"), "/")
	// GitHub and Bitbucket shorthands are repositories, not registry addresses (Terraform, "Module Sources").
	repo := strings.HasPrefix(src, "github.com/") || strings.HasPrefix(src, "bitbucket.org/")
	if len(parts) >= 3 && !repo && !strings.Contains(src, "://") && !strings.HasPrefix(src, "git@") && !strings.HasPrefix(src, "git::") {
		return parts[len(parts)-2] // [host/]namespace/NAME/provider
	}
	name := parts[len(parts)-1]
	return strings.TrimPrefix(name, "terraform-aws-")
}

// undeclaredRef finds, in a trail's integration attributes, a reference to a managed resource or data source this
// module does not declare: Terraform refuses such a configuration ("Reference to undeclared resource").
func (m *module) undeclaredRef(b block) (string, int) {
	attrs := m.attrs(b.body, "cloud_watch_logs_group_arn", "cloud_watch_logs_role_arn")
	for _, name := range []string{"cloud_watch_logs_group_arn", "cloud_watch_logs_role_arn"} {
		a := attrs[name]
		if a == nil {
			continue
		}
		for _, tr := range a.Expr.Variables() {
			root := tr.RootName()
			switch root {
			case "var", "local", "module", "count", "each", "path", "terraform", "self":
				continue
			}
			data := root == "data"
			typ, rest := root, tr[1:]
			if data {
				if len(rest) == 0 {
					continue
				}
				attr, ok := rest[0].(hcl.TraverseAttr)
				if !ok {
					continue
				}
				typ, rest = attr.Name, rest[1:]
			}
			if len(rest) == 0 {
				continue
			}
			attr, ok := rest[0].(hcl.TraverseAttr)
			if !ok || !strings.Contains(typ, "_") {
				continue
			}
			declared := m.resources
			if data {
				declared = m.data
			}
			if !slices.ContainsFunc(declared, func(d block) bool { return d.typ == typ && d.name == attr.Name }) {
				what := "managed resource"
				ref := typ + "." + attr.Name
				if data {
					what, ref = "data source", "data."+ref
				}
				return fmt.Sprintf("%s.%s: %s refers to %s %s, which is not declared in this module: Terraform refuses the configuration (Reference to undeclared resource)",
					b.typ, b.name, name, what, ref), tr.SourceRange().Start.Line
			}
		}
	}
	return "", 0
}
