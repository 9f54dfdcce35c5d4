// Command trailwatch detects, explains and fixes whether AWS CloudTrail trails are integrated with CloudWatch Logs.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/trailwatch/trailwatch/internal/cli"
	"github.com/trailwatch/trailwatch/internal/gctune"
)

func main() {
	gctune.Apply(os.Getenv, os.ReadFile) // GOGC=400 and a soft limit in containers, unless the user set GOGC/GOMEMLIMIT
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, cli.Args(os.Args[0], os.Args[1:]), os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
