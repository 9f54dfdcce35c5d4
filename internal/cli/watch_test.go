package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailwatch/trailwatch/examples"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestWatchCommand: `trailwatch watch --queue` prints one JSON line for a StopLogging that arrives through
// EventBridge, with the event as its cause, and stops cleanly when interrupted.
func TestWatchCommand(t *testing.T) {
	srv := simFrom(t, []byte(`
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
      - {name: second, home_region: us-east-1, log_group: CT, role: R}
    log_groups: [{name: CT, region: us-east-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
`))
	ctx := context.Background()
	cfg := srv.SDKConfig("111111111111", "us-east-1")
	q, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("w")})
	if err != nil {
		t.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(cfg)
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source":["aws.cloudtrail"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String("arn:aws:sqs:us-east-1:111111111111:w")}}}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(t, "watch"); code != ExitUsage || !strings.Contains(errs, "--queue is required") {
		t.Errorf("no --queue: %d %s", code, errs)
	}
	if code, _, errs := run(t, "watch", "--queue", "w"); code != ExitUsage || !strings.Contains(errs, "queue URL") {
		t.Errorf("a queue name: %d %s", code, errs)
	}
	// The sinks: a webhook, an SNS topic, Security Hub.
	hooks := &syncBuf{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hooks.Write(append(b, '\n'))
	}))
	defer hook.Close()
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("changes")})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(t, "watch", "--queue", aws.ToString(q.QueueUrl), "--notify", "changes"); code != ExitUsage || !strings.Contains(errs, "sns:TOPIC_ARN") {
		t.Errorf("--notify without an ARN: %d %s", code, errs)
	}
	if code, _, errs := run(t, "watch", "--queue", aws.ToString(q.QueueUrl), "--auto-fix", "--auto-fix-controls", "cloudtrail-integration"); code != ExitUsage || !strings.Contains(errs, "not a control") {
		t.Errorf("--auto-fix-controls with a typo: %d %s", code, errs)
	}
	out, errb := &syncBuf{}, &syncBuf{}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan int)
	go func() {
		e := &env{stdin: strings.NewReader(""), stdout: out, stderr: errb, now: srv.Now}
		done <- execute(wctx, e, []string{"watch", "--queue", aws.ToString(q.QueueUrl), "--settle", "0s", "--wait-seconds", "1",
			"--webhook", hook.URL, "--notify", "sns:" + aws.ToString(topic.TopicArn), "--security-hub"})
	}()
	// The baseline sweep reads DescribeTrails; then the break.
	for srv.CallsTo("sqs:ReceiveMessage") == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := cloudtrail.NewFromConfig(cfg).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("second")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(out.String(), "\n") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	const id = "cloudtrail-cloudwatch-integration/arn:aws:cloudtrail:us-east-1:111111111111:trail/second"
	// The sinks are told after the line is written: wait for them.
	for (srv.FindingState("111111111111", id) == "" || strings.Count(hooks.String(), "\n") < 1) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := srv.FindingState("111111111111", id); st != "ACTIVE" {
		t.Errorf("Security Hub holds the broken trail's finding as %q, want ACTIVE", st)
	}
	// The repair: the finding passes again and Security Hub archives it.
	if _, err := cloudtrail.NewFromConfig(cfg).StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("second")}); err != nil {
		t.Fatal(err)
	}
	for (strings.Count(out.String(), "\n") < 2 || srv.FindingState("111111111111", id) != "ARCHIVED" || strings.Count(hooks.String(), "\n") < 2 ||
		len(srv.Published(aws.ToString(topic.TopicArn))) < 2) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if st := srv.FindingState("111111111111", id); st != "ARCHIVED" {
		t.Errorf("after the repair Security Hub holds it as %q, want ARCHIVED", st)
	}
	if msgs := srv.Published(aws.ToString(topic.TopicArn)); len(msgs) != 2 || !strings.Contains(msgs[0], `"event_name":"StopLogging"`) {
		t.Errorf("SNS messages: %v", msgs)
	}
	if h := hooks.String(); strings.Count(h, "\n") != 2 || !strings.Contains(h, `"text":"trailwatch: FAIL cloudtrail-cloudwatch-integration on arn:aws:cloudtrail:us-east-1:111111111111:trail/second (was PASS): NOT_LOGGING`) {
		t.Errorf("webhook posts:\n%s", h)
	}
	if code := <-done; code != ExitOK || !strings.Contains(errb.String(), "trailwatch: watch stopped, interrupted:") || !strings.Contains(errb.String(), "2 change(s)") ||
		!regexp.MustCompile(`2 re-read\(s\) making [1-9][0-9]* AWS call\(s\), 1 sweep\(s\) making [1-9][0-9]*`).MatchString(errb.String()) ||
		strings.Contains(errb.String(), "API calls (") {
		t.Errorf("watch exit %d, and it should say it stopped and what it did: %s", code, errb.String())
	}
	var ch struct {
		Event string
		Cause struct {
			EventName string `json:"event_name"`
		}
		Previous struct{ Status string }
		Finding  struct {
			ID     string
			Status string
		}
	}
	line := strings.SplitN(out.String(), "\n", 2)[0]
	if err := json.Unmarshal([]byte(line), &ch); err != nil {
		t.Fatalf("output %q: %v (stderr %s)", out.String(), err, errb.String())
	}
	if ch.Event != "finding_changed" || ch.Cause.EventName != "StopLogging" || ch.Previous.Status != "PASS" || ch.Finding.Status != "FAIL" ||
		ch.Finding.ID != "cloudtrail-cloudwatch-integration/arn:aws:cloudtrail:us-east-1:111111111111:trail/second" {
		t.Errorf("line %s", line)
	}
}

