// Command benchtable gathers the results of one `make bench` run (DNS,
// checker, mirrorlist, idle cost and loopback propagation) into one table
// of ratios against each goal, written as JSON and markdown.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var in inputs
	fs.StringVar(&in.DNS, "dns", "contrib/bench/results/latest.json", "dnsbench result")
	fs.StringVar(&in.Checker, "checker", "contrib/bench/results/checker-latest.json", "checkbench result")
	fs.StringVar(&in.Mirrorlist, "mirrorlist", "contrib/bench/results/mirrorlist-latest.json", "mirrorlistbench result")
	fs.StringVar(&in.Idle, "idle", "contrib/bench/results/idle-latest.json", "idlecost result")
	fs.StringVar(&in.Propagation, "propagation", "contrib/bench/results/propagation-latest.json", "loopback propagation figures (the demo's calibration file)")
	jsonOut := fs.String("json", "contrib/bench/results/table.json", "where the table goes as JSON")
	mdOut := fs.String("md", "contrib/bench/results/table.md", "where the table goes as markdown")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	t, err := build(in)
	if err != nil {
		fmt.Fprintln(stderr, "benchtable:", err)
		return 1
	}
	if err := errors.Join(writeJSON(*jsonOut, t), writeMarkdown(*mdOut, t)); err != nil {
		fmt.Fprintln(stderr, "benchtable:", err)
		return 1
	}
	fmt.Fprint(stdout, markdown(t))
	return 0
}
