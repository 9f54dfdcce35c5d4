package awssim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The scenario's monitoring chain (docs/scenario.md "Alarms"): metric filters on log groups, alarms and topics. Stored
// patterns are not parsed when a scenario loads: AWS's grammar is wider than the JSON-event subset trailwatch parses,
// so a scenario may hold a pattern trailwatch cannot read (FILTER_UNPARSEABLE).

func splitMetric(m string) (ns, name string, ok bool) {
	i := strings.LastIndex(m, "/")
	if i <= 0 || i == len(m)-1 {
		return "", "", false
	}
	return m[:i], m[i+1:], true
}

func validateMonitoring(a *Account, regions map[string]bool) error {
	for _, g := range a.LogGroups {
		names := map[string]bool{}
		for _, f := range g.MetricFilters {
			if !filterNameRe.MatchString(f.Name) {
				return fmt.Errorf("line %d: metric filter name %q: want 1-512 characters, no : or *", f.Line, f.Name)
			}
			if names[f.Name] {
				return fmt.Errorf("line %d: metric filter %s is listed twice on log group %s", f.Line, f.Name, g.Name)
			}
			names[f.Name] = true
			if _, _, ok := splitMetric(f.Metric); !ok {
				return fmt.Errorf("line %d: metric filter %s: metric %q: want Namespace/MetricName", f.Line, f.Name, f.Metric)
			}
			if len(f.Pattern) > 1024 {
				return fmt.Errorf("line %d: metric filter %s: pattern is %d characters; CloudWatch Logs allows 1024", f.Line, f.Name, len(f.Pattern))
			}
		}
		if len(g.MetricFilters) > maxFiltersPerGroup {
			return fmt.Errorf("line %d: log group %s has %d metric filters; CloudWatch Logs allows %d", g.Line, g.Name, len(g.MetricFilters), maxFiltersPerGroup)
		}
		if m := g.CISMonitoring; m != nil {
			for _, sk := range m.Skip {
				if !slices.ContainsFunc(cisItems, func(it struct{ CIS, ID, Pattern string }) bool { return it.CIS == sk || it.ID == sk }) {
					return fmt.Errorf("line %d: log group %s: cis_monitoring.skip: %q is not a CIS monitoring item (4.1-4.15 or a control id)", m.Line, g.Name, sk)
				}
			}
		}
	}
	for _, al := range a.Alarms {
		if al.Name == "" {
			return fmt.Errorf("line %d: alarm: name is required", al.Line)
		}
		if !regions[al.Region] {
			return fmt.Errorf("line %d: alarm %s: region %q is not an enabled region of account %s", al.Line, al.Name, al.Region, a.ID)
		}
		if _, _, ok := splitMetric(al.Metric); !ok {
			return fmt.Errorf("line %d: alarm %s: metric %q: want Namespace/MetricName", al.Line, al.Name, al.Metric)
		}
		if al.Statistic != "" && !slices.Contains(statistics, al.Statistic) {
			return fmt.Errorf("line %d: alarm %s: statistic %q: want one of %s", al.Line, al.Name, al.Statistic, strings.Join(statistics, ", "))
		}
		if al.Comparison != "" && !slices.Contains(comparisonOperators, al.Comparison) {
			return fmt.Errorf("line %d: alarm %s: comparison %q: want one of %s", al.Line, al.Name, al.Comparison, strings.Join(comparisonOperators, ", "))
		}
	}
	for _, t := range a.Topics {
		if !topicNameRe.MatchString(t.Name) {
			return fmt.Errorf("line %d: topic name %q: want 1-256 of letters, digits, - and _", t.Line, t.Name)
		}
		if !regions[t.Region] {
			return fmt.Errorf("line %d: topic %s: region %q is not an enabled region of account %s", t.Line, t.Name, t.Region, a.ID)
		}
		for _, s := range t.Subscriptions {
			if !slices.Contains(snsProtocols, s.Protocol) {
				return fmt.Errorf("line %d: topic %s: subscription protocol %q: want one of %s", s.Line, t.Name, s.Protocol, strings.Join(snsProtocols, ", "))
			}
		}
	}
	return nil
}

