// Command mirrorlistbench measures signald's GET /mirrorlist requests per
// second against nginx serving the same bytes as a static file, with wrk,
// on one machine, in one run, and prints a markdown table with the ratio
// and the top of the handler's CPU profile; the same goes to a JSON file.
// `make bench-mirrorlist` runs it; see contrib/bench/mirrorlistbench.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mirrorsignal/mirrorsignal/contrib/bench/mirrorlistbench"
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
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mirrorlistbench:", err)
		if errors.As(err, new(usageError)) {
			os.Exit(exitUsage)
		}
		os.Exit(exitFail)
	}
	os.Exit(exitOK)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mirrorlistbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := mirrorlistbench.Options{Command: "mirrorlistbench " + strings.Join(args, " ")}
	serve := fs.Bool("serve", false, "internal: be the serving child")
	fs.IntVar(&o.Mirrors, "mirrors", 500, "mirrors in the fixture snapshot")
	fs.StringVar(&o.Query, "query", "repo=baseos-9&arch=x86_64&country=DE", "query of /mirrorlist")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "load per server and round")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "unmeasured load before each measurement")
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds; each measures both servers")
	fs.IntVar(&o.Connections, "connections", 64, "wrk connections")
	fs.StringVar(&o.ServerCPU, "server-cpu", "0", "taskset CPU list for the servers")
	fs.StringVar(&o.ClientCPU, "client-cpu", "1", "taskset CPU list for wrk")
	fs.DurationVar(&o.Profile, "profile", 8*time.Second, "CPU profile of the handler under load after the rounds (0: none)")
	fs.StringVar(&o.ProfileOut, "profile-out", "", "keep the CPU profile in this file")
	out := fs.String("out", "contrib/bench/results/mirrorlist-latest.json", "JSON report path (empty: none)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *serve {
		return mirrorlistbench.ServeChild(ctx, o.Mirrors, stdout)
	}
	if err := o.Validate(); err != nil {
		return usageError{err}
	}
	r, err := mirrorlistbench.Run(ctx, o, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	if err := r.WriteTable(stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	if err := r.WriteSetup(stdout); err != nil {
		return err
	}
	if *out != "" {
		if err := r.WriteJSON(*out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nJSON: %s\n", *out)
	}
	return nil
}
