package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/report"
)

// version is set at build time with -ldflags "-X .../internal/cli.version=...".
var version = "dev"

// outputOptions are the flags every reporting command shares.
type outputOptions struct {
	format   string
	output   string
	failOn   string
	commands bool
	noColor  bool
}

func (o *outputOptions) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.format, "format", "table", "output format: "+strings.Join(report.Formats, ", "))
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "write the report to FILE instead of stdout")
	cmd.Flags().StringVar(&o.failOn, "fail-on", "low", "lowest severity of a FAIL finding that makes the exit code 1: low, medium, high, critical, or none")
	cmd.Flags().BoolVar(&o.commands, "commands", false, "table: print the AWS CLI commands that fix each failing finding")
	cmd.Flags().BoolVar(&o.noColor, "no-color", false, "table: no colours even on a terminal")
}

func (o *outputOptions) validate() error {
	ok := false
	for _, f := range report.Formats {
		ok = ok || f == o.format
	}
	if !ok {
		return usageError("--format %q: want one of %s", o.format, strings.Join(report.Formats, ", "))
	}
	if _, ok := severityRank[strings.ToLower(o.failOn)]; !ok {
		return usageError("--fail-on %q: want low, medium, high, critical or none", o.failOn)
	}
	return nil
}

var severityRank = map[string]int{"informational": 0, "low": 1, "medium": 2, "high": 3, "critical": 4, "none": 99}

// write prints the report and returns the documented exit code as an error (nil for 0).
func (o *outputOptions) write(e *env, r *report.Report) error {
	var w io.Writer = e.stdout
	var f *os.File
	if o.output != "" {
		var err error
		if f, err = os.Create(o.output); err != nil {
			return usageError("--output: %v", err)
		}
		w = f
	}
	x := extras()
	x.Table = report.TableOptions{Color: !o.noColor && f == nil && isTerminal(e.stdout), Commands: o.commands}
	err := report.Write(w, r, o.format, x)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			fmt.Fprintf(e.stderr, "%s; report written to %s\n", report.SummaryLine(r), o.output)
		}
	}
	if err != nil {
		return &exitError{code: ExitIncomplete, err: err}
	}
	return exitFor(r, o.failOn)
}

// exitFor maps findings to the exit code: 1 when a FAIL at or above failOn exists (a definite failure outranks an
// incomplete scan), else 2 when any ERROR exists, else 0.
func exitFor(r *report.Report, failOn string) error {
	min := severityRank[strings.ToLower(failOn)]
	failed, incomplete := false, false
	for _, f := range r.Findings {
		switch f.Status {
		case model.StatusFail:
			if severityRank[strings.ToLower(f.Severity)] >= min {
				failed = true
			}
		case model.StatusError:
			incomplete = true
		}
	}
	switch {
	case failed:
		return &exitError{code: ExitFailed}
	case incomplete:
		return &exitError{code: ExitIncomplete}
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// settingsOptions are the thresholds flags.
type settingsOptions struct {
	maxDeliveryAge   time.Duration
	minRetentionDays int
	pendingWindow    time.Duration
}

func (o *settingsOptions) bind(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&o.maxDeliveryAge, "max-delivery-age", 24*time.Hour, "oldest acceptable CloudWatch Logs delivery (older fails)")
	cmd.Flags().IntVar(&o.minRetentionDays, "min-retention-days", 365, "shortest acceptable log group retention in days")
	cmd.Flags().DurationVar(&o.pendingWindow, "pending-window", 30*time.Minute, "a whole pipeline that started logging this recently is PENDING until its first delivery")
}

func (o *settingsOptions) validate() error {
	if o.maxDeliveryAge <= 0 {
		return usageError("--max-delivery-age %s: want a positive duration such as 24h", o.maxDeliveryAge)
	}
	if o.minRetentionDays < 1 {
		return usageError("--min-retention-days %d: want at least 1", o.minRetentionDays)
	}
	return nil
}

func (o *settingsOptions) report() report.Settings {
	return report.Settings{MaxDeliveryAge: o.maxDeliveryAge.String(), MinRetentionDays: o.minRetentionDays, PendingWindow: o.pendingWindow.String()}
}

func (o *settingsOptions) controls(now time.Time) controls.Settings {
	return controls.Settings{Now: now, MaxDeliveryAge: o.maxDeliveryAge, MinRetentionDays: o.minRetentionDays, PendingWindow: o.pendingWindow}
}

// extras are the catalog texts some formats carry: framework mappings (CSV) and rules (SARIF).
func extras() report.Extras {
	x := report.Extras{Frameworks: map[string][]string{}, Rules: map[string]report.RuleText{}}
	cat, err := controls.Load()
	if err != nil {
		return x
	}
	for _, c := range cat.Controls {
		for _, f := range c.Frameworks {
			x.Frameworks[c.ID] = append(x.Frameworks[c.ID], strings.Join(strings.Fields(f.Framework+" "+f.Version+" "+f.ID), " "))
		}
		x.Rules[c.ID] = report.RuleText{Title: c.Title, Help: c.Rationale + "\n\n**Fix**: " + c.Remediation}
	}
	return x
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
