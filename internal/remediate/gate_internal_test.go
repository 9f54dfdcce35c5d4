package remediate

import (
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// TestGateWhy: the gate's reason names the finding's codes and quotes the capture finding's notes on why a telemetry
// rule does not capture a region, as the evaluator writes them (an evaluated finding, not a hand-written one).
func TestGateWhy(t *testing.T) {
	yes := true
	cat, err := controls.Load()
	if err != nil {
		t.Fatal(err)
	}
	a := &model.Account{ID: "111111111111", Regions: []string{"us-east-1"}, Telemetry: &model.Telemetry{Status: "RUNNING",
		Rules: []*model.TelemetryRule{{ARN: "arn:aws:observabilityadmin:us-east-1:111111111111:telemetry-rule/r", HomeRegion: "us-east-1",
			DestinationType: "cloud-watch-logs", ManagementEvents: &yes, ReadWriteType: "WriteOnly", Regions: []string{"us-east-1"},
			Groups: map[string]*model.LogGroup{"us-east-1": {Exists: true}}}}}}
	for _, f := range controls.Evaluate(cat, &model.Inventory{Accounts: []*model.Account{a}}, controls.DefaultSettings(time.Now().UTC())) {
		if f.ControlID != controls.CaptureID {
			continue
		}
		got := gateWhy(f)
		if want := " (NO_TRAIL; Region us-east-1 is " + controls.NotCapturedByTelemetry + ": telemetry rule arn:aws:observabilityadmin:us-east-1:111111111111:telemetry-rule/r: "; len(got) < len(want) || got[:len(want)] != want {
			t.Errorf("gateWhy: %q, want it to begin %q", got, want)
		}
		return
	}
	t.Fatal("no capture finding")
}
