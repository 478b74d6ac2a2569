// Command mirror-agent keeps a mirror in step with the mirrorsignal DNS
// signal: it polls the signal and runs rsync only for trees that are behind.
// See contrib/agent/README.md.
package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"syscall"

	"github.com/mirrorsignal/mirrorsignal/agent/command"
	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/schedule"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !exitcode.IsReported(err) {
		fmt.Fprintf(os.Stderr, "mirror-agent: %v\n", err)
	}
	os.Exit(exitcode.Code(err))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return command.Run(ctx, args, command.Env{
		Stdout: stdout,
		Stderr: stderr,
		Clock:  schedule.Real{},
		Rand:   rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	})
}
