package awssim

import (
	"encoding/json"
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
	"cloudwatch": "monitoring.amazonaws.com", "sns": "sns.amazonaws.com",
}

func readOnly(op string) bool {
	for _, p := range []string{"Describe", "Get", "List", "Test", "Lookup"} {
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
	if !ok || readOnly(c.op) || c.cred == nil || c.acct == nil {
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
		"requestID": c.reqID, "eventID": c.reqID, "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
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
