package layering

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/trailwatch/trailwatch/internal/"

// forbidden are the edges the layers never allow (ARCHITECTURE.md): a package on the left imports none of the
// packages on the right, directly or through another.
var forbidden = map[string][]string{
	// The oracle: a test through the simulator proves nothing about code the simulator itself runs. Its delivery and
	// trust checks (deliverycheck.go), its filter pattern matcher (filtermatch.go) and its copy of the CIS patterns
	// (cisitems.go) are its own, held to AWS's documented examples and the published items by tests.
	"awssim": {"policy", "delivery", "controls", "filterpattern", "alarms", "remediate", "scan", "collect", "iac", "watch", "cli", "selectors", "awsarn"},
	// Sources fill the model; they never judge.
	"collect": {"policy", "delivery", "controls", "alarms", "filterpattern", "remediate", "scan", "watch", "cli"},
	"iac":     {"policy", "delivery", "controls", "remediate", "scan", "watch", "cli"},
	// Rules judge; they never run, plan or read AWS.
	"controls":      {"remediate", "scan", "watch", "org", "collect", "iac", "cli", "awssim"},
	"delivery":      {"controls", "remediate", "scan", "watch", "collect", "iac", "cli", "awssim"},
	"policy":        {"controls", "delivery", "remediate", "scan", "watch", "cli", "awssim"},
	"filterpattern": {"controls", "remediate", "scan", "watch", "cli", "awssim"},
	// The model is the floor.
	"model": {"policy", "delivery", "controls", "remediate", "scan", "watch", "collect", "iac", "cli", "awssim"},
	// The plan renders evidence; it never runs a scan.
	"remediate": {"scan", "watch", "collect", "cli", "awssim"},
	// Out: formats and stores never judge.
	"report": {"controls", "remediate", "scan", "watch", "collect", "cli"},
	// The Security Hub sink sends what it is given; the cost estimate measures, never judges or plans.
	"hub":   {"controls", "remediate", "scan", "watch", "collect", "cli", "awssim"},
	"cost":  {"controls", "remediate", "scan", "watch", "cli", "awssim"},
	"store": {"controls", "remediate", "scan", "watch", "collect", "cli"},
}

func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string]map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], module)
		deps[pkg] = map[string]bool{}
		for _, d := range f[1:] {
			if strings.HasPrefix(d, module) {
				deps[pkg][strings.TrimPrefix(d, module)] = true
			}
		}
	}
	checked := 0
	for pkg, never := range forbidden {
		for sub, ds := range deps {
			if sub != pkg && !strings.HasPrefix(sub, pkg+"/") {
				continue
			}
			checked++
			for _, n := range never {
				for d := range ds {
					if d == n || strings.HasPrefix(d, n+"/") {
						t.Errorf("%s imports %s (layers: never)", sub, d)
					}
				}
			}
		}
	}
	if checked < len(forbidden) {
		t.Fatalf("only %d of %d packages found: %s", checked, len(forbidden), out)
	}
}
