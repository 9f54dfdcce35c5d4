package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// The Lambda handler (trailwatch lambda): one invocation is an EventBridge event (a CloudTrail API call, handled as the
// queue's events are; or a scheduled event, a sweep) or an AWS Config custom rule invocation, answered with
// PutEvaluations. Every invocation may be a cold start: the first judges against the last recorded state (--store),
// or, with none, reports what fails (never a silent baseline that swallows the break the event announces).
//
// Config (AWS Config developer guide, "Developing a custom Lambda rule"; the invocation shape as aws-lambda-go's
// events.ConfigEvent carries it): the invocation holds invokingEvent (a JSON string with messageType
// ConfigurationItemChangeNotification, OversizedConfigurationItemChangeNotification or ScheduledNotification),
// resultToken, configRuleName, accountId and executionRoleArn. Each evaluation names the resource
// (ComplianceResourceType, ComplianceResourceId), its ComplianceType (COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE,
// INSUFFICIENT_DATA), an Annotation of at most 256 characters and an OrderingTimestamp: the configuration item's capture
// time for a change, the notification's creation time for a scheduled run. PutEvaluations takes at most 100.

// ConfigAPI is the Config call the handler makes.
type ConfigAPI interface {
	PutEvaluations(context.Context, *configservice.PutEvaluationsInput, ...func(*configservice.Options)) (*configservice.PutEvaluationsOutput, error)
}

// ConfigFor returns the Config client of an invocation's account and region (assuming executionRoleArn when set).
type ConfigFor func(account, region, executionRoleARN string) ConfigAPI

type configInvocation struct {
	InvokingEvent    string `json:"invokingEvent"`
	ResultToken      string `json:"resultToken"`
	ConfigRuleName   string `json:"configRuleName"`
	AccountID        string `json:"accountId"`
	ExecutionRoleARN string `json:"executionRoleArn"`
	EventLeftScope   bool   `json:"eventLeftScope"`
}

type configItem struct {
	ResourceType string    `json:"resourceType"`
	ResourceID   string    `json:"resourceId"`
	ResourceName string    `json:"resourceName"`
	ARN          string    `json:"ARN"`
	Account      string    `json:"awsAccountId"`
	Region       string    `json:"awsRegion"`
	Status       string    `json:"configurationItemStatus"`
	CaptureTime  time.Time `json:"configurationItemCaptureTime"`
}

type invokingEvent struct {
	MessageType        string      `json:"messageType"`
	ConfigurationItem  *configItem `json:"configurationItem"`
	ItemSummary        *configItem `json:"configurationItemSummary"`
	NotificationTime   time.Time   `json:"notificationCreationTime"`
	RecordVersion      string      `json:"recordVersion"`
	AWSAccountIDForRun string      `json:"awsAccountId"`
}

// Result says what an invocation did (the Lambda's return value, in its logs).
type Result struct {
	Kind        string `json:"kind"` // event, sweep, config
	Evaluations int    `json:"evaluations,omitempty"`
	Changes     int    `json:"changes"`
	// OutOfScope counts the events this invocation dropped because they name an account outside the function's scope.
	OutOfScope int `json:"out_of_scope,omitempty"`
}

// ErrPayload is an invocation that is not an EventBridge event or an AWS Config rule invocation trailwatch can act
// on: bad input, not a failure to read AWS.
var ErrPayload = errors.New("not an invocation trailwatch handles")

// Handle serves one Lambda invocation.
func (w *Watcher) Handle(ctx context.Context, payload []byte, configFor ConfigFor) (Result, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(payload, &probe); err != nil {
		return Result{}, fmt.Errorf("%w: the invocation is not a JSON object: %v", ErrPayload, err)
	}
	before := w.Stats().Changes
	if _, ok := probe["invokingEvent"]; ok {
		var inv configInvocation
		if err := json.Unmarshal(payload, &inv); err != nil {
			return Result{}, fmt.Errorf("%w: a Config rule invocation that does not decode: %v", ErrPayload, err)
		}
		n, err := w.config(ctx, inv, configFor)
		return Result{Kind: "config", Evaluations: n, Changes: w.Stats().Changes - before}, err
	}
	var ev event
	if err := json.Unmarshal(payload, &ev); err != nil || ev.DetailType == "" {
		return Result{}, fmt.Errorf("%w: neither an EventBridge event nor a Config rule invocation", ErrPayload)
	}
	if ev.DetailType == "Scheduled Event" {
		w.coldStart()
		err := w.Sweep(ctx, true)
		return Result{Kind: "sweep", Changes: w.Stats().Changes - before}, err
	}
	if err := ev.check(); err != nil {
		return Result{}, fmt.Errorf("%w: not an EventBridge event trailwatch can act on: %v", ErrPayload, err)
	}
	if w.coldStart() {
		// The inventory, unjudged: the event's accounts are judged against the last recorded state (--store), or,
		// with none, their failing findings are reported, with the event as cause. (A silent baseline sweep first
		// read the break the event announces, and nothing was ever reported.)
		if err := w.load(ctx); err != nil {
			return Result{}, err
		}
	}
	w.count(func(s *Stats) { s.Messages++ })
	outBefore := w.Stats().OutOfScope
	w.handle(ctx, []event{ev}, true)
	return Result{Kind: "event", Changes: w.Stats().Changes - before, OutOfScope: w.Stats().OutOfScope - outBefore}, nil
}

