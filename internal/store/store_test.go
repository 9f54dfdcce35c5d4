package store

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/report"
	"github.com/trailwatch/trailwatch/internal/scan"
)

var simNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

const scenario = `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: aaa, home_region: us-east-1, logging: false, log_group: G, role: R}
      - {name: bbb, home_region: us-east-1, log_group: G, role: R}
    log_groups: [{name: G, region: us-east-1, retention_days: 365}]
    roles: [{name: R, trust: cloudtrail, policy: cloudtrail-delivery}]
`

type world struct {
	srv *awssim.Server
	cat *controls.Catalog
}

func newWorld(t *testing.T) *world {
	sc, err := awssim.ParseScenario("s.yaml", []byte(scenario))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	now := simNow
	srv, err := awssim.Start(ctx, sc, awssim.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := controls.Load()
	return &world{srv: srv, cat: cat}
}

func (w *world) report() *report.Report {
	inv, fs := scan.Run(context.Background(), w.cat, []scan.Target{{Clients: collect.NewSDKClients(w.srv.SDKConfig("111111111111", "us-east-1"))}},
		scan.Options{Settings: controls.DefaultSettings(w.srv.Now())})
	return report.Build(inv, fs, report.Settings{MaxDeliveryAge: "24h0m0s", MinRetentionDays: 365}, "test")
}

func (w *world) ct() *cloudtrail.Client {
	return cloudtrail.NewFromConfig(w.srv.SDKConfig("111111111111", "us-east-1"))
}

const (
	aaa = "cloudtrail-cloudwatch-integration/arn:aws:cloudtrail:us-east-1:111111111111:trail/aaa"
	bbb = "cloudtrail-cloudwatch-integration/arn:aws:cloudtrail:us-east-1:111111111111:trail/bbb"
)

func ids(fs []model.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return strings.Join(out, ",")
}

// historyAcrossThreeScans: aaa fails (stopped); it is fixed; then bbb breaks.
func historyAcrossThreeScans(t *testing.T, s *Store) {
	ctx := context.Background()
	w := newWorld(t)
	r1 := w.report()
	id1, err := s.Record(ctx, r1)
	if err != nil {
		t.Fatal(err)
	}
	w.ct().StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("aaa")})
	w.srv.Advance(10 * time.Minute)
	id2, err := s.Record(ctx, w.report())
	if err != nil {
		t.Fatal(err)
	}
	w.ct().StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("bbb")})
	w.srv.Advance(time.Hour)
	id3, err := s.Record(ctx, w.report())
	if err != nil {
		t.Fatal(err)
	}
	scans, err := s.Scans(ctx)
	if err != nil || len(scans) != 3 || scans[0].ID != id3 || scans[2].ID != id1 || scans[0].Summary.Total == 0 {
		t.Fatalf("scans %+v %v", scans, err)
	}
	get := func(id int64) []model.Finding {
		fs, err := s.Findings(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return fs
	}
	d := Compare(get(id1), get(id2), true)
	if ids(d.Resolved) != aaa || len(d.New) != 0 {
		t.Errorf("scan 1 -> 2: %+v", d)
	}
	d = Compare(get(id2), get(id3), true)
	if ids(d.New) != bbb || len(d.Resolved) != 0 {
		t.Errorf("scan 2 -> 3: new %s resolved %s", ids(d.New), ids(d.Resolved))
	}
	seen, err := s.Seen(ctx, aaa)
	if err != nil || !seen.FirstSeen.Equal(simNow) || !seen.LastSeen.Equal(simNow.Add(70*time.Minute)) || seen.LastStatus != "PASS" {
		t.Errorf("seen %+v %v", seen, err)
	}
	if _, err := s.Findings(ctx, 999); err == nil {
		t.Error("a scan that does not exist was found")
	}
}

func TestSQLiteHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	historyAcrossThreeScans(t, s)
	// A new store is its owner's only, as reports and journals are (field trial: watch.db was 0644).
	for _, f := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(f); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(f), fi.Mode().Perm())
		} else if err != nil && f == path {
			t.Error(err)
		}
	}
}

// TestPostgresHistory runs the same against PostgreSQL when TRAILWATCH_TEST_POSTGRES names a database (.ci/run
// starts one where it can).
func TestPostgresHistory(t *testing.T) {
	dsn := os.Getenv("TRAILWATCH_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("TRAILWATCH_TEST_POSTGRES is not set: no PostgreSQL server to test against")
	}
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tbl := range []string{"findings", "finding_seen", "scans"} {
		if _, err := s.db.Exec("DELETE FROM " + tbl); err != nil {
			t.Fatal(err)
		}
	}
	historyAcrossThreeScans(t, s)
}

