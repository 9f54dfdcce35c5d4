// Package awssim is a loopback AWS: one HTTP listener that speaks the wire protocols of CloudTrail, CloudWatch Logs,
// IAM, STS, Organizations and EC2 (awsJson1.1, awsQuery and ec2Query), so that the real aws-sdk-go-v2 clients and the
// AWS CLI work against it unchanged with only the endpoint pointed at it. It models what matters for the control
// "CloudTrail trails are integrated with CloudWatch Logs": accounts and their enabled regions, organization trails seen
// from members, shadow copies of multi-region trails, CloudWatch Logs delivery as physics, faults, latency, AWS's
// request-rate limits and call counters. The behaviour it reproduces is written down, with sources, in
// shared/reference/aws-behaviour.md and docs/scenario.md.
package awssim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"golang.org/x/time/rate"
)

// Server is a running simulator.
type Server struct {
	URL string

	observe func(service, operation string, status int, body []byte)

	w        *world
	sc       *Scenario
	ln       net.Listener
	srv      *http.Server
	latency  time.Duration
	limits   bool
	global   []*faultRule
	rngMu    sync.Mutex
	rng      *rand.Rand
	bucketMu sync.Mutex
	buckets  map[string]*rate.Limiter
	counters *counters
	reqSeq   uint64
	client   sync.Once
	http     *awshttp.BuildableClient
}

// httpClient is the one HTTP client of the configs SDKConfig returns.
func (s *Server) httpClient() *awshttp.BuildableClient {
	s.client.Do(func() { s.http = awshttp.NewBuildableClient() })
	return s.http
}

// Options tune a simulator started in-process.
type Options struct {
	// Addr is the listen address; default 127.0.0.1:0.
	Addr string
	// Now replaces the real clock that scenario time advances with (tests).
	Now func() time.Time
	// RateLimits turns on AWS's per-account, per-region request rates even when the scenario does not.
	RateLimits bool
	// Observe, when set, is told every response to an AWS operation: the service, the operation, the HTTP status and
	// the body (the conformance test checks each against the service's model).
	Observe func(service, operation string, status int, body []byte)
}

// Check reports what Start would refuse in sc (an error naming the scenario's line), without serving it.
func Check(sc *Scenario) error {
	_, err := newWorld(sc, time.Now)
	return err
}

// Start serves the scenario on a loopback listener until ctx ends or Close is called.
func Start(ctx context.Context, sc *Scenario, opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", sc.file, err)
	}
	w, err := newWorld(sc, opts.Now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sc.file, err)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	s := &Server{
		URL: "http://" + ln.Addr().String(), w: w, sc: sc, ln: ln,
		latency: time.Duration(sc.Latency), limits: sc.RateLimits || opts.RateLimits,
		rng: rand.New(rand.NewSource(sc.Seed)), buckets: map[string]*rate.Limiter{}, counters: newCounters(),
	}
	for _, f := range sc.Faults {
		s.global = append(s.global, newFaultRule(f))
	}
	if err := s.wireWatch(sc.Watch); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("%s: %w", sc.file, err)
	}
	s.observe = opts.Observe
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = s.Close()
	}()
	return s, nil
}

// Close stops the listener.
func (s *Server) Close() error { return s.srv.Close() }

// Now is the scenario's current time.
func (s *Server) Now() time.Time { return s.w.clock.Now() }

// Advance moves scenario time forward by d.
func (s *Server) Advance(d time.Duration) {
	s.w.clock.Advance(d)
	s.w.mu.Lock()
	s.w.reconcile(s.w.clock.Now())
	s.w.mu.Unlock()
}

// Credentials are an account's simulated long-term access key.
type Credentials struct {
	AccountID, AccessKeyID, SecretAccessKey string
}

// Accounts lists each account's credentials, the management account (or the first) first.
func (s *Server) Accounts() []Credentials {
	ids := append([]string(nil), s.w.order...)
	if s.w.org != nil {
		sort.SliceStable(ids, func(i, j int) bool { return ids[i] == s.w.org.ManagementAccount && ids[j] != ids[i] })
	}
	var out []Credentials
	for _, id := range ids {
		out = append(out, Credentials{AccountID: id, AccessKeyID: AccessKeyFor(id), SecretAccessKey: secretFor(id)})
	}
	return out
}

