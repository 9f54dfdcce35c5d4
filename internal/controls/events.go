package controls

import (
	"slices"
	"sort"
)

// The one table of the CloudTrail events that can move this tool's verdicts (issue 25): for each event name, the
// reason codes it can set or clear. The EventBridge rule that forwards events to the watcher is built from its names
// (deploy.WatchEventPattern), and the watcher names as the cause of a change only the events that can explain it.
// Delivery codes (never or not recently delivered, a delivery error) follow whatever breaks or repairs the pipeline.
var deliveryCodes = []string{NeverDelivered, DeliveryStale, DeliveryError, PendingFirstDelivery}

var trailCodes = append([]string{NotIntegrated, NotLogging, LogGroupMissing, RoleMissing, NoManagementEvents, NoTrail,
	RegionsUncovered, NoMonitoredTrail}, deliveryCodes...)

var groupCodes = append([]string{LogGroupMissing, RetentionTooShort, NoMonitoredTrail}, deliveryCodes...)

var roleCodes = append([]string{RoleMissing, RoleNotTrusted, RoleCannotWrite, NoMonitoredTrail}, deliveryCodes...)

var filterCodes = []string{FilterMissing, FilterMissesEvents, FilterNarrowed, FilterUnparseable}

var alarmCodes = []string{AlarmMissing, AlarmActionsDisabled, AlarmCannotFire, AlarmNoTopic, AlarmUnjudgeable}

var topicCodes = []string{TopicMissing, NoConfirmedSubscriber, TopicUnreadable, ConfirmationUnknown}

var changeEvents = map[string][]string{
	"CreateTrail": trailCodes, "UpdateTrail": append(append([]string{}, trailCodes...), roleCodes...), "DeleteTrail": trailCodes,
	"StartLogging":      append([]string{NotLogging, NoMonitoredTrail, RegionsUncovered, NoTrail}, deliveryCodes...),
	"StopLogging":       append([]string{NotLogging, NoMonitoredTrail, RegionsUncovered, NoTrail}, deliveryCodes...),
	"PutEventSelectors": {NoManagementEvents, NoMonitoredTrail, RegionsUncovered}, "PutAdvancedEventSelectors": {NoManagementEvents, NoMonitoredTrail, RegionsUncovered},

	"CreateLogGroup": groupCodes, "DeleteLogGroup": groupCodes,
	"PutRetentionPolicy": {RetentionTooShort}, "DeleteRetentionPolicy": {RetentionTooShort},
	"PutMetricFilter": filterCodes, "DeleteMetricFilter": filterCodes,

	"DeleteRole": roleCodes, "UpdateAssumeRolePolicy": roleCodes, "PutRolePolicy": roleCodes, "DeleteRolePolicy": roleCodes,
	"AttachRolePolicy": roleCodes, "DetachRolePolicy": roleCodes,

	"PutMetricAlarm": alarmCodes, "DeleteAlarms": alarmCodes, "DisableAlarmActions": alarmCodes, "EnableAlarmActions": alarmCodes,

	"DeleteTopic": topicCodes, "Unsubscribe": topicCodes, "Subscribe": topicCodes, "ConfirmSubscription": topicCodes,
}

// Repairs pairs the events that break delivery with the events that undo them, and the request parameter naming the
// resource both act on (a break undone before the watcher re-reads is a capture gap).
var Repairs = map[string]struct{ Undo, Param string }{
	"StopLogging":      {"StartLogging", "name"},
	"DeleteTrail":      {"CreateTrail", "name"},
	"DeleteLogGroup":   {"CreateLogGroup", "logGroupName"},
	"DetachRolePolicy": {"AttachRolePolicy", "roleName"},
	"DeleteRolePolicy": {"PutRolePolicy", "roleName"},
}

// ChangeEventNames are the event names that can move a verdict, sorted.
func ChangeEventNames() []string {
	out := make([]string, 0, len(changeEvents))
	for n := range changeEvents {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Explains reports whether an event can set or clear one of the reason codes.
func Explains(eventName string, codes []string) bool {
	for _, c := range codes {
		if slices.Contains(changeEvents[eventName], c) {
			return true
		}
	}
	return false
}
