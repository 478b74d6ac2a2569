// Command idlecost measures what one mirror-agent poll costs upstream when
// nothing changed — a DNS query for the signal and its DNSSEC-signed
// answer — against a no-op rsync of a 50 000-file tree, and prints both and
// their ratio as markdown; the same goes to a JSON file. `make bench-idle`
// runs it.
//
// The DNS side is signald itself, run in this process from
// contrib/examples/signald.toml on a temporary state directory and a free
// loopback port, with every tree published so that the record holds real
// ten-digit stamps; the bytes counted are the DNS messages (UDP payloads)
// of each query and answer. The rsync side is a real rsync daemon on
// 127.0.0.1 serving a generated tree; after a first full sync, a second
// `rsync -a --stats` is the no-op, and its cost is rsync's own "Total bytes
// sent" + "Total bytes received" (application bytes, like the DNS figure;
// IP and transport headers are counted in neither).
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
	fmt.Fprintln(stderr, "idlecost:", err)
	if errors.As(err, new(usageError)) {
		return exitUsage
	}
	return exitFail
}
