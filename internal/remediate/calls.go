package remediate

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// One type per AWS action the fix plan makes (issue 21: each step carried an untyped parameter map, read back by key
// and by guess: a list was []string in memory and []any after a plan file, a number int or float64). Each type's
// fields are the API's request members the plan sets, named as the API names them (its JSON names are the members'
// names, so a plan file reads as the call), in the members' byte order so that a plan's JSON is what it was with maps.
// Every renderer (the AWS CLI, Terraform, CloudFormation, in-place IaC suggestions), the SDK writer, the journal and
// the plan comparison read these fields; none reads a parameter by its name.

// Params are one call's parameters; Action is the API operation they are for.
type Params interface {
	Action() string
}

// CloudWatch Logs (CloudWatch Logs API Reference).

type CreateLogGroupInput struct {
	KmsKeyID     string            `json:"kmsKeyId,omitempty"`
	LogGroupName string            `json:"logGroupName"`
	Tags         map[string]string `json:"tags,omitempty"`
}

type PutRetentionPolicyInput struct {
	LogGroupName    string `json:"logGroupName"`
	RetentionInDays int    `json:"retentionInDays"`
}

type DeleteLogGroupInput struct {
	LogGroupName string `json:"logGroupName"`
}

type DeleteRetentionPolicyInput struct {
	LogGroupName string `json:"logGroupName"`
}

type PutMetricFilterInput struct {
	FilterName            string                 `json:"filterName"`
	FilterPattern         string                 `json:"filterPattern"`
	LogGroupName          string                 `json:"logGroupName"`
	MetricTransformations []MetricTransformation `json:"metricTransformations"`
}

// MetricTransformation is one of a metric filter's transformations (its members in the order the CLI documents them).
type MetricTransformation struct {
	MetricName      string `json:"metricName"`
	MetricNamespace string `json:"metricNamespace"`
	MetricValue     string `json:"metricValue"`
}

// UnmarshalJSON reads a transformation strictly, as every object of a plan file (review: "METRICVALUE" set
// metricValue).
func (t *MetricTransformation) UnmarshalJSON(b []byte) error {
	type plain MetricTransformation
	return strictJSON(b, (*plain)(t))
}

type DeleteMetricFilterInput struct {
	FilterName   string `json:"filterName"`
	LogGroupName string `json:"logGroupName"`
}

// IAM (IAM API Reference).

type CreateRoleInput struct {
	AssumeRolePolicyDocument string            `json:"AssumeRolePolicyDocument"`
	Description              string            `json:"Description,omitempty"`
	RoleName                 string            `json:"RoleName"`
	Tags                     map[string]string `json:"Tags,omitempty"`
}

type DeleteRoleInput struct {
	RoleName string `json:"RoleName"`
}

type UpdateAssumeRolePolicyInput struct {
	PolicyDocument string `json:"PolicyDocument"`
	RoleName       string `json:"RoleName"`
}

type PutRolePolicyInput struct {
	PolicyDocument string `json:"PolicyDocument"`
	PolicyName     string `json:"PolicyName"`
	RoleName       string `json:"RoleName"`
}

type DeleteRolePolicyInput struct {
	PolicyName string `json:"PolicyName"`
	RoleName   string `json:"RoleName"`
}

// CloudTrail (CloudTrail API Reference).

// UpdateTrailInput always sends both ARNs: "" clears the integration (CTUG
// stop-cloudtrail-from-sending-events-to-cloudwatch-logs), which is how an undo puts back a trail that had none.
type UpdateTrailInput struct {
	CloudWatchLogsLogGroupArn string `json:"CloudWatchLogsLogGroupArn"`
	CloudWatchLogsRoleArn     string `json:"CloudWatchLogsRoleArn"`
	Name                      string `json:"Name"`
}

type StartLoggingInput struct {
	Name string `json:"Name"`
}

type StopLoggingInput struct {
	Name string `json:"Name"`
}

