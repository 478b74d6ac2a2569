// Command checkbench measures signald's mirror checker against mirmon on
// one machine: full rounds of both over the same local mirrors, and the
// checker's memory holding 10 000 mirrors × 3 trees on its schedule. It
// prints a markdown table; the same figures go to a JSON file. `make
// bench-checker` runs it; see contrib/bench/checkbench. Run as root: the
// mirrors' names go into /etc/hosts for the run (and out again).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mirrorsignal/mirrorsignal/contrib/bench/checkbench"
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
	fmt.Fprintln(stderr, "checkbench:", err)
	if errors.As(err, new(usageError)) {
		return exitUsage
	}
	return exitFail
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "child" {
		return checkbench.Child(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("checkbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := checkbench.Options{Command: strings.TrimSpace("checkbench " + strings.Join(args, " "))}
	sizes := fs.String("sizes", "200,2000", "fleet sizes that mirmon and the checker both make full rounds of")
	fs.IntVar(&o.Rounds, "rounds", 1, "full rounds of each tool per size; figures are medians")
	fs.IntVar(&o.MaxProbes, "max-probes", checkbench.DefaultMaxProbes, "mirmon's max_probes")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "the checker's Concurrency")
	fs.IntVar(&o.PerHost, "per-host", 2, "the checker's PerHost")
	fs.DurationVar(&o.Timeout, "timeout", checkbench.DefaultTimeout, "probe timeout of both")
	fs.IntVar(&o.MemoryMirrors, "memory-mirrors", checkbench.DefaultMemoryMirrors, "mirrors (× 3 trees) held for the memory measure; 0: none")
	fs.DurationVar(&o.MemoryInterval, "memory-interval", checkbench.DefaultMemoryInterval, "the checker's interval in the memory measure")
	mirmon := fs.String("mirmon", "mirmon", `the mirmon program; "": measure the checker alone`)
	fs.StringVar(&o.Hosts, "hosts", "/etc/hosts", "hosts file the mirrors' names go into for mirmon")
	out := fs.String("out", "contrib/bench/results/checker-latest.json", "JSON report path (empty: none)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	var err error
	if o.Sizes, err = parseSizes(*sizes); err != nil {
		return usageError{err}
	}
	if *mirmon != "" {
		if o.Mirmon, err = exec.LookPath(*mirmon); err != nil {
			return fmt.Errorf("mirmon (apt-get install mirmon wget, or -mirmon ''): %w", err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o.Self = []string{self}
	if err := o.Validate(); err != nil {
		return usageError{err}
	}
	start := time.Now()
	r, err := checkbench.Run(ctx, o, stderr)
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
		fmt.Fprintf(stdout, "\nJSON: %s (run took %s)\n", *out, time.Since(start).Round(time.Second))
	}
	return nil
}

func parseSizes(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-sizes: %q is not a fleet size", f)
		}
		out = append(out, n)
	}
	return out, nil
}
