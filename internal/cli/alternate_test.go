package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAlternateCapture (issue 26): Security Lake and CloudTrail Lake are reported where they keep an account's events,
// count as capture only through an exception of kind alternate, and that exception is verified live on every scan:
// seen, PASS ALTERNATE_CAPTURE; gone, it lapses (ALTERNATE_LAPSED, the FAIL stands); unreadable, ERROR.
func TestAlternateCapture(t *testing.T) {
	const exc = `exceptions:
  - kind: alternate
    control: account-activity-capture
    evidence: security-lake
    accounts: ["111111111111"]
    owner: secops@example.com
    reason: Splunk alarms on Security Lake's CloudTrail source
    expires: 2099-01-01
`
	dir := t.TempDir()
	path := filepath.Join(dir, "exceptions.yaml")
	if err := os.WriteFile(path, []byte(exc), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, lake, extra, want string
	}{
		{"collecting", "security_lake: [{region: us-east-1}]", "", "PASS    account-activity-capture"},
		{"stopped collecting", "security_lake: [{region: us-east-1, status: NOT_COLLECTING}]", "", "ALTERNATE_LAPSED"},
		{"unreadable", "security_lake: [{region: us-east-1}]", "\n    faults: [{operation: 'securitylake:GetDataLakeSources', error: AccessDeniedException}]", "ALTERNATE_UNVERIFIED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := simFrom(t, []byte(`
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    `+c.lake+c.extra+"\n"))
			run := simRun(srv)
			_, out, errs := run(t, "scan", "--exceptions", path, "--max-exception-days", "0")
			if !strings.Contains(out, c.want) {
				t.Errorf("want %s:\n%s\n%s", c.want, out, errs)
			}
			if c.name == "collecting" && (!strings.Contains(out, "ALTERNATE_CAPTURE") || !strings.Contains(out, "Without the alternate: NO_TRAIL")) {
				t.Errorf("the PASS does not say why, nor keep the former reason:\n%s", out)
			}
		})
	}
	// Without the exception, the evidence is named in the failing finding, which still fails.
	srv := simFrom(t, []byte(`
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    event_data_stores: [{name: all}]
`))
	_, out, _ := simRun(srv)(t, "scan")
	if !strings.Contains(out, "FAIL    account-activity-capture") || !strings.Contains(out, "CloudTrail Lake event data stores keep this account's events") {
		t.Errorf("no exception:\n%s", out)
	}
}
