package report

import (
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/trailwatch/trailwatch/internal/model"
)

// Formats lists the output formats, for flags and errors.
var Formats = []string{"table", "json", "csv", "junit", "html", "sarif", "asff", "ocsf"}

// Extras are what some formats need beyond the report: each control's framework mappings and rule texts.
type Extras struct {
	// Frameworks are each control's mappings ("CIS AWS Foundations Benchmark v1.4.0 3.4"); Standards the frameworks
	// themselves, named whole ("CIS AWS Foundations Benchmark v1.4.0").
	Frameworks map[string][]string
	Standards  map[string][]string
	Rules      map[string]RuleText
	Table      TableOptions
	// Region places account-level findings in ASFF (default us-east-1).
	Region string
}

// Write writes the report in format.
func Write(w io.Writer, r *Report, format string, x Extras) error {
	switch format {
	case "table":
		return WriteTable(w, r, x.Table)
	case "json":
		return WriteJSON(w, r)
	case "csv":
		return WriteCSV(w, r, x.Frameworks)
	case "junit":
		return WriteJUnit(w, r)
	case "html":
		return WriteHTML(w, r)
	case "sarif":
		return WriteSARIF(w, r, x.Rules)
	case "ocsf":
		return WriteOCSF(w, r, x.Frameworks, x.Standards)
	case "asff":
		region := x.Region
		if region == "" {
			region = "us-east-1"
		}
		return WriteASFF(w, r, x.Frameworks, region)
	}
	return fmt.Errorf("unknown format %q: want one of %s", format, strings.Join(Formats, ", "))
}

// CSVHeader is the CSV format's header row.
var CSVHeader = []string{"id", "control_id", "title", "status", "muted_status", "severity", "account_id", "account_name",
	"region", "resource_type", "resource_id", "reason_codes", "reasons", "notes", "remediation", "commands", "fix",
	"exception_owner", "exception_reason", "exception_expires", "exception_ticket", "file", "line", "frameworks"}

// WriteCSV writes one row per finding, with the control's framework mappings.
func WriteCSV(w io.Writer, r *Report, frameworks map[string][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, f := range r.Findings {
		var codes, msgs []string
		for _, rs := range f.Reasons {
			codes = append(codes, rs.Code)
			msgs = append(msgs, rs.Code+": "+rs.Message)
		}
		var exOwner, exReason, exExpires, exTicket, file, line string
		if f.Exception != nil {
			exOwner, exReason, exExpires, exTicket = f.Exception.Owner, f.Exception.Reason, f.Exception.Expires, f.Exception.Ticket
		}
		if f.Location != nil {
			file, line = f.Location.File, fmt.Sprint(f.Location.Line)
		}
		row := []string{f.ID, f.ControlID, f.Title, string(f.Status), string(f.MutedStatus), f.Severity, f.AccountID, f.AccountName,
			f.Region, f.ResourceType, f.ResourceID, strings.Join(codes, ";"), strings.Join(msgs, "\n"), strings.Join(f.Notes, "\n"),
			f.Remediation, strings.Join(f.Commands, "\n"), f.Fix, exOwner, exReason, exExpires, exTicket, file, line,
			strings.Join(frameworks[f.ControlID], "; ")}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe neutralises a cell a spreadsheet would run as a formula (OWASP "CSV injection": a leading =, +, -, @, tab
// or carriage return) by prefixing a single quote. Names and messages in findings come from AWS accounts, which
// anyone able to name a trail or log group controls.
func csvSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes one test case per finding (per resource and control), grouped in a suite per account and region
// (or per file for infrastructure as code): FAIL is a failure, ERROR an error, WARN a failure of type WARN, and
// SKIPPED, MUTED, PENDING and UNKNOWN are skipped, with the reason.
func WriteJUnit(w io.Writer, r *Report) error {
	suites := map[string]*junitSuite{}
	var order []string
	out := junitSuites{Name: "trailwatch"}
	for _, f := range r.Findings {
		key := f.AccountID + " " + f.Region
		if f.Location != nil {
			key = f.Location.File
		}
		s := suites[key]
		if s == nil {
			s = &junitSuite{Name: strings.TrimSpace(key)}
			suites[key] = s
			order = append(order, key)
		}
		var msgs []string
		for _, rs := range f.Reasons {
			msgs = append(msgs, rs.Code+": "+rs.Message)
		}
		text := strings.Join(append(msgs, f.Commands...), "\n")
		c := junitCase{Name: f.ResourceID, ClassName: f.ControlID}
		if f.Location != nil {
			c.File, c.Line = f.Location.File, f.Location.Line
		}
		first := ""
		if len(f.Reasons) > 0 {
			first = f.Reasons[0].Code
		}
		switch f.Status {
		case model.StatusFail, model.StatusWarn:
			c.Failure = &junitProblem{Message: string(f.Status) + " " + first, Type: string(f.Status), Text: text}
			s.Failures++
		case model.StatusError:
			c.Error = &junitProblem{Message: first, Type: "ERROR", Text: text}
			s.Errors++
		case model.StatusSkipped, model.StatusMuted, model.StatusPending, model.StatusUnknown:
			c.Skipped = &junitProblem{Message: string(f.Status) + " " + first, Text: text}
			s.Skipped++
		default:
			c.SystemOut = text
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	sort.Strings(order)
	for _, k := range order {
		s := suites[k]
		out.Suites = append(out.Suites, *s)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
