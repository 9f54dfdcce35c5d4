package scan

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/apicalls"
	"github.com/trailwatch/trailwatch/internal/awsconfig"
	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/gctune"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/org"
	"github.com/trailwatch/trailwatch/internal/remediate"
)

// TestMain lets the test binary double as the simulator process of the organization benchmark: with
// TRAILWATCH_SIM_CHILD set to a scenario file it serves it, prints its URL, and serves until stdin closes. The scan and
// the simulator then have their own processes, so the scan's memory and CPU are measured alone.
func TestMain(m *testing.M) {
	if path := os.Getenv("TRAILWATCH_SIM_CHILD"); path != "" {
		os.Exit(simChild(path))
	}
	os.Exit(m.Run())
}

func simChild(path string) int {
	gctune.Apply(os.Getenv, os.ReadFile) // as `trailwatch sim serve` runs (the binary applies it to every command)
	sc, err := awssim.LoadScenario(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv, err := awssim.Start(context.Background(), sc, awssim.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if prof := os.Getenv("TRAILWATCH_SIM_CPUPROFILE"); prof != "" {
		// Diagnostics: where the simulator's share of the machine goes.
		if f, err := os.Create(prof); err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
		}
	}
	fmt.Println(srv.URL)
	_, _ = bufio.NewReader(os.Stdin).ReadString(0) // until the parent closes stdin
	return 0
}

type simProcess struct {
	url string
	cmd *exec.Cmd
	in  interface{ Close() error }
}

func startSimProcess(b *testing.B, sc *awssim.Scenario) *simProcess {
	b.Helper()
	data, err := sc.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "org.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "TRAILWATCH_SIM_CHILD="+path)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	url, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("simulator did not start: %v", err)
	}
	p := &simProcess{url: strings.TrimSpace(url), cmd: cmd, in: in}
	b.Cleanup(func() { _ = in.Close(); _ = cmd.Wait() })
	return p
}

// cpuSeconds of a process from /proc/<pid>/stat (utime + stime, clock ticks of 1/100 s).
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data)[strings.LastIndex(string(data), ")")+2:])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

// productionGC runs the benchmark with the GC settings the trailwatch binary applies (gctune), restored afterwards.
func productionGC(b *testing.B) {
	prev := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(-1)
	gctune.Apply(os.Getenv, os.ReadFile)
	b.Cleanup(func() { debug.SetGCPercent(prev); debug.SetMemoryLimit(prevLimit) })
}

// statusMB returns a /proc/self/status field (VmHWM, VmRSS) in MB.
func statusMB(field string) float64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, field+":") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// peakRSS returns this process's peak resident memory (VmHWM) in MB: the whole process's, the benchmark's own
// generation of the scenario included where /proc/self/clear_refs cannot reset it.
func peakRSS() float64 { return statusMB("VmHWM") }

// rssSampler samples the resident memory (VmRSS) every 20 ms until stopped and returns the largest: the scan's own
// peak, once the benchmark's setup garbage has been returned to the OS.
func rssSampler() (stop func() float64) {
	done := make(chan struct{})
	peak := make(chan float64)
	go func() {
		m := statusMB("VmRSS")
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				peak <- max(m, statusMB("VmRSS"))
				return
			case <-t.C:
				m = max(m, statusMB("VmRSS"))
			}
		}
	}()
	return func() float64 { close(done); return <-peak }
}

func simCounters(b *testing.B, url string) (calls int, errors map[string]int) {
	resp, err := http.Get(url + "/_sim/counters")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Counters []awssim.CallCount }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	errors = map[string]int{}
	for _, c := range body.Counters {
		calls += c.Calls
		for k, v := range c.Errors {
			errors[k] += v
		}
	}
	return calls, errors
}

// BenchmarkOrgScan scans generated organizations of 100, 1,000 and 10,000 accounts x 17 regions, with 30 ms latency per call
// and AWS's request-rate limits on, through the production configuration (adaptive retryer, pacing, shared HTTP
// client), and reports wall time, API calls per operation, throttling seen, peak memory, and the lower bound for the
// same work. docs/performance.md records the figures.
func BenchmarkOrgScan(b *testing.B) {
	productionGC(b)
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) { benchOrg(b, n, collect.DiscoveryAuto) })
	}
}

