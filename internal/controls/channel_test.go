package controls

import (
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/model"
)

// TestChannelBounds (review): what a CloudTrail service-linked channel keeps bounds what a telemetry rule delivers.
// A channel that applies to every region bounds the regions with none of their own; one that keeps only some events
// (Partial) keeps less than a rule that keeps all, and is said so, not "none"; one whose selectors were not given
// bounds nothing.
func TestChannelBounds(t *testing.T) {
	yes, no := true, false
	regions := []string{"eu-west-1", "us-east-1"}
	account := func(ruleRW string, channels map[string]*model.Channel) *model.Account {
		r := &model.TelemetryRule{ARN: "arn:aws:observabilityadmin:us-east-1:111111111111:telemetry-rule/r", HomeRegion: "us-east-1",
			DestinationType: "cloud-watch-logs", ManagementEvents: &yes, ReadWriteType: ruleRW, Regions: regions, Groups: map[string]*model.LogGroup{}}
		for _, reg := range regions {
			r.Groups[reg] = &model.LogGroup{ARN: "arn:aws:logs:" + reg + ":111111111111:log-group:aws/cloudtrail/managementevents:*", Exists: true}
		}
		return &model.Account{ID: "111111111111", Regions: regions, Telemetry: &model.Telemetry{Status: "RUNNING", Rules: []*model.TelemetryRule{r}, Channels: channels}}
	}
	ch := func(region, rw string, mgmt *bool, all bool) *model.Channel {
		return &model.Channel{ARN: "arn:aws:cloudtrail:" + region + ":111111111111:channel/c", ManagementEvents: mgmt, ReadWriteType: rw, AllRegions: all}
	}
	for _, c := range []struct {
		name, ruleRW string
		channels     map[string]*model.Channel
		region       string
		captured     bool
		problem      string
	}{
		{"a channel for every region bounds a region without one", "All", map[string]*model.Channel{"us-east-1": ch("us-east-1", "WriteOnly", &yes, true), "eu-west-1": nil},
			"eu-west-1", false, "keeps only write (WriteOnly) management events, less than the telemetry rules keep"},
		{"a single-region channel bounds its region only", "All", map[string]*model.Channel{"us-east-1": ch("us-east-1", "WriteOnly", &yes, false), "eu-west-1": nil},
			"eu-west-1", false, ""},
		{"a channel keeping some events", "All", map[string]*model.Channel{"us-east-1": ch("us-east-1", "Partial", &yes, true)},
			"us-east-1", false, "keeps only some management events"},
		{"a channel keeping some of a read rule's", "ReadOnly", map[string]*model.Channel{"us-east-1": ch("us-east-1", "Partial", &yes, true)},
			"us-east-1", false, "keeps only some management events"},
		{"a channel keeping none", "All", map[string]*model.Channel{"us-east-1": ch("us-east-1", "", &no, true)},
			"us-east-1", false, "keeps none of the management events the telemetry rules keep"},
		{"a channel whose selectors were not given", "All", map[string]*model.Channel{"us-east-1": ch("us-east-1", "", nil, true)},
			"us-east-1", true, ""},
		{"a channel keeping all", "All", map[string]*model.Channel{"us-east-1": ch("us-east-1", "All", &yes, true)},
			"us-east-1", true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := account(c.ruleRW, c.channels)
			if got := ChannelProblem(a, c.region); c.problem == "" && got != "" || !strings.Contains(got, c.problem) {
				t.Errorf("ChannelProblem: %q, want %q", got, c.problem)
			}
			captured := c.ruleRW == "All" && TelemetryCapture(a, regions, nil) != ""
			if c.name == "a single-region channel bounds its region only" {
				captured = TelemetryCapture(a, []string{"eu-west-1"}, nil) != ""
				if TelemetryCapture(a, []string{"us-east-1"}, nil) != "" {
					t.Error("us-east-1, whose channel keeps only writes, was captured")
				}
				c.captured = true
			}
			if captured != c.captured {
				t.Errorf("captured %v, want %v", captured, c.captured)
			}
		})
	}
}
