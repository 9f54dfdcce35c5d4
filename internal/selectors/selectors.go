// Package selectors is the one rule for what CloudTrail event selectors keep of management events, basic
// (EventSelectors: IncludeManagementEvents, ReadWriteType) or advanced (AdvancedEventSelectors: an eventCategory field
// selector, narrowed by readOnly or by any other field), for a trail read live, a CloudWatch telemetry rule's
// CloudtrailParameters, and either declared in infrastructure as code. Semantics: CloudTrail User Guide, "Logging
// management events" and "Filtering data events by using advanced event selectors" (the field selectors of one
// advanced selector are ANDed; selectors are ORed).
package selectors

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

// Read-write values: what the selectors keep of management events.
const (
	All       = "All"
	ReadOnly  = "ReadOnly"
	WriteOnly = "WriteOnly"
	// Partial: some management events are left out by another field (an eventSource, an eventName, ...) or by a
	// readOnly condition whose meaning is not a plain true or false (StartsWith, EndsWith).
	Partial = "Partial"
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
		if management(s) {
			return true
		}
	}
	return false
}

func management(s cttypes.AdvancedEventSelector) bool {
	for _, f := range s.FieldSelectors {
		if aws.ToString(f.Field) == "eventCategory" && slices.Contains(f.Equals, "Management") {
			return true
		}
	}
	return false
}

// ReadWrite is which management events the selectors keep, basic (ReadWriteType) or advanced (a readOnly field
// selector): All when some selector keeps both, or when reads and writes are kept whole by different selectors;
// Partial when what is kept is narrowed otherwise.
func ReadWrite(out *cloudtrail.GetEventSelectorsOutput) string {
	read, write, partial := false, false, false
	if len(out.EventSelectors) == 0 && len(out.AdvancedEventSelectors) == 0 {
		return All // no selector: every management event, as Management says (a trail's default)
	}
	for _, s := range out.EventSelectors {
		if s.IncludeManagementEvents != nil && !*s.IncludeManagementEvents {
			continue
		}
		if len(s.ExcludeManagementEventSources) > 0 {
			// kms.amazonaws.com or rdsdata.amazonaws.com left out (CloudTrail User Guide, "Logging management
			// events"): CIS 4.7's events may never arrive (review).
			partial = true
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
		if !management(s) {
			continue
		}
		r, w, narrowed := true, true, false
		for _, f := range s.FieldSelectors {
			switch aws.ToString(f.Field) {
			case "eventCategory":
				if len(f.NotEquals)+len(f.StartsWith)+len(f.NotStartsWith)+len(f.EndsWith)+len(f.NotEndsWith) > 0 {
					narrowed = true
				}
			case "readOnly":
				if len(f.StartsWith)+len(f.NotStartsWith)+len(f.EndsWith)+len(f.NotEndsWith) > 0 {
					narrowed = true
				}
				if len(f.Equals) > 0 {
					r, w = r && slices.Contains(f.Equals, "true"), w && slices.Contains(f.Equals, "false")
				}
				if slices.Contains(f.NotEquals, "true") {
					r = false
				}
				if slices.Contains(f.NotEquals, "false") {
					w = false
				}
			default:
				// Any other field (eventSource, eventName, ...) keeps only some management events.
				narrowed = true
			}
		}
		switch {
		case narrowed:
			partial = true
		default:
			read, write = read || r, write || w
		}
	}
	switch {
	case read && write:
		return All
	case partial:
		return Partial
	case read:
		return ReadOnly
	case write:
		return WriteOnly
	}
	return Partial
}

// Kept is what a trail's or telemetry rule's selectors keep, as the model records it: whether management events are
// kept (Management) and, when they are, which of them (ReadWrite; "" when none are). The collector and the three
// infrastructure-as-code readers record a source's selectors through it.
func Kept(out *cloudtrail.GetEventSelectorsOutput) (management *bool, readWrite string) {
	m := Management(out)
	if m {
		readWrite = ReadWrite(out)
	}
	return &m, readWrite
}
