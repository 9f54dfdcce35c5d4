package scan

import (
	"testing"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// TestConsoleDeliveryRole: the CloudTrail console makes multi-Region trails, and its delivery role's policy names the
// streams of the trail's home Region only (log-stream:<account>_CloudTrail_<home region>*), which is what CloudTrail
// writes (CTUG cloudwatch-log-group-log-stream-naming-for-cloudtrail: account_ID_CloudTrail_trail_region). The live
// scan failed it with ROLE_CANNOT_WRITE on eu-west-1's stream and REGIONS_UNCOVERED (issue 21); the simulator, which
// decides delivery with its own check, delivers.
func TestConsoleDeliveryRole(t *testing.T) {
	const console = `'{"Version":"2012-10-17","Statement":[{"Sid":"AWSCloudTrailCreateLogStream2014110","Effect":"Allow","Action":["logs:CreateLogStream"],"Resource":["arn:aws:logs:us-east-1:111111111111:log-group:CT:log-stream:111111111111_CloudTrail_us-east-1*"]},{"Sid":"AWSCloudTrailPutLogEvents20141101","Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":["arn:aws:logs:us-east-1:111111111111:log-group:CT:log-stream:111111111111_CloudTrail_us-east-1*"]}]}'`
	r := scanScenario(t, pipeline(wired, okGroup, "      - {name: R, trust: cloudtrail, policy: "+console+"}"), nil)
	f := r.get(t, controls.IntegrationID, trailARN)
	if f.Status != model.StatusPass || codes(f) != "DELIVERING" {
		t.Errorf("console-made trail: %s %s %+v", f.Status, codes(f), f.Reasons)
	}
	for _, f := range r.findings {
		if f.Status != model.StatusPass {
			t.Errorf("%s %s: %s %s", f.ControlID, f.ResourceID, f.Status, codes(f))
		}
	}
}