// BenchmarkOrgScanDiscovery scans the same 1,000-account organization with --discovery sweep, list and auto (issue
// 15: the 1,000-account figures before and after the call reduction).
func BenchmarkOrgScanDiscovery(b *testing.B) {
	productionGC(b)
	for _, d := range []string{collect.DiscoverySweep, collect.DiscoveryList, collect.DiscoveryAuto} {
		b.Run("discovery="+d, func(b *testing.B) { benchOrg(b, 1000, d) })
	}
}

func benchOrg(b *testing.B, n int, discovery string) {
	const latency = 30 * time.Millisecond
	{
		{
			// The setup (generating the scenario, marshalling it for the simulator) is not trailwatch: it runs with
			// Go's default GC, so that its garbage does not inflate the process's high-water mark; the scan runs with
			// the production settings (productionGC).
			prevGC := debug.SetGCPercent(100)
			sc := awssim.Generate(awssim.GenOptions{Accounts: n, Latency: latency, RateLimits: true, Seed: 1})
			sim := startSimProcess(b, sc)
			debug.SetGCPercent(prevGC)
			cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(sim.url), HTTPClient: awsconfig.HTTPClient(),
				Retryer:     awsconfig.Retryer(8),
				Credentials: credentials.NewStaticCredentialsProvider(awssim.AccessKeyFor(mgmtID), "sim-secret-"+mgmtID, "")}
			cat, _ := controls.Load()
			_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // reset the peak RSS where the kernel allows it
			debug.FreeOSMemory()                                      // return the setup's garbage (the generated scenario's YAML) to the OS
			var scanPeak float64
			var wall time.Duration
			var rec *apicalls.Recorder
			var inv *model.Inventory
			var findings []model.Finding
			var selfCPU, simCPU float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if resp, err := http.Post(sim.url+"/_sim/counters/reset", "", nil); err == nil {
					resp.Body.Close()
				}
				rec = apicalls.NewRecorder(nil)
				var ru0, ru1 syscall.Rusage
				_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
				sim0 := cpuSeconds(sim.cmd.Process.Pid)
				stopRSS := rssSampler()
				start := time.Now()
				var err error
				inv, findings, err = Org(context.Background(), cat, cfg, OrgOptions{Recorder: rec, Pacing: true,
					Options: Options{Settings: controls.DefaultSettings(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)),
						Collect: collect.Options{Discovery: discovery}}})
				if err != nil {
					b.Fatal(err)
				}
				wall = time.Since(start)
				scanPeak = stopRSS()
				_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
				selfCPU = tv(ru1.Utime) + tv(ru1.Stime) - tv(ru0.Utime) - tv(ru0.Stime)
				simCPU = cpuSeconds(sim.cmd.Process.Pid) - sim0
			}
			b.StopTimer()
			if len(inv.Accounts) != n {
				b.Fatalf("scanned %d accounts of %d", len(inv.Accounts), n)
			}
			errorsAsFindings := 0
			for _, f := range findings {
				if f.Status == model.StatusError {
					errorsAsFindings++
				}
			}
			calls, simErrs := simCounters(b, sim.url)
			throttled := 0
			for _, v := range rec.Throttled() {
				throttled += v
			}
			// Lower bound. Chain: GetCallerIdentity, DescribeOrganization, the ListAccounts pages up to the last
			// account's, then that account: AssumeRole, DescribeRegions, DescribeTrails, and the longest of
			// GetTrailStatus / DescribeLogGroups / GetRole -> ListRolePolicies -> GetRolePolicy.
			// With --discovery list, ListTrails comes before DescribeTrails: one more link.
			pages := int(math.Ceil(float64(n) / 20))
			links := 2 + pages + 6
			used := map[string]int{}
			for _, a := range inv.Accounts {
				used[a.Discovery]++
			}
			if used[collect.DiscoveryList]+used[collect.DiscoveryList+" (auto)"] > 0 {
				links++ // the last account was, almost surely, read with ListTrails first
			}
			chain := time.Duration(links) * latency
			allowed := 128 * 24 // accounts at once x calls in flight per account
			throughput := time.Duration(float64(calls) * float64(latency) / float64(allowed))
			bound := max(chain, throughput)
			cpuBound := time.Duration((selfCPU + simCPU) / 2 * float64(time.Second))
			// What the result keeps alive: the inventory and the findings, after a collection (the scenario the
			// benchmark holds to start the simulator is counted too, and reported apart).
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			live := float64(ms.HeapAlloc) / (1 << 20)
			runtime.KeepAlive(inv)
			runtime.KeepAlive(findings)
			runtime.KeepAlive(sc)
			b.ReportMetric(wall.Seconds(), "s/scan")
			b.ReportMetric(float64(calls), "calls")
			b.ReportMetric(scanPeak, "MB-peak-RSS")
			b.ReportMetric(peakRSS(), "MB-process-HWM")
			b.ReportMetric(live, "MB-live-heap")
			b.ReportMetric(live*1024/float64(len(findings)), "KB-live-per-finding")
			b.ReportMetric(wall.Seconds()/bound.Seconds(), "measured/bound")
			counts := rec.Counts()
			var ops []string
			for k, v := range counts {
				ops = append(ops, fmt.Sprintf("%s=%d", k, v))
			}
			sort.Strings(ops)
			b.Logf("%d accounts x 17 regions, latency %s, rate limits on", n, latency)
			b.Logf("wall %.2fs; calls %d (recorder %d); throttling errors seen %d (simulator: %v); ERROR findings %d", wall.Seconds(), calls, rec.Total(), throttled, simErrs, errorsAsFindings)
			b.Logf("calls per operation: %s", strings.Join(ops, " "))
			b.Logf("accounts by discovery: %v; ListTrails evidence: %+v", used, inv.ListTrails)
			b.Logf("peak RSS during the scan %.0f MB (sampled every 20 ms; the process's high-water mark, setup included, %.0f MB); live heap after the scan %.1f MB; CPU: scan %.2fs, simulator %.2fs (2 cores)",
				scanPeak, peakRSS(), live, selfCPU, simCPU)
			b.Logf("lower bound: chain %d calls x %s = %.2fs; throughput %d calls x %s / %d in flight = %.2fs; bound %.2fs; measured/bound %.2f",
				links, latency, chain.Seconds(), calls, latency, allowed, throughput.Seconds(), bound.Seconds(), wall.Seconds()/bound.Seconds())
			b.Logf("CPU bound on this machine (scan + simulator CPU / 2 cores) %.2fs; measured/max(bound, CPU bound) %.2f",
				cpuBound.Seconds(), wall.Seconds()/max(bound, cpuBound).Seconds())
			if n == 100 && b.N == 1 {
				cisBaseline(b, sc, sim.url, wall, n)
			}
		}
	}
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// cisBaseline runs the CIS benchmark's manual audit for one account with the AWS CLI against the same simulator:
// `aws cloudtrail describe-trails` in each region, then `get-trail-status` for each trail, one command at a time.
func cisBaseline(b *testing.B, sc *awssim.Scenario, url string, wall time.Duration, n int) {
	if _, err := exec.LookPath("aws"); err != nil {
		b.Log("AWS CLI baseline skipped: aws is not on the PATH")
		return
	}
	// The member with the most local trails.
	best := sc.Accounts[1]
	for _, a := range sc.Accounts[1:] {
		if len(a.Trails) > len(best.Trails) {
			best = a
		}
	}
	env := []string{"AWS_ENDPOINT_URL=" + url, "AWS_ACCESS_KEY_ID=" + awssim.AccessKeyFor(best.ID),
		"AWS_SECRET_ACCESS_KEY=sim-secret-" + best.ID, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER="}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	awsCLI := func(args ...string) []byte {
		cmd := exec.Command("aws", append(args, "--output", "json")...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("aws %v: %v", args, err)
		}
		return out
	}
	start := time.Now()
	seen := map[string]string{}
	for _, r := range awssim.DefaultRegions("aws") {
		var out struct {
			TrailList []struct{ TrailARN, HomeRegion string }
		}
		_ = json.Unmarshal(awsCLI("cloudtrail", "describe-trails", "--region", r), &out)
		for _, t := range out.TrailList {
			seen[t.TrailARN] = t.HomeRegion
		}
	}
	for arn, home := range seen {
		awsCLI("cloudtrail", "get-trail-status", "--region", home, "--name", arn)
	}
	cli := time.Since(start)
	b.Logf("AWS CLI baseline (CIS audit procedure, one account, %d trails): %.1fs, %d commands; x %d accounts = %.0fs; trailwatch %.2fs for all %d: %.0fx faster",
		len(seen), cli.Seconds(), 17+len(seen), n, cli.Seconds()*float64(n), wall.Seconds(), n, cli.Seconds()*float64(n)/wall.Seconds())
}

