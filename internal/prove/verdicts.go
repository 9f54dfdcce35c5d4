package prove

import (
	"fmt"
	"sort"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// Untested counts the proof findings that are UNKNOWN for want of a test (a refused marker, an unreadable group, a
// search too short); an item with no recent event to prove its filter with is not counted: nothing is wrong there.
func Untested(fs []model.Finding) int {
	n := 0
	for _, f := range fs {
		if f.ControlID == ControlID && f.Status == model.StatusUnknown && len(f.Reasons) > 0 && f.Reasons[0].Code != NothingToProve {
			n++
		}
	}
	return n
}

// Contradictions are the regions the configuration calls captured (config: the scan's findings) and the proof did
// not see: a report's most important lines, sorted.
func Contradictions(config, proof []model.Finding) []string {
	pass := map[string]bool{}
	for _, f := range config {
		if f.ControlID == controls.CaptureID && (f.Status == model.StatusPass || f.Status == model.StatusMuted && f.MutedStatus == model.StatusPass) {
			pass[f.AccountID] = true
		}
	}
	var out []string
	for _, f := range proof {
		if why := reasonText(f, NotSeen); f.Status == model.StatusFail && pass[f.AccountID] && why != "" {
			out = append(out, fmt.Sprintf("NOT CAPTURED although the configuration passes: account %s, %s: %s", f.AccountID, f.Region, why))
		}
	}
	sort.Strings(out)
	return out
}

// ProvenRegions are the regions a proof saw its marker in ("<account> <region>", sorted): what an interrupted proof
// had proven by then.
func ProvenRegions(fs []model.Finding) []string {
	var proven []string
	for _, f := range fs {
		if f.Status == model.StatusPass && len(f.Reasons) > 0 && f.Reasons[0].Code == Proven {
			proven = append(proven, f.AccountID+" "+f.Region)
		}
	}
	sort.Strings(proven)
	return proven
}

func reasonText(f model.Finding, code string) string {
	for _, r := range f.Reasons {
		if r.Code == code {
			return r.Message
		}
	}
	return ""
}
