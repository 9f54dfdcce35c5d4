// Package tfplan reads Terraform plans (`terraform show -json plan.out`) with hashicorp/terraform-json into the model.
// A plan knows what the configuration cannot: values from tfvars, data sources and modules, and every instance of
// count and for_each. Values known only after apply (`after_unknown`) are resolved through the configuration's
// references where they point at a log group or role created in the same apply; else they stay unknown.
package tfplan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/partition"
)

// IsPlan reports whether data looks like a Terraform JSON plan.
func IsPlan(data []byte) bool {
	s := string(data)
	return strings.Contains(s, `"format_version"`) && (strings.Contains(s, `"resource_changes"`) || strings.Contains(s, `"planned_values"`))
}

const (
	partitionTok = "${partition}"
	regionTok    = "${region}"
	accountTok   = "${account}"
)

// Plan is what a plan declares: its trails and the CIS monitoring chain (metric filters on the trails' log groups,
// alarms, topics).
type Plan struct {
	Trails     []*model.Trail
	Monitoring *model.Monitoring
	// Telemetry are the CloudWatch telemetry rules for CloudTrail the plan declares (nil: none).
	Telemetry *model.Telemetry
}

// Load reads a plan's trails and monitoring chain.
func Load(file string, data []byte) (*Plan, error) {
	var p tfjson.Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%s: not a Terraform JSON plan: %w", file, err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w (trailwatch reads plan format 0.1 to 1.x, from `terraform show -json`)", file, err)
	}
	if len(p.ResourceChanges) == 0 && p.PlannedValues != nil && p.PlannedValues.RootModule != nil &&
		(len(p.PlannedValues.RootModule.Resources) > 0 || len(p.PlannedValues.RootModule.ChildModules) > 0) {
		// trailwatch judges what the plan changes (resource_changes, with what is known only after apply); a file
		// with planned_values alone would give no finding at all, read as "nothing to judge".
		return nil, fmt.Errorf("%s: the plan has planned_values but no resource_changes, which trailwatch reads: write it with `terraform show -json PLANFILE` (the whole plan), or scan the .tf files", file)
	}
	// The line of each resource's first "address" key, found in one pass over the text (a search per trail was
	// quadratic: 20,000 trails took 45 s).
	lines := addressLines(data)
	line := func(addr string) int { return lines[addr] }
	refs := configRefs(&p)
	var trailChanges []*tfjson.ResourceChange
	for _, rc := range p.ResourceChanges {
		if rc.Type == "aws_cloudtrail" && rc.Mode == tfjson.ManagedResourceMode {
			trailChanges = append(trailChanges, rc)
		}
	}
	sc := scopeOf(&p, trailChanges)
	groups := map[string]*model.LogGroup{} // address -> group
	roles := map[string]*model.Role{}      // address -> role
	roleByName := map[string]*model.Role{}
	roleAddr := map[*model.Role]string{}
	groupByName := map[string]*model.LogGroup{}
	roleWhy := map[string]string{}
	type managed struct{ addr, doc, why string }
	policies := map[string]*managed{} // address -> customer managed policy of the plan
	policyByARN, policyByName := map[string]*managed{}, map[string]*managed{}
	var trails []*tfjson.ResourceChange
	var rolePolicies, attachments []*tfjson.ResourceChange
	var chain []*tfjson.ResourceChange
	for _, rc := range p.ResourceChanges {
		if rc.Change == nil || rc.Mode != tfjson.ManagedResourceMode || rc.Change.Actions.Delete() || isForget(rc.Change.Actions) {
			continue
		}
		after, _ := rc.Change.After.(map[string]any)
		unknown, _ := rc.Change.AfterUnknown.(map[string]any)
		switch rc.Type {
		case "aws_cloudtrail":
			trails = append(trails, rc)
		case "aws_cloudwatch_log_group":
			name, _ := after["name"].(string)
			lg := &model.LogGroup{Name: name, Exists: true, Region: sc.regionOf(rc), Account: sc.account}
			lg.ARN = awsarn.LogGroupARN(sc.part, lg.Region, sc.account, name)
			if d, ok := after["retention_in_days"].(float64); ok && d > 0 {
				n := int(d)
				lg.RetentionDays = &n
			}
			groups[rc.Address] = lg
			if groupByName[name] == nil {
				groupByName[name] = lg
			}
		case "aws_iam_role":
			name, _ := after["name"].(string)
			r := &model.Role{Name: name, Exists: true, ARN: awsarn.Role(sc.part, sc.account, name)}
			if s, ok := after["assume_role_policy"].(string); ok {
				r.Trust = s
			} else if unknown["assume_role_policy"] == true {
				roleWhy[rc.Address] = rc.Address + ".assume_role_policy is known only after apply"
			}
			if ips, ok := after["inline_policy"].([]any); ok {
				for _, ip := range ips {
					if m, ok := ip.(map[string]any); ok {
						if s, ok := m["policy"].(string); ok && s != "" {
							r.Policies = append(r.Policies, model.PolicyDoc{Name: fmt.Sprint(m["name"]), Document: s})
						}
					}
				}
			}
			roles[rc.Address] = r
			roleByName[name] = r
			roleAddr[r] = rc.Address
		case "aws_cloudwatch_log_metric_filter", "aws_cloudwatch_metric_alarm", "aws_sns_topic", "aws_sns_topic_subscription",
			"aws_observabilityadmin_telemetry_rule", "aws_observabilityadmin_telemetry_evaluation",
			"aws_observabilityadmin_telemetry_rule_for_organization", "aws_observabilityadmin_telemetry_evaluation_for_organization":
			chain = append(chain, rc)
		case "aws_iam_role_policy":
			rolePolicies = append(rolePolicies, rc)
		case "aws_iam_role_policy_attachment":
			attachments = append(attachments, rc)
		case "aws_iam_policy":
			// A customer managed policy created by the same apply: attachments name it by its ARN (known when it
			// exists already) or, when it is created, by a reference in the configuration.
			mp := managed{addr: rc.Address}
			mp.doc, _ = after["policy"].(string)
			if mp.doc == "" && unknown["policy"] == true {
				mp.why = rc.Address + ".policy is known only after apply"
			}
			if a, ok := after["arn"].(string); ok && a != "" {
				policyByARN[a] = &mp
			}
			if n, ok := after["name"].(string); ok && n != "" {
				policyByName[n] = &mp
			}
			policies[moduleAddr(rc)+"aws_iam_policy."+rc.Name] = &mp
		}
	}
	// roleOf is the role a policy or attachment names: by name, else by the configuration's reference.
	roleOf := func(rc *tfjson.ResourceChange, name string) *model.Role {
		if r := roleByName[name]; r != nil {
			return r
		}
		if ref := firstRef(refs[configAddr(rc)]["role"], "aws_iam_role."); ref != "" {
			return roles[moduleAddr(rc)+ref]
		}
		return nil
	}
	for _, rc := range rolePolicies {
		after, _ := rc.Change.After.(map[string]any)
		role, _ := after["role"].(string)
		r := roleOf(rc, role)
		if r == nil {
			continue
		}
		if s, ok := after["policy"].(string); ok {
			r.Policies = append(r.Policies, model.PolicyDoc{Name: rc.Address, Document: s})
		} else {
			roleWhy[roleAddr[r]] = rc.Address + ".policy is known only after apply"
		}
	}
	for _, rc := range attachments {
		after, _ := rc.Change.After.(map[string]any)
		role, _ := after["role"].(string)
		arn, _ := after["policy_arn"].(string)
		r := roleOf(rc, role)
		if r == nil {
			continue
		}
		mp := policyByARN[arn]
		if mp == nil && arn != "" {
			if a, ok := awsarn.Parse(arn); ok && a.Service == "iam" && a.AccountID != "aws" && strings.HasPrefix(a.Resource, "policy/") {
				mp = policyByName[strings.TrimPrefix(a.Resource, "policy/")]
			}
		}
		if mp == nil && arn == "" {
			if ref := firstRef(refs[configAddr(rc)]["policy_arn"], "aws_iam_policy."); ref != "" {
				mp = policies[moduleAddr(rc)+ref]
			}
		}
		switch {
		case strings.HasSuffix(arn, ":policy/CloudWatchLogsFullAccess"):
			r.Policies = append(r.Policies, model.PolicyDoc{ARN: arn, Document: `{"Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`})
		case mp != nil && mp.doc != "":
			r.Policies = append(r.Policies, model.PolicyDoc{Name: mp.addr, ARN: arn, Document: mp.doc})
		case mp != nil:
			roleWhy[roleAddr[r]] = mp.why
		case arn == "":
			roleWhy[roleAddr[r]] = rc.Address + ".policy_arn is known only after apply"
		default:
			roleWhy[roleAddr[r]] = "managed policy " + arn + " is not in the plan"
		}
	}
	var out []*model.Trail
	for _, rc := range trails {
		after, _ := rc.Change.After.(map[string]any)
		unknown, _ := rc.Change.AfterUnknown.(map[string]any)
		name, _ := after["name"].(string)
		if name == "" {
			name = rc.Name
		}
		t := &model.Trail{Name: name, HomeRegion: sc.regionOf(rc),
			ARN:    awsarn.Trail(sc.part, sc.regionOf(rc), sc.account, name),
			Source: &model.Location{File: file, Line: line(rc.Address), Address: rc.Address}}
		t.MultiRegion, _ = after["is_multi_region_trail"].(bool)
		t.Organization, _ = after["is_organization_trail"].(bool)
		cfgRefs := refs[configAddr(rc)]
		for attr, dst := range map[string]*string{"cloud_watch_logs_group_arn": &t.LogGroupARN, "cloud_watch_logs_role_arn": &t.RoleARN} {
			why := map[string]*string{"cloud_watch_logs_group_arn": &t.Unknown.LogGroupARN, "cloud_watch_logs_role_arn": &t.Unknown.RoleARN}[attr]
			if s, ok := after[attr].(string); ok {
				*dst = s
				continue
			}
			if unknown[attr] != true {
				continue // absent or null
			}
			// Known after apply: follow the configuration's reference to a log group or role in the same apply.
			switch ref := firstRef(cfgRefs[attr], "aws_cloudwatch_log_group.", "aws_iam_role."); {
			case strings.HasPrefix(ref, "aws_cloudwatch_log_group.") && groups[moduleAddr(rc)+ref] != nil:
				lg := groups[moduleAddr(rc)+ref]
				*dst = awsarn.LogGroupARN(sc.part, lg.Region, sc.account, lg.Name)
				t.LogGroup = lg
				t.Notes = append(t.Notes, "A plan does not show the expression: whether \":*\" is appended to "+ref+".arn is checked when the .tf files are scanned.")
			case strings.HasPrefix(ref, "aws_iam_role.") && roles[moduleAddr(rc)+ref] != nil:
				r := roles[moduleAddr(rc)+ref]
				*dst = r.ARN
			default:
				*why = fmt.Sprintf("%s.%s is known only after apply (%s)", rc.Address, attr, strings.Join(cfgRefs[attr], ", "))
			}
		}
		if t.RoleARN != "" {
			if a, ok := awsarn.Parse(t.RoleARN); ok && strings.HasPrefix(a.Resource, "role/") {
				if r := roleByName[strings.TrimPrefix(a.Resource, "role/")]; r != nil {
					t.Role = r
					if w := roleWhy[roleAddr[r]]; w != "" {
						t.Unknown.Role = w
					}
				}
			}
		}
		if t.LogGroup == nil {
			if g, ok := awsarn.ParseLogGroup(t.LogGroupARN); ok {
				if lg := groupByName[g.Name]; lg != nil {
					t.LogGroup = lg
				}
			}
		}
		out = append(out, t)
	}
	return &Plan{Trails: out, Monitoring: monitoring(file, chain, groups, out, refs, line, sc), Telemetry: telemetry(file, chain, line, sc.regionOf)}, nil
}