// BenchmarkOrgScanThrottled scans a generated organization of 200 accounts x 17 regions twice, clean and with 20% of
// all calls throttled (the simulator answers them with each service's throttling error), through the production
// configuration, and reports the ratio: throttling should cost what the retries cost and no more (issue 11: a shared
// adaptive limiter made it 70-108x slower). docs/performance.md records the figures.
func BenchmarkOrgScanThrottled(b *testing.B) {
	productionGC(b)
	const latency = 30 * time.Millisecond
	run := func(b *testing.B, throttle float64) (time.Duration, int) {
		sc := awssim.Generate(awssim.GenOptions{Accounts: 200, Latency: latency, Seed: 1})
		if throttle > 0 {
			sc.Faults = append(sc.Faults, awssim.Fault{Operation: "*", ThrottleRate: throttle})
		}
		sim := startSimProcess(b, sc)
		cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(sim.url), HTTPClient: awsconfig.HTTPClient(),
			Retryer:     awsconfig.Retryer(8),
			Credentials: credentials.NewStaticCredentialsProvider(awssim.AccessKeyFor(mgmtID), "sim-secret-"+mgmtID, "")}
		cat, _ := controls.Load()
		rec := apicalls.NewRecorder(nil)
		start := time.Now()
		inv, findings, err := Org(context.Background(), cat, cfg, OrgOptions{Recorder: rec, Pacing: true,
			Options: Options{Settings: controls.DefaultSettings(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)),
				Collect: collect.Options{Discovery: collect.DiscoveryAuto}}})
		if err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		if len(inv.Accounts) != 200 {
			b.Fatalf("scanned %d accounts", len(inv.Accounts))
		}
		errs := 0
		for _, f := range findings {
			if f.Status == model.StatusError {
				errs++
			}
		}
		throttled := 0
		for _, v := range rec.Throttled() {
			throttled += v
		}
		b.Logf("throttle rate %.0f%%: wall %.2fs, calls %d, throttling errors %d, ERROR findings %d", throttle*100, wall.Seconds(), rec.Total(), throttled, errs)
		return wall, errs
	}
	for i := 0; i < b.N; i++ {
		clean, _ := run(b, 0)
		throttled, errs := run(b, 0.2)
		b.ReportMetric(clean.Seconds(), "s/clean-scan")
		b.ReportMetric(throttled.Seconds(), "s/throttled-scan")
		b.ReportMetric(throttled.Seconds()/clean.Seconds(), "throttled/clean")
		b.ReportMetric(float64(errs), "ERROR-findings-throttled")
	}
}

