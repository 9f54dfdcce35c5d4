package controls

import "github.com/trailwatch/trailwatch/internal/model"

// sourceStatus is the one table of how a reason code's status differs by source (docs/controls.md, "One rule, two
// sources"). Live, a broken link is a FAIL: nothing reaches the log group. Before deployment the same link is a WARN
// when the trail still deploys (CloudTrail accepts it) but will deliver nothing, and a FAIL when CloudTrail rejects
// the configuration outright. Either way, for everything downstream of the trail (the account's capture, the alarm
// chain on its log group), a trail with such a reason delivers nothing.
var sourceStatus = map[string]struct {
	Live, IaC       model.Status
	DeliversNothing bool
}{
	NotIntegrated:      {model.StatusFail, model.StatusFail, true},
	RoleMissing:        {model.StatusFail, model.StatusFail, true},
	LogGroupMissing:    {model.StatusFail, model.StatusFail, true},
	LogGroupARNInvalid: {"", model.StatusFail, true},
	LogGroupARNSuffix:  {"", model.StatusWarn, true},
	LogGroupElsewhere:  {"", model.StatusWarn, true},
	RoleNotTrusted:     {model.StatusFail, model.StatusWarn, true},
	RoleCannotWrite:    {model.StatusFail, model.StatusWarn, true},
	RetentionTooShort:  {model.StatusFail, model.StatusWarn, false},
	NoManagementEvents: {model.StatusWarn, model.StatusWarn, false},
	// Live, an unreadable topic is a failed read (ERROR: issue 23); in code, a topic the configuration does not
	// declare is simply not known there.
	TopicUnreadable: {model.StatusError, model.StatusUnknown, false},
}

// statusFor is the status a reason code gives a finding from the evaluator's source.
func (e *evaluator) statusFor(code string) model.Status {
	if e.iac {
		return iacStatus(code)
	}
	return liveStatus(code)
}

// DeliversNothing reports whether an integration finding names a link that keeps every event from the log group,
// whatever status its source gives it.
func DeliversNothing(f model.Finding) bool {
	for _, r := range f.Reasons {
		if sourceStatus[r.Code].DeliversNothing {
			return true
		}
	}
	return false
}

// liveStatus is the status a reason code gives a live finding.
func liveStatus(code string) model.Status { return sourceStatus[code].Live }

// LiveStatus is the status a reason code of the table gives a live finding ("" for a code the table does not hold:
// its status is decided where it is given).
func LiveStatus(code string) model.Status { return liveStatus(code) }

// iacStatus is the status a reason code gives a finding before deployment.
func iacStatus(code string) model.Status { return sourceStatus[code].IaC }

// IaCStatusOf is the status the table gives a reason code before deployment ("" when the code is not in the table:
// its status is the same from every source).
func IaCStatusOf(code string) model.Status { return iacStatus(code) }