// apiError is an error in the shape of the service's protocol.
type apiError struct {
	code, msg string
	status    int
	// extra are further members of a JSON error shape (Organizations InvalidInputException's Reason).
	extra map[string]string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...), status: status}
}

// call is one authenticated request.
type call struct {
	ctx     context.Context
	svc     *service
	op      string
	region  string
	cred    *credential
	acct    *account
	body    map[string]json.RawMessage // JSON protocols
	form    url.Values                 // query protocols
	reqID   string
	cbor    bool // Smithy RPC v2 CBOR (CloudWatch)
	query   bool // awsQuery for a JSON service's handlers (CloudWatch)
	now     time.Time
	resName string // the resource the call names, for faults
	// invocation is the SDK's amz-sdk-invocation-id, the same on every attempt of one call (the counters count an
	// attempt after an answered one once).
	invocation string
}

func (c *call) str(key string) string {
	if c.form != nil {
		return c.form.Get(key)
	}
	var s string
	if v, ok := c.body[key]; ok {
		_ = json.Unmarshal(v, &s)
	}
	return s
}

func (c *call) has(key string) bool {
	if c.form != nil {
		_, ok := c.form[key]
		return ok
	}
	_, ok := c.body[key]
	return ok
}

func (c *call) decode(key string, out any) error {
	v, ok := c.body[key]
	if !ok {
		return nil
	}
	if c.query {
		// awsQuery carries numbers and booleans as strings: read them as the JSON they stand for.
		var s string
		if json.Unmarshal(v, &s) == nil && (s == "true" || s == "false" || isNumber(s)) {
			if err := json.Unmarshal([]byte(s), out); err == nil {
				return nil
			}
		}
	}
	if err := json.Unmarshal(v, out); err != nil {
		return errf(400, c.svc.validationCode, "1 validation error detected: Value at '%s' failed to satisfy constraint: %v", key, err)
	}
	return nil
}

// recordingWriter keeps a copy of a response for Options.Observe.
type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recordingWriter) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recordingWriter) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// ServeHTTP routes a request to its service and operation.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.admin(rw, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		http.Error(rw, "read body", http.StatusBadRequest)
		return
	}
	reqID := s.requestID()
	if isS3(r) {
		s.serveS3(rw, r, body, reqID)
		return
	}
	svc, op, form := s.route(r, body)
	if s.observe != nil && svc != nil {
		rec := &recordingWriter{ResponseWriter: rw, status: 200}
		rw = rec
		defer func() { s.observe(svc.name, op, rec.status, rec.body.Bytes()) }()
	}
	if svc == nil {
		writeJSONError(rw, reqID, errf(400, "UnknownOperationException", "Unable to determine service/operation name to be authorized"))
		return
	}
	c := &call{ctx: r.Context(), svc: svc, op: op, form: form, reqID: reqID, invocation: r.Header.Get("Amz-Sdk-Invocation-Id")}
	if form != nil && svc.json && svc.queryVersion != "" {
		c.query, c.form, c.body = true, nil, formToJSON(form)
	} else if _, _, ok := rpcv2Route(r.URL.Path); ok && svc.rpcv2 {
		c.cbor = true
		if c.body, err = decodeCBORBody(body); err != nil {
			svc.writeError(rw, c, errf(400, "SerializationException", "Could not decode the CBOR request body: %v", err))
			return
		}
	} else if svc.json {
		c.body = map[string]json.RawMessage{}
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, &c.body); err != nil {
				svc.writeError(rw, c, errf(400, "SerializationException", "Start of structure or map found where not expected."))
				return
			}
		}
	}
	if aerr := s.authenticate(r, c, body); aerr != nil {
		s.counters.add(c, aerr.code)
		svc.writeError(rw, c, aerr)
		return
	}
	h := svc.ops[op]
	if h == nil {
		aerr := errf(400, "UnknownOperationException", "Unknown operation %s", op)
		if !svc.json {
			aerr = errf(400, "InvalidAction", "Could not find operation %s for version %s", op, svc.version)
		}
		svc.writeError(rw, c, aerr)
		return
	}
	c.resName = svc.resourceOf(c)
	if aerr := s.preflight(c); aerr != nil {
		s.counters.add(c, aerr.code)
		svc.writeError(rw, c, aerr)
		return
	}
	s.w.mu.Lock()
	c.now = s.w.clock.Now()
	c.acct = s.w.accounts[c.cred.account]
	out, err := h(s, c)
	var aerr *apiError
	if err != nil && !errors.As(err, &aerr) {
		aerr = errf(500, svc.internalCode, "%v", err)
	}
	s.emitCloudTrailEvent(c, out, aerr)
	s.w.mu.Unlock()
	if aerr != nil {
		s.counters.add(c, aerr.code)
		svc.writeError(rw, c, aerr)
		return
	}
	s.counters.add(c, "")
	svc.writeResult(rw, c, out)
}