func isForget(a tfjson.Actions) bool {
	return len(a) == 1 && string(a[0]) == "forget"
}

// addressLines maps each "address" value of a plan's text to the line of its first occurrence, in one pass.
func addressLines(data []byte) map[string]int {
	out := map[string]int{}
	ln := 1
	key := []byte(`"address"`)
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\n':
			ln++
		case data[i] == '"' && bytes.HasPrefix(data[i:], key):
			j := i + len(key)
			for j < len(data) && (data[j] == ' ' || data[j] == ':' || data[j] == '\t') {
				j++
			}
			if j < len(data) && data[j] == '"' {
				end := bytes.IndexByte(data[j+1:], '"')
				if end >= 0 {
					addr := string(data[j+1 : j+1+end])
					if _, seen := out[addr]; !seen {
						out[addr] = ln
					}
					i = j + end
				}
			}
		}
	}
	return out
}

// moduleAddr is the module prefix of a resource change ("module.a." or "").
func moduleAddr(rc *tfjson.ResourceChange) string {
	if rc.ModuleAddress == "" {
		return ""
	}
	return rc.ModuleAddress + "."
}

// configAddr is the configuration address of a change: module calls without instance keys, then type.name.
func configAddr(rc *tfjson.ResourceChange) string {
	mod := ""
	for _, part := range strings.Split(rc.ModuleAddress, ".") {
		if part == "" || part == "module" {
			continue
		}
		if i := strings.Index(part, "["); i >= 0 {
			part = part[:i]
		}
		mod += "module." + part + "."
	}
	return mod + rc.Type + "." + rc.Name
}

