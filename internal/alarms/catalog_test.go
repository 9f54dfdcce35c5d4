package alarms

import (
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/filterpattern"
)

func TestEveryPublishedPatternParsesAndMonitorsOnlyItself(t *testing.T) {
	seen := map[string]bool{}
	for _, it := range Items {
		if seen[it.ID] || seen[it.CIS] {
			t.Errorf("%s %s twice", it.ID, it.CIS)
		}
		seen[it.ID], seen[it.CIS] = true, true
		got, err := Test(it.Pattern)
		if err != nil {
			t.Fatalf("%s: %v", it.CIS, err)
		}
		if len(got) != 1 || got[0].Item.ID != it.ID || got[0].Code != "MONITORED" {
			t.Errorf("the published %s pattern judged as %+v, want only %s MONITORED", it.CIS, got, it.ID)
		}
	}
	if len(Items) != 15 {
		t.Errorf("%d items, want CIS 4.1-4.15", len(Items))
	}
}

func TestTestNamesWhatAPatternMisses(t *testing.T) {
	// A combined filter for trail and config changes that forgot StopLogging and excludes one automation role.
	pattern := `{ (($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging)
	  || ($.eventSource = config.amazonaws.com && ($.eventName = StopConfigurationRecorder || $.eventName = DeleteDeliveryChannel || $.eventName = PutDeliveryChannel || $.eventName = PutConfigurationRecorder)))
	  && $.userIdentity.arn != "arn:aws:sts::111111111111:assumed-role/automation/*" }`
	got, err := Test(pattern)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Verdict{}
	for _, v := range got {
		byID[v.Item.ID] = v
	}
	if len(byID) != 2 {
		t.Fatalf("judged %d items, want the two it is about: %+v", len(byID), got)
	}
	trail := byID["alarm-cloudtrail-configuration-changes"]
	if trail.Code != "FILTER_MISSES_EVENTS" || len(trail.Coverage.Misses) != 1 || !strings.Contains(trail.Coverage.Misses[0], "StopLogging") {
		t.Errorf("4.5: %+v, want StopLogging missed", trail)
	}
	config := byID["alarm-aws-config-changes"]
	if config.Code != "FILTER_NARROWED" || len(config.Coverage.Narrowed) != 1 || !strings.Contains(config.Coverage.Narrowed[0], "automation") {
		t.Errorf("4.9: %+v, want narrowed by the automation exclusion", config)
	}
	if _, err := Test(`{ $.eventName = }`); err == nil {
		t.Error("an unparseable pattern was judged")
	} else if _, ok := err.(*filterpattern.SyntaxError); !ok {
		t.Errorf("error %T, want a SyntaxError with the position", err)
	}
}
