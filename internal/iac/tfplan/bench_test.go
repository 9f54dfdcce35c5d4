package tfplan

import (
	"fmt"
	"strings"
	"testing"
)

// bigPlan is a plan of n trails, each with its log group and role, in the indented layout terraform show -json uses.
func bigPlan(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": [` + "\n")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"address": "aws_cloudwatch_log_group.g%d", "mode": "managed", "type": "aws_cloudwatch_log_group", "name": "g%d",
 "change": {"actions": ["create"], "after": {"name": "g%d", "retention_in_days": 365}, "after_unknown": {}}},
{"address": "aws_iam_role.r%d", "mode": "managed", "type": "aws_iam_role", "name": "r%d",
 "change": {"actions": ["create"], "after": {"name": "r%d"}, "after_unknown": {"assume_role_policy": true}}},
{"address": "aws_cloudtrail.t%d", "mode": "managed", "type": "aws_cloudtrail", "name": "t%d",
 "change": {"actions": ["create"], "after": {"name": "t%d", "s3_bucket_name": "b",
  "cloud_watch_logs_group_arn": "arn:aws:logs:us-east-1:111111111111:log-group:g%d:*",
  "cloud_watch_logs_role_arn": "arn:aws:iam::111111111111:role/r%d"}, "after_unknown": {}}}`, i, i, i, i, i, i, i, i, i, i, i)
	}
	b.WriteString("\n], \"configuration\": {\"root_module\": {\"resources\": []}}}\n")
	return []byte(b.String())
}

// TestBigPlanJoinsEveryTrail: every trail of a large plan finds its log group, role and line (the indices that made
// the load linear join correctly).
func TestBigPlanJoinsEveryTrail(t *testing.T) {
	p, err := Load("plan.json", bigPlan(300))
	trails := p.Trails
	if err != nil {
		t.Fatal(err)
	}
	if len(trails) != 300 {
		t.Fatalf("%d trails", len(trails))
	}
	for _, tr := range trails {
		i := strings.TrimPrefix(tr.Name, "t")
		if tr.LogGroup == nil || tr.LogGroup.Name != "g"+i || tr.Role == nil || tr.Role.Name != "r"+i || tr.Source.Line == 0 {
			t.Fatalf("%s: group %+v role %+v line %d", tr.Name, tr.LogGroup, tr.Role, tr.Source.Line)
		}
	}
}

// BenchmarkLoad20000 loads a plan of 20,000 trails (issue 11: 45 s when the load was quadratic).
func BenchmarkLoad20000(b *testing.B) {
	data := bigPlan(20000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Load("plan.json", data); err != nil {
			b.Fatal(err)
		}
	}
}
