package cost_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailwatch/trailwatch/internal/cost"
	"github.com/trailwatch/trailwatch/internal/model"
)

// decompressed serves one 1,000-byte stored file per day whose body comes back already decompressed (10,000 bytes),
// as an HTTP layer that undoes Content-Encoding would give it.
type decompressed struct{}

func (decompressed) GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error) {
	return &s3.GetBucketLocationOutput{}, nil
}

func (decompressed) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return &s3.ListObjectsV2Output{Contents: []s3types.Object{{Key: aws.String(aws.ToString(in.Prefix) + "f.json.gz"), Size: aws.Int64(1000)}}}, nil
}

func (decompressed) GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(bytes.Repeat([]byte("x"), 10000)))}, nil
}

// TestEstimateDecompressedBody (review): a body that arrives decompressed is measured against the stored size, so
// the ratio is 10, not 1 (the estimate was ten times too low).
func TestEstimateDecompressedBody(t *testing.T) {
	tr := &model.Trail{ARN: "arn:aws:cloudtrail:us-east-1:111111111111:trail/x", S3Bucket: "b", HomeRegion: "us-east-1"}
	e := cost.Trail(context.Background(), func(string) cost.S3API { return decompressed{} }, tr, "111111111111", []string{"us-east-1"},
		time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), 0.5, cost.Budget{})
	if e.Status != cost.Estimated || e.Ratio != 10 {
		t.Errorf("ratio %v (%+v), want 10", e.Ratio, e)
	}
}
