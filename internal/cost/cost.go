// Package cost estimates what sending a trail's events to CloudWatch Logs will cost, before the fix is applied (issue
// 26): from the trail's own S3 delivery over the last days (the objects' sizes under its prefix, one listing per
// region and day) and the compression ratio measured on a small sample of its files, as min, median and max of the
// daily volume, times a price per GB. A bucket that cannot be read, in another account or refused, makes the estimate
// UNKNOWN with the reason: never a number guessed from an error.
//
// Sources (shared/reference/beyond-trails.md §3): CloudTrail delivers gzip-compressed .json.gz files with a Records
// array under [prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/ (CloudTrail User Guide, "Finding your
// CloudTrail log files"); CloudWatch Logs bills ingestion on the uncompressed events; no source publishes the
// compression ratio, so it is measured.
package cost

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/trailwatch/trailwatch/internal/model"
)

// Prices are the per-GB prices an estimate uses, with where they come from.
type Prices struct {
	// IngestionPerGB is CloudWatch Logs standard ingestion (a trail's integration).
	IngestionPerGB float64
	// TelemetryPerGB is a telemetry rule's delivery: CloudTrail's delivery to CloudWatch Logs plus ingestion.
	TelemetryPerGB float64
	Source         string
}

// DefaultPrices: us-east-1, as AWS's cost recipe and the CloudWatch pricing page state them (shared/reference/
// beyond-trails.md §1 and §3, read 2026-12: "$0.50/GB" standard ingestion; "$0.75/GB ($0.25 CloudTrail delivery +
// $0.50 ingestion)" for CloudTrail events sent by a telemetry rule). Other regions differ: --price-per-gb.
var DefaultPrices = Prices{IngestionPerGB: 0.50, TelemetryPerGB: 0.75,
	Source: "us-east-1 list prices as of 2026-12 (CloudWatch Logs standard ingestion $0.50/GB; CloudTrail events by telemetry rule $0.75/GB): override with --price-per-gb"}

// Budget bounds what one trail's estimate reads.
type Budget struct {
	Days        int   // complete UTC days measured, ending yesterday (default 7)
	ListCalls   int   // ListObjectsV2 pages at most (default 400)
	Samples     int   // files downloaded to measure the compression ratio (default 3)
	SampleBytes int64 // compressed bytes downloaded at most (default 16 MiB)
}

func (b Budget) withDefaults() Budget {
	if b.Days <= 0 {
		b.Days = 7
	}
	if b.ListCalls <= 0 {
		b.ListCalls = 400
	}
	if b.Samples <= 0 {
		b.Samples = 3
	}
	if b.SampleBytes <= 0 {
		b.SampleBytes = 16 << 20
	}
	return b
}

