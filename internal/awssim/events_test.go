package awssim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

const eventsScenario = `
now: 2026-11-22T12:00:00Z
organization: {id: o-abcdefghij, management_account: "111111111111"}
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: org, home_region: us-east-1, multi_region: true, organization: true, log_group: CT, role: R}
    log_groups: [{name: CT, region: us-east-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
  - id: "222222222222"
    regions: [us-east-1, eu-west-1]
    log_groups: [{name: app, region: eu-west-1}]
  - id: "333333333333"
    regions: [us-east-1]
    log_groups: [{name: lonely, region: us-east-1}]
`

// TestEventsReachAQueueAcrossTheOrganization: a member's rule forwards CloudTrail API-call events to the hub bus,
// which admits the organization; the hub's rule puts them on an SQS queue; a call in an account no trail captures
// produces nothing; an errored call carries errorCode; poison messages move to the dead-letter queue.
func TestEventsReachAQueueAcrossTheOrganization(t *testing.T) {
	s := start(t, eventsScenario)
	ctx := context.Background()
	hub := s.SDKConfig("111111111111", "us-east-1")
	q := sqs.NewFromConfig(hub)
	dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("watch-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	dlqARN := "arn:aws:sqs:us-east-1:111111111111:watch-dlq"
	main, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("watch"), Attributes: map[string]string{
		"VisibilityTimeout": "0", "RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"2"}`}})
	if err != nil {
		t.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(hub)
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("trailwatch")}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutPermission(ctx, &eventbridge.PutPermissionInput{EventBusName: aws.String("trailwatch"), Action: aws.String("events:PutEvents"),
		Principal: aws.String("*"), StatementId: aws.String("org"), Condition: &ebtypes.Condition{Type: aws.String("StringEquals"), Key: aws.String("aws:PrincipalOrgID"), Value: aws.String("o-abcdefghij")}}); err != nil {
		t.Fatal(err)
	}
	pattern := `{"detail-type":["AWS API Call via CloudTrail"],"source":["aws.cloudtrail","aws.logs","aws.iam"],"detail":{"eventName":[{"anything-but":["TagResource"]}]}}`
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("to-queue"), EventBusName: aws.String("trailwatch"), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if out, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("to-queue"), EventBusName: aws.String("trailwatch"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String("arn:aws:sqs:us-east-1:111111111111:watch")}}}); err != nil || out.FailedEntryCount != 0 {
		t.Fatal(out, err)
	}
	hubBus := "arn:aws:events:us-east-1:111111111111:event-bus/trailwatch"
	for _, acct := range []string{"111111111111", "222222222222", "333333333333"} {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			if acct == "333333333333" && region == "eu-west-1" {
				continue
			}
			m := eventbridge.NewFromConfig(s.SDKConfig(acct, region))
			if _, err := m.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("forward"), EventPattern: aws.String(`{"detail-type":["AWS API Call via CloudTrail"]}`)}); err != nil {
				t.Fatal(err)
			}
			if _, err := m.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("forward"), Targets: []ebtypes.Target{{Id: aws.String("hub"), Arn: aws.String(hubBus)}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A member's retention change in eu-west-1 (captured by the multi-region organization trail).
	if _, err := cloudwatchlogs.NewFromConfig(s.SDKConfig("222222222222", "eu-west-1")).PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
		LogGroupName: aws.String("app"), RetentionInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	// IAM lands in us-east-1 whatever the client's region.
	if _, err := iam.NewFromConfig(s.SDKConfig("111111111111", "eu-west-1")).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String("R"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	// A failed call is recorded too.
	if _, err := cloudtrail.NewFromConfig(hub).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("nope")}); err == nil {
		t.Fatal("StopLogging of a missing trail succeeded")
	}
	// Reads produce nothing; an account outside the organization with no trail produces nothing.
	_, _ = cloudtrail.NewFromConfig(hub).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	recv, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: main.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range recv.Messages {
		var ev struct {
			Source, Account, Region string
			Detail                  struct {
				EventName, ErrorCode, RecipientAccountId string
				RequestParameters                        map[string]any
			}
		}
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Account+" "+ev.Region+" "+ev.Source+" "+ev.Detail.EventName+" "+ev.Detail.ErrorCode)
	}
	want := []string{"222222222222 eu-west-1 aws.logs PutRetentionPolicy ", "111111111111 us-east-1 aws.iam UpdateAssumeRolePolicy ", "111111111111 us-east-1 aws.cloudtrail StopLogging TrailNotFoundException"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("events on the queue:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Poison: received twice (visibility 0) without a delete, then moved to the dead-letter queue.
	for i := 0; i < 3; i++ {
		if _, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: main.QueueUrl, MaxNumberOfMessages: 10}); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.QueueDepth(dlqARN); n != 3 {
		t.Errorf("dead-letter queue holds %d messages, want 3", n)
	}
	if n := s.QueueDepth("arn:aws:sqs:us-east-1:111111111111:watch"); n != 0 {
		t.Errorf("queue holds %d messages, want 0", n)
	}
	// Stopping the only logging trail silences the events after it (and, by the simulator's reading, itself).
	if _, err := cloudtrail.NewFromConfig(hub).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("org")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudwatchlogs.NewFromConfig(hub).DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("CT")}); err != nil {
		t.Fatal(err)
	}
	if n := s.QueueDepth("arn:aws:sqs:us-east-1:111111111111:watch"); n != 0 {
		t.Errorf("%d events after the only trail stopped", n)
	}
	// SendMessage/DeleteMessage/ChangeMessageVisibility/GetQueueAttributes/GetQueueUrl round trip.
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: main.QueueUrl, MessageBody: aws.String("hello")}); err != nil {
		t.Fatal(err)
	}
	r2, _ := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: main.QueueUrl, VisibilityTimeout: 30})
	if len(r2.Messages) != 1 {
		t.Fatalf("receive: %+v", r2)
	}
	if _, err := q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: main.QueueUrl, ReceiptHandle: r2.Messages[0].ReceiptHandle, VisibilityTimeout: 60}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: main.QueueUrl, ReceiptHandle: r2.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	// DeleteMessageBatch: each entry answered on its own; the batch's own errors for none, eleven, or a repeated Id.
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: main.QueueUrl, MessageBody: aws.String("batch")}); err != nil {
		t.Fatal(err)
	}
	r3, _ := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: main.QueueUrl})
	if len(r3.Messages) != 1 {
		t.Fatalf("receive: %+v", r3)
	}
	db, err := q.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: main.QueueUrl, Entries: []sqstypes.DeleteMessageBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: r3.Messages[0].ReceiptHandle}, {Id: aws.String("b"), ReceiptHandle: aws.String("not-a-handle")}}})
	if err != nil || len(db.Successful) != 1 || aws.ToString(db.Successful[0].Id) != "a" || len(db.Failed) != 1 ||
		aws.ToString(db.Failed[0].Code) != "ReceiptHandleIsInvalid" || !db.Failed[0].SenderFault {
		t.Fatalf("DeleteMessageBatch: %+v %v", db, err)
	}
	var eleven []sqstypes.DeleteMessageBatchRequestEntry
	for i := range 11 {
		eleven = append(eleven, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: aws.String("h")})
	}
	for entries, code := range map[*[]sqstypes.DeleteMessageBatchRequestEntry]string{
		{}: "EmptyBatchRequest", &eleven: "TooManyEntriesInBatchRequest",
		{{Id: aws.String("x"), ReceiptHandle: aws.String("h")}, {Id: aws.String("x"), ReceiptHandle: aws.String("h")}}: "BatchEntryIdsNotDistinct",
	} {
		if _, err := q.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: main.QueueUrl, Entries: *entries}); err == nil || !strings.Contains(err.Error(), code) {
			t.Errorf("DeleteMessageBatch of %d entries: %v, want %s", len(*entries), err, code)
		}
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: main.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	if err != nil || attrs.Attributes["QueueArn"] != "arn:aws:sqs:us-east-1:111111111111:watch" {
		t.Fatalf("attributes %v %v", attrs, err)
	}
	u, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("watch")})
	if err != nil || aws.ToString(u.QueueUrl) != aws.ToString(main.QueueUrl) {
		t.Fatalf("GetQueueUrl %v %v", u, err)
	}
	if _, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")}); err == nil {
		t.Error("GetQueueUrl of a missing queue succeeded")
	}
	rules, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String("trailwatch")})
	if err != nil || len(rules.Rules) != 1 {
		t.Fatalf("ListRules %v %v", rules, err)
	}
	ts, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("to-queue"), EventBusName: aws.String("trailwatch")})
	if err != nil || len(ts.Targets) != 1 {
		t.Fatalf("ListTargetsByRule %v %v", ts, err)
	}
	if _, err := eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("to-queue"), EventBusName: aws.String("trailwatch")}); err == nil {
		t.Error("deleting a rule with targets succeeded")
	}
	if _, err := eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("to-queue"), EventBusName: aws.String("trailwatch"), Ids: []string{"q"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("to-queue"), EventBusName: aws.String("trailwatch")}); err != nil {
		t.Fatal(err)
	}
	pe, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("aws.cloudtrail"), DetailType: aws.String("x"), Detail: aws.String("{}")},
		{Source: aws.String("my.app"), DetailType: aws.String("x"), Detail: aws.String("{}")}}})
	if err != nil || pe.FailedEntryCount != 1 || aws.ToString(pe.Entries[0].ErrorCode) != "NotAuthorizedForSourceException" {
		t.Fatalf("PutEvents %+v %v", pe, err)
	}
	if _, err := q.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: dlq.QueueUrl}); err != nil {
		t.Fatal(err)
	}
}

