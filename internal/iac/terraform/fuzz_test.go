package terraform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/examples/tf*/main.tf")
	real, _ := filepath.Glob("../testdata/realworld/*/main.tf")
	seeds = append(seeds, real...)
	for _, s := range seeds {
		data, _ := os.ReadFile(s)
		f.Add(data)
	}
	f.Add([]byte(`resource "aws_cloudtrail" "x" { count = "a" cloud_watch_logs_group_arn = format("%s", 1) }`))
	// Inputs that crashed or hung trailwatch (issue 11): a stack overflow on deep nesting, a module that calls
	// itself, a count of a million.
	f.Add([]byte("locals {\n  x = " + strings.Repeat("[", 60000) + strings.Repeat("]", 60000) + "\n}\n"))
	f.Add([]byte(`module "self" { source = "./" }` + "\n" + `module "dot" { source = "./." }`))
	f.Add([]byte(`resource "aws_cloudtrail" "t" { count = 1000000 }`))
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
