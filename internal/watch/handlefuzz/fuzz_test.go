// Package handlefuzz holds the fuzz target of watch's event handler on its own: a fuzz binary instruments every package
// it links, and the watch package's own tests link the simulator and every AWS SDK client (issue 22: that rebuild
// was most of a cold make test's fuzz phase).
package handlefuzz_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/configservice"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/watch"
)

type nopConfig struct{}

func (nopConfig) PutEvaluations(context.Context, *configservice.PutEvaluationsInput, ...func(*configservice.Options)) (*configservice.PutEvaluationsOutput, error) {
	return &configservice.PutEvaluationsOutput{}, nil
}

// FuzzHandle: whatever a Lambda invocation or a queue message holds, the handler answers with a result or an error,
// never a panic.
func FuzzHandle(f *testing.F) {
	for _, seed := range []string{
		`{"version":"0","id":"e","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","account":"111111111111","region":"us-east-1","time":"2026-11-22T12:00:00Z","detail":{"eventName":"StopLogging","requestParameters":{"name":"t"}}}`,
		`{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.logs","account":"111111111111","region":"us-east-1","detail":{"requestParameters":{"logGroupName":7}}}`,
		`{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","account":"111111111111","detail":{"requestParameters":{"roleName":"R"}}}`,
		`{"detail-type":"Scheduled Event","source":"aws.events","account":"111111111111"}`,
		`{"detail-type":"Region Opt-In Status Change","source":"aws.account","account":"111111111111"}`,
		`{"invokingEvent":"{\"messageType\":\"ConfigurationItemChangeNotification\",\"configurationItem\":{\"resourceType\":\"AWS::CloudTrail::Trail\",\"ARN\":\"arn:aws:cloudtrail:us-east-1:111111111111:trail/t\",\"awsRegion\":\"us-east-1\"}}","resultToken":"x","accountId":"111111111111"}`,
		`{"invokingEvent":"{\"messageType\":\"ScheduledNotification\"}","accountId":"111111111111"}`,
		`{"invokingEvent":"not json"}`, `[]`, `null`, `{"detail-type":7}`,
	} {
		f.Add([]byte(seed))
	}
	cat, _ := controls.Load()
	trail := func() *model.Trail {
		return &model.Trail{ARN: "arn:aws:cloudtrail:us-east-1:111111111111:trail/t", Name: "t", HomeRegion: "us-east-1", OwnerAccount: "111111111111",
			LogGroupARN: "arn:aws:logs:us-east-1:111111111111:log-group:G:*", RoleARN: "arn:aws:iam::111111111111:role/R", MultiRegion: true}
	}
	inv := func() *model.Inventory {
		return &model.Inventory{Accounts: []*model.Account{{ID: "111111111111", Regions: []string{"us-east-1"}, Trails: []*model.Trail{trail()}}}}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		w := watch.New(cat, nil, func(context.Context) (*model.Inventory, error) { return inv(), nil },
			func(_ context.Context, acct string, _ []string) *model.Account {
				return &model.Account{ID: acct, Regions: []string{"us-east-1"}, Trails: []*model.Trail{trail()}}
			}, watch.Options{})
		_, _ = w.Handle(context.Background(), payload, func(string, string, string) watch.ConfigAPI { return nopConfig{} })
	})
}