// TestLambdaCommand: outside Lambda without --invoke it is a usage error that says what to do; --invoke handles one
// Config rule invocation and answers it with PutEvaluations; the bootstrap binary takes its flags from TRAILWATCH_ARGS.
func TestLambdaCommand(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	if code, _, errs := run(t, "lambda"); code != ExitUsage || !strings.Contains(errs, "--invoke") {
		t.Errorf("outside Lambda: %d %s", code, errs)
	}
	srv := fixEnv(t)
	dir := t.TempDir()
	ie, _ := json.Marshal(map[string]any{"messageType": "ScheduledNotification", "awsAccountId": "111111111111", "notificationCreationTime": "2026-11-22T12:00:00Z"})
	payload, _ := json.Marshal(map[string]any{"invokingEvent": string(ie), "resultToken": srv.ConfigResultToken("111111111111", "us-east-1", "tw"),
		"configRuleName": "tw", "accountId": "111111111111"})
	path := dir + "/invocation.json"
	if err := os.WriteFile(path, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runClock(t, srv.Now, "lambda", "--invoke", path); code != ExitOK || !strings.Contains(errs, "handled the config invocation: 3 evaluation(s) written") {
		t.Fatalf("--invoke: %d %s", code, errs)
	}
	// Field trial (issue 25): a payload that is not an invocation is bad input (exit 3, was 2); an event naming an
	// account outside the function's scope is said to be dropped, not only logged.
	bad := dir + "/bad.json"
	_ = os.WriteFile(bad, []byte(`{}`), 0o600)
	if code, _, errs := runClock(t, srv.Now, "lambda", "--invoke", bad); code != ExitUsage || !strings.Contains(errs, "neither an EventBridge event nor a Config rule invocation") {
		t.Errorf("a payload that is no invocation: %d %s", code, errs)
	}
	other := dir + "/other.json"
	_ = os.WriteFile(other, []byte(`{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","account":"999999999999","region":"us-east-1","time":"2026-11-22T12:00:00Z","resources":[],"detail":{"eventName":"StopLogging","requestParameters":{"name":"t"},"recipientAccountId":"999999999999"}}`), 0o600)
	if code, _, errs := runClock(t, srv.Now, "lambda", "--invoke", other); code != ExitOK || !strings.Contains(errs, "outside this function's scope") {
		t.Errorf("an event outside the scope: %d %s", code, errs)
	}
	out, err := configservice.NewFromConfig(srv.SDKConfig("111111111111", "us-east-1")).GetComplianceDetailsByConfigRule(context.Background(),
		&configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String("tw")})
	if err != nil || len(out.EvaluationResults) != 3 {
		t.Fatalf("evaluations: %+v %v", out, err)
	}
	nonCompliant := 0
	for _, r := range out.EvaluationResults {
		if r.ComplianceType == "NON_COMPLIANT" {
			nonCompliant++
		}
	}
	if nonCompliant != 3 {
		t.Errorf("%d of the fix scenario's 3 failing trails NON_COMPLIANT", nonCompliant)
	}
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
	t.Setenv("TRAILWATCH_ARGS", "--org --alarms")
	if got := strings.Join(Args("/var/task/bootstrap", nil), " "); got != "lambda --org --alarms" {
		t.Errorf("bootstrap args: %q", got)
	}
	if got := strings.Join(Args("/usr/bin/trailwatch", []string{"scan"}), " "); got != "scan" {
		t.Errorf("plain args: %q", got)
	}
}

