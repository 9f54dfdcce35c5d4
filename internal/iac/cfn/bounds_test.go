package cfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// laughs is 1 KB of YAML whose aliases of aliases make 10^9 strings for !Join (issue 23: it exhausted memory).
func laughs() string {
	y := []string{`AWSTemplateFormatVersion: "2010-09-09"`, "Mappings:", "  M:", `    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]`}
	prev := "a"
	for _, n := range "bcdefghi" {
		y = append(y, fmt.Sprintf("    %c: &%c [%s]", n, n, strings.TrimSuffix(strings.Repeat("*"+prev+",", 10), ",")))
		prev = string(n)
	}
	return strings.Join(append(y, "Resources:", "  T:", "    Type: AWS::CloudTrail::Trail", "    Properties:",
		"      S3BucketName: b", "      CloudWatchLogsLogGroupArn: !Join [\"\", *i]"), "\n") + "\n"
}

// nestedForEach is three nested Fn::ForEach of n items each.
func nestedForEach(n int) string {
	list := func(p string) []string {
		var l []string
		for i := 0; i < n; i++ {
			l = append(l, fmt.Sprintf("%s%d", p, i))
		}
		return l
	}
	doc := map[string]any{"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::LanguageExtensions",
		"Resources": map[string]any{"Fn::ForEach::A": []any{"a", list("a"), map[string]any{
			"Fn::ForEach::B": []any{"b", list("b"), map[string]any{
				"Fn::ForEach::C": []any{"c", list("c"), map[string]any{
					"T${a}${b}${c}": map[string]any{"Type": "AWS::CloudTrail::Trail", "Properties": map[string]any{"S3BucketName": "b"}}}}}}}}}}
	data, _ := json.Marshal(doc)
	return string(data)
}

// TestEvaluationBounds: templates whose expansion built gigabytes end in an error naming the limit and the line,
// allocating far less than 1 GB; a loop that stays within the limit still expands.
func TestEvaluationBounds(t *testing.T) {
	big := strings.Repeat("x", 100_000)
	tests := []struct {
		name, text, err string
		trails          int
	}{
		{"YAML aliases of aliases under !Join", laughs(), "YAML aliases (or aliases of aliases) expand too far", -1},
		{"three nested Fn::ForEach of 1,000", nestedForEach(1000), "expands to more than 10000 resources", -1},
		{"!Join repeating a large string", "Mappings:\n  M:\n    s: &s " + big + "\n    l: &l [*s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s]\nResources:\n  T:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      S3BucketName: b\n      CloudWatchLogsLogGroupArn: !Join [\"\", *l]\n", "Fn::Join would build more than 1048576 bytes", -1},
		{"!Sub repeating a large variable", "Resources:\n  T:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      S3BucketName: b\n      CloudWatchLogsLogGroupArn: !Sub [\"" + strings.Repeat("${V}", 20) + "\", {V: " + big + "}]\n", "Fn::Sub would build more than 1048576 bytes", -1},
		{"three nested Fn::ForEach of 10 (within the limit)", nestedForEach(10), "", 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			tpl, err := Parse("t.yaml", []byte(tc.text), nil)
			var trails int
			if err == nil {
				ts, terr := tpl.Trails()
				trails, err = len(ts), terr
			}
			runtime.ReadMemStats(&after)
			var ce *Error
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.err != "" && (!errors.As(err, &ce) || !strings.Contains(ce.Msg, tc.err) || ce.Line == 0):
				t.Fatalf("error %v, want one at a line with %q", err, tc.err)
			case tc.trails >= 0 && trails != tc.trails:
				t.Errorf("%d trails, want %d", trails, tc.trails)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<30 {
				t.Errorf("allocated %d MB, want < 1 GB", n>>20)
			}
		})
	}
}
