package remediate

import (
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
	got := RenderCLI(Subscribe, "us-east-1", map[string]any{"TopicArn": "arn:aws:sns:us-east-1:111111111111:t", "Protocol": "https", "Endpoint": "https://hooks.example.com/T0/SECRET"})
	if want := "aws sns subscribe --region us-east-1 --topic-arn arn:aws:sns:us-east-1:111111111111:t --protocol https --notification-endpoint https://hooks.example.com/..."; got != want {
		t.Errorf("subscribe:\n got %s\nwant %s", got, want)
	}
	got = RenderCLI(PutMetricAlarm, "eu-west-1", map[string]any{"AlarmName": "a", "Threshold": 1.0, "ActionsEnabled": true, "AlarmActions": []string{"arn:x"}})
	if want := "aws cloudwatch put-metric-alarm --region eu-west-1 --alarm-name a --threshold 1 --actions-enabled --alarm-actions arn:x"; got != want {
		t.Errorf("alarm:\n got %s\nwant %s", got, want)
	}
	got = RenderCLI(CreateRole, "us-east-1", map[string]any{"RoleName": "R", "Tags": map[string]string{"b": "2", "a": "1"}})
	if want := "aws iam create-role --role-name R --tags Key=a,Value=1 Key=b,Value=2"; got != want {
		t.Errorf("role:\n got %s\nwant %s", got, want)
	}
	for action := range cliSpecs {
		if strings.HasPrefix(RenderCLI(action, "us-east-1", nil), "#") {
			t.Errorf("%s has no rendering", action)
		}
	}
}
