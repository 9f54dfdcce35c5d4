package awssim

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Amazon EventBridge (awsJson1.1, target AWSEvents): event buses with their policies, rules with event patterns, and
// targets (SQS queues, other accounts' buses). Shapes and errors: botocore events/2015-10-07/service-2.json. Event
// pattern matching follows the EventBridge user guide ("Event patterns", "Content filtering"): a pattern field lists
// the accepted values; exact strings and numbers, {"prefix"}, {"suffix"}, {"anything-but"} (a value, a list or a
// prefix), {"exists"}; an array in the event matches when any element does; every field of the pattern must match.

type bus struct {
	name, arn, account, region string
	policy                     []busGrant
	rules                      map[string]*rule
}

// busGrant admits events from an account ("*" with an organization condition admits the organization).
type busGrant struct {
	sid, principal, orgID string
}

type rule struct {
	name, arn, pattern, state, schedule string
	compiled                            map[string]any
	targets                             []target
}

type target struct {
	ID  string `json:"Id"`
	Arn string `json:"Arn"`
}

var ruleNameRe = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)

func eventsOps() map[string]handler {
	return map[string]handler{
		"CreateEventBus":    ebCreateEventBus,
		"PutPermission":     ebPutPermission,
		"PutRule":           ebPutRule,
		"PutTargets":        ebPutTargets,
		"ListRules":         ebListRules,
		"ListTargetsByRule": ebListTargetsByRule,
		"RemoveTargets":     ebRemoveTargets,
		"DeleteRule":        ebDeleteRule,
		"PutEvents":         ebPutEvents,
	}
}

// busOf returns the caller's bus by name or ARN (default: "default", created on first use as in AWS, where every
// account has one in every region).
func (s *Server) busOf(c *call, nameOrARN string) (*bus, error) {
	name := nameOrARN
	if name == "" {
		name = "default"
	}
	if strings.HasPrefix(name, "arn:") {
		name = name[strings.LastIndex(name, "/")+1:]
	}
	b := s.w.bus(c.acct.id, c.region, name)
	if b == nil {
		return nil, errf(400, "ResourceNotFoundException", "Event bus %s does not exist.", name)
	}
	return b, nil
}

func (w *world) busARN(acct, region, name string) string {
	return w.arn("events", region, acct, "event-bus/"+name)
}

// bus finds a bus; the default bus always exists.
func (w *world) bus(acct, region, name string) *bus {
	arn := w.busARN(acct, region, name)
	b := w.buses[arn]
	if b == nil && name == "default" {
		b = &bus{name: name, arn: arn, account: acct, region: region, rules: map[string]*rule{}}
		w.buses[arn] = b
	}
	return b
}

func ebCreateEventBus(s *Server, c *call) (any, error) {
	name := c.str("Name")
	if !ruleNameRe.MatchString(name) || name == "default" {
		return nil, errf(400, "ValidationException", "Event bus name %q is invalid.", name)
	}
	arn := s.w.busARN(c.acct.id, c.region, name)
	if s.w.buses[arn] != nil {
		return nil, errf(400, "ResourceAlreadyExistsException", "Event bus %s already exists.", name)
	}
	s.w.buses[arn] = &bus{name: name, arn: arn, account: c.acct.id, region: c.region, rules: map[string]*rule{}}
	return map[string]any{"EventBusArn": arn}, nil
}

// ebPutPermission grants an account, or with Principal "*" and an aws:PrincipalOrgID condition the organization,
// the right to send events to the bus ("If all the accounts are members of the same AWS organization, you can run
// PutPermission once specifying Principal as "*" and specifying the AWS organization ID in Condition": API reference).
func ebPutPermission(s *Server, c *call) (any, error) {
	b, err := s.busOf(c, c.str("EventBusName"))
	if err != nil {
		return nil, err
	}
	if c.has("Policy") {
		return nil, errf(400, "ValidationException", "The simulator takes PutPermission with Action, Principal and StatementId (and an aws:PrincipalOrgID Condition), not a Policy document.")
	}
	g := busGrant{sid: c.str("StatementId"), principal: c.str("Principal")}
	if c.str("Action") != "events:PutEvents" {
		return nil, errf(400, "ValidationException", "Provided value in parameter 'action' is not supported.")
	}
	var cond struct{ Type, Key, Value string }
	if err := c.decode("Condition", &cond); err != nil {
		return nil, err
	}
	if g.principal == "*" {
		if cond.Key != "aws:PrincipalOrgID" || cond.Value == "" {
			return nil, errf(400, "ValidationException", "A Principal of * needs a Condition with Key aws:PrincipalOrgID.")
		}
		g.orgID = cond.Value
	} else if !accountIDRe.MatchString(g.principal) {
		return nil, errf(400, "ValidationException", "Principal %q must be an account id or *.", g.principal)
	}
	b.policy = slices.DeleteFunc(b.policy, func(x busGrant) bool { return x.sid == g.sid })
	b.policy = append(b.policy, g)
	return nil, nil
}