// coldStart reports whether this is the instance's first invocation (no inventory read yet); with no state recorded
// (--store), what is seen first and passes is then not reported.
func (w *Watcher) coldStart() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.inv != nil {
		return false
	}
	w.quietNew = len(w.o.Previous) == 0
	return true
}

// config judges the trails an invocation names in its account and answers with PutEvaluations.
func (w *Watcher) config(ctx context.Context, inv configInvocation, configFor ConfigFor) (int, error) {
	var ie invokingEvent
	if err := json.Unmarshal([]byte(inv.InvokingEvent), &ie); err != nil {
		return 0, fmt.Errorf("invokingEvent does not decode: %w", err)
	}
	acct := inv.AccountID
	type item struct {
		ci       configItem
		ordering time.Time
	}
	var items []item
	var regions []string
	region := ""
	switch ie.MessageType {
	case "ConfigurationItemChangeNotification", "OversizedConfigurationItemChangeNotification":
		ci := ie.ConfigurationItem
		if ci == nil {
			ci = ie.ItemSummary
		}
		if ci == nil {
			return 0, fmt.Errorf("%s without a configuration item", ie.MessageType)
		}
		items = append(items, item{*ci, ci.CaptureTime})
		regions = []string{ci.Region}
		region = ci.Region
		acct = first(ci.Account, acct)
	case "ScheduledNotification", "ConfigurationSnapshotDeliveryCompleted":
		// A periodic run: every trail the account owns. (aws-lambda-go's Config sample triggers on
		// ConfigurationSnapshotDeliveryCompleted; issue 25 found it refused.)
		ie.MessageType = "ScheduledNotification"
	default:
		return 0, fmt.Errorf("invokingEvent messageType %q: want ConfigurationItemChangeNotification, OversizedConfigurationItemChangeNotification, ScheduledNotification or ConfigurationSnapshotDeliveryCompleted", ie.MessageType)
	}
	if !model.IsAccountID(acct) {
		// Config sets accountId on every invocation (AWS Config developer guide, "Example events for AWS Config
		// rules"): without it trailwatch would judge whichever account its credentials reach.
		return 0, fmt.Errorf("the invocation's account %q (accountId, or the configuration item's awsAccountId) is not a 12-digit AWS account id", acct)
	}
	if r := inv.ExecutionRoleARN; r != "" {
		// AWS Config sends the rule's own account's role (AWS Config developer guide, "Example events for AWS Config
		// rules": executionRoleArn is the IAM role assigned to AWS Config); a payload naming another account's role
		// would make this function assume whatever it names.
		a, err := arn.Parse(r)
		if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") || a.AccountID != first(inv.AccountID, acct) {
			return 0, fmt.Errorf("executionRoleArn %q is not a role of the invocation's account %s: not assumed", r, first(inv.AccountID, acct))
		}
	}
	// Read the account now (narrowed to the item's region for a change) and judge it.
	if w.coldStart() {
		if err := w.load(ctx); err != nil {
			return 0, err
		}
	}
	if !w.inScope(acct) {
		w.count(func(s *Stats) { s.OutOfScope++ })
		return 0, fmt.Errorf("the invocation names account %s, which is outside this function's scope (its organization, --accounts, --exclude-accounts, --ous): not read", acct)
	}
	w.reread(ctx, &target{account: acct, regions: regions, all: regions == nil})
	w.judge(ctx, []string{acct}, func(a string, _ []string) *Cause {
		if a == acct {
			return &Cause{EventName: "AWS Config " + ie.MessageType, Account: acct}
		}
		return nil
	}, true)
	byTrail := map[string]model.Finding{}
	for _, f := range w.Findings() {
		if f.ControlID == controls.IntegrationID {
			byTrail[f.ResourceID] = f
		}
	}
	var evals []cfgtypes.Evaluation
	resourceType := model.TypeTrail
	if len(items) > 0 && items[0].ci.ResourceType != "" {
		resourceType = items[0].ci.ResourceType // the evaluation names the resource as Config sent it
	}
	add := func(rid string, f *model.Finding, ordering time.Time, why string) {
		compliance, note := complianceOf(f)
		if why != "" {
			note = why
		}
		evals = append(evals, cfgtypes.Evaluation{ComplianceResourceType: aws.String(resourceType), ComplianceResourceId: aws.String(rid),
			ComplianceType: compliance, Annotation: aws.String(truncate(note, 256)), OrderingTimestamp: aws.Time(ordering)})
	}
	if ie.MessageType == "ScheduledNotification" {
		w.mu.Lock()
		a := w.account(acct)
		var trails []*model.Trail
		var readErr *model.CallError
		if a != nil {
			trails = append(trails, a.Trails...)
			readErr = a.Error
			for _, r := range slices.Sorted(maps.Keys(a.RegionErrors)) {
				if readErr == nil {
					readErr = a.RegionErrors[r] // a region whose trails are unknown: its trails cannot be evaluated
				}
			}
		}
		w.mu.Unlock()
		if readErr != nil {
			// Nothing was read, so nothing can be evaluated: a failed invocation Config shows, never a quiet success
			// with no evaluation (issue 25).
			return 0, fmt.Errorf("account %s could not be read (%s), so its trails are not all evaluated: %w", acct, readErr.API, readErr)
		}
		for _, t := range trails {
			if t.OwnedElsewhere {
				continue // an organization trail is evaluated in its owner's account
			}
			f, ok := byTrail[t.ARN]
			if !ok {
				continue
			}
			// Config names a trail by its name in its resource id (assumed: the configuration item of a change
			// carries the id Config uses, and that one is used as is).
			add(t.Name, &f, ie.NotificationTime, "")
		}
	} else {
		it := items[0]
		switch {
		case inv.EventLeftScope || strings.HasPrefix(it.ci.Status, "ResourceDeleted") || it.ci.ResourceType != model.TypeTrail:
			add(first(it.ci.ResourceID, it.ci.ResourceName), nil, it.ordering, "The resource was deleted, left the rule's scope, or is not a trail.")
		default:
			f, ok := byTrail[it.ci.ARN]
			if !ok {
				add(first(it.ci.ResourceID, it.ci.ResourceName), nil, it.ordering, "trailwatch did not see this trail in its account and region (INSUFFICIENT_DATA, not a guess).")
				evals[len(evals)-1].ComplianceType = cfgtypes.ComplianceTypeInsufficientData
			} else {
				add(first(it.ci.ResourceID, it.ci.ResourceName), &f, it.ordering, "")
			}
		}
	}
	put := func(role string) (int, error) {
		client := configFor(acct, first(region, w.o.HomeRegion, "us-east-1"), role)
		for start := 0; start < len(evals); start += 100 {
			batch := evals[start:min(start+100, len(evals))]
			if _, err := client.PutEvaluations(ctx, &configservice.PutEvaluationsInput{ResultToken: aws.String(inv.ResultToken), Evaluations: batch}); err != nil {
				return start, fmt.Errorf("config:PutEvaluations: %w", err)
			}
		}
		return len(evals), nil
	}
	n, err := put(inv.ExecutionRoleARN)
	if err != nil && n == 0 && inv.ExecutionRoleARN != "" {
		// The execution role could not be assumed or may not answer: the function's own role answers instead
		// (issue 25: nothing was written), and both failures are said if it cannot either.
		w.o.Logger.Warn("PutEvaluations with the invocation's executionRoleArn failed; answering with the function's own role", "role", inv.ExecutionRoleARN, "error", err.Error())
		n2, err2 := put("")
		if err2 != nil {
			return n2, fmt.Errorf("%w; with the function's own role: %v", err, err2)
		}
		return n2, nil
	}
	return n, err
}

// complianceOf maps a trailwatch verdict to Config's: PASS and WARN (the control passes, with a warning in the
// annotation) are COMPLIANT, FAIL NON_COMPLIANT, a muted finding NOT_APPLICABLE (an exception with an owner and an
// expiry decided it), and what trailwatch could not judge (ERROR, PENDING, UNKNOWN, SKIPPED) INSUFFICIENT_DATA.
func complianceOf(f *model.Finding) (cfgtypes.ComplianceType, string) {
	if f == nil {
		return cfgtypes.ComplianceTypeNotApplicable, ""
	}
	note := string(f.Status)
	if len(f.Reasons) > 0 {
		note += " " + f.Reasons[0].Code + ": " + f.Reasons[0].Message
	}
	switch f.Status {
	case model.StatusPass, model.StatusWarn:
		return cfgtypes.ComplianceTypeCompliant, note
	case model.StatusFail:
		return cfgtypes.ComplianceTypeNonCompliant, note
	case model.StatusMuted:
		return cfgtypes.ComplianceTypeNotApplicable, note
	}
	return cfgtypes.ComplianceTypeInsufficientData, note
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
