package remediate

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"gopkg.in/yaml.v3"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/delivery"
	"github.com/trailwatch/trailwatch/internal/model"
)

// FixIaC fills the Fix of each failing or warning integration finding on infrastructure as code with the code that
// fixes its trail in the trail's own language, rendered from the fix plan's steps for that trail: the plan decides
// what to create and what to change (planTrail, as for a live account: the same log group and role names, the same
// refusals), and this renderer says it as code: the user's own resources are edited where they are declared (their
// addresses and lines), new resources are written only for what the plan creates. findings[i] is trails[i]'s
// finding, as controls.EvaluateIaC returns them.
func FixIaC(trails []*model.Trail, findings []model.Finding, o Options) {
	o = withDefaults(o)
	for i := range findings {
		f := &findings[i]
		if i >= len(trails) || f.ControlID != controls.IntegrationID || f.Status != model.StatusFail && f.Status != model.StatusWarn {
			continue
		}
		t := trails[i]
		steps := iacSteps(t, *f, o)
		if len(steps) == 0 {
			continue
		}
		if iacKind(t) == "terraform" {
			f.Fix = iacTerraform(t, f, steps)
		} else {
			f.Fix = iacCloudFormation(t, f, steps)
		}
	}
}

func iacKind(t *model.Trail) string {
	if t.Source != nil && (strings.HasSuffix(t.Source.File, ".tf") || strings.HasSuffix(t.Source.File, ".tf.json") || strings.Contains(t.Source.Address, "aws_cloudtrail.")) {
		return "terraform"
	}
	return "cloudformation"
}

