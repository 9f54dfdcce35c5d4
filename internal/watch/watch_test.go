package watch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailwatch/trailwatch/examples"
	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/deploy"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/scan"
	"github.com/trailwatch/trailwatch/internal/watch"
)

// scenario is examples/watch.yaml.
var scenario = string(examples.Watch)

const (
	hub      = "111111111111"
	member   = "222222222222"
	appARN   = "arn:aws:cloudtrail:us-east-1:222222222222:trail/app"
	orgARN   = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org"
	queueARN = "arn:aws:sqs:us-east-1:111111111111:watch"
	dlqARN   = "arn:aws:sqs:us-east-1:111111111111:watch-dlq"
)

// lines is the watcher's output, safe to read while it writes.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.Write(p) }

func (l *lines) changes(t *testing.T) []watch.Change {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []watch.Change
	for _, ln := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if ln == "" {
			continue
		}
		var c watch.Change
		if err := json.Unmarshal([]byte(ln), &c); err != nil {
			t.Fatalf("not a JSON line: %q: %v", ln, err)
		}
		out = append(out, c)
	}
	return out
}

type fixture struct {
	srv   *awssim.Server
	w     *watch.Watcher
	out   *lines
	queue string
	stop  func()
}

// setup serves the organization, wires every account and region's default bus to a hub bus that admits the
// organization, a hub rule to an SQS queue with a dead-letter queue, and starts a watcher on it.
func setup(t *testing.T, sweep time.Duration) *fixture {
	t.Helper()
	return setupWith(t, sweep, scenario, false)
}

// setupWith is setup with a scenario and, with alarms, the alarm controls judged too.
func setupWith(t *testing.T, sweep time.Duration, text string, alarmsOn bool) *fixture {
	t.Helper()
	sc, err := awssim.ParseScenario("watch.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := awssim.Start(ctx, sc, awssim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hcfg := srv.SDKConfig(hub, "us-east-1")
	q := sqs.NewFromConfig(hcfg)
	if _, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("watch-dlq")}); err != nil {
		t.Fatal(err)
	}
	main, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("watch"), Attributes: map[string]string{
		"VisibilityTimeout": "1", "RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"2"}`, dlqARN)}})
	if err != nil {
		t.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(hcfg)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("trailwatch")}))
	must(eb.PutPermission(ctx, &eventbridge.PutPermissionInput{EventBusName: aws.String("trailwatch"), Action: aws.String("events:PutEvents"),
		Principal: aws.String("*"), StatementId: aws.String("org"), Condition: &ebtypes.Condition{Type: aws.String("StringEquals"), Key: aws.String("aws:PrincipalOrgID"), Value: aws.String("o-abcdefghij")}}))
	must(eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("to-queue"), EventBusName: aws.String("trailwatch"), EventPattern: aws.String(`{"detail-type":["AWS API Call via CloudTrail"]}`)}))
	must(eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("to-queue"), EventBusName: aws.String("trailwatch"), Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(queueARN)}}}))
	// The member rules: the pattern trailwatch deploy puts in every member, forwarded to the hub bus.
	p, _ := json.Marshal(deploy.WatchEventPattern())
	pattern := string(p)
	for _, acct := range []string{hub, member} {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			m := eventbridge.NewFromConfig(srv.SDKConfig(acct, region))
			must(m.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("trailwatch-forward"), EventPattern: aws.String(pattern)}))
			must(m.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("trailwatch-forward"), Targets: []ebtypes.Target{{Id: aws.String("hub"),
				Arn: aws.String("arn:aws:events:us-east-1:111111111111:event-bus/trailwatch")}}}))
		}
	}
	cat, _ := controls.Load()
	settings := func(now time.Time) controls.Settings {
		s := controls.DefaultSettings(now)
		if alarmsOn {
			s.Alarms, _ = alarms.ForVersion("")
		}
		return s
	}
	clients := func(acct string) collect.Clients { return collect.NewSDKClients(srv.SDKConfig(acct, "us-east-1")) }
	sweeper := func(ctx context.Context) (*model.Inventory, error) {
		inv, _ := scan.Run(ctx, cat, []scan.Target{{Clients: clients(hub)}, {Clients: clients(member)}},
			scan.Options{Settings: settings(srv.Now()), Collect: collect.Options{Monitoring: alarmsOn}})
		return inv, nil
	}
	reader := func(ctx context.Context, acct string, regions []string) *model.Account {
		return collect.Account(ctx, clients(acct), collect.Options{Regions: regions, AccountID: acct, Partition: "aws", OrgID: "o-abcdefghij", Monitoring: alarmsOn})
	}
	out := &lines{}
	w := watch.New(cat, q, sweeper, reader, watch.Options{QueueURL: aws.ToString(main.QueueUrl), Sweep: sweep, WaitSeconds: 1, Out: out, Now: srv.Now, Settings: settings})
	wctx, wcancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(wctx); err != nil {
			t.Error(err)
		}
	}()
	f := &fixture{srv: srv, w: w, out: out, queue: aws.ToString(main.QueueUrl), stop: func() { wcancel(); <-done }}
	t.Cleanup(f.stop)
	waitFor(t, "the baseline sweep", func() bool { return w.Stats().Sweeps >= 1 })
	return f
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// expect waits for n more changes and checks them: the finding ids, statuses, and the cause's event name.
func (f *fixture) expect(t *testing.T, step string, seen *int, event string, want map[string]string) {
	t.Helper()
	waitFor(t, step, func() bool { return len(f.out.changes(t)) >= *seen+len(want) })
	time.Sleep(50 * time.Millisecond) // nothing more may come
	got := f.out.changes(t)[*seen:]
	*seen += len(got)
	if len(got) != len(want) {
		var ids []string
		for _, c := range got {
			ids = append(ids, c.Finding.ID+" "+string(c.Finding.Status))
		}
		t.Fatalf("%s: %d changes, want %d: %v", step, len(got), len(want), ids)
	}
	for _, c := range got {
		st, ok := want[c.Finding.ID]
		if !ok || string(c.Finding.Status) != st {
			t.Errorf("%s: change %s %s (reasons %+v) not expected; want %v", step, c.Finding.ID, c.Finding.Status, c.Finding.Reasons, want)
		}
		if event == "sweep" {
			if !c.Cause.Sweep {
				t.Errorf("%s: cause %+v, want the sweep", step, c.Cause)
			}
		} else if c.Cause.EventName != event || c.Cause.EventID == "" || c.Cause.Principal == "" || c.Cause.Time.IsZero() {
			t.Errorf("%s: cause %+v, want %s with id, principal and time", step, c.Cause, event)
		}
		if c.SchemaVersion != 1 || c.Event != "finding_changed" || c.Previous == nil {
			t.Errorf("%s: line %+v", step, c)
		}
	}
}

