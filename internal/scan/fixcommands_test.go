package scan

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/awscli"
	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/collect"
	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/model"
)

// TestFixCommandsFixIt runs the AWS CLI commands the failing findings print, in report order, against the simulator,
// and checks that the next scan (after the first delivery) passes: the commands are real, complete, in the right order,
// and computed with the whole account in view. No command may fail: two trails sharing a role or a log group must not
// create it twice (EntityAlreadyExists) nor overwrite each other's delivery permission (issue 10 §1).
func TestFixCommandsFixIt(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not on the PATH")
	}
	tests := []struct {
		name, scenario string
		minFailing     int
	}{
		{"two trails sharing a weak role", `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: alpha, home_region: us-east-1, log_group: GA, role: Weak}
      - {name: bravo, home_region: us-east-1, log_group: GB, role: Weak}
    log_groups:
      - {name: GA, region: us-east-1, retention_days: 365}
      - {name: GB, region: us-east-1, retention_days: 365}
    roles:
      - {name: Weak, trust: cloudtrail, policy: create-stream-only}
`, 2},
		{"two trails sharing a missing log group", `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
    trails:
      - {name: alpha, home_region: us-east-1, log_group: Shared, role: R}
      - {name: bravo, home_region: us-east-1, log_group: Shared, role: R}
    roles:
      - {name: R, trust: cloudtrail, policy: create-stream-only}
`, 2},
		{"six trails, every reason", `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: not-integrated, home_region: us-east-1, multi_region: true}
      - {name: group-gone, home_region: us-east-1, log_group: Gone, role: R}
      - {name: role-gone, home_region: us-east-1, log_group: G2, role: Missing}
      - {name: untrusted, home_region: eu-west-1, log_group: G3, role: Untrusted}
      - {name: weak, home_region: eu-west-1, log_group: G4, role: Weak}
      - {name: weak-too, home_region: eu-west-1, log_group: G5, role: Weak}
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
`, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scanScenario(t, tc.scenario, nil)
			env := []string{"AWS_ENDPOINT_URL=" + r.srv.URL, "AWS_ACCESS_KEY_ID=" + awssim.AccessKeyFor(acct),
				"AWS_SECRET_ACCESS_KEY=sim-secret-" + acct, "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null",
				"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1", "AWS_PAGER="}
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "AWS_") {
					env = append(env, kv)
				}
			}
			cli := awscli.Start(env)
			defer cli.Close()
			failing := 0
			ran := map[string]bool{}
			for _, f := range r.findings {
				if f.Status != model.StatusFail {
					continue
				}
				failing++
				if f.ResourceType == model.TypeAccount && strings.Contains(strings.Join(f.Notes, " "), "covers every region") {
					if len(f.Commands) > 0 {
						t.Errorf("%s: REGIONS_UNCOVERED proposes a new trail although fixing the account's own trail covers it: %v", f.ResourceID, f.Commands)
					}
					continue
				}
				if len(f.Commands) == 0 {
					t.Errorf("%s has no fix commands", f.ResourceID)
				}
				for _, c := range f.Commands {
					if ran[c] {
						continue // the same step shown on the trail and on its log group's retention finding
					}
					ran[c] = true
					if res := cli.Shell(c); res.Code != 0 {
						t.Errorf("%s: %s: exit %d\n%s", f.ResourceID, c, res.Code, res.Combined())
					}
				}
			}
			if failing < tc.minFailing {
				t.Fatalf("only %d failing findings, want at least %d", failing, tc.minFailing)
			}
			r.srv.Advance(10 * time.Minute)
			cat, _ := controls.Load()
			again := controls.Evaluate(cat, rescan(t, r), controls.DefaultSettings(r.srv.Now()))
			for _, f := range again {
				if f.Status != model.StatusPass {
					t.Errorf("after the fix commands: %s %s %s %+v", f.ControlID, f.ResourceID, f.Status, f.Reasons)
				}
			}
		})
	}
}

// TestAlarmFixCommandsFixIt: the alarm findings of scan --alarms carry the commands that complete their chain (the
// one fix plan, built from each finding's evidence), and running them with the AWS CLI makes every item pass. Alarm
// findings had no commands (issue 21).
func TestAlarmFixCommandsFixIt(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not on the PATH")
	}
	items, _ := alarms.ForVersion("")
	r := scanWith(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    trails:
      - {name: main, home_region: us-east-1, multi_region: true, log_group: CT, role: R}
    log_groups:
      - {name: CT, region: us-east-1, retention_days: 365, cis_monitoring: {topic: cis-alarms, skip: ["4.3", "4.15", "4.10"]}}
    roles:
      - {name: R, trust: cloudtrail, policy: cloudtrail-delivery}
`, collect.Options{Monitoring: true}, func(s *controls.Settings) { s.Alarms = items })
	env := []string{"AWS_ENDPOINT_URL=" + r.srv.URL, "AWS_ACCESS_KEY_ID=" + awssim.AccessKeyFor(acct),
		"AWS_SECRET_ACCESS_KEY=sim-secret-" + acct, "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1", "AWS_PAGER="}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cli := awscli.Start(env)
	defer cli.Close()
	failing := 0
	for _, f := range r.findings {
		if !controls.IsAlarmControl(f.ControlID) || f.Status != model.StatusFail {
			continue
		}
		failing++
		if len(f.Commands) == 0 {
			t.Errorf("%s has no fix commands", f.ControlID)
		}
		for _, c := range f.Commands {
			if res := cli.Shell(c); res.Code != 0 {
				t.Errorf("%s: %s: exit %d\n%s", f.ControlID, c, res.Code, res.Combined())
			}
		}
	}
	if failing != 3 {
		t.Fatalf("%d failing alarm findings, want the 3 items skipped", failing)
	}
	cat, _ := controls.Load()
	_, again := Run(context.Background(), cat, r.targets, Options{Settings: func() controls.Settings {
		s := controls.DefaultSettings(r.srv.Now())
		s.Alarms = items
		return s
	}(), Collect: collect.Options{Monitoring: true}})
	for _, f := range again {
		if controls.IsAlarmControl(f.ControlID) && f.Status != model.StatusPass {
			t.Errorf("after the fix commands: %s %s %+v", f.ControlID, f.Status, f.Reasons)
		}
	}
}