// iacSteps plans the trail's fix as for a live account whose trail, log group and role are as the code declares them
// (placeholders stand for the partition, region and account known only at deployment). A retention below the minimum,
// which the IaC integration finding carries, is planned through the retention control's step.
func iacSteps(t *model.Trail, f model.Finding, o Options) []Step {
	tc := *t
	part, region, acct := awsarn.Partition(t.ARN), "", ""
	if a, err := arn.Parse(t.ARN); err == nil { // placeholders ("${region}") are ARN sections like any other
		region, acct = a.Region, a.AccountID
	}
	tc.OwnerAccount, tc.HomeRegion, tc.OwnedElsewhere = acct, region, false
	if t.RoleARN != "" && t.Role == nil {
		// A role the code names but does not declare is judged after deployment (the finding says so): the plan
		// leaves it as it is, as it would a role that trusts CloudTrail and may write.
		tc.Role = &model.Role{Name: awsarn.RoleName(t.RoleARN), ARN: t.RoleARN, Exists: true, Trust: delivery.TrustPolicy,
			Policies: []model.PolicyDoc{{Name: "declared elsewhere", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`}}}
	}
	fs := []model.Finding{{ControlID: controls.IntegrationID, Status: model.StatusFail, ResourceType: model.TypeTrail, ResourceID: tc.ARN, Reasons: f.Reasons}}
	for _, r := range f.Reasons {
		if r.Code == controls.RetentionTooShort && t.LogGroup != nil {
			fs = append(fs, model.Finding{ControlID: controls.RetentionID, Status: model.StatusFail, AccountID: acct, Region: region,
				ResourceID: strings.TrimSuffix(t.LogGroupARN, ":*")})
		}
	}
	inv := &model.Inventory{Partition: part, Accounts: []*model.Account{{ID: acct, Trails: []*model.Trail{&tc}}}}
	return NewPlan(inv, fs, o).Steps
}

// declared is a resource's address when the code declares it, else "".
func declared(loc *model.Location) string {
	if loc == nil {
		return ""
	}
	return loc.Address
}

// at names a declaration for an edit: "aws_cloudwatch_log_group.ct (main.tf:12)".
func at(loc *model.Location, fallback string) string {
	if loc == nil || loc.Address == "" {
		return fallback
	}
	return fmt.Sprintf("%s (%s:%d)", loc.Address, loc.File, loc.Line)
}

func groupOf(t *model.Trail) *model.Location {
	if t.LogGroup != nil {
		return t.LogGroup.Source
	}
	return nil
}

func roleOf(t *model.Trail) *model.Location {
	if t.Role != nil {
		return t.Role.Source
	}
	return nil
}

// trustHCL is delivery.TrustPolicy as an HCL jsonencode argument.
func trustHCL() string {
	return `jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Principal = {Service = "cloudtrail.amazonaws.com"}, Action = "sts:AssumeRole"}]})`
}

func iacTerraform(t *model.Trail, f *model.Finding, steps []Step) string {
	var b strings.Builder
	// The group's ARN without ":*" and the role, as HCL template content and expression.
	groupARN := ""
	if a := declared(groupOf(t)); strings.Contains(a, "aws_cloudwatch_log_group.") {
		groupARN = "${" + a + ".arn}"
	} else if t.LogGroupARN != "" {
		groupARN = strings.Trim(tfLiteral(strings.TrimSuffix(t.LogGroupARN, ":*")), `"`)
	}
	roleRef := ""
	if a := declared(roleOf(t)); strings.Contains(a, "aws_iam_role.") {
		roleRef = a
	}
	retention := createdRetention(steps)
	for _, s := range steps {
		switch pr := s.Params.(type) {
		case CreateLogGroupInput:
			if hasCode(f, controls.LogGroupElsewhere) {
				b.WriteString("# the log group must be in the trail's own account and region: declare it with the trail's provider\n")
			}
			fmt.Fprintf(&b, "resource \"aws_cloudwatch_log_group\" \"cloudtrail\" {\n  name              = %s\n", hclString(pr.LogGroupName))
			if t.Provider != "" {
				// In the trail's own region: with the trail's provider (field trial: an aliased trail's group was
				// declared with the default provider, in another region).
				fmt.Fprintf(&b, "  provider          = %s\n", t.Provider)
			}
			if d, ok := retention[s.AccountID+"/"+s.Region+"/"+pr.LogGroupName]; ok {
				fmt.Fprintf(&b, "  retention_in_days = %v\n", d)
			}
			b.WriteString("}\n\n")
			groupARN = "${aws_cloudwatch_log_group.cloudtrail.arn}"
		case PutRetentionPolicyInput:
			if s.Existing != nil {
				fmt.Fprintf(&b, "# in %s:\nretention_in_days = %v\n\n", at(groupOf(t), "the aws_cloudwatch_log_group"), pr.RetentionInDays)
			}
		case CreateRoleInput:
			fmt.Fprintf(&b, "resource \"aws_iam_role\" \"cloudtrail_cloudwatch\" {\n  name               = %s\n  assume_role_policy = %s\n}\n\n", hclString(pr.RoleName), trustHCL())
			roleRef = "aws_iam_role.cloudtrail_cloudwatch"
		case UpdateAssumeRolePolicyInput:
			fmt.Fprintf(&b, "# in %s:\nassume_role_policy = %s\n\n", at(roleOf(t), "the aws_iam_role"), trustHCL())
		case PutRolePolicyInput:
			role := hclString(pr.RoleName)
			if roleRef != "" {
				role = roleRef + ".id"
			}
			fmt.Fprintf(&b, "resource \"aws_iam_role_policy\" \"cloudtrail_cloudwatch\" {\n  name   = %s\n  role   = %s\n  policy = jsonencode({Version = \"2012-10-17\", Statement = [{Effect = \"Allow\", Action = [\"logs:CreateLogStream\", \"logs:PutLogEvents\"], Resource = \"%s:log-stream:*\"}]})\n}\n\n",
				hclString(pr.PolicyName), role, groupARN)
		case UpdateTrailInput:
			role := tfLiteral(pr.CloudWatchLogsRoleArn)
			if roleRef != "" {
				role = roleRef + ".arn"
			}
			fmt.Fprintf(&b, "# in %s:\ncloud_watch_logs_group_arn = \"%s:*\"   # CloudTrail requires the \":*\"\ncloud_watch_logs_role_arn  = %s\n\n", at(t.Source, f.ResourceID), groupARN, role)
		case StartLoggingInput:
			fmt.Fprintf(&b, "# in %s:\nenable_logging = true\n\n", at(t.Source, f.ResourceID))
		}
	}
	out := b.String()
	// What only deployment decides, said as Terraform says it (the fix must not carry trailwatch's own placeholders:
	// field trial, a fix held a literal "${account}").
	var data []string
	for _, d := range tfPlaceholders {
		if strings.Contains(out, d.expr) {
			data = append(data, d.decl)
		}
	}
	if len(data) > 0 {
		out = strings.Join(data, "\n") + "\n\n" + out
	}
	return strings.TrimSpace(string(hclwrite.Format([]byte(out))))
}

// tfPlaceholders are the data sources that give what an adapter's placeholder stands for.
var tfPlaceholders = []struct{ tok, expr, decl string }{
	{"${partition}", "${data.aws_partition.current.partition}", `data "aws_partition" "current" {}`},
	{"${region}", "${data.aws_region.current.name}", `data "aws_region" "current" {}`},
	{"${account}", "${data.aws_caller_identity.current.account_id}", `data "aws_caller_identity" "current" {}`},
}

