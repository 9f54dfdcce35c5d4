package remediate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/delivery"
	"github.com/trailwatch/trailwatch/internal/model"
)

// A new trail for an account that no trail covers (REGIONS_UNCOVERED with no trail of its own that the plan fixes to
// cover every region): a multi-region trail integrated with CloudWatch Logs, planned as steps like every other fix
// (issue 21: these were CLI strings beside the plan, so they could not be applied, journalled, undone or rendered as
// code). CreateTrail needs an S3 bucket whose policy lets CloudTrail write (CTUG create-s3-bucket-policy-for-cloudtrail;
// CreateTrail fails with InsufficientS3BucketPolicyException or S3BucketDoesNotExistException otherwise): trailwatch
// does not create buckets, so the plan makes the trail only when --trail-bucket names one, and otherwise refuses the
// account with what to do (the commands printed beside the finding then name a CLOUDTRAIL_BUCKET variable).

// NewTrailName names the trail trailwatch creates in an account no trail covers.
const NewTrailName = "management-events"

// DeleteTrail undoes CreateTrail.
const DeleteTrail = "DeleteTrail"

// bucketPlaceholder stands for the bucket in the commands printed when no --trail-bucket was given.
// The AWS CLI renderer writes it as it is: a shell expression that asks whoever runs the command for the bucket.
const bucketPlaceholder = `"${CLOUDTRAIL_BUCKET:?set CLOUDTRAIL_BUCKET to an S3 bucket with the CloudTrail bucket policy}"`

// needsNewTrail reports whether a capture finding is fixed by a new trail: the account's capture fails with uncovered
// regions or no trail at all, no trail of its own that the plan fixes covers them, and no organization trail of every region (owned by
// the management account) covers it: that trail is fixed where it is owned (its own finding and refusal say so), not
// replaced by a trail in each member.
func needsNewTrail(f model.Finding, a *model.Account, p *Plan) bool {
	if f.ControlID != controls.CaptureID || f.Status != model.StatusFail || f.ResourceType != model.TypeAccount || a == nil {
		return false
	}
	if !slices.ContainsFunc(f.Reasons, func(r model.Reason) bool { return r.Code == controls.RegionsUncovered || r.Code == controls.NoTrail }) {
		return false
	}
	if slices.ContainsFunc(a.Trails, func(t *model.Trail) bool {
		return t.OwnedElsewhere && t.Organization && t.MultiRegion && (t.ManagementEvents == nil || *t.ManagementEvents)
	}) {
		return false
	}
	return fixingCovers(a, p) == nil
}

// planNewTrails adds, for each account that needs one, the new trail's steps (with o.TrailBucket), or a refusal that
// says what it needs.
func planNewTrails(p *Plan, inv *model.Inventory, findings []model.Finding, o Options, want func([]string, string) bool, done map[string]string) {
	if len(o.Trails) > 0 {
		return // --trails narrows the plan to those trails
	}
	accounts := map[string]*model.Account{}
	for _, a := range inv.Accounts {
		accounts[a.ID] = a
	}
	for _, f := range findings {
		a := accounts[f.AccountID]
		if !want(o.Accounts, f.AccountID) || !needsNewTrail(f, a, p) {
			continue
		}
		if o.Excluded != nil {
			// An exception on the account's capture keeps it as it is (field trial: a new trail was planned anyway).
			if ex, why := o.Excluded(a.ID); ex {
				p.Refused = append(p.Refused, Refusal{ResourceID: a.ID, AccountID: a.ID, Reason: "excluded by an exception: " + why, Excepted: true})
				continue
			}
		}
		if why := refuseNewTrail(a, partitionOf(inv)); why != "" {
			p.Refused = append(p.Refused, Refusal{ResourceID: a.ID, AccountID: a.ID, Reason: why})
			continue
		}
		if o.TrailBucket == "" {
			p.Refused = append(p.Refused, Refusal{ResourceID: a.ID, AccountID: a.ID, Reason: fmt.Sprintf(
				"no trail of the account covers every region: a new multi-region trail (%s) needs an S3 bucket whose policy lets CloudTrail write; name it with --trail-bucket, or capture without a trail (--via %s)", NewTrailName, ViaTelemetryRule)})
			continue
		}
		for _, s := range newTrailSteps(a, partitionOf(inv), o, o.TrailBucket) {
			// A role repair a trail's fix already makes is made once (a second one's undo would put back the trust the
			// first one fixed), and the new trail relies on it.
			p.addOnce(done, s)
		}
	}
}

// refuseNewTrail says why the new trail cannot be made in the account, or "".
func refuseNewTrail(a *model.Account, part string) string {
	for _, t := range a.Trails {
		// Any region's: trail names are unique in an account (CreateTrail: TrailAlreadyExistsException), and the fix of
		// that trail and a new one of its name would collide (review).
		if t.Name == NewTrailName && !t.OwnedElsewhere {
			return fmt.Sprintf("trail %s exists but does not cover every region: make it multi-region (aws cloudtrail update-trail --is-multi-region-trail) or fix it; trailwatch does not replace it", t.ARN)
		}
	}
	return ""
}

