package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/report"
)

// TestGoldenFormats pins every format of the demo report, muted finding and exception included.
func TestGoldenFormats(t *testing.T) {
	r := demoReport(t)
	for _, format := range []string{"csv", "junit", "html", "ocsf"} {
		var b bytes.Buffer
		if err := report.Write(&b, r, format, extras()); err != nil {
			t.Fatal(err)
		}
		golden(t, "demo."+format+".golden", b.Bytes())
	}
}

func TestFormatsParse(t *testing.T) {
	r := demoReport(t)
	var b bytes.Buffer
	if err := report.WriteCSV(&b, r, extras().Frameworks); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil || len(rows) != len(r.Findings)+1 || len(rows[0]) != len(report.CSVHeader) {
		t.Fatalf("csv: %v, %d rows", err, len(rows))
	}
	if !strings.Contains(text, "AWS Foundational Security Best Practices CloudTrail.5") || !strings.Contains(text, "CIS AWS Foundations Benchmark v1.2.0 2.4") {
		t.Error("framework mappings missing from the CSV")
	}
	b.Reset()
	if err := report.WriteJUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(b.Bytes(), &suites); err != nil || suites.Tests != len(r.Findings) || suites.Failures != r.Summary.ByStatus["FAIL"]+r.Summary.ByStatus["WARN"] {
		t.Errorf("junit: %v %+v", err, suites)
	}
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	j := filepath.Join(dir, "r.json")
	run(t, "demo", "--format", "json", "--output", j)
	for _, f := range []string{"csv", "junit", "html", "table"} {
		code, out, errs := run(t, "report", "--from", j, "--format", f, "--fail-on", "none")
		if code != 0 || len(out) < 100 {
			t.Errorf("%s: %d %s", f, code, errs)
		}
	}
	if code, _, errs := run(t, "report", "--format", "csv"); code != ExitUsage || !strings.Contains(errs, "--from") {
		t.Errorf("no --from: %d %s", code, errs)
	}
}

// TestHTMLInBrowser opens the HTML report in headless Chromium: the page must render the summary and a failing
// finding, log no console errors, and produce a screenshot that is not blank.
func TestHTMLInBrowser(t *testing.T) {
	browser := ""
	for _, b := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(b); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("no Chromium on the PATH (make test-deps installs Debian's chromium)")
	}
	r := demoReport(t)
	dir := t.TempDir()
	var b bytes.Buffer
	if err := report.WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	// The test appends a probe that records whether the summary and the first failing finding are laid out and on
	// screen (1280x2000), and any script error, in the page's title; the report itself is unchanged above it.
	probe := `<script>
window.addEventListener('error',function(e){document.title='error:'+e.message});
window.addEventListener('load',function(){
  function shown(el){if(!el)return false;var r=el.getBoundingClientRect(),s=getComputedStyle(el);
    return r.width>0&&r.height>0&&r.top<2000&&s.visibility!=='hidden'&&s.display!=='none'&&el.offsetParent!==null;}
  if(document.title.indexOf('error:')===0)return;
  var f=document.querySelector('#failing .finding');
  document.title=(shown(document.getElementById('summary'))?'summary:visible':'summary:hidden')+' '+(shown(f)?'finding:visible':'finding:hidden');
});
</script>`
	page := filepath.Join(dir, "report.html")
	os.WriteFile(page, append(b.Bytes(), []byte(probe)...), 0o644)
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1280,2000",
		"--enable-logging=stderr", "--v=0"}
	cmd := exec.Command(browser, append(flags, "--dump-dom", "file://"+page)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	if !bytes.Contains(dom, []byte("<title>summary:visible finding:visible</title>")) {
		i := bytes.Index(dom, []byte("<title>"))
		t.Errorf("visibility probe: %s", dom[i:min(i+80, len(dom))])
	}
	for _, want := range []string{`id="summary"`, "Summary: 8 FAIL", "payments-stale", "DELIVERY_STALE", `id="failing"`} {
		if !bytes.Contains(dom, []byte(want)) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, "CONSOLE") && (strings.Contains(l, "Uncaught") || strings.Contains(l, "Error")) {
			t.Errorf("console error: %s", l)
		}
	}
	shot := filepath.Join(dir, "shot.png")
	cmd = exec.Command(browser, append(flags, "--screenshot="+shot, "file://"+page)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
	st, err := os.Stat(shot)
	if err != nil || st.Size() < 20000 {
		t.Errorf("screenshot missing or blank: %v", err)
	}
}
