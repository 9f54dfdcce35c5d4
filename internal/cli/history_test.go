package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHistoryAndDiff(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	if code, _, errs := run(t, "demo", "--store="+db, "--format", "json", "--output", filepath.Join(dir, "1.json")); code != 0 || !strings.Contains(errs, "recorded as scan 1") {
		t.Fatalf("first: %d %s", code, errs)
	}
	if code, _, errs := run(t, "diff", "--store", db); code != ExitUsage || !strings.Contains(errs, "two recorded scans") {
		t.Errorf("diff with one scan: %d %s", code, errs)
	}
	ex := filepath.Join(dir, "ex.yaml")
	os.WriteFile(ex, []byte(exFile), 0o644)
	if code, _, errs := run(t, "demo", "--store="+db, "--exceptions", ex, "--max-exception-days", "0", "--format", "json", "--output", filepath.Join(dir, "2.json")); code != 0 {
		t.Fatalf("second: %d %s", code, errs)
	}
	code, out, _ := run(t, "history", "--store", db)
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.HasPrefix(strings.TrimSpace(out), "2") {
		t.Errorf("history:\n%s", out)
	}
	code, out, _ = run(t, "diff", "--store", db, "--format", "json")
	var d struct {
		New, Resolved, Changed []struct {
			ResourceID string `json:"resource_id"`
			Status     string
		}
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || code != 0 {
		t.Fatalf("diff: %d %v\n%s", code, err, out)
	}
	// The exception muted payments-local (resolved for the diff); the two exception hygiene warnings are new.
	if len(d.Resolved) != 1 || !strings.HasSuffix(d.Resolved[0].ResourceID, "trail/payments-local") || len(d.New) != 2 {
		t.Errorf("diff %+v", d)
	}
	code, out, _ = run(t, "diff", "1", "2", "--store", db)
	if code != 0 || !strings.Contains(out, "scan 1 -> scan 2: 2 new, 1 resolved") {
		t.Errorf("diff table:\n%s", out)
	}
	if code, _, _ := run(t, "diff", "x", "--store", db); code != ExitUsage {
		t.Errorf("bad scan id: %d", code)
	}
}

// TestHistoryOfAnEmptyStore: a store with no scan (a fresh file, a mistyped path) says so, instead of printing
// nothing; --json gives an empty list, not null. A store URL of another kind is a usage error that names the forms.
func TestHistoryOfAnEmptyStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "empty.db")
	code, out, errs := run(t, "history", "--store", db)
	if code != 0 || out != "" || !strings.Contains(errs, "no scan recorded in "+db) || !strings.Contains(errs, "--store") {
		t.Errorf("history: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, _ = run(t, "history", "--store", db, "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("history --json: exit %d %q", code, out)
	}
	code, _, errs = run(t, "history", "--store", "sqlite:///"+db)
	if code != ExitUsage || !strings.Contains(errs, "SQLite file path") {
		t.Errorf("sqlite:// URL: exit %d %q", code, errs)
	}
}
