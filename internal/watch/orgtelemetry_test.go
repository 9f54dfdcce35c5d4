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