func newTrailARN(a *model.Account, part string) string {
	return awsarn.Trail(part, homeRegionOf(a), a.ID, NewTrailName)
}

// newTrailSteps are the steps that make the new trail: its log group and retention, its delivery role and permission
// (the plan's own steps for a trail with none, so names and policies come from the one place), then CreateTrail
// (multi-region, global service events, log file validation as CIS 3.2 asks, and the CloudWatch Logs settings) and
// StartLogging (a new trail does not log until then: CreateTrail API reference). They all serve the account (their
// ResourceID), so the rollout gate judges them by the account's capture, and a failure part-way undoes them together
// (DeleteTrail, the role, the group). bucket is the S3 bucket, or bucketPlaceholder for printed commands.
func newTrailSteps(a *model.Account, part string, o Options, bucket string) []Step {
	o = withDefaults(o)
	region := homeRegionOf(a)
	groupName, roleName := nameFrom(o.LogGroupName, NewTrailName), delivery.RoleName(o.RoleName, NewTrailName)
	t := &model.Trail{Name: NewTrailName, ARN: newTrailARN(a, part), HomeRegion: region, OwnerAccount: a.ID, MultiRegion: true}
	// A log group or role of those names that another trail of the account uses is reused and repaired as a trail's
	// fix would (field trial: an untrusting role of that name was reused as it was). One nobody uses is not in the
	// scan: apply reads it when CreateLogGroup or CreateRole finds it (adopt).
	for _, tr := range a.Trails {
		if lg := tr.LogGroup; lg != nil && lg.Exists && lg.Name == groupName && lg.Region == region && lg.Account == a.ID && t.LogGroup == nil {
			t.LogGroupARN, t.LogGroup = lg.ARN, lg
		}
		if r := tr.Role; r != nil && r.Exists && r.Name == roleName && !tr.OwnedElsewhere && t.Role == nil {
			t.RoleARN, t.Role = r.ARN, r
		}
	}
	steps, _ := planTrail(t, model.Finding{Reasons: []model.Reason{{Code: controls.NotIntegrated}}}, a, o)
	out := make([]Step, 0, len(steps)+2)
	for _, s := range steps {
		if s.Action == UpdateTrail {
			continue // the trail does not exist: CreateTrail below sets what UpdateTrail would
		}
		s.ResourceID = a.ID
		out = append(out, s)
	}
	roleARN := t.RoleARN
	if roleARN == "" {
		roleARN = awsarn.Role(part, a.ID, roleName)
	}
	create := newStep(a.ID, region, a.ID, "no trail covers every region: a new multi-region trail",
		CreateTrailInput{Name: NewTrailName, S3BucketName: bucket, IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true,
			EnableLogFileValidation: true, CloudWatchLogsLogGroupArn: awsarn.LogGroupARN(part, region, a.ID, groupName),
			CloudWatchLogsRoleArn: roleARN})
	create.Undo = call(DeleteTrailInput{Name: t.ARN})
	start := newStep(a.ID, region, a.ID, "a new trail does not log until StartLogging", StartLoggingInput{Name: t.ARN})
	start.Undo = call(StopLoggingInput{Name: t.ARN})
	out = append(out, create, start)
	return out
}

// bucketRe is S3's general purpose bucket naming rule (S3 User Guide, "General purpose bucket naming rules"): 3 to 63
// characters, lowercase letters, numbers, dots and hyphens, beginning and ending with a letter or number.
var bucketRe = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// CheckBucketName says what is wrong with an S3 bucket name ("" is no bucket, and fine).
func CheckBucketName(b string) error {
	switch {
	case b == "":
		return nil
	case strings.HasPrefix(b, "s3://") || strings.HasPrefix(b, "arn:"):
		return fmt.Errorf("%q: give the bucket's name, not a URL or ARN", b)
	case strings.HasPrefix(b, "xn--") || strings.HasPrefix(b, "sthree-") || strings.HasPrefix(b, "amzn-s3-demo-") ||
		strings.HasSuffix(b, "-s3alias") || strings.HasSuffix(b, "--ol-s3") || strings.HasSuffix(b, ".mrap") || strings.HasSuffix(b, "--x-s3") || strings.HasSuffix(b, "--table-s3"):
		// Reserved by S3 (General purpose bucket naming rules): no general purpose bucket has such a name.
		return fmt.Errorf("%q uses a prefix or suffix S3 reserves (xn--, sthree-, amzn-s3-demo-, -s3alias, --ol-s3, .mrap, --x-s3, --table-s3)", b)
	case !bucketRe.MatchString(b) || strings.Contains(b, "..") || regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`).MatchString(b):
		return fmt.Errorf("%q is not an S3 bucket name: 3-63 lowercase letters, numbers, dots and hyphens, beginning and ending with a letter or number, no two adjacent dots, not an IP address", b)
	}
	return nil
}
