package scan

import (
	"context"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// telemetryWorld: account 111111111111 in two regions, RULES under its telemetry_rules, TRAILS under its trails.
const telemetryWorld = `
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    telemetry_rules: RULES
    trails: TRAILS
    log_groups: [{name: ct, region: us-east-1, retention_days: 365}]
    roles: [{name: CT, trust: cloudtrail, policy: cloudtrail-delivery}]
STATUS`

func telemetryScenario(rules, trails, extra string) string {
	r := strings.NewReplacer("RULES", rules, "TRAILS", trails, "STATUS", extra)
	return r.Replace(telemetryWorld)
}

// TestCaptureByTelemetryRule: CloudWatch telemetry rules capture CloudTrail events without a trail (issue 26). A
// region is captured by a running AWS::CloudTrail rule to CloudWatch Logs that keeps every management event and whose
// group exists there; a trail without CloudWatch Logs in such an account has nothing to fix (unless --literal). What
// is not such a rule captures nothing, and an unreadable telemetry status leaves an uncovered region's coverage
// unknown, never a guessed FAIL.
func TestCaptureByTelemetryRule(t *testing.T) {
	const bare = `[{name: plain, home_region: us-east-1, multi_region: true}]`
	const integrated = `[{name: main, home_region: us-east-1, multi_region: true, log_group: ct, role: CT}]`
	for _, c := range []struct {
		name, rules, trails, extra string
		literal                    bool
		capture, trail             string
	}{
		{"rule, no trail", `[{name: r, all_regions: true}]`, `[]`, "", false, "PASS CAPTURED_BY_TELEMETRY_RULE", ""},
		{"rule and a trail without CloudWatch Logs", `[{name: r, all_regions: true}]`, bare, "", false, "PASS CAPTURED_BY_TELEMETRY_RULE", "PASS CAPTURED_BY_TELEMETRY_RULE"},
		{"--literal", `[{name: r, all_regions: true}]`, bare, "", true, "PASS CAPTURED_BY_TELEMETRY_RULE", "FAIL NOT_INTEGRATED"},
		{"rule in one region", `[{name: r, home_region: us-east-1}]`, bare, "", false, "FAIL REGIONS_UNCOVERED", "FAIL NOT_INTEGRATED"},
		{"rule listing a second region", `[{name: r, home_region: us-east-1, regions: [eu-west-1]}]`, `[]`, "", false, "PASS CAPTURED_BY_TELEMETRY_RULE", ""},
		{"write events only", `[{name: r, all_regions: true, events: write_only}]`, `[]`, "", false, "FAIL NO_TRAIL", ""},
		{"evaluation stopped", `[{name: r, all_regions: true}]`, `[]`, "    telemetry_status: STOPPED\n", false, "FAIL NO_TRAIL", ""},
		// Evaluation runs per region: started in one region only, it evaluates no rule elsewhere (API reference,
		// StartTelemetryEvaluation).
		{"evaluation started in one region only", `[{name: r, all_regions: true}]`, `[]`, "    telemetry_evaluation_regions: [us-east-1]\n", false, "FAIL REGIONS_UNCOVERED", ""},
		{"group missing", `[{name: r, all_regions: true, no_group: true}]`, `[]`, "", false, "FAIL NO_TRAIL", ""},
		{"status unreadable, a region uncovered", `[]`, bare, "faults: [{operation: 'observabilityadmin:GetTelemetryEvaluationStatus', error: AccessDeniedException}]\n", false, "ERROR ACCESS_DENIED", "ERROR ACCESS_DENIED"},
		{"status unreadable, --literal", `[]`, bare, "faults: [{operation: 'observabilityadmin:GetTelemetryEvaluationStatus', error: AccessDeniedException}]\n", true, "ERROR ACCESS_DENIED", "FAIL NOT_INTEGRATED"},
		{"status unreadable, trails cover everything", `[]`, integrated, "faults: [{operation: 'observabilityadmin:GetTelemetryEvaluationStatus', error: AccessDeniedException}]\n", false, "PASS CAPTURED", "PASS DELIVERING"},
		{"trail and rule", `[{name: r, all_regions: true}]`, integrated, "", false, "PASS CAPTURED", "PASS DELIVERING"},
		// Field trial: a failed read of a rule or its group leaves coverage unknown, never "no rule".
		{"rules unlistable", `[{name: r, all_regions: true}]`, `[]`, "faults: [{operation: 'observabilityadmin:ListTelemetryRules', error: AccessDeniedException}]\n", false, "ERROR ACCESS_DENIED", ""},
		{"rule unreadable", `[{name: r, all_regions: true}]`, `[]`, "faults: [{operation: 'observabilityadmin:GetTelemetryRule', error: AccessDeniedException}]\n", false, "ERROR ACCESS_DENIED", ""},
		{"group unreadable in one region", `[{name: r, all_regions: true}]`, `[]`, "faults: [{operation: 'logs:DescribeLogGroups', region: eu-west-1, error: AccessDeniedException}]\n", false, "ERROR ACCESS_DENIED", ""},
		// Field trial: reads and writes kept by two rules between them capture the region.
		{"a write rule and a read rule", `[{name: w, all_regions: true, events: write_only}, {name: r, all_regions: true, events: read_only}]`, `[]`, "", false, "PASS CAPTURED_BY_TELEMETRY_RULE", ""},
		// Delivery health from the group's own newest stream (lastIngestionTime).
		{"group silent for 30 hours", `[{name: r, all_regions: true, last_delivery: 30h}]`, `[]`, "", false, "FAIL NO_TRAIL", ""},
		{"group never received an event", `[{name: r, all_regions: true, last_delivery: never}]`, `[]`, "", false, "FAIL NO_TRAIL", ""},
		{"group's streams unreadable", `[{name: r, all_regions: true}]`, `[]`, "faults: [{operation: 'logs:DescribeLogStreams', error: AccessDeniedException}]\n", false, "ERROR ACCESS_DENIED", ""},
		// The CloudTrail service-linked channel the rule's events take bounds what reaches the group: one that keeps
		// only writes leaves reads uncaptured, whatever the rule keeps. An absent or unreadable channel is evidence
		// only: the group's own delivery decides.
		{"channel keeps writes only", `[{name: r, all_regions: true}]`, `[]`, "    telemetry_channel: write_only\n", false, "FAIL NO_TRAIL", ""},
		{"channel keeps reads, a rule writes", `[{name: w, all_regions: true, events: write_only}]`, `[]`, "    telemetry_channel: read_only\n", false, "FAIL NO_TRAIL", ""},
		{"channel absent, group delivering", `[{name: r, all_regions: true}]`, `[]`, "    telemetry_channel: absent\n", false, "PASS CAPTURED_BY_TELEMETRY_RULE", ""},
		{"channel absent, group silent", `[{name: r, all_regions: true, last_delivery: 30h}]`, `[]`, "    telemetry_channel: absent\n", false, "FAIL NO_TRAIL", ""},
		{"channels unreadable", `[{name: r, all_regions: true}]`, `[]`, "faults: [{operation: 'cloudtrail:ListChannels', error: AccessDeniedException}]\n", false, "PASS CAPTURED_BY_TELEMETRY_RULE", ""},
		{"channel narrowed, group silent", `[{name: r, all_regions: true, last_delivery: 30h}]`, `[]`, "    telemetry_channel: write_only\n", false, "FAIL NO_TRAIL", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := telemetryScenario(c.rules, c.trails, "")
			if strings.HasPrefix(c.extra, "    ") {
				text = strings.Replace(text, "    telemetry_rules:", c.extra+"    telemetry_rules:", 1)
			} else {
				text += c.extra
			}
			r := scanWith(t, text, collect.Options{}, func(s *controls.Settings) { s.Literal = c.literal })
			got := r.get(t, controls.CaptureID, "111111111111")
			if g := string(got.Status) + " " + codes(got); g != c.capture {
				t.Errorf("account-activity-capture: %s, want %s (%+v)", g, c.capture, got.Reasons)
			}
			if strings.Contains(c.name, "silent") && !strings.Contains(strings.Join(got.Notes, " "), "last received an event 30h0m0s ago") {
				t.Errorf("the note does not say why the rule does not count: %v", got.Notes)
			}
			if orgNote := strings.Contains(strings.Join(got.Notes, " "), "Organization telemetry rules were not read"); orgNote != (got.Status == model.StatusFail) {
				t.Errorf("a single-account scan's failing capture says that organization rules were not read, and only it: %s %v", got.Status, got.Notes)
			}
			if c.name == "evaluation started in one region only" && !strings.Contains(strings.Join(got.Notes, " "), "Region eu-west-1 is not captured by CloudWatch telemetry: CloudWatch telemetry evaluation in the account does not include the region") {
				t.Errorf("the note does not say evaluation leaves the region out: %v", got.Notes)
			}
			notes := strings.Join(got.Notes, " ")
			switch c.name {
			case "rule, no trail":
				if !strings.Contains(got.Reasons[0].Message, "through CloudTrail service-linked channels arn:aws:cloudtrail:eu-west-1:111111111111:channel/") {
					t.Errorf("the reason does not name the channel the events take: %s", got.Reasons[0].Message)
				}
			case "channel keeps writes only":
				if !strings.Contains(notes, "service-linked channel arn:aws:cloudtrail:eu-west-1:111111111111:channel/") || !strings.Contains(notes, "which keeps only write (WriteOnly) management events") {
					t.Errorf("the note does not name the channel that narrows the rule: %v", got.Notes)
				}
			case "channel keeps reads, a rule writes":
				if !strings.Contains(notes, "which keeps none of the management events the rule keeps") {
					t.Errorf("the note does not say the channel and the rule share no events: %v", got.Notes)
				}
			case "channel absent, group silent":
				if !strings.Contains(notes, "no CloudTrail service-linked channel for CloudWatch exists in the region") {
					t.Errorf("the note does not say the channel is missing: %v", got.Notes)
				}
			case "channels unreadable", "channel absent, group delivering":
				if strings.Contains(got.Reasons[0].Message, "channel") {
					t.Errorf("a channel named where none was read: %s", got.Reasons[0].Message)
				}
				// Field trial: a refused channel read passed with nothing said.
				if unread := strings.Contains(notes, "could not be read (cloudtrail:ListChannels: AccessDenied"); unread != (c.name == "channels unreadable") {
					t.Errorf("the note on the unread channel: %v", got.Notes)
				}
			case "channel narrowed, group silent":
				// Field trial: the channel was named only once delivery was mended.
				if !strings.Contains(notes, "last received an event 30h0m0s ago") || !strings.Contains(notes, "; and its events reach CloudWatch Logs through CloudTrail service-linked channel") {
					t.Errorf("the note does not name both problems: %v", got.Notes)
				}
			}
			if c.name == "evaluation stopped" && !strings.Contains(strings.Join(got.Notes, " "), "evaluation is STOPPED") {
				t.Errorf("the note does not say evaluation is stopped: %v", got.Notes)
			}
			if c.trail != "" {
				arn := "arn:aws:cloudtrail:us-east-1:111111111111:trail/plain"
				if strings.Contains(c.trails, "main") {
					arn = "arn:aws:cloudtrail:us-east-1:111111111111:trail/main"
				}
				f := r.get(t, controls.IntegrationID, arn)
				if g := string(f.Status) + " " + codes(f); g != c.trail {
					t.Errorf("the trail: %s, want %s (%+v)", g, c.trail, f.Reasons)
				}
				if f.Status == model.StatusPass && f.Reasons[0].Code == controls.CapturedByTelemetry && !strings.Contains(strings.Join(f.Notes, " "), "Security Hub CloudTrail.5 still fail") {
					t.Errorf("no note that Config and Security Hub still fail it: %v", f.Notes)
				}
			}
		})
	}
}

