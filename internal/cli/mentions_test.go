package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMentionedCommandsExist: every "trailwatch COMMAND [SUBCOMMAND]" that the command layer's messages and help
// point a user to is a command trailwatch has. `alarms test --item 9.9` pointed to `trailwatch controls list`, which
// does not exist (issue 22).
func TestMentionedCommandsExist(t *testing.T) {
	root := newRoot(&env{})
	files, _ := filepath.Glob("*.go")
	mention := regexp.MustCompile(`trailwatch ([a-z][a-z-]+)(?: ([a-z][a-z-]+))?`)
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mention.FindAllStringSubmatch(string(src), -1) {
			cmd, _, err := root.Find([]string{m[1]})
			if err != nil || cmd == root {
				continue // prose ("trailwatch reads ..."), not a command
			}
			checked++
			// A word in a subcommand's place that reads like one (list, show, ...) must be one.
			if m[2] == "" || !cmd.HasSubCommands() || !subcommandWords[m[2]] {
				continue
			}
			if sub, rest, err := root.Find([]string{m[1], m[2]}); err != nil || len(rest) > 0 || sub == cmd {
				t.Errorf("%s mentions %q: %s has no subcommand %q", f, m[0], m[1], m[2])
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d mentions checked", checked)
	}
}

var subcommandWords = map[string]bool{"list": true, "show": true, "check": true, "get": true, "run": true, "plan": true,
	"apply": true, "serve": true, "generate": true, "test": true, "match": true, "read": true, "fix": true, "watch": true,
	"describe": true, "validate": true, "create": true, "delete": true, "status": true}