// TestCrashMidWrite kills a process while it writes a scan: the store stays readable and holds no part of it.
func TestCrashMidWrite(t *testing.T) {
	path := os.Getenv("TRAILWATCH_STORE_CRASH")
	if path != "" {
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		w := newWorld(t)
		s.beforeCommit = func() {
			os.WriteFile(path+".writing", nil, 0o644)
			time.Sleep(time.Minute) // killed here
		}
		s.Record(context.Background(), w.report())
		return
	}
	path = filepath.Join(t.TempDir(), "h.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)
	if _, err := s.Record(context.Background(), w.report()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMidWrite$")
	cmd.Env = append(os.Environ(), "TRAILWATCH_STORE_CRASH="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if _, err := os.Stat(path + ".writing"); err == nil {
			break
		}
		if i > 600 {
			cmd.Process.Kill()
			t.Fatal("the child never reached the middle of its write")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	s, err = Open(context.Background(), path)
	if err != nil {
		t.Fatalf("store unreadable after the crash: %v", err)
	}
	defer s.Close()
	scans, err := s.Scans(context.Background())
	if err != nil || len(scans) != 1 {
		t.Fatalf("after the crash: %d scans, %v", len(scans), err)
	}
	var n int
	s.db.QueryRow(`SELECT COUNT(*) FROM findings WHERE scan_id <> ?`, scans[0].ID).Scan(&n)
	if n != 0 {
		t.Errorf("%d findings of the killed scan remain", n)
	}
}

// TestConcurrentOpenMigratesOnce: processes opening one new SQLite store at once (shards on one host, an overlapping
// cron run) each check and apply the migrations under the write lock: none fails on a table another just created.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(context.Background(), path)
			if err != nil {
				errs <- err
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestOpenRefusesOtherURLs: a store is a SQLite file path or a PostgreSQL URL. A URL of another kind (the sqlite:///
// form other tools take, mysql://) was taken as a relative path: `--store sqlite:///var/x.db` created a directory
// named "sqlite:" in the working directory and recorded the scan there.
func TestOpenRefusesOtherURLs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, dsn := range []string{"sqlite:///var/lib/x.db", "sqlite://x.db", "mysql://u@h/db", "file:x.db", "sqlite:x.db"} {
		s, err := Open(t.Context(), dsn)
		if err == nil {
			s.Close()
			t.Errorf("%s: opened", dsn)
			continue
		}
		if !strings.Contains(err.Error(), "postgres://") || !strings.Contains(err.Error(), "path") {
			t.Errorf("%s: %v", dsn, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("created %v", entries)
	}
	// Paths with a colon further in, and relative ones, still open.
	for _, dsn := range []string{"./a:b.db", filepath.Join(dir, "c:d.db")} {
		s, err := Open(t.Context(), dsn)
		if err != nil {
			t.Errorf("%s: %v", dsn, err)
			continue
		}
		s.Close()
	}
}

// TestCompareOnlyWhatWasJudged: a failing finding of a control the later scan did not judge at all (a proof's
// capture-proof after a plain scan, an alarm item after a scan without --alarms) is unseen, not resolved; one of a
// control it judged and no longer reports is resolved.
func TestCompareOnlyWhatWasJudged(t *testing.T) {
	f := func(id, control string, st model.Status) model.Finding {
		return model.Finding{ID: id, ControlID: control, Status: st, Reasons: []model.Reason{{Code: "X"}}}
	}
	before := []model.Finding{f("p1", "capture-proof", model.StatusFail), f("t1", "cloudtrail-cloudwatch-integration", model.StatusFail),
		f("t2", "cloudtrail-cloudwatch-integration", model.StatusPass)}
	after := []model.Finding{f("t2", "cloudtrail-cloudwatch-integration", model.StatusPass)}
	d := Compare(before, after, true)
	if len(d.Resolved) != 1 || d.Resolved[0].ID != "t1" {
		t.Errorf("resolved %+v, want only t1 (deleted trail, its control judged)", d.Resolved)
	}
	if len(d.Unseen) != 1 || d.Unseen[0].ID != "p1" {
		t.Errorf("unseen %+v, want p1 (capture-proof not judged by the later scan)", d.Unseen)
	}
}

// TestCompareOnlyScannedAccounts (field trial): after a narrower scan (--accounts), the failing findings of the
// accounts it did not scan are unseen, not resolved; an account it scanned and no longer reports is resolved.
func TestCompareOnlyScannedAccounts(t *testing.T) {
	f := func(id, acct string, st model.Status) model.Finding {
		return model.Finding{ID: id, AccountID: acct, ControlID: "cloudtrail-cloudwatch-integration", Status: st, Reasons: []model.Reason{{Code: "X"}}}
	}
	before := []model.Finding{f("a1", "111111111111", model.StatusFail), f("b1", "222222222222", model.StatusFail), f("b2", "222222222222", model.StatusPass)}
	after := []model.Finding{f("b2", "222222222222", model.StatusPass)}
	d := Compare(before, after, true)
	if len(d.Resolved) != 1 || d.Resolved[0].ID != "b1" || len(d.Unseen) != 1 || d.Unseen[0].ID != "a1" {
		t.Errorf("resolved %+v unseen %+v, want b1 resolved (its account scanned) and a1 unseen", d.Resolved, d.Unseen)
	}
}
