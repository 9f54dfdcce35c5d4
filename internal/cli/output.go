package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/report"
	"github.com/trailwatch/trailwatch/internal/store"
)

// version is set at build time with -ldflags "-X .../internal/cli.version=..."; without it, toolVersion reads the
// module version or the VCS revision Go stamped into the binary.
var version = "dev"

// toolVersion is the version --version prints and reports carry.
func toolVersion() string {
	if version != "dev" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev-" + rev
}

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
	cmd.Flags().BoolVar(&o.commands, "commands", false, "table: print the fix of each failing finding (AWS CLI commands; for iac, the Terraform or CloudFormation to add or change)")
	cmd.Flags().BoolVar(&o.noColor, "no-color", false, "table: no colours even on a terminal")
}

// writeFileAtomic writes path through a temporary file in the same directory, renamed over path only once fully
// written and synced: a failed or interrupted run never leaves a truncated report, nor touches the previous one.
// Reports can hold account ids and resource names: the file is created 0600 (an existing file keeps its mode).
//
// A symbolic link stays a link: its target is written. What is not a regular file (a device such as /dev/null or
// /dev/stdout, a named pipe) is written in place: renaming over it would replace it, and /dev/null replaced by a
// regular file breaks every program on the machine.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	path = linkTarget(path)
	mode := os.FileMode(0o600)
	if st, err := os.Stat(path); err == nil {
		if !st.Mode().IsRegular() {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			if err := write(f); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		}
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	err = write(tmp)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// linkTarget returns what path names once symbolic links are followed, the target of a link to a file not written
// yet included; path itself when it is no link.
func linkTarget(path string) string {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		return target
	}
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSymlink != 0 {
		if target, err := os.Readlink(path); err == nil {
			if !filepath.IsAbs(target) {
				target = filepath.Join(filepath.Dir(path), target)
			}
			return target
		}
	}
	return path
}

