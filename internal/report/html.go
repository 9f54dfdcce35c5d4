package report

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"

	"github.com/trailwatch/trailwatch/internal/cost"
	"github.com/trailwatch/trailwatch/internal/model"
)

// htmlView is what the template renders.
type htmlView struct {
	R        *Report
	Statuses []string
	Regions  []string
	Matrix   []matrixRow
	Failing  []model.Finding
	Muted    []model.Finding
	All      []model.Finding
	Summary  string
}

type matrixRow struct {
	Account string
	Name    string
	Cells   []matrixCell
}

// matrixCell is one account and region: its worst status (the cell's colour) and how many findings of each status.
type matrixCell struct {
	Status string
	Counts string // "2 FAIL, 1 PASS"
	Title  string
}

// WriteHTML writes a single self-contained page (no external assets): the summary, an account x region matrix of the
// worst status, each failing finding with its reasons and fix commands, the muted findings with their exception and
// expiry, and every finding in a table that filters by status and text and sorts by column.
func WriteHTML(w io.Writer, r *Report) error {
	v := htmlView{R: r, Summary: SummaryLine(r)}
	for _, s := range model.AllStatuses {
		v.Statuses = append(v.Statuses, string(s))
	}
	regionSet := map[string]bool{}
	worst := map[string]map[string]model.Status{}
	count := map[string]map[string]map[model.Status]int{}
	names := map[string]string{}
	var accounts []string
	for _, f := range r.Findings {
		if f.Location != nil {
			continue
		}
		if worst[f.AccountID] == nil {
			worst[f.AccountID], count[f.AccountID] = map[string]model.Status{}, map[string]map[model.Status]int{}
			accounts = append(accounts, f.AccountID)
		}
		names[f.AccountID] = f.AccountName
		regionSet[f.Region] = true
		if cur, ok := worst[f.AccountID][f.Region]; !ok || f.Status.Rank() < cur.Rank() {
			worst[f.AccountID][f.Region] = f.Status
		}
		if count[f.AccountID][f.Region] == nil {
			count[f.AccountID][f.Region] = map[model.Status]int{}
		}
		count[f.AccountID][f.Region][f.Status]++
	}
	for reg := range regionSet {
		v.Regions = append(v.Regions, reg)
	}
	sort.Strings(v.Regions)
	sort.Strings(accounts)
	for _, a := range accounts {
		row := matrixRow{Account: a, Name: names[a]}
		for _, reg := range v.Regions {
			st := worst[a][reg]
			var parts []string
			for _, s := range model.AllStatuses {
				if n := count[a][reg][s]; n > 0 {
					parts = append(parts, fmt.Sprintf("%d %s", n, s))
				}
			}
			row.Cells = append(row.Cells, matrixCell{Status: string(st), Counts: strings.Join(parts, ", "), Title: a + " " + reg})
		}
		v.Matrix = append(v.Matrix, row)
	}
	for _, f := range r.Findings {
		switch f.Status {
		case model.StatusFail, model.StatusError, model.StatusWarn:
			v.Failing = append(v.Failing, f)
		case model.StatusMuted:
			v.Muted = append(v.Muted, f)
		}
	}
	v.All = r.Findings
	return htmlTemplate.Execute(w, v)
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{"gb": cost.GBText}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>trailwatch report</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;opacity:.8}
main{padding:16px 24px;max-width:1400px}section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 16px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 8px}.counts span{display:inline-block;margin:0 12px 4px 0;padding:2px 8px;border-radius:4px}
.FAIL{background:#fde2e1;color:#8a1c14}.ERROR{background:#f3e1fb;color:#5c1a7a}.WARN{background:#fff1cc;color:#7a5200}
.PENDING{background:#dff3fb;color:#0b5873}.PASS{background:#e1f5e6;color:#1c6b34}.SKIPPED,.MUTED,.UNKNOWN{background:#eceef1;color:#4a5262}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e6e8ec;padding:4px 6px;text-align:left;vertical-align:top}
th{cursor:pointer;user-select:none;background:#f0f2f5}td.s{font-weight:600}code,pre{font:12px ui-monospace,Menlo,monospace}
pre{white-space:pre-wrap;background:#f6f7f9;padding:6px;border-radius:4px;margin:4px 0}.finding{border-top:1px solid #e6e8ec;padding:8px 0}
.filters label{margin-right:10px}#q{padding:3px 6px;width:280px}.muted{color:#5b6270}
</style></head><body>
<header><h1>trailwatch: CloudTrail trails integrated with CloudWatch Logs</h1>
<p>{{.R.GeneratedAt.Format "2006-01-02 15:04 UTC"}} · {{.R.Tool.Name}} {{.R.Tool.Version}} · maximum delivery age {{.R.Settings.MaxDeliveryAge}} · minimum retention {{.R.Settings.MinRetentionDays}} days</p></header>
<main>
<section id="summary"><h2>Summary</h2><p>{{.Summary}}</p><div class="counts">{{range $s := .Statuses}}{{with index $.R.Summary.ByStatus $s}}<span class="{{$s}}">{{$s}} {{.}}</span>{{end}}{{end}}</div></section>
{{if .Matrix}}<section id="matrix"><h2>Accounts and regions (findings per status; colour: the worst)</h2><table><thead><tr><th>Account</th>{{range .Regions}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Matrix}}<tr><td>{{.Account}} <span class="muted">{{.Name}}</span></td>{{range .Cells}}<td{{if .Status}} class="{{.Status}}"{{end}} title="{{.Title}}">{{if .Status}}{{.Counts}}{{end}}</td>{{end}}</tr>
{{end}}</tbody></table></section>{{end}}
<section id="failing"><h2>Failing findings ({{len .Failing}})</h2>
{{range .Failing}}<div class="finding"><span class="{{.Status}}">{{.Status}}</span> <b>{{.ControlID}}</b> <code>{{.ResourceID}}</code> <span class="muted">{{.AccountID}} {{.AccountName}} {{.Region}}{{with .Location}} {{.File}}:{{.Line}}{{end}}</span>
<ul>{{range .Reasons}}<li><b>{{.Code}}</b>: {{.Message}}</li>{{end}}{{range .Notes}}<li class="muted">{{.}}</li>{{end}}</ul>
{{if .Commands}}<pre>{{range .Commands}}$ {{.}}
{{end}}</pre>{{end}}{{if .Fix}}<pre>{{.Fix}}</pre>{{end}}</div>
{{else}}<p>None.</p>{{end}}</section>
{{if .R.Costs}}<section id="cost"><h2>CloudWatch Logs ingestion a month today ({{len .R.Costs}} integrated log groups)</h2><p class="muted">From each group's own IncomingBytes over the last days; {{.R.PriceSource}}</p>
{{template "costs" .R.Costs}}</section>
{{end}}{{if .R.FixPlannedAt}}<section id="fix-cost"><h2>What the fix would add a month ({{len .R.FixCosts}} trails or accounts)</h2><p class="muted">Estimated before anything is applied by fix plan --cost at {{.R.FixPlannedAt.UTC.Format "2006-01-02 15:04 UTC"}}, from each trail's own S3 delivery over the last days; {{.R.FixPriceSource}}</p>
{{if .R.FixCosts}}{{template "costs" .R.FixCosts}}{{else}}<p>Nothing: the plan sends no new events to CloudWatch Logs.</p>{{end}}</section>
{{end}}<section id="exceptions"><h2>Muted by exceptions ({{len .Muted}})</h2>{{if .Muted}}<table><thead><tr><th>Finding</th><th>Status before</th><th>Owner</th><th>Reason</th><th>Expires</th><th>Ticket</th></tr></thead><tbody>
{{range .Muted}}<tr><td><code>{{.ResourceID}}</code></td><td class="{{.MutedStatus}}">{{.MutedStatus}}</td>{{with .Exception}}<td>{{.Owner}}</td><td>{{.Reason}}</td><td>{{.Expires}}</td><td>{{.Ticket}}</td>{{else}}<td colspan="4">{{range .Suppressed}}{{.Tool}} {{.Rule}}: {{.Reason}} {{end}}</td>{{end}}</tr>
{{end}}</tbody></table>{{else}}<p>None.</p>{{end}}</section>
<section id="all"><h2>All findings</h2>
<div class="filters">{{range .Statuses}}<label><input type="checkbox" class="st" value="{{.}}" checked> {{.}}</label>{{end}} <input id="q" type="search" placeholder="filter by text"></div>
<table id="findings"><thead><tr><th data-k="0">Status</th><th data-k="1">Control</th><th data-k="2">Account</th><th data-k="3">Region</th><th data-k="4">Resource</th><th data-k="5">Reasons</th></tr></thead><tbody>
{{range .All}}<tr data-status="{{.Status}}"><td class="s {{.Status}}">{{.Status}}</td><td>{{.ControlID}}</td><td>{{.AccountID}}</td><td>{{.Region}}</td><td><code>{{.ResourceID}}</code></td><td>{{range .Reasons}}{{.Code}} {{end}}</td></tr>
{{end}}</tbody></table></section>
</main>
<script>
(function(){
  var rows=[].slice.call(document.querySelectorAll('#findings tbody tr'));
  function apply(){
    var on={};[].forEach.call(document.querySelectorAll('.st'),function(c){on[c.value]=c.checked});
    var q=document.getElementById('q').value.toLowerCase();
    rows.forEach(function(r){r.style.display=(on[r.getAttribute('data-status')]&&r.textContent.toLowerCase().indexOf(q)>=0)?'':'none'});
  }
  [].forEach.call(document.querySelectorAll('.st'),function(c){c.addEventListener('change',apply)});
  document.getElementById('q').addEventListener('input',apply);
  [].forEach.call(document.querySelectorAll('#findings th'),function(th){
    var asc=true;th.addEventListener('click',function(){
      var k=+th.getAttribute('data-k'),tb=document.querySelector('#findings tbody');
      rows.sort(function(a,b){var x=a.children[k].textContent,y=b.children[k].textContent;return asc?x.localeCompare(y):y.localeCompare(x)});
      asc=!asc;rows.forEach(function(r){tb.appendChild(r)});
    });
  });
})();
</script>
</body></html>
{{define "costs"}}<table><thead><tr><th>Resource</th><th>Median day</th><th>Quietest–busiest day</th><th>Days with ingestion</th><th>Notes</th></tr></thead><tbody>
{{range .}}<tr><td><code>{{.Resource}}</code></td>{{if .MonthlyGB}}<td>{{gb .MonthlyGB.Median}} · ${{printf "%.2f" .MonthlyUSD.Median}}</td><td>{{gb .MonthlyGB.Min}}–{{gb .MonthlyGB.Max}} · ${{printf "%.2f" .MonthlyUSD.Min}}–${{printf "%.2f" .MonthlyUSD.Max}}</td><td>{{.DaysWithData}} of {{.Days}}</td>{{else}}<td colspan="3" class="UNKNOWN">UNKNOWN: {{.Reason}}</td>{{end}}<td class="muted">{{range .Notes}}{{.}}. {{end}}</td></tr>
{{end}}</tbody></table>{{end}}`))
