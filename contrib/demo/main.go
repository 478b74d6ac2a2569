// Command demo runs a whole mirror network on loopback and shows a
// publish propagating through it, live: `make demo`.
//
// It starts signald in-process (DNS, HTTP status page, admin socket,
// publisher, checker), a master tree, tier-1 hosts and mirrors (rsync
// daemons, HTTP file servers and a real `mirror-agent daemon` per mirror;
// see package fleet), publishes a new release at once, and draws the share
// of mirrors the checker sees fresh until all are. Enter publishes again,
// and so does a timer (-every). Ctrl-C stops every process it started.
// The figures of each publish go to DIR/calibration.json for the
// propagation simulator.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "demo:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

type usageError struct{ error }