// checkWritableDir fails, before any work, when a report could not be written at path: its directory is missing or
// not writable.
func checkWritableDir(flag, path string) error {
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return usageError("%s %s: directory %s does not exist", flag, path, dir)
	}
	if !st.IsDir() {
		return usageError("%s %s: %s is not a directory", flag, path, dir)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usageError("%s %s: is a directory; name a file", flag, path)
	} else if err == nil && !fi.Mode().IsRegular() {
		// A device or a named pipe is written in place (writeFileAtomic). A device is opened to check it; a pipe is
		// not (opening and closing it would end its reader's input before the report).
		if fi.Mode()&os.ModeNamedPipe == 0 {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return usageError("%s %s: not writable: %v", flag, path, err)
			}
			f.Close()
		}
		return nil
	}
	dir = filepath.Dir(linkTarget(path)) // a link's target is what gets written
	f, err := os.CreateTemp(dir, ".trailwatch-write-check-*")
	if err != nil {
		return usageError("%s %s: directory %s is not writable: %v", flag, path, dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

func (o *outputOptions) validate() error {
	if err := checkWritableDir("--output", o.output); err != nil {
		return err
	}
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
	x := extras()
	x.Table = report.TableOptions{Color: !o.noColor && o.output == "" && isTerminal(e.stdout), Commands: o.commands, Width: terminalWidth(e.stdout)}
	if o.output == "" {
		if err := report.Write(e.stdout, r, o.format, x); err != nil {
			return &exitError{code: ExitIncomplete, err: err}
		}
		if o.format != "table" {
			o.sayIncomplete(e, r)
		}
		return exitFor(r, o.failOn)
	}
	if err := writeFileAtomic(o.output, func(w io.Writer) error { return report.Write(w, r, o.format, x) }); err != nil {
		return &exitError{code: ExitIncomplete, err: fmt.Errorf("--output: %w", err)}
	}
	fmt.Fprintf(e.stderr, "%s; report written to %s\n", report.SummaryLine(r), o.output)
	o.sayIncomplete(e, r)
	return exitFor(r, o.failOn)
}

// sayIncomplete repeats on stderr why an incomplete report is incomplete, where the report itself is not read on the
// terminal (written to a file, or in a format for machines): the summary line alone reads like a finished scan.
func (o *outputOptions) sayIncomplete(e *env, r *report.Report) {
	if r.Complete {
		return
	}
	for _, why := range r.Incomplete {
		fmt.Fprintf(e.stderr, "INCOMPLETE: %s\n", why)
	}
}

// deliver writes the report, then records it in the history store st when there is one: the report comes first, so a
// busy or broken store never costs it. A store failure is said on stderr and makes the exit code 2 (incomplete).
func (o *outputOptions) deliver(ctx context.Context, e *env, st *store.Store, r *report.Report) error {
	exit := o.write(e, r)
	var ee *exitError
	if st == nil || errors.As(exit, &ee) && ee.err != nil {
		return exit // no store, or the report itself could not be written
	}
	id, err := st.Record(ctx, r)
	if err != nil {
		fmt.Fprintf(e.stderr, "trailwatch: the report was written, but recording it in the history store failed: %v\n", err)
		return &exitError{code: ExitIncomplete}
	}
	fmt.Fprintf(e.stderr, "recorded as scan %d\n", id)
	return exit
}

// exitFor maps findings to the exit code: 2 when the scan as a whole was incomplete (not every account was listed,
// an interrupted --partial scan), whatever it found; else 1 when a FAIL at or above failOn exists (a definite failure
// outranks an ERROR on one resource), else 2 when any ERROR exists, else 0.
func exitFor(r *report.Report, failOn string) error {
	if !r.Complete {
		return &exitError{code: ExitIncomplete}
	}
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

// terminalWidth is the width of the terminal w writes to, or 0 when it is not a terminal (a file, a pipe).
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !isTerminal(w) {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
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
	alarms           bool
	cisVersion       string
	literal          bool
}

func (o *settingsOptions) bind(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&o.maxDeliveryAge, "max-delivery-age", 24*time.Hour, "oldest acceptable CloudWatch Logs delivery (older fails)")
	cmd.Flags().IntVar(&o.minRetentionDays, "min-retention-days", 365, "shortest acceptable log group retention in days")
	cmd.Flags().DurationVar(&o.pendingWindow, "pending-window", 30*time.Minute, "a whole pipeline that started logging this recently is PENDING until its first delivery")
	cmd.Flags().BoolVar(&o.alarms, "alarms", false, "also judge the CIS monitoring chain (alarm-* controls: metric filter, alarm, SNS topic with a confirmed subscriber) on each account")
	cmd.Flags().StringVar(&o.cisVersion, "cis-version", alarms.DefaultVersion, "CIS AWS Foundations version whose published filter patterns the alarm controls use: "+strings.Join(alarms.Versions, ", "))
	cmd.Flags().BoolVar(&o.literal, "literal", false, "judge every trail as AWS Config's cloud-trail-cloud-watch-logs-enabled does: one without CloudWatch Logs fails even where a CloudWatch telemetry rule captures its regions' events")
}

func (o *settingsOptions) validate() error {
	if o.maxDeliveryAge <= 0 {
		return usageError("--max-delivery-age %s: want a positive duration such as 24h", o.maxDeliveryAge)
	}
	if o.minRetentionDays < 1 {
		return usageError("--min-retention-days %d: want at least 1", o.minRetentionDays)
	}
	if _, err := alarms.ForVersion(o.cisVersion); err != nil {
		return usageError("--cis-version %s: want one of %s", o.cisVersion, strings.Join(alarms.Versions, ", "))
	}
	return nil
}

func (o *settingsOptions) report() report.Settings {
	s := report.Settings{MaxDeliveryAge: o.maxDeliveryAge.String(), MinRetentionDays: o.minRetentionDays, PendingWindow: o.pendingWindow.String()}
	if o.alarms {
		s.AlarmsCISVersion = o.cisVersion
	}
	return s
}

func (o *settingsOptions) controls(now time.Time) controls.Settings {
	s := controls.Settings{Now: now, MaxDeliveryAge: o.maxDeliveryAge, MinRetentionDays: o.minRetentionDays, PendingWindow: o.pendingWindow, Literal: o.literal}
	if o.alarms {
		s.Alarms, _ = alarms.ForVersion(o.cisVersion) // validated
	}
	return s
}

// extras are the catalog texts some formats carry: framework mappings (CSV) and rules (SARIF).
func extras() report.Extras {
	x := report.Extras{Frameworks: map[string][]string{}, Standards: map[string][]string{}, Rules: map[string]report.RuleText{}}
	cat, err := controls.Load()
	if err != nil {
		return x
	}
	for _, c := range cat.Controls {
		for _, f := range c.Frameworks {
			x.Frameworks[c.ID] = append(x.Frameworks[c.ID], strings.Join(strings.Fields(f.Framework+" "+f.Version+" "+f.ID), " "))
			std := strings.Join(strings.Fields(f.Framework+" "+f.Version), " ")
			if !slices.Contains(x.Standards[c.ID], std) {
				x.Standards[c.ID] = append(x.Standards[c.ID], std)
			}
		}
		x.Rules[c.ID] = report.RuleText{Title: c.Title, Help: c.Rationale + "\n\n**Fix**: " + c.Remediation}
	}
	return x
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
