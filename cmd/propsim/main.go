// Command propsim simulates how fast a mirror network picks up one publish
// under each sync strategy (cron, hourly cron, signal polling, polling with
// sync-source advice, push triggers), for 600 and 10 000 mirrors by
// default, and writes a markdown table, a JSON report and one SVG plot per
// scenario. `make propsim` runs it; the model is in cmd/propsim/sim.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

type usageError struct{ error }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, time.Now)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "propsim:", err)
	if errors.As(err, new(usageError)) {
		return exitUsage
	}
	return exitFail
}
