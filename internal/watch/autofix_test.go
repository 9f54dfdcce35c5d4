package watch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
	"github.com/trailwatch/trailwatch/internal/scan"
	"github.com/trailwatch/trailwatch/internal/watch"
)

func noSleep(context.Context, time.Duration) error { return nil }

// TestAutoFix: a StopLogging is repaired once (the repair's own StartLogging event then shows the trail passing
// again), a second break within the cool-down is reported and not fought, and without --yes the fix is only planned.
func TestAutoFix(t *testing.T) {
	for _, apply := range []bool{true, false} {
		t.Run(map[bool]string{true: "apply", false: "dry run"}[apply], func(t *testing.T) {
			f := setup(t, 0)
			f.stop() // the fixture's own watcher: this test runs one with auto-fix on the same queue
			// A watcher of its own with auto-fix, on the same queue.
			cat, _ := controls.Load()
			clients := func(acct string) collect.Clients { return collect.NewSDKClients(f.srv.SDKConfig(acct, "us-east-1")) }
			out := &lines{}
			journal := remediate.NewJournal(nil, "trailwatch-watch", nil)
			af := &watch.AutoFix{Controls: []string{controls.IntegrationID}, Apply: apply, CoolDown: time.Hour, Journal: journal,
				Writer: func(acct string) (remediate.Writer, error) {
					return remediate.NewSDKWriter(f.srv.SDKConfig(acct, "us-east-1")), nil
				},
				Who:          func(acct string) string { return "arn:aws:iam::" + acct + ":role/Audit" },
				ApplyOptions: remediate.ApplyOptions{Sleep: noSleep}}
			aw := watch.New(cat, sqsClient(f.srv), func(ctx context.Context) (*model.Inventory, error) {
				inv, _ := scan.Run(ctx, cat, []scan.Target{{Clients: clients(hub)}, {Clients: clients(member)}}, scan.Options{Settings: controls.DefaultSettings(f.srv.Now())})
				return inv, nil
			}, func(ctx context.Context, acct string, regions []string) *model.Account {
				return collect.Account(ctx, clients(acct), collect.Options{Regions: regions, AccountID: acct, Partition: "aws", OrgID: "o-abcdefghij"})
			}, watch.Options{QueueURL: f.queue, WaitSeconds: 1, Out: out, Now: f.srv.Now, AutoFix: af})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = aw.Run(ctx) }()
			defer func() { cancel(); <-done }()
			waitFor(t, "baseline", func() bool { return aw.Stats().Sweeps == 1 })
			ct := cloudtrail.NewFromConfig(f.srv.SDKConfig(member, "us-east-1"))
			if _, err := ct.StopLogging(context.Background(), &cloudtrail.StopLoggingInput{Name: aws.String("app")}); err != nil {
				t.Fatal(err)
			}
			events := func() []string {
				var ev []string
				for _, c := range out.changes(t) {
					ev = append(ev, c.Event+" "+string(c.Finding.Status))
				}
				return ev
			}
			if !apply {
				waitFor(t, "the plan", func() bool { return len(out.changes(t)) >= 2 })
				got := out.changes(t)
				if strings.Join(events(), ",") != "finding_changed FAIL,fix_planned FAIL" || !strings.Contains(strings.Join(got[1].Fix.Steps, " "), "aws cloudtrail start-logging") {
					t.Errorf("dry run: %v %+v", events(), got[len(got)-1].Fix)
				}
				if len(journal.Entries()) != 0 {
					t.Errorf("a dry run wrote %d calls", len(journal.Entries()))
				}
				return
			}
			waitFor(t, "the fix and its own event", func() bool { return len(out.changes(t)) >= 3 })
			if got := strings.Join(events(), ","); got != "finding_changed FAIL,fix_applied FAIL,finding_changed PASS" {
				t.Fatalf("events: %s", got)
			}
			if c := out.changes(t)[2]; c.Cause.EventName != "StartLogging" || !strings.Contains(c.Cause.Principal, "111111111111") && !strings.Contains(c.Cause.Principal, member) {
				t.Errorf("the repair's cause: %+v", c.Cause)
			}
			// Broken again within the cool-down: reported, not fixed.
			if _, err := ct.StopLogging(context.Background(), &cloudtrail.StopLoggingInput{Name: aws.String("app")}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the second break", func() bool { return len(out.changes(t)) >= 5 })
			got := out.changes(t)
			if got[4].Event != "fix_refused" || !strings.Contains(got[4].Fix.Refused, "cool-down") {
				t.Errorf("second break: %v %+v", events(), got[4].Fix)
			}
			if n := len(journal.Entries()); n != 1 {
				t.Errorf("journal: %d calls, want the one StartLogging", n)
			} else if who := journal.Entries()[0].Who; who != "arn:aws:iam::"+member+":role/Audit" {
				// Field trial (issue 22): every automatic fix was journaled as "trailwatch watch --auto-fix", not as
				// the role that wrote in the account.
				t.Errorf("journal names %q as the writer, want the member's role", who)
			}
		})
	}
}

