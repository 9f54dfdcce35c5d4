package awssim

import (
	"crypto/sha1"
	"fmt"
	"slices"
	"strings"
)

// CloudTrail service-linked channels (ListChannels, GetChannel; awsJson1.1, shapes: botocore cloudtrail/2013-11-01).
// "AWS services can create a service-linked channel to receive CloudTrail events on your behalf. The AWS service
// creating the service-linked channel configures advanced event selectors for the channel and specifies whether the
// channel applies to all AWS Regions, or a single AWS Region" (CloudTrail User Guide, "Viewing service-linked
// channels"); its name is aws-service-channel/<service>/<suffix> and its destination {Type AWS_SERVICE, Location
// <service>} (the guide's get-channel example). CloudWatch's telemetry rules use one: the managed policy
// AWSObservabilityAdminTelemetryEnablementServiceRolePolicy allows cloudtrail:Create/Update/DeleteServiceLinkedChannel
// on channel/aws-service-channel/cloudwatch/* (shared/reference/beyond-trails.md §1). The simulator's channel
// [inference, no AWS page shows one]: one per account and region where a running CloudTrail telemetry rule applies,
// single-region, its selectors the union of those rules' (advanced event selectors are ORed), and what it selects is
// all that reaches the rules' log groups. A scenario's telemetry_channel removes it (absent) or narrows it (write_only,
// read_only, none), as a channel the service left behind a change would.

const channelName = "aws-service-channel/cloudwatch/slc"

// channelEvents returns what account acct's CloudWatch service-linked channel in region keeps (all, write_only,
// read_only or none), and whether there is one.
func (w *world) channelEvents(acct, region string) (string, bool) {
	a := w.accounts[acct]
	if a == nil || a.channel == "absent" {
		return "", false
	}
	var rules []*telemetryRule
	if a.evaluation.runningIn(region) {
		rules = a.telemetryRules
	}
	if w.inOrg(acct) && w.orgEvaluation.runningIn(region) {
		rules = append(slices.Clip(rules), w.orgTelemetryRules...)
	}
	read, write, any := false, false, false
	for _, r := range rules {
		if !r.appliesIn(region) {
			continue
		}
		any = true
		read, write = read || r.keeps(true), write || r.keeps(false)
	}
	if !any {
		return "", false
	}
	events := map[[2]bool]string{{true, true}: "all", {false, true}: "write_only", {true, false}: "read_only", {false, false}: "none"}[[2]bool{read, write}]
	if a.channel != "" && a.channel != "all" {
		events = narrower(events, a.channel)
	}
	return events, true
}

// narrower is what two selections keep together.
func narrower(x, y string) string {
	keeps := func(e string, ro bool) bool { return (&telemetryRule{events: e}).keeps(ro) }
	read, write := keeps(x, true) && keeps(y, true), keeps(x, false) && keeps(y, false)
	return map[[2]bool]string{{true, true}: "all", {false, true}: "write_only", {true, false}: "read_only", {false, false}: "none"}[[2]bool{read, write}]
}

// channelKeeps reports whether account acct's channel in region carries a management event (read or write).
func (w *world) channelKeeps(acct, region string, readOnly bool) bool {
	events, ok := w.channelEvents(acct, region)
	return ok && (&telemetryRule{events: events}).keeps(readOnly)
}

// channelARN is the channel's ARN: channel/<UUID>, as the guide's example, the UUID the simulator's own.
func (w *world) channelARN(acct, region string) string {
	h := sha1.Sum([]byte(acct + "/" + region + "/" + channelName))
	return w.arn("cloudtrail", region, acct, fmt.Sprintf("channel/%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16]))
}

func ctListChannels(s *Server, c *call) (any, error) {
	out := []map[string]any{}
	if _, ok := s.w.channelEvents(c.acct.id, c.region); ok {
		out = append(out, map[string]any{"ChannelArn": s.w.channelARN(c.acct.id, c.region), "Name": channelName})
	}
	return map[string]any{"Channels": out}, nil
}

func ctGetChannel(s *Server, c *call) (any, error) {
	id := c.str("Channel")
	events, ok := s.w.channelEvents(c.acct.id, c.region)
	arn := s.w.channelARN(c.acct.id, c.region)
	// "You must specify an ARN or the ID suffix of an ARN for --channel" (the guide's get-channel example).
	if !ok || id != arn && !strings.HasSuffix(arn, "/"+id) {
		if !strings.HasPrefix(id, "arn:") && len(id) != 36 {
			return nil, errf(400, "ChannelARNInvalidException", "The specified channel ARN %s is not valid", id)
		}
		return nil, errf(400, "ChannelNotFoundException", "Channel %s not found", id)
	}
	return map[string]any{"ChannelArn": arn, "Name": channelName, "Source": "CloudTrail",
		"SourceConfig": map[string]any{"ApplyToAllRegions": false,
			"AdvancedEventSelectors": []map[string]any{{"Name": "Management events", "FieldSelectors": fieldSelectors(events)}}},
		"Destinations": []map[string]any{{"Type": "AWS_SERVICE", "Location": "cloudwatch"}}}, nil
}
