package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Probe limits.
const (
	// DefaultTimeout bounds one whole probe — connect, TLS, redirects,
	// headers and body, or the whole rsync run — when Config.Timeout is 0.
	DefaultTimeout = 10 * time.Second
	// DefaultBodyCap is the largest TIME file read: signal's own bound.
	DefaultBodyCap = signal.MaxTimeFileSize
	// MaxRedirects is the most HTTP redirects a probe follows.
	MaxRedirects = 3
	// maxHeaderBytes bounds the response headers a mirror may send.
	maxHeaderBytes = 16 << 10
)

// Family is the IP family a probe must use.
type Family int

const (
	Any  Family = iota // whichever the resolver and dialer pick
	IPv4               // TCP over IPv4 only (rsync -4)
	IPv6               // TCP over IPv6 only (rsync -6)
)

func (f Family) String() string {
	switch f {
	case Any:
		return "any"
	case IPv4:
		return "ipv4"
	case IPv6:
		return "ipv6"
	}
	return fmt.Sprintf("Family(%d)", int(f))
}

// network is the dial network of f.
func (f Family) network() string {
	switch f {
	case IPv4:
		return "tcp4"
	case IPv6:
		return "tcp6"
	}
	return "tcp"
}

// Config configures a Prober. The zero value of each field is its default.
type Config struct {
	// Version goes into the User-Agent: "mirrorsignal/<Version> (+checker)".
	Version string
	// Timeout bounds one whole probe; 0: DefaultTimeout.
	Timeout time.Duration
	// BodyCap is the largest body accepted, at most (and by default)
	// signal.MaxTimeFileSize; a bigger one is ErrTooBig.
	BodyCap int64
	// RootCAs verifies HTTPS servers; nil: the system roots. Certificates
	// are always verified: there is no way to turn that off.
	RootCAs *x509.CertPool
	// Proxy is an HTTP proxy for http and https probes; nil: connect
	// directly. The environment (HTTP_PROXY, …) is never consulted. Through
	// a proxy the Family applies to the connection to the proxy only.
	Proxy *url.URL
	// Rsync is the rsync binary; "": "rsync" on PATH.
	Rsync string
	// RsyncConTimeout is rsync's --contimeout; 0: half of Timeout. Keep it
	// below Timeout, or a connect that hangs is ErrTimeout, not Unreachable.
	RsyncConTimeout time.Duration
	// RsyncIOTimeout is rsync's --timeout; 0: Timeout.
	RsyncIOTimeout time.Duration
}

// Result is the outcome of one probe.
type Result struct {
	Stamp   int64         // the TIME seen; 0 unless Class is OK
	Latency time.Duration // from the start of the probe to its end
	Err     error         // nil when Class is OK; wraps one of the Err* reasons
	Class   Class
}

// Prober fetches TIME files. It is safe for concurrent use; bounding the
// number of probes in flight (per host, too) is the caller's job.
type Prober struct {
	cfg       Config
	userAgent string
	clients   map[Family]*http.Client
}

// New checks cfg, applies its defaults and builds a Prober with one HTTP
// transport per Family.
func New(cfg Config) (*Prober, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, err
	}
	p := &Prober{
		cfg:       cfg,
		userAgent: fmt.Sprintf("mirrorsignal/%s (+checker)", cfg.Version),
		clients:   make(map[Family]*http.Client, 3),
	}
	for _, f := range []Family{Any, IPv4, IPv6} {
		p.clients[f] = newClient(cfg, f)
	}
	return p, nil
}

func withDefaults(cfg Config) (Config, error) {
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.BodyCap == 0 {
		cfg.BodyCap = DefaultBodyCap
	}
	if cfg.Rsync == "" {
		cfg.Rsync = "rsync"
	}
	if cfg.RsyncConTimeout == 0 {
		cfg.RsyncConTimeout = cfg.Timeout / 2
	}
	if cfg.RsyncIOTimeout == 0 {
		cfg.RsyncIOTimeout = cfg.Timeout
	}
	switch {
	case cfg.Timeout < 0:
		return cfg, errors.New("probe: timeout must not be negative")
	case cfg.BodyCap < 0 || cfg.BodyCap > signal.MaxTimeFileSize:
		return cfg, fmt.Errorf("probe: body cap must be 1..%d bytes", signal.MaxTimeFileSize)
	case cfg.RsyncConTimeout < 0 || cfg.RsyncIOTimeout < 0:
		return cfg, errors.New("probe: rsync timeouts must not be negative")
	}
	return cfg, nil
}

// Fetch fetches the file at rawURL (http://, https:// or
// rsync://host[:port]/module/path) over fam and reads its stamp. It never
// takes longer than the configured Timeout, and stops when ctx ends.
func (p *Prober) Fetch(ctx context.Context, rawURL string, fam Family) Result {
	start := time.Now()
	stamp, err := p.fetch(ctx, rawURL, fam)
	if err != nil {
		stamp = 0
	}
	return Result{Stamp: stamp, Latency: time.Since(start), Err: err, Class: classify(err)}
}

// errProbeTimeout is the cause of a probe's own deadline, to tell it from
// the caller's. Wherever it surfaces it still reads as a deadline.
var errProbeTimeout error = probeTimeout{}

type probeTimeout struct{}

func (probeTimeout) Error() string        { return "probe timeout" }
func (probeTimeout) Timeout() bool        { return true }
func (probeTimeout) Temporary() bool      { return true }
func (probeTimeout) Is(target error) bool { return target == context.DeadlineExceeded }

func (p *Prober) fetch(ctx context.Context, rawURL string, fam Family) (int64, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadURL, err)
	}
	if u.Host == "" {
		return 0, fmt.Errorf("%w: %q has no host", ErrBadURL, rawURL)
	}
	if fam < Any || fam > IPv6 {
		return 0, fmt.Errorf("%w: unknown family %v", ErrBadURL, fam)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, p.cfg.Timeout, errProbeTimeout)
	defer cancel()
	var body []byte
	switch u.Scheme {
	case "http", "https":
		body, err = p.fetchHTTP(ctx, u, fam)
	case "rsync":
		body, err = p.fetchRsync(ctx, u, fam)
	default:
		return 0, fmt.Errorf("%w: scheme %q is not http, https or rsync", ErrBadURL, u.Scheme)
	}
	if err != nil {
		return 0, err
	}
	return ParseBody(body)
}

// timedOut reports whether the probe's own deadline, not the caller's
// context, ended ctx.
func timedOut(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errProbeTimeout)
}