// Range is a minimum, median and maximum.
type Range struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// Estimate is one trail's estimated CloudWatch Logs ingestion (or an account's telemetry rule's, measured on one of
// its trails).
type Estimate struct {
	// Resource is what the estimate is for: the trail's ARN, the account id for a telemetry rule, or an integrated log
	// group's ARN (scan --cost).
	Resource string `json:"resource"`
	// Measured is the trail whose S3 delivery was measured.
	Measured string `json:"measured_trail,omitempty"`
	// Status is ESTIMATED or UNKNOWN (Reason says why).
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Source is where the volume was read: s3://bucket/prefix and the regions.
	Source string `json:"source,omitempty"`
	Days   int    `json:"days,omitempty"`
	// DailyCompressedBytes is what the trail delivered to S3 on each day measured, oldest first; DaysWithData how many
	// of them had any delivery (only those make the figures: an empty day is a trail that was stopped or not yet made).
	DailyCompressedBytes []int64 `json:"daily_compressed_bytes,omitempty"`
	// DailyBytes, for a group already integrated, are the uncompressed bytes it ingested each day (IncomingBytes).
	DailyBytes   []int64 `json:"daily_bytes,omitempty"`
	DaysWithData int     `json:"days_with_data,omitempty"`
	// Ratio is uncompressed / compressed bytes over the sampled files.
	Ratio   float64 `json:"compression_ratio,omitempty"`
	Samples int     `json:"samples,omitempty"`
	// MonthlyGB is the uncompressed volume a month (30.4 days) would ingest, from the least, median and busiest day
	// with data; nil when UNKNOWN (never a zero that a sum would take for a figure).
	MonthlyGB  *Range  `json:"monthly_gb,omitempty"`
	PricePerGB float64 `json:"price_per_gb,omitempty"`
	MonthlyUSD *Range  `json:"monthly_usd,omitempty"`
	// Calls and BytesRead are what the estimate cost: S3 calls made and object bytes downloaded.
	Calls     int      `json:"calls,omitempty"`
	BytesRead int64    `json:"bytes_read,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

// Statuses.
const (
	Estimated = "ESTIMATED"
	Unknown   = "UNKNOWN"
)

// S3API is the reads an estimate makes.
type S3API interface {
	GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Trail estimates trail t's monthly ingestion from its S3 delivery in regions (the regions whose events it
// captures), at pricePerGB. client returns an S3 client for a region (the bucket's, once GetBucketLocation said it).
func Trail(ctx context.Context, client func(region string) S3API, t *model.Trail, account string, regions []string, now time.Time, pricePerGB float64, b Budget) Estimate {
	b = b.withDefaults()
	e := Estimate{Resource: t.ARN, Measured: t.ARN, Status: Unknown, PricePerGB: pricePerGB, Days: b.Days}
	if t.S3Bucket == "" {
		e.Reason = "the trail names no S3 bucket"
		return e
	}
	if t.Organization {
		// An organization trail delivers every member's events under AWSLogs/<org id>/<account>/: listing each
		// member, region and day is beyond the budget at any size worth estimating.
		e.Reason = "an organization trail: its volume is every member's; estimate from each member's own view (not yet built)"
		return e
	}
	loc, err := client("us-east-1").GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(t.S3Bucket)})
	e.Calls++
	if err != nil {
		e.Reason = unreadable("s3:GetBucketLocation", t.S3Bucket, err)
		return e
	}
	region := string(loc.LocationConstraint)
	switch region {
	case "":
		region = "us-east-1"
	case "EU":
		region = "eu-west-1" // the legacy constraint (S3 API reference, GetBucketLocation)
	}
	api := client(region)
	prefix := ""
	if t.S3KeyPrefix != "" {
		prefix = strings.TrimSuffix(t.S3KeyPrefix, "/") + "/"
	}
	e.Source = fmt.Sprintf("s3://%s/%sAWSLogs/%s/CloudTrail/{%s}/", t.S3Bucket, prefix, account, strings.Join(regions, ","))
	if need := b.Days * len(regions); need > b.ListCalls {
		e.Reason = fmt.Sprintf("listing %d regions over %d days takes at least %d calls, more than the budget of %d", len(regions), b.Days, need, b.ListCalls)
		return e
	}
	yesterday := now.UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
	type object struct {
		key  string
		size int64
	}
	var all []object
	for d := b.Days - 1; d >= 0; d-- {
		day := yesterday.AddDate(0, 0, -d)
		var total int64
		for _, r := range regions {
			p := s3.NewListObjectsV2Paginator(api, &s3.ListObjectsV2Input{Bucket: aws.String(t.S3Bucket),
				Prefix: aws.String(fmt.Sprintf("%sAWSLogs/%s/CloudTrail/%s/%s/", prefix, account, r, day.Format("2006/01/02")))})
			for p.HasMorePages() {
				if e.Calls > b.ListCalls {
					e.Reason = fmt.Sprintf("the listing needs more than the budget of %d calls", b.ListCalls)
					return e
				}
				out, err := p.NextPage(ctx)
				e.Calls++
				if err != nil {
					e.Reason = unreadable("s3:ListObjectsV2", t.S3Bucket, err)
					return e
				}
				for _, o := range out.Contents {
					total += aws.ToInt64(o.Size)
					all = append(all, object{aws.ToString(o.Key), aws.ToInt64(o.Size)})
				}
			}
		}
		e.DailyCompressedBytes = append(e.DailyCompressedBytes, total)
	}
	if len(all) == 0 {
		e.Reason = fmt.Sprintf("no file under %s in the last %d days: the trail delivered nothing there (stopped, or another prefix)", e.Source, b.Days)
		return e
	}
	// The ratio, from files spread over the listing: the first, middle and last, and so on.
	var picks []int
	for i := 0; i < b.Samples; i++ {
		if j := i * (len(all) - 1) / max(1, b.Samples-1); !slices.Contains(picks, j) {
			picks = append(picks, j)
		}
	}
	var plain, packed int64
	for _, j := range picks {
		o := all[j]
		if e.BytesRead+o.size > b.SampleBytes {
			break
		}
		n, read, err := uncompressed(ctx, api, t.S3Bucket, o.key)
		e.Calls++
		e.BytesRead += read
		if err != nil {
			e.Reason = fmt.Sprintf("%s; the compressed volume is %s a month, but its uncompressed size is unknown", unreadable("s3:GetObject", t.S3Bucket, err), size(float64(median(nonzero(e.DailyCompressedBytes)))*30.4))
			return e
		}
		plain += n
		packed += o.size // the listed (stored) size: a body the HTTP layer already decompressed is not it (review)
		e.Samples++
	}
	if packed == 0 {
		e.Reason = "no sample file fits the download budget"
		return e
	}
	e.Ratio = float64(plain) / float64(packed)
	days := nonzero(e.DailyCompressedBytes)
	e.DaysWithData = len(days)
	slices.Sort(days)
	month := func(b int64) float64 { return float64(b) * e.Ratio * 30.4 / 1e9 }
	e.MonthlyGB, e.MonthlyUSD = figures(month(days[0]), month(median(days)), month(days[len(days)-1]), pricePerGB)
	e.Status, e.Reason = Estimated, ""
	if e.DaysWithData < b.Days {
		e.Notes = append(e.Notes, fmt.Sprintf("only %d of the %d days had any delivery (the trail was stopped or made since): the figures come from those days", e.DaysWithData, b.Days))
	}
	if t.HasCustomEventSelectors {
		e.Notes = append(e.Notes, "the trail has custom event selectors: its S3 volume includes whatever they add (data events), which a CloudWatch telemetry rule for management events would not send")
	}
	return e
}

// figures are the monthly GB and USD ranges, rounded as people read them (GB to 4 significant digits, so a small trail
// keeps its figure; USD to the cent: field trial, 45.599999999999994), from the GB before rounding.
func figures(lo, mid, hi, price float64) (*Range, *Range) {
	sig := func(v float64) float64 {
		if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return v
		}
		scale := math.Pow(10, 3-math.Floor(math.Log10(math.Abs(v))))
		return math.Round(v*scale) / scale
	}
	cents := func(v float64) float64 { return math.Round(v*100) / 100 }
	return &Range{Min: sig(lo), Median: sig(mid), Max: sig(hi)},
		&Range{Min: cents(lo * price), Median: cents(mid * price), Max: cents(hi * price)}
}

// uncompressed downloads one file and returns its uncompressed size and the bytes read. A body that is not gzip
// (an HTTP layer that undid Content-Encoding) counts as already uncompressed.
func uncompressed(ctx context.Context, api S3API, bucket, key string) (int64, int64, error) {
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return 0, 0, err
	}
	defer out.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(out.Body, 256<<20))
	if err != nil {
		return 0, int64(len(raw)), err
	}
	if len(raw) < 2 || raw[0] != 0x1f || raw[1] != 0x8b {
		return int64(len(raw)), int64(len(raw)), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return 0, int64(len(raw)), err
	}
	n, err := io.Copy(io.Discard, io.LimitReader(zr, 4<<30))
	return n, int64(len(raw)), err
}

func unreadable(api, bucket string, err error) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Sprintf("bucket %s could not be read (%s: %v)", bucket, api, err)
	}
	why := "it may be in another account, or refuse this principal"
	switch {
	case ae.ErrorCode() == "NoSuchBucket":
		why = "it does not exist"
	case strings.Contains(ae.ErrorMessage(), "kms:Decrypt"):
		why = "its files are encrypted with a KMS key this principal may not use (kms:Decrypt)"
	}
	return fmt.Sprintf("bucket %s could not be read (%s: %s: %s): %s", bucket, api, ae.ErrorCode(), ae.ErrorMessage(), why)
}

// nonzero are the days with any delivery.
func nonzero(l []int64) []int64 {
	var out []int64
	for _, v := range l {
		if v > 0 {
			out = append(out, v)
		}
	}
	return out
}

func median(l []int64) int64 {
	s := slices.Clone(l)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	// Halved before adding: two days near the int64 limit must not overflow into a negative median (field trial).
	a, b := s[len(s)/2-1], s[len(s)/2]
	return a/2 + b/2 + (a%2+b%2)/2
}

// size says a byte count in the unit that keeps it readable (3 MB is not "0.00 GB").
func size(bytes float64) string {
	switch {
	case bytes >= 1e9:
		return fmt.Sprintf("%.2f GB", bytes/1e9)
	case bytes >= 1e6:
		return fmt.Sprintf("%.1f MB", bytes/1e6)
	}
	return fmt.Sprintf("%.0f KB", bytes/1e3)
}
