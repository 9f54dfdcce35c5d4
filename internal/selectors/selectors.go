// Package selectors is the one rule for what CloudTrail event selectors keep of management events, basic
// (EventSelectors: IncludeManagementEvents, ReadWriteType) or advanced (AdvancedEventSelectors: an eventCategory field
// selector, narrowed by readOnly), for a trail read live, a CloudWatch telemetry rule's CloudtrailParameters, and
// either declared in infrastructure as code. Semantics: CloudTrail User Guide, "Logging management events" and
// "Filtering data events by using advanced event selectors".
package selectors

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// Management reports whether any event selector, basic or advanced, includes management events (no selector at all:
// a trail's default, every management event).
func Management(out *cloudtrail.GetEventSelectorsOutput) bool {
	if len(out.EventSelectors) == 0 && len(out.AdvancedEventSelectors) == 0 {
		return true
	}
	for _, s := range out.EventSelectors {
		if s.IncludeManagementEvents == nil || *s.IncludeManagementEvents {
			return true
		}
	}
	for _, s := range out.AdvancedEventSelectors {
		for _, f := range s.FieldSelectors {
			if aws.ToString(f.Field) == "eventCategory" && slices.Contains(f.Equals, "Management") {
				return true
			}
		}
	}
	return false
}

// ReadWrite is which management events the selectors keep, basic (ReadWriteType) or advanced (a readOnly field
// selector): All when any selector keeps both, or when reads and writes are kept by different selectors.
func ReadWrite(out *cloudtrail.GetEventSelectorsOutput) string {
	read, write := false, false
	for _, s := range out.EventSelectors {
		if s.IncludeManagementEvents != nil && !*s.IncludeManagementEvents {
			continue
		}
		switch s.ReadWriteType {
		case "ReadOnly":
			read = true
		case "WriteOnly":
			write = true
		default:
			read, write = true, true
		}
	}
	for _, s := range out.AdvancedEventSelectors {
		mgmt, ro := false, ""
		for _, f := range s.FieldSelectors {
			switch aws.ToString(f.Field) {
			case "eventCategory":
				mgmt = slices.Contains(f.Equals, "Management")
			case "readOnly":
				if len(f.Equals) == 1 {
					ro = f.Equals[0]
				}
			}
		}
		if !mgmt {
			continue
		}
		switch ro {
		case "true":
			read = true
		case "false":
			write = true
		default:
			read, write = true, true
		}
	}
	switch {
	case read && !write:
		return "ReadOnly"
	case write && !read:
		return "WriteOnly"
	}
	return "All"
}
