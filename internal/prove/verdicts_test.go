package prove

import (
	"reflect"
	"testing"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// TestVerdicts: what the prove command says from a proof's findings (moved out of the command, issue 22): a region
// the configuration calls captured that the proof did not see (muted PASS included), the proofs not tested (a
// region with nothing to prove is no gap), the regions proven.
func TestVerdicts(t *testing.T) {
	f := func(ctl, acct, region string, st model.Status, code, msg string) model.Finding {
		return model.Finding{ControlID: ctl, AccountID: acct, Region: region, Status: st, Reasons: []model.Reason{{Code: code, Message: msg}}}
	}
	muted := f(controls.CaptureID, "222222222222", "global", model.StatusMuted, "X", "")
	muted.MutedStatus = model.StatusPass
	config := []model.Finding{f(controls.CaptureID, "111111111111", "global", model.StatusPass, "X", ""), muted,
		f(controls.CaptureID, "333333333333", "global", model.StatusFail, "X", "")}
	proof := []model.Finding{
		f(ControlID, "111111111111", "eu-west-1", model.StatusFail, NotSeen, "never reached"),
		f(ControlID, "222222222222", "us-east-1", model.StatusFail, NotSeen, "never reached"),
		f(ControlID, "333333333333", "us-east-1", model.StatusFail, NotSeen, "never reached"),
		f(ControlID, "111111111111", "us-east-1", model.StatusPass, Proven, ""),
		f(ControlID, "111111111111", "ap-south-1", model.StatusUnknown, "MARKER_REFUSED", ""),
		f(ControlID, "111111111111", "ap-east-1", model.StatusUnknown, NothingToProve, ""),
	}
	want := []string{"NOT CAPTURED although the configuration passes: account 111111111111, eu-west-1: never reached",
		"NOT CAPTURED although the configuration passes: account 222222222222, us-east-1: never reached"}
	if got := Contradictions(config, proof); !reflect.DeepEqual(got, want) {
		t.Errorf("contradictions:\n%q\nwant\n%q", got, want)
	}
	if n := Untested(proof); n != 1 {
		t.Errorf("untested: %d, want 1", n)
	}
	if got := ProvenRegions(proof); !reflect.DeepEqual(got, []string{"111111111111 us-east-1"}) {
		t.Errorf("proven: %v", got)
	}
}
