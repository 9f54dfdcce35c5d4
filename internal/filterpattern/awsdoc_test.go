package filterpattern

import (
	"encoding/json"
	"os"
	"testing"
)

// AWSDocExamples is the table of AWS's documented filter pattern examples (testdata/aws-doc-examples.json).
type AWSDocExamples struct {
	Source string            `json:"source"`
	Events map[string]string `json:"events"`
	Cases  []struct {
		Event, Pattern string
		Match          bool
	} `json:"cases"`
}

func loadAWSDocExamples(t *testing.T) AWSDocExamples {
	t.Helper()
	b, err := os.ReadFile("testdata/aws-doc-examples.json")
	if err != nil {
		t.Fatal(err)
	}
	var x AWSDocExamples
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	if len(x.Cases) < 10 {
		t.Fatalf("only %d documented cases", len(x.Cases))
	}
	return x
}

// TestAWSDocumentedExamples holds the evaluator to AWS's own examples, among them the one that settles precedence
// (A || B && C matches when only A holds: && binds tighter). The simulator's TestMetricFilter is held to the same
// table (internal/awssim TestTestMetricFilterFollowsAWSDocs).
func TestAWSDocumentedExamples(t *testing.T) {
	x := loadAWSDocExamples(t)
	for _, c := range x.Cases {
		n, err := Parse(c.Pattern)
		if err != nil {
			t.Errorf("%s: %v", c.Pattern, err)
			continue
		}
		if got := MatchJSON(n, []byte(x.Events[c.Event])); got != c.Match {
			t.Errorf("%s on the %s event: match %v, AWS documents %v", c.Pattern, c.Event, got, c.Match)
		}
	}
}