type CreateTrailInput struct {
	CloudWatchLogsLogGroupArn  string `json:"CloudWatchLogsLogGroupArn"`
	CloudWatchLogsRoleArn      string `json:"CloudWatchLogsRoleArn"`
	EnableLogFileValidation    bool   `json:"EnableLogFileValidation"`
	IncludeGlobalServiceEvents bool   `json:"IncludeGlobalServiceEvents"`
	IsMultiRegionTrail         bool   `json:"IsMultiRegionTrail"`
	Name                       string `json:"Name"`
	S3BucketName               string `json:"S3BucketName"`
}

type DeleteTrailInput struct {
	Name string `json:"Name"`
}

// CloudWatch (CloudWatch API Reference).

// PutMetricAlarmInput: exactly one of Statistic and ExtendedStatistic is set.
type PutMetricAlarmInput struct {
	ActionsEnabled     bool     `json:"ActionsEnabled"`
	AlarmActions       []string `json:"AlarmActions"`
	AlarmDescription   string   `json:"AlarmDescription,omitempty"`
	AlarmName          string   `json:"AlarmName"`
	ComparisonOperator string   `json:"ComparisonOperator"`
	DatapointsToAlarm  int      `json:"DatapointsToAlarm,omitempty"`
	EvaluationPeriods  int      `json:"EvaluationPeriods"`
	ExtendedStatistic  string   `json:"ExtendedStatistic,omitempty"`
	MetricName         string   `json:"MetricName"`
	Namespace          string   `json:"Namespace"`
	Period             int      `json:"Period"`
	Statistic          string   `json:"Statistic,omitempty"`
	Threshold          float64  `json:"Threshold"`
	TreatMissingData   string   `json:"TreatMissingData,omitempty"`
}

type DeleteAlarmsInput struct {
	AlarmNames []string `json:"AlarmNames"`
}

type EnableAlarmActionsInput struct {
	AlarmNames []string `json:"AlarmNames"`
}

type DisableAlarmActionsInput struct {
	AlarmNames []string `json:"AlarmNames"`
}

// SNS (SNS API Reference).

type CreateTopicInput struct {
	Name string            `json:"Name"`
	Tags map[string]string `json:"Tags,omitempty"`
}

type SubscribeInput struct {
	Endpoint string `json:"Endpoint"`
	Protocol string `json:"Protocol"`
	TopicArn string `json:"TopicArn"`
}

type DeleteTopicInput struct {
	TopicArn string `json:"TopicArn"`
}

// CloudWatch Observability Admin (telemetry rules; Observability Admin API Reference).

// The account's and the organization's telemetry calls take the same members.

type StartTelemetryEvaluationInput struct{ TelemetryEvaluation }

type StopTelemetryEvaluationInput struct{}

type CreateTelemetryRuleInput struct{ TelemetryRuleSpec }

type DeleteTelemetryRuleInput struct{ TelemetryRuleRef }

type StartTelemetryEvaluationForOrganizationInput struct{ TelemetryEvaluation }

type StopTelemetryEvaluationForOrganizationInput struct{}

type CreateTelemetryRuleForOrganizationInput struct{ TelemetryRuleSpec }

type DeleteTelemetryRuleForOrganizationInput struct{ TelemetryRuleRef }

// TelemetryEvaluation is where a telemetry evaluation starts: every region, or these.
type TelemetryEvaluation struct {
	AllRegions bool     `json:"AllRegions,omitempty"`
	Regions    []string `json:"Regions,omitempty"`
}

// TelemetryRuleSpec holds the rule in the API's own shape (TelemetryRule, by its member names): the SDK writer
// decodes it into the SDK's type, the renderers read the members they write.
type TelemetryRuleSpec struct {
	Rule     map[string]any `json:"Rule"`
	RuleName string         `json:"RuleName"`
}

// TelemetryRuleRef names a rule to delete.
type TelemetryRuleRef struct {
	RuleIdentifier string `json:"RuleIdentifier"`
}

