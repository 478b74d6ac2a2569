package command

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/pass"
)

// status prints the signal and every tree. Exit 0: all fresh; 5: some tree
// behind; 1: the signal is unusable.
func (a *agent) status(ctx context.Context, p *pass.Pass) error {
	s, err := p.Status(ctx)
	if err != nil {
		return exitcode.New(exitcode.Failure, err)
	}
	printStatus(a.env.Stdout, a.cfg.Signal.Name, s)
	if s.SignalErr != nil {
		return exitcode.New(exitcode.Failure, fmt.Errorf("signal: %w", s.SignalErr))
	}
	for _, t := range s.Trees {
		if t.Behind {
			return exitcode.Reported(exitcode.Newf(exitcode.Behind, "tree %s is behind the signal", t.Tree))
		}
	}
	return nil
}

func printStatus(w io.Writer, name string, s pass.Status) {
	if s.SignalErr != nil {
		fmt.Fprintf(w, "signal %s: UNUSABLE: %v\n", name, s.SignalErr)
	} else {
		fmt.Fprintf(w, "signal %s = %q from %s (%s)\n", name, s.Signal.Text, s.Signal.Server, s.Signal.Security.How)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TREE\tLOCAL\tSIGNAL\tSTATE\tLAST SUCCESS\tLAST ERROR")
	for _, t := range s.Trees {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Tree, stamp(t.Local), signalStamp(t, s.SignalErr),
			treeState(t, s.SignalErr), stamp(t.LastSuccess), t.LastError)
	}
	tw.Flush()
}

func treeState(t pass.TreeStatus, sigErr error) string {
	state := "fresh"
	switch {
	case sigErr != nil:
		state = "unknown"
	case t.Behind:
		state = "behind"
	}
	if t.Due {
		state += ",sync-due"
	}
	return state
}

func signalStamp(t pass.TreeStatus, sigErr error) string {
	if sigErr != nil {
		return "-"
	}
	return stamp(t.Signal)
}

func stamp(v int64) string {
	if v == 0 {
		return "never"
	}
	return time.Unix(v, 0).UTC().Format(time.RFC3339)
}