func (s *Server) requestID() string {
	s.rngMu.Lock()
	s.reqSeq++
	n := s.reqSeq
	s.rngMu.Unlock()
	return fmt.Sprintf("5e1a0000-0000-4000-8000-%012x", n)
}

// route finds the service and operation: X-Amz-Target for JSON protocols (the short form the Go SDK sends,
// "CloudTrail_20131101.GetTrailStatus", and the long one botocore sends,
// "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.GetTrailStatus"), else the form's Version and Action.
func (s *Server) route(r *http.Request, body []byte) (*service, string, url.Values) {
	for _, svc := range services {
		if op, ok := svc.rest[r.URL.Path]; ok && r.Method == http.MethodPost {
			return svc, op, nil
		}
	}
	if name, op, ok := rpcv2Route(r.URL.Path); ok && r.Method == http.MethodPost {
		for _, svc := range services {
			if svc.rpcv2 && svc.target == name {
				return svc, op, nil
			}
		}
		return nil, "", nil
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		i := strings.LastIndex(target, ".")
		if i < 0 {
			return nil, "", nil
		}
		prefix, op := target[:i], target[i+1:]
		if j := strings.LastIndex(prefix, "."); j >= 0 {
			prefix = prefix[j+1:]
		}
		for _, svc := range services {
			if svc.json && svc.target == prefix {
				return svc, op, nil
			}
		}
		return nil, "", nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, "", nil
	}
	if r.URL.RawQuery != "" {
		if q, err := url.ParseQuery(r.URL.RawQuery); err == nil {
			for k, v := range q {
				form[k] = v
			}
		}
	}
	version := form.Get("Version")
	for _, svc := range services {
		if !svc.json && svc.version == version || svc.queryVersion != "" && svc.queryVersion == version && r.Header.Get("X-Amz-Target") == "" {
			return svc, form.Get("Action"), form
		}
	}
	return nil, "", nil
}

