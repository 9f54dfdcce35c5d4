// Package declared holds what every infrastructure-as-code adapter (Terraform configuration, Terraform plan,
// CloudFormation) decides the same way about the CIS monitoring chain a configuration declares: which declared
// subscriptions count as confirmed, and what an alarm action naming a topic the configuration does not declare means.
// One rule, so the three sources cannot drift (issue 21's parity corpus holds them to it).
package declared

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/trailwatch/trailwatch/internal/model"
)

// Sub is one declared SNS subscription: the topic's ARN as the configuration computes it, the protocol and the
// endpoint (model.UnknownValue where known only at deployment).
type Sub struct {
	Topic, Protocol, Endpoint string
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
