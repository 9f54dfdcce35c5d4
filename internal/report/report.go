// Package report turns findings into the report trailwatch prints and saves, and writes it in each output format.
// The JSON form is a stable, documented schema (docs/output.md, schema_version 1).
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/trailwatch/trailwatch/internal/cost"
	"github.com/trailwatch/trailwatch/internal/model"
)

// SchemaVersion is the version of the JSON report schema.
const SchemaVersion = 1

// Report is one scan's result.
type Report struct {
	SchemaVersion int       `json:"schema_version"`
	Tool          Tool      `json:"tool"`
	GeneratedAt   time.Time `json:"generated_at"`
	Settings      Settings  `json:"settings"`
	Scope         Scope     `json:"scope"`
	// Complete is false when the scan did not see everything it was asked to; Incomplete says what it missed.
	// Findings absent from an incomplete report are unknown, not resolved.
	Complete   bool            `json:"complete"`
	Incomplete []string        `json:"incomplete,omitempty"`
	Summary    Summary         `json:"summary"`
	Findings   []model.Finding `json:"findings"`
	// Inventory is what was collected; present in shard reports (--shard, --include-inventory) so that
	// `trailwatch merge` can judge the union exactly as one scan would.
	Inventory *model.Inventory `json:"inventory,omitempty"`
	// Costs are what the integrated log groups cost today (scan --cost), and PriceSource the prices they use.
	Costs       []cost.Estimate `json:"costs,omitempty"`
	PriceSource string          `json:"price_source,omitempty"`
	// FixCosts are what a fix plan would add a month (fix plan --cost, joined by report --plan), FixPriceSource its
	// prices and FixPlannedAt when it was planned: the report shows what capture costs today and what the fix adds.
	FixCosts       []cost.Estimate `json:"fix_costs,omitempty"`
	FixPriceSource string          `json:"fix_price_source,omitempty"`
	FixPlannedAt   *time.Time      `json:"fix_planned_at,omitempty"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Settings are the thresholds the scan judged against.
type Settings struct {
	MaxDeliveryAge   string `json:"max_delivery_age"`
	MinRetentionDays int    `json:"min_retention_days"`
	PendingWindow    string `json:"pending_window,omitempty"`
	// AlarmsCISVersion is the CIS version whose monitoring items were judged (scan --alarms); empty: not judged.
	AlarmsCISVersion string `json:"alarms_cis_version,omitempty"`
}

// Scope says what was scanned and what was not, and why.
type Scope struct {
	Partition string         `json:"partition"`
	Accounts  []ScopeAccount `json:"accounts"`
	Regions   []string       `json:"regions"`
	// SkippedAccounts are organization accounts not scanned (suspended, closed, excluded), with the reason.
	SkippedAccounts []model.SkippedAccount `json:"skipped_accounts,omitempty"`
	// Shard is "i/n" for a shard's report.
	Shard string `json:"shard,omitempty"`
	// Paths and Files: what an infrastructure-as-code check read.
	Paths []string `json:"paths,omitempty"`
	Files int      `json:"files,omitempty"`
}

// ScopeAccount is one scanned account.
type ScopeAccount struct {
	ID      string                `json:"id"`
	Name    string                `json:"name,omitempty"`
	OU      string                `json:"ou,omitempty"`
	Tags    map[string]string     `json:"tags,omitempty"`
	Regions []string              `json:"regions"`
	Skipped []model.SkippedRegion `json:"skipped,omitempty"`
	Error   *model.CallError      `json:"error,omitempty"`
}

// Summary counts findings per status.
type Summary struct {
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"by_status"`
}

// Build assembles a report from an inventory and its findings.
func Build(inv *model.Inventory, findings []model.Finding, settings Settings, version string) *Report {
	r := &Report{
		SchemaVersion: SchemaVersion, Tool: Tool{Name: "trailwatch", Version: version},
		GeneratedAt: inv.CollectedAt.UTC(), Settings: settings, Findings: findings,
		Complete: len(inv.Incomplete) == 0, Incomplete: inv.Incomplete,
		Scope: Scope{Partition: inv.Partition, Accounts: []ScopeAccount{}, Regions: []string{}},
	}
	if r.Findings == nil {
		r.Findings = []model.Finding{}
	}
	regions := map[string]bool{}
	for _, a := range inv.Accounts {
		sa := ScopeAccount{ID: a.ID, Name: a.Name, OU: a.OU, Tags: a.Tags, Regions: a.Regions, Skipped: a.Skipped, Error: a.Error}
		if sa.Regions == nil {
			sa.Regions = []string{}
		}
		r.Scope.Accounts = append(r.Scope.Accounts, sa)
		for _, reg := range a.Regions {
			regions[reg] = true
		}
	}
	for reg := range regions {
		r.Scope.Regions = append(r.Scope.Regions, reg)
	}
	sort.Strings(r.Scope.Regions)
	r.Scope.SkippedAccounts = inv.SkippedAccounts
	r.Summary = Summarize(r.Findings)
	return r
}

// BuildIaC assembles the report of an infrastructure-as-code check.
func BuildIaC(paths []string, files int, findings []model.Finding, settings Settings, version string, now time.Time) *Report {
	r := &Report{SchemaVersion: SchemaVersion, Tool: Tool{Name: "trailwatch", Version: version}, GeneratedAt: now.UTC(),
		Complete: true, Settings: settings, Findings: findings, Scope: Scope{Accounts: []ScopeAccount{}, Regions: []string{}, Paths: paths, Files: files}}
	if r.Findings == nil {
		r.Findings = []model.Finding{}
	}
	r.Summary = Summarize(r.Findings)
	return r
}

// Summarize counts findings per status; every status appears, with zero when absent.
func Summarize(fs []model.Finding) Summary {
	s := Summary{ByStatus: map[string]int{}}
	for _, st := range model.AllStatuses {
		s.ByStatus[string(st)] = 0
	}
	for _, f := range fs {
		s.ByStatus[string(f.Status)]++
		s.Total++
	}
	return s
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// ReadJSON reads a report written by WriteJSON, refusing other schema versions.
func ReadJSON(rd io.Reader) (*Report, error) {
	// Reports written before "complete" existed were complete: an absent key keeps true.
	r := Report{Complete: true}
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("read JSON report: %w", err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("read JSON report: schema_version %d, this trailwatch reads %d", r.SchemaVersion, SchemaVersion)
	}
	if r.Tool.Name == "" {
		// Every report names its tool; a fix plan (which has a schema_version too) does not (field trial: a plan given
		// as --from made an empty report).
		return nil, fmt.Errorf("read JSON report: not a scan report (no tool): write one with trailwatch scan --format json")
	}
	return &r, nil
}
