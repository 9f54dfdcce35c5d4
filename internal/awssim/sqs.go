package awssim

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Amazon SQS (awsJson1.0, target AmazonSQS, awsQueryCompatible), the queue `trailwatch watch` consumes. Shapes, limits
// and errors: botocore sqs/2012-11-05/service-2.json and the SQS API reference. Queue mechanics run on real time
// (visibility timeouts, long polling), as SQS does, not on scenario time.
//
//   - ReceiveMessage long-polls up to WaitTimeSeconds (0-20) and returns up to MaxNumberOfMessages (1-10); a received
//     message is invisible for the queue's VisibilityTimeout (default 30 s) or the request's, and comes back after.
//   - Redrive: "When the ReceiveCount for a message exceeds the maxReceiveCount for a queue, Amazon SQS moves the
//     message to the dead-letter-queue" (SQS developer guide, dead-letter queues).
//   - The SDK checks MD5OfMessageBody and MD5OfBody, so both are the hex MD5 of the body.

type queue struct {
	name, arn, url, account, region string
	attrs                           map[string]string
	visibility                      time.Duration
	maxReceive                      int
	dlq                             string // ARN
	msgs                            []*message
	notify                          chan struct{}
	created                         time.Time
}

type message struct {
	id, body, handle string
	receives         int
	visibleAt        time.Time
	sent             time.Time
}

var queueNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}(\.fifo)?$`)

func sqsOps() map[string]handler {
	return map[string]handler{
		"CreateQueue":             sqsCreateQueue,
		"GetQueueUrl":             sqsGetQueueURL,
		"GetQueueAttributes":      sqsGetQueueAttributes,
		"SendMessage":             sqsSendMessage,
		"ReceiveMessage":          sqsReceiveMessage,
		"DeleteMessage":           sqsDeleteMessage,
		"DeleteMessageBatch":      sqsDeleteMessageBatch,
		"ChangeMessageVisibility": sqsChangeMessageVisibility,
		"DeleteQueue":             sqsDeleteQueue,
	}
}

func sqsNoQueue() error {
	return &apiError{code: "QueueDoesNotExist", msg: "The specified queue does not exist.", status: 400,
		extra: map[string]string{"__queryError": "AWS.SimpleQueueService.NonExistentQueue"}}
}

func (s *Server) queueURL(acct, name string) string { return s.URL + "/" + acct + "/" + name }

// queueOf finds the queue a QueueUrl names: the account's own, or another account's (no queue policies are modelled:
// a cross-account caller is refused).
func (s *Server) queueOf(c *call) (*queue, error) {
	u := c.str("QueueUrl")
	if u == "" {
		return nil, errf(400, "MissingParameter", "The request must contain the parameter QueueUrl.")
	}
	for _, q := range s.w.queues {
		if q.url == u || strings.HasSuffix(u, "/"+q.account+"/"+q.name) {
			if q.account != c.acct.id {
				return nil, errf(400, "AccessDenied", "Access to the resource %s is denied.", u)
			}
			return q, nil
		}
	}
	return nil, sqsNoQueue()
}

func sqsCreateQueue(s *Server, c *call) (any, error) {
	name := c.str("QueueName")
	if !queueNameRe.MatchString(name) {
		return nil, errf(400, "InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	attrs := map[string]string{}
	if err := c.decode("Attributes", &attrs); err != nil {
		return nil, err
	}
	arn := s.w.arn("sqs", c.region, c.acct.id, name)
	if q := s.w.queues[arn]; q != nil {
		for k, v := range attrs {
			if q.attrs[k] != v {
				return nil, errf(400, "QueueNameExists", "A queue already exists with the same name and a different value for attribute %s", k)
			}
		}
		return map[string]any{"QueueUrl": q.url}, nil
	}
	q := &queue{name: name, arn: arn, url: s.queueURL(c.acct.id, name), account: c.acct.id, region: c.region, attrs: attrs,
		visibility: 30 * time.Second, notify: make(chan struct{}), created: c.now}
	if v, ok := attrs["VisibilityTimeout"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 43200 {
			return nil, errf(400, "InvalidAttributeValue", "Invalid value for the parameter VisibilityTimeout.")
		}
		q.visibility = time.Duration(n) * time.Second
	}
	if v, ok := attrs["RedrivePolicy"]; ok {
		var rp struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     any    `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(v), &rp); err != nil || rp.DeadLetterTargetArn == "" {
			return nil, errf(400, "InvalidAttributeValue", "Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.", v)
		}
		n, _ := strconv.Atoi(fmt.Sprint(rp.MaxReceiveCount))
		if n < 1 || n > 1000 {
			return nil, errf(400, "InvalidAttributeValue", "Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: %v, valid values are from 1 to 1000 both inclusive.", v, rp.MaxReceiveCount)
		}
		if s.w.queues[rp.DeadLetterTargetArn] == nil {
			return nil, errf(400, "InvalidAttributeValue", "Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", v)
		}
		q.dlq, q.maxReceive = rp.DeadLetterTargetArn, n
	}
	s.w.queues[arn] = q
	return map[string]any{"QueueUrl": q.url}, nil
}

