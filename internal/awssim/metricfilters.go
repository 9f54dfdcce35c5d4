package awssim

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// CloudWatch Logs metric filters (API 2014-03-28): PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter and
// TestMetricFilter. Limits and errors: botocore logs/2014-03-28/service-2.json and the CloudWatch Logs quotas page
// ("Metric filters: 100 per log group"). A filter belongs to its log group and goes when the group is deleted.
//
// Patterns: the JSON-event form ({ $.field = value ... }) that CloudTrail events are matched with, evaluated by the
// simulator's own matcher (filtermatch.go), never by trailwatch's internal/filterpattern; both are held to one table
// of examples taken from AWS's filter pattern pages (TestTestMetricFilterFollowsAWSDocs), so neither is its own
// oracle.

type metricFilter struct {
	name, pattern     string
	namespace, metric string
	value             string
	defaultValue      *float64
	dimensions        map[string]string
	unit              string
	created           time.Time
}

const maxFiltersPerGroup = 100

var filterNameRe = regexp.MustCompile(`^[^:*]{1,512}$`)

type metricTransformation struct {
	MetricName      string            `json:"metricName"`
	MetricNamespace string            `json:"metricNamespace"`
	MetricValue     string            `json:"metricValue"`
	DefaultValue    *float64          `json:"defaultValue,omitempty"`
	Dimensions      map[string]string `json:"dimensions,omitempty"`
	Unit            string            `json:"unit,omitempty"`
}

func logsPutMetricFilter(s *Server, c *call) (any, error) {
	g, err := s.groupOf(c)
	if err != nil {
		return nil, err
	}
	name, pattern := c.str("filterName"), c.str("filterPattern")
	if !filterNameRe.MatchString(name) {
		return nil, errf(400, "InvalidParameterException", "1 validation error detected: Value '%s' at 'filterName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*", name)
	}
	if len(pattern) > 1024 {
		return nil, errf(400, "InvalidParameterException", "1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024")
	}
	if strings.HasPrefix(strings.TrimSpace(pattern), "{") {
		if _, err := parseSimFilter(pattern); err != nil {
			// AWS rejects a malformed pattern; its exact text is not documented.
			return nil, errf(400, "InvalidParameterException", "Invalid metric filter pattern: %v", err)
		}
	}
	var ts []metricTransformation
	if err := c.decode("metricTransformations", &ts); err != nil {
		return nil, err
	}
	if len(ts) != 1 {
		return nil, errf(400, "InvalidParameterException", "1 validation error detected: Value at 'metricTransformations' failed to satisfy constraint: Member must have length less than or equal to 1 and greater than or equal to 1")
	}
	t := ts[0]
	if t.MetricName == "" || t.MetricNamespace == "" || t.MetricValue == "" {
		return nil, errf(400, "InvalidParameterException", "metricName, metricNamespace and metricValue are required in a metric transformation.")
	}
	f := &metricFilter{name: name, pattern: pattern, namespace: t.MetricNamespace, metric: t.MetricName,
		value: t.MetricValue, defaultValue: t.DefaultValue, dimensions: t.Dimensions, unit: t.Unit, created: c.now}
	for i, old := range g.filters {
		if old.name == name { // PutMetricFilter replaces a filter of the same name
			f.created = old.created
			g.filters[i] = f
			return nil, nil
		}
	}
	if len(g.filters) >= maxFiltersPerGroup {
		return nil, errf(400, "LimitExceededException", "Resource limit exceeded.")
	}
	g.filters = append(g.filters, f)
	sort.Slice(g.filters, func(i, j int) bool { return g.filters[i].name < g.filters[j].name })
	return nil, nil
}

func filterObject(g *logGroup, f *metricFilter) map[string]any {
	t := map[string]any{"metricName": f.metric, "metricNamespace": f.namespace, "metricValue": f.value}
	if f.defaultValue != nil {
		t["defaultValue"] = *f.defaultValue
	}
	if len(f.dimensions) > 0 {
		t["dimensions"] = f.dimensions
	}
	if f.unit != "" {
		t["unit"] = f.unit
	}
	return map[string]any{"filterName": f.name, "filterPattern": f.pattern, "metricTransformations": []map[string]any{t},
		"creationTime": f.created.UnixMilli(), "logGroupName": g.name, "applyOnTransformedLogs": false}
}

func logsDescribeMetricFilters(s *Server, c *call) (any, error) {
	group, prefix := c.str("logGroupName"), c.str("filterNamePrefix")
	metric, ns := c.str("metricName"), c.str("metricNamespace")
	// "If you specify filterNamePrefix, you must also specify logGroupName"; metricName and metricNamespace go
	// together (DescribeMetricFilters).
	if prefix != "" && group == "" {
		return nil, errf(400, "InvalidParameterException", "logGroupName is required when filterNamePrefix is specified.")
	}
	if (metric == "") != (ns == "") {
		return nil, errf(400, "InvalidParameterException", "metricName and metricNamespace must be specified together.")
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
	var groups []*logGroup
	if group != "" {
		g, err := s.groupOf(c)
		if err != nil {
			return nil, err
		}
		groups = []*logGroup{g}
	} else {
		for _, g := range c.acct.logGroups {
			if g.region == c.region {
				groups = append(groups, g)
			}
		}
		sort.Slice(groups, func(i, j int) bool { return groups[i].name < groups[j].name })
	}
	var list []map[string]any
	for _, g := range groups {
		for _, f := range g.filters {
			if prefix != "" && !strings.HasPrefix(f.name, prefix) || metric != "" && (f.metric != metric || f.namespace != ns) {
				continue
			}
			list = append(list, filterObject(g, f))
		}
	}
	start, err := pageStart(c.str("nextToken"), c.svc)
	if err != nil {
		return nil, err
	}
	end := min(start+limit, len(list))
	out := map[string]any{"metricFilters": append([]map[string]any{}, list[min(start, len(list)):end]...)}
	if end < len(list) {
		out["nextToken"] = pageToken(end)
	}
	return out, nil
}

func logsDeleteMetricFilter(s *Server, c *call) (any, error) {
	g, err := s.groupOf(c)
	if err != nil {
		return nil, err
	}
	name := c.str("filterName")
	i := slices.IndexFunc(g.filters, func(f *metricFilter) bool { return f.name == name })
	if i < 0 {
		return nil, errf(400, "ResourceNotFoundException", "The specified metric filter does not exist.")
	}
	g.filters = slices.Delete(g.filters, i, i+1)
	return nil, nil
}

func logsTestMetricFilter(s *Server, c *call) (any, error) {
	pattern := c.str("filterPattern")
	var msgs []string
	if err := c.decode("logEventMessages", &msgs); err != nil {
		return nil, err
	}
	if len(msgs) < 1 || len(msgs) > 50 {
		return nil, errf(400, "InvalidParameterException", "1 validation error detected: Value at 'logEventMessages' failed to satisfy constraint: Member must have length less than or equal to 50 and greater than or equal to 1")
	}
	n, err := parseSimFilter(pattern)
	if err != nil {
		return nil, errf(400, "InvalidParameterException", "Invalid metric filter pattern: %v", err)
	}
	matches := []map[string]any{}
	for i, m := range msgs {
		if n.match(m) {
			matches = append(matches, map[string]any{"eventNumber": i + 1, "eventMessage": m, "extractedValues": map[string]string{}})
		}
	}
	return map[string]any{"matches": matches}, nil
}
