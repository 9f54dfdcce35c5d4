// Command testsummary reads `go test -json` on stdin and prints what `go test` prints (each failing test's output,
// then a line per package), followed by the skipped tests with their reasons and one closing line
// "N passed, N failed, N skipped". It exits 1 when a test or a build failed, and, with TRAILWATCH_NO_SKIPS=1 (CI),
// when any test was skipped: CI installs everything the tests need, so a skip there means a test did not run.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

type key struct{ pkg, test string }

func main() {
	os.Exit(run(os.Stdin, os.Stdout, os.Getenv("TRAILWATCH_NO_SKIPS") == "1"))
}

func run(in io.Reader, out io.Writer, noSkips bool) int {
	output := map[key][]string{}
	var passed, failed, skipped int
	var skips, failures []string
	var pkgLines []string
	buildFailed := false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Build errors and other non-JSON lines: pass them through.
			fmt.Fprintln(out, string(line))
			if strings.Contains(string(line), "build failed") || strings.HasPrefix(string(line), "# ") {
				buildFailed = true
			}
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			fmt.Fprint(out, e.Output)
		case "output":
			output[k] = append(output[k], e.Output)
			if e.Test == "" && (strings.HasPrefix(e.Output, "ok ") || strings.HasPrefix(e.Output, "FAIL") || strings.HasPrefix(e.Output, "?   ")) {
				pkgLines = append(pkgLines, strings.TrimRight(e.Output, "\n"))
			}
		case "pass":
			if e.Test != "" {
				passed++
			}
			delete(output, k)
		case "fail":
			if e.Test != "" {
				failed++
				failures = append(failures, strings.Join(output[k], ""))
			} else {
				buildFailed = true // a package that failed as a whole: its build, or a panic outside a test
				if len(output[k]) > 0 {
					failures = append(failures, strings.Join(output[k], ""))
				}
			}
			delete(output, k)
		case "skip":
			if e.Test != "" {
				skipped++
				skips = append(skips, fmt.Sprintf("%s %s: %s", e.Package, e.Test, reason(output[k])))
			}
			delete(output, k)
		}
	}
	for _, f := range failures {
		fmt.Fprint(out, f)
	}
	for _, l := range pkgLines {
		fmt.Fprintln(out, l)
	}
	if len(skips) > 0 {
		sort.Strings(skips)
		fmt.Fprintf(out, "\nSkipped tests (%d):\n", len(skips))
		for _, s := range skips {
			fmt.Fprintln(out, "  "+s)
		}
	}
	fmt.Fprintf(out, "\n%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	switch {
	case failed > 0 || buildFailed:
		return 1
	case noSkips && skipped > 0:
		fmt.Fprintln(out, "FAIL: tests were skipped, and TRAILWATCH_NO_SKIPS=1 (CI) promises that every test runs")
		return 1
	}
	return 0
}

// reason is the skip message: the last output line that is not the "--- SKIP" line itself.
func reason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "--- SKIP") || strings.HasPrefix(l, "=== ") {
			continue
		}
		return l
	}
	return "(no reason given)"
}