// monitoring builds an account's metric filters, alarms and topics from the scenario.
func (w *world) monitoring(a *account, sa Account, t0 time.Time) error {
	addTopic := func(name, region string, subs []Subscription) *topic {
		arn := w.arn("sns", region, a.id, name)
		if t := a.topics[arn]; t != nil {
			return t
		}
		t := &topic{name: name, arn: arn, region: region, created: t0}
		for i, s := range subs {
			sub := &subscription{arn: fmt.Sprintf("%s:%08x-0000-4000-8000-%012x", arn, i+1, len(a.topics)+1), protocol: s.Protocol,
				endpoint: s.Endpoint, owner: a.id, confirmed: !needsConfirm(s.Protocol, s.Endpoint, a.id)}
			if s.Confirmed != nil {
				sub.confirmed = *s.Confirmed
			}
			if !sub.confirmed {
				h := sha256.Sum256([]byte(sub.arn))
				sub.token = hex.EncodeToString(h[:])
			}
			t.subs = append(t.subs, sub)
		}
		a.topics[arn] = t
		return t
	}
	for _, t := range sa.Topics {
		addTopic(t.Name, t.Region, t.Subscriptions)
	}
	addAlarm := func(al Alarm) {
		ns, metric, _ := splitMetric(al.Metric)
		x := &alarm{name: al.Name, region: al.Region, namespace: ns, metric: metric, statistic: al.Statistic,
			comparison: al.Comparison, threshold: 1, period: al.Period, evaluationPeriods: al.EvaluationPeriods,
			datapoints: al.DatapointsToAlarm, actionsEnabled: al.ActionsEnabled == nil || *al.ActionsEnabled,
			treatMissing: "notBreaching", updated: t0, stateUpdated: t0, state: "OK", stateReason: "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."}
		x.arn = w.arn("cloudwatch", al.Region, a.id, "alarm:"+al.Name)
		if x.statistic == "" {
			x.statistic = "Sum"
		}
		if x.comparison == "" {
			x.comparison = "GreaterThanOrEqualToThreshold"
		}
		if al.Threshold != nil {
			x.threshold = *al.Threshold
		}
		if x.period == 0 {
			x.period = 300
		}
		if x.evaluationPeriods == 0 {
			x.evaluationPeriods = 1
		}
		for _, act := range al.Actions {
			if !strings.HasPrefix(act, "arn:") {
				act = w.arn("sns", al.Region, a.id, act)
			}
			x.alarmActions = append(x.alarmActions, act)
		}
		a.alarms[al.Region+"\x00"+al.Name] = x
	}
	for _, al := range sa.Alarms {
		addAlarm(al)
	}
	for _, sg := range sa.LogGroups {
		g := a.logGroups[sg.Region+"\x00"+sg.Name]
		for _, f := range sg.MetricFilters {
			ns, metric, _ := splitMetric(f.Metric)
			v := f.Value
			if v == "" {
				v = "1"
			}
			g.filters = append(g.filters, &metricFilter{name: f.Name, pattern: f.Pattern, namespace: ns, metric: metric, value: v, created: t0})
		}
		if m := sg.CISMonitoring; m != nil {
			name := m.Topic
			if name == "" {
				name = "cis-alarms"
			}
			t := addTopic(name, sg.Region, []Subscription{{Protocol: "email", Endpoint: "security@example.com", Confirmed: ptr(true)}})
			for _, it := range cisItems {
				if slices.Contains(m.Skip, it.CIS) || slices.Contains(m.Skip, it.ID) {
					continue
				}
				metric := strings.TrimPrefix(it.ID, "alarm-")
				if slices.ContainsFunc(g.filters, func(f *metricFilter) bool { return f.name == it.ID }) {
					continue
				}
				g.filters = append(g.filters, &metricFilter{name: it.ID, pattern: it.Pattern, namespace: "CISBenchmark", metric: metric, value: "1", created: t0})
				addAlarm(Alarm{Name: it.ID, Region: sg.Region, Metric: "CISBenchmark/" + metric, Actions: []string{t.arn}})
			}
		}
		sort.Slice(g.filters, func(i, j int) bool { return g.filters[i].name < g.filters[j].name })
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
