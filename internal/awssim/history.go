package awssim

import (
	"encoding/json"

	"sort"
	"strings"
	"time"
)

// CloudTrail event history: every management event of an account is kept for 90 days and served by LookupEvents in
// the region it was recorded in (IAM's in the partition's global region), whether or not a trail captures it (CTUG
// view-cloudtrail-events). Shapes: botocore cloudtrail/2013-11-01/service-2.json (LookupEventsRequest: one
// LookupAttribute of EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource or AccessKeyId;
// StartTime, EndTime; MaxResults 1-50, default 50; NextToken. Event: EventId, EventName, ReadOnly (a string),
// AccessKeyId, EventTime, EventSource, Username, Resources [{ResourceType, ResourceName}], CloudTrailEvent (the
// record as JSON text)). Events come newest first. The simulator records an event when the call is made; AWS's
// delay before an event appears in event history is not modelled.

// historyLimit bounds one account's history in the simulator (oldest dropped first).
const historyLimit = 20000

type historyEvent struct {
	id, name, source, region, user, accessKey string
	at                                        time.Time
	resources                                 [][2]string // type, name
	detail                                    map[string]any
}

// recordHistory keeps an event. The world lock is held.
func (a *account) recordHistory(e historyEvent) {
	a.history = append(a.history, e)
	if len(a.history) > historyLimit {
		a.history = append([]historyEvent(nil), a.history[len(a.history)-historyLimit:]...)
	}
}

// historyResources are the resources a call names, as CloudTrail lists them for IAM and the services the simulator
// records: a role by its name, a policy by its ARN, a trail by its name or ARN, a log group by its name.
func historyResources(params map[string]any) [][2]string {
	var out [][2]string
	add := func(key, typ string) {
		if s, ok := params[key].(string); ok && s != "" {
			out = append(out, [2]string{typ, s})
		}
	}
	add("roleName", "AWS::IAM::Role")
	add("policyArn", "AWS::IAM::Policy")
	add("name", "AWS::CloudTrail::Trail")
	add("logGroupName", "AWS::Logs::LogGroup")
	return out
}

var lookupKeys = map[string]bool{"EventId": true, "EventName": true, "ReadOnly": true, "Username": true, "ResourceType": true,
	"ResourceName": true, "EventSource": true, "AccessKeyId": true}

func ctLookupEvents(s *Server, c *call) (any, error) {
	var attrs []struct{ AttributeKey, AttributeValue string }
	if err := c.decode("LookupAttributes", &attrs); err != nil {
		return nil, err
	}
	if len(attrs) > 1 {
		return nil, errf(400, "InvalidLookupAttributesException", "You can only specify one lookup attribute.")
	}
	for _, a := range attrs {
		if !lookupKeys[a.AttributeKey] {
			return nil, errf(400, "InvalidLookupAttributesException", "Invalid attribute key: %s.", a.AttributeKey)
		}
	}
	var start, end *float64
	if err := c.decode("StartTime", &start); err != nil {
		return nil, err
	}
	if err := c.decode("EndTime", &end); err != nil {
		return nil, err
	}
	if start != nil && end != nil && *start > *end {
		return nil, errf(400, "InvalidTimeRangeException", "Start time must be before end time.")
	}
	max := 50
	var mr *int
	if err := c.decode("MaxResults", &mr); err != nil {
		return nil, err
	}
	if mr != nil {
		if *mr < 1 || *mr > 50 {
			return nil, errf(400, "InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
		}
		max = *mr
	}
	from, err := pageStart(c.str("NextToken"), c.svc)
	if err != nil {
		return nil, err
	}
	var hits []historyEvent
	for _, e := range c.acct.history {
		if e.region != c.region || (start != nil && float64(e.at.Unix()) < *start) || (end != nil && float64(e.at.Unix()) > *end) {
			continue
		}
		if len(attrs) == 1 && !e.matches(attrs[0].AttributeKey, attrs[0].AttributeValue) {
			continue
		}
		hits = append(hits, e)
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].at.After(hits[j].at) })
	events := []map[string]any{}
	for i := from; i < len(hits) && len(events) < max; i++ {
		e := hits[i]
		rec, _ := json.Marshal(e.detail)
		res := []map[string]string{}
		for _, r := range e.resources {
			res = append(res, map[string]string{"ResourceType": r[0], "ResourceName": r[1]})
		}
		events = append(events, map[string]any{"EventId": e.id, "EventName": e.name, "ReadOnly": "false", "AccessKeyId": e.accessKey,
			"EventTime": float64(e.at.UnixMilli()) / 1000, "EventSource": e.source, "Username": e.user, "Resources": res, "CloudTrailEvent": string(rec)})
	}
	out := map[string]any{"Events": events}
	if from+len(events) < len(hits) {
		out["NextToken"] = pageToken(from + len(events))
	}
	return out, nil
}

func (e historyEvent) matches(key, value string) bool {
	switch key {
	case "EventId":
		return e.id == value
	case "EventName":
		return e.name == value
	case "ReadOnly":
		return strings.EqualFold(value, "false") // the simulator records mutating calls only
	case "Username":
		return e.user == value
	case "EventSource":
		return e.source == value
	case "AccessKeyId":
		return e.accessKey == value
	}
	for _, r := range e.resources {
		if (key == "ResourceType" && r[0] == value) || (key == "ResourceName" && r[1] == value) {
			return true
		}
	}
	return false
}
