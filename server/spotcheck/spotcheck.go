// Package spotcheck is a one-off check of one mirror (or one tree's base
// URL) against the signal, for `signalctl check` and as a Nagios/Icinga
// plugin: per tree, protocol and IP family, the state, TIME, lag, latency
// and error. It uses the checker's probes, never its schedule or store,
// and must not import server/store (signalctl links no database) or agent.
package spotcheck

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
)

// States of a line, best first.
const (
	Fresh       = "fresh"
	Behind      = "behind"
	Error       = "error"
	Unreachable = "unreachable"
)

// Nagios plugin exit codes.
const (
	NagiosOK       = 0
	NagiosWarning  = 1
	NagiosCritical = 2
	NagiosUnknown  = 3
)

// Fetcher is what a probe does (probe.Prober).
type Fetcher interface {
	Fetch(ctx context.Context, rawURL string, fam probe.Family) probe.Result
}

// Target is one TIME file to fetch.
type Target struct {
	Tree   string
	Proto  string
	Family probe.Family
	URL    string
}

// Line is the outcome for one target.
type Line struct {
	Target
	State   string
	Stamp   int64
	Signal  int64
	Lag     time.Duration
	Latency time.Duration
	Err     string
}

// Report is a whole check.
type Report struct {
	Name  string
	Lines []Line
}

// MirrorTargets lists the TIME files of m for trees (all it carries when
// empty), per protocol and, where m asks for it, per IP family.
func MirrorTargets(m mirrors.Mirror, trees []string, timeFile string) []Target {
	if len(trees) == 0 {
		trees = m.Trees()
	}
	fams := []probe.Family{probe.Any}
	if fs := m.Families(); len(fs) > 0 {
		fams = fams[:0]
		for _, f := range fs {
			fams = append(fams, familyOf(f))
		}
	}
	var out []Target
	for _, tree := range trees {
		for _, p := range []mirrors.Protocol{mirrors.HTTPS, mirrors.HTTP, mirrors.Rsync} {
			u, ok := m.TimeURL(tree, p, timeFile)
			if !ok {
				continue
			}
			for _, f := range fams {
				out = append(out, Target{Tree: tree, Proto: string(p), Family: f, URL: u})
			}
		}
	}
	return out
}

func familyOf(f mirrors.Family) probe.Family {
	if f == mirrors.IPv6 {
		return probe.IPv6
	}
	return probe.IPv4
}

// URLTarget is the TIME file below base for tree.
func URLTarget(base, tree, timeFile string) (Target, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "rsync") {
		return Target{}, fmt.Errorf("%q is not an http, https or rsync URL of a tree", base)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + timeFile
	return Target{Tree: tree, Proto: u.Scheme, Family: probe.Any, URL: u.String()}, nil
}

// Check probes every target, one after the other, and classifies each
// against the tree's signal.
func Check(ctx context.Context, f Fetcher, name string, targets []Target, signals map[string]int64) Report {
	r := Report{Name: name}
	for _, t := range targets {
		r.Lines = append(r.Lines, Classify(t, f.Fetch(ctx, t.URL, t.Family), signals[t.Tree]))
	}
	return r
}

// Classify is the state of one probe against the tree's signal.
func Classify(t Target, res probe.Result, signal int64) Line {
	l := Line{Target: t, Signal: signal, Latency: res.Latency, Stamp: res.Stamp}
	switch {
	case res.Class == probe.Unreachable:
		l.State, l.Err = Unreachable, errText(res.Err)
	case res.Class != probe.OK:
		l.State, l.Err = Error, errText(res.Err)
	case res.Stamp >= signal:
		l.State = Fresh
	default:
		l.State, l.Lag = Behind, time.Duration(signal-res.Stamp)*time.Second
	}
	return l
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

var rank = map[string]int{Fresh: 0, Behind: 1, Error: 2, Unreachable: 3}

// Exit is the Nagios code: per tree the best of its lines counts, and the
// worst tree decides: 0 every tree fresh, 1 some tree behind, 2 some tree
// unreachable or in error, 3 nothing was checked.
func (r Report) Exit() int {
	best := map[string]string{}
	for _, l := range r.Lines {
		if b, ok := best[l.Tree]; !ok || rank[l.State] < rank[b] {
			best[l.Tree] = l.State
		}
	}
	if len(best) == 0 {
		return NagiosUnknown
	}
	code := NagiosOK
	for _, s := range best {
		switch s {
		case Behind:
			code = max(code, NagiosWarning)
		case Error, Unreachable:
			code = NagiosCritical
		}
	}
	return code
}

var status = map[int]string{NagiosOK: "OK", NagiosWarning: "WARNING", NagiosCritical: "CRITICAL", NagiosUnknown: "UNKNOWN"}

// Render prints the plugin's status line, then one line per target.
func Render(w io.Writer, r Report) {
	code := r.Exit()
	fresh := 0
	for _, l := range r.Lines {
		if l.State == Fresh {
			fresh++
		}
	}
	fmt.Fprintf(w, "MIRROR %s - %s: %d of %d checks fresh\n", status[code], r.Name, fresh, len(r.Lines))
	for _, l := range r.Lines {
		fmt.Fprintf(w, "%-8s %-5s %-4s %-11s TIME %-10d lag %-9s %6dms %s %s\n", l.Tree, l.Proto, l.Family, l.State,
			l.Stamp, l.Lag.Round(time.Second), l.Latency.Milliseconds(), l.URL, l.Err)
	}
}
