package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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

// TestOutputKeepsWhatIsThere: -o renames a finished temporary file over a regular file, but a named pipe or a device
// is written in place, and a symbolic link stays a link with its target written. Renaming over them replaced them:
// `-o /dev/null` left /dev/null a regular file (every later `> /dev/null` on the machine then wrote into it). The test
// uses a named pipe, never /dev/null itself.
func TestOutputKeepsWhatIsThere(t *testing.T) {
	simWith(t, 2)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo) // blocks until the writer opens it
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		data, _ := io.ReadAll(f)
		got <- data
	}()
	if code, _, errs := run(t, "scan", "--format", "json", "-o", fifo); code == ExitUsage {
		t.Fatalf("exit %d: %s", code, errs)
	}
	select {
	case data := <-got:
		if !strings.Contains(string(data), `"findings"`) {
			t.Errorf("the reader got %.200q", data)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("nothing was written into the pipe")
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe was replaced: %v %v", st.Mode(), err)
	}

	target := filepath.Join(dir, "reports", "latest.json")
	os.MkdirAll(filepath.Dir(target), 0o755)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(t, "scan", "--format", "json", "-o", link); code == ExitUsage {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	if data, err := os.ReadFile(target); err != nil || !strings.Contains(string(data), `"findings"`) {
		t.Errorf("the link's target: %v %.100q", err, data)
	}
}
