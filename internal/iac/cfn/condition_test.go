package cfn

import (
	"strings"
	"testing"
)

// TestReferenceUnderSameCondition (field trial): a trail's log group made under a condition written twice, under two
// names (Logs, Logs2), or through !Condition, is made wherever the trail is: no "the stack fails to deploy"; a
// different test is still one.
func TestReferenceUnderSameCondition(t *testing.T) {
	const tmpl = `
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  WithLogs: {Type: String}
  Other: {Type: String}
Conditions:
  Logs: !Equals [!Ref WithLogs, "yes"]
  Logs2: {"Fn::Equals": [{"Ref": WithLogs}, "yes"]}
  Aliased: !Condition Logs
  Different: !Equals [!Ref Other, "yes"]
Resources:
  LogGroup:
    Type: AWS::Logs::LogGroup
    Condition: GROUP
    Properties: {LogGroupName: ct}
  Trail:
    Type: AWS::CloudTrail::Trail
    Condition: Logs
    Properties:
      IsLogging: true
      S3BucketName: bucket
      CloudWatchLogsLogGroupArn: !GetAtt LogGroup.Arn
      CloudWatchLogsRoleArn: arn:aws:iam::111122223333:role/R
`
	for group, failsToDeploy := range map[string]bool{"Logs": false, "Logs2": false, "Aliased": false, "Different": true} {
		tp, err := Parse("t.yaml", []byte(strings.Replace(tmpl, "GROUP", group, 1)), nil)
		if err != nil {
			t.Fatal(err)
		}
		trails, err := tp.Trails()
		if err != nil || len(trails) != 1 {
			t.Fatalf("%s: %v %v", group, err, trails)
		}
		why := trails[0].Unknown.LogGroupARN
		if got := strings.Contains(why, "fails to deploy"); got != failsToDeploy {
			t.Errorf("group under %s: log group ARN unknown because %q; want the deployment failure named: %v", group, why, failsToDeploy)
		}
	}
}
