package cost_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/awssim/simtest"
	"github.com/trailwatch/trailwatch/internal/cost"
	"github.com/trailwatch/trailwatch/internal/model"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func serve(t *testing.T, text string) *awssim.Server {
	t.Helper()
	return simtest.Serve(t, text, awssim.Options{Now: func() time.Time { return now }})
}

const scenario = `
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, s3_bucket: ct-logs,
         s3_delivery: {events_per_day: [1000, 1525, 1300, 2075, 725, 1250, 1750], bucket_region: eu-west-1}}
      - {name: foreign, home_region: us-east-1, s3_bucket: theirs, s3_delivery: {events_per_day: [500], bucket_account: "222222222222"}}
      - {name: sealed, home_region: us-east-1, s3_bucket: sealed, s3_delivery: {events_per_day: [500, 500, 500, 500, 500, 500, 500], kms: true}}
      - {name: quiet, home_region: us-east-1, s3_bucket: quiet-logs}
`

func clients(srv *awssim.Server) func(string) cost.S3API {
	return func(region string) cost.S3API { return s3.NewFromConfig(srv.SDKConfig("111111111111", region)) }
}

// served is the oracle: the uncompressed bytes the simulator serves under the trail's prefix on each of the 7 days,
// read back object by object and gunzipped, independently of the estimator.
func served(t *testing.T, srv *awssim.Server) []float64 {
	t.Helper()
	c := s3.NewFromConfig(srv.SDKConfig("111111111111", "eu-west-1"))
	var days []float64
	for d := 7; d >= 1; d-- {
		day := now.Truncate(24*time.Hour).AddDate(0, 0, -d)
		var total float64
		for _, r := range []string{"eu-west-1", "us-east-1"} {
			p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("ct-logs"), Prefix: aws.String("AWSLogs/111111111111/CloudTrail/" + r + "/" + day.Format("2006/01/02") + "/")})
			for p.HasMorePages() {
				out, err := p.NextPage(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range out.Contents {
					obj, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("ct-logs"), Key: o.Key})
					if err != nil {
						t.Fatal(err)
					}
					raw, _ := io.ReadAll(obj.Body)
					obj.Body.Close()
					zr, _ := gzip.NewReader(bytes.NewReader(raw))
					n, _ := io.Copy(io.Discard, zr)
					total += float64(n)
				}
			}
		}
		days = append(days, total)
	}
	return days
}

// TestEstimateWithinTenPercent: the estimate for a trail whose daily volume the simulator serves is within 10% of
// that volume (min, median and max of the days), from 14 listings and 3 sampled files, within the budget.
func TestEstimateWithinTenPercent(t *testing.T) {
	srv := serve(t, scenario)
	tr := &model.Trail{ARN: "arn:aws:cloudtrail:us-east-1:111111111111:trail/main", S3Bucket: "ct-logs", MultiRegion: true, HomeRegion: "us-east-1"}
	e := cost.Trail(context.Background(), clients(srv), tr, "111111111111", []string{"eu-west-1", "us-east-1"}, now, 0.5, cost.Budget{})
	if e.Status != cost.Estimated {
		t.Fatalf("estimate: %+v", e)
	}
	days := served(t, srv)
	slices.Sort(days)
	month := func(b float64) float64 { return b * 30.4 / 1e9 }
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"min", e.MonthlyGB.Min, month(days[0])}, {"median", e.MonthlyGB.Median, month(days[3])}, {"max", e.MonthlyGB.Max, month(days[6])}} {
		if math.Abs(c.got-c.want) > 0.1*c.want {
			t.Errorf("%s: estimated %.4f GB a month, served %.4f GB: more than 10%% apart", c.name, c.got, c.want)
		}
	}
	if math.Abs(e.MonthlyUSD.Median-e.MonthlyGB.Median*0.5) > 0.005 || e.Samples != 3 || e.Calls != 1+14+3 || e.Ratio < 2 || e.DaysWithData != 7 {
		t.Errorf("price, samples, calls or ratio: %+v", e)
	}
}

// TestEstimateUnknown: a bucket that cannot be read gives UNKNOWN with the reason, never a number (nor a zero: JSON
// leaves the figures out); objects that cannot be decrypted leave the compressed volume known and the estimate
// UNKNOWN, naming kms:Decrypt; a missing bucket says so; too many regions for the call budget is UNKNOWN before any
// listing.
func TestEstimateUnknown(t *testing.T) {
	srv := serve(t, scenario)
	for _, c := range []struct {
		name, bucket, want string
		regions            []string
		budget             cost.Budget
	}{
		{"another account's bucket", "theirs", "AccessDenied", []string{"us-east-1"}, cost.Budget{}},
		{"KMS-encrypted files", "sealed", "encrypted with a KMS key this principal may not use (kms:Decrypt); the compressed volume is", []string{"us-east-1"}, cost.Budget{}},
		{"no such bucket", "quiet-logs", "NoSuchBucket: The specified bucket does not exist): it does not exist", []string{"us-east-1"}, cost.Budget{}},
		{"over the call budget", "ct-logs", "more than the budget of 10", []string{"us-east-1", "eu-west-1"}, cost.Budget{ListCalls: 10}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := &model.Trail{ARN: "arn:aws:cloudtrail:us-east-1:111111111111:trail/x", S3Bucket: c.bucket, HomeRegion: "us-east-1"}
			e := cost.Trail(context.Background(), clients(srv), tr, "111111111111", c.regions, now, 0.5, c.budget)
			if e.Status != cost.Unknown || !strings.Contains(e.Reason, c.want) || e.MonthlyGB != nil || e.MonthlyUSD != nil {
				t.Errorf("%+v, want UNKNOWN (%s) and no number", e, c.want)
			}
		})
	}
}

// TestEstimateFromDaysWithData (field trial): a trail that delivered on 2 of the 7 days is estimated from those days,
// and says so: its median is not a zero made of the days it did not exist.
func TestEstimateFromDaysWithData(t *testing.T) {
	srv := serve(t, `
now: 2026-11-22T12:00:00Z
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: young, home_region: us-east-1, s3_bucket: young-logs, s3_delivery: {events_per_day: [3000, 5000]}}
`)
	tr := &model.Trail{ARN: "arn:aws:cloudtrail:us-east-1:111111111111:trail/young", S3Bucket: "young-logs", HomeRegion: "us-east-1"}
	e := cost.Trail(context.Background(), clients(srv), tr, "111111111111", []string{"us-east-1"}, now, 0.5, cost.Budget{})
	if e.Status != cost.Estimated || e.DaysWithData != 2 || e.MonthlyGB.Min <= 0 || e.MonthlyGB.Median < e.MonthlyGB.Min || !strings.Contains(strings.Join(e.Notes, " "), "only 2 of the 7 days had any delivery") {
		t.Errorf("%+v %+v", e, e.MonthlyGB)
	}
}
