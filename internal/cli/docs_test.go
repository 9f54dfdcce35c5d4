package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/examples"
	"github.com/trailwatch/trailwatch/internal/awssim"
)

// documentedCommand is one trailwatch command line of a shell block in README.md or docs/*.md.
type documentedCommand struct {
	file string
	line int
	args []string
}

var (
	blockRe   = regexp.MustCompile("(?s)```(?:sh|bash|shell)\n(.*?)```")
	programRe = regexp.MustCompile(`^(?:bin/trailwatch|trailwatch|go run \./cmd/trailwatch)\s+(.*)$`)
)

// documentedCommands extracts every trailwatch command of the shell blocks of a Markdown file: the comment after " #"
// and a redirection ("> file") are dropped, and quotes are honoured.
func documentedCommands(t *testing.T, path string) []documentedCommand {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	var out []documentedCommand
	for _, m := range blockRe.FindAllStringSubmatchIndex(text, -1) {
		startLine := strings.Count(text[:m[2]], "\n") + 1
		for i, line := range strings.Split(text[m[2]:m[3]], "\n") {
			pm := programRe.FindStringSubmatch(strings.TrimSpace(line))
			if pm == nil {
				continue
			}
			out = append(out, documentedCommand{file: path, line: startLine + i, args: shellWords(pm[1])})
		}
	}
	return out
}

// shellWords splits a command line the way a POSIX shell would for these examples: single and double quotes, a
// comment from an unquoted " #", a redirection ("> file") and a trailing "&" dropped.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '#' && !inWord && (i == 0 || s[i-1] == ' '):
			return finish(words, &cur, inWord)
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	return finish(words, &cur, inWord)
}

func finish(words []string, cur *strings.Builder, inWord bool) []string {
	if inWord {
		words = append(words, cur.String())
	}
	for i, w := range words {
		if w == ">" || w == "&" || strings.HasPrefix(w, ">") {
			return words[:i]
		}
	}
	return words
}

