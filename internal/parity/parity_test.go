package parity

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

const (
	account = "111111111111"
	orgID   = "o-a1b2c3d4e5"
	group   = "CT"
	role    = "CTRole"
)

// Placeholders in a case's policies: each source writes them its own way (the scenario with the values, Terraform
// with aws_partition/aws_region/aws_caller_identity, CloudFormation with its pseudo parameters, the plan with the values
// Terraform computed), as real code does.
const (
	pP = "{P}" // the partition
	pR = "{R}" // the trail's home region
	pA = "{A}" // the account
)

func allow(actions string, resources ...string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + actions + `,"Resource":["` + strings.Join(resources, `","`) + `"]}]}`
}

const both = `["logs:CreateLogStream","logs:PutLogEvents"]`

var (
	groupRes   = "arn:{P}:logs:{R}:{A}:log-group:" + group
	streamRes  = groupRes + ":log-stream:"
	documented = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	// console is the policy the CloudTrail console writes (CTUG cloudtrail-required-policy-for-cloudwatch-logs).
	console = `{"Version":"2012-10-17","Statement":[{"Sid":"AWSCloudTrailCreateLogStream2014110","Effect":"Allow","Action":["logs:CreateLogStream"],"Resource":["` + streamRes + `{A}_CloudTrail_{R}*"]},{"Sid":"AWSCloudTrailPutLogEvents20141101","Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":["` + streamRes + `{A}_CloudTrail_{R}*"]}]}`
)

// pcase is one configuration. want are the configuration reason codes every source must give (sorted, joined by
// ","; "" for a passing pipeline), written by hand from AWS's documentation, not computed; iacStatus is the status
// before deployment (the live status is FAIL when want is set, PASS otherwise).
type pcase struct {
	name      string
	partition string // "" is aws
	region    string // the trail's home region; "" is us-east-1
	multi     bool
	org       bool
	trust     string // "" is the documented trust policy
	inline    string // the role's inline policy
	managed   string // a customer managed policy attached to the role
	noRole    bool   // the trail names a log group and no role
	noSuffix  bool   // the trail's log group ARN lacks ":*": CloudTrail refuses it, so there is no live trail
	want      string
	iacStatus model.Status
	// cfnWant, when set, is CloudFormation's answer: a template knows neither its region nor its partition, so a
	// policy that names a literal one makes delivery depend on where the stack is deployed (VALUE_UNKNOWN).
	cfnWant string
	// chain, when set, is the CIS monitoring chain of item 4.5 on the trail's log group (alarms_test.go).
	chain *chainDecl
	// subARN writes the template's log group ARN with !Sub "...:log-group:${LogGroup}:*" instead of GetAtt.
	subARN bool
	// notes are the role notes every source must give (roleNotes): what the rule says it did not evaluate.
	notes string
}

