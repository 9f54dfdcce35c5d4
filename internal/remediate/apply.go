package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/observabilityadmin"
	oatypes "github.com/aws/aws-sdk-go-v2/service/observabilityadmin/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/trailwatch/trailwatch/internal/delivery"
	"github.com/trailwatch/trailwatch/internal/redact"
)

// Writer makes the write calls of one account. The SDK implementation is SDKWriter; tests may substitute any.
type Writer interface {
	// Do performs one call (a step's action, or the action of its Undo) in region, once: it returns the AWS error
	// unchanged, and does not retry (Apply retries and journals every attempt).
	Do(ctx context.Context, region string, p Params) error
}

// StateReader, when a Writer has it, reads what a Create step found already there (a log group or role the scan did not
// see: not used by any trail, or made by an earlier run that was killed): the steps after it then undo to that state,
// not to "created by this run". The SDK writer has it; without it, such steps keep the plan's undo.
type StateReader interface {
	// LogGroupRetention is the group's retention in days (nil: never expire).
	LogGroupRetention(ctx context.Context, region, name string) (*int, error)
	// RoleState is the role's trust policy and its inline policy named policyName (nil when it has none).
	RoleState(ctx context.Context, name, policyName string) (trust string, policy *string, err error)
}

// UndoTimeout bounds the undo of a trail's failed fix. Undo runs on a context of its own, so that an interrupted
// apply (Ctrl-C) still restores what it changed.
const UndoTimeout = 2 * time.Minute

// Entry is one line of the journal.
type Entry struct {
	Time       time.Time `json:"time"`
	Who        string    `json:"who"`
	AccountID  string    `json:"account_id"`
	Region     string    `json:"region"`
	ResourceID string    `json:"resource_id"`
	Action     string    `json:"action"`
	// Params are the call's parameters: a step's or undo's (their action's type), or, for a guardrail's deployment,
	// what it sent.
	Params  any    `json:"params"`
	Attempt int    `json:"attempt"`
	Result  string `json:"result"` // ok, exists, error, undone, undo-error, skipped
	Error   string `json:"error,omitempty"`
}

// Journal appends entries as JSON lines. Safe for concurrent use.
type Journal struct {
	mu  sync.Mutex
	w   io.Writer
	who string
	now func() time.Time
	all []Entry
	// closer is the file OpenJournal opened.
	closer io.Closer
}

// NewJournal writes to w on behalf of who (the caller's ARN).
func NewJournal(w io.Writer, who string, now func() time.Time) *Journal {
	if now == nil {
		now = time.Now
	}
	return &Journal{w: w, who: who, now: now}
}

// OpenJournal appends to the journal file at path, or (path "") writes a new trailwatch-journal-<UTC time>.jsonl in the
// working directory (-2, -3, ... when a run of the same second has that name), created with mode 0600 (it names accounts and resources), on behalf of who ("" is "unknown"),
// stamped by now (nil: time.Now). It returns the file's path; Close closes it. fix apply, watch --auto-fix and the
// guardrail deployments all journal through it.
func OpenJournal(path, who string, now func() time.Time) (*Journal, string, error) {
	if now == nil {
		now = time.Now
	}
	if who == "" {
		who = "unknown"
	}
	var f *os.File
	var err error
	if path == "" {
		// A journal of its own for each run: two runs in the same second (a script deploying both guardrails) got one
		// file, and undoing by journal would have undone both. The name is taken only if nothing has it (O_EXCL).
		base := "trailwatch-journal-" + now().UTC().Format("20060102T150405Z")
		for n := 1; ; n++ {
			path = base + ".jsonl"
			if n > 1 {
				path = fmt.Sprintf("%s-%d.jsonl", base, n)
			}
			if f, err = os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); !errors.Is(err, fs.ErrExist) || n >= 1000 {
				break
			}
		}
	} else {
		f, err = os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	}
	if err != nil {
		return nil, path, fmt.Errorf("open the journal: %w", err)
	}
	j := NewJournal(f, who, now)
	j.closer = f
	return j, path, nil
}

