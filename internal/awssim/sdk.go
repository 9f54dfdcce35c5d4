package awssim

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// SDKConfig returns an aws.Config for an account's simulated principal in region, with every client's endpoint
// pointed at the simulator. Nothing else differs from a real configuration, except two things that keep tests
// deterministic: no API error is retried (a fault a test injects is seen once, as injected), while a connection the
// transport finds reset under load (the SDK's "use of closed network connection", the async read of a TCP RST:
// aws-sdk-go-v2 retry/retryable_error.go) is tried again, up to three attempts; and every config of one server shares
// one HTTP client, so that tests that build clients per call do not open a connection each.
func (s *Server) SDKConfig(accountID, region string) aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(AccessKeyFor(accountID), secretFor(accountID), "")),
		HTTPClient:   s.httpClient(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.RateLimiter = ratelimit.None
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 5 * time.Millisecond, nil })
				o.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(connectionReset)}
			})
		},
	}
}

// connectionReset retries only a connection reset by the peer mid-call; never an API error, a throttle or a timeout.
func connectionReset(err error) aws.Ternary {
	if err == nil {
		return aws.UnknownTernary
	}
	if s := err.Error(); strings.Contains(s, "use of closed network connection") || strings.Contains(s, "connection reset") {
		return aws.TrueTernary
	}
	return aws.FalseTernary
}
