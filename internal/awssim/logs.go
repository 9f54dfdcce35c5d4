package awssim

import (
	"sort"
	"strings"
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