// TestAutoFixRefusesOrganizationTrailFromAMember: a watcher that sees only a member account finds the organization
// trail broken (its sweep) and refuses to touch it: members cannot change organization trails.
func TestAutoFixRefusesOrganizationTrailFromAMember(t *testing.T) {
	f := setup(t, 0)
	f.stop()
	cat, _ := controls.Load()
	clients := collect.NewSDKClients(f.srv.SDKConfig(member, "us-east-1"))
	out := &lines{}
	af := &watch.AutoFix{Controls: []string{controls.IntegrationID}, Apply: true, Journal: remediate.NewJournal(nil, "t", nil),
		Writer: func(acct string) (remediate.Writer, error) {
			return remediate.NewSDKWriter(f.srv.SDKConfig(acct, "us-east-1")), nil
		}}
	aw := watch.New(cat, sqsClient(f.srv), func(ctx context.Context) (*model.Inventory, error) {
		inv, _ := scan.Run(ctx, cat, []scan.Target{{Clients: clients}}, scan.Options{Settings: controls.DefaultSettings(f.srv.Now())})
		return inv, nil
	}, nil, watch.Options{QueueURL: f.queue, Now: f.srv.Now, Out: out, AutoFix: af})
	ctx := context.Background()
	if err := aw.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudtrail.NewFromConfig(f.srv.SDKConfig(hub, "us-east-1")).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("org")}); err != nil {
		t.Fatal(err)
	}
	if err := aw.Sweep(ctx, true); err != nil {
		t.Fatal(err)
	}
	var refused bool
	for _, c := range out.changes(t) {
		if c.Event == "fix_refused" && c.Finding.ResourceID == orgARN && strings.Contains(c.Fix.Refused, "members cannot change organization trails") {
			refused = true
		}
		if c.Event == "fix_applied" {
			t.Errorf("a member fixed %s", c.Finding.ResourceID)
		}
	}
	if !refused {
		t.Errorf("no refusal: %+v", out.changes(t))
	}
}

// TestWebhookErrorsDoNotLeakTheURL: a webhook URL carries its secret; a failed post names the host only.
func TestWebhookErrorsDoNotLeakTheURL(t *testing.T) {
	const secret = "T0000/B0000/s3cr3tT0k3n"
	for _, u := range []string{"http://127.0.0.1:1/services/" + secret, "http://127.0.0.1:1/hook?token=" + secret} {
		err := watch.Webhook{URL: u}.Send(context.Background(), watch.Change{})
		if err == nil || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("error %v", err)
		}
	}
}

