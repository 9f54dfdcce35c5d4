package awssim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// TestEventHistory: mutating calls are kept in the account's event history, found by LookupEvents in the region
// they were recorded in (IAM's in us-east-1) whether or not a trail captures them, newest first, by one lookup
// attribute, a page at a time; two attributes are refused (InvalidLookupAttributesException, as the API reference
// says: "Currently the list can contain only one item").
func TestEventHistory(t *testing.T) {
	// No trail at all: event history does not need one (CTUG view-cloudtrail-events).
	srv := start(t, `
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    roles: [{name: R, trust: cloudtrail, policy: create-stream-only}, {name: Other, trust: cloudtrail}]
`)
	ctx := context.Background()
	cfg := srv.SDKConfig("111111111111", "us-east-1")
	c := iam.NewFromConfig(cfg)
	for i, doc := range []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}`} {
		if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			srv.Advance(time.Minute)
		}
	}
	if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Other"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	lookup := func(region string, in *cloudtrail.LookupEventsInput) []cttypes.Event {
		t.Helper()
		var out []cttypes.Event
		p := cloudtrail.NewLookupEventsPaginator(cloudtrail.NewFromConfig(srv.SDKConfig("111111111111", region)), in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, page.Events...)
		}
		return out
	}
	byRole := &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(1),
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyResourceName, AttributeValue: aws.String("R")}}}
	evs := lookup("us-east-1", byRole)
	if len(evs) != 2 || aws.ToString(evs[0].EventName) != "PutRolePolicy" || !evs[0].EventTime.After(*evs[1].EventTime) {
		t.Fatalf("R's events, one a page, newest first: %+v", evs)
	}
	if evs[0].Resources[0].ResourceType == nil || aws.ToString(evs[0].Resources[0].ResourceName) != "R" || aws.ToString(evs[0].EventSource) != "iam.amazonaws.com" ||
		aws.ToString(evs[0].ReadOnly) != "false" || aws.ToString(evs[0].CloudTrailEvent) == "" {
		t.Errorf("event fields: %+v", evs[0])
	}
	if got := lookup("eu-west-1", byRole); len(got) != 0 {
		t.Errorf("IAM events are recorded in us-east-1 only, eu-west-1 has %d", len(got))
	}
	later := &cloudtrail.LookupEventsInput{StartTime: aws.Time(evs[0].EventTime.Add(-time.Second)),
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("PutRolePolicy")}}}
	if got := lookup("us-east-1", later); len(got) != 1 {
		t.Errorf("PutRolePolicy since the last minute: %d events, want 1", len(got))
	}
	_, err := cloudtrail.NewFromConfig(cfg).LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyResourceName, AttributeValue: aws.String("R")},
		{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("PutRolePolicy")}}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidLookupAttributesException" {
		t.Errorf("two attributes: %v", err)
	}
}
