package collect

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/trailwatch/trailwatch/internal/fanout"
)

// pagingCT is a CloudTrail whose ListTrails pages are given; a page's token names the next page.
type pagingCT struct {
	CloudTrailAPI
	pages map[string]*cloudtrail.ListTrailsOutput
	calls int
}

func (f *pagingCT) ListTrails(_ context.Context, in *cloudtrail.ListTrailsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.ListTrailsOutput, error) {
	f.calls++
	return f.pages[aws.ToString(in.NextToken)], nil
}

type ctOnly struct {
	Clients
	ct CloudTrailAPI
}

func (c ctOnly) CloudTrail(string) CloudTrailAPI { return c.ct }

func trailInfo(arn string) cttypes.TrailInfo {
	return cttypes.TrailInfo{TrailARN: aws.String(arn), HomeRegion: aws.String(strings.Split(arn, ":")[3])}
}

// TestAllTrailsPaging: pages are followed to the end; a token that does not advance is an error (the account is
// then swept), never an endless loop; so is a trail listed without its home region, whose region would go unread.
func TestAllTrailsPaging(t *testing.T) {
	a, b := "arn:aws:cloudtrail:us-east-1:111111111111:trail/a", "arn:aws:cloudtrail:eu-west-1:111111111111:trail/b"
	for _, tc := range []struct {
		name  string
		pages map[string]*cloudtrail.ListTrailsOutput
		want  int
		err   string
	}{
		{"two pages", map[string]*cloudtrail.ListTrailsOutput{
			"":   {Trails: []cttypes.TrailInfo{trailInfo(a)}, NextToken: aws.String("p2")},
			"p2": {Trails: []cttypes.TrailInfo{trailInfo(b)}, NextToken: aws.String("")}}, 2, ""},
		{"a token that repeats", map[string]*cloudtrail.ListTrailsOutput{
			"":   {Trails: []cttypes.TrailInfo{trailInfo(a)}, NextToken: aws.String("p2")},
			"p2": {Trails: []cttypes.TrailInfo{trailInfo(b)}, NextToken: aws.String("p2")}}, 0, "same NextToken twice"},
		{"a trail without its home region", map[string]*cloudtrail.ListTrailsOutput{
			"": {Trails: []cttypes.TrailInfo{trailInfo(a), {TrailARN: aws.String(b)}}}}, 0, "without its ARN or home region"},
	} {
		ct := &pagingCT{pages: tc.pages}
		col := &collector{c: ctOnly{ct: ct}, limit: fanout.NewLimit(1)}
		got, err := col.allTrails(context.Background(), "us-east-1")
		if len(got) != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %d trails, error %v", tc.name, len(got), err)
		}
		if ct.calls > 3 {
			t.Errorf("%s: %d calls", tc.name, ct.calls)
		}
	}
}