// TestDocumentedCommands runs every trailwatch command shown in README.md and docs/*.md, in order, file by file,
// against the simulator serving examples/organization.yaml with the management account's credentials, in a working
// directory holding the files the examples name. A documented example that is a usage error (exit 3), crashes or
// hangs fails the test (issue 10 §6). Exits 0, 1 and 2 are findings, not documentation errors. Three adjustments, said
// here: --wait runs 1 s and prove --timeout 2 s (the simulator does not deliver within a test), and a PostgreSQL URL
// is replaced by the server CI starts (TRAILWATCH_TEST_POSTGRES) or the line is skipped without one.
func TestDocumentedCommands(t *testing.T) {
	files, _ := filepath.Glob("../../docs/*.md")
	files = append([]string{"../../README.md"}, files...)
	repo, _ := filepath.Abs("../..")
	pg := os.Getenv("TRAILWATCH_TEST_POSTGRES")
	total := 0
	for _, file := range files {
		cmds := documentedCommands(t, file)
		if len(cmds) == 0 {
			continue
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			srv := serveScenario(t, examples.Organization)
			dir := t.TempDir()
			mgmt := srv.Accounts()[0]
			conf := filepath.Join(dir, "aws-config")
			// Profiles the examples name: audit and management (the management account), member (a member account).
			var profiles strings.Builder
			for _, p := range []struct {
				name string
				c    awssim.Credentials
			}{{"audit", mgmt}, {"management", mgmt}, {"member", srv.Accounts()[len(srv.Accounts())-1]}} {
				fmt.Fprintf(&profiles, "[profile %s]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = us-east-1\n", p.name, p.c.AccessKeyID, p.c.SecretAccessKey)
			}
			os.WriteFile(conf, []byte(profiles.String()), 0o600)
			for k, v := range map[string]string{"AWS_ENDPOINT_URL": srv.URL, "AWS_ACCESS_KEY_ID": mgmt.AccessKeyID, "AWS_SECRET_ACCESS_KEY": mgmt.SecretAccessKey,
				"AWS_SESSION_TOKEN": "", "AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_CONFIG_FILE": conf, "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
				"AWS_EC2_METADATA_DISABLED": "true", "XDG_STATE_HOME": filepath.Join(dir, "state"),
				// A sharded run's worker, as Kubernetes starts it (one shard: the examples run it once).
				"TRAILWATCH_STORE": filepath.Join(dir, "runs.db"), "JOB_COMPLETION_INDEX": "0",
				// What sim serve exports for the scenario's watch section.
				"TRAILWATCH_QUEUE": srv.WatchQueueURL()} {
				t.Setenv(k, v)
			}
			fixtures(t, dir, repo)
			t.Chdir(dir)
			at := srv.Now()
			run := func(args ...string) (int, string) {
				var out, errb bytes.Buffer
				e := &env{stdin: strings.NewReader("y\n"), stdout: &out, stderr: &errb, now: func() time.Time { return at }}
				done := make(chan int, 1)
				go func() { done <- execute(context.Background(), e, args) }()
				select {
				case code := <-done:
					return code, errb.String()
				case <-time.After(2 * time.Minute):
					return -1, "did not finish in 2 minutes"
				}
			}
			// What the examples assume exists: a saved scan with its inventory, and an earlier recorded scan.
			if code, errs := run("scan", "--format", "json", "--include-inventory", "-o", "scan.json"); code == ExitUsage {
				t.Fatalf("setup scan: %s", errs)
			}
			if code, errs := run("scan", "--store", "default", "--format", "json", "-o", filepath.Join(dir, "first.json")); code == ExitUsage {
				t.Fatalf("setup store: %s", errs)
			}
			for _, c := range cmds {
				args := c.args
				if len(args) > 0 && args[0] == "sim" {
					continue // the example starts a server in the background for the commands after it: this test is that server
				}
				if len(args) > 0 && args[0] == "prove" {
					// The proof polls for its markers up to --timeout (20m); the simulator delivers 5 minutes later.
					args = append(append([]string(nil), args...), "--timeout", "2s", "--poll", "500ms")
				}
				if i := slices.Index(args, "--wait"); i >= 0 && i+1 < len(args) {
					args = append(append(append([]string(nil), args[:i]...), "--wait", "1s", "--poll", "200ms"), args[i+2:]...)
				}
				if i := slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, "postgres://") }); i >= 0 {
					if pg == "" {
						t.Logf("%s:%d: skipped: no PostgreSQL (TRAILWATCH_TEST_POSTGRES) to stand for %s", c.file, c.line, args[i])
						continue
					}
					args = append(append(append([]string(nil), args[:i]...), pg), args[i+1:]...)
				}
				args = expandGlobs(args)
				for i, a := range args {
					args[i] = os.ExpandEnv(a) // "$TRAILWATCH_STORE" and the like, as the shell would
				}
				total++
				code, errs := run(args...)
				if code != ExitOK && code != ExitFailed && code != ExitIncomplete {
					t.Errorf("%s:%d: trailwatch %s: exit %d\n%s", filepath.Base(c.file), c.line, strings.Join(c.args, " "), code, errs)
				}
			}
		})
	}
	if total < 30 {
		t.Errorf("only %d documented commands found: the extraction is broken", total)
	}
}

// expandGlobs expands unquoted arguments with * the way the shell would, when they match files.
func expandGlobs(args []string) []string {
	var out []string
	for _, a := range args {
		if strings.Contains(a, "*") && !strings.HasPrefix(a, "-") && !strings.Contains(a, "/") {
			if m, _ := filepath.Glob(a); len(m) > 0 {
				out = append(out, m...)
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// fixtures writes the files the documented examples name, in dir.
func fixtures(t *testing.T, dir, repo string) {
	t.Helper()
	files := map[string]string{
		".trailwatch/exceptions.yaml": `exceptions:
  - control: cloudtrail-cloudwatch-integration
    resources: ["arn:aws:cloudtrail:us-east-1:555555555555:trail/sandbox-stopped"]
    owner: sandbox-team@example.com
    reason: the sandbox trail is replaced next quarter
    expires: ` + time.Now().UTC().AddDate(0, 2, 0).Format("2006-01-02") + "\n",
		"prod.tfvars":          "log_group_name = \"aws-cloudtrail-logs/prod\"\n",
		"infra/main.tf":        "variable \"log_group_name\" {}\nvariable \"region\" {}\nresource \"aws_cloudtrail\" \"main\" {\n  name           = \"main\"\n  s3_bucket_name = \"b\"\n}\n",
		"params.json":          `[{"ParameterKey": "Env", "ParameterValue": "prod"}]`,
		"templates/stack.yaml": "Parameters:\n  Env: {Type: String}\nResources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties: {IsLogging: true, S3BucketName: b}\n",
	}
	for p, text := range files {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// examples/ holds the scenario the README's simulator examples serve.
	os.Symlink(filepath.Join(repo, "examples"), filepath.Join(dir, "examples"))
}