// TestConfigEvaluations: PutEvaluations with the invocation's ResultToken records results GetComplianceDetailsByConfigRule
// returns; an older evaluation does not replace a newer one; a bad token and more than 100 evaluations are refused.
func TestConfigEvaluations(t *testing.T) {
	s := start(t, eventsScenario)
	ctx := context.Background()
	c := configservice.NewFromConfig(s.SDKConfig("111111111111", "us-east-1"))
	tok := s.ConfigResultToken("111111111111", "us-east-1", "r")
	ev := func(id, compliance string, at time.Time) cfgtypes.Evaluation {
		return cfgtypes.Evaluation{ComplianceResourceType: aws.String("AWS::CloudTrail::Trail"), ComplianceResourceId: aws.String(id),
			ComplianceType: cfgtypes.ComplianceType(compliance), OrderingTimestamp: aws.Time(at), Annotation: aws.String("why")}
	}
	t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	if _, err := c.PutEvaluations(ctx, &configservice.PutEvaluationsInput{ResultToken: aws.String(tok), Evaluations: []cfgtypes.Evaluation{ev("a", "NON_COMPLIANT", t0), ev("b", "COMPLIANT", t0)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutEvaluations(ctx, &configservice.PutEvaluationsInput{ResultToken: aws.String(tok), Evaluations: []cfgtypes.Evaluation{ev("a", "COMPLIANT", t0.Add(-time.Hour))}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetComplianceDetailsByConfigRule(ctx, &configservice.GetComplianceDetailsByConfigRuleInput{ConfigRuleName: aws.String("r")})
	if err != nil || len(out.EvaluationResults) != 2 || out.EvaluationResults[0].ComplianceType != "NON_COMPLIANT" {
		t.Fatalf("results %+v %v", out, err)
	}
	if _, err := c.PutEvaluations(ctx, &configservice.PutEvaluationsInput{ResultToken: aws.String("bogus"), Evaluations: []cfgtypes.Evaluation{ev("a", "COMPLIANT", t0)}}); apiCode(err) != "InvalidResultTokenException" {
		t.Errorf("a bogus token: %v", err)
	}
	many := make([]cfgtypes.Evaluation, 101)
	for i := range many {
		many[i] = ev(fmt.Sprint(i), "COMPLIANT", t0)
	}
	if _, err := c.PutEvaluations(ctx, &configservice.PutEvaluationsInput{ResultToken: aws.String(tok), Evaluations: many}); apiCode(err) != "InvalidParameterValueException" {
		t.Errorf("101 evaluations: %v", err)
	}
}

// TestWatchSectionWiresContinuousMode (issue 25): a scenario's watch section creates the queue, the hub bus and the
// rules deploy writes, so that a member's change in any region and the management account's own change both reach the
// queue with nothing created by hand; a hub that is not an account of the scenario is refused.
func TestWatchSectionWiresContinuousMode(t *testing.T) {
	s := start(t, eventsScenario+"watch: {}\n")
	ctx := context.Background()
	queue := "arn:aws:sqs:us-east-1:111111111111:" + WatchQueue
	if u := s.WatchQueueURL(); u != s.URL+"/111111111111/"+WatchQueue {
		t.Fatalf("queue URL %q", u)
	}
	if _, err := cloudwatchlogs.NewFromConfig(s.SDKConfig("222222222222", "eu-west-1")).PutRetentionPolicy(ctx,
		&cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("app"), RetentionInDays: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	if n := s.QueueDepth(queue); n != 1 {
		t.Fatalf("a member's change in eu-west-1: %d messages on the queue", n)
	}
	if _, err := cloudwatchlogs.NewFromConfig(s.SDKConfig("111111111111", "us-east-1")).PutRetentionPolicy(ctx,
		&cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("CT"), RetentionInDays: aws.Int32(30)}); err != nil {
		t.Fatal(err)
	}
	if n := s.QueueDepth(queue); n != 2 {
		t.Fatalf("the management account's own change to the organization trail's log group: %d messages on the queue", n)
	}
	sc, err := ParseScenario("bad.yaml", []byte(eventsScenario+"watch: {hub: \"999999999999\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(ctx, sc, Options{}); err == nil || !strings.Contains(err.Error(), "not an account of the scenario") {
		t.Errorf("an unknown hub: %v", err)
	}
}
