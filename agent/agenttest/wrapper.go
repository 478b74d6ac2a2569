package agenttest

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// Wrapper is a script standing in for rsync: it appends "PID ARGS…" to a
// log, then execs the real rsync (keeping its PID), so tests count and
// inspect invocations.
type Wrapper struct {
	Path string // give this as sync.rsync
	Log  string
}

// NewWrapper writes the wrapper into a temp dir.
func NewWrapper(t testing.TB) *Wrapper {
	t.Helper()
	rsync := testtool.Path(t, "rsync")
	dir := t.TempDir()
	w := &Wrapper{Path: filepath.Join(dir, "rsync-wrapper"), Log: filepath.Join(dir, "invocations.log")}
	script := fmt.Sprintf("#!/bin/sh\necho \"$$ $*\" >> '%s'\nexec '%s' \"$@\"\n", w.Log, rsync)
	if err := os.WriteFile(w.Path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return w
}

// Invocation is one logged run.
type Invocation struct {
	PID  int
	Args []string
}

// Invocations returns the sync runs logged so far: the pre-flight fetches
// of a source's TIME file are left out (see Probes).
func (w *Wrapper) Invocations(t testing.TB) []Invocation {
	t.Helper()
	var out []Invocation
	for _, inv := range w.All(t) {
		if !inv.Probe() {
			out = append(out, inv)
		}
	}
	return out
}

// Probes returns the pre-flight fetches logged so far.
func (w *Wrapper) Probes(t testing.TB) []Invocation {
	t.Helper()
	var out []Invocation
	for _, inv := range w.All(t) {
		if inv.Probe() {
			out = append(out, inv)
		}
	}
	return out
}

// All returns every run logged so far, probes included.
func (w *Wrapper) All(t testing.TB) []Invocation {
	t.Helper()
	f, err := os.Open(w.Log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Invocation
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		var inv Invocation
		fmt.Sscan(fields[0], &inv.PID)
		inv.Args = fields[1:]
		out = append(out, inv)
	}
	return out
}

// Source returns the source argument of an invocation (second to last).
func (i Invocation) Source() string {
	if len(i.Args) < 2 {
		return ""
	}
	return i.Args[len(i.Args)-2]
}

// Probe reports whether the invocation is a pre-flight fetch of one file:
// its source names a file, where a tree sync's source ends with "/".
func (i Invocation) Probe() bool {
	return !strings.HasSuffix(i.Source(), "/")
}

// Has reports whether the invocation has the argument a.
func (i Invocation) Has(a string) bool {
	for _, x := range i.Args {
		if x == a {
			return true
		}
	}
	return false
}
