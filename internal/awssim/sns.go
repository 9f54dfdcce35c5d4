package awssim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Amazon SNS (awsQuery, API 2010-03-31): topics and subscriptions, for the alarm chain. Shapes and errors: botocore
// sns/2010-03-31/service-2.json.
//
// Confirmation rules (SNS API reference, Subscribe): "If the endpoint type is HTTP/S or email, or if the endpoint and
// the topic are not in the same Amazon Web Services account, the endpoint owner must run the ConfirmSubscription
// action to confirm the subscription." Until then ListSubscriptionsByTopic shows SubscriptionArn
// "PendingConfirmation", and Subscribe answers "pending confirmation" unless ReturnSubscriptionArn is true. The
// confirmation token reaches the endpoint (the mailbox, the URL); the simulator keeps it for tests
// (Server.PendingTokens, GET /_sim/sns/tokens?topic=ARN).

type topic struct {
	name, arn, region string
	created           time.Time
	subs              []*subscription
	published         []string // messages, for tests (Server.Published)
}

type subscription struct {
	arn, protocol, endpoint, owner string
	confirmed                      bool
	token                          string
}

var (
	topicNameRe  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	snsProtocols = []string{"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"}
)

// needsConfirm is the Subscribe rule quoted above: http(s) and email endpoints, and an endpoint ARN in another account
// than the topic's (sqs, lambda, firehose), wait for ConfirmSubscription; the others are confirmed at once. The
// scenario's subscriptions and the Subscribe call both follow it.
func needsConfirm(protocol, endpoint, topicAccount string) bool {
	if protocol == "http" || protocol == "https" || protocol == "email" || protocol == "email-json" {
		return true
	}
	p := strings.Split(endpoint, ":")
	return len(p) >= 5 && p[0] == "arn" && p[4] != topicAccount
}

func snsOps() map[string]handler {
	return map[string]handler{
		"CreateTopic":              snsCreateTopic,
		"GetTopicAttributes":       snsGetTopicAttributes,
		"Subscribe":                snsSubscribe,
		"ConfirmSubscription":      snsConfirmSubscription,
		"ListSubscriptionsByTopic": snsListSubscriptionsByTopic,
		"Unsubscribe":              snsUnsubscribe,
		"DeleteTopic":              snsDeleteTopic,
		"Publish":                  snsPublish,
	}
}

func snsInvalid(format string, a ...any) error {
	return errf(400, "InvalidParameter", "Invalid parameter: "+format, a...)
}

func snsNotFound(what string) error { return errf(404, "NotFound", "%s does not exist", what) }

// topicOf finds the topic a call names. A topic of another account is not readable without a topic policy that
// grants it; the simulator models none, so it answers AuthorizationError as AWS does for a caller without access.
func (s *Server) topicOf(c *call, arn string) (*topic, error) {
	if arn == "" {
		return nil, snsInvalid("TopicArn")
	}
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" {
		return nil, snsInvalid("TopicArn")
	}
	if parts[4] != c.acct.id {
		if owner := s.w.accounts[parts[4]]; owner == nil || owner.topics[arn] == nil {
			return nil, snsNotFound("Topic")
		}
		return nil, errf(403, "AuthorizationError", "User: %s is not authorized to perform: SNS:%s on resource: %s", c.cred.arn, c.op, arn)
	}
	if parts[3] != c.region {
		return nil, snsInvalid("TopicArn")
	}
	t := c.acct.topics[arn]
	if t == nil {
		return nil, snsNotFound("Topic")
	}
	return t, nil
}

func snsCreateTopic(s *Server, c *call) (any, error) {
	name := c.str("Name")
	if !topicNameRe.MatchString(name) {
		return nil, snsInvalid("Topic Name")
	}
	arn := s.w.arn("sns", c.region, c.acct.id, name)
	if c.acct.topics[arn] == nil { // CreateTopic is idempotent by name
		c.acct.topics[arn] = &topic{name: name, arn: arn, region: c.region, created: c.now}
	}
	return newXML().elem("TopicArn", arn), nil
}

func snsGetTopicAttributes(s *Server, c *call) (any, error) {
	t, err := s.topicOf(c, c.str("TopicArn"))
	if err != nil {
		return nil, err
	}
	confirmed, pending := 0, 0
	for _, sub := range t.subs {
		if sub.confirmed {
			confirmed++
		} else {
			pending++
		}
	}
	attrs := [][2]string{
		{"TopicArn", t.arn}, {"Owner", c.acct.id}, {"DisplayName", ""},
		{"SubscriptionsConfirmed", fmt.Sprint(confirmed)}, {"SubscriptionsPending", fmt.Sprint(pending)},
		{"SubscriptionsDeleted", "0"},
		{"Policy", fmt.Sprintf(`{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:Publish","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:GetTopicAttributes"],"Resource":"%s","Condition":{"StringEquals":{"AWS:SourceOwner":"%s"}}}]}`, t.arn, c.acct.id)},
	}
	x := newXML().open("Attributes")
	for _, kv := range attrs {
		x.open("entry").elem("key", kv[0]).elem("value", kv[1]).close("entry")
	}
	return x.close("Attributes"), nil
}

