package advice

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
)

// Protocol durations and bounds.
const (
	// DefaultValidity is expires − issued of the advice served. An agent
	// asks right before it syncs, so advice is used within seconds; an
	// hour covers its clock running behind ours.
	DefaultValidity = time.Hour
	// MaxValidity is the longest validity an agent accepts
	// (agent/advice.MaxValidity; a test holds the two equal).
	MaxValidity = 24 * time.Hour
	// DefaultMaxSources is how many sources one advice names.
	DefaultMaxSources = 5
	// MaxSourcesLimit is the most sources an agent accepts in one advice
	// (agent/advice.MaxSources).
	MaxSourcesLimit = 32
	// DefaultFanOut is how many distinct mirrors one source is handed to
	// per DefaultWindow.
	DefaultFanOut = 20
	// DefaultWindow is the fan-out cap's sliding window: about one agent
	// pass (daemon_interval's default is 10m).
	DefaultWindow = 10 * time.Minute
)

// Options configure a Handler. Zero values take the defaults.
type Options struct {
	// KeyPath is the advice key file, created mode 0600 when missing
	// (normally <state_dir>/advicekey.FileName). Required.
	KeyPath string
	// Fleet returns the mirror list in use (mirrors.Current.Fleet). Required.
	Fleet func() *mirrors.Fleet
	// View returns the checker's latest view, nil before the first
	// (checker.Checker.View). Required.
	View func() *checker.View
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Log gets a component=advice key; nil: discard.
	Log *slog.Logger
	// Registerer takes the metrics; nil: not registered.
	Registerer prometheus.Registerer
	// MaxSources is the most sources in one advice, 1 to MaxSourcesLimit;
	// 0: DefaultMaxSources.
	MaxSources int
	// FanOut is the most distinct mirrors one source is handed to per
	// Window; 0: DefaultFanOut.
	FanOut int
	// Window is the fan-out cap's window; 0: DefaultWindow.
	Window time.Duration
	// Validity is expires − issued, at most MaxValidity; 0: DefaultValidity.
	Validity time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if o.KeyPath == "" || o.Fleet == nil || o.View == nil {
		return o, errors.New("advice: KeyPath, Fleet and View are required")
	}
	if o.MaxSources < 0 || o.MaxSources > MaxSourcesLimit {
		return o, fmt.Errorf("advice: MaxSources %d: want 1 to %d", o.MaxSources, MaxSourcesLimit)
	}
	if o.FanOut < 0 || o.Window < 0 {
		return o, errors.New("advice: FanOut and Window must not be negative")
	}
	if o.Validity < 0 || o.Validity > MaxValidity || o.Validity%time.Second != 0 {
		return o, fmt.Errorf("advice: Validity %s: want whole seconds, at most %s", o.Validity, MaxValidity)
	}
	if o.MaxSources == 0 {
		o.MaxSources = DefaultMaxSources
	}
	if o.FanOut == 0 {
		o.FanOut = DefaultFanOut
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.Validity == 0 {
		o.Validity = DefaultValidity
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Log = o.Log.With("component", "advice")
	return o, nil
}