// TestWatcherReportsEachBreakAndRepair: each break arrives as an event through the organization's rules and the queue,
// and comes out as the change of the finding it breaks, with the event as cause; each repair as the change back.
func TestWatcherReportsEachBreakAndRepair(t *testing.T) {
	f := setup(t, 0)
	ctx := context.Background()
	mcfg := f.srv.SDKConfig(member, "us-east-1")
	ct, logs, iamc := cloudtrail.NewFromConfig(mcfg), cloudwatchlogs.NewFromConfig(mcfg), iam.NewFromConfig(mcfg)
	integ := "cloudtrail-cloudwatch-integration/" + appARN
	retention := "cloudwatch-log-group-retention/arn:aws:logs:us-east-1:222222222222:log-group:AppCT"
	seen := 0
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	reads := func() int { return f.srv.CallsTo("*") - f.srv.CallsTo("sqs:*") - f.srv.CallsTo("events:*") }
	r0 := reads()
	must(ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("app")}))
	f.expect(t, "StopLogging", &seen, "StopLogging", map[string]string{integ: "FAIL"})
	// One event costs a handful of reads: the account in the event's region, not a scan (13: with the stopped trail no
	// healthy multi-region trail captures the account, so its Security Lake, ListLogSources then, with no data lake
	// answering, GetDataLakeSources in the region, and CloudTrail Lake are read too).
	if n := reads() - r0 - 1; n > 13 {
		t.Errorf("the StopLogging event cost %d reads", n)
	} else {
		t.Logf("the StopLogging event cost %d reads", n)
	}
	must(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("app")}))
	f.expect(t, "StartLogging (repair)", &seen, "StartLogging", map[string]string{integ: "PASS"})

	must(logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("AppCT"), RetentionInDays: aws.Int32(30)}))
	f.expect(t, "retention lowered", &seen, "PutRetentionPolicy", map[string]string{retention: "FAIL"})
	must(logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("AppCT"), RetentionInDays: aws.Int32(365)}))
	f.expect(t, "retention restored", &seen, "PutRetentionPolicy", map[string]string{retention: "PASS"})

	must(iamc.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("AppRole"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))
	f.expect(t, "trust policy changed", &seen, "UpdateAssumeRolePolicy", map[string]string{integ: "FAIL"})

	must(logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("AppCT")}))
	// The log group's retention finding is withdrawn with the group; the trail's reasons change (the group is gone).
	f.expect(t, "DeleteLogGroup", &seen, "DeleteLogGroup", map[string]string{integ: "FAIL", retention: "SKIPPED"})

	must(ct.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String("app")}))
	f.expect(t, "DeleteTrail", &seen, "DeleteTrail", map[string]string{integ: "SKIPPED"})
	last := f.out.changes(t)[seen-1]
	if last.Finding.Reasons[0].Code != "RESOURCE_GONE" || last.Previous.Status != "FAIL" {
		t.Errorf("deleted trail: %+v", last)
	}

	// 1,000 events about nothing trailwatch judges (another log group) cost no AWS read.
	before := f.srv.CallsTo("*")
	sqsBefore := f.srv.CallsTo("sqs:*")
	q := sqs.NewFromConfig(f.srv.SDKConfig(hub, "us-east-1"))
	for i := range 1000 {
		body := fmt.Sprintf(`{"version":"0","id":"u-%d","detail-type":"AWS API Call via CloudTrail","source":"aws.logs","account":"222222222222","region":"us-east-1","time":"2026-11-22T12:00:00Z","resources":[],"detail":{"eventName":"PutRetentionPolicy","eventSource":"logs.amazonaws.com","requestParameters":{"logGroupName":"unrelated","retentionInDays":1},"recipientAccountId":"222222222222"}}`, i)
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(f.queue), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "1,000 unrelated events", func() bool { return f.w.Stats().Ignored >= 1000 })
	waitFor(t, "the queue to drain", func() bool { return f.srv.QueueDepth(queueARN) == 0 })
	// Every call since is the queue's own (SendMessage, ReceiveMessage, DeleteMessageBatch), and each received batch
	// is deleted with one call (issue 25: one DeleteMessage per message, 1,000 for 1,000 events).
	cost := (f.srv.CallsTo("*") - before) - (f.srv.CallsTo("sqs:*") - sqsBefore)
	if cost != 0 {
		t.Errorf("unrelated events cost %d reads", cost)
	}
	if del, batches, recv := f.srv.CallsTo("sqs:DeleteMessage"), f.srv.CallsTo("sqs:DeleteMessageBatch"), f.srv.CallsTo("sqs:ReceiveMessage"); del != 0 || batches < 100 || batches > recv {
		t.Errorf("%d DeleteMessage and %d DeleteMessageBatch calls for %d receives of 1,000 events", del, batches, recv)
	} else {
		t.Logf("1,000 events: %d ReceiveMessage, %d DeleteMessageBatch", recv, batches)
	}
	if n := len(f.out.changes(t)); n != seen {
		t.Errorf("unrelated events produced %d changes", n-seen)
	}
}

