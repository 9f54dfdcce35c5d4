// Package cli wires trailwatch's commands and flags to the internal packages. One file per command; each command
// has an options struct and returns errors, which Execute maps to the documented exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trailwatch/trailwatch/internal/suggest"
)

// Exit codes (docs/output.md).
const (
	ExitOK         = 0 // nothing failed
	ExitFailed     = 1 // a finding FAILed at or above --fail-on
	ExitIncomplete = 2 // the scan was incomplete: ERROR findings
	ExitUsage      = 3 // usage or configuration error
	// ExitInterrupted: stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it). No report was written over
	// an existing one; with --partial, a report marked "complete": false.
	ExitInterrupted = 130
)

// interrupted is the error of a run stopped by a signal: how far it got.
func interrupted(done, total int) error {
	return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted after %d of %d accounts", done, total)}
}

// exitError carries an exit code up to Execute.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// env is what every command shares: streams and the logger.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	logLevel       string
	log            *slog.Logger
	// now is the clock scans measure ages against (time.Now; tests pin it to the simulator's scenario time).
	now func() time.Time
}

// clock is the current time in UTC.
func (e *env) clock() time.Time {
	if e.now == nil {
		return time.Now().UTC()
	}
	return e.now().UTC()
}

// Args are the command's arguments: as given, or, for the binary run as an AWS Lambda function's bootstrap, "lambda"
// and the flags in TRAILWATCH_ARGS.
func Args(argv0 string, args []string) []string { return lambdaArgs(argv0, args) }

// Execute runs trailwatch with args and returns the process exit code.
func Execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return execute(ctx, &env{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}, args)
}

func execute(ctx context.Context, e *env, args []string) int {
	stderr := e.stderr
	root := newRoot(e)
	if err := checkSingleDashLongFlags(root, args); err != nil {
		fmt.Fprintln(stderr, "trailwatch:", err)
		return ExitUsage
	}
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "trailwatch:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "trailwatch:", err)
	// cobra's own errors (unknown flag, bad argument) are usage errors.
	return ExitUsage
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "trailwatch",
		Short: "Check that every CloudTrail trail is integrated with CloudWatch Logs, explain why not, and fix it",
		Long: `trailwatch owns one control end to end: CloudTrail trails are integrated with CloudWatch Logs
(CIS AWS Foundations v1.2 2.4, v1.3-v2.0 3.4; Security Hub CloudTrail.5; AWS Config cloud-trail-cloud-watch-logs-enabled).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       toolVersion(),
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			switch strings.ToLower(e.logLevel) {
			case "debug":
				level = slog.LevelDebug
			case "info":
				level = slog.LevelInfo
			case "warn", "":
				level = slog.LevelWarn
			case "error":
				level = slog.LevelError
			default:
				return usageError("--log-level %q: want debug, info, warn or error", e.logLevel)
			}
			e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
			return nil
		},
	}
	root.PersistentFlags().StringVar(&e.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitError{code: ExitUsage, err: err} })
	root.AddCommand(newSimCmd(e), newScanCmd(e), newMergeCmd(e), newIaCCmd(e), newFixCmd(e), newGuardrailsCmd(e), newExceptionsCmd(e), newReportCmd(e), newHistoryCmd(e), newDiffCmd(e), newDemoCmd(e), newControlsCmd(e), newOrgCmd(e), newDeployCmd(e), newAlarmsCmd(e), newWatchCmd(e), newLambdaCmd(e), newIAMPolicyCmd(e), newDiscoveryCmd(e), newProveCmd(e))
	refuseUnknownSubcommands(root)
	return root
}

// refuseUnknownSubcommands makes every command group (fix, sim, guardrails, exceptions) answer an unknown
// sub-command with exit 3 and the nearest one, instead of printing its help and exiting 0. A bare group prints help.
func refuseUnknownSubcommands(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		refuseUnknownSubcommands(c)
	}
	if cmd.Parent() == nil || !cmd.HasSubCommands() || cmd.Runnable() {
		return
	}
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		var names []string
		for _, sub := range c.Commands() {
			names = append(names, sub.Name())
		}
		return usageError("unknown command %q for %q%s (see %s --help)", args[0], c.CommandPath(), suggest.DidYouMean(args[0], names), c.CommandPath())
	}
}

// checkSingleDashLongFlags refuses a long flag written with one dash ("-org"): pflag would read it as the shorthand
// -o with the value "rg" and write a report to a file named rg.
func checkSingleDashLongFlags(root *cobra.Command, args []string) error {
	long := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) { long[f.Name] = true })
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for i, a := range args {
		if a == "--" {
			return nil
		}
		if i > 0 && strings.HasPrefix(args[i-1], "--") && !strings.Contains(args[i-1], "=") && !strings.HasPrefix(a, "-") {
			continue
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if long[name] {
			return usageError("%s: long flags take two dashes: --%s", a, a[1:])
		}
	}
	return nil
}