// Close closes the journal's file (a journal OpenJournal opened; otherwise nothing). Entries recorded after it are
// kept in memory only.
func (j *Journal) Close() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	c := j.closer
	j.closer, j.w = nil, nil
	if c == nil {
		return nil
	}
	return c.Close()
}

func (j *Journal) add(e Entry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e.Time = j.now().UTC()
	if e.Who == "" {
		e.Who = j.who
	}
	e.Params = journalParams(e.Params)
	j.all = append(j.all, e)
	if j.w != nil {
		b, _ := json.Marshal(e)
		_, _ = j.w.Write(append(b, '\n'))
	}
}

// Record journals a write made outside a plan's steps (the guardrails' deployment), stamped like the steps' entries.
func (j *Journal) Record(e Entry) { j.add(e) }

// journalParams is what the journal keeps of a call's parameters: an http(s) subscriber keeps only its scheme and
// host, since a webhook's path carries its secret (the call itself gets the whole URL).
func journalParams(p any) any {
	if s, ok := p.(SubscribeInput); ok && secretEndpoint(s) {
		s.Endpoint = redact.URL(s.Endpoint)
		return s
	}
	return p
}

// Entries returns what was journaled.
func (j *Journal) Entries() []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Entry(nil), j.all...)
}

// ApplyOptions tune applying.
type ApplyOptions struct {
	// PropagationRetries and PropagationBackoff: how often and how patiently to retry an UpdateTrail that fails
	// because IAM has not propagated a new or changed role yet (defaults 6, from 2 s doubling).
	PropagationRetries int
	PropagationBackoff time.Duration
	Sleep              func(context.Context, time.Duration) error
	// Attempts bounds the attempts of a call that fails with a retryable error (throttling, 5xx, a connection
	// error), classified by the SDK's own retryables (default 5). Every attempt is journaled.
	Attempts int
	// Who, when set, is the identity that makes this account's calls (an assumed role's ARN), for the journal.
	Who string
	// Now is the clock a fix's time (FixedAt) is read from; default time.Now. Ages are measured against it later.
	Now func() time.Time
}

// TrailResult is how one trail's (or log group's) fix went.
type TrailResult struct {
	ResourceID string   `json:"resource_id"`
	AccountID  string   `json:"account_id"`
	Done       []string `json:"done"`
	NotDone    []string `json:"not_done,omitempty"`
	Undone     []string `json:"undone,omitempty"`
	// UndoFailed are the undos that failed even after the retries every call gets, each with its error and the AWS
	// CLI command that does it by hand: what the run changed and could not put back.
	UndoFailed []string  `json:"undo_failed,omitempty"`
	Error      string    `json:"error,omitempty"`
	FixedAt    time.Time `json:"fixed_at,omitzero"` // none when the fix failed (field trial: 0001-01-01T00:00:00Z)
}

