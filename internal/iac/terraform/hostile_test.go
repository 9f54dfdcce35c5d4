package terraform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// write lays out files (path relative to a new temporary root -> content) and returns the root.
func write(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, text := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const trail = `resource "aws_cloudtrail" "t" {
  name           = "t"
  s3_bucket_name = "b"
}
`

// TestHostileInputs: inputs that crashed (stack overflow), hung (module cycles, ignoring SIGINT) or exhausted memory
// (count = 1000000, huge files) become ERRORs naming the file, or a bounded judgement, and the rest is still judged
// (issue 11). A regression hangs or crashes this test.
func TestHostileInputs(t *testing.T) {
	deep := "locals {\n  x = " + strings.Repeat("[", 60000) + strings.Repeat("]", 60000) + "\n}\n"
	tests := []struct {
		name   string
		files  map[string]string
		opts   Options
		err    string // an error containing this
		trails int    // trails still judged
		note   string // an unknown reason on a trail
	}{
		{"nested 60,000 deep", map[string]string{"main.tf": trail + deep}, Options{}, "nested more than 512 levels deep", 0, ""},
		{"module sources itself", map[string]string{"main.tf": trail + `module "self" { source = "./" }`}, Options{}, "a module cycle", 1, ""},
		{"module sources ./.", map[string]string{"main.tf": trail + `module "self" { source = "./." }`}, Options{}, "a module cycle", 1, ""},
		{"modules call each other", map[string]string{
			"main.tf":     trail + `module "a" { source = "./a" }`,
			"a/main.tf":   `module "b" { source = "../b" }`,
			"b/main.tf":   `module "a" { source = "../a" }`,
			"b/trail.tf":  strings.Replace(trail, `"t"`, `"inner"`, 1),
			"a/empty.tf":  "",
			"b/empty2.tf": ""}, Options{}, "a module cycle", 2, ""},
		{"count = 1000000", map[string]string{"main.tf": strings.Replace(trail, `name `, "count = 1000000\n  name ", 1)}, Options{}, "", 1, "exceeds --max-instances"},
		{"for_each beyond the cap", map[string]string{"main.tf": strings.Replace(trail, `name `, "for_each = toset([for i in range(50) : tostring(i)])\n  name ", 1)}, Options{MaxInstances: 10}, "", 1, "more than --max-instances 10"},
		{"file over the size limit", map[string]string{"main.tf": trail + "# " + strings.Repeat("x", 4096) + "\n"}, Options{MaxFileSize: 1024}, "larger than --max-file-size 1024", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := write(t, tc.files)
			res := Load(root, tc.opts)
			var errs []string
			for _, e := range res.Errors {
				errs = append(errs, e.Error())
				if e.File == "" {
					t.Errorf("an error without a file: %+v", e)
				}
			}
			if tc.err != "" && !strings.Contains(strings.Join(errs, "\n"), tc.err) {
				t.Errorf("errors %q, want one with %q", errs, tc.err)
			}
			if tc.err == "" && len(errs) > 0 {
				t.Errorf("unexpected errors %q", errs)
			}
			if len(res.Trails) != tc.trails {
				t.Errorf("%d trails judged, want %d", len(res.Trails), tc.trails)
			}
			if tc.note != "" && (len(res.Trails) == 0 || !strings.Contains(res.Trails[0].Unknown.Instances, tc.note)) {
				t.Errorf("no %q note: %+v", tc.note, res.Trails)
			}
		})
	}
}

// TestCancelledLoadStops: a cancelled context (SIGINT) stops the evaluation and says so.
func TestCancelledLoadStops(t *testing.T) {
	root := write(t, map[string]string{"main.tf": trail + `module "a" { source = "./a" }`, "a/main.tf": trail})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := Load(root, Options{Ctx: ctx})
	if len(res.Errors) == 0 || !strings.Contains(res.Errors[len(res.Errors)-1].Msg, "interrupted") {
		t.Errorf("errors %+v", res.Errors)
	}
}

// TestDeepModuleChainIsLinear: eight levels of modules, each calling the next with an input, evaluate without the
// exponential re-evaluation of every pass (each module is evaluated a bounded number of times).
func TestDeepModuleChainIsLinear(t *testing.T) {
	files := map[string]string{"main.tf": `module "m" {
  source = "./m1"
  name   = "root"
}
`}
	for i := 1; i <= 8; i++ {
		dir := "m1"
		for j := 2; j <= i; j++ {
			dir += "/m" + string(rune('0'+j))
		}
		body := `variable "name" {}
locals {
  a = var.name
  b = local.a
  c = local.b
}
resource "aws_cloudtrail" "t" {
  name           = local.c
  s3_bucket_name = "b"
}
`
		if i < 8 {
			body += `module "m" {
  source = "./m` + string(rune('0'+i+1)) + `"
  name   = "${local.c}-x"
}
`
		}
		files[dir+"/main.tf"] = body
	}
	root := write(t, files)
	o := Options{}
	res := Load(root, o)
	if len(res.Errors) > 0 {
		t.Fatalf("errors %+v", res.Errors)
	}
	if len(res.Trails) != 8 {
		t.Errorf("%d trails, want 8", len(res.Trails))
	}
	if res.evals > 8*8 {
		t.Errorf("%d module evaluations for a chain of 8: re-evaluation is not bounded", res.evals)
	}
}

