package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAlarmsTest(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"published, written another way", []string{"{ $.eventName=StopLogging || $.eventName=StartLogging || $.eventName=DeleteTrail || $.eventName=UpdateTrail || $.eventName=CreateTrail }"},
			ExitOK, []string{"4.5", "alarm-cloudtrail-configuration-changes", "MONITORED"}},
		{"one event forgotten", []string{"{ $.eventName=StartLogging || $.eventName=DeleteTrail || $.eventName=UpdateTrail || $.eventName=CreateTrail }"},
			ExitFailed, []string{"FILTER_MISSES_EVENTS", `misses: $.eventName = "StopLogging"`}},
		{"an exclusion is a warning", []string{`{ ($.eventName=StopLogging || $.eventName=StartLogging || $.eventName=DeleteTrail || $.eventName=UpdateTrail || $.eventName=CreateTrail) && $.userIdentity.invokedBy NOT EXISTS }`},
			ExitOK, []string{"FILTER_NARROWED", "rejects events such as one with: $.userIdentity.invokedBy = (a value the pattern does not name)"}},
		{"about nothing", []string{`{ $.eventName = "GetObject" }`}, ExitFailed, []string{"none of the CIS monitoring items"}},
		// Issue 24: a pattern with none of 4.3's conditions was FILTER_NARROWED, exit 0, against --item 4.3.
		{"about something else, against a named item", []string{"--item", "4.3", `{ $.sourceIPAddress = "1.2.3.4" }`},
			ExitFailed, []string{"alarm-root-account-usage", "FILTER_MISSING", "not about this item"}},
		// Issue 24: the two trail events that matter most were "about none of the items", exit 1, with nothing named.
		{"a partial pattern is judged against the closest item", []string{`{ ($.eventName = StopLogging) || ($.eventName = DeleteTrail) }`},
			ExitFailed, []string{"4.5", "FILTER_MISSES_EVENTS", `misses: $.eventName = "CreateTrail"`, "comes closest to 4.5"}},
		{"azul's exclusion of S3 GetObject denials through CloudFront", []string{`{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.eventSource != "s3.amazonaws.com" || $.eventName != "GetObject" || $.userIdentity.invokedBy != "cloudfront.amazonaws.com") }`},
			ExitOK, []string{"4.1", "FILTER_NARROWED", `$.eventName = "GetObject" && $.eventSource = "s3.amazonaws.com" && $.userIdentity.invokedBy = "cloudfront.amazonaws.com"`}},
		{"the CIS v1.4 4.1 text as published", []string{"--cis-version", "1.4", `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`},
			ExitOK, []string{"alarm-root-account-usage", "matches ordinary API calls", "as its authors evidently meant", "it is not about this item"}},
		{"judged against a named item", []string{"--item", "4.2", `{ $.eventName = ConsoleLogin && $.additionalEventData.MFAUsed = "No" }`},
			ExitFailed, []string{"alarm-console-signin-without-mfa", "FILTER_MISSES_EVENTS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, append([]string{"alarms", "test"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, out, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if code, _, errs := run(t, "alarms", "test", `{ $.eventName = }`); code != ExitUsage || !strings.Contains(errs, "position 16") {
		t.Errorf("unparseable: exit %d %s", code, errs)
	}
	if code, _, errs := run(t, "alarms", "test", "--item", "4.99", `{ $.a = 1 }`); code != ExitUsage || !strings.Contains(errs, "4.99") {
		t.Errorf("unknown item: exit %d %s", code, errs)
	}
	// Field trial: v1.2's own numbers (3.N) are taken; a pattern that parses but cannot be judged is exit 2, not 3; an
	// empty input to alarms match is refused, not passed.
	if code, out, errs := run(t, "alarms", "test", "--cis-version", "1.2", "--item", "3.5", `{ $.eventName = StopLogging }`); code != ExitFailed || !strings.Contains(out, "3.5") {
		t.Errorf("--item 3.5 under v1.2: exit %d %s%s", code, out, errs)
	}
	if code, _, errs := run(t, "alarms", "test", `{ $.* = "AccessDenied" }`); code != ExitIncomplete || !strings.Contains(errs, "cannot judge") {
		t.Errorf("a wildcard selector: exit %d %s", code, errs)
	}
	empty := filepath.Join(t.TempDir(), "empty.json")
	_ = os.WriteFile(empty, nil, 0o600)
	if code, _, errs := run(t, "alarms", "match", `{ $.a = 1 }`, empty); code != ExitUsage || !strings.Contains(errs, "no events") {
		t.Errorf("an empty input: exit %d %s", code, errs)
	}
	// Issue 24: "about none" instead of saying the item is not in the version.
	if code, _, errs := run(t, "alarms", "test", "--cis-version", "1.2", "--item", "4.15", `{ $.a = 1 }`); code != ExitUsage || !strings.Contains(errs, "CIS v1.2 has no AWS Organizations changes item") {
		t.Errorf("an item the version lacks: exit %d %s", code, errs)
	}
	if code, _, errs := run(t, "alarms", "test", "--cis-version", "1.2", "--item", "4.3", `{ $.a = 1 }`); code != ExitUsage || !strings.Contains(errs, "numbers 4.3 Usage of the root account as 3.3") {
		t.Errorf("an item numbered otherwise in the version: exit %d %s", code, errs)
	}
}

