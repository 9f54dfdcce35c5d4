package awssim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// "AWS API Call via CloudTrail" events: when a mutating call to CloudTrail, CloudWatch Logs, IAM, CloudWatch or SNS
// is made and a logging trail captures the account's management events in that region, the simulator puts the
// CloudTrail record on the account's default bus in that region, eventbridge_delay later.
//
// Sources (shared/reference/monitoring-and-events.md §1): "To record events with a detail-type value of AWS API Call
// via CloudTrail, a CloudTrail trail with logging enabled is required" (EventBridge user guide,
// eb-service-event-cloudtrail); read-only calls (Get/List/Describe) reach EventBridge only for rules in state
// ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, which the simulator does not model, so it emits none; IAM, a global
// service, delivers its events to us-east-1 only (re:Post knowledge center, eventbridge-rule-triggers-iam-single-region).
// The envelope (source "aws." + the service, account = recipientAccountId, time = eventTime, region = awsRegion,
// resources []) and the record's fields follow the captured samples cited there (splunk/security_content data sources
// for UpdateTrail, StopLogging, DeleteLogGroup; Custodian's test envelope). A failed call is recorded with errorCode
// and errorMessage, as CloudTrail records failed calls.
//
// Extrapolation (docs/scenario.md): whether the call that stops or deletes the last logging trail is itself delivered
// is not documented; the simulator judges capture after the call, so StopLogging or DeleteTrail of the only logging
// trail produces no event, the case a continuous mode must catch with its sweep.

var eventSources = map[string]string{
	"cloudtrail": "cloudtrail.amazonaws.com", "logs": "logs.amazonaws.com", "iam": "iam.amazonaws.com",
	"cloudwatch": "monitoring.amazonaws.com", "sns": "sns.amazonaws.com", "ec2": "ec2.amazonaws.com",
}

