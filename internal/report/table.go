package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/trailwatch/trailwatch/internal/cost"
	"github.com/trailwatch/trailwatch/internal/model"
)

// TableOptions tune the readable table.
type TableOptions struct {
	// Color adds ANSI colours to statuses (terminals only).
	Color bool
	// Commands prints each failing finding's fix commands.
	Commands bool
	// Width wraps reasons and notes to this many columns (the terminal's width); 0 does not wrap. Commands are never
	// wrapped: they are copied as they are.
	Width int
}

var colors = map[model.Status]string{
	model.StatusFail: "\x1b[31m", model.StatusError: "\x1b[35m", model.StatusWarn: "\x1b[33m",
	model.StatusPending: "\x1b[36m", model.StatusPass: "\x1b[32m", model.StatusSkipped: "\x1b[90m",
}

// WriteTable writes the report for people: grouped by account, then region, failing findings first, each with its
// reasons, then one summary line.
func WriteTable(w io.Writer, r *Report, o TableOptions) error {
	ew := &errWriter{w: w}
	names := map[string]string{}
	for _, a := range r.Scope.Accounts {
		names[a.ID] = a.Name
	}
	// The control column is as wide as the longest control id shown (34 for the trail controls, more with --alarms).
	width := 34
	for _, f := range r.Findings {
		width = max(width, len(f.ControlID))
	}
	lastAcct, lastRegion := "\x00", "\x00"
	for _, f := range r.Findings {
		if f.Location != nil {
			// Infrastructure as code: grouped by file, with the line.
			if f.Location.File != lastAcct {
				if lastAcct != "\x00" {
					ew.printf("\n")
				}
				ew.printf("File %s\n", f.Location.File)
				lastAcct = f.Location.File
			}
			where := fmt.Sprintf("line %d", f.Location.Line)
			if a := f.Location.Address; a != "" && a != f.ResourceID {
				// An alarm item is the trail's, located at the alarm or filter that decided it (field trial: "the
				// trail (line 61)" named the alarm's line).
				where = fmt.Sprintf("%s, line %d", a, f.Location.Line)
			}
			ew.printf("  %s %-*s %s (%s)\n", statusCell(f.Status, o.Color), width, f.ControlID, f.ResourceID, where)
			for _, rs := range f.Reasons {
				ew.printf("          %s: %s\n", rs.Code, rs.Message)
			}
			for _, n := range f.Notes {
				ew.printf("          note: %s\n", n)
			}
			for _, sp := range f.Suppressed {
				ew.printf("          muted by %s %s: %s\n", sp.Tool, sp.Rule, sp.Reason)
			}
			if o.Commands && f.Fix != "" {
				for _, l := range strings.Split(f.Fix, "\n") {
					ew.printf("          | %s\n", l)
				}
			}
			continue
		}
		if f.AccountID != lastAcct {
			if lastAcct != "\x00" {
				ew.printf("\n")
			}
			name := f.AccountName
			if name == "" {
				name = names[f.AccountID]
			}
			if name != "" {
				ew.printf("Account %s (%s)\n", f.AccountID, name)
			} else {
				ew.printf("Account %s\n", f.AccountID)
			}
			lastAcct, lastRegion = f.AccountID, "\x00"
		}
		if f.Region != lastRegion {
			ew.printf("  %s\n", f.Region)
			lastRegion = f.Region
		}
		ew.printf("    %s %-*s %s\n", statusCell(f.Status, o.Color), width, f.ControlID, f.ResourceID)
		for _, rs := range f.Reasons {
			ew.printf("%s\n", trusted(wrap(terminalSafe(rs.Code+": "+rs.Message), "            ", o.Width)))
		}
		for _, n := range f.Notes {
			ew.printf("%s\n", trusted(wrap(terminalSafe("note: "+n), "            ", o.Width)))
		}
		if x := f.Exception; x != nil {
			if f.Status == model.StatusMuted {
				ew.printf("            muted by exception at %s (owner %s, until %s): %s; status without it: %s\n", x.Where, x.Owner, x.Expires, x.Reason, f.MutedStatus)
			} else {
				// An alternate: it does not mute; it states where the events are captured (issue 26).
				ew.printf("            captured elsewhere by the alternate at %s (owner %s, until %s): %s\n", x.Where, x.Owner, x.Expires, x.Reason)
			}
		}
		if o.Commands {
			for _, c := range f.Commands {
				ew.printf("            $ %s\n", c)
			}
		}
	}
	if len(r.Findings) > 0 {
		ew.printf("\n")
	}
	// An account that could not be read at all already has its ERROR finding (account-activity-capture): it is
	// not listed a second time here.
	for _, a := range r.Scope.SkippedAccounts {
		ew.printf("Account %s skipped: %s\n", a.ID, a.Reason)
	}
	for _, why := range r.Incomplete {
		ew.printf("INCOMPLETE: %s\n", why)
	}
	if c := cost.Summary("CloudWatch Logs ingestion a month today, from each integrated log group's own IncomingBytes ("+r.PriceSource+"):", r.Costs); c != "" {
		// Line by line: printf makes a value's control characters visible, newlines included (field trial: one
		// line with \x0a between entries).
		for _, line := range strings.Split(strings.TrimSuffix(c, "\n"), "\n") {
			ew.printf("%s\n", line)
		}
	}
	if c := cost.Summary("What the fix would add a month, estimated before anything is applied ("+r.FixPriceSource+"):", r.FixCosts); c != "" {
		for _, line := range strings.Split(strings.TrimSuffix(c, "\n"), "\n") {
			ew.printf("%s\n", line)
		}
	} else if r.FixPlannedAt != nil {
		ew.printf("What the fix would add a month: nothing (the plan sends no new events to CloudWatch Logs).\n")
	}
	ew.printf("%s\n", SummaryLine(r))
	return ew.err
}

