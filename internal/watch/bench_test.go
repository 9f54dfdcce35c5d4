package watch_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/scan"
	"github.com/trailwatch/trailwatch/internal/watch"
)

// BenchmarkWatchEvent measures, in an organization of 1,000 accounts (TRAILWATCH_BENCH_ACCOUNTS to change) wired with
// organization-wide rules, the time from a breaking call (StopLogging, then StartLogging, alternately) to the watcher's
// JSON line, with eventbridge_delay 0 and --settle 0, and the AWS reads one event costs.
func BenchmarkWatchEvent(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("TRAILWATCH_BENCH_ACCOUNTS")); err == nil && v >= 3 {
		n = v
	}
	regions := []string{"us-east-1", "eu-west-1"}
	sc := awssim.Generate(awssim.GenOptions{Accounts: n, Seed: 7, Regions: regions})
	member := sc.Accounts[2].ID
	sc.Accounts[2].Trails = append(sc.Accounts[2].Trails, awssim.Trail{Name: "bench-trail", HomeRegion: "us-east-1", LogGroup: "bench-group", Role: "bench-role"})
	sc.Accounts[2].LogGroups = append(sc.Accounts[2].LogGroups, awssim.LogGroup{Name: "bench-group", Region: "us-east-1"})
	sc.Accounts[2].Roles = append(sc.Accounts[2].Roles, awssim.Role{Name: "bench-role", Trust: "cloudtrail", Policy: "cloudtrail-delivery"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := awssim.Start(ctx, sc, awssim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	// One HTTP client for every account's configuration, as trailwatch's own configuration shares one (awsconfig):
	// a transport per client would open thousands of connections.
	shared := awshttp.NewBuildableClient()
	config := func(acct, region string) aws.Config {
		c := srv.SDKConfig(acct, region)
		c.HTTPClient = shared
		return c
	}
	hubAcct := srv.Accounts()[0].AccountID
	hub := config(hubAcct, "us-east-1")
	main, err := sqs.NewFromConfig(hub).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("watch")})
	if err != nil {
		b.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(hub)
	_, _ = eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("trailwatch")})
	_, _ = eb.PutPermission(ctx, &eventbridge.PutPermissionInput{EventBusName: aws.String("trailwatch"), Action: aws.String("events:PutEvents"),
		Principal: aws.String("*"), StatementId: aws.String("org"), Condition: &ebtypes.Condition{Type: aws.String("StringEquals"), Key: aws.String("aws:PrincipalOrgID"), Value: aws.String(sc.Organization.ID)}})
	_, _ = eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("q"), EventBusName: aws.String("trailwatch"), EventPattern: aws.String(`{"detail-type":["AWS API Call via CloudTrail"]}`)})
	_, _ = eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("q"), EventBusName: aws.String("trailwatch"), Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String("arn:aws:sqs:us-east-1:" + hubAcct + ":watch")}}})
	for _, a := range srv.Accounts() {
		for _, r := range regions {
			m := eventbridge.NewFromConfig(config(a.AccountID, r))
			_, _ = m.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("fwd"), EventPattern: aws.String(`{"source":["aws.cloudtrail","aws.logs","aws.iam"],"detail-type":["AWS API Call via CloudTrail"]}`)})
			_, _ = m.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("fwd"), Targets: []ebtypes.Target{{Id: aws.String("hub"), Arn: aws.String("arn:aws:events:us-east-1:" + hubAcct + ":event-bus/trailwatch")}}})
		}
	}
	cat, _ := controls.Load()
	var targets []scan.Target
	for _, a := range srv.Accounts() {
		targets = append(targets, scan.Target{Clients: collect.NewSDKClients(config(a.AccountID, "us-east-1"))})
	}
	changed := make(chan struct{}, 16)
	w := watch.New(cat, sqs.NewFromConfig(hub), func(ctx context.Context) (*model.Inventory, error) {
		inv, _ := scan.Run(ctx, cat, targets, scan.Options{Settings: controls.DefaultSettings(srv.Now()), AccountConcurrency: 64})
		return inv, nil
	}, func(ctx context.Context, acct string, regions []string) *model.Account {
		return collect.Account(ctx, collect.NewSDKClients(config(acct, "us-east-1")), collect.Options{Regions: regions, AccountID: acct, Partition: "aws", OrgID: sc.Organization.ID,
			JudgedElsewhere: func(arn string) bool { return arn[len("arn:aws:cloudtrail:us-east-1:"):][:12] != acct }})
	}, watch.Options{QueueURL: aws.ToString(main.QueueUrl), WaitSeconds: 1, Now: srv.Now, OnChange: func(c watch.Change) {
		if c.Finding.ResourceID == "arn:aws:cloudtrail:us-east-1:"+member+":trail/bench-trail" {
			changed <- struct{}{}
		}
	}})
	wctx, wstop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(wctx) }()
	defer func() { wstop(); <-done }()
	for w.Stats().Sweeps == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	ct := cloudtrail.NewFromConfig(config(member, "us-east-1"))
	reads := func() int { return srv.CallsTo("*") - srv.CallsTo("sqs:*") - srv.CallsTo("events:*") }
	total := 0
	var latency, callTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r0 := reads()
		var err error
		t0 := time.Now()
		if i%2 == 0 {
			_, err = ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("bench-trail")})
		} else {
			_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("bench-trail")})
		}
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		callTime += t1.Sub(t0)
		select {
		case <-changed:
			latency += time.Since(t1)
		case <-time.After(30 * time.Second):
			b.Fatal("no change line within 30 s")
		}
		total += reads() - r0 - 1 // the breaking call itself is not the watcher's
	}
	b.StopTimer()
	b.ReportMetric(float64(total)/float64(b.N), "reads/event")
	// From the breaking call's answer (the simulator emits the event as it answers, eventbridge_delay 0) to the line.
	b.ReportMetric(float64(latency.Milliseconds())/float64(b.N), "ms-to-line")
	// The simulator's own time for the breaking call (it re-judges every trail's delivery physics on a change).
	b.ReportMetric(float64(callTime.Milliseconds())/float64(b.N), "ms-sim-call")
	b.ReportMetric(float64(n), "accounts")
}
