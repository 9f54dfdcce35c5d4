package selectors

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

func field(name string, eq, neq, starts []string) cttypes.AdvancedFieldSelector {
	return cttypes.AdvancedFieldSelector{Field: aws.String(name), Equals: eq, NotEquals: neq, StartsWith: starts}
}

var mgmt = field("eventCategory", []string{"Management"}, nil, nil)

// TestReadWrite: what advanced selectors keep of management events, by the documented semantics (field selectors of
// one selector are ANDed, selectors ORed). Field trial: readOnly NotEquals, a StartsWith and another field were all
// taken for "every management event".
func TestReadWrite(t *testing.T) {
	for _, c := range []struct {
		name string
		sels [][]cttypes.AdvancedFieldSelector
		want string
	}{
		{"management only", [][]cttypes.AdvancedFieldSelector{{mgmt}}, All},
		{"reads", [][]cttypes.AdvancedFieldSelector{{mgmt, field("readOnly", []string{"true"}, nil, nil)}}, ReadOnly},
		{"writes by NotEquals", [][]cttypes.AdvancedFieldSelector{{mgmt, field("readOnly", nil, []string{"true"}, nil)}}, WriteOnly},
		{"reads and writes in two selectors", [][]cttypes.AdvancedFieldSelector{{mgmt, field("readOnly", []string{"true"}, nil, nil)}, {mgmt, field("readOnly", []string{"false"}, nil, nil)}}, All},
		{"readOnly StartsWith", [][]cttypes.AdvancedFieldSelector{{mgmt, field("readOnly", nil, nil, []string{"f"})}}, Partial},
		{"one event source", [][]cttypes.AdvancedFieldSelector{{mgmt, field("eventSource", []string{"s3.amazonaws.com"}, nil, nil)}}, Partial},
		{"one event source, and every management event in another selector", [][]cttypes.AdvancedFieldSelector{{mgmt, field("eventSource", []string{"s3.amazonaws.com"}, nil, nil)}, {mgmt}}, All},
	} {
		out := &cloudtrail.GetEventSelectorsOutput{}
		for _, fs := range c.sels {
			out.AdvancedEventSelectors = append(out.AdvancedEventSelectors, cttypes.AdvancedEventSelector{FieldSelectors: fs})
		}
		if got := ReadWrite(out); got != c.want || !Management(out) {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// TestBasicSelectors (review): a basic selector that excludes management event sources (KMS, RDS Data) keeps only
// some management events; no selector at all keeps every one.
func TestBasicSelectors(t *testing.T) {
	excl := &cloudtrail.GetEventSelectorsOutput{EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true),
		ReadWriteType: cttypes.ReadWriteTypeAll, ExcludeManagementEventSources: []string{"kms.amazonaws.com"}}}}
	if got := ReadWrite(excl); got != Partial {
		t.Errorf("excluding KMS: %s, want %s", got, Partial)
	}
	if got := ReadWrite(&cloudtrail.GetEventSelectorsOutput{}); got != All || !Management(&cloudtrail.GetEventSelectorsOutput{}) {
		t.Errorf("no selector: %s, want %s", got, All)
	}
}
