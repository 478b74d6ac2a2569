// Package checkbench measures signald's mirror checker (server/checker)
// against mirmon on one machine, in one run: a fleet of local mirrors on
// loopback addresses serves TIME files (most fresh, every tenth behind),
// each mirror under its own host name added to /etc/hosts for the run,
// because mirmon resolves names before it probes. mirmon (with wget as its
// probe) and the checker each make full rounds over the same list; the
// wall time and the CPU time of each (from wait4's rusage of the child and
// its descendants) are compared. A second measure holds 10 000 mirrors × 3
// trees in the checker on its real schedule and reads its heap, its RSS
// and its planned and achieved probes per minute after the first full
// round.
//
// The checker runs in a child process (the same program, started with the
// "child" argument; see Child), so that its CPU and memory are its own and
// not the mirrors'. /etc/hosts is restored when the run ends, also on error
// or on a signal that cancels the context.
//
// The package is used by contrib/bench/cmd/checkbench. It imports
// server/checker, server/mirrors and server/probe (the child runs them);
// it must not import agent or the rest of server.
package checkbench
