package parity

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/iac"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/scan"
)

// simNow is the scenarios' time.
var simNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// liveScan serves a scenario and scans the corpus's account through the real SDK from region home, with the alarm
// family on when items are given.
func liveScan(t *testing.T, cat *controls.Catalog, name, text, home string, items []alarms.Item) (*model.Inventory, []model.Finding) {
	t.Helper()
	sc, err := awssim.ParseScenario(name+".yaml", []byte(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := awssim.Start(ctx, sc, awssim.Options{Now: func() time.Time { return simNow }})
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.SDKConfig(account, home)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None })
	}
	s := controls.DefaultSettings(simNow)
	s.Alarms = items
	return scan.Run(ctx, cat, []scan.Target{{Clients: collect.NewSDKClients(cfg)}}, scan.Options{Settings: s, Collect: collect.Options{Monitoring: len(items) > 0}})
}

// finding is the first finding of control id, failing the test when there is none.
func finding(t *testing.T, fs []model.Finding, id string) model.Finding {
	t.Helper()
	for _, f := range fs {
		if f.ControlID == id {
			return f
		}
	}
	t.Fatalf("no %s finding: %+v", id, fs)
	return model.Finding{}
}

// source is one configuration written for an infrastructure-as-code reader.
type source struct{ kind, file, text string }

// iacRead writes a source alone in a directory of its own and reads it.
func iacRead(t *testing.T, src source) *iac.Result {
	t.Helper()
	dir := filepath.Join(t.TempDir(), src.kind)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, src.file), []byte(src.text), 0o600); err != nil {
		t.Fatal(err)
	}
	return iac.Scan([]string{dir}, iac.Options{})
}

// oneTrail reads a source that declares one trail, failing the test otherwise.
func oneTrail(t *testing.T, src source) *iac.Result {
	t.Helper()
	res := iacRead(t, src)
	if len(res.Errors) > 0 || len(res.Trails) != 1 {
		t.Fatalf("%s: %d trails, errors %+v\n%s", src.kind, len(res.Trails), res.Errors, src.text)
	}
	return res
}

// runsIn reports whether a case runs from src: every source when only is empty.
func runsIn(only []string, src string) bool { return len(only) == 0 || slices.Contains(only, src) }
