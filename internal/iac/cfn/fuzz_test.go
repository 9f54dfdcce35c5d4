package cfn

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/examples/c*/template.*")
	for _, s := range seeds {
		data, _ := os.ReadFile(s)
		f.Add(data)
	}
	f.Add([]byte("Resources:\n  T:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      CloudWatchLogsLogGroupArn: !Sub [\"${A}\", {A: !If [X, 1, 2]}]\n"))
	f.Add([]byte(circular)) // overflowed the stack (issue 11)
	f.Add([]byte(laughs())) // exhausted memory (issue 23)
	f.Add([]byte(nestedForEach(30)))
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := Parse("t.yaml", data, nil)
		if err == nil {
			_, err = tpl.Trails()
		}
		var ce *Error
		if err != nil && !errors.As(err, &ce) {
			t.Errorf("error without file and line: %v", err)
		}
	})
}

// circular names resources after each other through !Sub: CloudFormation refuses it as a circular dependency.
const circular = `Resources:
  G:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "${T}"
  T:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: b
      CloudWatchLogsLogGroupArn: !GetAtt G.Arn
      TrailName: !Sub "${G}-trail"
`

// TestCircularSubIsAnError: resources whose names refer to each other are an error naming the cycle and the line,
// not a stack overflow (issue 11).
func TestCircularSubIsAnError(t *testing.T) {
	tpl, err := Parse("t.yaml", []byte(circular), nil)
	if err == nil {
		_, err = tpl.Trails()
	}
	var ce *Error
	if !errors.As(err, &ce) || !strings.Contains(ce.Msg, "circular dependency between resources") || ce.Line == 0 {
		t.Errorf("error %v", err)
	}
}

// TestOnlyCloudFormationIsCloudFormation: templates are detected by structure; files that only mention "Resources"
// and "AWS::" are not templates and not errors (issue 12).
func TestOnlyCloudFormationIsCloudFormation(t *testing.T) {
	tests := []struct {
		name, text string
		template   bool
	}{
		{"format version only", "AWSTemplateFormatVersion: '2010-09-09'\nDescription: x\n", true},
		{"resources with an AWS type", "Resources:\n  T:\n    Type: AWS::CloudTrail::Trail\n", true},
		{"SAM", "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n", true},
		{"JSON", `{"Resources": {"T": {"Type": "AWS::CloudTrail::Trail"}}}`, true},
		{"serverless.yml", "service: x\nprovider: {name: aws}\nresources:\n  Resources:\n    B:\n      Type: AWS::S3::Bucket\n", false},
		{"compliance mapping", "controls:\n  - id: AWS::CloudTrail::Trail\n    Resources: [trails]\n", false},
		{"issue template", "name: Bug\nbody:\n  - type: textarea\n    attributes:\n      label: Resources (AWS::...)\n", false},
		{"Resources without types", "Resources:\n  - AWS::CloudTrail::Trail docs\n", false},
	}
	for _, tc := range tests {
		if got := IsTemplate([]byte(tc.text)); got != tc.template {
			t.Errorf("%s: IsTemplate = %v, want %v", tc.name, got, tc.template)
		}
	}
}
