package remediate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/partition"
	"github.com/trailwatch/trailwatch/internal/redact"
)

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]`)

// AsCode renders a plan as a complete document a team that manages its accounts as code can apply, from the same
// steps as the CLI commands:
//   - terraform: one file with the required provider, an aliased provider per account and region (allowed_account_ids
//     guards against applying in the wrong account), resources for what the plan creates, and import blocks (Terraform
//     1.5+) for what exists and changes (a trail, a log group's retention, a role's trust), each stating the settings
//     the scan saw, so that `terraform plan` shows only the fix;
//   - cloudformation: a template that creates what the plan creates (log groups, roles, inline policies, with Outputs),
//     and lists the changes to existing resources, which a template cannot make without importing them, in Metadata.
func AsCode(p *Plan, format string) string {
	if format == "cloudformation" {
		return asCloudFormation(p)
	}
	return asTerraform(p)
}

// placeholder matches what infrastructure as code knows only at deployment ("${account}"): left out of names.
var placeholder = regexp.MustCompile(`\$\{[^}]*\}_?`)

func tfName(prefix, s string) string {
	return prefix + "_" + strings.Trim(nonIdent.ReplaceAllString(placeholder.ReplaceAllString(s, ""), "_"), "_")
}

func providerAlias(acct, region string) string {
	return "a" + acct + "_" + strings.ReplaceAll(region, "-", "_")
}

func hclString(v any) string {
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "&&" in a filter pattern stays readable; HCL takes JSON's escapes either way
	_ = enc.Encode(fmt.Sprint(v))
	b := []byte(strings.TrimSuffix(buf.String(), "\n"))
	// JSON string escapes are valid HCL string escapes, except that "${" and "%{" start templates in HCL.
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(string(b))
}

func asTerraform(p *Plan) string {
	var b strings.Builder
	b.WriteString("# Written by `trailwatch fix plan --format terraform`: the fix of each failing trail, as code.\n")
	b.WriteString("# Run `terraform init && terraform plan`: imported resources must show only the changes trailwatch names.\n")
	provider := ">= 5.0"
	if slices.ContainsFunc(p.Steps, func(s Step) bool {
		return s.Action == StartTelemetryEvaluation || createsRule(s.Action) || s.Action == StartTelemetryEvaluationForOrganization
	}) {
		provider = ">= 6.0" // the observabilityadmin resources and the per-resource region argument are provider 6's
	}
	fmt.Fprintf(&b, "terraform {\n  required_version = \">= 1.5.0\"\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = %q\n    }\n  }\n}\n\n", provider)
	providers := map[string][2]string{}
	for _, s := range p.Steps {
		providers[providerAlias(s.AccountID, s.Region)] = [2]string{s.AccountID, s.Region}
	}
	aliases := make([]string, 0, len(providers))
	for a := range providers {
		aliases = append(aliases, a)
	}
	sort.Strings(aliases)
	for _, a := range aliases {
		fmt.Fprintf(&b, "provider \"aws\" {\n  alias               = %q\n  region              = %q\n  allowed_account_ids = [%q]\n}\n\n", a, providers[a][1], providers[a][0])
	}
	groups := map[string]string{}          // account/region/name -> resource address
	roles := map[string]string{}           // account/name -> resource address
	retention := createdRetention(p.Steps) // account/region/name -> days set with the creation
	type trailFix struct {
		step     Step
		group    string
		role     string
		settings map[string]any
	}
	trails := map[string]*trailFix{}
	newTrails := map[string]bool{} // accounts whose new trail is written (CreateTrail)
	var trailOrder []string
	// What a trail's steps create, so that its aws_cloudtrail depends on them (the ARNs are written as literals: they
	// are known, and a literal is what the trail will hold).
	created := map[string][]string{}
	alarmAddrs := map[string]string{} // topic ARN or filter key -> resource address
	for _, s := range p.Steps {
		prov := "aws." + providerAlias(s.AccountID, s.Region)
		// role writes an aws_iam_role, imported when it exists already (a trust policy to correct).
		role := func(name, trust string, tags map[string]string, imported bool) {
			addr := tfName("role", s.AccountID+"_"+name)
			roles[s.AccountID+"/"+name] = "aws_iam_role." + addr
			created[s.ResourceID] = append(created[s.ResourceID], "aws_iam_role."+addr)
			if imported {
				fmt.Fprintf(&b, "# The delivery role exists but does not trust cloudtrail.amazonaws.com. Imported; keep its other settings.\n")
				fmt.Fprintf(&b, "import {\n  provider = %s\n  to       = aws_iam_role.%s\n  id       = %s\n}\n\n", prov, addr, hclString(name))
			}
			fmt.Fprintf(&b, "resource \"aws_iam_role\" %q {\n  provider           = %s\n  name               = %s\n  assume_role_policy = %s\n", addr, prov, hclString(name), hclString(trust))
			writeTags(&b, tags)
			b.WriteString("}\n\n")
		}
		switch pr := s.Params.(type) {
		case CreateLogGroupInput:
			key := s.AccountID + "/" + s.Region + "/" + pr.LogGroupName
			addr := tfName("log_group", s.AccountID+"_"+pr.LogGroupName)
			groups[key] = "aws_cloudwatch_log_group." + addr
			created[s.ResourceID] = append(created[s.ResourceID], groups[key])
			fmt.Fprintf(&b, "resource \"aws_cloudwatch_log_group\" %q {\n  provider = %s\n  name     = %s\n", addr, prov, hclString(pr.LogGroupName))
			if d, ok := retention[key]; ok {
				fmt.Fprintf(&b, "  retention_in_days = %v\n", d)
			}
			if pr.KmsKeyID != "" {
				fmt.Fprintf(&b, "  kms_key_id = %s\n", hclString(pr.KmsKeyID))
			}
			writeTags(&b, pr.Tags)
			b.WriteString("}\n\n")
		case PutRetentionPolicyInput:
			if s.Existing == nil {
				continue // set with the log group created above
			}
			addr := tfName("log_group", s.AccountID+"_"+pr.LogGroupName)
			fmt.Fprintf(&b, "# %s: retention below the minimum. Imported; add its other settings (kms_key_id, tags) if it has any.\n", s.ResourceID)
			fmt.Fprintf(&b, "import {\n  provider = %s\n  to       = aws_cloudwatch_log_group.%s\n  id       = %s\n}\n\n", prov, addr, hclString(pr.LogGroupName))
			fmt.Fprintf(&b, "resource \"aws_cloudwatch_log_group\" %q {\n  provider          = %s\n  name              = %s\n  retention_in_days = %v\n}\n\n", addr, prov, hclString(pr.LogGroupName), pr.RetentionInDays)
		case CreateRoleInput:
			role(pr.RoleName, pr.AssumeRolePolicyDocument, pr.Tags, false)
		case UpdateAssumeRolePolicyInput:
			role(pr.RoleName, pr.PolicyDocument, nil, true)
		case PutRolePolicyInput:
			role := hclString(pr.RoleName)
			if addr := roles[s.AccountID+"/"+pr.RoleName]; addr != "" {
				role = addr + ".name"
			}
			addr := tfName("delivery_policy", s.AccountID+"_"+pr.RoleName+"_"+pr.PolicyName)
			created[s.ResourceID] = append(created[s.ResourceID], "aws_iam_role_policy."+addr)
			fmt.Fprintf(&b, "resource \"aws_iam_role_policy\" %q {\n  provider = %s\n  role     = %s\n  name     = %s\n  policy   = %s\n}\n\n", addr, prov, role, hclString(pr.PolicyName), hclString(pr.PolicyDocument))
		case PutMetricFilterInput, PutMetricAlarmInput, EnableAlarmActionsInput, CreateTopicInput, SubscribeInput:
			writeAlarmTerraform(&b, s, prov, alarmAddrs)
		case StartTelemetryEvaluationInput:
			addr := tfName("telemetry_evaluation", s.AccountID)
			alarmAddrs["evaluation/"+s.AccountID] = "aws_observabilityadmin_telemetry_evaluation." + addr
			fmt.Fprintf(&b, "# %s: telemetry rules apply only where evaluation runs, and this resource starts it in one region (\"only one telemetry\n# evaluation can exist per account per region\": provider docs). The plan starts it in every region (aws observabilityadmin\n# start-telemetry-evaluation --all-regions): run that, or declare one such resource per region with its region argument.\n", s.AccountID)
			fmt.Fprintf(&b, "resource \"aws_observabilityadmin_telemetry_evaluation\" %q {\n  provider = %s\n}\n\n", addr, prov)
		case CreateTelemetryRuleInput:
			writeTelemetryRuleTerraform(&b, s, prov, alarmAddrs["evaluation/"+s.AccountID])
		case StartTelemetryEvaluationForOrganizationInput:
			addr := tfName("telemetry_evaluation_for_organization", s.ResourceID)
			alarmAddrs["evaluation/"+s.ResourceID] = "aws_observabilityadmin_telemetry_evaluation_for_organization." + addr
			fmt.Fprintf(&b, "# %s: organization rules apply only where the organization's evaluation runs; this resource (the management account\n# or a delegated administrator) starts it in the provider's region. The plan starts it in every region (aws observabilityadmin\n# start-telemetry-evaluation-for-organization --all-regions): run that, or declare one such resource per region.\n", s.ResourceID)
			fmt.Fprintf(&b, "resource \"aws_observabilityadmin_telemetry_evaluation_for_organization\" %q {\n  provider = %s\n}\n\n", addr, prov)
		case CreateTelemetryRuleForOrganizationInput:
			writeTelemetryRuleTerraform(&b, s, prov, alarmAddrs["evaluation/"+s.ResourceID])
		case CreateTrailInput:
			newTrails[s.ResourceID] = true
			addr := tfName("trail", s.AccountID+"_"+pr.Name)
			fmt.Fprintf(&b, "# %s: no trail covers every region of the account: a new multi-region trail. Its bucket's policy must let\n# CloudTrail write (CloudTrail User Guide, create-s3-bucket-policy-for-cloudtrail).\n", s.AccountID)
			fmt.Fprintf(&b, "resource \"aws_cloudtrail\" %q {\n  provider = %s\n  name = %s\n  s3_bucket_name = %s\n", addr, prov, hclString(pr.Name), hclString(pr.S3BucketName))
			fmt.Fprintf(&b, "  is_multi_region_trail = %v\n  include_global_service_events = %v\n  enable_log_file_validation = %v\n", pr.IsMultiRegionTrail, pr.IncludeGlobalServiceEvents, pr.EnableLogFileValidation)
			// The group and role this plan creates are referenced, as code would (field trial: literal ARNs made iac on
			// the fix say the role was not declared).
			groupRef, roleRef := hclString(pr.CloudWatchLogsLogGroupArn), hclString(pr.CloudWatchLogsRoleArn)
			if g := groupNameOf(pr.CloudWatchLogsLogGroupArn); groups[s.AccountID+"/"+s.Region+"/"+g] != "" {
				groupRef = fmt.Sprintf("\"${%s.arn}:*\"", groups[s.AccountID+"/"+s.Region+"/"+g])
			}
			if addr := roles[s.AccountID+"/"+awsarn.RoleName(pr.CloudWatchLogsRoleArn)]; addr != "" {
				roleRef = addr + ".arn"
			}
			fmt.Fprintf(&b, "  cloud_watch_logs_group_arn = %s\n  cloud_watch_logs_role_arn = %s\n  enable_logging = true\n", groupRef, roleRef)
			if deps := created[s.ResourceID]; len(deps) > 0 {
				fmt.Fprintf(&b, "  depends_on = [%s]\n", strings.Join(deps, ", "))
			}
			b.WriteString("}\n\n")
		case UpdateTrailInput, StartLoggingInput:
			if newTrails[s.ResourceID] {
				continue // enable_logging of the new trail above
			}
			tf := trails[s.ResourceID]
			if tf == nil {
				tf = &trailFix{step: s, settings: s.Existing}
				trails[s.ResourceID] = tf
				trailOrder = append(trailOrder, s.ResourceID)
			}
			if u, ok := pr.(UpdateTrailInput); ok {
				tf.group, tf.role = u.CloudWatchLogsLogGroupArn, u.CloudWatchLogsRoleArn
			}
		}
	}
	for _, arn := range trailOrder {
		tf := trails[arn]
		s := tf.step
		prov := "aws." + providerAlias(s.AccountID, s.Region)
		st := tf.settings
		if st == nil {
			st = map[string]any{}
		}
		addr := tfName("trail", s.AccountID+"_"+fmt.Sprint(st["name"]))
		fmt.Fprintf(&b, "# %s: the trail exists. Imported with the settings the scan saw; `terraform plan` must change only\n# cloud_watch_logs_group_arn, cloud_watch_logs_role_arn and enable_logging.\n", arn)
		if st["has_custom_event_selectors"] == true {
			b.WriteString("# This trail has custom event selectors: add its event_selector or advanced_event_selector blocks before applying.\n")
		}
		fmt.Fprintf(&b, "import {\n  provider = %s\n  to       = aws_cloudtrail.%s\n  id       = %s\n}\n\n", prov, addr, hclString(arn))
		fmt.Fprintf(&b, "resource \"aws_cloudtrail\" %q {\n  provider = %s\n", addr, prov)
		if tf.group != "" {
			st["cloud_watch_logs_group_arn"], st["cloud_watch_logs_role_arn"] = tf.group, tf.role
		}
		keys := make([]string, 0, len(st))
		for k := range st {
			if k != "has_custom_event_selectors" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch v := st[k].(type) {
			case bool:
				fmt.Fprintf(&b, "  %s = %v\n", k, v)
			default:
				fmt.Fprintf(&b, "  %s = %s\n", k, hclString(v))
			}
		}
		if deps := created[arn]; len(deps) > 0 {
			fmt.Fprintf(&b, "  depends_on = [%s]\n", strings.Join(deps, ", "))
		}
		b.WriteString("  enable_logging = true\n}\n\n")
	}
	for _, r := range p.Refused {
		fmt.Fprintf(&b, "# refused %s: %s\n", r.ResourceID, r.Reason)
	}
	return b.String()
}

func writeTags(b *strings.Builder, tags map[string]string) {
	if len(tags) == 0 {
		return
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteString("  tags = {\n")
	for _, k := range keys {
		fmt.Fprintf(b, "    %s = %s\n", hclString(k), hclString(tags[k]))
	}
	b.WriteString("  }\n")
}

// asCloudFormation renders the plan as a template: it creates the new log groups, roles and inline policies (an
// AWS::IAM::RolePolicy for a role that exists), exports their ARNs, and lists in Metadata the changes to existing
// resources (the trail's CloudWatch Logs settings, logging, a retention, a trust policy) that a template makes only by
// importing them into the stack that manages them.
func asCloudFormation(p *Plan) string {
	conditions := map[string]any{}
	type resource struct {
		id   string
		body map[string]any
		step Step // made where this step runs
	}
	var res []resource
	outputs := map[string]any{}
	// One template serves every account and region of the plan (deployed in each, as a StackSet): each resource is
	// made only where its step runs, under a condition on AWS::AccountId and AWS::Region (field trial: without
	// them, the stack in each account made every account's roles and groups, and a role's stack in a second region
	// failed on its global name). where is a step's condition; created remembers where each logical id is made, so
	// a reference across conditions is written as the literal name or ARN (a Ref or GetAtt to a resource not made
	// in that stack fails the deployment).
	where := func(s Step) string {
		name := "In" + s.AccountID + logicalID("", s.Region)
		if conditions[name] == nil {
			conditions[name] = map[string]any{"Fn::And": []any{
				map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "AWS::AccountId"}, s.AccountID}},
				map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "AWS::Region"}, s.Region}}}}
		}
		return name
	}
	created := map[string]string{} // logical id -> its condition
	sameStack := func(id string, s Step) bool { return id != "" && created[id] == where(s) }
	output := func(id, desc string, s Step) {
		outputs[id+"Arn"] = map[string]any{"Value": map[string]any{"Fn::GetAtt": []string{id, "Arn"}}, "Description": desc, "Condition": where(s)}
	}
	changes := []map[string]any{} // an empty list when there is none, never null
	retention := createdRetention(p.Steps)
	logical := logicalID
	made := map[string][]string{} // resource the steps serve -> logical ids of what they create
	newTrails := map[string]bool{}
	groupIDs := map[string]string{} // account/name -> logical id of a log group created here
	roleIDs := map[string]string{}
	cfnIDs := map[string]string{}  // topic ARN or filter key -> logical id
	parameters := map[string]any{} // NoEcho inputs: subscription endpoints that may carry a secret
	for _, s := range p.Steps {
		switch pr := s.Params.(type) {
		case CreateLogGroupInput:
			id := logical("LogGroup", s.AccountID+" "+pr.LogGroupName)
			props := map[string]any{"LogGroupName": pr.LogGroupName}
			if d, ok := retention[s.AccountID+"/"+s.Region+"/"+pr.LogGroupName]; ok {
				props["RetentionInDays"] = d
			}
			if pr.KmsKeyID != "" {
				props["KmsKeyId"] = pr.KmsKeyID
			}
			if len(pr.Tags) > 0 {
				props["Tags"] = cfnTags(pr.Tags) // as the CLI and Terraform forms tag it (field trial)
			}
			res = append(res, resource{id, map[string]any{"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": props}, s})
			made[s.ResourceID] = append(made[s.ResourceID], id)
			groupIDs[s.AccountID+"/"+pr.LogGroupName] = id
			created[id] = where(s)
			output(id, "CloudWatchLogsLogGroupArn for "+s.ResourceID, s)
		case CreateRoleInput:
			id := logical("Role", s.AccountID+" "+pr.RoleName)
			roleIDs[s.AccountID+"/"+pr.RoleName] = id
			var trust any
			_ = json.Unmarshal([]byte(pr.AssumeRolePolicyDocument), &trust)
			props := map[string]any{"RoleName": pr.RoleName, "AssumeRolePolicyDocument": trust}
			if len(pr.Tags) > 0 {
				props["Tags"] = cfnTags(pr.Tags)
			}
			res = append(res, resource{id, map[string]any{"Type": "AWS::IAM::Role", "Properties": props}, s})
			made[s.ResourceID] = append(made[s.ResourceID], id)
			created[id] = where(s)
			output(id, "CloudWatchLogsRoleArn for "+s.ResourceID, s)
		case PutRolePolicyInput:
			var doc any
			_ = json.Unmarshal([]byte(pr.PolicyDocument), &doc)
			var role any = pr.RoleName
			if id := roleIDs[s.AccountID+"/"+pr.RoleName]; sameStack(id, s) {
				role = map[string]any{"Ref": id}
			}
			id := logical("DeliveryPolicy", s.AccountID+" "+pr.RoleName+" "+pr.PolicyName)
			res = append(res, resource{id, map[string]any{"Type": "AWS::IAM::RolePolicy", "Properties": map[string]any{"RoleName": role, "PolicyName": pr.PolicyName, "PolicyDocument": doc}}, s})
			made[s.ResourceID] = append(made[s.ResourceID], id)
			created[id] = where(s) // the trail waits for it too (field trial: only the group and role were waited for)
		case CreateTrailInput:
			// A new multi-region trail (no trail covers every region), logging from creation (IsLogging).
			newTrails[s.ResourceID] = true
			var groupARN, roleARN any = pr.CloudWatchLogsLogGroupArn, pr.CloudWatchLogsRoleArn
			if id := groupIDs[s.AccountID+"/"+groupNameOf(pr.CloudWatchLogsLogGroupArn)]; sameStack(id, s) {
				groupARN = map[string]any{"Fn::GetAtt": []string{id, "Arn"}} // ends in ":*" (AWS::Logs::LogGroup return values)
			}
			if id := roleIDs[s.AccountID+"/"+awsarn.RoleName(pr.CloudWatchLogsRoleArn)]; sameStack(id, s) {
				roleARN = map[string]any{"Fn::GetAtt": []string{id, "Arn"}}
			}
			body := map[string]any{"Type": "AWS::CloudTrail::Trail", "Properties": map[string]any{"TrailName": pr.Name, "S3BucketName": pr.S3BucketName,
				"IsMultiRegionTrail": pr.IsMultiRegionTrail, "IncludeGlobalServiceEvents": pr.IncludeGlobalServiceEvents, "EnableLogFileValidation": pr.EnableLogFileValidation,
				"IsLogging": true, "CloudWatchLogsLogGroupArn": groupARN, "CloudWatchLogsRoleArn": roleARN}}
			var deps []string
			for _, d := range made[s.ResourceID] {
				if sameStack(d, s) {
					deps = append(deps, d)
				}
			}
			if len(deps) > 0 {
				body["DependsOn"] = deps
			}
			res = append(res, resource{logical("Trail", s.AccountID+" "+pr.Name), body, s})
		case PutRetentionPolicyInput:
			if _, set := retention[s.AccountID+"/"+s.Region+"/"+pr.LogGroupName]; s.Existing == nil && set {
				continue // set by the log group created above (RetentionInDays): no change to an existing resource
			}
			changes = append(changes, map[string]any{"Resource": s.ResourceID, "Account": s.AccountID, "Region": s.Region, "Call": s.Action, "Parameters": s.Params, "Why": s.Why})
		case StartLoggingInput:
			if !newTrails[s.ResourceID] {
				changes = append(changes, map[string]any{"Resource": s.ResourceID, "Account": s.AccountID, "Region": s.Region, "Call": s.Action, "Parameters": s.Params, "Why": s.Why})
			}
		case PutMetricFilterInput, PutMetricAlarmInput, CreateTopicInput, SubscribeInput:
			id, body := alarmCloudFormation(s, logical, cfnIDs, parameters)
			res = append(res, resource{id, body, s})
		case CreateTelemetryRuleInput, CreateTelemetryRuleForOrganizationInput:
			// AWS::ObservabilityAdmin::TelemetryRule has no AllRegions (a stack is regional): the rule is written
			// without it, and the stack is deployed in every region (a StackSet), as Metadata says.
			name, r := telemetryRuleOf(s)
			rule := map[string]any{}
			for k, v := range r {
				if k != "AllRegions" && k != "Regions" {
					rule[k] = v
				}
			}
			// One template for every account (a StackSet): each rule is made only in its own account, since every
			// account's rule has the same name (field trial: three same-named rules in one stack conflict).
			cond := "InAccount" + s.AccountID
			conditions[cond] = map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "AWS::AccountId"}, s.AccountID}}
			typ, prefix := "AWS::ObservabilityAdmin::TelemetryRule", "TelemetryRule"
			if s.Action == CreateTelemetryRuleForOrganization {
				// The organization's rule (CloudFormation Template Reference, AWS::ObservabilityAdmin::OrganizationTelemetryRule:
				// Rule, RuleName, Tags), made from the management account or a delegated administrator.
				typ, prefix = "AWS::ObservabilityAdmin::OrganizationTelemetryRule", "OrganizationTelemetryRule"
			}
			res = append(res, resource{logical(prefix, s.AccountID+" "+name),
				map[string]any{"Type": typ, "Condition": cond, "Properties": map[string]any{"RuleName": name, "Rule": rule}}, s})
			changes = append(changes, map[string]any{"Resource": s.ResourceID, "Account": s.AccountID, "Region": s.Region, "Call": "deploy this template in every region of the account (a StackSet)",
				"Why": typ + " applies in the stack's region only; the plan's rule applies in every region (AllRegions)"})
		default:
			changes = append(changes, map[string]any{"Resource": s.ResourceID, "Account": s.AccountID, "Region": s.Region, "Call": s.Action, "Parameters": s.Params, "Why": s.Why})
		}
	}
	resources := map[string]any{}
	for _, r := range res {
		if r.body["Condition"] == nil {
			r.body["Condition"] = where(r.step)
		}
		resources[r.id] = r.body
	}
	tpl := map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description":              "Written by trailwatch fix plan --format cloudformation: what the fix creates. Deploy in each account and region named in Metadata.",
		"Resources":                resources,
	}
	if len(outputs) > 0 {
		tpl["Outputs"] = outputs
	}
	if len(parameters) > 0 {
		tpl["Parameters"] = parameters
	}
	if len(conditions) > 0 {
		tpl["Conditions"] = conditions
	}
	refused := []map[string]string{}
	for _, r := range p.Refused {
		refused = append(refused, map[string]string{"Resource": r.ResourceID, "Reason": r.Reason})
	}
	tpl["Metadata"] = map[string]any{"trailwatch": map[string]any{
		"ChangesToExistingResources": changes,
		"Note":                       "A template changes an existing trail, log group or role only once it is imported into the stack that manages it; otherwise apply these calls (fix apply) or edit that stack.",
		"Refused":                    refused,
	}}
	if len(resources) == 0 {
		// A template needs at least one resource: a no-op wait condition handle keeps it deployable.
		resources["TrailwatchNothingToCreate"] = map[string]any{"Type": "AWS::CloudFormation::WaitConditionHandle"}
	}
	out, _ := json.MarshalIndent(tpl, "", "  ")
	return string(out) + "\n"
}

// writeTelemetryRuleTerraform renders a CreateTelemetryRule step as aws_observabilityadmin_telemetry_rule (its blocks
// as the provider's documentation names them: rule, destination_configuration, cloudtrail_parameters,
// advanced_event_selectors, field_selectors), after the evaluation it depends on when the plan starts it.
func writeTelemetryRuleTerraform(b *strings.Builder, s Step, prov, evaluation string) {
	name, rule := telemetryRuleOf(s)
	dest, _ := rule["DestinationConfiguration"].(map[string]any)
	typ, addr := "aws_observabilityadmin_telemetry_rule", tfName("telemetry_rule", s.AccountID)
	if s.Action == CreateTelemetryRuleForOrganization {
		// The organization's rule (Terraform AWS provider, aws_observabilityadmin_telemetry_rule_for_organization: the
		// account rule's arguments; management account only, after the organization's evaluation).
		typ, addr = "aws_observabilityadmin_telemetry_rule_for_organization", tfName("telemetry_rule_for_organization", s.ResourceID)
		fmt.Fprintf(b, "# %s: the provider documents this resource for the organization's management account. Planned from account %s:\n# if that is a delegated administrator, run the AWS CLI commands instead (the API allows either).\n", s.ResourceID, s.AccountID)
	}
	fmt.Fprintf(b, "resource %q %q {\n  provider  = %s\n  rule_name = %s\n\n  rule {\n", typ, addr, prov, hclString(name))
	fmt.Fprintf(b, "    resource_type  = %s\n    telemetry_type = %s\n", hclString(rule["ResourceType"]), hclString(rule["TelemetryType"]))
	if rule["AllRegions"] == true {
		b.WriteString("    all_regions    = true\n")
	}
	fmt.Fprintf(b, "\n    destination_configuration {\n      destination_type  = %s\n      retention_in_days = %v\n", hclString(dest["DestinationType"]), dest["RetentionInDays"])
	if cp, ok := dest["CloudtrailParameters"].(map[string]any); ok {
		b.WriteString("\n      cloudtrail_parameters {\n")
		for _, sel := range objects(cp["AdvancedEventSelectors"]) {
			fmt.Fprintf(b, "        advanced_event_selectors {\n          name = %s\n", hclString(sel["Name"]))
			for _, f := range objects(sel["FieldSelectors"]) {
				var eq []string
				for _, v := range ruleStrings(f["Equals"]) {
					eq = append(eq, hclString(v))
				}
				fmt.Fprintf(b, "\n          field_selectors {\n            field  = %s\n            equals = [%s]\n          }\n", hclString(f["Field"]), strings.Join(eq, ", "))
			}
			b.WriteString("        }\n")
		}
		b.WriteString("      }\n")
	}
	b.WriteString("    }\n  }\n")
	if evaluation != "" {
		fmt.Fprintf(b, "\n  depends_on = [%s]\n", evaluation)
	}
	b.WriteString("}\n\n")
}

// topicARNOf is the ARN of the topic a CreateTopic step creates.
// logicalID is a CloudFormation logical id: prefix and the alphanumeric runs of s, each capitalised; placeholders of
// what IaC knows only at deployment ("${account}") are left out.
func logicalID(prefix, s string) string {
	parts := strings.FieldsFunc(placeholder.ReplaceAllString(s, ""), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') })
	var b strings.Builder
	b.WriteString(prefix)
	for _, p := range parts {
		b.WriteString(strings.ToUpper(p[:1]) + p[1:])
	}
	return b.String()
}

func topicARNOf(s Step) string {
	p, _ := s.Params.(CreateTopicInput)
	return awsarn.Topic(partitionOfRegion(s.Region), s.Region, s.AccountID, p.Name)
}

func partitionOfRegion(region string) string {
	if region == "${region}" {
		return "${partition}" // infrastructure as code: both are known only at deployment
	}
	return partition.OfRegion(region).Name
}

// writeAlarmTerraform renders one alarm-chain step as Terraform: the filter, alarm, topic and subscription the plan
// creates reference each other; an existing alarm whose actions are disabled gets a comment (its code lives elsewhere).
func writeAlarmTerraform(b *strings.Builder, s Step, prov string, addrs map[string]string) {
	ref := func(arn string) string {
		if a := addrs[arn]; a != "" {
			return a + ".arn"
		}
		return hclString(arn)
	}
	switch pr := s.Params.(type) {
	case CreateTopicInput:
		addr := tfName("topic", s.AccountID+"_"+s.Region+"_"+pr.Name)
		addrs[topicARNOf(s)] = "aws_sns_topic." + addr
		fmt.Fprintf(b, "resource \"aws_sns_topic\" %q {\n  provider = %s\n  name     = %s\n", addr, prov, hclString(pr.Name))
		writeTags(b, pr.Tags)
		b.WriteString("}\n\n")
	case SubscribeInput:
		addr := tfName("subscription", s.AccountID+"_"+pr.TopicArn+"_"+pr.Protocol+"_"+endpointName(pr))
		endpoint := hclString(pr.Endpoint)
		if secretEndpoint(pr) {
			// Never a literal: the URL may carry the webhook's secret. A sensitive variable, set by whoever applies,
			// one per endpoint whatever the topics it is subscribed to (review: one per topic asked for it twice).
			name := tfName("alarm_endpoint", endpointName(pr))
			endpoint = "var." + name
			if addrs["variable/"+name] == "" {
				addrs["variable/"+name] = name
				fmt.Fprintf(b, "variable %q {\n  description = %s\n  type        = string\n  sensitive   = true\n}\n\n", name,
					hclString("The "+pr.Protocol+" endpoint the CIS alarms notify ("+redact.URL(pr.Endpoint)+"): set TF_VAR_"+name+"; it may carry a secret, so it is not written here"))
			}
		}
		fmt.Fprintf(b, "resource \"aws_sns_topic_subscription\" %q {\n  provider  = %s\n  topic_arn = %s\n  protocol  = %s\n  endpoint  = %s\n}\n\n",
			addr, prov, ref(pr.TopicArn), hclString(pr.Protocol), endpoint)
	case PutMetricFilterInput:
		addr := tfName("metric_filter", s.AccountID+"_"+s.Region+"_"+pr.LogGroupName+"_"+pr.FilterName)
		if len(pr.MetricTransformations) == 0 {
			return
		}
		t := pr.MetricTransformations[0]
		addrs[s.AccountID+"/"+s.Region+"/"+t.MetricNamespace+"/"+t.MetricName] = "aws_cloudwatch_log_metric_filter." + addr
		fmt.Fprintf(b, "resource \"aws_cloudwatch_log_metric_filter\" %q {\n  provider       = %s\n  name           = %s\n  log_group_name = %s\n  pattern        = %s\n  metric_transformation {\n    name      = %s\n    namespace = %s\n    value     = %s\n  }\n}\n\n",
			addr, prov, hclString(pr.FilterName), hclString(pr.LogGroupName), hclString(pr.FilterPattern),
			hclString(t.MetricName), hclString(t.MetricNamespace), hclString(t.MetricValue))
	case PutMetricAlarmInput:
		addr := tfName("alarm", s.AccountID+"_"+s.Region+"_"+pr.AlarmName)
		var actions []string
		for _, a := range pr.AlarmActions {
			actions = append(actions, ref(a))
		}
		fmt.Fprintf(b, "resource \"aws_cloudwatch_metric_alarm\" %q {\n  provider            = %s\n  alarm_name          = %s\n", addr, prov, hclString(pr.AlarmName))
		if pr.AlarmDescription != "" {
			fmt.Fprintf(b, "  alarm_description   = %s\n", hclString(pr.AlarmDescription))
		}
		fmt.Fprintf(b, "  namespace           = %s\n  metric_name         = %s\n  statistic           = %s\n  period              = %v\n  evaluation_periods  = %v\n",
			hclString(pr.Namespace), hclString(pr.MetricName), hclString(pr.Statistic), pr.Period, pr.EvaluationPeriods)
		if pr.DatapointsToAlarm > 0 {
			fmt.Fprintf(b, "  datapoints_to_alarm = %v\n", pr.DatapointsToAlarm)
		}
		fmt.Fprintf(b, "  threshold           = %v\n  comparison_operator = %s\n", pr.Threshold, hclString(pr.ComparisonOperator))
		if pr.TreatMissingData != "" {
			fmt.Fprintf(b, "  treat_missing_data  = %s\n", hclString(pr.TreatMissingData))
		}
		fmt.Fprintf(b, "  actions_enabled     = true\n  alarm_actions       = [%s]\n", strings.Join(actions, ", "))
		if f := addrs[s.AccountID+"/"+s.Region+"/"+pr.Namespace+"/"+pr.MetricName]; f != "" {
			fmt.Fprintf(b, "  depends_on          = [%s]\n", f)
		}
		b.WriteString("}\n\n")
	case EnableAlarmActionsInput:
		fmt.Fprintf(b, "# %s: alarm %s exists with its actions disabled: set actions_enabled = true where it is managed,\n# or run: %s\n\n",
			s.ResourceID, strings.Join(pr.AlarmNames, ", "), s.CLI)
	}
}

// cfnTags are tags as CloudFormation lists them (Key, Value), sorted by key.
func cfnTags(tags map[string]string) []map[string]string {
	var out []map[string]string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, map[string]string{"Key": k, "Value": tags[k]})
	}
	return out
}

// secretEndpoint reports whether a subscription's endpoint may carry a secret: an http(s) URL (a webhook's path or
// query, a user:password). Renderings never write it: the CLI shows its host, code takes it from a sensitive input.
func secretEndpoint(p SubscribeInput) bool {
	return p.Protocol == "http" || p.Protocol == "https"
}

// endpointName names a subscription's endpoint in a resource name or logical id: a URL by its host and a short hash of
// the whole (field trial: the names carried the webhook's secret into plan output, state and stack events).
func endpointName(p SubscribeInput) string {
	if !secretEndpoint(p) {
		return p.Endpoint
	}
	host := p.Endpoint
	if u, err := url.Parse(p.Endpoint); err == nil {
		host = u.Hostname()
	}
	sum := sha256.Sum256([]byte(p.Endpoint))
	return host + "_" + hex.EncodeToString(sum[:4])
}

// alarmCloudFormation renders one alarm-chain step (a filter, alarm, topic or subscription) as a CloudFormation
// resource. A subscription whose endpoint may carry a secret takes it from a NoEcho parameter, added to params (nil:
// the caller declares none, and the reference is left for the reader to declare).
func alarmCloudFormation(s Step, logical func(prefix, s string) string, ids map[string]string, params map[string]any) (string, map[string]any) {
	ref := func(arn string) any {
		if id := ids[arn]; id != "" {
			return map[string]any{"Ref": id}
		}
		return arn
	}
	switch pr := s.Params.(type) {
	case CreateTopicInput:
		id := logical("Topic", s.AccountID+" "+s.Region+" "+pr.Name)
		ids[topicARNOf(s)] = id
		return id, map[string]any{"Type": "AWS::SNS::Topic", "Properties": map[string]any{"TopicName": pr.Name, "Tags": cfnTags(pr.Tags)}}
	case SubscribeInput:
		id := logical("Subscription", s.AccountID+" "+pr.TopicArn+" "+pr.Protocol+" "+endpointName(pr))
		var endpoint any = pr.Endpoint
		if secretEndpoint(pr) {
			name := logical("AlarmEndpoint", endpointName(pr)) // one per endpoint, whatever its topics
			endpoint = map[string]any{"Ref": name}
			if params != nil {
				params[name] = map[string]any{"Type": "String", "NoEcho": true,
					"Description": "The " + pr.Protocol + " endpoint the CIS alarms notify (" + redact.URL(pr.Endpoint) + "): it may carry a secret, so it is not written here"}
			}
		}
		return id, map[string]any{"Type": "AWS::SNS::Subscription", "Properties": map[string]any{"TopicArn": ref(pr.TopicArn),
			"Protocol": pr.Protocol, "Endpoint": endpoint}}
	case PutMetricFilterInput:
		id := logical("MetricFilter", s.AccountID+" "+s.Region+" "+pr.LogGroupName+" "+pr.FilterName)
		var ts []map[string]any
		for _, t := range pr.MetricTransformations {
			ts = append(ts, map[string]any{"MetricName": t.MetricName, "MetricNamespace": t.MetricNamespace, "MetricValue": t.MetricValue})
			ids[s.AccountID+"/"+s.Region+"/"+t.MetricNamespace+"/"+t.MetricName] = id
		}
		return id, map[string]any{"Type": "AWS::Logs::MetricFilter", "Properties": map[string]any{"LogGroupName": pr.LogGroupName,
			"FilterName": pr.FilterName, "FilterPattern": pr.FilterPattern, "MetricTransformations": ts}}
	}
	pr, _ := s.Params.(PutMetricAlarmInput)
	id := logical("Alarm", s.AccountID+" "+s.Region+" "+pr.AlarmName)
	var actions []any
	for _, a := range pr.AlarmActions {
		actions = append(actions, ref(a))
	}
	props := map[string]any{"AlarmName": pr.AlarmName, "Namespace": pr.Namespace, "MetricName": pr.MetricName,
		"Statistic": pr.Statistic, "Period": pr.Period, "EvaluationPeriods": pr.EvaluationPeriods, "Threshold": pr.Threshold,
		"ComparisonOperator": pr.ComparisonOperator, "ActionsEnabled": true, "AlarmActions": actions}
	if pr.AlarmDescription != "" {
		props["AlarmDescription"] = pr.AlarmDescription
	}
	if pr.DatapointsToAlarm > 0 {
		props["DatapointsToAlarm"] = pr.DatapointsToAlarm
	}
	if pr.TreatMissingData != "" {
		props["TreatMissingData"] = pr.TreatMissingData
	}
	body := map[string]any{"Type": "AWS::CloudWatch::Alarm", "Properties": props}
	if f := ids[s.AccountID+"/"+s.Region+"/"+pr.Namespace+"/"+pr.MetricName]; f != "" {
		body["DependsOn"] = []string{f}
	}
	return id, body
}
