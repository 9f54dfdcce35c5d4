package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/model"
)

// hostile is a report whose AWS-side names carry terminal escapes, a bidi override and spreadsheet formulas: anyone
// who may name a trail or an account controls these strings (issue 11).
func hostile() *Report {
	inv := &model.Inventory{CollectedAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), Accounts: []*model.Account{{ID: "111111111111", Name: "=cmd|' /C calc'!A0", Regions: []string{"us-east-1"}}}}
	f := model.Finding{ID: "x", ControlID: "cloudtrail-cloudwatch-integration", Status: model.StatusFail, AccountID: "111111111111",
		AccountName: "=cmd|' /C calc'!A0", Region: "us-east-1",
		ResourceID: "arn:aws:cloudtrail:us-east-1:111111111111:trail/\x1b[2J\x1b]0;pwned\x07evil\u202e",
		Reasons:    []model.Reason{{Code: "NOT_INTEGRATED", Message: "+SUM(1,1) and @risk -1"}}}
	return Build(inv, []model.Finding{f}, Settings{}, "test")
}

func TestTableEscapesControlCharacters(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, hostile(), TableOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// The only escape sequences left are the status colours trailwatch adds itself.
	stripped := strings.NewReplacer(colors[model.StatusFail], "", "\x1b[0m", "").Replace(out)
	for _, bad := range []string{"\x1b", "\x07", "\u202e"} {
		if strings.Contains(stripped, bad) {
			t.Errorf("table output contains %q:\n%q", bad, out)
		}
	}
	if !strings.Contains(out, `trail/\x1b[2J\x1b]0;pwned\x07evil\u202e`) {
		t.Errorf("the name is not shown escaped:\n%s", out)
	}
}

func TestCSVNeutralisesFormulas(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, hostile(), nil); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	row := rows[1]
	if got := row[col["account_name"]]; got != "'=cmd|' /C calc'!A0" {
		t.Errorf("account_name %q", got)
	}
	if got := row[col["reasons"]]; strings.HasPrefix(got, "+") || strings.HasPrefix(got, "=") {
		t.Errorf("reasons %q", got)
	}
	for i, cell := range row {
		if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
			t.Errorf("%s starts with a formula character: %q", rows[0][i], cell)
		}
	}
}

// TestTableFitsTheTerminal: with a width, reasons and notes wrap at spaces so that no line passes it, except a word
// longer than the room (an ARN), which stands alone (issue 10 §6).
func TestTableFitsTheTerminal(t *testing.T) {
	r := hostile()
	r.Findings[0].Reasons = append(r.Findings[0].Reasons, model.Reason{Code: "DELIVERY_ERROR", Message: strings.Repeat("a word of text ", 20) + "arn:aws:logs:us-east-1:111111111111:log-group:" + strings.Repeat("x", 60) + ":*"})
	var b bytes.Buffer
	if err := WriteTable(&b, r, TableOptions{Width: 80}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if len(line) > 80 && strings.Contains(strings.TrimSpace(line), " ") && !strings.Contains(line, "cloudtrail-cloudwatch-integration") {
			t.Errorf("line of %d columns: %q", len(line), line)
		}
	}
	if !strings.Contains(b.String(), "a word of text") {
		t.Error("the reason is missing")
	}
}

// TestSARIFResultsHaveLocations: GitHub code scanning refuses a SARIF result without a location, and a location URI
// with a scheme (github/codeql-action#1738, #2459): every result of a live scan is located at a relative path built
// from its resource, with the ARN as its logical location.
func TestSARIFResultsHaveLocations(t *testing.T) {
	r := &Report{Findings: []model.Finding{
		{ID: "a", ControlID: "cloudtrail-cloudwatch-integration", Status: model.StatusFail, AccountID: "111111111111", Region: "us-east-1",
			ResourceID: "arn:aws:cloudtrail:us-east-1:111111111111:trail/main"},
		{ID: "b", ControlID: "cloudwatch-log-group-retention", Status: model.StatusFail, AccountID: "111111111111", Region: "eu-west-1",
			ResourceID: "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/cloudtrail logs"},
		{ID: "c", ControlID: "alarm-vpc-changes", Status: model.StatusFail, AccountID: "111111111111", Region: "global", ResourceID: "111111111111"},
		{ID: "d", ControlID: "cloudtrail-cloudwatch-integration", Status: model.StatusFail, ResourceID: "aws_cloudtrail.main",
			Location: &model.Location{File: "main.tf", Line: 3}},
	}}
	var b bytes.Buffer
	if err := WriteSARIF(&b, r, nil); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
					LogicalLocations []struct{ FullyQualifiedName string }
				}
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	want := []string{"aws/111111111111/us-east-1/cloudtrail/trail/main", "aws/111111111111/eu-west-1/logs/log-group/aws/cloudtrail%20logs",
		"aws/111111111111/global/account", "main.tf"}
	res := doc.Runs[0].Results
	if len(res) != len(want) {
		t.Fatalf("%d results", len(res))
	}
	for i, rs := range res {
		if len(rs.Locations) != 1 {
			t.Fatalf("result %d: %d locations", i, len(rs.Locations))
		}
		l := rs.Locations[0]
		if u := l.PhysicalLocation.ArtifactLocation.URI; u != want[i] || strings.Contains(u, ":") || l.PhysicalLocation.Region.StartLine < 1 {
			t.Errorf("result %d: uri %q line %d, want %q", i, u, l.PhysicalLocation.Region.StartLine, want[i])
		}
		if i < 3 && (len(l.LogicalLocations) != 1 || l.LogicalLocations[0].FullyQualifiedName != r.Findings[i].ResourceID) {
			t.Errorf("result %d: logical locations %+v", i, l.LogicalLocations)
		}
	}
}
