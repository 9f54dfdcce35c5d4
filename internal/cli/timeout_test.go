package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/model"
)

// TestSlowRegionAndAccountTimeOut: a region that does not answer, and an account that answers too slowly, become
// ERRORs that say they timed out, and the rest of the organization is judged (issue 11).
func TestSlowRegionAndAccountTimeOut(t *testing.T) {
	const slowRegionAcct, slowAcct = "100000000002", "100000000003"
	srv := simWith(t, 5,
		awssim.Fault{Operation: "cloudtrail:DescribeTrails", Account: slowRegionAcct, Region: "eu-west-1", Latency: awssim.Duration(time.Hour)},
		awssim.Fault{Operation: "*", Account: slowAcct, Latency: awssim.Duration(250 * time.Millisecond)}) // each call answers in time; the account does not
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, errs := runAt(t, srv.Now(), "scan", "--org", "--format", "json", "-o", out,
		"--call-timeout", "300ms", "--max-attempts", "2", "--account-timeout", "600ms")
	if code != ExitFailed && code != ExitIncomplete {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	r := readReport(t, out)
	var regionErr, acctErr bool
	judged := map[string]bool{}
	for _, f := range r.Findings {
		judged[f.AccountID] = true
		timedOut := strings.Contains(strings.Join(reasonTexts(f), " "), "timed out")
		if f.AccountID == slowRegionAcct && f.Region == "eu-west-1" && f.Status == model.StatusError && timedOut {
			regionErr = true
		}
		if f.AccountID == slowAcct && f.Status == model.StatusError && timedOut {
			acctErr = true
		}
	}
	if !regionErr {
		t.Error("no ERROR saying the slow region timed out")
	}
	if !acctErr {
		t.Error("no ERROR saying the slow account timed out")
	}
	for _, id := range []string{"100000000000", "100000000001", "100000000004"} {
		if !judged[id] {
			t.Errorf("account %s was not judged", id)
		}
	}
}

func reasonTexts(f model.Finding) []string {
	var out []string
	for _, r := range f.Reasons {
		out = append(out, r.Message)
	}
	return out
}

// TestAccountThatNeverAnswers: an account in which nothing answers before --account-timeout is one ERROR saying so,
// as an account that refuses every region is; it was one ERROR per region of the partition's defaults (17 at AWS),
// each with the SDK's "context deadline exceeded".
func TestAccountThatNeverAnswers(t *testing.T) {
	const silent = "100000000002"
	srv := simWith(t, 3, awssim.Fault{Operation: "*", Account: silent, Latency: awssim.Duration(time.Hour)})
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, errs := runAt(t, srv.Now(), "scan", "--org", "--format", "json", "-o", out, "--account-timeout", "400ms")
	if code != ExitFailed && code != ExitIncomplete {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var mine []model.Finding
	for _, f := range readReport(t, out).Findings {
		if f.AccountID == silent {
			mine = append(mine, f)
		}
	}
	if len(mine) != 1 || mine[0].Status != model.StatusError || !strings.Contains(strings.Join(reasonTexts(mine[0]), " "), "--account-timeout") {
		for _, f := range mine {
			t.Logf("%s %s %s %v", f.ControlID, f.Region, f.Status, reasonTexts(f))
		}
		t.Errorf("%d findings for the silent account, want one ERROR naming --account-timeout", len(mine))
	}
}
