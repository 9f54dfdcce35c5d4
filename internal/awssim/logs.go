package awssim

import (
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CloudWatch Logs (awsJson1.1, API 2014-03-28). Shapes and errors: botocore logs/2014-03-28/service-2.json;
// aws-behaviour.md §4.
func logsOps() map[string]handler {
	return map[string]handler{
		"DescribeLogGroups":     logsDescribeLogGroups,
		"CreateLogGroup":        logsCreateLogGroup,
		"DeleteLogGroup":        logsDeleteLogGroup,
		"PutRetentionPolicy":    logsPutRetentionPolicy,
		"DeleteRetentionPolicy": logsDeleteRetentionPolicy,
		"TagResource":           logsTagResource,
		"ListTagsForResource":   logsListTagsForResource,
		"PutMetricFilter":       logsPutMetricFilter,
		"DescribeMetricFilters": logsDescribeMetricFilters,
		"DeleteMetricFilter":    logsDeleteMetricFilter,
		"TestMetricFilter":      logsTestMetricFilter,
		"FilterLogEvents":       logsFilterLogEvents,
		"DescribeLogStreams":    logsDescribeLogStreams,
	}
}

func errNoGroup() error {
	return errf(400, "ResourceNotFoundException", "The specified log group does not exist.")
}

func logsDescribeLogGroups(s *Server, c *call) (any, error) {
	prefix, pattern := c.str("logGroupNamePrefix"), c.str("logGroupNamePattern")
	if prefix != "" && pattern != "" {
		return nil, errf(400, "InvalidParameterException", "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	limit := 50
	if c.has("limit") {
		if err := c.decode("limit", &limit); err != nil {
			return nil, err
		}
		if limit < 1 || limit > 50 {
			return nil, errf(400, "InvalidParameterException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50", limit)
		}
	}
	var idents []string
	if err := c.decode("logGroupIdentifiers", &idents); err != nil {
		return nil, err
	}
	// logGroupIdentifiers excludes logGroupNamePrefix and logGroupNamePattern (CloudWatch Logs API reference,
	// DescribeLogGroups: "If you specify this parameter, you can't specify logGroupNamePrefix or logGroupNamePattern").
	if len(idents) > 0 && (prefix != "" || pattern != "") {
		return nil, errf(400, "InvalidParameterException", "logGroupIdentifiers cannot be used with logGroupNamePrefix or logGroupNamePattern.")
	}
	class := c.str("logGroupClass")
	switch class {
	case "", "STANDARD", "INFREQUENT_ACCESS", "DELIVERY":
	default:
		return nil, errf(400, "InvalidParameterException", "1 validation error detected: Value '%s' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]", class)
	}
	var groups []*logGroup
	for _, g := range c.acct.logGroups {
		if g.region != c.region {
			continue
		}
		switch {
		case prefix != "" && !strings.HasPrefix(g.name, prefix):
			continue
		case pattern != "" && !strings.Contains(g.name, pattern):
			continue
		case len(idents) > 0 && !identMatches(idents, g, s.w, c.acct.id):
			continue
		case class != "" && g.class != class:
			continue
		}
		groups = append(groups, g)
	}
	// Log groups come back ASCII-sorted by name.
	sort.Slice(groups, func(i, j int) bool { return groups[i].name < groups[j].name })
	start, err := pageStart(c.str("nextToken"), c.svc)
	if err != nil {
		return nil, err
	}
	end := min(start+limit, len(groups))
	list := []map[string]any{}
	for _, g := range groups[min(start, len(groups)):end] {
		list = append(list, logGroupObject(s.w, c.acct.id, g, pattern != ""))
	}
	out := map[string]any{"logGroups": list}
	if end < len(groups) {
		out["nextToken"] = pageToken(end)
	}
	return out, nil
}

func identMatches(idents []string, g *logGroup, w *world, acct string) bool {
	for _, id := range idents {
		if id == g.name || id == strings.TrimSuffix(w.logGroupARN(g.region, acct, g.name), ":*") {
			return true
		}
	}
	return false
}

func logGroupObject(w *world, acct string, g *logGroup, brief bool) map[string]any {
	arn := w.logGroupARN(g.region, acct, g.name)
	m := map[string]any{"logGroupName": g.name, "creationTime": g.created.UnixMilli(), "arn": arn}
	if brief { // logGroupNamePattern returns only these three (service-2.json)
		return m
	}
	m["metricFilterCount"] = len(g.filters)
	m["logGroupArn"] = strings.TrimSuffix(arn, ":*")
	m["storedBytes"] = 0
	m["logGroupClass"] = g.class
	if g.retention > 0 {
		m["retentionInDays"] = g.retention
	}
	if g.kms != "" {
		m["kmsKeyId"] = g.kms
	}
	return m
}

func logsCreateLogGroup(s *Server, c *call) (any, error) {
	name := c.str("logGroupName")
	if !logGroupRe.MatchString(name) || strings.HasPrefix(name, "aws/") {
		return nil, errf(400, "InvalidParameterException", "1 validation error detected: Value '%s' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+", name)
	}
	key := c.region + "\x00" + name
	if c.acct.logGroups[key] != nil {
		return nil, errf(400, "ResourceAlreadyExistsException", "The specified log group already exists")
	}
	g := &logGroup{name: name, region: c.region, created: c.now, class: "STANDARD", kms: c.str("kmsKeyId"), tags: map[string]string{}}
	if v := c.str("logGroupClass"); v != "" {
		g.class = v
	}
	if err := c.decode("tags", &g.tags); err != nil {
		return nil, err
	}
	c.acct.logGroups[key] = g
	s.w.reconcile(c.now)
	return nil, nil
}

func (s *Server) groupOf(c *call) (*logGroup, error) {
	g := c.acct.logGroups[c.region+"\x00"+c.str("logGroupName")]
	if g == nil {
		return nil, errNoGroup()
	}
	return g, nil
}

func logsDeleteLogGroup(s *Server, c *call) (any, error) {
	g, err := s.groupOf(c)
	if err != nil {
		return nil, err
	}
	delete(c.acct.logGroups, c.region+"\x00"+g.name)
	s.w.reconcile(c.now)
	return nil, nil
}

func logsPutRetentionPolicy(s *Server, c *call) (any, error) {
	var days int
	if err := c.decode("retentionInDays", &days); err != nil {
		return nil, err
	}
	if !validRetention[days] {
		return nil, errf(400, "InvalidParameterException", "1 validation error detected: Value '%d' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [%s]", days, retentionList())
	}
	g, err := s.groupOf(c)
	if err != nil {
		return nil, err
	}
	g.retention = days
	return nil, nil
}

func logsDeleteRetentionPolicy(s *Server, c *call) (any, error) {
	g, err := s.groupOf(c)
	if err != nil {
		return nil, err
	}
	g.retention = 0
	return nil, nil
}

// groupByResourceARN finds a log group by the ARN TagResource takes (without ":*").
func (s *Server) groupByResourceARN(c *call) (*logGroup, error) {
	arn := c.str("resourceArn")
	name, region, acct, ok := parseLogGroupARN(arn)
	if !ok || strings.HasSuffix(arn, ":*") {
		return nil, errf(400, "InvalidParameterException", "Invalid resourceArn: %s", arn)
	}
	if acct != c.acct.id || region != c.region {
		return nil, errNoGroup()
	}
	g := c.acct.logGroups[region+"\x00"+name]
	if g == nil {
		return nil, errNoGroup()
	}
	return g, nil
}

func logsTagResource(s *Server, c *call) (any, error) {
	g, err := s.groupByResourceARN(c)
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	if err := c.decode("tags", &tags); err != nil {
		return nil, err
	}
	if g.tags == nil {
		g.tags = map[string]string{}
	}
	for k, v := range tags {
		g.tags[k] = v
	}
	if len(g.tags) > 50 {
		return nil, errf(400, "TooManyTagsException", "A resource can have no more than 50 tags.")
	}
	return map[string]any{}, nil
}

func logsListTagsForResource(s *Server, c *call) (any, error) {
	g, err := s.groupByResourceARN(c)
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	for k, v := range g.tags {
		tags[k] = v
	}
	return map[string]any{"tags": tags}, nil
}

// logsFilterLogEvents searches a group's records (CloudWatch Logs API reference, FilterLogEvents): logGroupName or
// logGroupIdentifier (a name or ARN), startTime and endTime in epoch milliseconds ("Events with a timestamp before
// this time are not returned", "... later than this time are not returned": both ends inclusive),
// filterPattern (the simulator's own matcher; an invalid one is InvalidParameterException), logStreamNames,
// logStreamNamePrefix, limit (1-10,000, default 10,000) and nextToken. Only records already ingested are found.
func logsFilterLogEvents(s *Server, c *call) (any, error) {
	name := c.str("logGroupName")
	if id := c.str("logGroupIdentifier"); id != "" {
		if name != "" {
			return nil, errf(400, "InvalidParameterException", "LogGroup name and LogGroup ARN are mutually exclusive parameters.")
		}
		name = id
		if gname, _, _, ok := parseLogGroupARN(id); ok {
			name = gname
		}
	}
	g := c.acct.logGroups[c.region+"\x00"+name]
	if g == nil {
		return nil, errNoGroup()
	}
	var f *simFilter
	if p := c.str("filterPattern"); p != "" {
		var err error
		if f, err = parseSimFilter(p); err != nil {
			return nil, errf(400, "InvalidParameterException", "Invalid filter pattern: %v", err)
		}
	}
	var start, end int64 = 0, 1 << 62
	if v, ok := c.body["startTime"]; ok {
		_ = json.Unmarshal(v, &start)
	}
	if v, ok := c.body["endTime"]; ok {
		_ = json.Unmarshal(v, &end)
	}
	limit := 10000
	if v, ok := c.body["limit"]; ok {
		_ = json.Unmarshal(v, &limit)
		if limit < 1 || limit > 10000 {
			return nil, errf(400, "InvalidParameterException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000", limit)
		}
	}
	var streams []string
	_ = c.decode("logStreamNames", &streams)
	prefix := c.str("logStreamNamePrefix")
	from := 0
	if tok := c.str("nextToken"); tok != "" {
		n, err := strconv.ParseUint(strings.TrimPrefix(tok, "sim-"), 10, 64)
		if err != nil {
			return nil, errf(400, "InvalidParameterException", "The specified nextToken is invalid.")
		}
		from = sort.Search(len(g.events), func(i int) bool { return g.events[i].seq >= n })
	}
	events := []map[string]any{}
	next := ""
	for i := from; i < len(g.events); i++ {
		e := g.events[i]
		ts := e.timestamp.UnixMilli()
		if e.ingestion.After(c.now) || ts < start || ts > end || (len(streams) > 0 && !slices.Contains(streams, e.stream)) ||
			!strings.HasPrefix(e.stream, prefix) || (f != nil && !f.match(e.message)) {
			continue
		}
		if len(events) == limit {
			next = "sim-" + strconv.FormatUint(e.seq, 10)
			break
		}
		events = append(events, map[string]any{"logStreamName": e.stream, "timestamp": ts, "message": e.message,
			"ingestionTime": e.ingestion.UnixMilli(), "eventId": e.id})
	}
	out := map[string]any{"events": events, "searchedLogStreams": []any{}}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// logsDescribeLogStreams lists a group's streams (CloudWatch Logs API reference, DescribeLogStreams): those the
// scenario seeded and those records were delivered to (visible ones), with creationTime, first and last event
// timestamps and lastIngestionTime; orderBy LogStreamName (default) or LastEventTime (then no prefix: "If you order
// the results by event time, you cannot specify the logStreamNamePrefix parameter"), descending, limit 1-50.
func logsDescribeLogStreams(s *Server, c *call) (any, error) {
	name := c.str("logGroupName")
	if id := c.str("logGroupIdentifier"); id != "" {
		name = id
		if gname, _, _, ok := parseLogGroupARN(id); ok {
			name = gname
		}
	}
	g := c.acct.logGroups[c.region+"\x00"+name]
	if g == nil {
		return nil, errNoGroup()
	}
	orderBy, prefix := c.str("orderBy"), c.str("logStreamNamePrefix")
	if orderBy == "LastEventTime" && prefix != "" {
		return nil, errf(400, "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	limit := 50
	if v, ok := c.body["limit"]; ok {
		_ = json.Unmarshal(v, &limit)
		if limit < 1 || limit > 50 {
			return nil, errf(400, "InvalidParameterException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50", limit)
		}
	}
	type stream struct {
		name                    string
		first, last, lastIngest time.Time
	}
	byName := map[string]*stream{}
	for n, at := range g.seeded {
		byName[n] = &stream{name: n, first: at, last: at, lastIngest: at}
	}
	for _, e := range g.events {
		if e.ingestion.After(c.now) {
			continue
		}
		st := byName[e.stream]
		if st == nil {
			st = &stream{name: e.stream, first: e.timestamp}
			byName[e.stream] = st
		}
		if e.timestamp.After(st.last) {
			st.last = e.timestamp
		}
		if e.ingestion.After(st.lastIngest) {
			st.lastIngest = e.ingestion
		}
	}
	var list []*stream
	for _, st := range byName {
		if strings.HasPrefix(st.name, prefix) {
			list = append(list, st)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if orderBy == "LastEventTime" {
			return list[i].last.Before(list[j].last)
		}
		return list[i].name < list[j].name
	})
	var desc bool
	if v, ok := c.body["descending"]; ok {
		_ = json.Unmarshal(v, &desc)
	}
	if desc {
		slices.Reverse(list)
	}
	if len(list) > limit {
		list = list[:limit]
	}
	out := []map[string]any{}
	for _, st := range list {
		out = append(out, map[string]any{"logStreamName": st.name, "creationTime": st.first.UnixMilli(), "firstEventTimestamp": st.first.UnixMilli(),
			"lastEventTimestamp": st.last.UnixMilli(), "lastIngestionTime": st.lastIngest.UnixMilli(), "storedBytes": 0,
			"arn": s.w.arn("logs", c.region, c.acct.id, "log-group:"+g.name+":log-stream:"+st.name)})
	}
	return map[string]any{"logStreams": out}, nil
}
