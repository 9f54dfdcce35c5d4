package awssim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

type handler func(s *Server, c *call) (any, error)

// service describes one AWS service's protocol: how it is routed, how it names its errors and how it writes results.
type service struct {
	name           string
	json           bool   // awsJson1.1; else a query protocol
	target         string // X-Amz-Target prefix (JSON)
	version        string // form Version (query)
	xmlns          string
	ec2            bool // ec2Query shapes
	regional       bool
	authCode       string
	authStatus     int
	validationCode string
	internalCode   string
	throttleCode   string
	throttleStatus int
	messageKey     string // "message" or "Message"
	ops            map[string]handler
	resource       func(c *call) string
	rest           map[string]string // restJson1: POST path -> operation
	rpcv2          bool              // also Smithy RPC v2 CBOR at /service/{target}/operation/{op}; JSON is awsJson1.0
	json10         bool              // awsJson1.0 (SQS)
	queryVersion   string            // also awsQuery with this Version (CloudWatch), rendered from the same handlers
}

// services is every simulated service; fixed at start-up.
var services = buildServices()

func serviceByName(name string) *service {
	for _, s := range services {
		if s.name == name {
			return s
		}
	}
	return nil
}

func buildServices() []*service {
	// Protocol facts: shared/reference/aws-behaviour.md §2 (botocore service-2.json metadata; smithy-go error parsing).
	return []*service{
		{name: "cloudtrail", json: true, target: "CloudTrail_20131101", regional: true, authCode: "UnrecognizedClientException",
			authStatus: 400, validationCode: "InvalidParameterException", internalCode: "InternalFailure",
			throttleCode: "ThrottlingException", throttleStatus: 400, messageKey: "Message", ops: cloudtrailOps(),
			resource: func(c *call) string { return first(c.str("Name"), c.str("TrailName")) }},
		{name: "logs", json: true, target: "Logs_20140328", regional: true, authCode: "UnrecognizedClientException",
			authStatus: 400, validationCode: "InvalidParameterException", internalCode: "ServiceUnavailableException",
			throttleCode: "ThrottlingException", throttleStatus: 400, messageKey: "message", ops: logsOps(),
			resource: func(c *call) string { return first(c.str("logGroupName"), c.str("logGroupNamePrefix")) }},
		{name: "organizations", json: true, target: "AWSOrganizationsV20161128", authCode: "UnrecognizedClientException",
			authStatus: 400, validationCode: "InvalidInputException", internalCode: "ServiceException",
			throttleCode: "TooManyRequestsException", throttleStatus: 400, messageKey: "Message", ops: orgOps(),
			resource: func(c *call) string { return c.str("ResourceId") }},
		{name: "config", json: true, target: "StarlingDoveService", regional: true, authCode: "UnrecognizedClientException",
			authStatus: 400, validationCode: "ValidationException", internalCode: "InternalFailure",
			throttleCode: "ThrottlingException", throttleStatus: 400, messageKey: "message", ops: configOps(),
			resource: func(c *call) string {
				return first(c.str("ConformancePackName"), c.str("OrganizationConformancePackName"))
			}},
		{name: "securityhub", json: true, regional: true, authCode: "UnrecognizedClientException", authStatus: 400,
			validationCode: "InvalidInputException", internalCode: "InternalException", throttleCode: "LimitExceededException",
			throttleStatus: 429, messageKey: "Message", ops: securityHubOps(), rest: map[string]string{"/findings/import": "BatchImportFindings"},
			resource: func(c *call) string { return "" }},
		{name: "observabilityadmin", json: true, regional: true, authCode: "UnrecognizedClientException", authStatus: 403,
			validationCode: "ValidationException", internalCode: "InternalServerException", throttleCode: "TooManyRequestsException",
			throttleStatus: 429, messageKey: "Message", ops: telemetryOps(), rest: map[string]string{
				"/GetTelemetryEvaluationStatus": "GetTelemetryEvaluationStatus", "/ListTelemetryRules": "ListTelemetryRules",
				"/GetTelemetryRule": "GetTelemetryRule", "/GetTelemetryEvaluationStatusForOrganization": "GetTelemetryEvaluationStatusForOrganization",
				"/ListTelemetryRulesForOrganization": "ListTelemetryRulesForOrganization", "/GetTelemetryRuleForOrganization": "GetTelemetryRuleForOrganization",
				"/StartTelemetryEvaluation": "StartTelemetryEvaluation", "/StopTelemetryEvaluation": "StopTelemetryEvaluation",
				"/CreateTelemetryRule": "CreateTelemetryRule", "/DeleteTelemetryRule": "DeleteTelemetryRule",
				"/StartTelemetryEvaluationForOrganization": "StartTelemetryEvaluationForOrganization", "/StopTelemetryEvaluationForOrganization": "StopTelemetryEvaluationForOrganization",
				"/CreateTelemetryRuleForOrganization": "CreateTelemetryRuleForOrganization", "/DeleteTelemetryRuleForOrganization": "DeleteTelemetryRuleForOrganization"},
			resource: func(c *call) string { return "" }},
		{name: "securitylake", json: true, regional: true, authCode: "UnrecognizedClientException", authStatus: 403,
			validationCode: "BadRequestException", internalCode: "InternalServerException", throttleCode: "ThrottlingException",
			throttleStatus: 429, messageKey: "message", ops: map[string]handler{"GetDataLakeSources": slGetDataLakeSources, "ListLogSources": slListLogSources},
			rest:     map[string]string{"/v1/datalake/sources": "GetDataLakeSources", "/v1/datalake/logsources/list": "ListLogSources"},
			resource: func(c *call) string { return "" }},
		{name: "iam", version: "2010-05-08", xmlns: "https://iam.amazonaws.com/doc/2010-05-08/", authCode: "InvalidClientTokenId",
			authStatus: 403, validationCode: "ValidationError", internalCode: "ServiceFailure", throttleCode: "Throttling",
			throttleStatus: 400, ops: iamOps(), resource: func(c *call) string { return first(c.str("RoleName"), c.str("PolicyArn")) }},
		{name: "sts", version: "2011-06-15", xmlns: "https://sts.amazonaws.com/doc/2011-06-15/", regional: true,
			authCode: "InvalidClientTokenId", authStatus: 403, validationCode: "ValidationError", internalCode: "InternalFailure",
			throttleCode: "Throttling", throttleStatus: 400, ops: stsOps(), resource: func(c *call) string { return c.str("RoleArn") }},
		// CloudWatch: Smithy RPC v2 CBOR and awsJson1.0 (awsQueryCompatible). Codes from its service-2.json.
		{name: "cloudwatch", json: true, rpcv2: true, target: "GraniteServiceVersion20100801", queryVersion: "2010-08-01",
			xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/", regional: true,
			authCode: "InvalidClientTokenId", authStatus: 403, validationCode: "ValidationError", internalCode: "InternalServiceError",
			throttleCode: "Throttling", throttleStatus: 400, messageKey: "message", ops: cloudwatchOps(),
			resource: func(c *call) string { return c.str("AlarmName") }},
		{name: "sns", version: "2010-03-31", xmlns: "http://sns.amazonaws.com/doc/2010-03-31/", regional: true,
			authCode: "InvalidClientTokenId", authStatus: 403, validationCode: "InvalidParameter", internalCode: "InternalError",
			throttleCode: "Throttled", throttleStatus: 400, ops: snsOps(), resource: func(c *call) string { return c.str("TopicArn") }},
		// SQS: awsJson1.0, awsQueryCompatible. EventBridge: awsJson1.1. Codes from their service-2.json.
		{name: "sqs", json: true, json10: true, target: "AmazonSQS", regional: true, authCode: "InvalidClientTokenId", authStatus: 403,
			validationCode: "InvalidParameterValue", internalCode: "InternalError", throttleCode: "RequestThrottled", throttleStatus: 400,
			messageKey: "message", ops: sqsOps(), resource: func(c *call) string { return first(c.str("QueueUrl"), c.str("QueueName")) }},
		{name: "events", json: true, target: "AWSEvents", regional: true, authCode: "UnrecognizedClientException", authStatus: 400,
			validationCode: "ValidationException", internalCode: "InternalException", throttleCode: "ThrottlingException", throttleStatus: 400,
			messageKey: "message", ops: eventsOps(), resource: func(c *call) string { return first(c.str("Rule"), c.str("Name")) }},
		{name: "ec2", version: "2016-11-15", xmlns: "http://ec2.amazonaws.com/doc/2016-11-15/", ec2: true, regional: true,
			authCode: "AuthFailure", authStatus: 401, validationCode: "InvalidParameterValue", internalCode: "InternalError",
			throttleCode: "RequestLimitExceeded", throttleStatus: 503, ops: ec2Ops(), resource: func(c *call) string { return "" }},
	}
}