// TestWatcherSweepAndPoison: the sweep catches a break whose event never came (StopLogging on the organization's only
// trail in its account silences the event), and a message that is not an event ends in the dead-letter queue.
func TestWatcherSweepAndPoison(t *testing.T) {
	f := setup(t, 500*time.Millisecond)
	ctx := context.Background()
	q := sqs.NewFromConfig(f.srv.SDKConfig(hub, "us-east-1"))
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(f.queue), MessageBody: aws.String("not an event")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudtrail.NewFromConfig(f.srv.SDKConfig(hub, "us-east-1")).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("org")}); err != nil {
		t.Fatal(err)
	}
	seen := 0
	// The organization trail fails, and with it the capture of both accounts (the member's own trail is single-region).
	f.expect(t, "sweep after the silent StopLogging", &seen, "sweep", map[string]string{"cloudtrail-cloudwatch-integration/" + orgARN: "FAIL",
		"account-activity-capture/" + hub: "FAIL", "account-activity-capture/" + member: "FAIL"})
	waitFor(t, "the poison message in the dead-letter queue", func() bool { return f.srv.QueueDepth(dlqARN) == 1 })
	if f.w.Stats().Poison < 2 {
		t.Errorf("poison receipts: %d, want at least 2 (the queue's maxReceiveCount)", f.w.Stats().Poison)
	}
}

