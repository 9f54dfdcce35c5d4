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