func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func (svc *service) resourceOf(c *call) string { return svc.resource(c) }

func (svc *service) throttle() *apiError {
	msg := "Rate exceeded"
	if svc.ec2 {
		msg = "Request limit exceeded."
	}
	return errf(svc.throttleStatus, svc.throttleCode, "%s", msg)
}

func (svc *service) writeError(rw http.ResponseWriter, c *call, e *apiError) {
	if c.query {
		kind := "Sender"
		if e.status >= 500 {
			kind = "Receiver"
		}
		rw.Header().Set("Content-Type", "text/xml")
		rw.WriteHeader(e.status)
		fmt.Fprintf(rw, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			svc.xmlns, kind, xmlEscape(e.code), xmlEscape(e.msg), c.reqID)
		return
	}
	if c.cbor {
		kind := "Sender"
		if e.status >= 500 {
			kind = "Receiver"
		}
		writeCBOR(rw, c.reqID, e.status, map[string]any{"__type": e.code, "message": e.msg}, e.code+";"+kind)
		return
	}
	if svc.json {
		key := svc.messageKey
		if key == "" {
			key = "message"
		}
		rw.Header().Set("X-Amzn-ErrorType", e.code)
		body := map[string]string{"__type": e.code, key: e.msg}
		for k, v := range e.extra {
			if k == "__queryError" { // awsQueryCompatible services (SQS): the query-protocol code rides in a header
				rw.Header().Set("x-amzn-query-error", v+";Sender")
				continue
			}
			body[k] = v
		}
		writeJSONAs(rw, c.reqID, e.status, body, svc.contentType())
		return
	}
	rw.Header().Set("Content-Type", "text/xml")
	rw.WriteHeader(e.status)
	if svc.ec2 {
		fmt.Fprintf(rw, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`,
			xmlEscape(e.code), xmlEscape(e.msg), c.reqID)
		return
	}
	kind := "Sender"
	if e.status >= 500 {
		kind = "Receiver"
	}
	fmt.Fprintf(rw, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		svc.xmlns, kind, xmlEscape(e.code), xmlEscape(e.msg), c.reqID)
}

// contentType is the response Content-Type of a JSON service: restJson1 services answer application/json (Security
// Hub), awsJson1.1 services application/x-amz-json-1.1.
func (svc *service) contentType() string {
	if len(svc.rest) > 0 {
		return "application/json"
	}
	if svc.rpcv2 || svc.json10 {
		return "application/x-amz-json-1.0"
	}
	return "application/x-amz-json-1.1"
}

func (svc *service) writeResult(rw http.ResponseWriter, c *call, out any) {
	if c.query {
		writeQueryResult(rw, c, out, svc.xmlns)
		return
	}
	if c.cbor {
		writeCBOR(rw, c.reqID, 200, out, "")
		return
	}
	if svc.rpcv2 {
		out = jsonable(out)
	}
	if svc.json {
		writeJSONAs(rw, c.reqID, 200, out, svc.contentType())
		return
	}
	x, _ := out.(*xmlb)
	rw.Header().Set("Content-Type", "text/xml")
	rw.Header().Set("x-amzn-RequestId", c.reqID)
	rw.WriteHeader(200)
	var b strings.Builder
	if svc.ec2 {
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<%sResponse xmlns="%s"><requestId>%s</requestId>`, c.op, svc.xmlns, c.reqID)
		if x != nil {
			b.WriteString(x.String())
		}
		fmt.Fprintf(&b, `</%sResponse>`, c.op)
	} else {
		fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, c.op, svc.xmlns)
		if x != nil {
			fmt.Fprintf(&b, `<%sResult>%s</%sResult>`, c.op, x.String(), c.op)
		}
		fmt.Fprintf(&b, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, c.reqID, c.op)
	}
	_, _ = rw.Write([]byte(b.String()))
}

