package watch

import (
	"testing"

	"github.com/trailwatch/trailwatch/internal/model"
)

// TestKeepOrgTelemetry (review): a whole-account re-read, which cannot read the organization's rules, keeps those
// the sweep read, and only those; a re-read that did read them is left alone.
func TestKeepOrgTelemetry(t *testing.T) {
	orgRule := &model.TelemetryRule{ARN: "arn:aws:observabilityadmin:us-east-1:111111111111:organization-telemetry-rule/r", Organization: true}
	old := &model.Account{Telemetry: &model.Telemetry{Status: "NOT_STARTED", OrgStatus: "RUNNING",
		Rules: []*model.TelemetryRule{orgRule, {ARN: "own", Organization: false}}}}
	fresh := &model.Account{Telemetry: &model.Telemetry{Status: "NOT_STARTED"}}
	keepOrgTelemetry(fresh, old)
	if fresh.Telemetry.OrgStatus != "RUNNING" || len(fresh.Telemetry.Rules) != 1 || fresh.Telemetry.Rules[0] != orgRule {
		t.Errorf("after the re-read: %+v", fresh.Telemetry)
	}
	read := &model.Account{Telemetry: &model.Telemetry{OrgStatus: "STOPPED"}}
	keepOrgTelemetry(read, old)
	if read.Telemetry.OrgStatus != "STOPPED" || len(read.Telemetry.Rules) != 0 {
		t.Errorf("a re-read that read the organization's telemetry was changed: %+v", read.Telemetry)
	}
}

// TestKeepOrgTelemetryChannels (review): the service-linked channels of the regions only the organization's rules
// apply in come from the sweep (the re-read does not read them), so a narrowed channel, or its failed read, survives a
// re-read; a region the re-read read keeps what it read.
func TestKeepOrgTelemetryChannels(t *testing.T) {
	narrowed := &model.Channel{ARN: "arn:aws:cloudtrail:eu-west-1:222222222222:channel/c", ReadWriteType: "WriteOnly"}
	fresher := &model.Channel{ARN: "arn:aws:cloudtrail:us-east-1:222222222222:channel/d", ReadWriteType: "All"}
	denied := &model.CallError{API: "cloudtrail:ListChannels", Code: "AccessDeniedException"}
	old := &model.Account{Telemetry: &model.Telemetry{OrgStatus: "RUNNING",
		Channels:      map[string]*model.Channel{"eu-west-1": narrowed, "us-east-1": {ARN: "stale"}},
		ChannelErrors: map[string]*model.CallError{"ap-south-1": denied}}}
	fresh := &model.Account{Telemetry: &model.Telemetry{Channels: map[string]*model.Channel{"us-east-1": fresher}}}
	keepOrgTelemetry(fresh, old)
	ft := fresh.Telemetry
	if ft.Channels["eu-west-1"] != narrowed || ft.Channels["us-east-1"] != fresher || ft.ChannelErrors["ap-south-1"] != denied {
		t.Errorf("after the re-read: channels %+v, errors %+v", ft.Channels, ft.ChannelErrors)
	}
}