// TestDuplicateResourceAndFileCount: a resource declared twice is an error naming both places; files are counted
// once however often their module is evaluated (issue 12).
func TestDuplicateResourceAndFileCount(t *testing.T) {
	root := write(t, map[string]string{
		"main.tf":     trail + `module "a" { source = "./mod" }` + "\n" + `module "b" { source = "./mod" }`,
		"other.tf":    trail,
		"mod/main.tf": strings.Replace(trail, `"t"`, `"inner"`, 1),
	})
	res := Load(root, Options{})
	if res.Files != 3 {
		t.Errorf("%d files counted, want 3", res.Files)
	}
	found := false
	for _, e := range res.Errors {
		found = found || strings.Contains(e.Msg, "aws_cloudtrail.t is declared twice")
	}
	if !found {
		t.Errorf("errors %+v", res.Errors)
	}
}

// TestEvaluationMemoryBounds (issue 23): small files whose evaluation built gigabytes (doubling locals, a doubling
// concat, format("%2000000000s"), module count times resource count, a template or for expression repeating a large
// value, join and replace) end in an ERROR naming the limit, with the trail still judged where it is declared,
// and allocate far less than 1 GB in all.
func TestEvaluationMemoryBounds(t *testing.T) {
	doubling := func(step string) string {
		var b strings.Builder
		b.WriteString("locals {\n  l0 = " + step[:strings.Index(step, "|")] + "\n")
		for i := 1; i <= 40; i++ {
			b.WriteString(fmt.Sprintf("  l%d = %s\n", i, strings.ReplaceAll(step[strings.Index(step, "|")+1:], "PREV", fmt.Sprintf("local.l%d", i-1))))
		}
		return b.String() + "}\n"
	}
	arn := func(expr string) string {
		return strings.Replace(trail, `name `, "cloud_watch_logs_group_arn = "+expr+"\n  name ", 1)
	}
	big := `locals {
  big = join("", [for i in range(1000) : "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])
}
`
	tests := []struct {
		name, text, err string
	}{
		{"doubling locals", doubling(`"xxxxxxxxxxxxxxxx"|"${PREV}${PREV}"`) + arn(`local.l40`), "evaluation limit"},
		{"doubling concat", doubling(`["x", "y"]|concat(PREV, PREV)`) + arn(`"${length(local.l40)}"`), "evaluation limit"},
		{"format width", arn(`format("%2000000000s", "x")`), "format would build"},
		{"format precision", arn(`format("%.2000000000f", 1)`), "format would build"},
		{"a template repeating a large value", big + arn(`"`+strings.Repeat("${local.big}", 200)+`"`), "could build about"},
		{"a for expression repeating a large value", big + arn(`join(",", [for i in range(1000) : local.big])`), "could build about"},
		{"join with a large separator", big + arn(`join(local.big, [for i in range(1000) : "a"])`), "join would build"},
		{"replace multiplying its input", big + arn(`replace(local.big, "x", local.big)`), "replace would build"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := write(t, map[string]string{"main.tf": tc.text})
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			res := Load(root, Options{})
			runtime.ReadMemStats(&after)
			var errs []string
			for _, e := range res.Errors {
				errs = append(errs, e.Error())
			}
			if !strings.Contains(strings.Join(errs, "\n"), tc.err) {
				t.Errorf("errors %q, want one with %q", errs, tc.err)
			}
			// The check named a key no adapter writes ("log_group"), so it held whatever the trail said: the typed
			// field makes the question the one the rule asks.
			if len(res.Trails) != 1 || res.Trails[0].LogGroupARN != "" || res.Trails[0].Unknown.LogGroupARN == "" {
				t.Errorf("trails %+v, want the trail, its log group ARN unknown for the limit", res.Trails)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<30 {
				t.Errorf("evaluation allocated %d MB, want < 1 GB", n>>20)
			}
		})
	}
}

// TestInstanceBudgetAcrossBlocks: module count = 10000 times resource count = 10000 (each within --max-instances)
// stops at the root's instance budget with an ERROR naming it, instead of evaluating 100,000,000 instances.
func TestInstanceBudgetAcrossBlocks(t *testing.T) {
	root := write(t, map[string]string{
		"main.tf":   "module \"m\" {\n  source = \"./m\"\n  count  = 10000\n}\n",
		"m/main.tf": strings.Replace(trail, `name `, "count = 10000\n  name ", 1),
	})
	res := Load(root, Options{})
	if len(res.Errors) == 0 || !strings.Contains(res.Errors[len(res.Errors)-1].Msg, "resource instance evaluations (20 times --max-instances 10000") {
		t.Fatalf("errors %+v", res.Errors)
	}
}

// TestInstanceBudgetStopsCleanly: a file of 300 trail blocks under --max-instances 10 (a budget of 200 instance
// evaluations) stops with the ERROR; the blocks it did not evaluate are not judged, never reported as trails that
// are "not created". (A 9 MB file of 105,000 trails took 63 s and 3 GB, and a stopped evaluation reported every
// trail it had not reached as not instantiated.)
func TestInstanceBudgetStopsCleanly(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 300; i++ {
		b.WriteString(strings.Replace(trail, `"t"`, fmt.Sprintf(`"t%d"`, i), 2))
	}
	res := Load(write(t, map[string]string{"main.tf": b.String()}), Options{MaxInstances: 10})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Msg, "stopped after 200 resource instance evaluations") {
		t.Fatalf("errors %+v", res.Errors)
	}
	for _, tr := range res.Trails {
		if tr.NotInstantiated {
			t.Fatalf("%s reported not created after the evaluation stopped", tr.Source.Address)
		}
	}
}