func sqsGetQueueURL(s *Server, c *call) (any, error) {
	owner := c.str("QueueOwnerAWSAccountId")
	if owner == "" {
		owner = c.acct.id
	}
	q := s.w.queues[s.w.arn("sqs", c.region, owner, c.str("QueueName"))]
	if q == nil || q.account != c.acct.id {
		return nil, sqsNoQueue()
	}
	return map[string]any{"QueueUrl": q.url}, nil
}

func sqsGetQueueAttributes(s *Server, c *call) (any, error) {
	q, err := s.queueOf(c)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	visible, hidden := 0, 0
	for _, m := range q.msgs {
		if m.visibleAt.After(now) {
			hidden++
		} else {
			visible++
		}
	}
	all := map[string]string{"QueueArn": q.arn, "ApproximateNumberOfMessages": strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(hidden), "VisibilityTimeout": strconv.Itoa(int(q.visibility / time.Second)),
		"CreatedTimestamp": strconv.FormatInt(q.created.Unix(), 10)}
	if rp, ok := q.attrs["RedrivePolicy"]; ok {
		all["RedrivePolicy"] = rp
	}
	var names []string
	if err := c.decode("AttributeNames", &names); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, n := range names {
		if n == "All" {
			out = all
			break
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return map[string]any{"Attributes": out}, nil
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// enqueue adds a message and wakes long pollers. The world lock is held.
func (w *world) enqueue(q *queue, body string) *message {
	w.seq++
	m := &message{id: fmt.Sprintf("6d7f0000-0000-4000-8000-%012x", w.seq), body: body, sent: time.Now()}
	q.msgs = append(q.msgs, m)
	close(q.notify)
	q.notify = make(chan struct{})
	return m
}

func sqsSendMessage(s *Server, c *call) (any, error) {
	q, err := s.queueOf(c)
	if err != nil {
		return nil, err
	}
	body := c.str("MessageBody")
	if body == "" {
		return nil, errf(400, "MissingParameter", "The request must contain the parameter MessageBody.")
	}
	if len(body) > 262144 {
		return nil, errf(400, "InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.")
	}
	m := s.w.enqueue(q, body)
	return map[string]any{"MessageId": m.id, "MD5OfMessageBody": md5hex(body)}, nil
}

// sqsReceiveMessage returns visible messages, long-polling without holding the world lock while it waits.
func sqsReceiveMessage(s *Server, c *call) (any, error) {
	q, err := s.queueOf(c)
	if err != nil {
		return nil, err
	}
	max, wait := 1, 0
	if err := c.decode("MaxNumberOfMessages", &max); err != nil {
		return nil, err
	}
	if max < 1 || max > 10 {
		return nil, errf(400, "InvalidParameterValue", "Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", max)
	}
	if err := c.decode("WaitTimeSeconds", &wait); err != nil {
		return nil, err
	}
	if wait < 0 || wait > 20 {
		return nil, errf(400, "InvalidParameterValue", "Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", wait)
	}
	vis := q.visibility
	if c.has("VisibilityTimeout") {
		var n int
		if err := c.decode("VisibilityTimeout", &n); err != nil {
			return nil, err
		}
		vis = time.Duration(n) * time.Second
	}
	deadline := time.Now().Add(time.Duration(wait) * time.Second)
	for {
		out := s.w.receive(q, max, vis)
		if len(out) > 0 || !time.Now().Before(deadline) {
			return map[string]any{"Messages": out}, nil
		}
		// Wait for a new message, a message becoming visible again, the deadline or the caller going away.
		next := deadline
		for _, m := range q.msgs {
			if m.visibleAt.After(time.Now()) && m.visibleAt.Before(next) {
				next = m.visibleAt
			}
		}
		ch := q.notify
		s.w.mu.Unlock()
		t := time.NewTimer(time.Until(next))
		select {
		case <-ch:
		case <-t.C:
		case <-c.ctx.Done():
		}
		t.Stop()
		s.w.mu.Lock()
		if c.ctx.Err() != nil {
			return map[string]any{"Messages": []map[string]any{}}, nil
		}
	}
}

// receive hands out up to max visible messages, moving those past maxReceiveCount to the dead-letter queue.
func (w *world) receive(q *queue, max int, vis time.Duration) []map[string]any {
	now := time.Now()
	out := []map[string]any{}
	keep := q.msgs[:0]
	var moved []*message
	for _, m := range q.msgs {
		if len(out) < max && !m.visibleAt.After(now) {
			if q.dlq != "" && m.receives >= q.maxReceive {
				moved = append(moved, m)
				continue
			}
			m.receives++
			w.seq++
			m.handle = fmt.Sprintf("rh-%s-%d-%d", m.id, m.receives, w.seq)
			m.visibleAt = now.Add(vis)
			out = append(out, map[string]any{"MessageId": m.id, "ReceiptHandle": m.handle, "MD5OfBody": md5hex(m.body), "Body": m.body,
				"Attributes": map[string]string{"ApproximateReceiveCount": strconv.Itoa(m.receives),
					"SentTimestamp": strconv.FormatInt(m.sent.UnixMilli(), 10)}})
		}
		keep = append(keep, m)
	}
	q.msgs = keep
	if d := w.queues[q.dlq]; d != nil {
		for _, m := range moved {
			w.enqueue(d, m.body)
		}
	}
	return out
}

func (s *Server) messageOf(c *call) (*queue, int, error) {
	q, err := s.queueOf(c)
	if err != nil {
		return nil, 0, err
	}
	h := c.str("ReceiptHandle")
	for i, m := range q.msgs {
		if m.handle != "" && m.handle == h {
			return q, i, nil
		}
	}
	return nil, 0, errf(400, "ReceiptHandleIsInvalid", "The input receipt handle \"%s\" is not a valid receipt handle.", h)
}

func sqsDeleteMessage(s *Server, c *call) (any, error) {
	q, i, err := s.messageOf(c)
	if err != nil {
		return nil, err
	}
	q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
	return nil, nil
}

// sqsDeleteMessageBatch deletes up to ten messages (SQS API reference, DeleteMessageBatch): Entries of Id and
// ReceiptHandle; "The result of the action on each message is reported individually in the response", as Successful
// (Id) or Failed (Id, Code, Message, SenderFault); no entries is EmptyBatchRequest, more than ten
// TooManyEntriesInBatchRequest, a repeated Id BatchEntryIdsNotDistinct. It takes the sqs:DeleteMessage permission
// (Amazon SQS API permissions reference: batch actions use their single action's permission).
func sqsDeleteMessageBatch(s *Server, c *call) (any, error) {
	q, err := s.queueOf(c)
	if err != nil {
		return nil, err
	}
	type entry struct{ Id, ReceiptHandle string }
	var entries []entry
	if err := c.decode("Entries", &entries); err != nil {
		return nil, err
	}
	switch {
	case len(entries) == 0:
		return nil, errf(400, "EmptyBatchRequest", "There should be at least one DeleteMessageBatchRequestEntry in the request.")
	case len(entries) > 10:
		return nil, errf(400, "TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent %d.", len(entries))
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.Id] {
			return nil, errf(400, "BatchEntryIdsNotDistinct", "Id %s repeated.", e.Id)
		}
		seen[e.Id] = true
	}
	ok, failed := []map[string]any{}, []map[string]any{}
	for _, e := range entries {
		i := slices.IndexFunc(q.msgs, func(m *message) bool { return m.handle != "" && m.handle == e.ReceiptHandle })
		if i < 0 {
			failed = append(failed, map[string]any{"Id": e.Id, "Code": "ReceiptHandleIsInvalid", "SenderFault": true,
				"Message": fmt.Sprintf("The input receipt handle %q is not a valid receipt handle.", e.ReceiptHandle)})
			continue
		}
		q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
		ok = append(ok, map[string]any{"Id": e.Id})
	}
	return map[string]any{"Successful": ok, "Failed": failed}, nil
}

func sqsChangeMessageVisibility(s *Server, c *call) (any, error) {
	q, i, err := s.messageOf(c)
	if err != nil {
		return nil, err
	}
	var n int
	if err := c.decode("VisibilityTimeout", &n); err != nil {
		return nil, err
	}
	if n < 0 || n > 43200 {
		return nil, errf(400, "InvalidParameterValue", "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.", n)
	}
	q.msgs[i].visibleAt = time.Now().Add(time.Duration(n) * time.Second)
	if n == 0 {
		close(q.notify)
		q.notify = make(chan struct{})
	}
	return nil, nil
}

func sqsDeleteQueue(s *Server, c *call) (any, error) {
	q, err := s.queueOf(c)
	if err != nil {
		return nil, err
	}
	delete(s.w.queues, q.arn)
	return nil, nil
}

// QueueDepth is the number of messages in a queue (visible or not), for tests.
func (s *Server) QueueDepth(arn string) int {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	if q := s.w.queues[arn]; q != nil {
		return len(q.msgs)
	}
	return -1
}