// TestWatchStore: with --store the watcher records its state, and a watcher started later reports, with the sweep as
// cause, what changed while none was running; history lists the recorded states.
func TestWatchStore(t *testing.T) {
	srv := fixEnv(t)
	ctx := context.Background()
	cfg := srv.SDKConfig("111111111111", "us-east-1")
	q, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("w")})
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "watch.db")
	watchOnce := func() (int, string, string) {
		return runClock(t, srv.Now, "watch", "--once", "--queue", aws.ToString(q.QueueUrl), "--wait-seconds", "1", "--store", db)
	}
	if code, out, errs := watchOnce(); code != ExitOK || out != "" {
		t.Fatalf("first run: %d %q %s", code, out, errs)
	}
	// While no watcher runs, the stopped trail is started again.
	if _, err := cloudtrail.NewFromConfig(cfg).StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("stopped")}); err != nil {
		t.Fatal(err)
	}
	code, out, errs := watchOnce()
	// The trail and the account's capture (which relied on it) both moved to PENDING (the first delivery is on its way).
	if code != ExitOK || strings.Count(out, `"sweep":true`) != 2 || !strings.Contains(out, `"id":"cloudtrail-cloudwatch-integration/arn:aws:cloudtrail:us-east-1:111111111111:trail/stopped","control_id":"cloudtrail-cloudwatch-integration","title":"CloudTrail trails are integrated with CloudWatch Logs","status":"PENDING"`) || strings.Count(out, "\n") != 2 {
		t.Fatalf("second run: %d\n%s\n%s", code, out, errs)
	}
	if code, out, _ := run(t, "history", "--store", db); code != ExitOK || strings.Count(out, " findings: ") != 2 {
		t.Errorf("history: %d\n%s", code, out)
	}
}

