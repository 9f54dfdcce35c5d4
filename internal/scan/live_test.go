package scan

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/trailwatch/trailwatch/internal/apicalls"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
)

// TestLive: the scan the commands run, through the library (issue 22: it lived in the command layer). The caller's
// account and partition come from GetCallerIdentity (the partition from its ARN); a cancelled scan is an
// *InterruptedError, or with Partial a result that says so; refused credentials are an *UnidentifiedError that says
// they were refused; Reread collects one account again as the scan reached it.
func TestLive(t *testing.T) {
	srv := startScenario(t, `
partition: aws-cn
accounts:
  - id: "111111111111"
    regions: [cn-north-1]
    trails: [{name: main, home_region: cn-north-1}]
`)
	ctx := context.Background()
	cat, err := controls.Load()
	if err != nil {
		t.Fatal(err)
	}
	opts := func() LiveOptions {
		return LiveOptions{Options: Options{Collect: collect.Options{HomeRegion: "cn-north-1"}, Settings: controls.DefaultSettings(simNow)},
			Recorder: apicalls.NewRecorder(nil)}
	}
	cfg := srv.SDKConfig("111111111111", "cn-north-1")
	res, err := Live(ctx, cat, cfg, opts())
	if err != nil {
		t.Fatal(err)
	}
	if res.CallerID != "111111111111" || res.Partition != "aws-cn" || len(res.Inv.Accounts) != 1 || len(res.Findings) == 0 || res.Interrupted != nil {
		t.Errorf("result: caller %q, partition %q, %d accounts, %d findings, interrupted %v", res.CallerID, res.Partition, len(res.Inv.Accounts), len(res.Findings), res.Interrupted)
	}
	// Who the journal of a later fix names: the simulator's caller in that account (awssim world.go).
	if res.CallerARN != "arn:aws-cn:iam::111111111111:user/trailwatch-sim" {
		t.Errorf("caller ARN %q", res.CallerARN)
	}
	if id := res.Identity("222222222222", "Audit"); id != "arn:aws-cn:sts::222222222222:assumed-role/Audit/trailwatch" {
		t.Errorf("identity in a member: %q", id)
	}
	if a := res.Reread(ctx, "111111111111", []string{"cn-north-1"}, RereadOptions{}); a.ID != "111111111111" || len(a.Trails) != 1 {
		t.Errorf("re-read: %+v", a)
	}
	caller, err := Caller(ctx, cfg)
	if err != nil || caller.CallerID != "111111111111" || caller.Partition != "aws-cn" || caller.CallerARN != res.CallerARN {
		t.Errorf("caller: %v %+v", err, caller)
	}

	done, stop := context.WithCancel(ctx)
	stop()
	var ie *InterruptedError
	if _, err := Live(done, cat, cfg, opts()); !errors.As(err, &ie) {
		t.Errorf("a cancelled scan: %v", err)
	}
	o := opts()
	o.Partial = true
	if res, err := Live(done, cat, cfg, o); err != nil || res.Interrupted == nil || len(res.Inv.Incomplete) == 0 {
		t.Errorf("a cancelled scan with Partial: %v %+v", err, res)
	}

	bad := cfg.Copy()
	bad.Credentials = credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "not-the-secret", "")
	var ue *UnidentifiedError
	if _, err := Live(ctx, cat, bad, opts()); !errors.As(err, &ue) || !ue.Refused {
		t.Errorf("refused credentials: %v", err)
	}
	if _, err := Caller(ctx, bad); !errors.As(err, &ue) || !ue.Refused {
		t.Errorf("refused credentials, caller: %v", err)
	}
}
