package terraform

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/examples/tf*/main.tf")
	for _, s := range seeds {
		data, _ := os.ReadFile(s)
		f.Add(data)
	}
	f.Add([]byte(`resource "aws_cloudtrail" "x" { count = "a" cloud_watch_logs_group_arn = format("%s", 1) }`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), data, 0o644); err != nil {
			t.Skip()
		}
		res := Load(dir, Options{})
		for _, e := range res.Errors {
			if e.File == "" {
				t.Errorf("an error without a file: %+v", e)
			}
		}
	})
}
