// Package awscli runs the AWS CLI for the tests' cross-checks (the printed fix commands, the simulator's wire
// format through botocore), many commands in one long-lived Python process: the AWS CLI costs about a second to start
// and a fifth of that per command once started (issue 22: the tests that started it once per command took most of
// the suite). Each command still runs through the CLI's own driver (awscli.clidriver, the code `aws` runs), with its
// own session; a shell line that is more than one plain `aws` command (a variable, a pipe, a quote the shell must
// join) runs in bash, as printed. Where Python cannot import awscli (an AWS CLI v2 binary), every command runs as its
// own `aws` process. Only tests use it.
package awscli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
)

// server reads one JSON request a line ({"argv": [...]} or {"shell": "..."}) and answers one JSON line
// ({"code", "out", "err"}), each command with a fresh CLI driver.
const server = `
import sys, json, io, contextlib, shlex, re, subprocess
from awscli.clidriver import create_clidriver
real = sys.stdout
def plain(line):
    rest = re.sub(r"'[^']*'", "", line)
    return line.startswith("aws ") and not re.search(r'[$` + "`" + `|;&<>\n"\\\\(){}]', rest)
for raw in sys.stdin:
    req = json.loads(raw)
    argv = req.get("argv")
    if argv is None:
        line = req["shell"]
        if not plain(line):
            p = subprocess.run(["bash", "-c", line], capture_output=True, text=True)
            real.write(json.dumps({"code": p.returncode, "out": p.stdout, "err": p.stderr}) + "\n")
            real.flush()
            continue
        argv = shlex.split(line)[1:]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = create_clidriver().main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except Exception as e:
            code = 255
            err.write(repr(e))
    real.write(json.dumps({"code": code or 0, "out": out.getvalue(), "err": err.getvalue()}) + "\n")
    real.flush()
`

// batched is whether Start may run the commands in one process (a test turns it off to hold the two ways to the same
// results).
var batched = true

// Available reports whether the AWS CLI is on the PATH.
func Available() bool {
	_, err := exec.LookPath("aws")
	return err == nil
}

// CLI runs AWS CLI commands with one environment.
type CLI struct {
	env []string
	mu  sync.Mutex
	cmd *exec.Cmd // nil: each command is its own aws process
	in  io.WriteCloser
	out *bufio.Reader
}

// Result is what one command did: its exit code and output.
type Result struct {
	Code int    `json:"code"`
	Out  string `json:"out"`
	Err  string `json:"err"`
}

// Combined is its output and errors, as CombinedOutput would give them (output first).
func (r Result) Combined() string { return r.Out + r.Err }

// Start starts the CLI with environment env; Close ends it.
func Start(env []string) *CLI {
	c := &CLI{env: env}
	if !batched {
		return c
	}
	python := "python3"
	probe := exec.Command(python, "-c", "import awscli.clidriver")
	probe.Env = env
	if probe.Run() != nil {
		return c
	}
	cmd := exec.Command(python, "-u", "-c", server)
	cmd.Env = env
	in, err1 := cmd.StdinPipe()
	out, err2 := cmd.StdoutPipe()
	if err1 != nil || err2 != nil || cmd.Start() != nil {
		return c
	}
	c.cmd, c.in, c.out = cmd, in, bufio.NewReaderSize(out, 1<<20)
	return c
}

// Close ends the CLI's process.
func (c *CLI) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		c.in.Close()
		_ = c.cmd.Wait()
		c.cmd = nil
	}
}

// Run runs `aws argv...`.
func (c *CLI) Run(argv ...string) Result {
	return c.do(map[string]any{"argv": argv}, func() *exec.Cmd { return exec.Command("aws", argv...) })
}

// Shell runs a printed command line (`aws ...`, or any bash).
func (c *CLI) Shell(line string) Result {
	return c.do(map[string]any{"shell": line}, func() *exec.Cmd { return exec.Command("bash", "-c", line) })
}

func (c *CLI) do(req map[string]any, alone func() *exec.Cmd) Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		b, _ := json.Marshal(req)
		if _, err := c.in.Write(append(b, '\n')); err == nil {
			line, err := c.out.ReadBytes('\n')
			var r Result
			if err == nil && json.Unmarshal(line, &r) == nil {
				return r
			}
			return Result{Code: -1, Err: fmt.Sprintf("the AWS CLI process answered %q (%v)", line, err)}
		}
	}
	cmd := alone()
	cmd.Env = c.env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Out: stdout.String(), Err: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		r.Code, r.Err = -1, r.Err+err.Error()
	}
	return r
}