var corpus = []pcase{
	{name: "console default: multi-region trail, home-region streams", multi: true, inline: console},
	{name: "console policy, single-region trail", inline: console},
	{name: "trailwatch's own policy", multi: true, inline: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream"],"Resource":["` + streamRes + `{A}_CloudTrail_{R}*"]},{"Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":["` + streamRes + `{A}_CloudTrail_{R}*"]}]}`},
	{name: "log-stream:*", multi: true, inline: allow(both, streamRes+"*")},
	{name: "log-group:NAME:*", multi: true, inline: allow(both, groupRes+":*")},
	{name: "every stream of the account", multi: true, inline: allow(both, streamRes+"{A}_CloudTrail_*")},
	{name: "logs:* on *", multi: true, inline: allow(`"logs:*"`, "*")},
	{name: "streams of every region listed", multi: true, inline: allow(both, streamRes+"{A}_CloudTrail_us-east-1*", streamRes+"{A}_CloudTrail_eu-west-1*", streamRes+"{A}_CloudTrail_us-west-2*"), cfnWant: controls.ValueUnknown},
	{name: "streams of another region only", multi: true, inline: allow(both, streamRes+"{A}_CloudTrail_eu-west-1*"), want: controls.RoleCannotWrite, iacStatus: model.StatusWarn, cfnWant: controls.ValueUnknown},
	{name: "home region eu-west-1, console policy", region: "eu-west-1", multi: true, inline: console},
	{name: "another log group", multi: true, inline: allow(both, "arn:{P}:logs:{R}:{A}:log-group:Other:*"), want: controls.RoleCannotWrite, iacStatus: model.StatusWarn},
	{name: "create only", multi: true, inline: allow(`["logs:CreateLogStream"]`, streamRes+"*"), want: controls.RoleCannotWrite, iacStatus: model.StatusWarn},
	{name: "put only", multi: true, inline: allow(`["logs:PutLogEvents"]`, streamRes+"*"), want: controls.RoleCannotWrite, iacStatus: model.StatusWarn},
	{name: "explicit deny", multi: true, inline: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"},{"Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`, want: controls.RoleCannotWrite, iacStatus: model.StatusWarn},
	{name: "NotResource excludes the group", multi: true, inline: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","NotResource":"` + groupRes + `:*"}]}`, want: controls.RoleCannotWrite, iacStatus: model.StatusWarn},
	{name: "managed policy attachment", multi: true, managed: console},
	{name: "managed policy of another group", multi: true, managed: allow(both, "arn:{P}:logs:{R}:{A}:log-group:Other:*"), want: controls.RoleCannotWrite, iacStatus: model.StatusWarn},
	{name: "organization trail with o-<id>_*", multi: true, org: true, inline: allow(both, streamRes+"{A}_CloudTrail_{R}*", streamRes+orgID+"_*")},
	{name: "organization trail, account streams only", multi: true, org: true, inline: console, want: controls.RoleCannotWrite, iacStatus: model.StatusWarn},
	{name: "organization trail, log-stream:*", multi: true, org: true, inline: allow(both, streamRes+"*")},
	{name: "GovCloud partition", partition: "aws-us-gov", region: "us-gov-west-1", multi: true, inline: console},
	{name: "GovCloud group, aws partition in the policy", partition: "aws-us-gov", region: "us-gov-west-1", multi: true, inline: allow(both, "arn:aws:logs:{R}:{A}:log-group:"+group+":*"), want: controls.RoleCannotWrite, iacStatus: model.StatusWarn, cfnWant: controls.ValueUnknown},
	{name: "role without trust", multi: true, trust: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, inline: console, want: controls.RoleNotTrusted, iacStatus: model.StatusWarn},
	{name: "trust with conditions", multi: true, trust: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"` + account + `"}}}]}`, inline: console, notes: "trust-conditions"},
	{name: "trust and write both broken", multi: true, trust: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"sts:AssumeRole"}]}`, inline: allow(`["logs:CreateLogStream"]`, "*"), want: controls.RoleCannotWrite + "," + controls.RoleNotTrusted, iacStatus: model.StatusWarn},
	{name: "role with no policy", multi: true, want: controls.RoleCannotWrite, iacStatus: model.StatusWarn},
	{name: "log group without role", multi: true, noRole: true, want: controls.RoleMissing, iacStatus: model.StatusFail},
	{name: "ARN without :*", multi: true, inline: console, noSuffix: true, want: controls.LogGroupARNSuffix, iacStatus: model.StatusWarn},
}

func (c pcase) part() string {
	if c.partition == "" {
		return "aws"
	}
	return c.partition
}

func (c pcase) home() string {
	if c.region == "" {
		return "us-east-1"
	}
	return c.region
}

// configCodes are a finding's configuration reason codes: those the table of sources lists, not the delivery evidence
// (NEVER_DELIVERED, DELIVERY_ERROR) a live account adds, nor PASS codes.
func configCodes(f model.Finding) string {
	var out []string
	for _, r := range f.Reasons {
		switch r.Code {
		case controls.NeverDelivered, controls.DeliveryError, controls.DeliveryStale, "DELIVERING", "CONFIGURED", controls.PendingFirstDelivery:
			continue
		}
		out = append(out, r.Code)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// roleNotes are what the rule says it did not evaluate in a role (conditions on its trust or permissions, the numbered
// streams it may not write), by kind: the same role gives the same from every source.
func roleNotes(f model.Finding) string {
	var kinds []string
	for _, n := range f.Notes {
		for _, k := range []struct{ text, kind string }{{"trust policy has conditions", "trust-conditions"},
			{"permission policies have conditions", "permission-conditions"}, {"numbered streams", "numbered-streams"}} {
			if strings.Contains(n, k.text) {
				kinds = append(kinds, k.kind)
			}
		}
	}
	sort.Strings(kinds)
	return strings.Join(kinds, ",")
}

func TestParityCorpus(t *testing.T) {
	if len(corpus) < 25 {
		t.Fatalf("%d configurations, want at least 25", len(corpus))
	}
	cat, err := controls.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range corpus {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			notes := c.notes
			if !c.noSuffix {
				if got := roleNotes(live(t, cat, c)); got != notes {
					t.Errorf("live: role notes %q, want %q", got, notes)
				}
			}
			for _, src := range []source{
				{"terraform", "main.tf", terraformOf(c)},
				{"plan", "plan.json", planOf(c)},
				{"cloudformation", "template.json", cloudFormationOf(c)},
			} {
				res := oneTrail(t, src)
				f := controls.EvaluateIaC(cat, res.Trails, controls.IaCSettings{MinRetentionDays: 365, Now: time.Now()})[0]
				want, status := c.want, c.iacStatus
				if src.kind == "cloudformation" && c.cfnWant != "" {
					want, status = c.cfnWant, model.StatusUnknown
				}
				if status == "" {
					status = model.StatusPass
				}
				if got := configCodes(f); got != want || f.Status != status {
					t.Errorf("%s: %s %q, want %s %q\n%+v\n%s", src.kind, f.Status, got, status, want, f.Reasons, src.text)
				}
				if got := roleNotes(f); got != notes && f.Status != model.StatusUnknown {
					t.Errorf("%s: role notes %q, want %q (the live scan's)\n%+v", src.kind, got, notes, f.Notes)
				}
			}
		})
	}
}