func (CreateLogGroupInput) Action() string         { return CreateLogGroup }
func (PutRetentionPolicyInput) Action() string     { return PutRetentionPolicy }
func (DeleteLogGroupInput) Action() string         { return DeleteLogGroup }
func (DeleteRetentionPolicyInput) Action() string  { return DeleteRetentionPolicy }
func (PutMetricFilterInput) Action() string        { return PutMetricFilter }
func (DeleteMetricFilterInput) Action() string     { return DeleteMetricFilter }
func (CreateRoleInput) Action() string             { return CreateRole }
func (DeleteRoleInput) Action() string             { return DeleteRole }
func (UpdateAssumeRolePolicyInput) Action() string { return UpdateAssumeRolePolicy }
func (PutRolePolicyInput) Action() string          { return PutRolePolicy }
func (DeleteRolePolicyInput) Action() string       { return DeleteRolePolicy }
func (UpdateTrailInput) Action() string            { return UpdateTrail }
func (StartLoggingInput) Action() string           { return StartLogging }
func (StopLoggingInput) Action() string            { return StopLogging }
func (CreateTrailInput) Action() string            { return CreateTrail }
func (DeleteTrailInput) Action() string            { return DeleteTrail }
func (PutMetricAlarmInput) Action() string         { return PutMetricAlarm }
func (DeleteAlarmsInput) Action() string           { return DeleteAlarms }
func (EnableAlarmActionsInput) Action() string     { return EnableAlarmActions }
func (DisableAlarmActionsInput) Action() string    { return DisableAlarmActions }
func (CreateTopicInput) Action() string            { return CreateTopic }
func (SubscribeInput) Action() string              { return Subscribe }
func (DeleteTopicInput) Action() string            { return DeleteTopic }
func (StartTelemetryEvaluationInput) Action() string {
	return StartTelemetryEvaluation
}
func (StopTelemetryEvaluationInput) Action() string { return StopTelemetryEvaluation }
func (CreateTelemetryRuleInput) Action() string     { return CreateTelemetryRule }
func (DeleteTelemetryRuleInput) Action() string     { return DeleteTelemetryRule }
func (StartTelemetryEvaluationForOrganizationInput) Action() string {
	return StartTelemetryEvaluationForOrganization
}
func (StopTelemetryEvaluationForOrganizationInput) Action() string {
	return StopTelemetryEvaluationForOrganization
}
func (CreateTelemetryRuleForOrganizationInput) Action() string {
	return CreateTelemetryRuleForOrganization
}
func (DeleteTelemetryRuleForOrganizationInput) Action() string {
	return DeleteTelemetryRuleForOrganization
}

// calls are the parameter types by action, for reading a plan file.
var calls = func() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for _, p := range []Params{CreateLogGroupInput{}, PutRetentionPolicyInput{}, DeleteLogGroupInput{}, DeleteRetentionPolicyInput{},
		PutMetricFilterInput{}, DeleteMetricFilterInput{}, CreateRoleInput{}, DeleteRoleInput{}, UpdateAssumeRolePolicyInput{},
		PutRolePolicyInput{}, DeleteRolePolicyInput{}, UpdateTrailInput{}, StartLoggingInput{}, StopLoggingInput{}, CreateTrailInput{},
		DeleteTrailInput{}, PutMetricAlarmInput{}, DeleteAlarmsInput{}, EnableAlarmActionsInput{}, DisableAlarmActionsInput{},
		CreateTopicInput{}, SubscribeInput{}, DeleteTopicInput{}, StartTelemetryEvaluationInput{}, StopTelemetryEvaluationInput{},
		CreateTelemetryRuleInput{}, DeleteTelemetryRuleInput{}, StartTelemetryEvaluationForOrganizationInput{},
		StopTelemetryEvaluationForOrganizationInput{}, CreateTelemetryRuleForOrganizationInput{}, DeleteTelemetryRuleForOrganizationInput{}} {
		m[p.Action()] = reflect.TypeOf(p)
	}
	return m
}()

