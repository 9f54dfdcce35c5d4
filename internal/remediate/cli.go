package remediate

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/redact"
)

// The AWS CLI rendering of a step: one renderer for every action, from the step's parameters (the API's own member
// names, as the SDK writer sends them), so that the command printed beside a finding, in `fix plan` and in a watch
// line is the call `fix apply` makes, never a second hand-written copy. The CLI's option names are the members' names
// in kebab case (AWS CLI User Guide, "Using the AWS CLI": --log-group-name for logGroupName); the few that differ are
// renamed below. Maps and lists use the CLI's shorthand syntax (AWS CLI User Guide, "Using shorthand syntax").

type cliSpec struct {
	service, operation string
	global             bool              // IAM: no --region
	order              []string          // parameters in this order first, the rest sorted
	rename             map[string]string // parameter -> CLI option, where it is not the kebab-case name
	tagList            bool              // tags are a list of Key=,Value= (IAM, SNS), not a map (CloudWatch Logs)
}

var cliSpecs = map[string]cliSpec{
	CreateLogGroup:         {service: "logs", operation: "create-log-group", order: []string{"logGroupName", "kmsKeyId", "tags"}},
	PutRetentionPolicy:     {service: "logs", operation: "put-retention-policy", order: []string{"logGroupName", "retentionInDays"}},
	DeleteLogGroup:         {service: "logs", operation: "delete-log-group"},
	DeleteRetentionPolicy:  {service: "logs", operation: "delete-retention-policy"},
	PutMetricFilter:        {service: "logs", operation: "put-metric-filter", order: []string{"logGroupName", "filterName", "filterPattern", "metricTransformations"}},
	DeleteMetricFilter:     {service: "logs", operation: "delete-metric-filter"},
	CreateRole:             {service: "iam", operation: "create-role", global: true, order: []string{"RoleName", "AssumeRolePolicyDocument", "Description", "Tags"}, tagList: true},
	DeleteRole:             {service: "iam", operation: "delete-role", global: true},
	UpdateAssumeRolePolicy: {service: "iam", operation: "update-assume-role-policy", global: true, order: []string{"RoleName", "PolicyDocument"}},
	PutRolePolicy:          {service: "iam", operation: "put-role-policy", global: true, order: []string{"RoleName", "PolicyName", "PolicyDocument"}},
	DeleteRolePolicy:       {service: "iam", operation: "delete-role-policy", global: true},
	UpdateTrail:            {service: "cloudtrail", operation: "update-trail", order: []string{"Name", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn"}},
	StartLogging:           {service: "cloudtrail", operation: "start-logging"},
	StopLogging:            {service: "cloudtrail", operation: "stop-logging"},
	CreateTrail: {service: "cloudtrail", operation: "create-trail", order: []string{"Name", "S3BucketName", "IsMultiRegionTrail", "IncludeGlobalServiceEvents",
		"EnableLogFileValidation", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn"}, rename: map[string]string{"S3BucketName": "s3-bucket-name"}},
	DeleteTrail: {service: "cloudtrail", operation: "delete-trail"},
	PutMetricAlarm: {service: "cloudwatch", operation: "put-metric-alarm", order: []string{"AlarmName", "AlarmDescription", "Namespace", "MetricName",
		"Statistic", "ExtendedStatistic", "Period", "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData", "ActionsEnabled", "AlarmActions"}},
	DeleteAlarms:                            {service: "cloudwatch", operation: "delete-alarms"},
	EnableAlarmActions:                      {service: "cloudwatch", operation: "enable-alarm-actions"},
	DisableAlarmActions:                     {service: "cloudwatch", operation: "disable-alarm-actions"},
	CreateTopic:                             {service: "sns", operation: "create-topic", order: []string{"Name", "Tags"}, tagList: true},
	DeleteTopic:                             {service: "sns", operation: "delete-topic"},
	Subscribe:                               {service: "sns", operation: "subscribe", order: []string{"TopicArn", "Protocol", "Endpoint"}, rename: map[string]string{"Endpoint": "notification-endpoint"}},
	StartTelemetryEvaluation:                {service: "observabilityadmin", operation: "start-telemetry-evaluation"},
	StopTelemetryEvaluation:                 {service: "observabilityadmin", operation: "stop-telemetry-evaluation"},
	CreateTelemetryRule:                     {service: "observabilityadmin", operation: "create-telemetry-rule", order: []string{"RuleName", "Rule"}},
	DeleteTelemetryRule:                     {service: "observabilityadmin", operation: "delete-telemetry-rule"},
	StartTelemetryEvaluationForOrganization: {service: "observabilityadmin", operation: "start-telemetry-evaluation-for-organization"},
	StopTelemetryEvaluationForOrganization:  {service: "observabilityadmin", operation: "stop-telemetry-evaluation-for-organization"},
	CreateTelemetryRuleForOrganization:      {service: "observabilityadmin", operation: "create-telemetry-rule-for-organization", order: []string{"RuleName", "Rule"}},
	DeleteTelemetryRuleForOrganization:      {service: "observabilityadmin", operation: "delete-telemetry-rule-for-organization"},
}

// CreateTrail makes the multi-region trail of an account no trail covers (newtrail.go).
const CreateTrail = "CreateTrail"

// RenderCLI is the AWS CLI command of one call. An http(s) subscription endpoint keeps only its scheme and host: its
// path may carry a webhook's secret, and the command is printed (run the plan with `fix apply`, which sends it whole).
func RenderCLI(region string, p Params) string {
	if p == nil {
		return "# no AWS CLI rendering: no call"
	}
	action := p.Action()
	spec, ok := cliSpecs[action]
	if !ok {
		return fmt.Sprintf("# %s: no AWS CLI rendering", action)
	}
	b := []string{"aws", spec.service, spec.operation}
	if !spec.global {
		b = append(b, "--region", region)
	}
	ms := members(p)
	rank := func(name string) int {
		if i := slices.Index(spec.order, name); i >= 0 {
			return i
		}
		return len(spec.order)
	}
	slices.SortStableFunc(ms, func(x, y member) int {
		if c := rank(x.name) - rank(y.name); c != 0 {
			return c
		}
		return strings.Compare(x.name, y.name)
	})
	for _, m := range ms {
		k, v := m.name, m.value
		opt := spec.rename[k]
		if opt == "" {
			opt = kebab(k)
		}
		if sub, ok := p.(SubscribeInput); ok && k == "Endpoint" && secretEndpoint(sub) {
			v = redact.URL(sub.Endpoint) // the one rule of what may carry a secret (its protocol, whatever the URL's case)
		}
		switch x := v.(type) {
		case string:
			if x == bucketPlaceholder {
				b = append(b, "--"+opt, x) // asks whoever runs the command: not quoted
			} else {
				b = append(b, "--"+opt, controls.ShellQuote(x))
			}
		case bool:
			if x {
				b = append(b, "--"+opt)
			} else {
				b = append(b, "--no-"+opt)
			}
		case map[string]string:
			b = append(b, "--"+opt)
			b = append(b, tagArgs(x, spec.tagList)...)
		case []string:
			b = append(b, "--"+opt)
			for _, s := range x {
				b = append(b, controls.ShellQuote(s))
			}
		case []MetricTransformation:
			b = append(b, "--"+opt)
			for _, t := range x {
				b = append(b, controls.ShellQuote(t.shorthand()))
			}
		case map[string]any:
			// A nested structure (a telemetry rule): JSON, which the CLI takes for any structure parameter (AWS CLI
			// User Guide, "Specifying parameter values": JSON for complex parameters).
			j, _ := json.Marshal(x)
			b = append(b, "--"+opt, controls.ShellQuote(string(j)))
		default:
			b = append(b, "--"+opt, controls.ShellQuote(scalar(v)))
		}
	}
	return strings.Join(b, " ")
}

// render fills a step's CLI from its parameters.
func render(s Step) Step {
	s.CLI = RenderCLI(s.Region, s.Params)
	return s
}

func tagArgs(tags map[string]string, list bool) []string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !list {
		return []string{controls.ShellQuote(tagList(tags))}
	}
	var out []string
	for _, k := range keys {
		out = append(out, controls.ShellQuote("Key="+k+",Value="+tags[k]))
	}
	return out
}

// shorthand renders a metric transformation in the CLI's shorthand syntax: name=value pairs, in the order the CLI
// documents its members.
func (t MetricTransformation) shorthand() string {
	return "metricName=" + t.MetricName + ",metricNamespace=" + t.MetricNamespace + ",metricValue=" + t.MetricValue
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	}
	return fmt.Sprint(v)
}

// kebab turns an API member name into its CLI option: logGroupName, LogGroupName -> log-group-name;
// CloudWatchLogsRoleArn -> cloud-watch-logs-role-arn; kmsKeyId -> kms-key-id.
func kebab(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1])) {
				b.WriteByte('-')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
