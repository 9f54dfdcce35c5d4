package cli

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestScanErrors (review, issue 22): the exit codes and messages of a scan that could not begin, now that the scan
// runs in the scan library and the command maps its typed errors: an account the credentials reach but cannot name
// (GetCallerIdentity failing, not refused) exits 2 and says nothing was scanned; refused credentials exit 3 and say
// so; an organization whose listing fails with throttling before any account exits 2 and says to run it again; any
// other organization error exits 3.
func TestScanErrors(t *testing.T) {
	for _, c := range []struct {
		name, scenario string
		args           []string
		code           int
		want           string
	}{
		{"caller unknown", "accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    faults: [{operation: 'sts:GetCallerIdentity', error: InternalFailure}]\n",
			[]string{"scan", "--max-attempts", "1"}, ExitIncomplete, "could not tell which account the credentials reach, so nothing was scanned"},
		{"caller refused", "accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    faults: [{operation: 'sts:GetCallerIdentity', error: AccessDenied}]\n",
			[]string{"scan", "--max-attempts", "1"}, ExitUsage, "sts:GetCallerIdentity"},
		{"organization throttled", "organization: {id: o-a1b2c3d4e5, management_account: \"111111111111\"}\naccounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    faults: [{operation: 'organizations:DescribeOrganization', error: TooManyRequestsException}]\n",
			[]string{"scan", "--org", "--max-attempts", "1"}, ExitIncomplete, "a transient AWS error before any account was scanned"},
		{"organization, caller refused", "organization: {id: o-a1b2c3d4e5, management_account: \"111111111111\"}\naccounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    faults: [{operation: 'sts:GetCallerIdentity', error: InvalidClientTokenId}]\n",
			[]string{"scan", "--org", "--max-attempts", "1"}, ExitUsage, "the credentials were refused (sts:GetCallerIdentity: InvalidClientTokenId"},
		{"organization, caller unknown", "organization: {id: o-a1b2c3d4e5, management_account: \"111111111111\"}\naccounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    faults: [{operation: 'sts:GetCallerIdentity', error: InternalFailure}]\n",
			[]string{"scan", "--org", "--max-attempts", "1"}, ExitIncomplete, "a transient AWS error before any account was scanned"},
		{"organization refused", "organization: {id: o-a1b2c3d4e5, management_account: \"111111111111\"}\naccounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    faults: [{operation: 'organizations:DescribeOrganization', error: AccessDeniedException}]\n",
			[]string{"scan", "--org", "--max-attempts", "1"}, ExitUsage, "DescribeOrganization"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := simFrom(t, []byte(c.scenario))
			code, out, errs := simRun(srv)(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, want %d; stderr should say %q:\n%s\n%s", code, c.code, c.want, out, errs)
			}
		})
	}
}

// TestAPICallsLineCountsEveryCall (field trial): the "API calls (N)" line counts every call the scan made, as AWS (the
// simulator) counted them: it was one short (the caller's identity, read after the scan); a scan asks who the caller
// is once. fix apply says one line for its whole run, its re-scans and writes included (field trial: a line per
// re-scan, the writes and the AssumeRole calls that make them never counted).
func TestAPICallsLineCountsEveryCall(t *testing.T) {
	for _, args := range [][]string{{"scan"}, {"scan", "--org"}, {"fix", "apply", "--yes", "--wait", "0", "--journal", filepath.Join(t.TempDir(), "j")},
		{"fix", "apply", "--org", "--yes", "--wait", "0", "--journal", filepath.Join(t.TempDir(), "j")}} {
		srv := simFrom(t, []byte("organization: {id: o-a1b2c3d4e5, management_account: \"111111111111\"}\naccounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    trails: [{name: main, home_region: us-east-1}]\n  - id: \"222222222222\"\n    regions: [us-east-1]\n"))
		_, _, errs := simRun(srv)(t, args...)
		m := regexp.MustCompile(`API calls \((\d+)\)`).FindStringSubmatch(errs)
		if m == nil {
			t.Fatalf("%v: no API calls line:\n%s", args, errs)
		}
		if n, _ := strconv.Atoi(m[1]); n != srv.CallsTo("*") {
			t.Errorf("%v: the line says %d calls, AWS counted %d", args, n, srv.CallsTo("*"))
		}
		if n := len(regexp.MustCompile(`API calls \(`).FindAllString(errs, -1)); n != 1 {
			t.Errorf("%v: %d API calls lines", args, n)
		}
		// Review: who the caller is is asked once a run, by either scan (the organization scan asked twice).
		if n := srv.CallsTo("sts:GetCallerIdentity"); n != 1 && args[0] == "scan" {
			t.Errorf("%v asked who the caller is %d times", args, n)
		}
	}
}
