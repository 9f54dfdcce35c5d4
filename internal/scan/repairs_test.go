package scan

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

// TestPendingAfterRoleRepair: a delivery role repaired by hand (its permission policy, or its trust) is PENDING on a
// plain later scan until the first delivery after the repair: when it changed comes from CloudTrail event history
// (LookupEvents on the role, read only for a trail whose configuration passes but whose delivery evidence fails). The
// scan reported FAIL NEVER_DELIVERED with the old "Access denied" error (issue 21). Past the pending window it FAILs
// again; a repair that does not repair (the policy names another log group) stays ROLE_CANNOT_WRITE and costs no
// lookup.
func TestPendingAfterRoleRepair(t *testing.T) {
	const good = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:111111111111:log-group:CT:log-stream:111111111111_CloudTrail_us-east-1*"}]}`
	const trusted = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	cases := []struct {
		name, role string
		repair     func(*iam.Client) error
		want       model.Status
		wantCode   string
	}{
		{"permission policy", "{name: R, trust: cloudtrail, policy: create-stream-only}", func(c *iam.Client) error {
			_, err := c.PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String("delivery"), PolicyDocument: aws.String(good)})
			return err
		}, model.StatusPending, controls.PendingFirstDelivery},
		{"trust", "{name: R, trust: logs.amazonaws.com, policy: cloudtrail-delivery}", func(c *iam.Client) error {
			_, err := c.UpdateAssumeRolePolicy(context.Background(), &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("R"), PolicyDocument: aws.String(trusted)})
			return err
		}, model.StatusPending, controls.PendingFirstDelivery},
		{"a repair that does not repair", "{name: R, trust: cloudtrail, policy: create-stream-only}", func(c *iam.Client) error {
			_, err := c.PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String("delivery"),
				PolicyDocument: aws.String(strings.ReplaceAll(good, "log-group:CT:", "log-group:Other:"))})
			return err
		}, model.StatusFail, controls.DeliveryError + "," + controls.NeverDelivered + "," + controls.RoleCannotWrite},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := scanScenario(t, "first_delivery_delay: 48h\n"+pipeline(wired, okGroup, "      - "+tc.role), nil)
			if f := r.get(t, controls.IntegrationID, trailARN); f.Status != model.StatusFail {
				t.Fatalf("before the repair: %s %s", f.Status, codes(f))
			}
			r.srv.Advance(time.Hour)
			if err := tc.repair(iam.NewFromConfig(r.srv.SDKConfig(acct, "us-east-1"))); err != nil {
				t.Fatal(err)
			}
			r.srv.Advance(5 * time.Minute)
			before := r.srv.CallsTo("cloudtrail:LookupEvents")
			cat, _ := controls.Load()
			judge := func() model.Finding {
				_, fs := Run(context.Background(), cat, r.targets, Options{Settings: controls.DefaultSettings(r.srv.Now())})
				for _, f := range fs {
					if f.ResourceID == trailARN && f.ControlID == controls.IntegrationID {
						return f
					}
				}
				t.Fatal("no finding for the trail")
				return model.Finding{}
			}
			f := judge()
			if f.Status != tc.want || codes(f) != tc.wantCode {
				t.Errorf("5 minutes after the repair: %s %s %+v %v", f.Status, codes(f), f.Reasons, f.Notes)
			}
			lookups := r.srv.CallsTo("cloudtrail:LookupEvents") - before
			// Two lookups: the trail's CloudWatch Logs settings (UpdateTrail in its home region) and the role's changes.
			if tc.want == model.StatusPending && (lookups != 2 || !strings.Contains(f.Reasons[0].Message, "its delivery role was changed")) {
				t.Errorf("%d LookupEvents; reason %q", lookups, f.Reasons[0].Message)
			}
			if tc.want == model.StatusFail && lookups != 0 {
				t.Errorf("a trail whose configuration fails cost %d LookupEvents", lookups)
			}
			if tc.want == model.StatusPending {
				r.srv.Advance(time.Hour)
				if f := judge(); f.Status != model.StatusFail || !strings.Contains(codes(f), controls.NeverDelivered) {
					t.Errorf("past the pending window: %s %s", f.Status, codes(f))
				}
			}
		})
	}
}

