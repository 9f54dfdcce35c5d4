package cfn

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/examples/c*/template.*")
	for _, s := range seeds {
		data, _ := os.ReadFile(s)
		f.Add(data)
	}
	f.Add([]byte("Resources:\n  T:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      CloudWatchLogsLogGroupArn: !Sub [\"${A}\", {A: !If [X, 1, 2]}]\n"))
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
