package cli

import (
	"fmt"
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
		{"collecting", "security_lake: [{region: us-east-1}, {region: eu-west-1}]", "", "PASS    account-activity-capture"},
		// Security Lake collects a region's events only where its CloudTrail source is enabled (ListLogSources).
		{"collecting in one region of two", "security_lake: [{region: us-east-1}]", "", "does not collect the account's CloudTrail management events (CLOUD_TRAIL_MGMT) in eu-west-1 (source not enabled); it collects in us-east-1"},
		// Field trial: a source enabled in a region but not collecting there counted (only the home region's status
		// was read).
		{"misconfigured in one region", "security_lake: [{region: us-east-1}, {region: eu-west-1, status: MISCONFIGURED}]", "", "in eu-west-1 (MISCONFIGURED); it collects in us-east-1"},
		{"collecting nowhere", "security_lake: [{region: us-east-1, status: NOT_COLLECTING}, {region: eu-west-1, status: NOT_COLLECTING}]", "", "collects in none of the scanned regions (eu-west-1 NOT_COLLECTING, us-east-1 NOT_COLLECTING)"},
		{"a region's status unreadable", "security_lake: [{region: us-east-1}, {region: eu-west-1}]", "\n    faults: [{operation: 'securitylake:GetDataLakeSources', region: eu-west-1, error: AccessDeniedException}]", "ALTERNATE_UNVERIFIED"},
		// Review: ListLogSources may answer per region; no data lake in the home region is not "none anywhere".
		{"no data lake where the regions are listed", "security_lake: [{region: us-east-1}, {region: eu-west-1}]", "\n    faults: [{operation: 'securitylake:ListLogSources', error: ResourceNotFoundException}]", "PASS    account-activity-capture"},
		{"its regions unreadable", "security_lake: [{region: us-east-1}, {region: eu-west-1}]", "\n    faults: [{operation: 'securitylake:ListLogSources', error: AccessDeniedException}]", "ALTERNATE_UNVERIFIED"},
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
			if c.name == "collecting in one region of two" && (!strings.Contains(out, "ALTERNATE_LAPSED") || !strings.Contains(out, "FAIL    account-activity-capture")) {
				t.Errorf("an alternate that leaves a region out still counts:\n%s", out)
			}
			if c.name == "collecting" && (!strings.Contains(out, "ALTERNATE_CAPTURE") || !strings.Contains(out, "Without the alternate: NO_TRAIL")) {
				t.Errorf("the PASS does not say why, nor keep the former reason:\n%s", out)
			}
		})
	}
	// Field trial: a lake outside the scan's home region (us-east-1), in every region scanned, lapsed ("this scan does
	// not see it").
	srvOut := simFrom(t, []byte(`
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    security_lake: [{region: eu-west-1}]
`))
	if _, out, errs := simRun(srvOut)(t, "scan", "--regions", "eu-west-1", "--exceptions", path, "--max-exception-days", "0"); !strings.Contains(out, "PASS    account-activity-capture") {
		t.Errorf("a lake outside the home region, every scanned region collected:\n%s\n%s", out, errs)
	}
	// Field trial: exceptions check --from a scan where the alternate lapsed called it current.
	srvLapsed := simFrom(t, []byte(`
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    security_lake: [{region: us-east-1}]
`))
	saved := filepath.Join(dir, "lapsed.json")
	simRun(srvLapsed)(t, "scan", "--exceptions", path, "--max-exception-days", "0", "--format", "json", "--include-inventory", "-o", saved)
	if code, out, errs := simRun(srvLapsed)(t, "exceptions", "check", "--exceptions", path, "--max-exception-days", "0", "--from", saved); code == 0 || !strings.Contains(out, "lapsed "+path+":2") {
		t.Errorf("exceptions check --from a scan where the alternate lapsed: exit %d\n%s\n%s", code, out, errs)
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

// TestAlternatesTogether (field trial): every matching alternate is tried (a lapsed one does not hide one that
// holds), a lapsed alternate leaves an ordinary exception free to mute, and the table says "captured elsewhere", not
// "muted", for an alternate's PASS.
func TestAlternatesTogether(t *testing.T) {
	const head = "exceptions:\n"
	alt := func(evidence, account string) string {
		return "  - kind: alternate\n    control: account-activity-capture\n    evidence: " + evidence + "\n    accounts: [\"" + account + "\"]\n    owner: o@example.com\n    reason: SIEM\n    expires: 2099-01-01\n"
	}
	mute := "  - control: account-activity-capture\n    accounts: [\"222222222222\"]\n    owner: o@example.com\n    reason: accepted\n    expires: 2099-01-01\n"
	path := filepath.Join(t.TempDir(), "x.yaml")
	if err := os.WriteFile(path, []byte(head+alt("security-lake", "111111111111")+alt("cloudtrail-lake", "111111111111")+alt("security-lake", "222222222222")+mute), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := simFrom(t, []byte(`
organization: {id: o-abcdefghij, management_account: "111111111111"}
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    event_data_stores: [{name: all}]
  - id: "222222222222"
    regions: [us-east-1]
`))
	_, out, errs := simRun(srv)(t, "scan", "--org", "--exceptions", path, "--max-exception-days", "0")
	for _, want := range []string{"PASS    account-activity-capture           111111111111", "captured elsewhere by the alternate at", "MUTED   account-activity-capture           222222222222", "ALTERNATE_LAPSED"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s\n%s", want, out, errs)
		}
	}
	if strings.Contains(out, "EXCEPTION_UNUSED") {
		t.Errorf("an exception that was used is called unused:\n%s", out)
	}
}

// TestAlternateNotUnused (field trial): `exceptions check --from` a report in which an alternate made the capture
// pass does not call it unused.
func TestAlternateNotUnused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.yaml")
	os.WriteFile(path, []byte("exceptions:\n  - kind: alternate\n    control: account-activity-capture\n    evidence: cloudtrail-lake\n    accounts: [\"111111111111\"]\n    owner: o@example.com\n    reason: SIEM\n    expires: 2099-01-01\n"), 0o600)
	srv := simFrom(t, []byte("accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    event_data_stores: [{name: all}]\n"))
	run := simRun(srv)
	report := filepath.Join(dir, "r.json")
	if code, _, errs := run(t, "scan", "--exceptions", path, "--max-exception-days", "0", "--format", "json", "-o", report, "--include-inventory"); code != 0 {
		t.Fatalf("scan: %d %s", code, errs)
	}
	if code, out, errs := run(t, "exceptions", "check", "--exceptions", path, "--max-exception-days", "0", "--from", report); code != 0 {
		t.Errorf("check: %d\n%s\n%s", code, out, errs)
	}
}