func (w *world) admits(b *bus, acct string) bool {
	if acct == b.account {
		return true
	}
	for _, g := range b.policy {
		if g.principal == acct || g.principal == "*" && w.org != nil && g.orgID == w.org.ID && w.inOrg(acct) {
			return true
		}
	}
	return false
}

func ebPutRule(s *Server, c *call) (any, error) {
	name := c.str("Name")
	if !ruleNameRe.MatchString(name) {
		return nil, errf(400, "ValidationException", "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", name)
	}
	b, err := s.busOf(c, c.str("EventBusName"))
	if err != nil {
		return nil, err
	}
	r := &rule{name: name, pattern: c.str("EventPattern"), state: c.str("State"), schedule: c.str("ScheduleExpression")}
	if r.state == "" {
		r.state = "ENABLED"
	}
	if r.pattern == "" && r.schedule == "" {
		return nil, errf(400, "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	if r.pattern != "" {
		if err := json.Unmarshal([]byte(r.pattern), &r.compiled); err != nil || len(r.compiled) == 0 {
			return nil, errf(400, "InvalidEventPatternException", "Event pattern is not valid. Reason: it is not a JSON object.")
		}
	}
	if b.name == "default" {
		r.arn = s.w.arn("events", c.region, c.acct.id, "rule/"+name)
	} else {
		r.arn = s.w.arn("events", c.region, c.acct.id, "rule/"+b.name+"/"+name)
	}
	if old := b.rules[name]; old != nil {
		r.targets = old.targets
	}
	b.rules[name] = r
	return map[string]any{"RuleArn": r.arn}, nil
}

func (s *Server) ruleOf(c *call) (*bus, *rule, error) {
	b, err := s.busOf(c, c.str("EventBusName"))
	if err != nil {
		return nil, nil, err
	}
	name := first(c.str("Rule"), c.str("Name"))
	r := b.rules[name]
	if r == nil {
		return nil, nil, errf(400, "ResourceNotFoundException", "Rule %s does not exist on EventBus %s.", name, b.name)
	}
	return b, r, nil
}

func ebPutTargets(s *Server, c *call) (any, error) {
	_, r, err := s.ruleOf(c)
	if err != nil {
		return nil, err
	}
	var ts []target
	if err := c.decode("Targets", &ts); err != nil {
		return nil, err
	}
	failed := []map[string]any{}
	for _, t := range ts {
		if t.ID == "" || !strings.HasPrefix(t.Arn, "arn:") {
			failed = append(failed, map[string]any{"TargetId": t.ID, "ErrorCode": "ValidationException", "ErrorMessage": "Target needs an Id and an ARN."})
			continue
		}
		r.targets = slices.DeleteFunc(r.targets, func(x target) bool { return x.ID == t.ID })
		r.targets = append(r.targets, t)
	}
	return map[string]any{"FailedEntryCount": len(failed), "FailedEntries": failed}, nil
}

func ebListRules(s *Server, c *call) (any, error) {
	b, err := s.busOf(c, c.str("EventBusName"))
	if err != nil {
		return nil, err
	}
	prefix := c.str("NamePrefix")
	var names []string
	for n := range b.rules {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := []map[string]any{}
	for _, n := range names {
		r := b.rules[n]
		m := map[string]any{"Name": r.name, "Arn": r.arn, "State": r.state, "EventBusName": b.name}
		if r.pattern != "" {
			m["EventPattern"] = r.pattern
		}
		if r.schedule != "" {
			m["ScheduleExpression"] = r.schedule
		}
		out = append(out, m)
	}
	return map[string]any{"Rules": out}, nil
}

func ebListTargetsByRule(s *Server, c *call) (any, error) {
	_, r, err := s.ruleOf(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Targets": append([]target{}, r.targets...)}, nil
}

func ebRemoveTargets(s *Server, c *call) (any, error) {
	_, r, err := s.ruleOf(c)
	if err != nil {
		return nil, err
	}
	var ids []string
	if err := c.decode("Ids", &ids); err != nil {
		return nil, err
	}
	r.targets = slices.DeleteFunc(r.targets, func(t target) bool { return slices.Contains(ids, t.ID) })
	return map[string]any{"FailedEntryCount": 0, "FailedEntries": []any{}}, nil
}

func ebDeleteRule(s *Server, c *call) (any, error) {
	b, r, err := s.ruleOf(c)
	if err != nil {
		return nil, err
	}
	if len(r.targets) > 0 {
		return nil, errf(400, "ValidationException", "Rule can't be deleted since it has targets.")
	}
	delete(b.rules, r.name)
	return nil, nil
}

// ebPutEvents puts custom events on a bus. Sources starting "aws." are reserved for AWS services
// (NotAuthorizedForSourceException, PutEvents API reference).
func ebPutEvents(s *Server, c *call) (any, error) {
	var entries []struct {
		Source, DetailType, Detail, EventBusName string
		Resources                                []string
	}
	if err := c.decode("Entries", &entries); err != nil {
		return nil, err
	}
	if len(entries) < 1 || len(entries) > 10 {
		return nil, errf(400, "ValidationException", "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	out := []map[string]any{}
	failed := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Source, "aws.") {
			failed++
			out = append(out, map[string]any{"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."})
			continue
		}
		var detail any
		if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
			failed++
			out = append(out, map[string]any{"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."})
			continue
		}
		b, err := s.busOf(c, e.EventBusName)
		if err != nil {
			failed++
			out = append(out, map[string]any{"ErrorCode": "ResourceNotFoundException", "ErrorMessage": err.Error()})
			continue
		}
		ev := s.w.newEvent(c.acct.id, c.region, e.Source, e.DetailType, detail, e.Resources, c.now)
		s.w.route(b, ev, 0)
		out = append(out, map[string]any{"EventId": ev["id"]})
	}
	return map[string]any{"FailedEntryCount": failed, "Entries": out}, nil
}

func (w *world) newEvent(acct, region, source, detailType string, detail any, resources []string, at time.Time) map[string]any {
	w.seq++
	if resources == nil {
		resources = []string{}
	}
	return map[string]any{"version": "0", "id": fmt.Sprintf("e7e70000-0000-4000-8000-%012x", w.seq), "detail-type": detailType,
		"source": source, "account": acct, "time": at.UTC().Format(time.RFC3339), "region": region, "resources": resources, "detail": detail}
}

// route matches an event against a bus's rules and delivers it to their targets: SQS queues get the event JSON as the
// message body; another bus gets it when its policy admits the sending account (hop counts cross-bus forwards, as
// EventBridge does not forward an event that already came from another bus more than once).
func (w *world) route(b *bus, ev map[string]any, hop int) {
	names := make([]string, 0, len(b.rules))
	for n := range b.rules {
		names = append(names, n)
	}
	sort.Strings(names)
	body, _ := json.Marshal(ev)
	var generic map[string]any // the event as JSON values, as patterns see it
	_ = json.Unmarshal(body, &generic)
	for _, n := range names {
		r := b.rules[n]
		if r.state != "ENABLED" || r.compiled == nil || !matchPattern(r.compiled, generic) {
			continue
		}
		for _, t := range r.targets {
			parts := strings.Split(t.Arn, ":")
			if len(parts) < 6 {
				continue
			}
			switch parts[2] {
			case "sqs":
				if q := w.queues[t.Arn]; q != nil {
					w.enqueue(q, string(body))
				}
			case "events":
				if hop > 0 {
					continue
				}
				name := t.Arn[strings.LastIndex(t.Arn, "/")+1:]
				if dst := w.bus(parts[4], parts[3], name); dst != nil && w.admits(dst, b.account) {
					w.route(dst, ev, hop+1)
				}
			}
		}
	}
}

// matchPattern reports whether an event matches an EventBridge event pattern.
func matchPattern(pattern map[string]any, ev map[string]any) bool {
	for k, pv := range pattern {
		v, present := ev[k]
		switch p := pv.(type) {
		case map[string]any:
			sub, ok := v.(map[string]any)
			if !ok || !matchPattern(p, sub) {
				return false
			}
		case []any:
			if !matchValues(p, v, present) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func matchValues(accepted []any, v any, present bool) bool {
	vals := []any{v}
	if l, ok := v.([]any); ok {
		vals = l
	}
	for _, a := range accepted {
		if m, ok := a.(map[string]any); ok {
			if e, ok := m["exists"].(bool); ok {
				if e == (present && v != nil) {
					return true
				}
				continue
			}
			if !present {
				continue
			}
			for _, x := range vals {
				if matchOp(m, x) {
					return true
				}
			}
			continue
		}
		if !present {
			continue
		}
		for _, x := range vals {
			if equalJSON(a, x) {
				return true
			}
		}
	}
	return false
}

func matchOp(m map[string]any, x any) bool {
	s, isStr := x.(string)
	if p, ok := m["prefix"].(string); ok {
		return isStr && strings.HasPrefix(s, p)
	}
	if p, ok := m["suffix"].(string); ok {
		return isStr && strings.HasSuffix(s, p)
	}
	if ab, ok := m["anything-but"]; ok {
		switch t := ab.(type) {
		case []any:
			for _, y := range t {
				if equalJSON(y, x) {
					return false
				}
			}
			return true
		case map[string]any:
			if p, ok := t["prefix"].(string); ok {
				return !isStr || !strings.HasPrefix(s, p)
			}
			return false
		default:
			return !equalJSON(t, x)
		}
	}
	return false
}

func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	return false
}

// WatchQueueURL is the URL of the queue the scenario's watch section created, or "" without one.
func (s *Server) WatchQueueURL() string {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	for _, q := range s.w.queues {
		if q.name == WatchQueue {
			return q.url
		}
	}
	return ""
}

// wireWatch sets up the scenario's watch section (Scenario.Watch).
func (s *Server) wireWatch(wt *Watch) error {
	if wt == nil {
		return nil
	}
	w := s.w
	hub, region := wt.Hub, wt.Region
	if region == "" {
		region = "us-east-1"
	}
	if hub == "" {
		if s.sc.Organization != nil {
			hub = s.sc.Organization.ManagementAccount
		} else if len(s.sc.Accounts) > 0 {
			hub = s.sc.Accounts[0].ID
		}
	}
	if w.accounts[hub] == nil {
		return fmt.Errorf("line %d: watch: hub account %q is not an account of the scenario", wt.Line, hub)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	qarn := w.arn("sqs", region, hub, WatchQueue)
	w.queues[qarn] = &queue{name: WatchQueue, arn: qarn, url: s.queueURL(hub, WatchQueue), account: hub, region: region,
		attrs: map[string]string{}, visibility: 120 * time.Second, notify: make(chan struct{}), created: w.clock.Now()}
	barn := w.busARN(hub, region, "trailwatch")
	hubBus := &bus{name: "trailwatch", arn: barn, account: hub, region: region, rules: map[string]*rule{}}
	w.buses[barn] = hubBus
	apiCalls := `{"detail-type":["AWS API Call via CloudTrail","Region Opt-In Status Change"]}`
	add := func(b *bus, name, to string) {
		r := &rule{name: name, pattern: apiCalls, state: "ENABLED", targets: []target{{ID: "trailwatch", Arn: to}}}
		_ = json.Unmarshal([]byte(apiCalls), &r.compiled)
		if b.name == "default" {
			r.arn = w.arn("events", b.region, b.account, "rule/"+name)
		} else {
			r.arn = w.arn("events", b.region, b.account, "rule/"+b.name+"/"+name)
		}
		b.rules[name] = r
	}
	add(hubBus, "trailwatch-hub", qarn)
	add(w.bus(hub, region, "default"), "trailwatch-management", qarn)
	for _, sa := range s.sc.Accounts {
		hubBus.policy = append(hubBus.policy, busGrant{sid: "trailwatch-" + sa.ID, principal: sa.ID})
		if sa.ID == hub {
			continue
		}
		for _, r := range slices.Sorted(maps.Keys(w.accounts[sa.ID].regions)) {
			add(w.bus(sa.ID, r, "default"), "trailwatch-forward", barn)
		}
	}
	return nil
}
