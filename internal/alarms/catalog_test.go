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

// TestVersionsSixAndSeven (issue 24): v6.0 and v7.0 number the items 5.1-5.15 with v5.0's patterns (Prowler's
// cis_6.0_aws.json and cis_7.0_aws.json carry them unchanged); the default stays v5.0.
func TestVersionsSixAndSeven(t *testing.T) {
	v5, _ := ForVersion("5.0")
	def, _ := ForVersion("")
	for _, v := range []string{"6.0", "7.0"} {
		items, err := ForVersion(v)
		if err != nil || len(items) != 15 {
			t.Fatalf("v%s: %d items, %v", v, len(items), err)
		}
		for i, it := range items {
			if want := "5." + v5[i].CIS[2:]; it.CIS != want || it.Pattern != v5[i].Pattern || it.ID != v5[i].ID {
				t.Errorf("v%s item %d: %s %s, want %s with v5.0's pattern", v, i, it.CIS, it.ID, want)
			}
		}
	}
	if def[0].CIS != "4.1" || def[9].Pattern != v5[9].Pattern {
		t.Errorf("the default is not v5.0: %s", def[0].CIS)
	}
	got, err := TestVersion(`{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`, "6.0")
	if err != nil || len(got) != 1 || got[0].Item.CIS != "5.5" || got[0].Code != Monitored {
		t.Errorf("v6.0 trail changes: %+v %v", got, err)
	}
}