// BenchmarkOrgScanShards: the 10,000-account organization as a sharded run does it. The accounts are listed once
// (org accounts --run), then 4 shards are scanned one after another, each with the machine to itself as on its own
// pod or Batch child, each given the run's list; then the merge: the shards' inventories through JSON (as they
// travel through the store) joined and judged once. Reported: the listing, the slowest shard, the merge, and the
// wall time of the run on 4 workers (listing + slowest shard + merge).
func BenchmarkOrgScanShards(b *testing.B) {
	productionGC(b)
	const latency = 30 * time.Millisecond
	const shards = 4
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("TRAILWATCH_BENCH_ACCOUNTS")); err == nil && v > 0 {
		n = v // a smaller organization, to explore
	}
	sc := awssim.Generate(awssim.GenOptions{Accounts: n, Latency: latency, RateLimits: true, Seed: 1})
	sim := startSimProcess(b, sc)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(sim.url), HTTPClient: awsconfig.HTTPClient(),
		Retryer:     awsconfig.Retryer(8),
		Credentials: credentials.NewStaticCredentialsProvider(awssim.AccessKeyFor(mgmtID), "sim-secret-"+mgmtID, "")}
	cat, _ := controls.Load()
	settings := controls.DefaultSettings(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	var listing, slowest, merging time.Duration
	var findings int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		found, _, err := org.Discover(context.Background(), organizations.NewFromConfig(cfg))
		if err != nil {
			b.Fatal(err)
		}
		listing = time.Since(start)
		slowest = 0
		var blobs [][]byte
		for k := 1; k <= shards; k++ {
			start := time.Now()
			rec := apicalls.NewRecorder(nil)
			inv, _, err := Org(context.Background(), cat, cfg, OrgOptions{Recorder: rec, Pacing: true,
				Members: found.Members, Filter: org.Filter{ShardIndex: k, ShardCount: shards},
				Options: Options{Settings: settings, Collect: collect.Options{Discovery: collect.DiscoveryAuto}}})
			if err != nil {
				b.Fatal(err)
			}
			took := time.Since(start)
			slowest = max(slowest, took)
			b.Logf("shard %d/%d: %d accounts in %.2fs, %d calls: %v", k, shards, len(inv.Accounts), took.Seconds(), rec.Total(), rec.Counts())
			blob, err := json.Marshal(inv)
			if err != nil {
				b.Fatal(err)
			}
			blobs = append(blobs, blob)
		}
		start = time.Now()
		var invs []*model.Inventory
		for _, blob := range blobs {
			var inv model.Inventory
			if err := json.Unmarshal(blob, &inv); err != nil {
				b.Fatal(err)
			}
			invs = append(invs, &inv)
		}
		merged := Merge(invs)
		findings = len(remediate.Judge(cat, merged, settings))
		merging = time.Since(start)
		if len(merged.Accounts) != n {
			b.Fatalf("merged %d accounts of %d", len(merged.Accounts), n)
		}
	}
	b.StopTimer()
	run := listing + slowest + merging
	b.ReportMetric(listing.Seconds(), "s-listing")
	b.ReportMetric(slowest.Seconds(), "s-slowest-shard")
	b.ReportMetric(merging.Seconds(), "s-merge")
	b.ReportMetric(run.Seconds(), "s/run-on-4-workers")
	b.Logf("%d accounts, %d shards: listing %.2fs, slowest shard %.2fs, merge (JSON in, join, judge; %d findings) %.2fs: %.2fs on %d workers",
		n, shards, listing.Seconds(), slowest.Seconds(), findings, merging.Seconds(), run.Seconds(), shards)
}

