package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/redact"
)

// Sinks where changes go besides the JSON lines. Each is told every change; a sink that fails logs the failure and the
// watcher goes on (the line on stdout, and the sweep, remain).

// Text is the one-line, Slack-compatible rendering of a change.
func Text(c Change) string {
	var b strings.Builder
	fmt.Fprintf(&b, "trailwatch: %s %s on %s", c.Finding.Status, c.Finding.ControlID, c.Finding.ResourceID)
	if c.Previous != nil {
		fmt.Fprintf(&b, " (was %s)", c.Previous.Status)
	}
	if len(c.Finding.Reasons) > 0 {
		r := c.Finding.Reasons[0]
		fmt.Fprintf(&b, ": %s %s", r.Code, r.Message)
	}
	switch {
	case c.Cause.Sweep:
		b.WriteString(" [found by the periodic sweep]")
	case c.Cause.EventName != "":
		fmt.Fprintf(&b, " [after %s", c.Cause.EventName)
		if c.Cause.Principal != "" {
			fmt.Fprintf(&b, " by %s", c.Cause.Principal)
		}
		if !c.Cause.Time.IsZero() {
			fmt.Fprintf(&b, " at %s", c.Cause.Time.UTC().Format(time.RFC3339))
		}
		b.WriteString("]")
	}
	return b.String()
}

// Webhook posts each change as JSON, with a Slack-compatible "text" beside the change itself.
type Webhook struct {
	URL    string
	Client *http.Client
}

// Send posts one change.
func (h Webhook) Send(ctx context.Context, c Change) error {
	body, err := json.Marshal(map[string]any{"text": Text(c), "change": c})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	client := h.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		// A webhook URL carries its secret (Slack's /services/T.../B.../<token>): errors name the host only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook to %s: %v", redact.URL(h.URL), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook to %s: HTTP %d", redact.URL(h.URL), resp.StatusCode)
	}
	return nil
}

// SNSAPI is the SNS call the topic sink makes.
type SNSAPI interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Topic publishes each change to an SNS topic: the JSON change as the message, the text as the subject (at most 100
// characters, as SNS allows).
type Topic struct {
	ARN    string
	Client SNSAPI
}

// Send publishes one change.
func (t Topic) Send(ctx context.Context, c Change) error {
	msg, err := json.Marshal(c)
	if err != nil {
		return err
	}
	subject := fmt.Sprintf("trailwatch: %s %s", c.Finding.Status, c.Finding.ControlID)
	if len(subject) > 100 {
		subject = subject[:100]
	}
	_, err = t.Client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(t.ARN), Subject: aws.String(subject), Message: aws.String(string(msg))})
	if err != nil {
		return fmt.Errorf("sns:Publish %s: %w", t.ARN, err)
	}
	return nil
}

// Resolved reports whether a change closes a finding (it passes now, or its resource is gone): Security Hub archives
// such findings.
func Resolved(c Change) bool {
	return c.Finding.Status == model.StatusPass || c.Finding.Status == model.StatusSkipped
}
