package prove

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/scan"
)

// BenchmarkProveOrganization proves a generated 1,000-account organization (17 regions each, an organization trail
// and local trails, some broken) with zero delivery delay: two marker calls per account and region, and the searches
// of the organization trail's group. The scan that precedes the proof is not timed (BenchmarkOrgScan measures it).
// docs/performance.md has the figures: go test -run '^$' -bench BenchmarkProveOrganization -benchtime 3x ./internal/prove
func BenchmarkProveOrganization(b *testing.B) {
	cat, _ := controls.Load()
	var markers, searches, proven int
	for i := 0; i < b.N; i++ {
		// A fresh organization each time, scanned untimed: the proof's records do not pile up across iterations.
		b.StopTimer()
		sc := awssim.Generate(awssim.GenOptions{Accounts: 1000, Seed: 1})
		zero := awssim.Duration(0)
		sc.LogDeliveryDelay = &zero
		ctx, cancel := context.WithCancel(context.Background())
		srv, err := awssim.Start(ctx, sc, awssim.Options{})
		if err != nil {
			b.Fatal(err)
		}
		inv, findings, err := scan.Org(ctx, cat, srv.SDKConfig("100000000000", "us-east-1"), scan.OrgOptions{Options: scan.Options{Settings: controls.DefaultSettings(srv.Now()), AccountConcurrency: 64}})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res := Run(ctx, cat, inv, findings, &simClients{srv: srv}, Options{RunID: fmt.Sprintf("bench%d", i), Poll: time.Millisecond, Timeout: time.Minute, Concurrency: 32, Now: srv.Now})
		b.StopTimer()
		markers, searches = res.MarkerCalls, res.SearchCalls
		proven = 0
		for _, f := range res.Findings {
			if f.Status == model.StatusPass {
				proven++
			}
		}
		cancel()
		b.StartTimer()
	}
	b.ReportMetric(float64(markers), "marker-calls/op")
	b.ReportMetric(float64(searches), "searches/op")
	b.ReportMetric(float64(proven), "regions-proven/op")
}
