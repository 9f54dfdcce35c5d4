// Package awsconfig builds the aws.Config trailwatch scans with: credentials and region from the standard chain
// (environment, shared profiles, SSO, assume-role profiles, container and instance roles — and AWS_ENDPOINT_URL, which
// points every client at the simulator), the SDK's adaptive retryer, and one HTTP client for every account.
package awsconfig

import (
	"context"
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

// Load resolves the configuration. Throttling is retried by the SDK's adaptive retryer (client-side rate adaption
// plus exponential backoff with jitter) with no client-side retry quota, so that a large scan under throttling keeps
// retrying instead of failing fast. One HTTP client with a large connection pool serves every account's clients.
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

// Retryer returns the adaptive retryer with maxAttempts attempts and no retry quota.
func Retryer(maxAttempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
			ao.StandardOptions = append(ao.StandardOptions, func(so *retry.StandardOptions) {
				so.MaxAttempts = maxAttempts
				so.RateLimiter = ratelimit.None
			})
		})
	}
}
