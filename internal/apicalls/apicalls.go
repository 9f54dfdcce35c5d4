// Package apicalls instruments aws-sdk-go-v2 clients: it counts every API call attempt per operation, records
// throttling errors, logs each call at debug level, and paces calls per account, region and API class below AWS's
// published request rates, so that a large scan does not trip them. It plugs into aws.Config.APIOptions.
package apicalls

import (
	"context"
	"errors"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// Recorder counts and logs calls; one Recorder serves a whole scan. Safe for concurrent use.
type Recorder struct {
	log       *slog.Logger
	mu        sync.Mutex
	calls     map[string]int
	throttled map[string]int
	errors    int
}

// NewRecorder returns a Recorder logging to log (nil discards).
func NewRecorder(log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{log: log, calls: map[string]int{}, throttled: map[string]int{}}
}

// Counts returns the attempts per "service:Operation".
func (r *Recorder) Counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.calls))
	for k, v := range r.calls {
		out[k] = v
	}
	return out
}

// Throttled returns the throttling errors seen per "service:Operation" (each was retried by the SDK).
func (r *Recorder) Throttled() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.throttled))
	for k, v := range r.throttled {
		out[k] = v
	}
	return out
}

// Total is the number of attempts.
func (r *Recorder) Total() int {
	n := 0
	for _, v := range r.Counts() {
		n += v
	}
	return n
}

// Summary renders the counts as one line, "cloudtrail:DescribeTrails=17 ...", sorted.
func (r *Recorder) Summary() string {
	c := r.Counts()
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(k)
		b.WriteString("=")
		b.WriteString(itoa(c[k]))
	}
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for n > 0 {
		d = append([]byte{byte('0' + n%10)}, d...)
		n /= 10
	}
	return string(d)
}

// Pacer holds the token buckets of one account: per region and API class.
type Pacer struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// NewPacer returns an empty pacer for one account.
func NewPacer() *Pacer { return &Pacer{buckets: map[string]*rate.Limiter{}} }

// limit returns the pacing rate of an operation: 80% of AWS's published per-account, per-region quota, or 0 for
// none. CloudTrail: get/describe/list 10 TPS, other APIs 1 TPS (CTUG quotas); CloudWatch Logs log-group APIs 5 TPS
// each (CWLUG cloudwatch_limits_cwl).
func limit(service, op string) (string, rate.Limit) {
	switch strings.ToLower(service) {
	case "cloudtrail":
		if strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "List") {
			return "cloudtrail-read", 8
		}
		return "cloudtrail-write", 0.8
	case "cloudwatch logs":
		return "logs-" + op, 4
	}
	return "", 0
}

func (p *Pacer) wait(ctx context.Context, service, op, region string) error {
	class, r := limit(service, op)
	if r == 0 {
		return nil
	}
	key := region + "/" + class
	p.mu.Lock()
	lim := p.buckets[key]
	if lim == nil {
		burst := int(r)
		if burst < 1 {
			burst = 1
		}
		lim = rate.NewLimiter(r, burst)
		p.buckets[key] = lim
	}
	p.mu.Unlock()
	return lim.Wait(ctx)
}

// Middleware returns an APIOptions entry that records, logs and (with a non-nil pacer) paces every attempt of every
// call made with the config, labelled with the account.
func (r *Recorder) Middleware(account string, pacer *Pacer) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		mw := middleware.FinalizeMiddlewareFunc("trailwatchAPICalls", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			service, op, region := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), awsmiddleware.GetRegion(ctx)
			if pacer != nil {
				if err := pacer.wait(ctx, service, op, region); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
			}
			key := serviceKey(service) + ":" + op
			start := time.Now()
			out, md, err := next.HandleFinalize(ctx, in)
			code := ""
			var ae smithy.APIError
			if errors.As(err, &ae) {
				code = ae.ErrorCode()
			} else if err != nil {
				code = "error"
			}
			r.mu.Lock()
			r.calls[key]++
			if _, ok := retry.DefaultThrottleErrorCodes[code]; ok { // the SDK's own list (aws/retry), as the retryer's
				r.throttled[key]++
			}
			if err != nil {
				r.errors++
			}
			r.mu.Unlock()
			r.log.Debug("aws call", "api", key, "account_id", account, "region", region,
				"duration_ms", time.Since(start).Milliseconds(), "error_code", code)
			return out, md, err
		})
		// After the retry middleware: each attempt is counted, logged and paced.
		if err := stack.Finalize.Insert(mw, "Retry", middleware.After); err != nil {
			return stack.Finalize.Add(mw, middleware.Before)
		}
		return nil
	}
}

// serviceKey maps an SDK service id to the short names used everywhere else (and by the simulator's counters).
func serviceKey(id string) string {
	switch id {
	case "CloudWatch Logs":
		return "logs"
	case "CloudTrail":
		return "cloudtrail"
	}
	return strings.ToLower(strings.ReplaceAll(id, " ", ""))
}