// authenticate reads the SigV4 credential scope (Credential=AKID/date/region/service/aws4_request) for the calling
// key and region, checks that the key exists (and the session token of temporary keys), and verifies the signature
// with the key's secret (verifySignature).
func (s *Server) authenticate(r *http.Request, c *call, body []byte) *apiError {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		if c.svc.json {
			return errf(400, "MissingAuthenticationTokenException", "Missing Authentication Token")
		}
		return errf(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok || !strings.HasPrefix(auth, "AWS4-HMAC-SHA256") {
		return errf(400, c.svc.authCode, "Authorization header requires 'Credential' parameter. Authorization=%s", strings.SplitN(auth, " ", 2)[0])
	}
	scope := strings.SplitN(strings.SplitN(rest, ",", 2)[0], "/", 5)
	if len(scope) != 5 {
		return errf(400, "IncompleteSignatureException", "Credential should be scoped to a valid region.")
	}
	c.region = scope[2]
	s.w.mu.Lock()
	cred := s.w.keys[scope[0]]
	s.w.mu.Unlock()
	invalid := errf(c.svc.authStatus, c.svc.authCode, "The security token included in the request is invalid.")
	if c.svc.name == "ec2" {
		invalid = errf(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
	}
	if cred == nil {
		return invalid
	}
	if cred.token != "" && r.Header.Get("X-Amz-Security-Token") != cred.token {
		return invalid
	}
	if !cred.expires.IsZero() && time.Now().After(cred.expires) {
		if c.svc.json {
			return errf(400, "ExpiredTokenException", "The security token included in the request is expired")
		}
		return errf(400, "ExpiredToken", "The security token included in the request is expired")
	}
	if !verifySignature(r, body, cred.secret) {
		// A wrong secret key: query services answer SignatureDoesNotMatch (403), JSON ones InvalidSignatureException
		// (400), EC2 AuthFailure, each with AWS's message.
		const msg = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
		switch {
		case c.svc.name == "ec2":
			return errf(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
		case c.svc.json || c.svc.rpcv2:
			return errf(400, "InvalidSignatureException", msg)
		}
		return errf(403, "SignatureDoesNotMatch", msg)
	}
	c.cred = cred
	// A disabled opt-in region rejects the account's credentials with the same authentication error as an unknown key
	// (prowler-cloud/prowler#1808: UnrecognizedClientException on DescribeTrails; ekristen/aws-nuke#774).
	if c.svc.regional {
		s.w.mu.Lock()
		a := s.w.accounts[cred.account]
		enabled := a.regions[c.region]
		known := s.w.part.Known(c.region)
		s.w.mu.Unlock()
		if !known {
			return errf(400, c.svc.authCode, "The security token included in the request is invalid.")
		}
		if !enabled {
			return invalid
		}
	}
	return nil
}

// preflight applies latency, AWS's request rates and injected faults, in that order.
func (s *Server) preflight(c *call) *apiError {
	lat := s.latency
	rules := s.matchingFaults(c)
	for _, f := range rules {
		if d := f.delay(); d > lat {
			lat = d
		}
	}
	if lat > 0 {
		t := time.NewTimer(lat)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return errf(500, c.svc.internalCode, "request cancelled")
		}
	}
	if s.limits {
		if lim := s.limiter(c); lim != nil && !lim.Allow() {
			return c.svc.throttle()
		}
	}
	for _, f := range rules {
		if e := f.fire(c, s); e != nil {
			return e
		}
	}
	return nil
}

// limiter returns the token bucket for the call's account, region and API class. Rates are AWS's published quotas
// (shared/reference/aws-behaviour.md §3.11): CloudTrail get/describe/list 10 TPS and other CloudTrail APIs 1 TPS per
// account and region (CTUG WhatIsCloudTrail-Limits); CloudWatch Logs Create/Delete/DescribeLogGroups 5 TPS each
// (CWLUG cloudwatch_limits_cwl). IAM, STS, Organizations and EC2 publish no per-API rate and are not limited.
func (s *Server) limiter(c *call) *rate.Limiter {
	var key string
	var r rate.Limit
	switch c.svc.name {
	case "cloudtrail":
		if strings.HasPrefix(c.op, "Get") || strings.HasPrefix(c.op, "Describe") || strings.HasPrefix(c.op, "List") {
			key, r = "cloudtrail-read", 10
		} else {
			key, r = "cloudtrail-write", 1
		}
	case "logs":
		key, r = "logs-"+c.op, 5
	default:
		return nil
	}
	key = c.cred.account + "/" + c.region + "/" + key
	s.bucketMu.Lock()
	defer s.bucketMu.Unlock()
	lim := s.buckets[key]
	if lim == nil {
		lim = rate.NewLimiter(r, int(r))
		s.buckets[key] = lim
	}
	return lim
}

func (s *Server) random() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64()
}

// JSON protocol output.

func writeJSON(rw http.ResponseWriter, reqID string, status int, v any) {
	writeJSONAs(rw, reqID, status, v, "application/x-amz-json-1.1")
}

func writeJSONAs(rw http.ResponseWriter, reqID string, status int, v any, contentType string) {
	rw.Header().Set("Content-Type", contentType)
	rw.Header().Set("x-amzn-RequestId", reqID)
	rw.WriteHeader(status)
	if v == nil {
		v = struct{}{}
	}
	_ = json.NewEncoder(rw).Encode(v)
}

func writeJSONError(rw http.ResponseWriter, reqID string, e *apiError) {
	writeJSON(rw, reqID, e.status, map[string]string{"__type": e.code, "message": e.msg})
}

// epochSeconds renders a time as awsJson epoch seconds with millisecond fraction (1454022144.918).
func epochSeconds(t time.Time) json.Number {
	ms := t.UnixMilli()
	return json.Number(fmt.Sprintf("%d.%03d", ms/1000, ms%1000))
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