// BenchmarkOrgScanAlarms measures what --alarms adds to a 1,000-account organization scan (TRAILWATCH_BENCH_ACCOUNTS to
// change the size): the organization trail's log group carries the whole CIS chain, members' local groups none.
func BenchmarkOrgScanAlarms(b *testing.B) {
	productionGC(b)
	const latency = 30 * time.Millisecond
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("TRAILWATCH_BENCH_ACCOUNTS")); err == nil && v >= 3 {
		n = v
	}
	sc := awssim.Generate(awssim.GenOptions{Accounts: n, Latency: latency, RateLimits: true, Seed: 1, Monitoring: true})
	sim := startSimProcess(b, sc)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(sim.url), HTTPClient: awsconfig.HTTPClient(), Retryer: awsconfig.Retryer(8),
		Credentials: credentials.NewStaticCredentialsProvider(awssim.AccessKeyFor(mgmtID), "sim-secret-"+mgmtID, "")}
	cat, _ := controls.Load()
	items, _ := alarms.ForVersion("")
	for _, withAlarms := range []bool{false, true} {
		b.Run(fmt.Sprintf("alarms=%v", withAlarms), func(b *testing.B) {
			var wall time.Duration
			var calls int
			var findings []model.Finding
			for i := 0; i < b.N; i++ {
				if resp, err := http.Post(sim.url+"/_sim/counters/reset", "", nil); err == nil {
					resp.Body.Close()
				}
				s := controls.DefaultSettings(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
				o := OrgOptions{Recorder: apicalls.NewRecorder(nil), Pacing: true, Options: Options{Settings: s}}
				if withAlarms {
					o.Settings.Alarms = items
					o.Collect.Monitoring = true
				}
				start := time.Now()
				var err error
				_, findings, err = Org(context.Background(), cat, cfg, o)
				if err != nil {
					b.Fatal(err)
				}
				wall = time.Since(start)
				calls, _ = simCounters(b, sim.url)
			}
			pass := 0
			for _, f := range findings {
				if strings.HasPrefix(f.ControlID, "alarm-") && f.Status == model.StatusPass {
					pass++
				}
			}
			if withAlarms && pass != 15*n {
				b.Fatalf("%d alarm findings pass, want %d (every account judged on the organization trail's chain)", pass, 15*n)
			}
			b.ReportMetric(wall.Seconds(), "s/scan")
			b.ReportMetric(float64(calls), "calls")
			b.ReportMetric(float64(len(findings)), "findings")
		})
	}
}