// Apply executes a plan's steps for one account, trail by trail in plan order. A trail whose step fails stops there:
// every change this run made for it is undone, newest first, back to what was there before (a created resource is
// deleted, a changed trail, trust policy, inline policy or retention restored), and the other trails go on. When ctx is
// cancelled (Ctrl-C), the trail in progress is undone on a fresh context, the journal says so, and no further trail
// is started.
func Apply(ctx context.Context, w Writer, steps []Step, j *Journal, o ApplyOptions) []TrailResult {
	if o.PropagationRetries == 0 {
		o.PropagationRetries = 6
	}
	if o.PropagationBackoff == 0 {
		o.PropagationBackoff = 2 * time.Second
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var out []TrailResult
	for _, group := range byResource(steps) {
		res := TrailResult{ResourceID: group[0].ResourceID, AccountID: group[0].AccountID}
		if ctx.Err() != nil {
			for _, s := range group {
				res.NotDone = append(res.NotDone, s.Action)
			}
			res.Error = "not started: interrupted"
			out = append(out, res)
			continue
		}
		var changed []Step       // steps that changed something, to undo on failure
		skip := map[int]string{} // steps adopt found needless, with why
		for i, s := range group {
			if why, ok := skip[i]; ok {
				res.Done = append(res.Done, s.Action+" (not needed: "+why+")")
				j.add(o.entry(Entry{AccountID: s.AccountID, Region: s.Region, ResourceID: s.ResourceID, Action: s.Action, Params: s.Params, Result: "skipped", Error: why}))
				continue
			}
			err := o.call(ctx, w, s, j)
			switch {
			case err == nil:
				res.Done = append(res.Done, s.Action)
				changed = append(changed, s)
			case alreadyExists(err):
				res.Done = append(res.Done, s.Action+" (already there)")
				if why := adopt(ctx, w, group, i, skip); why != "" {
					// Fail closed: what is there cannot be fixed, or cannot be put back, by this plan.
					res.Error = fmt.Sprintf("%s: %s", s.Action, why)
					for _, rest := range group[i+1:] {
						res.NotDone = append(res.NotDone, rest.Action)
					}
					res.Undone, res.UndoFailed = o.undo(context.WithoutCancel(ctx), w, changed, j)
				}
			default:
				res.Error = fmt.Sprintf("%s: %v", s.Action, err)
				if ctx.Err() != nil {
					res.Error = fmt.Sprintf("%s: interrupted", s.Action)
					j.add(o.entry(Entry{AccountID: s.AccountID, Region: s.Region, ResourceID: s.ResourceID, Action: s.Action, Result: "interrupted",
						Error: "the run was interrupted (SIGINT or SIGTERM); undoing this trail's changes"}))
				}
				for _, rest := range group[i:] {
					res.NotDone = append(res.NotDone, rest.Action)
				}
				res.Undone, res.UndoFailed = o.undo(context.WithoutCancel(ctx), w, changed, j)
			}
			if res.Error != "" {
				break
			}
		}
		if res.Error == "" {
			res.FixedAt = o.Now().UTC()
		}
		out = append(out, res)
	}
	return out
}

// adopt reads what group[i], a Create step, found already there, and gives the later steps of the group that change it
// the undo that restores it: a log group's retention (PutRetentionPolicy planned with no undo, since deleting a new
// group undoes it) and a role's inline policy of the same name. A role that does not trust CloudTrail cannot deliver:
// it returns why, and the fix stops (field trial: an existing group's retention was changed with no undo, and an
// untrusting role was reused). A group that keeps its events at least as long as planned is not changed: its
// retention step goes into skip, with why. A Writer without StateReader leaves the steps as planned. It returns "" to
// go on.
func adopt(ctx context.Context, w Writer, group []Step, i int, skip map[int]string) string {
	sr, ok := w.(StateReader)
	if !ok {
		return ""
	}
	s := group[i]
	switch p := s.Params.(type) {
	case CreateLogGroupInput:
		name := p.LogGroupName
		days, err := sr.LogGroupRetention(ctx, s.Region, name)
		if err != nil {
			return fmt.Sprintf("log group %s already exists and its retention could not be read (%v): nothing after it is changed without a way back", name, err)
		}
		for k := i + 1; k < len(group); k++ {
			n := &group[k]
			if r, ok := n.Params.(PutRetentionPolicyInput); ok && n.Undo == nil && r.LogGroupName == name && n.Region == s.Region {
				if days == nil || *days >= r.RetentionInDays {
					// Kept at least as long already: shortening it would delete events for good, which no undo
					// brings back (review). Only a shorter retention is raised, as the retention fix does.
					skip[k] = fmt.Sprintf("log group %s already keeps its events %s", name, keepText(days))
					continue
				}
				if days == nil {
					n.Undo = call(DeleteRetentionPolicyInput{LogGroupName: name})
				} else {
					n.Undo = call(PutRetentionPolicyInput{LogGroupName: name, RetentionInDays: *days})
				}
			}
		}
	case CreateRoleInput:
		name := p.RoleName
		policyName := ""
		for k := i + 1; k < len(group); k++ {
			if pp, ok := group[k].Params.(PutRolePolicyInput); ok && pp.RoleName == name {
				policyName = pp.PolicyName
			}
		}
		trust, prev, err := sr.RoleState(ctx, name, policyName)
		if err != nil {
			return fmt.Sprintf("role %s already exists and could not be read (%v)", name, err)
		}
		if ok, _ := delivery.Trusts(trust); !ok {
			return fmt.Sprintf("role %s already exists (the scan did not see it: no trail uses it) and does not trust cloudtrail.amazonaws.com: fix its trust, or name another role with --delivery-role-name, and plan again", name)
		}
		for k := i + 1; k < len(group); k++ {
			if pp, ok := group[k].Params.(PutRolePolicyInput); ok && pp.RoleName == name && prev != nil {
				group[k].Undo = call(PutRolePolicyInput{RoleName: name, PolicyName: policyName, PolicyDocument: *prev})
			}
		}
	}
	return ""
}

func keepText(days *int) string {
	if days == nil {
		return "forever"
	}
	return fmt.Sprintf("%d days", *days)
}

// undo reverts changed steps, newest first, each with its Undo, on a context bounded by UndoTimeout.
func (o ApplyOptions) undo(ctx context.Context, w Writer, changed []Step, j *Journal) (undone, failed []string) {
	ctx, cancel := context.WithTimeout(ctx, UndoTimeout)
	defer cancel()
	for k := len(changed) - 1; k >= 0; k-- {
		c := changed[k]
		if c.Undo == nil {
			continue
		}
		// Every attempt is journaled, as a step's are (field trial: five failed attempts left one line).
		label := "undo " + c.Action + " (" + c.Undo.Action + ")"
		if err := o.attempts(ctx, w, Step{AccountID: c.AccountID, Region: c.Region, ResourceID: c.ResourceID, Action: c.Undo.Action, Params: c.Undo.Params}, j, label); err != nil && !notFound(err) {
			failed = append(failed, fmt.Sprintf("undo of %s (%s) failed: %s; by hand: %s", c.Action, c.Undo.Action, err.Error(), RenderCLI(c.Region, c.Undo.Params)))
		} else {
			undone = append(undone, c.Action)
		}
	}
	return undone, failed
}

func (o ApplyOptions) entry(e Entry) Entry {
	e.Who = o.Who
	return e
}

// call makes one step's call, retrying IAM propagation errors with backoff, and journals each attempt.
func (o ApplyOptions) call(ctx context.Context, w Writer, s Step, j *Journal) error {
	delay := o.PropagationBackoff
	for round := 1; ; round++ {
		err := o.retry(ctx, w, s, j)
		if err == nil || alreadyExists(err) || !propagation(s.Action, err) || round > o.PropagationRetries {
			return err
		}
		if serr := o.Sleep(ctx, delay); serr != nil {
			return err
		}
		delay *= 2
	}
}

// retry makes a call, retrying what the SDK classifies as retryable (throttling, 5xx, connection errors) with
// exponential backoff, journaling each attempt when j is set.
func (o ApplyOptions) retry(ctx context.Context, w Writer, s Step, j *Journal) error {
	return o.attempts(ctx, w, s, j, "")
}

// attempts is retry, journaling each attempt under undo (an undo's label, "undo <step> (<call>)", when it is one: its
// attempts are "undone", or "undo-error"; a resource already gone counts as undone) or the step's action.
func (o ApplyOptions) attempts(ctx context.Context, w Writer, s Step, j *Journal, undo string) error {
	attempts := max(o.Attempts, 1)
	delay := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := w.Do(ctx, s.Region, s.Params)
		if j != nil {
			e := Entry{AccountID: s.AccountID, Region: s.Region, ResourceID: s.ResourceID, Action: s.Action, Params: s.Params, Attempt: attempt, Result: "ok"}
			switch {
			case undo != "" && (err == nil || notFound(err)):
				e.Action, e.Result = undo, "undone"
			case undo != "":
				e.Action, e.Result, e.Error = undo, "undo-error", err.Error()
			case err == nil:
			case alreadyExists(err):
				e.Result = "exists"
			default:
				e.Result, e.Error = "error", err.Error()
			}
			j.add(o.entry(e))
		}
		if attempt > 1 && s.Action == CreateTrail && apiCode(err) == "TrailAlreadyExistsException" {
			// The attempt before was made and its answer lost (a retried connection error or 5xx): the trail is this
			// run's, so it counts as created, and a failure later deletes it (review).
			return nil
		}
		if err == nil || attempt >= attempts || ctx.Err() != nil || retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) != aws.TrueTernary {
			return err
		}
		if o.Sleep(ctx, delay) != nil {
			return err
		}
		delay *= 2
	}
}