func readOnly(op string) bool {
	for _, p := range []string{"Describe", "Get", "List", "Test", "Lookup", "Filter"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// captured reports whether a logging trail records the account's management events in region: one of its own, or an
// organization trail of its organization. Called with the world lock held.
func (w *world) captured(acct, region string) bool {
	for _, a := range w.accounts {
		for _, t := range a.trails {
			if !t.logging || !t.mgmtEvents {
				continue
			}
			if t.owner != acct && !(t.org && w.inOrg(acct)) {
				continue
			}
			if t.home == region || t.multi {
				return true
			}
		}
	}
	return false
}

// emitCloudTrailEvent records a call, when the world captures it. The world lock is held.
func (s *Server) emitCloudTrailEvent(c *call, out any, aerr *apiError) {
	src, ok := eventSources[c.svc.name]
	ro := readOnly(c.op)
	// Read calls are recorded only for EC2 (the proof of capture's read marker): the simulator does not keep every
	// Describe of every scan (memory); writes of every modelled service are recorded.
	if !ok || (ro && c.svc.name != "ec2") || c.cred == nil || c.acct == nil {
		return
	}
	region := c.region
	if c.svc.name == "iam" {
		region = s.w.part.GlobalRegion
	}
	params := map[string]any{}
	if c.form != nil {
		for k, v := range c.form {
			if k != "Action" && k != "Version" && len(v) > 0 {
				params[strings.ToLower(k[:1])+k[1:]] = v[0]
			}
		}
	} else {
		for k, v := range c.body {
			var x any
			_ = json.Unmarshal(v, &x)
			params[strings.ToLower(k[:1])+k[1:]] = x
		}
	}
	s.w.seq++
	detail := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{"type": "IAMUser", "principalId": c.cred.userID, "arn": c.cred.arn, "accountId": c.acct.id,
			"accessKeyId": c.cred.accessKey, "userName": c.cred.arn[strings.LastIndex(c.cred.arn, "/")+1:]},
		"eventTime": c.now.UTC().Format(time.RFC3339), "eventSource": src, "eventName": c.op, "awsRegion": region,
		"sourceIPAddress": "127.0.0.1", "userAgent": "trailwatch-sim", "requestParameters": params, "responseElements": nil,
		"requestID": c.reqID, "eventID": c.reqID, "readOnly": ro, "eventType": "AwsApiCall", "managementEvent": true,
		"recipientAccountId": c.acct.id, "eventCategory": "Management",
	}
	if strings.HasPrefix(c.cred.arn, "arn:") && strings.Contains(c.cred.arn, ":assumed-role/") {
		detail["userIdentity"] = map[string]any{"type": "AssumedRole", "principalId": c.cred.userID, "arn": c.cred.arn, "accountId": c.acct.id}
	}
	if m, ok := out.(map[string]any); ok && aerr == nil {
		detail["responseElements"] = m
	}
	if aerr != nil {
		detail["errorCode"], detail["errorMessage"] = aerr.code, aerr.msg
		if c.svc.name == "ec2" {
			// EC2 records client errors with the "Client." prefix: a dry run is "Client.DryRunOperation" (seen in
			// public CloudTrail records; shared/reference/beyond-trails.md §4).
			detail["errorCode"] = "Client." + aerr.code
		}
	}
	s.w.deliverToLogs(c.acct.id, region, detail, c.now)
	if ro {
		return // read events reach neither event history here nor EventBridge (above)
	}
	// Event history records every management event of the last 90 days whether or not a trail captures it (CTUG
	// view-cloudtrail-events: "You don't need to create a trail to view event history").
	c.acct.recordHistory(historyEvent{id: c.reqID, name: c.op, source: src, region: region, at: c.now.UTC(), user: c.cred.arn[strings.LastIndex(c.cred.arn, "/")+1:],
		accessKey: c.cred.accessKey, resources: historyResources(params), detail: detail})
	if !s.w.captured(c.acct.id, region) {
		return
	}
	ev := s.w.newEvent(c.acct.id, region, "aws."+c.svc.name, "AWS API Call via CloudTrail", detail, nil, c.now)
	acct := c.acct.id
	deliver := func() {
		if b := s.w.bus(acct, region, "default"); b != nil {
			s.w.route(b, ev, 0)
		}
	}
	if s.w.ebDelay <= 0 {
		deliver()
		return
	}
	time.AfterFunc(s.w.ebDelay, func() {
		s.w.mu.Lock()
		defer s.w.mu.Unlock()
		deliver()
	})
}

// deliverToLogs puts a call's CloudTrail record into the log group of every trail that captures it and whose delivery
// works now (the same health as GetTrailStatus reports: group, role, trust, write permission), on the stream CloudTrail
// names (<account>_CloudTrail_<home region>; an organization trail writes a member's events to
// o-<org id>_<member>_CloudTrail_<home region>, CTUG "CloudWatch log group and log stream naming"), visible
// log_delivery_delay later. A trail with the lose_events fault delivers nothing. The world lock is held.
func (w *world) deliverToLogs(acct, region string, detail map[string]any, now time.Time) {
	var msg string
	message := func() string { // the record, marshalled once, when some group receives it
		if msg == "" {
			b, _ := json.Marshal(detail)
			msg = string(b)
		}
		return msg
	}
	// The trails that may capture the account's events: its own, and the organization's, which the management account
	// or the delegated administrator owns.
	owners := []string{acct}
	if w.inOrg(acct) {
		for _, o := range []string{w.org.ManagementAccount, w.org.DelegatedAdmin} {
			if o != "" && o != acct {
				owners = append(owners, o)
			}
		}
	}
	// Telemetry rules of the account itself: while its evaluation runs, each rule that applies in the region and keeps
	// the event delivers it to the region's aws/cloudtrail/managementevents group.
	// The organization's rules likewise, while the organization's evaluation runs; a group receives an event once.
	if a := w.accounts[acct]; a != nil {
		ro, _ := detail["readOnly"].(bool)
		var rules []*telemetryRule
		if a.evaluation.runningIn(region) {
			rules = a.telemetryRules
		}
		if w.inOrg(acct) && w.orgEvaluation.runningIn(region) {
			rules = append(slices.Clip(rules), w.orgTelemetryRules...)
		}
		for _, r := range rules {
			// What reaches the group is what the rule keeps and its CloudTrail service-linked channel carries (channels.go).
			if g := a.logGroups[region+"\x00"+telemetryGroup]; g != nil && r.appliesIn(region) && r.keeps(ro) && w.channelKeeps(acct, region, ro) {
				w.record(g, acct+"_CloudTrail_"+region, now, message())
				break
			}
		}
	}
	for _, id := range owners {
		a := w.accounts[id]
		if a == nil {
			continue
		}
		for _, t := range a.trails {
			if !t.logging || !t.mgmtEvents || t.loseEvents || t.logGroupArn == "" {
				continue
			}
			member := t.owner != acct
			if member && !(t.org && w.inOrg(acct)) || !(t.home == region || t.multi) {
				continue
			}
			if ok, _ := w.health(t); !ok {
				continue
			}
			name, gregion, _, _ := parseLogGroupARN(t.logGroupArn)
			g := a.logGroups[gregion+"\x00"+name]
			if g == nil {
				continue
			}
			stream := acct + "_CloudTrail_" + t.home
			if member {
				stream = w.org.ID + "_" + stream
			}
			w.record(g, stream, now, message())
		}
	}
}

// record puts a CloudTrail record in a log group on a stream, visible log_delivery_delay after now; the group keeps its
// latest maxGroupEvents records. The world lock is held.
func (w *world) record(g *logGroup, stream string, now time.Time, message string) {
	w.seq++
	g.events = append(g.events, logEvent{seq: uint64(w.seq), stream: stream, timestamp: now, ingestion: now.Add(w.logDelay), message: message,
		id: fmt.Sprintf("%056d", w.seq)})
	g.ingest(now.Add(w.logDelay), int64(len(message)), 1)
	if len(g.events) > maxGroupEvents {
		g.events = g.events[len(g.events)-maxGroupEvents:]
	}
}
