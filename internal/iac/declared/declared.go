// Package declared holds what every infrastructure-as-code adapter (Terraform configuration, Terraform plan,
// CloudFormation) decides the same way about the CIS monitoring chain a configuration declares: which declared
// subscriptions count as confirmed, and what an alarm action naming a topic the configuration does not declare means.
// One rule, so the three sources cannot drift (issue 21's parity corpus holds them to it).
package declared

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/trailwatch/trailwatch/internal/model"
)

// Sub is one declared SNS subscription: the topic's ARN as the configuration computes it, the protocol and the
// endpoint ("" where known only at deployment: such a topic matches none, such a protocol confirms nothing).
type Sub struct {
	Topic, Protocol, Endpoint string
	// Maybe: whether it is created is known only at deployment (a count or for_each known then): never confirmed.
	Maybe bool
}

// Subscribe counts each declared topic's subscriptions by what SNS does on Subscribe (SNS API reference, Subscribe:
// "If the endpoint and the topic are in different Amazon Web Services accounts, the endpoint owner must run the
// ConfirmSubscription action"; email and http(s) endpoints confirm by a person, after the apply). An SQS, Lambda,
// Firehose, application or SMS endpoint of the configuration's own account (account: the adapter's token for it) is
// confirmed at once; any other is unconfirmable before deployment. Then each alarm action that names a topic the
// configuration does not declare gets a topic whose read failed with NotDeclared: whether it exists, and has a
// confirmed subscriber, is known only in the account. what names the unit ("configuration", "template", "plan").
func Subscribe(mon *model.Monitoring, subs []Sub, account, what string) {
	for topicARN, t := range mon.Topics {
		tc := *t
		tc.Confirmed, tc.Pending, tc.Unconfirmable, tc.Protocols = 0, 0, 0, nil
		// The topic's own account when its ARN names one (a provider's allowed_account_ids), else the unit's.
		owner := account
		if a, err := arn.Parse(topicARN); err == nil && model.IsAccountID(a.AccountID) {
			owner = a.AccountID
		}
		for _, s := range subs {
			if s.Topic != topicARN {
				continue
			}
			if s.Maybe {
				tc.Unconfirmable++ // it may not exist
				continue
			}
			switch s.Protocol {
			case "sqs", "lambda", "firehose", "application", "sms":
				if e, err := arn.Parse(s.Endpoint); err == nil && e.AccountID != owner && !strings.HasPrefix(e.AccountID, "${") && e.AccountID != "" {
					tc.Unconfirmable++ // another account's endpoint confirms
					continue
				}
				tc.Confirmed++
				tc.Protocols = append(tc.Protocols, s.Protocol)
			default:
				tc.Unconfirmable++
			}
		}
		mon.Topics[topicARN] = &tc
	}
	for _, al := range mon.Alarms {
		for _, act := range al.Actions {
			if strings.Contains(act, ":sns:") && mon.Topics[act] == nil {
				mon.Topics[act] = &model.Topic{ARN: act, Err: &model.CallError{API: "iac", Code: "NotDeclared",
					Message: "the topic is not declared in this " + what + "; whether it exists and has a confirmed subscriber is known only in the account", Kind: model.ErrOther}}
			}
		}
	}
}

// ScopedRule says why an organization rule with a scope may not capture the unit's account: the scope (accounts or
// organizational units: API reference, TelemetryRule.Scope) decides which accounts it reaches, and whether the unit's
// is among them is known only in the organization (field trial: such a rule was taken to capture). what names the
// unit ("configuration", "plan", "stack").
func ScopedRule(what string) string {
	return "its scope decides which accounts of the organization it reaches, and whether this " + what + "'s account is among them is known only in the organization"
}

// Telemetry is a unit's CloudWatch telemetry for CloudTrail as its code declares it (nil when it declares no rule):
// RUNNING when it declares the evaluation the rules need (the account's, and the organization's for organization
// rules), else unknown (it may have been started outside the code).
func Telemetry(rules []*model.TelemetryRule, evaluation, orgEvaluation bool) *model.Telemetry {
	if len(rules) == 0 {
		return nil
	}
	t := &model.Telemetry{Rules: rules}
	if evaluation {
		t.Status = "RUNNING"
	}
	if orgEvaluation {
		t.OrgStatus = "RUNNING"
	}
	return t
}

// Filter is a metric filter as code declares it: on Group (F.GroupUnknown, and Group empty, when known only at
// deployment) in Region, made in Account (the adapter's token while unknown).
type Filter struct {
	Group, Region, Account string
	F                      model.MetricFilter
}

// AttachFilters sets each declared log group's metric filters (read: none is a finding, not a failed read): those
// declared on it by name in its region, and those whose group is known only at deployment in its region, marked
// GroupUnknown (they may be on this one).
func AttachFilters(groups []*model.LogGroup, filters []Filter) {
	for _, lg := range groups {
		lg.MetricFiltersRead = true
		lg.MetricFilters = nil
		for _, fd := range filters {
			switch {
			case fd.Region != lg.Region:
			case fd.F.GroupUnknown:
				lg.MetricFilters = append(lg.MetricFilters, fd.F) // it may be on this group
			case fd.Group == lg.Name:
				lg.MetricFilters = append(lg.MetricFilters, fd.F)
			}
		}
	}
}

// Unfed is the log groups filters are on that no trail of the unit delivers to (the unit's alarm chain is then judged
// from the filter on): the declared group of that region and name (its filters attached by AttachFilters), else one
// newGroup makes for the filter, carrying it; in the order the filters are met, each once. A filter whose group is
// known only at deployment makes none.
func Unfed(trails []*model.Trail, groups []*model.LogGroup, filters []Filter, newGroup func(Filter) *model.LogGroup) []*model.LogGroup {
	fed := map[string]bool{}
	for _, t := range trails {
		if t.LogGroup != nil {
			fed[t.LogGroup.Region+"/"+t.LogGroup.Name] = true
		}
	}
	byKey := map[string]*model.LogGroup{}
	for _, lg := range groups {
		if byKey[lg.Region+"/"+lg.Name] == nil {
			byKey[lg.Region+"/"+lg.Name] = lg
		}
	}
	var out []*model.LogGroup
	for _, fd := range filters {
		key := fd.Region + "/" + fd.Group
		if fd.F.GroupUnknown || fed[key] {
			continue
		}
		lg := byKey[key]
		if lg == nil {
			lg = newGroup(fd)
			lg.MetricFiltersRead = true
			lg.MetricFilters = append(lg.MetricFilters, fd.F)
			byKey[key] = lg
		}
		if !slices.Contains(out, lg) {
			out = append(out, lg)
		}
	}
	return out
}

// Metric is a filter's or alarm's metric as code declares it: its name and namespace, each with why it is known only
// at deployment ("" when known). Either unknown makes the metric unknown (both returned empty: it matches nothing),
// with both reasons.
func Metric(name, nameWhy, namespace, namespaceWhy string) (metric, ns, why string) {
	if why = strings.Trim(namespaceWhy+"; "+nameWhy, "; "); why != "" {
		return "", "", why
	}
	return name, namespace, ""
}

// AlarmFiringArgs are the aws_cloudwatch_metric_alarm arguments (Terraform's names, a plan's too) that decide whether
// one matching event fires the alarm: one known only at deployment makes that unknown.
var AlarmFiringArgs = []string{"statistic", "extended_statistic", "comparison_operator", "threshold", "evaluation_periods", "datapoints_to_alarm"}
