package watch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/awssim/simtest"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/scan"
	"github.com/trailwatch/trailwatch/internal/watch"
)

// TestLambdaAnswersConfig: a Config rule invocation (a trail's configuration item changed; a scheduled run) is answered
// with PutEvaluations that AWS Config then reports: the stopped trail NON_COMPLIANT, the healthy one COMPLIANT, with
// the reason as annotation and the item's capture time as OrderingTimestamp; an EventBridge event and a scheduled
// event go through the same handler.
func TestLambdaAnswersConfig(t *testing.T) {
	sc, err := awssim.ParseScenario("lambda.yaml", []byte(`
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: good, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
      - {name: stopped, home_region: us-east-1, logging: false, log_group: CT, role: R}
    log_groups: [{name: CT, region: us-east-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := awssim.Start(ctx, sc, awssim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const acct = "111111111111"
	cat, _ := controls.Load()
	clients := collect.NewSDKClients(srv.SDKConfig(acct, "us-east-1"))
	sweeps := 0
	w := watch.New(cat, nil, func(ctx context.Context) (*model.Inventory, error) {
		sweeps++
		inv, _ := scan.Run(ctx, cat, []scan.Target{{Clients: clients}}, scan.Options{Settings: controls.DefaultSettings(srv.Now())})
		return inv, nil
	}, func(ctx context.Context, a string, regions []string) *model.Account {
		return collect.Account(ctx, clients, collect.Options{Regions: regions, AccountID: a, Partition: "aws"})
	}, watch.Options{Now: srv.Now})
	cfgFor := func(a, region, role string) watch.ConfigAPI {
		return configservice.NewFromConfig(srv.SDKConfig(a, region))
	}
	invoke := func(invoking map[string]any) watch.Result {
		t.Helper()
		ie, _ := json.Marshal(invoking)
		payload, _ := json.Marshal(map[string]any{"invokingEvent": string(ie), "resultToken": srv.ConfigResultToken(acct, "us-east-1", "trailwatch-cloudtrail-cwl"),
			"configRuleName": "trailwatch-cloudtrail-cwl", "accountId": acct, "eventLeftScope": false, "version": "1.0"})
		res, err := w.Handle(ctx, payload, cfgFor)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	captured := time.Date(2026, 11, 22, 11, 59, 0, 0, time.UTC)
	res := invoke(map[string]any{"messageType": "ConfigurationItemChangeNotification", "configurationItem": map[string]any{
		"resourceType": "AWS::CloudTrail::Trail", "resourceId": "stopped", "resourceName": "stopped", "ARN": "arn:aws:cloudtrail:us-east-1:111111111111:trail/stopped",
		"awsAccountId": acct, "awsRegion": "us-east-1", "configurationItemStatus": "OK", "configurationItemCaptureTime": captured.Format(time.RFC3339)}})
	if res.Kind != "config" || res.Evaluations != 1 || sweeps != 1 {
		t.Errorf("change-triggered: %+v, sweeps %d", res, sweeps)
	}
	results := func() map[string]string {
		out, err := configservice.NewFromConfig(srv.SDKConfig(acct, "us-east-1")).GetComplianceDetailsByConfigRule(ctx, &configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String("trailwatch-cloudtrail-cwl")})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, r := range out.EvaluationResults {
			q := r.EvaluationResultIdentifier.EvaluationResultQualifier
			m[aws.ToString(q.ResourceId)] = fmt.Sprintf("%s %s %s", r.ComplianceType, r.EvaluationResultIdentifier.OrderingTimestamp.UTC().Format(time.RFC3339), aws.ToString(r.Annotation))
		}
		return m
	}
	if got := results()["stopped"]; !strings.HasPrefix(got, "NON_COMPLIANT 2026-11-22T11:59:00Z FAIL NOT_LOGGING") {
		t.Errorf("stopped: %q", got)
	}
	scheduled := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	res = invoke(map[string]any{"messageType": "ScheduledNotification", "awsAccountId": acct, "notificationCreationTime": scheduled.Format(time.RFC3339)})
	if res.Evaluations != 2 {
		t.Errorf("scheduled: %+v", res)
	}
	got := results()
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(got) != 2 || !strings.HasPrefix(got["good"], "COMPLIANT 2026-11-22T12:00:00Z PASS DELIVERING") || !strings.HasPrefix(got["stopped"], "NON_COMPLIANT 2026-11-22T12:00:00Z") {
		t.Errorf("after the scheduled run: %v", got)
	}
	// A deleted trail's configuration item is NOT_APPLICABLE.
	res = invoke(map[string]any{"messageType": "ConfigurationItemChangeNotification", "configurationItem": map[string]any{
		"resourceType": "AWS::CloudTrail::Trail", "resourceId": "gone", "ARN": "arn:aws:cloudtrail:us-east-1:111111111111:trail/gone",
		"awsAccountId": acct, "awsRegion": "us-east-1", "configurationItemStatus": "ResourceDeleted", "configurationItemCaptureTime": scheduled.Format(time.RFC3339)}})
	if !strings.HasPrefix(results()["gone"], "NOT_APPLICABLE") {
		t.Errorf("deleted: %q", results()["gone"])
	}
	// A configuration item of another type (a rule scoped too widely) is NOT_APPLICABLE, under its own type.
	invoke(map[string]any{"messageType": "ConfigurationItemChangeNotification", "configurationItem": map[string]any{
		"resourceType": "AWS::S3::Bucket", "resourceId": "logs-bucket", "ARN": "arn:aws:s3:::logs-bucket",
		"awsAccountId": acct, "awsRegion": "us-east-1", "configurationItemStatus": "OK", "configurationItemCaptureTime": scheduled.Format(time.RFC3339)}})
	details, err := configservice.NewFromConfig(srv.SDKConfig(acct, "us-east-1")).GetComplianceDetailsByConfigRule(ctx, &configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String("trailwatch-cloudtrail-cwl")})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range details.EvaluationResults {
		q := r.EvaluationResultIdentifier.EvaluationResultQualifier
		if aws.ToString(q.ResourceId) == "logs-bucket" && (aws.ToString(q.ResourceType) != "AWS::S3::Bucket" || r.ComplianceType != "NOT_APPLICABLE") {
			t.Errorf("bucket: %s %s", aws.ToString(q.ResourceType), r.ComplianceType)
		}
	}
	// An invocation without the account it is for is refused, not answered for the account the credentials reach.
	ie, _ := json.Marshal(map[string]any{"messageType": "ScheduledNotification", "notificationCreationTime": scheduled.Format(time.RFC3339)})
	noAcct, _ := json.Marshal(map[string]any{"invokingEvent": string(ie), "resultToken": "t", "configRuleName": "trailwatch-cloudtrail-cwl"})
	if _, err := w.Handle(ctx, noAcct, cfgFor); err == nil || !strings.Contains(err.Error(), "not a 12-digit AWS account id") {
		t.Errorf("no accountId: %v", err)
	}
	// An EventBridge event: the trail restarted.
	if _, err := cloudtrail.NewFromConfig(srv.SDKConfig(acct, "us-east-1")).StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("stopped")}); err != nil {
		t.Fatal(err)
	}
	ev := `{"version":"0","id":"e1","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","account":"111111111111","region":"us-east-1","time":"2026-11-22T12:00:00Z","resources":[],"detail":{"eventName":"StartLogging","eventID":"e1","requestParameters":{"name":"stopped"},"recipientAccountId":"111111111111","userIdentity":{"arn":"arn:aws:iam::111111111111:user/ops"}}}`
	res, err = w.Handle(ctx, []byte(ev), cfgFor)
	if err != nil || res.Kind != "event" || res.Changes < 1 {
		t.Errorf("event: %+v %v", res, err)
	}
	res, err = w.Handle(ctx, []byte(`{"version":"0","id":"s","detail-type":"Scheduled Event","source":"aws.events","account":"111111111111","region":"us-east-1","time":"2026-11-22T12:00:00Z","resources":[],"detail":{}}`), cfgFor)
	if err != nil || res.Kind != "sweep" {
		t.Errorf("scheduled event: %+v %v", res, err)
	}
	if _, err := w.Handle(ctx, []byte(`{"hello":1}`), cfgFor); err == nil {
		t.Error("an unknown payload was accepted")
	}
}

// TestHandleRefusesMalformedEvents: an event without a source, a detail-type or a 12-digit account is refused with an
// error and re-reads nothing (it used to re-read the caller's account and emit a finding for account "").
func TestHandleRefusesMalformedEvents(t *testing.T) {
	cat, _ := controls.Load()
	for _, payload := range []string{
		`{"detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","detail":{"eventName":"StopLogging"}}`,
		`{"detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","account":"abc","detail":{"eventName":"StopLogging"}}`,
		`{"detail-type":"AWS API Call via CloudTrail","account":"111111111111","detail":{"eventName":"StopLogging"}}`,
	} {
		reads := 0
		w := watch.New(cat, nil, func(context.Context) (*model.Inventory, error) {
			return &model.Inventory{Accounts: []*model.Account{{ID: "111111111111", Regions: []string{"us-east-1"}}}}, nil
		}, func(_ context.Context, acct string, _ []string) *model.Account {
			reads++
			return &model.Account{ID: acct}
		}, watch.Options{})
		if _, err := w.Handle(context.Background(), []byte(payload), nil); err == nil || !strings.Contains(err.Error(), "not an EventBridge event trailwatch can act on") {
			t.Errorf("%s: error %v", payload, err)
		}
		if reads != 0 {
			t.Errorf("%s: %d accounts re-read", payload, reads)
		}
	}
}

// TestConfigInvocationScope: a Config invocation whose executionRoleArn is another account's role is refused before
// any call (it was assumed as given), and one naming an account outside the function's scope is refused without
// reading it (issue 23).
func TestConfigInvocationScope(t *testing.T) {
	cat, _ := controls.Load()
	reads, assumed := 0, 0
	w := watch.New(cat, nil, func(context.Context) (*model.Inventory, error) {
		return &model.Inventory{Accounts: []*model.Account{{ID: "111111111111", Regions: []string{"us-east-1"}}}}, nil
	}, func(_ context.Context, acct string, _ []string) *model.Account {
		reads++
		return &model.Account{ID: acct}
	}, watch.Options{})
	cfgFor := func(a, region, role string) watch.ConfigAPI {
		assumed++
		return nil
	}
	ie, _ := json.Marshal(map[string]any{"messageType": "ScheduledNotification", "notificationCreationTime": "2026-11-22T12:00:00Z"})
	for _, tc := range []struct{ account, role, want string }{
		{"111111111111", "arn:aws:iam::999999999999:role/config-role", "not a role of the invocation's account"},
		{"222222222222", "", "outside this function's scope"},
	} {
		payload, _ := json.Marshal(map[string]any{"invokingEvent": string(ie), "resultToken": "t", "configRuleName": "r", "accountId": tc.account, "executionRoleArn": tc.role})
		if _, err := w.Handle(context.Background(), payload, cfgFor); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v", tc.account, tc.role, err)
		}
	}
	if reads != 0 || assumed != 0 {
		t.Errorf("%d reads, %d Config clients (role assumptions)", reads, assumed)
	}
}

// TestLambdaColdStartReports (issue 25): every Lambda invocation may be a cold start. A StopLogging event reaching a
// fresh instance reports the break (it used to sweep a silent baseline that already held the break, and say nothing);
// with the last recorded state (--store) it reports what changed since, with the event as cause; a scheduled sweep on
// a cold start reports too. A healthy trail seen for the first time gives no line.
func TestLambdaColdStartReports(t *testing.T) {
	srv, fresh := lambdaFixture(t, `
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: good, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
      - {name: app, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
    log_groups: [{name: CT, region: us-east-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
`)
	ctx := context.Background()
	const acct = "111111111111"
	// The last recorded state, while both trails were healthy.
	healthy, _ := fresh(nil)
	if err := healthy.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	recorded := healthy.Findings()

	if _, err := cloudtrail.NewFromConfig(srv.SDKConfig(acct, "us-east-1")).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	stop := []byte(`{"version":"0","id":"e1","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","account":"111111111111","region":"us-east-1","time":"2026-11-22T12:00:00Z","resources":[],"detail":{"eventName":"StopLogging","eventID":"e1","requestParameters":{"name":"app"},"recipientAccountId":"111111111111","userIdentity":{"arn":"arn:aws:iam::111111111111:user/mallory"}}}`)
	sweepEv := []byte(`{"version":"0","id":"s","detail-type":"Scheduled Event","source":"aws.events","account":"111111111111","region":"us-east-1","time":"2026-11-22T12:00:00Z","resources":[],"detail":{}}`)
	for _, tc := range []struct {
		name     string
		previous []model.Finding
		payload  []byte
		cause    string
	}{
		{"an event, nothing recorded", nil, stop, "mallory"},
		{"an event, the last state recorded", recorded, stop, "mallory"},
		{"a scheduled sweep, nothing recorded", nil, sweepEv, `"sweep":true`},
		{"a scheduled sweep, the last state recorded", recorded, sweepEv, `"sweep":true`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, out := fresh(tc.previous)
			res, err := w.Handle(ctx, tc.payload, nil)
			if err != nil || res.Changes < 1 {
				t.Fatalf("%+v %v: a cold start said nothing about the stopped trail", res, err)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			var broke bool
			for _, l := range lines {
				if strings.Contains(l, "trail/app") && strings.Contains(l, "NOT_LOGGING") && strings.Contains(l, tc.cause) {
					broke = true
				}
				if strings.Contains(l, "trail/good") {
					t.Errorf("a healthy trail reported: %s", l)
				}
			}
			if !broke {
				t.Errorf("no line names trail/app NOT_LOGGING with %s:\n%s", tc.cause, out.String())
			}
		})
	}
}

// TestCulpritIsTheEventThatExplainsTheChange (issue 25): a StopLogging batched with someone else's no-op
// PutRetentionPolicy on the same account is reported with the StopLogging and its principal as cause, whichever came
// last (the last event of a batch was named for every change); two events that can each explain it are both named.
func TestCulpritIsTheEventThatExplainsTheChange(t *testing.T) {
	srv, fresh := lambdaFixture(t, oneTrail)
	ctx := context.Background()
	const acct = "111111111111"
	healthy, _ := fresh(nil)
	if err := healthy.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	recorded := healthy.Findings()
	if _, err := cloudtrail.NewFromConfig(srv.SDKConfig(acct, "us-east-1")).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	ev := apiEvent
	retention := ev("r1", "aws.logs", "PutRetentionPolicy", "alice", `{"logGroupName":"CT","retentionInDays":365}`)
	stop := ev("s1", "aws.cloudtrail", "StopLogging", "mallory", `{"name":"app"}`)
	stop2 := ev("s2", "aws.cloudtrail", "StopLogging", "trent", `{"name":"app"}`)
	for _, tc := range []struct {
		name  string
		batch [][]byte
		who   string
		also  []string
	}{
		{"the no-op first", [][]byte{retention, stop}, "mallory", nil},
		{"the no-op last", [][]byte{stop, retention}, "mallory", nil},
		{"two that can explain it", [][]byte{stop, retention, stop2}, "trent", []string{"mallory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, out := fresh(recorded)
			if err := w.HandleEvents(ctx, tc.batch...); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, c := range changesOf(out.String()) {
				if c.Finding.ResourceID != "arn:aws:cloudtrail:us-east-1:111111111111:trail/app" || c.Finding.ControlID != controls.IntegrationID {
					continue
				}
				found = true
				var also []string
				for _, a := range c.Cause.Also {
					also = append(also, a.Principal[strings.LastIndex(a.Principal, "/")+1:])
				}
				if c.Cause.EventName != "StopLogging" || !strings.HasSuffix(c.Cause.Principal, "/"+tc.who) || strings.Join(also, ",") != strings.Join(tc.also, ",") || c.Cause.Unexplained {
					t.Errorf("cause %+v, want StopLogging by %s, also %v", c.Cause, tc.who, tc.also)
				}
			}
			if !found {
				t.Errorf("no change for trail/app:\n%s", out.String())
			}
		})
	}
}

// lambdaFixture serves a scenario and returns a maker of fresh watchers over its first account (a new Lambda instance
// each: Previous is the state it is given as recorded), writing their lines to a buffer.
func lambdaFixture(t *testing.T, text string) (*awssim.Server, func(previous []model.Finding) (*watch.Watcher, *strings.Builder)) {
	t.Helper()
	srv := simtest.Serve(t, text, awssim.Options{})
	cat, _ := controls.Load()
	clients := collect.NewSDKClients(srv.SDKConfig(srv.Accounts()[0].AccountID, "us-east-1"))
	return srv, func(previous []model.Finding) (*watch.Watcher, *strings.Builder) {
		out := &strings.Builder{}
		return watch.New(cat, nil, func(ctx context.Context) (*model.Inventory, error) {
			inv, _ := scan.Run(ctx, cat, []scan.Target{{Clients: clients}}, scan.Options{Settings: controls.DefaultSettings(srv.Now())})
			return inv, nil
		}, func(ctx context.Context, a string, regions []string) *model.Account {
			return collect.Account(ctx, clients, collect.Options{Regions: regions, AccountID: a, Partition: "aws"})
		}, watch.Options{Now: srv.Now, Out: out, Previous: previous}), out
	}
}

const oneTrail = `
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: app, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
    log_groups: [{name: CT, region: us-east-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
`

// apiEvent is an EventBridge "AWS API Call via CloudTrail" event in account 111111111111 by an IAM user.
func apiEvent(id, source, name, who, params string) []byte {
	return []byte(fmt.Sprintf(`{"version":"0","id":%q,"detail-type":"AWS API Call via CloudTrail","source":%q,"account":"111111111111","region":"us-east-1","time":"2026-11-22T12:00:00Z","resources":[],"detail":{"eventName":%q,"eventID":%q,"requestParameters":%s,"recipientAccountId":"111111111111","userIdentity":{"arn":"arn:aws:iam::111111111111:user/%s"}}}`, id, source, name, id, params, who))
}

// changesOf decodes a watcher's lines.
func changesOf(out string) []watch.Change {
	var changes []watch.Change
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var c watch.Change
		if json.Unmarshal([]byte(l), &c) == nil && c.Event != "" {
			changes = append(changes, c)
		}
	}
	return changes
}

// TestBreakRepairedWithinTheSettleIsReported (issue 25): a StopLogging undone by a StartLogging in the same batch
// leaves the trail healthy at the re-read, so no verdict changes; the break is still reported, as a capture_gap line
// naming who stopped, who started and the trail's finding: events between the two were not captured.
func TestBreakRepairedWithinTheSettleIsReported(t *testing.T) {
	srv, fresh := lambdaFixture(t, oneTrail)
	ctx := context.Background()
	healthy, _ := fresh(nil)
	if err := healthy.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	ct := cloudtrail.NewFromConfig(srv.SDKConfig("111111111111", "us-east-1"))
	if _, err := ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	w, out := fresh(healthy.Findings())
	if err := w.HandleEvents(ctx, apiEvent("s1", "aws.cloudtrail", "StopLogging", "mallory", `{"name":"app"}`),
		apiEvent("s2", "aws.cloudtrail", "StartLogging", "bob", `{"name":"app"}`)); err != nil {
		t.Fatal(err)
	}
	changes := changesOf(out.String())
	if len(changes) != 1 || changes[0].Event != "capture_gap" || changes[0].Cause.EventName != "StopLogging" || !strings.HasSuffix(changes[0].Cause.Principal, "/mallory") ||
		changes[0].Repair == nil || changes[0].Repair.EventName != "StartLogging" || !strings.HasSuffix(changes[0].Repair.Principal, "/bob") ||
		changes[0].Finding.ResourceID != "arn:aws:cloudtrail:us-east-1:111111111111:trail/app" || changes[0].Finding.Status != model.StatusPass {
		t.Errorf("lines:\n%s", out.String())
	}
	// A StopLogging and a StartLogging of another trail are no gap.
	w, out = fresh(healthy.Findings())
	_ = w.HandleEvents(ctx, apiEvent("s3", "aws.cloudtrail", "StopLogging", "mallory", `{"name":"other"}`), apiEvent("s4", "aws.cloudtrail", "StartLogging", "bob", `{"name":"app"}`))
	if strings.Contains(out.String(), "capture_gap") {
		t.Errorf("a gap across two trails:\n%s", out.String())
	}
}

// failingConfig is a Config client whose every call fails, as one built on a role that cannot be assumed does.
type failingConfig struct{}

func (failingConfig) PutEvaluations(context.Context, *configservice.PutEvaluationsInput, ...func(*configservice.Options)) (*configservice.PutEvaluationsOutput, error) {
	return nil, fmt.Errorf("operation error STS: AssumeRole, AccessDenied")
}

// TestConfigInvocationsAnswered (issue 25): the periodic trigger of aws-lambda-go's Config sample
// (ConfigurationSnapshotDeliveryCompleted) is answered like a ScheduledNotification; an executionRoleArn that cannot
// be used leaves the answer to the function's own role instead of writing nothing; an account that cannot be read is
// a failed invocation, never a success with no evaluation.
func TestConfigInvocationsAnswered(t *testing.T) {
	srv, fresh := lambdaFixture(t, oneTrail)
	ctx := context.Background()
	const acct = "111111111111"
	token := srv.ConfigResultToken(acct, "us-east-1", "tw")
	cfgFor := func(a, region, role string) watch.ConfigAPI {
		if role != "" {
			return failingConfig{}
		}
		return configservice.NewFromConfig(srv.SDKConfig(a, region))
	}
	invoke := func(w *watch.Watcher, messageType, role string) (watch.Result, error) {
		ie, _ := json.Marshal(map[string]any{"messageType": messageType, "awsAccountId": acct, "notificationCreationTime": "2026-11-22T12:00:00Z"})
		payload, _ := json.Marshal(map[string]any{"invokingEvent": string(ie), "resultToken": token, "configRuleName": "tw", "accountId": acct,
			"executionRoleArn": role})
		return w.Handle(ctx, payload, cfgFor)
	}
	w, _ := fresh(nil)
	if res, err := invoke(w, "ConfigurationSnapshotDeliveryCompleted", "arn:aws:iam::111111111111:role/config-role"); err != nil || res.Evaluations != 1 {
		t.Errorf("ConfigurationSnapshotDeliveryCompleted with an unusable execution role: %+v %v", res, err)
	}
	out, err := configservice.NewFromConfig(srv.SDKConfig(acct, "us-east-1")).GetComplianceDetailsByConfigRule(ctx, &configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String("tw")})
	if err != nil || len(out.EvaluationResults) != 1 || out.EvaluationResults[0].ComplianceType != "COMPLIANT" {
		t.Errorf("evaluations written: %+v %v", out, err)
	}
	_, fresh = lambdaFixture(t, oneTrail+"faults:\n  - {operation: 'cloudtrail:DescribeTrails', error: AccessDeniedException}\n  - {operation: 'cloudtrail:ListTrails', error: AccessDeniedException}\n")
	w, _ = fresh(nil)
	if res, err := invoke(w, "ScheduledNotification", ""); err == nil || !strings.Contains(err.Error(), "could not be read") {
		t.Errorf("an unreadable account: %+v %v", res, err)
	}
}

// TestSettleGathersTheBatch (field trial, issue 25): in continuous mode the long poll answers with the first message,
// so a StopLogging and the StartLogging that undoes it a moment later were two batches, and the break was never
// reported. What arrives during --settle joins the batch: one capture_gap line names both.
func TestSettleGathersTheBatch(t *testing.T) {
	// A second trail keeps capturing the account's calls while app is stopped (the simulator emits a call's event only
	// when a logging trail captures it).
	srv, _ := lambdaFixture(t, strings.Replace(oneTrail, "    log_groups:", "      - {name: keeper, home_region: us-east-1, multi_region: true, log_group: CT, role: R}\n    log_groups:", 1)+"watch: {}\n")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cat, _ := controls.Load()
	cfg := srv.SDKConfig("111111111111", "us-east-1")
	clients := collect.NewSDKClients(cfg)
	out := &syncBuilder{}
	w := watch.New(cat, sqs.NewFromConfig(cfg), func(ctx context.Context) (*model.Inventory, error) {
		inv, _ := scan.Run(ctx, cat, []scan.Target{{Clients: clients}}, scan.Options{Settings: controls.DefaultSettings(srv.Now())})
		return inv, nil
	}, func(ctx context.Context, a string, regions []string) *model.Account {
		return collect.Account(ctx, clients, collect.Options{Regions: regions, AccountID: a, Partition: "aws"})
	}, watch.Options{Now: srv.Now, Out: out, QueueURL: srv.WatchQueueURL(), WaitSeconds: 1, Settle: 1500 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	for w.Stats().Sweeps == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	ct := cloudtrail.NewFromConfig(cfg)
	if _, err := ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // after the first long poll has answered with the StopLogging
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(out.String(), "capture_gap") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	changes := changesOf(out.String())
	if len(changes) != 1 || changes[0].Event != "capture_gap" || changes[0].Cause.EventName != "StopLogging" || changes[0].Repair == nil || changes[0].Repair.EventName != "StartLogging" {
		t.Errorf("lines:\n%s", out.String())
	}
}

// syncBuilder is a strings.Builder safe to read while the watcher writes.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuilder) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