// TestLapsedAlternateChecked (field trial): `exceptions check --from` a report in which an alternate lapsed (its
// CloudTrail Lake store stopped ingesting) exits non-zero and lists it as lapsed; from a report without its
// inventory, where the evidence cannot be read, it says so instead of calling the exception current.
func TestLapsedAlternateChecked(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.yaml")
	os.WriteFile(path, []byte("exceptions:\n  - kind: alternate\n    control: account-activity-capture\n    evidence: cloudtrail-lake\n    accounts: [\"111111111111\"]\n    owner: o@example.com\n    reason: SIEM\n    expires: 2099-01-01\n"+
		"  - control: cloudtrail-cloudwatch-integration\n    accounts: [\"111111111111\"]\n    owner: o@example.com\n    reason: old\n    expires: 2020-01-01\n"), 0o600)
	srv := simFrom(t, []byte("accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    event_data_stores: [{name: old, status: STOPPED_INGESTION}]\n"))
	run := simRun(srv)
	for _, inventory := range []bool{true, false} {
		report := filepath.Join(dir, fmt.Sprintf("r-%v.json", inventory))
		args := []string{"scan", "--exceptions", path, "--max-exception-days", "0", "--format", "json", "-o", report}
		if inventory {
			args = append(args, "--include-inventory")
		}
		if code, _, errs := run(t, args...); code != ExitFailed {
			t.Fatalf("scan: %d %s", code, errs)
		}
		code, out, errs := run(t, "exceptions", "check", "--exceptions", path, "--max-exception-days", "0", "--from", report)
		switch {
		case inventory && (code != ExitFailed || !strings.Contains(out+errs, "lapsed")):
			t.Errorf("with the inventory: %d\n%s\n%s", code, out, errs)
		case inventory && !strings.Contains(fmt.Sprint(readReport(t, report).Findings), "eventdatastore/old STOPPED_INGESTION"):
			// The lapse says what was seen (field trial: "this scan does not see it" named no store).
			t.Errorf("the lapse does not name the store and its status: %+v", readReport(t, report).Findings)
		case !inventory && (code != ExitFailed || !strings.Contains(out, "unverified") || !strings.Contains(out, "expired") || !strings.Contains(errs, "--include-inventory")):
			// The expired exception beside it is still reported (review: refusing the file hid it).
			t.Errorf("without the inventory: %d\n%s\n%s", code, out, errs)
		}
	}
}

// TestLakeStoreMustCoverTheAccount (review): an ENABLED event data store counts as CloudTrail Lake capture only when it
// ingests from every region and keeps management events; a single-region store, or one of S3 data events, lapses the
// alternate, saying why.
func TestLakeStoreMustCoverTheAccount(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.yaml")
	os.WriteFile(path, []byte("exceptions:\n  - kind: alternate\n    control: account-activity-capture\n    evidence: cloudtrail-lake\n    accounts: [\"111111111111\"]\n    owner: o@example.com\n    reason: SIEM\n    expires: 2099-01-01\n"), 0o600)
	for store, want := range map[string]string{
		"{name: s}":                           "PASS",
		"{name: s, multi_region: false}":      "ENABLED, single-region",
		"{name: s, management_events: false}": "ENABLED, no management events",
	} {
		srv := simFrom(t, []byte("accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    event_data_stores: ["+store+"]\n"))
		_, out, errs := simRun(srv)(t, "scan", "--exceptions", path, "--max-exception-days", "0")
		if want == "PASS" && !strings.Contains(out, "PASS    account-activity-capture") || want != "PASS" && (!strings.Contains(out, "ALTERNATE_LAPSED") || !strings.Contains(out, want)) {
			t.Errorf("%s: want %s:\n%s\n%s", store, want, out, errs)
		}
	}
}
