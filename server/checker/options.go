package checker

import (
	"context"
	"errors"
	"log/slog"
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
}

func (o Options) withDefaults() (Options, error) {
	if o.Fleet == nil || o.Prober == nil {
		return o, errors.New("checker: Fleet and Prober are required")
	}
	if o.Interval < 0 || o.FastInterval < 0 || o.FastWindow < 0 || o.Hysteresis < 0 ||
		o.Events < 0 || o.Concurrency < 0 || o.PerHost < 0 {
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