// TestAutoFixRepairsAlarmChain: with the alarm controls on, --auto-fix repairs a broken alarm chain from the finding's
// evidence (the one fix plan): deleting a CIS alarm is answered by putting it back on the same filter and topic, and
// the repair's own event shows the item passing again. watch --auto-fix never received an alarm chain, so alarm
// repairs were impossible there (issue 21). Two items broken together are both repaired: the 15 alarm findings of an
// account share its resource id, and the cool-down, kept by resource, refused the second as "fixed 0s ago".
func TestAutoFixRepairsAlarmChain(t *testing.T) {
	text := strings.Replace(scenario, "    log_groups: [{name: OrgCT, region: us-east-1, retention_days: 365}]",
		"    log_groups: [{name: OrgCT, region: us-east-1, retention_days: 365, cis_monitoring: {topic: cis}}]", 1)
	f := setupWith(t, 0, text, true)
	f.stop()
	items, _ := alarms.ForVersion("")
	settings := func(now time.Time) controls.Settings {
		s := controls.DefaultSettings(now)
		s.Alarms = items
		return s
	}
	cat, _ := controls.Load()
	clients := func(acct string) collect.Clients { return collect.NewSDKClients(f.srv.SDKConfig(acct, "us-east-1")) }
	out := &lines{}
	journal := remediate.NewJournal(nil, "trailwatch-watch", nil)
	af := &watch.AutoFix{Controls: []string{"alarm-vpc-changes", "alarm-nacl-changes"}, Apply: true, CoolDown: time.Hour, Journal: journal,
		Plan: remediate.Options{Alarms: items},
		Writer: func(acct string) (remediate.Writer, error) {
			return remediate.NewSDKWriter(f.srv.SDKConfig(acct, "us-east-1")), nil
		},
		ApplyOptions: remediate.ApplyOptions{Sleep: noSleep}}
	aw := watch.New(cat, sqsClient(f.srv), func(ctx context.Context) (*model.Inventory, error) {
		inv, _ := scan.Run(ctx, cat, []scan.Target{{Clients: clients(hub)}, {Clients: clients(member)}},
			scan.Options{Settings: settings(f.srv.Now()), Collect: collect.Options{Monitoring: true}})
		return inv, nil
	}, func(ctx context.Context, acct string, regions []string) *model.Account {
		return collect.Account(ctx, clients(acct), collect.Options{Regions: regions, AccountID: acct, Partition: "aws", OrgID: "o-abcdefghij", Monitoring: true})
	}, watch.Options{QueueURL: f.queue, WaitSeconds: 1, Out: out, Now: f.srv.Now, AutoFix: af, Settings: settings})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = aw.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "baseline", func() bool { return aw.Stats().Sweeps == 1 })
	if _, err := cloudwatch.NewFromConfig(f.srv.SDKConfig(hub, "us-east-1")).DeleteAlarms(context.Background(), &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"alarm-vpc-changes", "alarm-nacl-changes"}}); err != nil {
		t.Fatal(err)
	}
	passing := func() bool {
		n := map[string]int{}
		for _, c := range out.changes(t) {
			if c.Event == "finding_changed" && c.Finding.Status == model.StatusPass {
				n[c.Finding.ControlID]++
			}
		}
		// The hub's finding and the member's, both on the organization trail's chain, for each item.
		return n["alarm-vpc-changes"] >= 2 && n["alarm-nacl-changes"] >= 2
	}
	waitFor(t, "the repair and the item passing again", passing)
	applied := map[string]int{}
	for _, c := range out.changes(t) {
		if c.Event == "fix_applied" {
			applied[c.Finding.ControlID]++
			if !strings.Contains(strings.Join(c.Fix.Steps, " "), "aws cloudwatch put-metric-alarm") {
				t.Errorf("the fix: %+v", c.Fix)
			}
		}
		if c.Event == "fix_failed" || c.Event == "fix_refused" {
			t.Errorf("%s %s: %+v", c.Event, c.Finding.ID, c.Fix)
		}
	}
	if applied["alarm-vpc-changes"] == 0 || applied["alarm-nacl-changes"] == 0 {
		t.Errorf("fix_applied lines %v: want one for each alarm", applied)
	}
}

// TestEventsOutsideScopeAreDropped: a watcher whose scope leaves the member out (as --exclude-accounts does: its sweep
// reads only the hub) drops the member's events, logged and counted, and never reads, reports or writes there, auto-fix
// --yes included. From one StopLogging event it made five writes in the excluded account (issue 23).
func TestEventsOutsideScopeAreDropped(t *testing.T) {
	f := setup(t, 0)
	f.stop()
	cat, _ := controls.Load()
	clients := func(acct string) collect.Clients { return collect.NewSDKClients(f.srv.SDKConfig(acct, "us-east-1")) }
	out := &lines{}
	journal := remediate.NewJournal(nil, "trailwatch-watch", nil)
	wrote := map[string]int{}
	af := &watch.AutoFix{Controls: []string{controls.IntegrationID}, Apply: true, CoolDown: time.Hour, Journal: journal,
		Writer: func(acct string) (remediate.Writer, error) {
			wrote[acct]++
			return remediate.NewSDKWriter(f.srv.SDKConfig(acct, "us-east-1")), nil
		},
		ApplyOptions: remediate.ApplyOptions{Sleep: noSleep}}
	reads := map[string]int{}
	aw := watch.New(cat, sqsClient(f.srv), func(ctx context.Context) (*model.Inventory, error) {
		inv, _ := scan.Run(ctx, cat, []scan.Target{{Clients: clients(hub)}}, scan.Options{Settings: controls.DefaultSettings(f.srv.Now())})
		return inv, nil
	}, func(ctx context.Context, acct string, regions []string) *model.Account {
		reads[acct]++
		return collect.Account(ctx, clients(acct), collect.Options{Regions: regions, AccountID: acct, Partition: "aws", OrgID: "o-abcdefghij"})
	}, watch.Options{QueueURL: f.queue, WaitSeconds: 1, Out: out, Now: f.srv.Now, AutoFix: af})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = aw.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "baseline", func() bool { return aw.Stats().Sweeps == 1 })
	if _, err := cloudtrail.NewFromConfig(f.srv.SDKConfig(member, "us-east-1")).StopLogging(context.Background(), &cloudtrail.StopLoggingInput{Name: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the member's event dropped", func() bool { return aw.Stats().OutOfScope >= 1 })
	if reads[member] != 0 || wrote[member] != 0 || len(journal.Entries()) != 0 {
		t.Errorf("outside the scope: %d reads, %d writers, %d journal entries", reads[member], wrote[member], len(journal.Entries()))
	}
	for _, c := range out.changes(t) {
		if c.Finding.AccountID == member {
			t.Errorf("reported the excluded account: %+v", c.Finding.ID)
		}
	}
}