// tfLiteral quotes s as an HCL string, with the adapters' placeholders as the data sources that give their values.
func tfLiteral(s string) string {
	q := hclString(s)
	for _, d := range tfPlaceholders {
		q = strings.ReplaceAll(q, "$"+d.tok, d.expr)
	}
	return q
}

// cfnLiteral is s as a CloudFormation value: a quoted string, or, when it holds the adapters' placeholders, a !Sub of
// the pseudo parameters they stand for.
func cfnLiteral(s string) string {
	if !strings.Contains(s, "${") {
		return yamlString(s)
	}
	return "!Sub " + yamlString(strings.NewReplacer("${partition}", "${AWS::Partition}", "${region}", "${AWS::Region}", "${account}", "${AWS::AccountId}").Replace(s))
}

func iacCloudFormation(t *model.Trail, f *model.Finding, steps []Step) string {
	var b strings.Builder
	group, role := declared(groupOf(t)), declared(roleOf(t)) // logical ids
	literalGroup := strings.TrimSuffix(t.LogGroupARN, ":*")
	retention := createdRetention(steps)
	var policy *PutRolePolicyInput
	for _, s := range steps {
		if p, ok := s.Params.(PutRolePolicyInput); ok {
			policy = &p
		}
	}
	groupARN := func() string { // the group's ARN with ":*"
		if group != "" {
			return "!GetAtt " + group + ".Arn"
		}
		return cfnLiteral(literalGroup + ":*")
	}
	streams := func() string {
		if group != "" {
			return fmt.Sprintf(`!Sub "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${%s}:log-stream:*"`, group)
		}
		return cfnLiteral(literalGroup + ":log-stream:*")
	}
	policyYAML := func(indent string) string {
		return fmt.Sprintf("%s- PolicyName: %s\n%s  PolicyDocument:\n%s    Version: \"2012-10-17\"\n%s    Statement: [{Effect: Allow, Action: [logs:CreateLogStream, logs:PutLogEvents], Resource: %s}]\n",
			indent, policy.PolicyName, indent, indent, indent, streams())
	}
	var resources, edits strings.Builder
	for _, s := range steps {
		switch pr := s.Params.(type) {
		case CreateLogGroupInput:
			if hasCode(f, controls.LogGroupElsewhere) {
				resources.WriteString("  # the log group must be in the trail's own account and region: declare it in the trail's stack\n")
			}
			fmt.Fprintf(&resources, "  CloudTrailLogGroup:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      LogGroupName: %s\n", yamlString(pr.LogGroupName))
			if d, ok := retention[s.AccountID+"/"+s.Region+"/"+pr.LogGroupName]; ok {
				fmt.Fprintf(&resources, "      RetentionInDays: %v\n", d)
			}
			group = "CloudTrailLogGroup"
		case PutRetentionPolicyInput:
			if s.Existing != nil {
				fmt.Fprintf(&edits, "# in %s Properties:\nRetentionInDays: %v\n", at(groupOf(t), "the AWS::Logs::LogGroup"), pr.RetentionInDays)
			}
		case CreateRoleInput:
			fmt.Fprintf(&resources, "  CloudTrailCloudWatchRole:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: %s\n      AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement: [{Effect: Allow, Principal: {Service: cloudtrail.amazonaws.com}, Action: sts:AssumeRole}]\n",
				yamlString(pr.RoleName))
			if policy != nil {
				resources.WriteString("      Policies:\n" + policyYAML("        "))
			}
			role = "CloudTrailCloudWatchRole"
		case UpdateAssumeRolePolicyInput:
			fmt.Fprintf(&edits, "# in %s Properties:\nAssumeRolePolicyDocument: {Version: \"2012-10-17\", Statement: [{Effect: Allow, Principal: {Service: cloudtrail.amazonaws.com}, Action: sts:AssumeRole}]}\n", at(roleOf(t), "the AWS::IAM::Role"))
		case PutRolePolicyInput:
			if role != "CloudTrailCloudWatchRole" {
				fmt.Fprintf(&edits, "# in %s Properties, add to Policies:\nPolicies:\n%s", at(roleOf(t), "the AWS::IAM::Role "+pr.RoleName), policyYAML(""))
			}
		case UpdateTrailInput:
			roleARN := cfnLiteral(pr.CloudWatchLogsRoleArn)
			if role != "" {
				roleARN = "!GetAtt " + role + ".Arn"
			}
			fmt.Fprintf(&edits, "# in %s Properties:\nCloudWatchLogsLogGroupArn: %s\nCloudWatchLogsRoleArn: %s\n", at(t.Source, f.ResourceID), groupARN(), roleARN)
		case StartLoggingInput:
			fmt.Fprintf(&edits, "# in %s Properties:\nIsLogging: true\n", at(t.Source, f.ResourceID))
		}
	}
	if resources.Len() > 0 {
		b.WriteString("# add under Resources:\n" + resources.String())
	}
	b.WriteString(edits.String())
	return strings.TrimSpace(b.String())
}