// TestTelemetryGroupRetention: the group a telemetry rule delivers to is judged by the retention control like a
// trail's, once per region.
func TestTelemetryGroupRetention(t *testing.T) {
	for days, want := range map[string]string{"30": "FAIL RETENTION_TOO_SHORT", "400": "PASS RETENTION_OK"} {
		r := scanScenario(t, telemetryScenario(`[{name: r, all_regions: true, retention_days: `+days+`}]`, `[]`, ""), nil)
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			f := r.get(t, controls.RetentionID, "arn:aws:logs:"+region+":111111111111:log-group:aws/cloudtrail/managementevents")
			if got := string(f.Status) + " " + codes(f); got != want {
				t.Errorf("retention %s days, %s: %s, want %s", days, region, got, want)
			}
		}
	}
}

// orgTelemetryWorld: an organization of three accounts in two regions and no trail but a member's bare one, its
// organization telemetry rules RULES and organization settings EXTRA; FAULTS on the management account.
const orgTelemetryWorld = `
now: 2026-11-22T12:00:00Z
organization:
  id: o-abcdefghij
  management_account: "100000000000"
  telemetry_rules: RULES
EXTRA
accounts:
  - id: "100000000000"
    regions: [us-east-1, eu-west-1]
FAULTS
  - id: "200000000000"
    regions: [us-east-1, eu-west-1]
    trails: [{name: plain, home_region: us-east-1, multi_region: true}]
  - id: "300000000000"
    regions: [us-east-1, eu-west-1, ap-south-1]
`

