package scan

import (
	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/iac"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

// IaC is the pipeline over what iac.Scan read, as Judge is for a live inventory: the integration control on every
// trail (with the CloudWatch telemetry rules its own unit declares, judged as live rules are), each failing trail's
// fix from the one fix plan (remediate.FixIaC, retention fixRetention days), with items the alarm family per unit and
// its fixes, then the inline suppressions. Exceptions files and the files that could not be read are the caller's.
func IaC(cat *controls.Catalog, res *iac.Result, s controls.IaCSettings, fixRetention int, items []alarms.Item) []model.Finding {
	if s.TelemetryOf == nil {
		s.TelemetryOf = res.TelemetryOf()
	}
	fs := controls.EvaluateIaC(cat, res.Trails, s)
	remediate.FixIaC(res.Trails, fs, remediate.Options{RetentionDays: fixRetention})
	if len(items) > 0 {
		var units []controls.IaCUnit
		off := 0
		for _, u := range res.Units {
			units = append(units, controls.IaCUnit{Name: u.Name, Trails: u.Trails, Integration: fs[off : off+len(u.Trails)], Monitoring: u.Monitoring, Telemetry: u.Telemetry})
			off += len(u.Trails)
		}
		fs = append(fs, controls.EvaluateIaCAlarms(cat, units, items, func(u controls.IaCUnit, ufs []model.Finding) {
			remediate.FixIaCAlarms(u.Trails, u.Monitoring, ufs, items, remediate.Options{})
		})...)
	}
	return controls.ApplySuppressions(fs, res.Trails, s.Now)
}