// TestAlarmsTestFollowsTheCISVersion: alarms test judges against the same published patterns as scan --alarms (the
// latest version by default): v3.0's 4.1, with its exclusions, is the requirement since v3.0, and narrows v1.4's.
func TestAlarmsTestFollowsTheCISVersion(t *testing.T) {
	v3 := `{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }`
	code, out, errs := run(t, "alarms", "test", "--item", "4.1", v3)
	if code != ExitOK || !strings.Contains(out, "MONITORED") {
		t.Errorf("default version: %d %s %s", code, out, errs)
	}
	code, out, _ = run(t, "alarms", "test", "--cis-version", "1.4", "--item", "4.1", v3)
	if code != ExitOK || !strings.Contains(out, "FILTER_NARROWED") || !strings.Contains(out, "HeadBucket") {
		t.Errorf("v1.4: %d %s", code, out)
	}
	if code, _, errs := run(t, "alarms", "test", "--cis-version", "4.0", v3); code != ExitUsage || !strings.Contains(errs, "1.2, 1.4, 3.0, 5.0") {
		t.Errorf("unknown version: %d %s", code, errs)
	}
}

// TestAlarmsMatch (issue 24): alarms match runs a pattern on events offline, names the failing comparisons with the
// event's values, and exits by --expect; a bad input is a usage error before any verdict.
func TestAlarmsMatch(t *testing.T) {
	dir := t.TempDir()
	trail := filepath.Join(dir, "trail.json")
	if err := os.WriteFile(trail, []byte(`{"Records":[{"eventName":"StopLogging"},{"eventName":"DescribeTrails"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	pattern := `{ ($.eventName = CreateTrail) || ($.eventName = StopLogging) }`
	code, out, _ := run(t, "alarms", "match", pattern, trail)
	if code != ExitFailed || !strings.Contains(out, "MATCH     "+trail+"#1") || !strings.Contains(out, "NO MATCH  "+trail+"#2") ||
		!strings.Contains(out, `$.eventName = "StopLogging": the event has "DescribeTrails"`) || !strings.Contains(out, "1 of 2 events match") {
		t.Errorf("exit %d\n%s", code, out)
	}
	lines := filepath.Join(dir, "lines.json")
	_ = os.WriteFile(lines, []byte("{\"eventName\":\"ListTrails\"}\n{\"eventName\":\"GetTrail\"}\n"), 0o600)
	if code, out, _ := run(t, "alarms", "match", "--expect", "no-match", pattern, lines); code != ExitOK || !strings.Contains(out, "0 of 2") {
		t.Errorf("--expect no-match: exit %d\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte("{\"a\":1}\nnot json\n"), 0o600)
	if code, out, errs := run(t, "alarms", "match", pattern, trail, bad); code != ExitUsage || strings.Contains(out, "MATCH") || !strings.Contains(errs, "line 2") {
		t.Errorf("a bad input: exit %d\n%s%s", code, out, errs)
	}
	// Field trial: the input budget is for all the files together, not each.
	big := filepath.Join(dir, "big.json")
	line := []byte(`{"eventName":"` + strings.Repeat("x", 1000) + `"}` + "\n")
	if err := os.WriteFile(big, bytes.Repeat(line, 40_000), 0o600); err != nil { // about 40 MB, under the limit alone
		t.Fatal(err)
	}
	if code, out, errs := run(t, "alarms", "match", pattern, big, big); code != ExitUsage || strings.Contains(out, "MATCH") || !strings.Contains(errs, "in all") {
		t.Errorf("two inputs over the budget together: exit %d %s", code, errs)
	}
	if code, _, errs := run(t, "alarms", "match", "{ $.a = }", trail); code != ExitUsage || !strings.Contains(errs, "position") {
		t.Errorf("a bad pattern: exit %d %s", code, errs)
	}
}