// propagation reports an UpdateTrail or CreateTrail error that a role created or changed moments ago causes until IAM
// propagates it (the same errors terraform-provider-aws retries on both: aws-behaviour.md §3.7).
func propagation(action string, err error) bool {
	if action != UpdateTrail && action != CreateTrail {
		return false
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.ErrorCode() == "InvalidCloudWatchLogsRoleArnException" ||
		(ae.ErrorCode() == "InvalidCloudWatchLogsLogGroupArnException" && strings.Contains(ae.ErrorMessage(), "Access denied"))
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func notFound(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "ResourceNotFoundException" || ae.ErrorCode() == "NoSuchEntity")
}

func alreadyExists(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "ResourceAlreadyExistsException" || ae.ErrorCode() == "EntityAlreadyExists")
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// byResource groups steps by the resource they serve, in plan order.
func byResource(steps []Step) [][]Step {
	var order []string
	groups := map[string][]Step{}
	for _, s := range steps {
		if _, ok := groups[s.ResourceID]; !ok {
			order = append(order, s.ResourceID)
		}
		groups[s.ResourceID] = append(groups[s.ResourceID], s)
	}
	var out [][]Step
	for _, r := range order {
		out = append(out, groups[r])
	}
	return out
}

// SDKWriter performs steps with aws-sdk-go-v2 clients of one account.
type SDKWriter struct {
	cfg aws.Config
}

var _ Writer = (*SDKWriter)(nil)

// NewSDKWriter writes with cfg's credentials. Each call is made once: Apply retries, so that the journal holds every
// attempt.
func NewSDKWriter(cfg aws.Config) *SDKWriter {
	cfg = cfg.Copy()
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	return &SDKWriter{cfg: cfg}
}

// Do performs one call.
func (w *SDKWriter) Do(ctx context.Context, region string, params Params) error {
	regional := func(o *cloudtrail.Options) { o.Region = region }
	logsRegion := func(o *cloudwatchlogs.Options) { o.Region = region }
	cwRegion := func(o *cloudwatch.Options) { o.Region = region }
	snsRegion := func(o *sns.Options) { o.Region = region }
	var err error
	switch p := params.(type) {
	case CreateLogGroupInput:
		in := &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(p.LogGroupName), KmsKeyId: optional(p.KmsKeyID)}
		if len(p.Tags) > 0 {
			in.Tags = p.Tags
		}
		_, err = cloudwatchlogs.NewFromConfig(w.cfg, logsRegion).CreateLogGroup(ctx, in)
	case PutRetentionPolicyInput:
		_, err = cloudwatchlogs.NewFromConfig(w.cfg, logsRegion).PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
			LogGroupName: aws.String(p.LogGroupName), RetentionInDays: aws.Int32(int32(p.RetentionInDays))})
	case CreateRoleInput:
		in := &iam.CreateRoleInput{RoleName: aws.String(p.RoleName), AssumeRolePolicyDocument: aws.String(p.AssumeRolePolicyDocument), Description: optional(p.Description)}
		for _, k := range slices.Sorted(maps.Keys(p.Tags)) {
			in.Tags = append(in.Tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(p.Tags[k])})
		}
		_, err = iam.NewFromConfig(w.cfg).CreateRole(ctx, in)
	case UpdateAssumeRolePolicyInput:
		_, err = iam.NewFromConfig(w.cfg).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(p.RoleName), PolicyDocument: aws.String(p.PolicyDocument)})
	case PutRolePolicyInput:
		_, err = iam.NewFromConfig(w.cfg).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(p.RoleName), PolicyName: aws.String(p.PolicyName), PolicyDocument: aws.String(p.PolicyDocument)})
	case UpdateTrailInput:
		_, err = cloudtrail.NewFromConfig(w.cfg, regional).UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String(p.Name),
			CloudWatchLogsLogGroupArn: aws.String(p.CloudWatchLogsLogGroupArn), CloudWatchLogsRoleArn: aws.String(p.CloudWatchLogsRoleArn)})
	case StartLoggingInput:
		_, err = cloudtrail.NewFromConfig(w.cfg, regional).StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(p.Name)})
	case CreateTrailInput:
		_, err = cloudtrail.NewFromConfig(w.cfg, regional).CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(p.Name), S3BucketName: aws.String(p.S3BucketName),
			IsMultiRegionTrail: aws.Bool(p.IsMultiRegionTrail), IncludeGlobalServiceEvents: aws.Bool(p.IncludeGlobalServiceEvents),
			EnableLogFileValidation: aws.Bool(p.EnableLogFileValidation), CloudWatchLogsLogGroupArn: optional(p.CloudWatchLogsLogGroupArn),
			CloudWatchLogsRoleArn: optional(p.CloudWatchLogsRoleArn)})
	case DeleteTrailInput:
		_, err = cloudtrail.NewFromConfig(w.cfg, regional).DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String(p.Name)})
	case StopLoggingInput:
		_, err = cloudtrail.NewFromConfig(w.cfg, regional).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(p.Name)})
	case DeleteLogGroupInput:
		_, err = cloudwatchlogs.NewFromConfig(w.cfg, logsRegion).DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(p.LogGroupName)})
	case DeleteRetentionPolicyInput:
		_, err = cloudwatchlogs.NewFromConfig(w.cfg, logsRegion).DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String(p.LogGroupName)})
	case DeleteRolePolicyInput:
		_, err = iam.NewFromConfig(w.cfg).DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(p.RoleName), PolicyName: aws.String(p.PolicyName)})
	case DeleteRoleInput:
		_, err = iam.NewFromConfig(w.cfg).DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(p.RoleName)})
	case PutMetricFilterInput:
		in := &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String(p.LogGroupName), FilterName: aws.String(p.FilterName), FilterPattern: aws.String(p.FilterPattern)}
		for _, t := range p.MetricTransformations {
			in.MetricTransformations = append(in.MetricTransformations, logtypes.MetricTransformation{
				MetricName: aws.String(t.MetricName), MetricNamespace: aws.String(t.MetricNamespace), MetricValue: aws.String(t.MetricValue)})
		}
		_, err = cloudwatchlogs.NewFromConfig(w.cfg, logsRegion).PutMetricFilter(ctx, in)
	case DeleteMetricFilterInput:
		_, err = cloudwatchlogs.NewFromConfig(w.cfg, logsRegion).DeleteMetricFilter(ctx, &cloudwatchlogs.DeleteMetricFilterInput{LogGroupName: aws.String(p.LogGroupName), FilterName: aws.String(p.FilterName)})
	case PutMetricAlarmInput:
		in := &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(p.AlarmName), AlarmDescription: optional(p.AlarmDescription),
			Namespace: aws.String(p.Namespace), MetricName: aws.String(p.MetricName), Period: aws.Int32(int32(p.Period)),
			EvaluationPeriods: aws.Int32(int32(p.EvaluationPeriods)), Threshold: aws.Float64(p.Threshold),
			ComparisonOperator: cwtypes.ComparisonOperator(p.ComparisonOperator), TreatMissingData: optional(p.TreatMissingData),
			ActionsEnabled: aws.Bool(p.ActionsEnabled), AlarmActions: p.AlarmActions, Statistic: cwtypes.Statistic(p.Statistic),
			ExtendedStatistic: optional(p.ExtendedStatistic)}
		if p.DatapointsToAlarm > 0 {
			in.DatapointsToAlarm = aws.Int32(int32(p.DatapointsToAlarm))
		}
		_, err = cloudwatch.NewFromConfig(w.cfg, cwRegion).PutMetricAlarm(ctx, in)
	case DeleteAlarmsInput:
		_, err = cloudwatch.NewFromConfig(w.cfg, cwRegion).DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: p.AlarmNames})
	case EnableAlarmActionsInput:
		_, err = cloudwatch.NewFromConfig(w.cfg, cwRegion).EnableAlarmActions(ctx, &cloudwatch.EnableAlarmActionsInput{AlarmNames: p.AlarmNames})
	case DisableAlarmActionsInput:
		_, err = cloudwatch.NewFromConfig(w.cfg, cwRegion).DisableAlarmActions(ctx, &cloudwatch.DisableAlarmActionsInput{AlarmNames: p.AlarmNames})
	case CreateTopicInput:
		in := &sns.CreateTopicInput{Name: aws.String(p.Name)}
		for _, k := range slices.Sorted(maps.Keys(p.Tags)) {
			in.Tags = append(in.Tags, snstypes.Tag{Key: aws.String(k), Value: aws.String(p.Tags[k])})
		}
		_, err = sns.NewFromConfig(w.cfg, snsRegion).CreateTopic(ctx, in)
	case SubscribeInput:
		_, err = sns.NewFromConfig(w.cfg, snsRegion).Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: aws.String(p.TopicArn), Protocol: aws.String(p.Protocol), Endpoint: aws.String(p.Endpoint)})
	case DeleteTopicInput:
		_, err = sns.NewFromConfig(w.cfg, snsRegion).DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(p.TopicArn)})
	case StartTelemetryEvaluationInput:
		_, err = observabilityadmin.NewFromConfig(w.cfg, oaRegion(region)).StartTelemetryEvaluation(ctx, &observabilityadmin.StartTelemetryEvaluationInput{
			AllRegions: optionalBool(p.AllRegions), Regions: p.Regions})
	case StopTelemetryEvaluationInput:
		_, err = observabilityadmin.NewFromConfig(w.cfg, oaRegion(region)).StopTelemetryEvaluation(ctx, &observabilityadmin.StopTelemetryEvaluationInput{})
	case CreateTelemetryRuleInput:
		var rule *oatypes.TelemetryRule
		if rule, err = telemetryRule(p.Rule); err != nil {
			return fmt.Errorf("CreateTelemetryRule: %w", err)
		}
		_, err = observabilityadmin.NewFromConfig(w.cfg, oaRegion(region)).CreateTelemetryRule(ctx, &observabilityadmin.CreateTelemetryRuleInput{
			RuleName: aws.String(p.RuleName), Rule: rule})
	case DeleteTelemetryRuleInput:
		_, err = observabilityadmin.NewFromConfig(w.cfg, oaRegion(region)).DeleteTelemetryRule(ctx, &observabilityadmin.DeleteTelemetryRuleInput{RuleIdentifier: aws.String(p.RuleIdentifier)})
	case StartTelemetryEvaluationForOrganizationInput:
		_, err = observabilityadmin.NewFromConfig(w.cfg, oaRegion(region)).StartTelemetryEvaluationForOrganization(ctx, &observabilityadmin.StartTelemetryEvaluationForOrganizationInput{
			AllRegions: optionalBool(p.AllRegions), Regions: p.Regions})
	case StopTelemetryEvaluationForOrganizationInput:
		_, err = observabilityadmin.NewFromConfig(w.cfg, oaRegion(region)).StopTelemetryEvaluationForOrganization(ctx, &observabilityadmin.StopTelemetryEvaluationForOrganizationInput{})
	case CreateTelemetryRuleForOrganizationInput:
		var rule *oatypes.TelemetryRule
		if rule, err = telemetryRule(p.Rule); err != nil {
			return fmt.Errorf("CreateTelemetryRuleForOrganization: %w", err)
		}
		_, err = observabilityadmin.NewFromConfig(w.cfg, oaRegion(region)).CreateTelemetryRuleForOrganization(ctx, &observabilityadmin.CreateTelemetryRuleForOrganizationInput{
			RuleName: aws.String(p.RuleName), Rule: rule})
	case DeleteTelemetryRuleForOrganizationInput:
		_, err = observabilityadmin.NewFromConfig(w.cfg, oaRegion(region)).DeleteTelemetryRuleForOrganization(ctx, &observabilityadmin.DeleteTelemetryRuleForOrganizationInput{RuleIdentifier: aws.String(p.RuleIdentifier)})
	case nil:
		return fmt.Errorf("no call to make")
	default:
		return fmt.Errorf("unknown action %s", params.Action())
	}
	return err
}

