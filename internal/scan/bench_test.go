package scan

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
)

// benchAccount is one account with the 17 default regions, a healthy multi-region trail and four local trails in
// various states: what one `trailwatch scan` of a real account does.
func benchAccount(latency string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "latency: %s\naccounts:\n  - id: \"111111111111\"\n    trails:\n", latency)
	b.WriteString("      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}\n")
	for i, r := range []string{"eu-west-1", "us-west-2", "ap-south-1", "sa-east-1"} {
		fmt.Fprintf(&b, "      - {name: local-%d, home_region: %s, log_group: L%d, role: R}\n", i, r, i)
	}
	b.WriteString("    log_groups:\n      - {name: CT, region: us-east-1, retention_days: 365}\n")
	for i, r := range []string{"eu-west-1", "us-west-2", "ap-south-1"} {
		fmt.Fprintf(&b, "      - {name: L%d, region: %s, retention_days: 30}\n", i, r)
	}
	b.WriteString("    roles:\n      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}\n")
	return b.String()
}

func BenchmarkScanAccount(b *testing.B) {
	for _, latency := range []string{"0ms", "30ms"} {
		b.Run("latency="+latency, func(b *testing.B) {
			sc, err := awssim.ParseScenario("bench.yaml", []byte(benchAccount(latency)))
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv, err := awssim.Start(ctx, sc, awssim.Options{})
			if err != nil {
				b.Fatal(err)
			}
			cat, _ := controls.Load()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				targets := []Target{{Clients: collect.NewSDKClients(srv.SDKConfig("111111111111", "us-east-1"))}}
				_, f := Run(ctx, cat, targets, Options{Settings: controls.DefaultSettings(srv.Now()), Collect: collect.Options{}})
				if len(f) < 6 {
					b.Fatalf("%d findings", len(f))
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(srv.CallsTo("*"))/float64(b.N), "calls/op")
		})
	}
}
