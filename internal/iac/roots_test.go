package iac

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func layout(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, text := range files {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func trailNamed(name string) string {
	return `resource "aws_cloudtrail" "` + name + `" {
  name           = "` + name + `"
  s3_bucket_name = "b"
}
`
}

// TestNoRootSkippedSilently: each configuration that had been skipped (0 findings, exit 0) is judged (issue 11).
func TestNoRootSkippedSilently(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // trail names judged
	}{
		{"a module source in a comment elsewhere", map[string]string{
			"app/main.tf":   trailNamed("app"),
			"other/main.tf": "# we used to call it:  source = \"../app\"\n" + trailNamed("other")}, []string{"app", "other"}},
		{`source = "./."`, map[string]string{"main.tf": trailNamed("self") + `module "me" { source = "./." }`}, []string{"self"}},
		{"two modules that call each other", map[string]string{
			"a/main.tf": trailNamed("alpha") + `module "b" { source = "../b" }`,
			"b/main.tf": trailNamed("bravo") + `module "a" { source = "../a" }`}, []string{"alpha", "bravo"}},
		{"a root and its child", map[string]string{
			"main.tf":       trailNamed("root") + `module "c" { source = "./child" }`,
			"child/main.tf": trailNamed("child")}, []string{"child", "root"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := layout(t, tc.files)
			res := Scan([]string{root}, Options{})
			var names []string
			seen := map[string]bool{}
			for _, tr := range res.Trails {
				if !seen[tr.Name] {
					seen[tr.Name] = true
					names = append(names, tr.Name)
				}
			}
			sort.Strings(names)
			if len(names) != len(tc.want) || (len(names) > 0 && names[0] != tc.want[0]) || (len(names) > 1 && names[len(names)-1] != tc.want[len(tc.want)-1]) {
				t.Errorf("judged %v, want %v (errors %+v)", names, tc.want, res.Errors)
			}
		})
	}
}

// TestSymlinkedPathIsScanned: a path argument that is a symbolic link to a directory is walked.
func TestSymlinkedPathIsScanned(t *testing.T) {
	root := layout(t, map[string]string{"real/main.tf": trailNamed("linked")})
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(filepath.Join(root, "real"), link); err != nil {
		t.Skip("symlinks not supported here: " + err.Error())
	}
	res := Scan([]string{link}, Options{})
	if len(res.Trails) != 1 || res.Trails[0].Name != "linked" {
		t.Errorf("trails %+v errors %+v", res.Trails, res.Errors)
	}
}

// TestOneModuleTwoRoots: one module called by two root modules gives two findings with different ids (and so SARIF
// fingerprints), each naming its root (issue 12).
func TestOneModuleTwoRoots(t *testing.T) {
	root := layout(t, map[string]string{
		"shared/main.tf": trailNamed("shared"),
		"prod/main.tf":   `module "ct" { source = "../shared" }`,
		"dev/main.tf":    `module "ct" { source = "../shared" }`,
	})
	fs := judge(t, []string{root}, Options{})
	if len(fs) != 2 || fs[0].ID == fs[1].ID {
		t.Fatalf("findings %+v", fs)
	}
	for _, f := range fs {
		if f.Location == nil || f.Location.Root == "" || !strings.Contains(strings.Join(f.Notes, " "), "root module") {
			t.Errorf("finding %s does not name its root: %+v", f.ID, f.Location)
		}
	}
}
