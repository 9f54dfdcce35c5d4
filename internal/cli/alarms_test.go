package cli

import (
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
			ExitOK, []string{"FILTER_NARROWED", "excludes events by: $.userIdentity.invokedBy NOT EXISTS"}},
		{"about nothing", []string{`{ $.eventName = "GetObject" }`}, ExitFailed, []string{"none of the CIS monitoring items"}},
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