func hasCode(f *model.Finding, code string) bool {
	for _, r := range f.Reasons {
		if r.Code == code {
			return true
		}
	}
	return false
}

// yamlString quotes s as a YAML (and JSON) string.
func yamlString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}

// FixIaCAlarms fills the Fix of each failing alarm finding of one root module or template with the code that completes
// its chain, rendered from the plan's alarm steps for it (alarmSteps, as fix plan --alarms plans them from the
// finding's evidence: a filter with the published pattern, an alarm that fires on one event, a topic): resources in
// the finding's language, naming the declared log group by reference. trails and mon are what the unit declares.
func FixIaCAlarms(trails []*model.Trail, mon *model.Monitoring, findings []model.Finding, items []alarms.Item, o Options) {
	o = withDefaults(o)
	if mon != nil {
		// A topic the code declares with subscribers a person confirms after the apply (email, https) is the team's
		// alarm topic: the fix notifies it rather than declaring another (field trial).
		m := *mon
		m.Topics = map[string]*model.Topic{}
		for arn, t := range mon.Topics {
			tc := *t
			if tc.Confirmed == 0 && tc.Unconfirmable > 0 && tc.Err == nil {
				tc.Confirmed = tc.Unconfirmable
			}
			m.Topics[arn] = &tc
		}
		mon = &m
	}
	accounts := map[string]*model.Account{}
	var inv model.Inventory
	addGroup := func(lg *model.LogGroup, t *model.Trail) {
		g, ok := awsarn.ParseLogGroup(lg.ARN)
		if !ok {
			return
		}
		a := accounts[g.Account]
		if a == nil {
			a = &model.Account{ID: g.Account, Monitoring: mon}
			accounts[g.Account] = a
			inv.Accounts = append(inv.Accounts, a)
		}
		a.Trails = append(a.Trails, &model.Trail{ARN: t.ARN, LogGroupARN: lg.ARN, LogGroup: lg, Source: t.Source})
	}
	for _, t := range trails {
		if t.LogGroup != nil && t.LogGroup.ARN != "" {
			addGroup(t.LogGroup, t)
		}
	}
	if mon != nil {
		for _, lg := range mon.UnfedGroups {
			addGroup(lg, &model.Trail{ARN: lg.ARN, Source: lg.Source})
		}
	}
	// A topic the fixes create is declared in the first fix that needs it; the others notify it (pasting every fix
	// declared it thirteen times: field trial).
	declaredBy := map[string]string{}
	for i := range findings {
		f := &findings[i]
		if !controls.IsAlarmControl(f.ControlID) || f.Status != model.StatusFail {
			continue
		}
		c, ok := chainOf(&inv, *f, items)
		if !ok || c.LogGroup == nil || c.Code == controls.NoMonitoredTrail {
			continue
		}
		steps := alarmSteps(c, o)
		if len(steps) == 0 {
			continue
		}
		src := c.LogGroup.Source
		if c.Trail != nil && c.Trail.Source != nil {
			src = c.Trail.Source
		}
		if src != nil && (strings.HasSuffix(src.File, ".tf") || strings.HasSuffix(src.File, ".tf.json")) {
			f.Fix = alarmTerraform(c.LogGroup, mon, steps, declaredBy)
		} else {
			f.Fix = alarmCFN(c.LogGroup, mon, steps, declaredBy)
		}
		for _, s := range steps {
			if s.Action == CreateTopic && declaredBy[topicARNOf(s)] == "" {
				declaredBy[topicARNOf(s)] = f.ControlID
			}
		}
	}
}

var providerLine = regexp.MustCompile(`(?m)^\s*provider\s*=\s*\n`)

