// Package awsconfig builds the aws.Config trailwatch scans with: credentials and region from the standard chain
// (environment, shared profiles, SSO, assume-role profiles, container and instance roles — and AWS_ENDPOINT_URL, which
// points every client at the simulator), the SDK's standard retryer with a short full-jitter backoff, and one HTTP
// client for every account.
package awsconfig

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Options select the profile and region and tune retries.
type Options struct {
	Profile     string
	Region      string
	MaxAttempts int
	// CallTimeout bounds one HTTP attempt of a call (0: none): an endpoint that does not answer becomes a timed-out
	// attempt, retried like other transient errors, instead of a stalled scan.
	CallTimeout time.Duration
}

// Load resolves the configuration. Throttling is retried by the SDK's standard retryer (Retryer: full-jitter
// exponential backoff from 50 ms, no client-side rate limiter, no retry quota), so that a large scan under
// throttling keeps retrying instead of failing fast. One HTTP client with a large connection pool serves every account's clients.
// The region defaults to us-east-1.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	if o.MaxAttempts < 1 {
		o.MaxAttempts = 8
	}
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(HTTPClient().WithTimeout(o.CallTimeout)),
		config.WithRetryer(Retryer(o.MaxAttempts)),
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if r := strings.TrimSpace(o.Region); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// HTTPClient is the shared HTTP client: enough idle connections per host for an organization scan.
func HTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = 4096
		tr.MaxIdleConnsPerHost = 1024
	})
}

// Retryer returns the retryer scans use: the SDK's standard retryer (its own classification of throttling and
// transient errors) with maxAttempts attempts, no retry quota, and a full-jitter exponential backoff that starts at
// 50 ms (Backoff). Each client gets its own. Not the adaptive mode: its client-side rate limiter, tuned on a client's
// own small call volume, slowed a throttled organization scan 20x (issue 11); trailwatch paces its calls below AWS's
// published rates itself (apicalls.Pacer), so throttling is rare and a short, jittered retry is what it should cost.
func Retryer(maxAttempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = maxAttempts
			so.RateLimiter = ratelimit.None
			so.Backoff = Backoff{Base: 50 * time.Millisecond, Max: 20 * time.Second}
		})
	}
}

// Backoff is full-jitter exponential backoff: a random delay in [0, min(Max, Base*2^attempt)) (the AWS Architecture
// Blog's "Exponential Backoff And Jitter", the scheme the SDK's own backoff follows with a 1 s base).
type Backoff struct {
	Base, Max time.Duration
}

// BackoffDelay implements retry.BackoffDelayer.
func (b Backoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	ceiling := b.Max
	if attempt < 30 {
		if d := b.Base << uint(attempt); d > 0 && d < ceiling {
			ceiling = d
		}
	}
	return time.Duration(rand.Int64N(int64(ceiling))), nil
}