// configRefs maps configuration address -> attribute -> references, across module calls.
func configRefs(p *tfjson.Plan) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	if p.Config == nil {
		return out
	}
	var walk func(prefix string, m *tfjson.ConfigModule)
	walk = func(prefix string, m *tfjson.ConfigModule) {
		if m == nil {
			return
		}
		for _, r := range m.Resources {
			refs := map[string][]string{}
			for attr, e := range r.Expressions {
				if e != nil && e.ExpressionData != nil {
					refs[attr] = e.References
				}
			}
			out[prefix+r.Address] = refs
		}
		for name, mc := range m.ModuleCalls {
			if mc != nil {
				walk(prefix+"module."+name+".", mc.Module)
			}
		}
	}
	walk("", p.Config.RootModule)
	return out
}

// scope is what a plan knows of where it deploys: the partition, region and account, or the placeholders for what it
// does not know (field trial: a plan's own provider region and data.aws_caller_identity were ignored, so every ARN
// built here was a placeholder and its verdicts UNKNOWN where the .tf files gave definite ones).
type scope struct {
	part, region, account string
	// regionOf is a resource change's region: the scope's, unless its provider configuration names another as a
	// constant (a plan's resources carry no region of their own; configuration.provider_config does).
	regionOf func(*tfjson.ResourceChange) string
}

