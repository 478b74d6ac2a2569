// Command dnsbench measures signald's authoritative DNS against NSD and
// Knot with dnsperf, on one machine, in one run, and prints a markdown
// table of qps and latency with ratios against NSD; the same goes to a
// JSON file. `make bench` runs it; see contrib/bench/dnsbench.
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

	"github.com/mirrorsignal/mirrorsignal/contrib/bench/dnsbench"
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
	os.Exit(exitCode(err, os.Stderr))
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "dnsbench:", err)
	if errors.As(err, new(usageError)) {
		return exitUsage
	}
	return exitFail
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dnsbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := dnsbench.Options{Command: "dnsbench " + strings.Join(args, " ")}
	fs.StringVar(&o.Signald, "signald", "bin/signald", "the built signald to measure")
	fs.DurationVar(&o.Duration, "duration", 3*time.Second, "load per mode, server and round, of the throughput and of the latency run")
	fs.IntVar(&o.Rounds, "rounds", 5, "rounds: each server is measured once per round in each mode")
	fs.IntVar(&o.LatencyRate, "latency-qps", 20000, "fixed load of the latency runs, in queries per second")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "unmeasured load before each measurement")
	fs.StringVar(&o.ServerCPU, "server-cpu", "0", "taskset CPU list for the servers")
	fs.StringVar(&o.ClientCPU, "client-cpu", "1", "taskset CPU list for dnsperf")
	servers := fs.String("servers", strings.Join(dnsbench.ServerNames, ","), "servers to measure")
	modes := fs.String("modes", modeNames(), "loads to run")
	out := fs.String("out", "contrib/bench/results/latest.json", "JSON report path (empty: none)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	o.Servers = strings.Split(*servers, ",")
	o.Modes = strings.Split(*modes, ",")
	if err := o.Validate(); err != nil {
		return usageError{err}
	}
	r, err := dnsbench.Run(ctx, o, stderr)
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

func modeNames() string {
	names := make([]string, len(dnsbench.Modes))
	for i, m := range dnsbench.Modes {
		names[i] = m.Name
	}
	return strings.Join(names, ",")
}
