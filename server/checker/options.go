package checker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
)

// Runner timing.
const (
	// fleetPoll is the longest the loop sleeps without looking for a
	// reloaded fleet.
	fleetPoll = 5 * time.Second
	// viewEvery is the shortest time between two published views: a view
	// of 10 000 mirrors is a few megabytes.
	viewEvery = 2 * time.Second
)

// Prober fetches one file over one IP family; *probe.Prober is one.
type Prober interface {
	Fetch(ctx context.Context, url string, fam probe.Family) probe.Result
}

// Options configure a Checker. Zero values take the defaults.
type Options struct {
	// Fleet returns the mirror list in use; it returns a new *Fleet after
	// a reload (mirrors.Current.Fleet). Required.
	Fleet func() *mirrors.Fleet
	// Prober fetches the TIME files. Required.
	Prober Prober
	// TimeFile is the TIME file's path under each tree's root; "": "TIME".
	TimeFile string
	// HeartbeatFile, when set, is fetched too on base rounds after a TIME
	// file was, over the same protocol and family (Result.Heartbeat).
	HeartbeatFile string
	// Interval is the base round of every mirror; 0: DefaultInterval.
	Interval time.Duration
	// FastInterval re-checks, after a publish, the mirrors of the tree not
	// fresh yet; 0: DefaultFastInterval.
	FastInterval time.Duration
	// FastWindow is how long after a publish the fast re-checks go on;
	// 0: DefaultFastWindow.
	FastWindow time.Duration
	// Hysteresis is how many consecutive rounds confirm a state change;
	// 0: DefaultHysteresis.
	Hysteresis int
	// Events is how many publish events are kept; 0: DefaultEvents.
	Events int
	// Concurrency bounds the probes (and rounds) in flight; 0:
	// DefaultConcurrency. PerHost bounds those to one host; 0:
	// DefaultPerHost.
	Concurrency, PerHost int
	// Now is the clock; nil: time.Now. Timers are the runtime's, so tests
	// fake time with testing/synctest.
	Now func() time.Time
	// Log gets a component=checker key; nil: discard.
	Log *slog.Logger
	// Sink receives every round's results; nil: none.
	Sink Sink
	// Notify receives state changes after hysteresis, from the checker's
	// loop: it must not block. nil: none.
	Notify func([]Transition)
	// Registerer takes the checker's metrics; nil: not registered.
	Registerer prometheus.Registerer

	// Repomd fetches repodata/repomd.xml for the consistency check of
	// the fleet's [[repo]]s; nil: no check. RepoBases gives, per tree,
	// the master's base URL (http or https, the tree's root) where each
	// repo's path is found; a tree without one is not checked.
	Repomd    RepomdFetcher
	RepoBases map[string]string
	// RepomdHistory is how many of the master's repomd.xml versions per
	// repo and arch are consistent: the current one and those before it
	// that the checker saw; 0: DefaultRepomdHistory.
	RepomdHistory int

	// FirstFresh, when set, is told each mirror first counted fresh for
	// a publish (tree, stamp) and when, so the propagation can outlive a
	// restart. It is called from the checker's loop: keep it quick.
	FirstFresh func(tree string, stamp int64, mirror string, at time.Time)
	// Restore, when set, gives for a publish (tree, stamp) when mirrors
	// were first seen fresh for it before this checker learned it: the
	// FirstFresh calls of an earlier run, the tier-1 hosts the publisher's
	// gate saw. It is called from the loop when an event is learned, and
	// for each tree of the first signal after start, which opens an event
	// only when Restore knows a mirror for it (a restart in the middle of
	// a propagation).
	Restore func(tree string, stamp int64) map[string]time.Time
}

func (o Options) withDefaults() (Options, error) {
	if o.Fleet == nil || o.Prober == nil {
		return o, errors.New("checker: Fleet and Prober are required")
	}
	if o.Interval < 0 || o.FastInterval < 0 || o.FastWindow < 0 || o.Hysteresis < 0 ||
		o.Events < 0 || o.Concurrency < 0 || o.PerHost < 0 || o.RepomdHistory < 0 {
		return o, errors.New("checker: intervals and limits must not be negative")
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Interval, DefaultInterval)
	def(&o.FastInterval, DefaultFastInterval)
	def(&o.FastWindow, DefaultFastWindow)
	defInt(&o.Hysteresis, DefaultHysteresis)
	defInt(&o.Events, DefaultEvents)
	defInt(&o.Concurrency, DefaultConcurrency)
	defInt(&o.PerHost, DefaultPerHost)
	defInt(&o.RepomdHistory, DefaultRepomdHistory)
	for tree, base := range o.RepoBases {
		if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return o, fmt.Errorf("checker: the repo base URL of %s, %q, is not an http(s) URL", tree, base)
		}
	}
	if o.TimeFile == "" {
		o.TimeFile = "TIME"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Log = o.Log.With("component", "checker")
	return o, nil
}

func defInt(v *int, d int) {
	if *v == 0 {
		*v = d
	}
}

func (o Options) config() config {
	return config{interval: o.Interval, fast: o.FastInterval, window: o.FastWindow,
		hysteresis: o.Hysteresis, events: o.Events, timeFile: o.TimeFile, heartbeat: o.HeartbeatFile}
}
