package iac

import "github.com/trailwatch/trailwatch/internal/model"

// TelemetryOf returns, for a trail Scan read, the CloudWatch telemetry rules its own unit (root module or template)
// declares (nil: none): a rule in one unit never captures what another deploys.
func (r *Result) TelemetryOf() func(*model.Trail) *model.Telemetry {
	m := map[*model.Trail]*model.Telemetry{}
	for _, u := range r.Units {
		for _, t := range u.Trails {
			m[t] = u.Telemetry
		}
	}
	return func(t *model.Trail) *model.Telemetry { return m[t] }
}