// alarmTerraform renders alarm steps as resources to add to the root module, naming a declared log group by
// reference.
func alarmTerraform(lg *model.LogGroup, mon *model.Monitoring, steps []Step, declaredBy map[string]string) string {
	var b strings.Builder
	addrs := declaredTopics(mon, "aws_sns_topic.")
	created := false
	for _, s := range steps {
		switch pr := s.Params.(type) {
		case CreateTopicInput:
			if by := declaredBy[topicARNOf(s)]; by != "" {
				var discard strings.Builder
				writeAlarmTerraform(&discard, s, "", addrs) // its address, for the alarm below
				fmt.Fprintf(&b, "# the topic %s is declared in the fix of %s\n\n", addrs[topicARNOf(s)], by)
				continue
			}
			writeAlarmTerraform(&b, s, "", addrs)
			created = true
		case PutMetricFilterInput, PutMetricAlarmInput, SubscribeInput:
			writeAlarmTerraform(&b, s, "", addrs)
		case EnableAlarmActionsInput:
			fmt.Fprintf(&b, "# alarm %s: set actions_enabled = true where it is declared\n\n", strings.Join(pr.AlarmNames, ", "))
		}
	}
	out := providerLine.ReplaceAllString(b.String(), "")
	if a := declaredGroup(lg); strings.Contains(a, "aws_cloudwatch_log_group.") {
		out = strings.ReplaceAll(out, "log_group_name = "+hclString(lg.Name), "log_group_name = "+a+".name")
	}
	if created {
		out += "# subscribe an endpoint to the topic (aws_sns_topic_subscription; SQS, Lambda or Firehose in this account confirm at once):\n# an alarm nobody receives monitors nothing\n"
	}
	return strings.TrimSpace(string(hclwrite.Format([]byte(out))))
}

// alarmCFN renders alarm steps as resources to add under the template's Resources.
func alarmCFN(lg *model.LogGroup, mon *model.Monitoring, steps []Step, declaredBy map[string]string) string {
	ids := declaredTopics(mon, "")
	var b strings.Builder
	created := false
	for _, s := range steps {
		switch pr := s.Params.(type) {
		case PutMetricFilterInput, PutMetricAlarmInput, CreateTopicInput, SubscribeInput:
			id, body := alarmCloudFormation(s, logicalID, ids, nil) // no subscription endpoints in IaC fixes (no --notify)
			if by := declaredBy[topicARNOf(s)]; s.Action == CreateTopic && by != "" {
				fmt.Fprintf(&b, "  # the topic %s is declared in the fix of %s\n", id, by)
				continue
			}
			if props, ok := body["Properties"].(map[string]any); ok && s.Action == PutMetricFilter && declaredGroup(lg) != "" {
				props["LogGroupName"] = map[string]any{"Ref": declaredGroup(lg)}
			}
			var y strings.Builder
			enc := yaml.NewEncoder(&y)
			enc.SetIndent(2)
			_ = enc.Encode(map[string]any{id: subPlaceholders(body)})
			b.WriteString(indent(y.String(), "  "))
			created = created || s.Action == CreateTopic
		case EnableAlarmActionsInput:
			fmt.Fprintf(&b, "  # alarm %s: set ActionsEnabled: true where it is declared\n", strings.Join(pr.AlarmNames, ", "))
		}
	}
	out := "# add under Resources:\n" + b.String()
	if created {
		out += "# subscribe an endpoint to the topic (AWS::SNS::Subscription; SQS, Lambda or Firehose in this account confirm at once):\n# an alarm nobody receives monitors nothing\n"
	}
	return strings.TrimSpace(out)
}

// declaredTopics maps the ARN of each topic the code declares to its address (Terraform, with prefix) or logical id
// (CloudFormation), so that the alarm the fix adds notifies it by reference.
func declaredTopics(mon *model.Monitoring, prefix string) map[string]string {
	out := map[string]string{}
	if mon == nil {
		return out
	}
	for arn, t := range mon.Topics {
		if t.Source != nil && strings.HasPrefix(t.Source.Address, prefix) && t.Err == nil {
			out[arn] = t.Source.Address
		}
	}
	return out
}

// declaredGroup is the address or logical id of the log group's declaration, or "" when the code does not declare it
// (a filter names it: the group stands at the filter's location then).
func declaredGroup(lg *model.LogGroup) string {
	a := declared(lg.Source)
	for _, f := range lg.MetricFilters {
		if f.Source != nil && f.Source.Address == a {
			return ""
		}
	}
	return a
}

// subPlaceholders turns an ARN holding placeholders for what deployment decides into CloudFormation's Fn::Sub of the
// pseudo parameters.
func subPlaceholders(v any) any {
	switch x := v.(type) {
	case string:
		if strings.Contains(x, "${") {
			return map[string]any{"Fn::Sub": strings.NewReplacer("${partition}", "${AWS::Partition}", "${region}", "${AWS::Region}", "${account}", "${AWS::AccountId}").Replace(x)}
		}
	case map[string]any:
		for k, e := range x {
			if k != "FilterPattern" {
				x[k] = subPlaceholders(e)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = subPlaceholders(e)
		}
	}
	return v
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = by + l
	}
	return strings.Join(lines, "\n") + "\n"
}