// xmlb builds the XML body of a query-protocol result.
type xmlb struct{ b strings.Builder }

func newXML() *xmlb { return &xmlb{} }

func (x *xmlb) open(tag string) *xmlb  { x.b.WriteString("<" + tag + ">"); return x }
func (x *xmlb) close(tag string) *xmlb { x.b.WriteString("</" + tag + ">"); return x }
func (x *xmlb) elem(tag, v string) *xmlb {
	x.b.WriteString("<" + tag + ">" + xmlEscape(v) + "</" + tag + ">")
	return x
}
func (x *xmlb) String() string { return x.b.String() }

func xmlEscape(s string) string {
	return xmlEscaper.Replace(s)
}

// xmlEscaper is built once: building a Replacer per value was 7% of the simulator's CPU in the organization benchmark.
var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

// faultRule is a compiled Fault.
type faultRule struct {
	svc, op, account, region, resource string
	code, msg                          string
	rate                               float64
	throttle                           float64
	count, after                       int
	latency                            time.Duration
	mu                                 sync.Mutex
	fired, passed                      int
}

func newFaultRule(f Fault) *faultRule {
	fr := &faultRule{account: f.Account, region: f.Region, resource: f.Resource, code: f.Error, msg: f.Message,
		throttle: f.ThrottleRate, count: f.Count, after: f.After, latency: time.Duration(f.Latency), rate: 1}
	if f.Rate != nil {
		fr.rate = *f.Rate
	}
	if f.Operation != "*" {
		fr.svc, fr.op, _ = strings.Cut(f.Operation, ":")
	}
	return fr
}