// live serves the case as a scenario and scans it through the real SDK: the reason codes must be the case's, and the
// simulator (its own delivery check, not trailwatch's) must have delivered exactly when they are none.
func live(t *testing.T, cat *controls.Catalog, c pcase) model.Finding {
	t.Helper()
	inv, fs := liveScan(t, cat, c.name, scenarioOf(c), c.home(), nil)
	f := finding(t, fs, controls.IntegrationID)
	wantStatus := model.StatusPass
	if c.want != "" {
		wantStatus = model.StatusFail
	}
	if got := configCodes(f); got != c.want || f.Status != wantStatus {
		t.Errorf("live: %s %q, want %s %q\n%+v", f.Status, got, wantStatus, c.want, f.Reasons)
	}
	st := inv.Accounts[0].Trails[0].Status
	delivered := st != nil && st.LatestDelivery != nil && (st.LatestDeliveryError == nil || *st.LatestDeliveryError == "")
	if delivered != (c.want == "") {
		t.Errorf("the simulator delivered: %v; the live verdict says the role can write: %v", delivered, c.want == "")
	}
	return f
}

// values is how the scenario and the plan write the placeholders: the values themselves.
func (c pcase) values(s string) string {
	return strings.NewReplacer(pP, c.part(), pR, c.home(), pA, account).Replace(s)
}