// telemetryRule decodes a rule held in the API's own shape (TelemetryRule) into the SDK's type, by its member names.
func telemetryRule(m map[string]any) (*oatypes.TelemetryRule, error) {
	var rule oatypes.TelemetryRule
	b, _ := json.Marshal(m)
	if err := json.Unmarshal(b, &rule); err != nil {
		return nil, fmt.Errorf("the rule is not a TelemetryRule: %w", err)
	}
	return &rule, nil
}

// optional is s as an optional member: not sent when empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func optionalBool(b bool) *bool {
	if !b {
		return nil
	}
	return aws.Bool(true)
}

func oaRegion(region string) func(*observabilityadmin.Options) {
	return func(o *observabilityadmin.Options) { o.Region = region }
}

// LogGroupRetention reads a log group's retention (DescribeLogGroups by name prefix, the exact name matched).
func (w *SDKWriter) LogGroupRetention(ctx context.Context, region, name string) (*int, error) {
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(cloudwatchlogs.NewFromConfig(w.cfg, func(o *cloudwatchlogs.Options) { o.Region = region }),
		&cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range page.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				if g.RetentionInDays == nil {
					return nil, nil
				}
				d := int(*g.RetentionInDays)
				return &d, nil
			}
		}
	}
	return nil, fmt.Errorf("log group %s not found", name)
}

// RoleState reads a role's trust policy (URL-decoded) and its inline policy named policyName.
func (w *SDKWriter) RoleState(ctx context.Context, name, policyName string) (string, *string, error) {
	c := iam.NewFromConfig(w.cfg)
	r, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return "", nil, err
	}
	trust, err := url.QueryUnescape(aws.ToString(r.Role.AssumeRolePolicyDocument))
	if err != nil {
		return "", nil, err
	}
	if policyName == "" {
		return trust, nil, nil
	}
	pol, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(policyName)})
	if notFound(err) {
		return trust, nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	doc, err := url.QueryUnescape(aws.ToString(pol.PolicyDocument))
	if err != nil {
		return "", nil, err
	}
	return trust, &doc, nil
}