func (f *faultRule) matches(c *call) bool {
	if f.svc != "" && f.svc != c.svc.name {
		return false
	}
	if f.op != "" && f.op != "*" && f.op != c.op {
		return false
	}
	if f.account != "" && f.account != "*" && f.account != c.cred.account {
		return false
	}
	if f.region != "" && f.region != "*" && f.region != c.region {
		return false
	}
	if f.resource != "" && f.resource != "*" {
		if !globMatch(f.resource, c.resName, false) && !strings.HasSuffix(c.resName, "/"+f.resource) {
			return false
		}
	}
	return true
}

// delay is the latency this call gets from the rule. A latency-only rule lets its first after matching calls through
// (a listing whose second page hangs), and with a count slows only the count matching calls after them (a call that
// hangs once, then answers).
func (f *faultRule) delay() time.Duration {
	if f.latency == 0 {
		return 0
	}
	if f.code == "" && f.throttle == 0 {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.passed < f.after {
			f.passed++
			return 0
		}
		if f.count > 0 && f.fired >= f.count {
			return 0
		}
		f.fired++
	}
	return f.latency
}

// fire decides whether this call fails, and how.
func (f *faultRule) fire(c *call, s *Server) *apiError {
	if f.code == "" && f.throttle == 0 {
		return nil
	}
	f.mu.Lock()
	if f.passed < f.after {
		f.passed++
		f.mu.Unlock()
		return nil
	}
	if f.count > 0 && f.fired >= f.count {
		f.mu.Unlock()
		return nil
	}
	f.mu.Unlock()
	var e *apiError
	switch {
	case f.throttle > 0 && s.random() < f.throttle:
		e = c.svc.throttle()
	case f.code != "" && (f.rate >= 1 || s.random() < f.rate):
		e = faultError(c, f.code, f.msg)
	}
	if e != nil {
		f.mu.Lock()
		f.fired++
		f.mu.Unlock()
	}
	return e
}

// faultError builds an injected error with the status AWS uses for that code.
func faultError(c *call, code, msg string) *apiError {
	status := 400
	switch {
	case strings.Contains(code, "AccessDenied") && !c.svc.json:
		status = 403
	case code == "AccessDeniedException" && c.svc.name == "cloudtrail":
		status = 400
	case strings.Contains(code, "Internal") || strings.Contains(code, "ServiceFailure") || code == "ServiceException":
		status = 500
	case strings.Contains(code, "Unavailable"):
		status = 503
	}
	if msg == "" {
		switch {
		case strings.Contains(code, "AccessDenied"):
			msg = fmt.Sprintf("User: %s is not authorized to perform: %s:%s", c.cred.arn, c.svc.name, c.op)
		case status >= 500:
			msg = "We encountered an internal error. Please try again."
		default:
			msg = "Injected fault."
		}
	}
	if (code == "AccessDenied" || code == "AccessDeniedException") && c.svc.ec2 {
		code = "UnauthorizedOperation"
	}
	return errf(status, code, "%s", msg)
}

func (s *Server) matchingFaults(c *call) []*faultRule {
	var out []*faultRule
	for _, f := range s.global {
		if f.matches(c) {
			out = append(out, f)
		}
	}
	s.w.mu.Lock()
	a := s.w.accounts[c.cred.account]
	s.w.mu.Unlock()
	for _, f := range a.faults {
		if f.matches(c) {
			out = append(out, f)
		}
	}
	return out
}

// counters count calls per service, operation, account and region, and the errors they returned. An attempt of a
// call the server already answered successfully is not counted again: the SDK retries no success, so such an attempt
// is a transport retry (the client lost the answer to a connection reset under load, SDKConfig's retryer) and the
// call was made once. answered keeps the invocation ids of the last answered calls, in a ring.
type counters struct {
	mu       sync.Mutex
	m        map[CallKey]*CallCount
	answered map[string]bool
	ring     []string
	next     int
}