// TestOrgTelemetryRule: an organization telemetry rule (read once, from the management account, by the organization
// scan) captures every account of the organization in every region, without any trail; the trail without CloudWatch
// Logs passes by it, and fails under --literal. What stops the organization's rule from capturing is named, and its
// unreadable status leaves coverage unknown.
func TestOrgTelemetryRule(t *testing.T) {
	accounts := []string{"100000000000", "200000000000", "300000000000"}
	for _, c := range []struct {
		name, rules, extra, faults string
		literal                    bool
		capture, trail             string
	}{
		{"organization rule, every region", `[{name: org, all_regions: true}]`, "", "", false, "PASS CAPTURED_BY_TELEMETRY_RULE", "PASS CAPTURED_BY_TELEMETRY_RULE"},
		{"--literal", `[{name: org, all_regions: true}]`, "", "", true, "PASS CAPTURED_BY_TELEMETRY_RULE", "FAIL NOT_INTEGRATED"},
		{"write events only", `[{name: org, all_regions: true, events: write_only}]`, "", "", false, "FAIL NO_TRAIL", "FAIL NOT_INTEGRATED"},
		{"organization evaluation stopped", `[{name: org, all_regions: true}]`, "  telemetry_status: STOPPED", "", false, "FAIL NO_TRAIL", "FAIL NOT_INTEGRATED"},
		{"organization status unreadable", `[{name: org, all_regions: true}]`, "",
			"    faults: [{operation: 'observabilityadmin:GetTelemetryEvaluationStatusForOrganization', error: AccessDeniedException}]", false, "ERROR ACCESS_DENIED", "ERROR ACCESS_DENIED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := strings.NewReplacer("RULES", c.rules, "EXTRA", c.extra, "FAULTS", c.faults).Replace(orgTelemetryWorld)
			sc, err := awssim.ParseScenario(t.Name()+".yaml", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			srv := startGenerated(t, sc)
			o := OrgOptions{}
			cat, _ := controls.Load()
			o.Settings = controls.DefaultSettings(srv.Now())
			o.Settings.Literal = c.literal
			inv, findings, err := Org(context.Background(), cat, orgConfig(srv, mgmtID), o)
			if err != nil {
				t.Fatal(err)
			}
			r := result{inv: inv, findings: findings}
			for _, id := range accounts {
				got := r.get(t, controls.CaptureID, id)
				want := c.capture
				if id == "200000000000" && want == "FAIL NO_TRAIL" {
					want = "FAIL REGIONS_UNCOVERED" // it has a trail, without CloudWatch Logs
				}
				if g := string(got.Status) + " " + codes(got); g != want {
					t.Errorf("%s: account-activity-capture %s, want %s (%+v; notes %v)", id, g, want, got.Reasons, got.Notes)
				}
				if got.Status == model.StatusPass && !strings.Contains(got.Reasons[0].Message, "organization-telemetry-rule/org") {
					t.Errorf("%s: the reason does not name the organization's rule: %s", id, got.Reasons[0].Message)
				}
				if strings.Contains(strings.Join(got.Notes, " "), "Organization telemetry rules were not read") {
					t.Errorf("%s: the organization scan read the organization's rules, yet the note says it did not", id)
				}
				if c.name == "organization evaluation stopped" && !strings.Contains(strings.Join(got.Notes, " "), "STOPPED in the organization") {
					t.Errorf("%s: the note does not say the organization's evaluation is stopped: %v", id, got.Notes)
				}
			}
			f := r.get(t, controls.IntegrationID, "arn:aws:cloudtrail:us-east-1:200000000000:trail/plain")
			if g := string(f.Status) + " " + codes(f); g != c.trail {
				t.Errorf("the member's trail: %s, want %s (%+v)", g, c.trail, f.Reasons)
			}
			// The organization's rules are read once, by the caller, not per member.
			if n := srv.CallsTo("observabilityadmin:GetTelemetryEvaluationStatusForOrganization"); n != 1 {
				t.Errorf("GetTelemetryEvaluationStatusForOrganization called %d times, want once per scan", n)
			}
		})
	}
}
