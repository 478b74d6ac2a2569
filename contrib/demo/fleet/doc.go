// Package fleet builds a whole mirror network on loopback for the demo
// (contrib/demo, `make demo`) and the end-to-end propagation test
// (cmd/signald/propagation_e2e_test.go): signald in-process with its
// publisher, checker, DNS, HTTP and admin socket; a master tree served by
// an rsync daemon; tier-1 hosts, each an rsync daemon and an HTTP file
// server over its tree, fed from the master by the real rsync as soon as
// the publisher plants the master's TIME file (as a master's push or an
// inotify trigger would); and mirrors, each an rsync daemon, an HTTP file
// server and a real `mirror-agent daemon` process that polls signald's
// signal (DNSSEC-pinned) and syncs from the tier-1 hosts with rsync.
//
// Every address is on 127.0.0.0/8 (each host its own 127.x address, so
// the checker's per-host limits apply per host) and every port is a free
// high port. Every process runs in its own process group with a
// parent-death signal, and Close stops them all: agents first with
// SIGTERM (an agent stops its rsync), then SIGKILL to whatever group
// remains. Every command line carries the fleet's directory, so a caller
// can check that nothing outlived Close (Leftovers).
//
// Measure reads one publish's propagation: the event of signald's status
// (Status().Events), the checker's first-fresh time of each mirror
// (checker.db), and each agent's JSON log (when its rsync started and
// finished). Calibration turns it into the file the propagation simulator
// (cmd/propsim -calibrate) reads.
//
// It imports server (signald is run in-process) and never agent: agents
// are the mirror-agent binary.
package fleet