func snsSubscribe(s *Server, c *call) (any, error) {
	t, err := s.topicOf(c, c.str("TopicArn"))
	if err != nil {
		return nil, err
	}
	protocol, endpoint := c.str("Protocol"), c.str("Endpoint")
	if !slices.Contains(snsProtocols, protocol) {
		return nil, snsInvalid("Invalid protocol type: %s", protocol)
	}
	if endpoint == "" {
		return nil, snsInvalid("Endpoint")
	}
	confirm := needsConfirm(protocol, endpoint, c.acct.id)
	for _, sub := range t.subs { // subscribing the same endpoint again returns the existing subscription
		if sub.protocol == protocol && sub.endpoint == endpoint {
			return newXML().elem("SubscriptionArn", subscribeAnswer(sub, c.str("ReturnSubscriptionArn") == "true")), nil
		}
	}
	s.w.seq++
	sub := &subscription{arn: fmt.Sprintf("%s:%08x-0000-4000-8000-%012x", t.arn, s.w.seq, s.w.seq), protocol: protocol,
		endpoint: endpoint, owner: c.acct.id, confirmed: !confirm}
	if confirm {
		h := sha256.Sum256([]byte(sub.arn))
		sub.token = hex.EncodeToString(h[:])
	}
	t.subs = append(t.subs, sub)
	return newXML().elem("SubscriptionArn", subscribeAnswer(sub, c.str("ReturnSubscriptionArn") == "true")), nil
}

func subscribeAnswer(sub *subscription, returnARN bool) string {
	if !sub.confirmed && !returnARN {
		return "pending confirmation"
	}
	return sub.arn
}

func snsConfirmSubscription(s *Server, c *call) (any, error) {
	t, err := s.topicOf(c, c.str("TopicArn"))
	if err != nil {
		return nil, err
	}
	tok := c.str("Token")
	for _, sub := range t.subs {
		if sub.token != "" && sub.token == tok {
			sub.confirmed = true
			return newXML().elem("SubscriptionArn", sub.arn), nil
		}
	}
	return nil, snsInvalid("Token")
}

func snsListSubscriptionsByTopic(s *Server, c *call) (any, error) {
	t, err := s.topicOf(c, c.str("TopicArn"))
	if err != nil {
		return nil, err
	}
	start, err := pageStart(c.str("NextToken"), c.svc)
	if err != nil {
		return nil, err
	}
	const page = 100 // "returns a list of up to 100 subscriptions" (ListSubscriptionsByTopic)
	end := min(start+page, len(t.subs))
	x := newXML().open("Subscriptions")
	for _, sub := range t.subs[min(start, len(t.subs)):end] {
		arn := sub.arn
		if !sub.confirmed {
			arn = "PendingConfirmation"
		}
		x.open("member").elem("SubscriptionArn", arn).elem("Owner", sub.owner).elem("Protocol", sub.protocol).
			elem("Endpoint", sub.endpoint).elem("TopicArn", t.arn).close("member")
	}
	x.close("Subscriptions")
	if end < len(t.subs) {
		x.elem("NextToken", pageToken(end))
	}
	return x, nil
}

func snsUnsubscribe(s *Server, c *call) (any, error) {
	arn := c.str("SubscriptionArn")
	for _, t := range c.acct.topics {
		for i, sub := range t.subs {
			if sub.arn == arn {
				t.subs = slices.Delete(t.subs, i, i+1)
				return nil, nil
			}
		}
	}
	return nil, snsNotFound("Subscription")
}

func snsDeleteTopic(s *Server, c *call) (any, error) {
	arn := c.str("TopicArn")
	if p := strings.Split(arn, ":"); len(p) == 6 && p[4] == c.acct.id {
		// "Deleting a topic that doesn't exist doesn't result in an error" (DeleteTopic).
		delete(c.acct.topics, arn)
		return nil, nil
	}
	_, err := s.topicOf(c, arn)
	return nil, err
}

// PendingTokens returns the confirmation tokens of a topic's subscriptions that wait for confirmation, by endpoint:
// what the mailbox or URL would have received.
func (s *Server) PendingTokens(topicARN string) map[string]string {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	out := map[string]string{}
	for _, a := range s.w.accounts {
		if t := a.topics[topicARN]; t != nil {
			for _, sub := range t.subs {
				if !sub.confirmed {
					out[sub.endpoint] = sub.token
				}
			}
		}
	}
	return out
}

// snsPublish records a message on a topic (Subject at most 100 characters, Message at most 256 KB: SNS API reference,
// Publish). Delivery to subscribers is not modelled.
func snsPublish(s *Server, c *call) (any, error) {
	t, err := s.topicOf(c, c.str("TopicArn"))
	if err != nil {
		return nil, err
	}
	msg := c.str("Message")
	if msg == "" {
		return nil, snsInvalid("Empty message")
	}
	if len(msg) > 262144 {
		return nil, snsInvalid("Message too long")
	}
	if len(c.str("Subject")) > 100 {
		return nil, snsInvalid("Subject")
	}
	t.published = append(t.published, msg)
	s.w.seq++
	return newXML().elem("MessageId", fmt.Sprintf("5a1e0000-0000-4000-8000-%012x", s.w.seq)), nil
}

// Published returns the messages published to a topic.
func (s *Server) Published(topicARN string) []string {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	for _, a := range s.w.accounts {
		if t := a.topics[topicARN]; t != nil {
			return append([]string(nil), t.published...)
		}
	}
	return nil
}