// TestRepairLookupRefused: with LookupEvents refused, a trail that fails on its delivery evidence stays FAIL (that
// evidence is read), and says that whether a repair is on its way could not be read; the refusal is no verdict.
func TestRepairLookupRefused(t *testing.T) {
	r := scanScenario(t, "first_delivery_delay: 48h\n"+pipeline(wired, okGroup, "      - {name: R, trust: cloudtrail, policy: create-stream-only}")+
		"    faults:\n      - {operation: \"cloudtrail:LookupEvents\", error: AccessDeniedException}\n", nil)
	if err := func() error {
		_, err := iam.NewFromConfig(r.srv.SDKConfig(acct, "us-east-1")).PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String("delivery"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`)})
		return err
	}(); err != nil {
		t.Fatal(err)
	}
	r.srv.Advance(5 * time.Minute)
	cat, _ := controls.Load()
	_, fs := Run(context.Background(), cat, r.targets, Options{Settings: controls.DefaultSettings(r.srv.Now())})
	for _, f := range fs {
		if f.ControlID == controls.IntegrationID && f.ResourceID == trailARN {
			if f.Status != model.StatusFail || !strings.Contains(strings.Join(f.Notes, " "), "could not be read (cloudtrail:LookupEvents: AccessDeniedException)") {
				t.Errorf("%s %s %v", f.Status, codes(f), f.Notes)
			}
			return
		}
	}
	t.Fatal("no finding for the trail")
}

// TestPendingAfterTrailIntegrated (field trial, issue 21 "PENDING for every kind of repair"): a trail integrated with a
// log group and role that already existed (UpdateTrail, by hand or by fix apply) is PENDING on a plain later scan
// until its first delivery: when comes from CloudTrail event history (LookupEvents of UpdateTrail in its home region).
// The scan said FAIL NEVER_DELIVERED; a trail whose selectors keep no management events (a warning) as well, while
// fix apply's own re-check said WARN. A failed UpdateTrail changes nothing.
func TestPendingAfterTrailIntegrated(t *testing.T) {
	for _, tc := range []struct {
		name, selectors string
		fail            bool // the UpdateTrail fails (a role of another account)
		want            model.Status
	}{
		{"integrated", "", false, model.StatusPending},
		{"integrated, selectors without management events", ", management_events: false", false, model.StatusWarn},
		{"the call failed", "", true, model.StatusFail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := scanScenario(t, "first_delivery_delay: 48h\n"+pipeline(tc.selectors, okGroup, okRole), nil)
			if f := r.get(t, controls.IntegrationID, trailARN); f.Status != model.StatusFail || !strings.Contains(codes(f), controls.NotIntegrated) {
				t.Fatalf("before: %s %s", f.Status, codes(f))
			}
			r.srv.Advance(time.Hour)
			role := "arn:aws:iam::111111111111:role/R"
			if tc.fail {
				role = "arn:aws:iam::222222222222:role/R"
			}
			_, err := cloudtrail.NewFromConfig(r.srv.SDKConfig(acct, "us-east-1")).UpdateTrail(context.Background(), &cloudtrail.UpdateTrailInput{Name: aws.String("main"),
				CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:111111111111:log-group:CT:*"), CloudWatchLogsRoleArn: aws.String(role)})
			if (err != nil) != tc.fail {
				t.Fatalf("UpdateTrail: %v", err)
			}
			r.srv.Advance(5 * time.Minute)
			cat, _ := controls.Load()
			_, fs := Run(context.Background(), cat, r.targets, Options{Settings: controls.DefaultSettings(r.srv.Now())})
			for _, f := range fs {
				if f.ResourceID != trailARN || f.ControlID != controls.IntegrationID {
					continue
				}
				if f.Status != tc.want {
					t.Errorf("5 minutes after: %s %s %v", f.Status, codes(f), f.Reasons)
				}
				if tc.want != model.StatusFail && !strings.Contains(codes(f), controls.PendingFirstDelivery) {
					t.Errorf("no PENDING reason: %s", codes(f))
				}
				if tc.want != model.StatusFail && !strings.Contains(f.Reasons[0].Message+f.Reasons[len(f.Reasons)-1].Message, "CloudWatch Logs settings were set (UpdateTrail)") {
					t.Errorf("the reason does not say what was repaired: %v", f.Reasons)
				}
				// watch's re-read of the account answers as the scan does (review: it read no repair, so watch said
				// FAIL where the scan said PENDING).
				settings := controls.DefaultSettings(r.srv.Now())
				res := &Result{Base: r.srv.SDKConfig(acct, "us-east-1"), CallerID: acct, Partition: "aws"}
				a := res.Reread(context.Background(), acct, []string{"us-east-1", "eu-west-1"}, RereadOptions{Catalog: cat, Settings: func() controls.Settings { return settings }})
				for _, g := range remediate.Judge(cat, &model.Inventory{Accounts: []*model.Account{a}}, settings) {
					if g.ResourceID == trailARN && g.ControlID == controls.IntegrationID && (g.Status != f.Status || codes(g) != codes(f)) {
						t.Errorf("watch's re-read: %s %s; the scan: %s %s", g.Status, codes(g), f.Status, codes(f))
					}
				}
				return
			}
			t.Fatal("no finding for the trail")
		})
	}
}