func sqsClient(srv *awssim.Server) *sqs.Client {
	return sqs.NewFromConfig(srv.SDKConfig(hub, "us-east-1"))
}

// TestWatcherAlarmEvents: with the alarm controls on, deleting a CIS alarm, unsubscribing the only confirmed subscriber
// and deleting the topic each arrive through the deployed member pattern and change the item's finding, with the
// call as cause.
func TestWatcherAlarmEvents(t *testing.T) {
	text := strings.Replace(scenario, "    log_groups: [{name: OrgCT, region: us-east-1, retention_days: 365}]",
		"    log_groups: [{name: OrgCT, region: us-east-1, retention_days: 365, cis_monitoring: {topic: cis}}]", 1)
	f := setupWith(t, 0, text, true)
	ctx := context.Background()
	hcfg := f.srv.SDKConfig(hub, "us-east-1")
	seen := 0
	vpc := "alarm-vpc-changes/"
	if _, err := cloudwatch.NewFromConfig(hcfg).DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"alarm-vpc-changes"}}); err != nil {
		t.Fatal(err)
	}
	// Both accounts rely on the organization trail's chain: the item fails for both.
	f.expect(t, "DeleteAlarms", &seen, "DeleteAlarms", map[string]string{vpc + hub: "FAIL", vpc + member: "FAIL"})
	for _, c := range f.out.changes(t)[seen-2:] {
		if c.Finding.Reasons[0].Code != "ALARM_MISSING" {
			t.Errorf("%s: %+v", c.Finding.ID, c.Finding.Reasons)
		}
	}
	topic := "arn:aws:sns:us-east-1:111111111111:cis"
	sn := sns.NewFromConfig(hcfg)
	subs, err := sn.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	if err != nil || len(subs.Subscriptions) != 1 {
		t.Fatalf("subscriptions: %v %v", subs, err)
	}
	if _, err := sn.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: subs.Subscriptions[0].SubscriptionArn}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the 28 changes of Unsubscribe", func() bool { return len(f.out.changes(t)) >= seen+28 })
	for _, c := range f.out.changes(t)[seen:] {
		if c.Cause.EventName != "Unsubscribe" || c.Finding.Reasons[0].Code != "NO_CONFIRMED_SUBSCRIBER" {
			t.Errorf("after Unsubscribe: %s %s %+v", c.Cause.EventName, c.Finding.ID, c.Finding.Reasons)
		}
	}
}

// TestWatcherRegionOptIn: a region opt-in change re-reads the whole account (a newly enabled region needs coverage),
// and nothing else.
func TestWatcherRegionOptIn(t *testing.T) {
	f := setup(t, 0)
	before := f.w.Stats().Rereads
	reads := func() int { return f.srv.CallsTo("*") - f.srv.CallsTo("sqs:*") - f.srv.CallsTo("events:*") }
	r0, d0 := reads(), f.srv.CallsTo("cloudtrail:DescribeTrails")
	ev := `{"version":"0","id":"o1","detail-type":"Region Opt-In Status Change","source":"aws.account","account":"222222222222","time":"2026-11-22T12:00:00Z","region":"us-east-1","resources":[],"detail":{"accountId":"222222222222","regionName":"eu-west-1","status":"ENABLED"}}`
	if _, err := sqsClient(f.srv).SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(f.queue), MessageBody: aws.String(ev)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the re-read", func() bool { return f.w.Stats().Rereads == before+1 && f.srv.QueueDepth(queueARN) == 0 })
	// The whole account: the regions, both regions' trails, and the trail's status, group and role.
	if n, d := reads()-r0, f.srv.CallsTo("cloudtrail:DescribeTrails")-d0; n < 3 || d != 2 {
		t.Errorf("the opt-in change cost %d reads, %d DescribeTrails (want one per region of the account: 2)", n, d)
	}
	if len(f.out.changes(t)) != 0 {
		t.Errorf("nothing changed, yet: %+v", f.out.changes(t))
	}
}
