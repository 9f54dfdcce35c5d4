package scan

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
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
			if tc.want == model.StatusPending && (lookups != 1 || !strings.Contains(f.Reasons[0].Message, "its delivery role was changed")) {
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
