package remediate

import (
	"reflect"
	"strings"
	"testing"
)

// TestKebab: API member names become the AWS CLI's option names (the CLI derives them from the service model's member
// names; examples from the CLI reference of each command).
func TestKebab(t *testing.T) {
	for in, want := range map[string]string{
		"logGroupName": "log-group-name", "LogGroupName": "log-group-name", "CloudWatchLogsLogGroupArn": "cloud-watch-logs-log-group-arn",
		"kmsKeyId": "kms-key-id", "AssumeRolePolicyDocument": "assume-role-policy-document", "DatapointsToAlarm": "datapoints-to-alarm",
		"TopicArn": "topic-arn", "retentionInDays": "retention-in-days", "IsMultiRegionTrail": "is-multi-region-trail",
	} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestRenderCLI: every action a plan holds renders from its parameters; an http(s) endpoint keeps only its host.
func TestRenderCLI(t *testing.T) {
	got := RenderCLI("us-east-1", SubscribeInput{TopicArn: "arn:aws:sns:us-east-1:111111111111:t", Protocol: "https", Endpoint: "https://hooks.example.com/T0/SECRET"})
	if want := "aws sns subscribe --region us-east-1 --topic-arn arn:aws:sns:us-east-1:111111111111:t --protocol https --notification-endpoint https://hooks.example.com/..."; got != want {
		t.Errorf("subscribe:\n got %s\nwant %s", got, want)
	}
	got = RenderCLI("eu-west-1", PutMetricAlarmInput{AlarmName: "a", Namespace: "N", MetricName: "M", Statistic: "Sum", Period: 300, EvaluationPeriods: 1,
		Threshold: 1.0, ComparisonOperator: "GreaterThanOrEqualToThreshold", ActionsEnabled: true, AlarmActions: []string{"arn:x"}})
	if want := "aws cloudwatch put-metric-alarm --region eu-west-1 --alarm-name a --namespace N --metric-name M --statistic Sum --period 300 " +
		"--evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --actions-enabled --alarm-actions arn:x"; got != want {
		t.Errorf("alarm:\n got %s\nwant %s", got, want)
	}
	got = RenderCLI("us-east-1", CreateRoleInput{RoleName: "R", AssumeRolePolicyDocument: "{}", Tags: map[string]string{"b": "2", "a": "1"}})
	if want := "aws iam create-role --role-name R --assume-role-policy-document '{}' --tags Key=a,Value=1 Key=b,Value=2"; got != want {
		t.Errorf("role:\n got %s\nwant %s", got, want)
	}
	for action, typ := range calls {
		if strings.HasPrefix(RenderCLI("us-east-1", reflect.Zero(typ).Interface().(Params)), "#") {
			t.Errorf("%s has no rendering", action)
		}
	}
}