// TestWatchFlagsCheckedFirst: a bad auto-fix selector or scan flag is a usage error (exit 3) naming what to fix, before
// any AWS call; a misspelt reason code or control would otherwise select nothing and auto-fix would silently never run.
func TestWatchFlagsCheckedFirst(t *testing.T) {
	q := "https://sqs.us-east-1.amazonaws.com/111111111111/q"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"watch", "--queue", q, "--auto-fix", "--auto-fix-reasons", "NOT_INTEGRATD"}, `--auto-fix-reasons "NOT_INTEGRATD": not a reason code`},
		{[]string{"watch", "--queue", q, "--auto-fix", "--auto-fix-controls", "nope"}, `--auto-fix-controls "nope": not a control`},
		{[]string{"watch", "--queue", q, "--auto-fix", "--auto-fix-tag", "env"}, `--auto-fix-tag "env": want key=value`},
		{[]string{"watch", "--queue", q, "--yes"}, "--yes applies with --auto-fix only"},
		{[]string{"watch", "--queue", q, "--auto-fix-reasons", "NOT_INTEGRATED"}, "--auto-fix-reasons applies with --auto-fix only"},
		{[]string{"watch", "--queue", q, "--discovery", "all"}, `--discovery "all"`},
		{[]string{"watch", "--queue", q, "--regions", "mars-1"}, `--regions "mars-1"`},
		{[]string{"watch", "--queue", q, "--accounts", "222222222222"}, "add --org"},
		{[]string{"lambda", "--invoke", "-", "--auto-fix", "--auto-fix-reasons", "NOPE"}, `--auto-fix-reasons "NOPE"`},
		{[]string{"lambda", "--invoke", "-", "--concurrency", "0"}, "must be at least 1"},
	} {
		srv := simFrom(t, examples.Organization)
		code, _, errs := run(t, tc.args...)
		if code != ExitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, want %d with %q\n%s", tc.args, code, ExitUsage, tc.want, errs)
		}
		if n := srv.CallsTo("*"); n != 0 {
			t.Errorf("%v: %d AWS calls before the flags were checked", tc.args, n)
		}
	}
}

// TestWatchChecksTheQueueFirst: a queue that does not exist (a typo in --queue, the wrong region) is reported before
// the baseline sweep, which reads the whole organization: it was reported after it, as a raw SQS error, exit 2.
func TestWatchChecksTheQueueFirst(t *testing.T) {
	srv := simFrom(t, examples.Organization)
	code, _, errs := run(t, "watch", "--queue", "https://sqs.us-east-1.amazonaws.com/111111111111/no-such-queue", "--once")
	if code != ExitUsage || !strings.Contains(errs, "no-such-queue does not exist") {
		t.Errorf("exit %d, want %d\n%s", code, ExitUsage, errs)
	}
	if n := srv.CallsTo("cloudtrail:*"); n != 0 {
		t.Errorf("%d CloudTrail calls: the baseline sweep ran before the queue was checked", n)
	}
}

// TestWatchOutputMode: watch -o writes its lines to a file only its owner reads (0600), as every other -o does; it
// wrote 0644 (issue 22).
func TestWatchOutputMode(t *testing.T) {
	srv := fixEnv(t)
	q, err := sqs.NewFromConfig(srv.SDKConfig("111111111111", "us-east-1")).CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("w")})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "changes.jsonl")
	if code, _, errs := runClock(t, srv.Now, "watch", "--once", "--queue", aws.ToString(q.QueueUrl), "--wait-seconds", "1", "-o", path); code != ExitOK {
		t.Fatalf("watch: %d %s", code, errs)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("watch -o wrote mode %o, want 600", fi.Mode().Perm())
	}
}

// TestWatchHelpListsOnlyWhatItTakes: watch and lambda refuse --shard and --include-inventory (they judge their whole
// scope and write changes, not a report), so their help does not offer them (issue 22).
func TestWatchHelpListsOnlyWhatItTakes(t *testing.T) {
	for _, cmd := range []string{"watch", "lambda"} {
		_, out, _ := run(t, cmd, "--help")
		for _, flag := range []string{"--shard", "--include-inventory"} {
			if strings.Contains(out, flag) {
				t.Errorf("%s --help lists %s, which it refuses", cmd, flag)
			}
			args := []string{cmd, "--invoke", "x.json"}
			if cmd == "watch" {
				args = []string{cmd, "--queue", "https://sqs.us-east-1.amazonaws.com/111111111111/q"}
			}
			if flag == "--shard" {
				args = append(args, flag, "1/2")
			} else {
				args = append(args, flag)
			}
			if code, _, errs := run(t, args...); code != ExitUsage || !strings.Contains(errs, flag+" does not apply to "+cmd) {
				t.Errorf("%s %s: exit %d %s", cmd, flag, code, errs)
			}
		}
	}
}