// decodeParams reads an action's parameters from a plan file: nil (and no error) for an action trailwatch does not
// make, which the plan's reader refuses by name.
func decodeParams(action string, raw json.RawMessage) (Params, error) {
	t, ok := calls[action]
	if !ok {
		return nil, nil
	}
	v := reflect.New(t)
	if len(raw) > 0 && string(raw) != "null" {
		if err := strictJSON(raw, v.Interface()); err != nil {
			return nil, fmt.Errorf("the parameters of %s: %w", action, err)
		}
	}
	return v.Elem().Interface().(Params), nil
}

// member is one parameter as the API names it, with its value.
type member struct {
	name  string
	value any
}

// members are a call's parameters as the API names them, in the type's order: the ones set (a field marked omitempty
// and zero is not sent). The AWS CLI renderer reads a call through them.
func members(p Params) []member {
	if p == nil {
		return nil
	}
	var out []member
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			f := v.Field(i)
			if t.Field(i).Anonymous {
				walk(f) // the members an embedded struct holds (the telemetry calls' shared shapes), as JSON flattens them
				continue
			}
			name, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if opts == "omitempty" && f.IsZero() {
				continue
			}
			out = append(out, member{name, f.Interface()})
		}
	}
	walk(reflect.ValueOf(p))
	return out
}

// ruleRetention is the retention a telemetry rule (the API's TelemetryRule shape) gives its groups: its
// DestinationConfiguration's RetentionInDays (a number; nil when the rule has none).
func ruleRetention(rule map[string]any) any {
	dest, _ := rule["DestinationConfiguration"].(map[string]any)
	return dest["RetentionInDays"]
}

// createdRetention is the retention each log group the steps create is given with its creation (a PutRetentionPolicy
// step the scan saw no group for: Existing nil), by account/region/name: code declares it on the group it creates.
func createdRetention(steps []Step) map[string]int {
	out := map[string]int{}
	for _, s := range steps {
		if p, ok := s.Params.(PutRetentionPolicyInput); ok && s.Existing == nil {
			out[s.AccountID+"/"+s.Region+"/"+p.LogGroupName] = p.RetentionInDays
		}
	}
	return out
}

// telemetryRuleOf is a CreateTelemetryRule(ForOrganization) step's rule name and rule ("", nil for any other step).
func telemetryRuleOf(s Step) (string, map[string]any) {
	switch p := s.Params.(type) {
	case CreateTelemetryRuleInput:
		return p.RuleName, p.Rule
	case CreateTelemetryRuleForOrganizationInput:
		return p.RuleName, p.Rule
	}
	return "", nil
}

// objects reads a list of structures inside a telemetry rule (the API's shape, as JSON holds it).
func objects(v any) []map[string]any {
	var out []map[string]any
	switch l := v.(type) {
	case []map[string]any:
		return l
	case []any:
		for _, x := range l {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// ruleStrings reads a list of strings inside a telemetry rule.
func ruleStrings(v any) []string {
	var out []string
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		for _, x := range l {
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}

// strictJSON decodes data into v refusing a key v's type does not have, in any letter case (Go's decoder matches keys
// case-insensitively: "RETENTIONINDAYS" set retentionInDays). The objects inside are checked where they are decoded
// (a step's params and undo by their own UnmarshalJSON).
func strictJSON(data []byte, v any) error {
	t := reflect.TypeOf(v).Elem()
	if err := exactKeys(data, t); err != nil {
		return err
	}
	d := json.NewDecoder(strings.NewReader(string(data)))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// exactKeys refuses a key of the JSON object data that no field of t (or of the structs it embeds) names exactly.
func exactKeys(data []byte, t reflect.Type) error {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil || obj == nil {
		return nil // not an object: the decoder says what is wrong
	}
	names := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				names[name] = true
			}
		}
	}
	walk(t)
	for k := range obj {
		if !names[k] {
			return fmt.Errorf("unknown key %q", k)
		}
	}
	return nil
}
