package remediate

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

type okWriter struct{}

func (okWriter) Do(context.Context, string, Params) error { return nil }

// TestGateReadsEvidenceNotMessages: after an alarm fix, the rollout gate accepts NO_CONFIRMED_SUBSCRIBER when the
// finding's typed evidence says the topic has subscriptions waiting for a person to confirm them (an email or https
// subscriber the fix added), whatever its message says, and refuses it when none waits, even if a message says
// "wait for confirmation". It searched the message text for those words (issue 21).
func TestGateReadsEvidenceNotMessages(t *testing.T) {
	const lg = "arn:aws:logs:us-east-1:111111111111:log-group:CT:*"
	rid := lg + "/alarm-root-account-usage"
	plan := &Plan{Steps: []Step{newStep("111111111111", "us-east-1", rid, "", PutMetricFilterInput{LogGroupName: "CT"})}}
	for _, tc := range []struct {
		name    string
		msg     string
		pending int
		healthy bool
	}{
		{"one subscriber waits, plain message", "Topic x has no confirmed subscription.", 1, true},
		{"none waits, message names confirmation", "Topic x has no confirmed subscription; 1 wait for confirmation.", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := model.Finding{ControlID: "alarm-root-account-usage", AccountID: "111111111111", ResourceID: "111111111111", Status: model.StatusFail,
				Reasons:  []model.Reason{{Code: controls.NoConfirmedSubscriber, Message: tc.msg}},
				Evidence: &model.Evidence{Chain: &model.ChainEvidence{Stage: controls.NoConfirmedSubscriber, PendingSubscriptions: tc.pending}}}
			res := Rollout(context.Background(), plan, []AccountInfo{{ID: "111111111111"}}, NewJournal(nil, "t", nil), RolloutOptions{
				Writer: func(string) (Writer, error) { return okWriter{}, nil },
				Apply:  ApplyOptions{Sleep: func(context.Context, time.Duration) error { return nil }},
				Rescan: func(context.Context, []string, map[string]time.Time) ([]model.Finding, error) {
					return []model.Finding{f}, nil
				},
			})
			if healthy := res.Stopped == ""; healthy != tc.healthy {
				t.Errorf("healthy %v, want %v (stopped %q, unhealthy %v)", healthy, tc.healthy, res.Stopped, strings.Join(res.Batches[0].Unhealthy, "; "))
			}
		})
	}
}

// failingWriter refuses the actions it names, every time.
type failingWriter map[string]bool

func (w failingWriter) Do(_ context.Context, _ string, p Params) error {
	if w[p.Action()] {
		return &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "denied"}
	}
	return nil
}

// TestFailedUndoIsReported: when a fix fails and an undo fails too, the result lists that undo with its error and the
// AWS CLI command that does it by hand; the output listed only the undos that worked (the rest were only in the
// journal) (issue 23).
func TestFailedUndoIsReported(t *testing.T) {
	const trail = "arn:aws:cloudtrail:us-east-1:111111111111:trail/t"
	steps := []Step{
		withUndo(newStep("111111111111", "us-east-1", trail, "", CreateLogGroupInput{LogGroupName: "G"}), DeleteLogGroupInput{LogGroupName: "G"}),
		newStep("111111111111", "us-east-1", trail, "", UpdateTrailInput{Name: trail}),
	}
	res := Apply(context.Background(), failingWriter{UpdateTrail: true, DeleteLogGroup: true}, steps, NewJournal(nil, "t", nil),
		ApplyOptions{Sleep: func(context.Context, time.Duration) error { return nil }})
	if len(res) != 1 || res[0].Error == "" || len(res[0].Undone) != 0 || len(res[0].UndoFailed) != 1 ||
		!strings.Contains(res[0].UndoFailed[0], "aws logs delete-log-group --region us-east-1 --log-group-name G") {
		t.Errorf("result: %+v", res)
	}
}

// busyWriter fails the actions it names with a retryable server error (HTTP 500, which the SDK's retryables retry).
type busyWriter map[string]bool

func (w busyWriter) Do(_ context.Context, _ string, p Params) error {
	if w[p.Action()] {
		return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 500}},
			Err: &smithy.GenericAPIError{Code: "InternalServerException", Message: "busy"}}
	}
	return nil
}

// TestUndoAttemptsJournaled (field trial): an undo's every attempt is in the journal, as a step's are: an undo retried
// five times on a busy service left one line. Here the undo of CreateLogGroup is tried ApplyOptions.Attempts times,
// each an "undo-error" line numbered by its attempt.
func TestUndoAttemptsJournaled(t *testing.T) {
	const trail = "arn:aws:cloudtrail:us-east-1:111111111111:trail/t"
	steps := []Step{
		withUndo(newStep("111111111111", "us-east-1", trail, "", CreateLogGroupInput{LogGroupName: "G"}), DeleteLogGroupInput{LogGroupName: "G"}),
		newStep("111111111111", "us-east-1", trail, "", UpdateTrailInput{Name: trail}),
	}
	j := NewJournal(nil, "t", nil)
	Apply(context.Background(), busyWriter{UpdateTrail: true, DeleteLogGroup: true}, steps, j,
		ApplyOptions{Attempts: 3, Sleep: func(context.Context, time.Duration) error { return nil }})
	var undo []string
	for _, e := range j.Entries() {
		if strings.HasPrefix(e.Action, "undo ") {
			undo = append(undo, fmt.Sprintf("%d %s", e.Attempt, e.Result))
		}
	}
	if strings.Join(undo, ",") != "1 undo-error,2 undo-error,3 undo-error" {
		t.Errorf("undo journal lines: %v", undo)
	}
}

// withUndo is s with the undo u.
func withUndo(s Step, u Params) Step {
	s.Undo = call(u)
	return s
}
