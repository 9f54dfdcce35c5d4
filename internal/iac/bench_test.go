package iac

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/controls"
)

// genTree writes 1,000 Terraform root modules of 5 files each (5,000 .tf files: a trail, its log group, its role,
// variables, and unrelated resources) and 1,000 CloudFormation templates.
func genTree(b *testing.B) string {
	root := b.TempDir()
	for i := 0; i < 1000; i++ {
		dir := filepath.Join(root, "tf", fmt.Sprintf("stack%04d", i))
		_ = os.MkdirAll(dir, 0o755)
		files := map[string]string{
			"providers.tf": "provider \"aws\" {\n  region = \"us-east-1\"\n}\n",
			"variables.tf": "variable \"name\" {\n  default = \"trail\"\n}\nvariable \"retention\" {\n  default = 365\n}\n",
			"logs.tf":      "resource \"aws_cloudwatch_log_group\" \"ct\" {\n  name              = \"ct/${var.name}\"\n  retention_in_days = var.retention\n}\n",
			"iam.tf": `resource "aws_iam_role" "ct" {
  name               = "ct-${var.name}"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Principal = {Service = "cloudtrail.amazonaws.com"}, Action = "sts:AssumeRole"}]})
}
resource "aws_iam_role_policy" "ct" {
  role   = aws_iam_role.ct.id
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "${aws_cloudwatch_log_group.ct.arn}:*"}]})
}
`,
			"main.tf": fmt.Sprintf(`resource "aws_s3_bucket" "b" {
  bucket = "bucket-%d"
}
resource "aws_cloudtrail" "t" {
  name                       = var.name
  s3_bucket_name             = aws_s3_bucket.b.id
  is_multi_region_trail      = true
  cloud_watch_logs_group_arn = %s
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
`, i, map[bool]string{true: `"${aws_cloudwatch_log_group.ct.arn}:*"`, false: `aws_cloudwatch_log_group.ct.arn`}[i%7 != 0]),
		}
		for name, text := range files {
			_ = os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)
		}
	}
	cdir := filepath.Join(root, "cfn")
	_ = os.MkdirAll(cdir, 0o755)
	tpl, _ := os.ReadFile("testdata/examples/c02_good/template.yaml")
	for i := 0; i < 1000; i++ {
		_ = os.WriteFile(filepath.Join(cdir, fmt.Sprintf("stack%04d.yaml", i)), tpl, 0o644)
	}
	return root
}

func vmHWM() float64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkIaCTree checks a tree of 5,000 Terraform files (1,000 root modules) and 1,000 CloudFormation templates.
func BenchmarkIaCTree(b *testing.B) {
	root := genTree(b)
	cat, _ := controls.Load()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	b.ResetTimer()
	var files, trails int
	var d time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res := Scan([]string{root}, Options{})
		fs := controls.EvaluateIaC(cat, res.Trails, controls.IaCSettings{MinRetentionDays: 365})
		d = time.Since(start)
		files, trails = res.Files, len(fs)
		if len(res.Errors) > 0 {
			b.Fatalf("errors: %v", res.Errors[0])
		}
	}
	b.StopTimer()
	if files != 6000 || trails != 2000 {
		b.Fatalf("read %d files, judged %d trails", files, trails)
	}
	b.ReportMetric(float64(files)/d.Seconds(), "files/s")
	b.ReportMetric(vmHWM(), "MB-peak-RSS")
	b.Logf("%d files (%d trails) in %.2fs: %.0f files/s; peak RSS %.0f MB", files, trails, d.Seconds(), float64(files)/d.Seconds(), vmHWM())
}

// realWorldTree writes a baseline-style configuration as common landing-zone modules lay it out: a root calling an
// account baseline module, which calls a regional module once per region (17, with for_each over a map of provider
// settings), which calls a trail module with its log group, role and policy (issue 12).
func realWorldTree(b *testing.B) string {
	root := b.TempDir()
	regions := []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
		"ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2",
		"eu-west-3", "eu-north-1", "sa-east-1"}
	var quoted []string
	for _, r := range regions {
		quoted = append(quoted, strconv.Quote(r))
	}
	files := map[string]string{
		"main.tf": "module \"baseline\" {\n  source = \"./modules/baseline\"\n  name   = \"org\"\n}\n",
		"modules/baseline/main.tf": `variable "name" {}
locals {
  regions = toset([` + strings.Join(quoted, ", ") + `])
  prefix  = "${var.name}-baseline"
}
module "regional" {
  source   = "../regional"
  for_each = local.regions
  region   = each.value
  prefix   = local.prefix
}
`,
		"modules/regional/main.tf": `variable "region" {}
variable "prefix" {}
locals {
  trail_name = "${var.prefix}-${var.region}"
}
module "trail" {
  source = "../trail"
  name   = local.trail_name
}
`,
		"modules/trail/main.tf": `variable "name" {}
resource "aws_cloudwatch_log_group" "ct" {
  name              = "/aws/cloudtrail/${var.name}"
  retention_in_days = 365
}
resource "aws_iam_role" "ct" {
  name               = "ct-${var.name}"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Principal = {Service = "cloudtrail.amazonaws.com"}, Action = "sts:AssumeRole"}]})
}
resource "aws_iam_role_policy" "ct" {
  role   = aws_iam_role.ct.id
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "${aws_cloudwatch_log_group.ct.arn}:*"}]})
}
resource "aws_cloudtrail" "t" {
  name                       = var.name
  s3_bucket_name             = "b"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
`,
	}
	for p, text := range files {
		full := filepath.Join(root, p)
		_ = os.MkdirAll(filepath.Dir(full), 0o755)
		_ = os.WriteFile(full, []byte(text), 0o644)
	}
	return root
}

// deepChain writes eight modules each calling the next with an input derived from locals (issue 12: depth 8 took 60 s).
func deepChain(b *testing.B) string {
	root := b.TempDir()
	dir := root
	for i := 0; i < 8; i++ {
		body := "variable \"name\" {\n  default = \"root\"\n}\nlocals {\n  a = var.name\n  b = \"${local.a}-x\"\n}\n" +
			"resource \"aws_cloudtrail\" \"t\" {\n  name           = local.b\n  s3_bucket_name = \"b\"\n}\n"
		if i < 7 {
			body += "module \"next\" {\n  source = \"./next\"\n  name   = local.b\n}\n"
		}
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, "main.tf"), []byte(body), 0o644)
		dir = filepath.Join(dir, "next")
	}
	return root
}

// BenchmarkIaCRealWorld judges a baseline-style tree (17 trails through a three-level hierarchy) and an eight-deep
// chain of modules; docs/performance.md records the figures.
func BenchmarkIaCRealWorld(b *testing.B) {
	cat, _ := controls.Load()
	for _, tc := range []struct {
		name   string
		tree   func(*testing.B) string
		trails int
	}{{"baseline-17-regions", realWorldTree, 17}, {"depth-8", deepChain, 8}} {
		b.Run(tc.name, func(b *testing.B) {
			root := tc.tree(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res := Scan([]string{root}, Options{})
				if len(res.Trails) != tc.trails || len(res.Errors) > 0 {
					b.Fatalf("%d trails (want %d), errors %+v", len(res.Trails), tc.trails, res.Errors)
				}
				for _, f := range controls.EvaluateIaC(cat, res.Trails, controls.IaCSettings{MinRetentionDays: 365}) {
					if tc.name == "baseline-17-regions" && f.Status != "PASS" { // the chain's trails are bare on purpose
						b.Fatalf("%s: %s %+v", f.ResourceID, f.Status, f.Reasons)
					}
				}
			}
		})
	}
}
