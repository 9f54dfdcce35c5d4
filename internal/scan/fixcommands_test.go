package scan

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// TestFixCommandsFixIt runs the AWS CLI commands each failing finding prints, against the simulator, and checks that
// the next scan (after the first delivery) passes: the commands are real, complete and in the right order.
func TestFixCommandsFixIt(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not on the PATH")
	}
	const sc = `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: not-integrated, home_region: us-east-1, multi_region: true}
      - {name: group-gone, home_region: us-east-1, log_group: Gone, role: R}
      - {name: role-gone, home_region: us-east-1, log_group: G2, role: Missing}
      - {name: untrusted, home_region: eu-west-1, log_group: G3, role: Untrusted}
      - {name: weak, home_region: eu-west-1, log_group: G4, role: Weak}
      - {name: stopped, home_region: eu-west-1, logging: false, log_group: G5, role: R5}
    log_groups:
      - {name: G2, region: us-east-1, retention_days: 365}
      - {name: G3, region: eu-west-1, retention_days: 30}
      - {name: G4, region: eu-west-1}
      - {name: G5, region: eu-west-1}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
      - {name: R5, trust: cloudtrail, policy: cloudtrail-delivery}
      - {name: Untrusted, trust: logs.amazonaws.com, policy: cloudtrail-delivery}
      - {name: Weak, trust: cloudtrail, policy: create-stream-only}
`
	r := scanScenario(t, sc, nil)
	env := []string{"AWS_ENDPOINT_URL=" + r.srv.URL, "AWS_ACCESS_KEY_ID=" + awssim.AccessKeyFor(acct),
		"AWS_SECRET_ACCESS_KEY=sim-secret-" + acct, "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1", "AWS_PAGER="}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	failing := 0
	for _, f := range r.findings {
		if f.Status != model.StatusFail {
			continue
		}
		failing++
		if f.ResourceType == model.TypeAccount && strings.Contains(strings.Join(f.Notes, " "), "covers every region") {
			continue // fixed by fixing the account's multi-region trail
		}
		if len(f.Commands) == 0 {
			t.Errorf("%s has no fix commands", f.ResourceID)
		}
		for _, c := range f.Commands {
			cmd := exec.Command("bash", "-c", c)
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil && !strings.Contains(string(out), "EntityAlreadyExists") && !strings.Contains(string(out), "ResourceAlreadyExists") {
				t.Errorf("%s: %s: %v\n%s", f.ResourceID, c, err, out)
			}
		}
	}
	if failing < 7 {
		t.Fatalf("only %d failing findings; the scenario should break every trail and one retention", failing)
	}
	r.srv.Advance(10 * time.Minute)
	cat, _ := controls.Load()
	again := controls.Evaluate(cat, rescan(t, r), controls.DefaultSettings(r.srv.Now()))
	for _, f := range again {
		if f.Status != model.StatusPass {
			t.Errorf("after the fix commands: %s %s %s %+v", f.ControlID, f.ResourceID, f.Status, f.Reasons)
		}
	}
}