func scenarioOf(c pcase) string {
	var b strings.Builder
	fmt.Fprintf(&b, "partition: %s\n", c.part())
	if c.org {
		fmt.Fprintf(&b, "organization: {id: %s, management_account: %q}\n", orgID, account)
	}
	regions := "[us-east-1, eu-west-1, us-west-2]"
	if c.part() == "aws-us-gov" {
		regions = "[us-gov-west-1, us-gov-east-1]"
	}
	fmt.Fprintf(&b, "accounts:\n  - id: %q\n    regions: %s\n", account, regions)
	fmt.Fprintf(&b, "    trails:\n      - {name: main, home_region: %s, multi_region: %v, organization: %v, log_group: %s", c.home(), c.multi, c.org, group)
	if !c.noRole {
		fmt.Fprintf(&b, ", role: %s", role)
	}
	fmt.Fprintf(&b, "}\n    log_groups:\n      - {name: %s, region: %s, retention_days: 365%s}\n", group, c.home(), c.chain.scenarioFilters(group))
	c.chain.scenario(&b, c)
	if c.managed != "" {
		fmt.Fprintf(&b, "    managed_policies:\n      - {name: delivery, document: '%s'}\n", c.values(c.managed))
	}
	if !c.noRole {
		trust := c.trust
		if trust == "" {
			trust = documented
		}
		fmt.Fprintf(&b, "    roles:\n      - {name: %s, trust: '%s'", role, trust)
		if c.inline != "" {
			fmt.Fprintf(&b, ", policy: '%s'", c.values(c.inline))
		}
		if c.managed != "" {
			b.WriteString(", attached: [delivery]")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

func terraformOf(c pcase) string {
	tf := func(s string) string {
		return strings.NewReplacer(pP, "${data.aws_partition.current.partition}", pR, "${data.aws_region.current.name}", pA, "${data.aws_caller_identity.current.account_id}").Replace(s)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "provider \"aws\" { region = %q }\n", c.home())
	b.WriteString("data \"aws_partition\" \"current\" {}\ndata \"aws_region\" \"current\" {}\ndata \"aws_caller_identity\" \"current\" {}\n")
	fmt.Fprintf(&b, "resource \"aws_cloudwatch_log_group\" \"trail\" {\n  name = %q\n  retention_in_days = 365\n}\n", group)
	if !c.noRole {
		trust := c.trust
		if trust == "" {
			trust = documented
		}
		fmt.Fprintf(&b, "resource \"aws_iam_role\" \"delivery\" {\n  name = %q\n  assume_role_policy = <<EOT\n%s\nEOT\n}\n", role, trust)
		if c.inline != "" {
			fmt.Fprintf(&b, "resource \"aws_iam_role_policy\" \"delivery\" {\n  role = aws_iam_role.delivery.id\n  policy = <<EOT\n%s\nEOT\n}\n", tf(c.inline))
		}
		if c.managed != "" {
			fmt.Fprintf(&b, "resource \"aws_iam_policy\" \"delivery\" {\n  name = \"delivery\"\n  policy = <<EOT\n%s\nEOT\n}\n", tf(c.managed))
			b.WriteString("resource \"aws_iam_role_policy_attachment\" \"delivery\" {\n  role = aws_iam_role.delivery.name\n  policy_arn = aws_iam_policy.delivery.arn\n}\n")
		}
	}
	c.chain.terraform(&b, c)
	arn := `"${aws_cloudwatch_log_group.trail.arn}:*"`
	if c.noSuffix {
		arn = "aws_cloudwatch_log_group.trail.arn"
	}
	fmt.Fprintf(&b, "resource \"aws_cloudtrail\" \"main\" {\n  name = \"main\"\n  s3_bucket_name = \"b\"\n  is_multi_region_trail = %v\n  is_organization_trail = %v\n  cloud_watch_logs_group_arn = %s\n", c.multi, c.org, arn)
	if !c.noRole {
		b.WriteString("  cloud_watch_logs_role_arn = aws_iam_role.delivery.arn\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// planOf is what `terraform show -json` prints for terraformOf's configuration, applied in the case's account.
func planOf(c pcase) string {
	type change struct {
		Actions      []string       `json:"actions"`
		Before       any            `json:"before"`
		After        map[string]any `json:"after"`
		AfterUnknown map[string]any `json:"after_unknown"`
	}
	type rc struct {
		Address      string `json:"address"`
		Mode         string `json:"mode"`
		Type         string `json:"type"`
		Name         string `json:"name"`
		ProviderName string `json:"provider_name"`
		Change       change `json:"change"`
	}
	res := func(typ, name string, after map[string]any) rc {
		return rc{Address: typ + "." + name, Mode: "managed", Type: typ, Name: name, ProviderName: "registry.terraform.io/hashicorp/aws",
			Change: change{Actions: []string{"create"}, After: after, AfterUnknown: map[string]any{}}}
	}
	groupARN := c.values("arn:{P}:logs:{R}:{A}:log-group:" + group)
	config := []any{}
	rcs := []rc{res("aws_cloudwatch_log_group", "trail", map[string]any{"name": group, "retention_in_days": 365, "arn": groupARN})}
	trail := map[string]any{"name": "main", "s3_bucket_name": "b", "is_multi_region_trail": c.multi, "is_organization_trail": c.org, "cloud_watch_logs_group_arn": groupARN + ":*"}
	if c.noSuffix {
		trail["cloud_watch_logs_group_arn"] = groupARN
	}
	if !c.noRole {
		trust := c.trust
		if trust == "" {
			trust = documented
		}
		rcs = append(rcs, res("aws_iam_role", "delivery", map[string]any{"name": role, "assume_role_policy": trust}))
		if c.inline != "" {
			rcs = append(rcs, res("aws_iam_role_policy", "delivery", map[string]any{"role": role, "policy": c.values(c.inline)}))
		}
		if c.managed != "" {
			// Created by the same apply: the policy's ARN is known only after it, and the attachment refers to it.
			p := res("aws_iam_policy", "delivery", map[string]any{"name": "delivery", "policy": c.values(c.managed)})
			p.Change.AfterUnknown["arn"] = true
			a := res("aws_iam_role_policy_attachment", "delivery", map[string]any{"role": role})
			a.Change.AfterUnknown["policy_arn"] = true
			rcs = append(rcs, p, a)
			config = append(config, map[string]any{"address": "aws_iam_role_policy_attachment.delivery", "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "delivery",
				"expressions": map[string]any{"policy_arn": map[string]any{"references": []string{"aws_iam_policy.delivery.arn", "aws_iam_policy.delivery"}}}})
		}
		trail["cloud_watch_logs_role_arn"] = c.values("arn:{P}:iam::{A}:role/" + role)
	}
	rcs = append(rcs, res("aws_cloudtrail", "main", trail))
	if c.chain != nil {
		config = append(config, c.chain.plan(c, func(typ, name string, after, unknown map[string]any) {
			r := res(typ, name, after)
			r.Change.AfterUnknown = unknown
			rcs = append(rcs, r)
		})...)
	}
	out, err := json.MarshalIndent(map[string]any{"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": rcs,
		"configuration": map[string]any{"root_module": map[string]any{"resources": config},
			// The provider's region, and the data sources terraformOf's configuration reads, as a plan records them.
			"provider_config": map[string]any{"aws": map[string]any{"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
				"expressions": map[string]any{"region": map[string]any{"constant_value": c.home()}}}}},
		"prior_state": map[string]any{"format_version": "1.0", "terraform_version": "1.9.0", "values": map[string]any{"root_module": map[string]any{"resources": []any{
			map[string]any{"address": "data.aws_caller_identity.current", "mode": "data", "type": "aws_caller_identity", "name": "current",
				"provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": map[string]any{"account_id": account, "id": account}},
			map[string]any{"address": "data.aws_partition.current", "mode": "data", "type": "aws_partition", "name": "current",
				"provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": map[string]any{"partition": c.part(), "id": c.part()}},
			map[string]any{"address": "data.aws_region.current", "mode": "data", "type": "aws_region", "name": "current",
				"provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": map[string]any{"name": c.home(), "id": c.home()}},
		}}}}}, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(out)
}

// cloudFormationOf writes the case as a template (JSON), the policies' placeholders as Fn::Sub of pseudo parameters.
func cloudFormationOf(c pcase) string {
	doc := func(s string) any {
		s = strings.NewReplacer(pP, "${AWS::Partition}", pR, "${AWS::Region}", pA, "${AWS::AccountId}").Replace(s)
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			panic(fmt.Sprintf("%s: %v", s, err))
		}
		return subs(v)
	}
	trust := c.trust
	if trust == "" {
		trust = documented
	}
	resources := map[string]any{
		"LogGroup": map[string]any{"Type": "AWS::Logs::LogGroup", "Properties": map[string]any{"LogGroupName": group, "RetentionInDays": 365}},
	}
	trail := map[string]any{"TrailName": "main", "S3BucketName": "b", "IsLogging": true, "IsMultiRegionTrail": c.multi, "IsOrganizationTrail": c.org,
		"CloudWatchLogsLogGroupArn": map[string]any{"Fn::GetAtt": []string{"LogGroup", "Arn"}}}
	if c.noSuffix {
		trail["CloudWatchLogsLogGroupArn"] = map[string]any{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:" + group}
	}
	if c.subARN {
		trail["CloudWatchLogsLogGroupArn"] = map[string]any{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${LogGroup}:*"}
	}
	if !c.noRole {
		props := map[string]any{"RoleName": role, "AssumeRolePolicyDocument": doc(trust)}
		if c.inline != "" {
			props["Policies"] = []any{map[string]any{"PolicyName": "delivery", "PolicyDocument": doc(c.inline)}}
		}
		if c.managed != "" {
			resources["Managed"] = map[string]any{"Type": "AWS::IAM::ManagedPolicy", "Properties": map[string]any{"PolicyDocument": doc(c.managed)}}
			props["ManagedPolicyArns"] = []any{map[string]any{"Ref": "Managed"}}
		}
		resources["Role"] = map[string]any{"Type": "AWS::IAM::Role", "Properties": props}
		trail["CloudWatchLogsRoleArn"] = map[string]any{"Fn::GetAtt": []string{"Role", "Arn"}}
	}
	resources["Trail"] = map[string]any{"Type": "AWS::CloudTrail::Trail", "Properties": trail}
	c.chain.cloudFormation(resources, doc)
	out, err := json.MarshalIndent(map[string]any{"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(out)
}

// subs wraps every string that holds a ${...} in Fn::Sub.
func subs(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = subs(e)
		}
	case []any:
		for i, e := range x {
			x[i] = subs(e)
		}
	case string:
		if strings.Contains(x, "${") {
			return map[string]any{"Fn::Sub": x}
		}
	}
	return v
}