// answeredRing bounds the invocation ids kept: a transport retry follows its first attempt within milliseconds.
const answeredRing = 4096

// CallKey names one cell of the counters.
type CallKey struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
	Account   string `json:"account"`
	Region    string `json:"region"`
}

// CallCount is what one cell counted.
type CallCount struct {
	CallKey
	Calls  int            `json:"calls"`
	Errors map[string]int `json:"errors,omitempty"`
}

func newCounters() *counters {
	return &counters{m: map[CallKey]*CallCount{}, answered: map[string]bool{}, ring: make([]string, answeredRing)}
}

func (k *counters) add(c *call, errCode string) {
	acct := ""
	if c.cred != nil {
		acct = c.cred.account
	}
	key := CallKey{Service: c.svc.name, Operation: c.op, Account: acct, Region: c.region}
	k.mu.Lock()
	defer k.mu.Unlock()
	if id := c.invocation; id != "" && errCode == "" {
		if k.answered[id] {
			return
		}
		delete(k.answered, k.ring[k.next])
		k.ring[k.next], k.answered[id] = id, true
		k.next = (k.next + 1) % answeredRing
	}
	cc := k.m[key]
	if cc == nil {
		cc = &CallCount{CallKey: key}
		k.m[key] = cc
	}
	cc.Calls++
	if errCode != "" {
		if cc.Errors == nil {
			cc.Errors = map[string]int{}
		}
		cc.Errors[errCode]++
	}
}

// Counters returns a snapshot of the call counters, sorted.
func (s *Server) Counters() []CallCount {
	s.counters.mu.Lock()
	defer s.counters.mu.Unlock()
	out := make([]CallCount, 0, len(s.counters.m))
	for _, cc := range s.counters.m {
		c := *cc
		if cc.Errors != nil {
			c.Errors = map[string]int{}
			for k, v := range cc.Errors {
				c.Errors[k] = v
			}
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].CallKey, out[j].CallKey
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		if a.Operation != b.Operation {
			return a.Operation < b.Operation
		}
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Region < b.Region
	})
	return out
}

// CallsTo sums the calls to "service:Operation" (or "service:*", or "*") over every account and region.
func (s *Server) CallsTo(op string) int {
	svc, name, _ := strings.Cut(op, ":")
	n := 0
	for _, c := range s.Counters() {
		if (op == "*" || c.Service == svc) && (name == "*" || name == "" || c.Operation == name) {
			n += c.Calls
		}
	}
	return n
}

// ResetCounters zeroes the call counters.
func (s *Server) ResetCounters() {
	s.counters.mu.Lock()
	s.counters.m, s.counters.answered, s.counters.ring = map[CallKey]*CallCount{}, map[string]bool{}, make([]string, answeredRing)
	s.counters.mu.Unlock()
}

// admin serves /_sim/: GET counters, POST counters/reset, GET clock, POST clock?advance=1h.
func (s *Server) admin(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/_sim/counters" && r.Method == http.MethodGet:
		_ = json.NewEncoder(rw).Encode(map[string]any{"counters": s.Counters()})
	case r.URL.Path == "/_sim/counters/reset" && r.Method == http.MethodPost:
		s.ResetCounters()
		_ = json.NewEncoder(rw).Encode(map[string]any{"ok": true})
	case r.URL.Path == "/_sim/clock":
		if r.Method == http.MethodPost {
			d, err := ParseDuration(r.URL.Query().Get("advance"))
			if err != nil {
				rw.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(rw).Encode(map[string]string{"error": "advance: " + err.Error()})
				return
			}
			s.Advance(d)
		}
		_ = json.NewEncoder(rw).Encode(map[string]string{"now": s.Now().Format(time.RFC3339)})
	case r.URL.Path == "/_sim/sns/tokens" && r.Method == http.MethodGet:
		// What the confirmation messages carried: the tokens of the topic's pending subscriptions, by endpoint.
		_ = json.NewEncoder(rw).Encode(map[string]any{"tokens": s.PendingTokens(r.URL.Query().Get("topic"))})
	default:
		rw.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(rw).Encode(map[string]string{"error": "unknown admin endpoint; have GET /_sim/counters, POST /_sim/counters/reset, GET|POST /_sim/clock?advance=1h, GET /_sim/sns/tokens?topic=ARN"})
	}
}