// scopeOf reads the plan's scope: the region from the trails' provider configuration (a constant), else the default
// aws provider's; the account and partition from the data sources the plan read (prior_state: aws_caller_identity's
// account_id, aws_partition's partition, aws_region's name), the partition else from the region.
func scopeOf(p *tfjson.Plan, trails []*tfjson.ResourceChange) scope {
	keys := map[string]string{} // configuration address -> provider configuration key
	if p.Config != nil {
		var walk func(prefix string, m *tfjson.ConfigModule)
		walk = func(prefix string, m *tfjson.ConfigModule) {
			if m == nil {
				return
			}
			for _, r := range m.Resources {
				keys[prefix+r.Address] = r.ProviderConfigKey
			}
			for name, mc := range m.ModuleCalls {
				if mc != nil {
					walk(prefix+"module."+name+".", mc.Module)
				}
			}
		}
		walk("", p.Config.RootModule)
	}
	region := func(rc *tfjson.ResourceChange) string {
		key := keys[configAddr(rc)]
		if key == "" {
			key = "aws"
		}
		if p.Config == nil || p.Config.ProviderConfigs[key] == nil {
			return ""
		}
		if e := p.Config.ProviderConfigs[key].Expressions["region"]; e != nil && e.ExpressionData != nil {
			if s, ok := e.ConstantValue.(string); ok {
				return s
			}
		}
		return ""
	}
	// account is the one account every aws provider configuration of the plan allows (allowed_account_ids, a constant
	// of one id each, the same): the provider refuses any other (Terraform AWS provider documentation, "Argument
	// Reference"). Providers that allow different accounts leave it a placeholder: the plan's ARNs are built with one
	// account (review: a two-account plan stamped the first trail's account on every resource).
	account := ""
	if p.Config != nil {
		for _, pc := range p.Config.ProviderConfigs {
			if pc == nil || pc.Name != "aws" {
				continue
			}
			id := ""
			if e := pc.Expressions["allowed_account_ids"]; e != nil && e.ExpressionData != nil {
				if ids, ok := e.ConstantValue.([]any); ok && len(ids) == 1 {
					id, _ = ids[0].(string)
				}
			}
			if !model.IsAccountID(id) || account != "" && id != account {
				account = ""
				break
			}
			account = id
		}
	}
	home := ""
	if len(trails) > 0 {
		home = region(trails[0])
	} else if p.Config != nil && p.Config.ProviderConfigs["aws"] != nil {
		home = region(&tfjson.ResourceChange{Type: "x", Name: "x"})
	}
	sc := scope{part: partitionTok, region: regionTok, account: accountTok}
	data := map[string]map[string]any{} // data source type -> its attributes (the root module's first instance)
	if p.PriorState != nil && p.PriorState.Values != nil && p.PriorState.Values.RootModule != nil {
		for _, r := range p.PriorState.Values.RootModule.Resources {
			if r.Mode == tfjson.DataResourceMode && data[r.Type] == nil {
				data[r.Type] = r.AttributeValues
			}
		}
	}
	if home == "" {
		if n, _ := data["aws_region"]["name"].(string); n != "" {
			home = n
		} else if n, _ := data["aws_region"]["region"].(string); n != "" {
			home = n
		}
	}
	if home != "" && partition.CheckRegion("region", home) == nil {
		sc.region, sc.part = home, partition.OfRegion(home).Name
	}
	if a, _ := data["aws_caller_identity"]["account_id"].(string); model.IsAccountID(a) {
		sc.account = a
	} else if account != "" {
		sc.account = account
	}
	if pt, _ := data["aws_partition"]["partition"].(string); pt != "" {
		if _, ok := partition.Lookup(pt); ok {
			sc.part = pt
		}
	}
	sc.regionOf = func(rc *tfjson.ResourceChange) string {
		if r := region(rc); r != "" && r != home && home != "" {
			return r
		}
		return sc.region
	}
	return sc
}

func firstRef(refs []string, prefixes ...string) string {
	for _, r := range refs {
		for _, p := range prefixes {
			if strings.HasPrefix(r, p) {
				// "aws_cloudwatch_log_group.ct.arn" -> "aws_cloudwatch_log_group.ct"
				parts := strings.SplitN(r, ".", 3)
				if len(parts) >= 2 {
					return parts[0] + "." + parts[1]
				}
			}
		}
	}
	return ""
}