// SummaryLine is the one-line verdict: counts per status, findings, accounts and regions.
func SummaryLine(r *Report) string {
	var parts []string
	for _, st := range model.AllStatuses {
		if n := r.Summary.ByStatus[string(st)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no findings")
	}
	if r.Scope.Files > 0 || len(r.Scope.Paths) > 0 {
		return fmt.Sprintf("Summary: %s (%s, %s)", strings.Join(parts, ", "), plural(r.Summary.Total, "finding"), plural(r.Scope.Files, "file"))
	}
	return fmt.Sprintf("Summary: %s (%s, %s, %s)", strings.Join(parts, ", "),
		plural(r.Summary.Total, "finding"), plural(len(r.Scope.Accounts), "account"), plural(len(r.Scope.Regions), "region"))
}

// wrap indents text and breaks it at spaces so that no line passes width columns (a word longer than the room, such
// as an ARN, stands alone on its line); width 0 only indents.
func wrap(text, indent string, width int) string {
	room := width - len(indent)
	if width <= 0 || room < 20 {
		return indent + text
	}
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(text) {
		switch {
		case i == 0:
			b.WriteString(indent)
		case line+1+len(word) > room:
			b.WriteString("\n" + indent + "  ")
			line = 2
		default:
			b.WriteString(" ")
			line++
		}
		b.WriteString(word)
		line += len(word)
	}
	return b.String()
}

// plural is "1 account", "2 accounts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

type errWriter struct {
	w   io.Writer
	err error
}

// trusted is table text trailwatch made itself (a coloured status): printed as is.
type trusted string

func statusCell(st model.Status, color bool) trusted {
	cell := fmt.Sprintf("%-7s", st)
	if color {
		return trusted(colors[st] + cell + "\x1b[0m")
	}
	return trusted(cell)
}

// printf prints with every string argument made safe for a terminal: names and messages come from AWS accounts, and
// a trail named with an escape sequence must not rewrite the screen.
func (e *errWriter) printf(format string, args ...any) {
	for i, a := range args {
		switch v := a.(type) {
		case string:
			args[i] = terminalSafe(v)
		case trusted:
			args[i] = string(v)
		}
	}
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// terminalSafe replaces control characters (C0, DEL, C1: ANSI escape sequences among them) and Unicode
// bidirectional overrides with visible escapes such as \x1b and \u202e.
func terminalSafe(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafeRune(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0xfeff
}
