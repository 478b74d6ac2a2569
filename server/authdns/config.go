package authdns

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/dnsparams"
	"github.com/mirrorsignal/mirrorsignal/server/rrl"
)

// Protocol sizes and durations. Defaults apply to zero Config fields.
const (
	// DefaultMaxUDPSize is the largest UDP payload we send and the size we
	// advertise in OPT (see dnsparams; signald.toml has the same default).
	DefaultMaxUDPSize = dnsparams.DefaultMaxUDPSize

	// minUDPSize is the UDP payload every DNS speaker accepts (RFC 1035),
	// and the cap for a query without EDNS.
	minUDPSize = 512

	// maxMessageSize bounds any DNS message (the TCP length prefix is 16 bits).
	maxMessageSize = 65535

	// udpBatchSize is how many datagrams a UDP worker reads with one
	// recvmmsg and answers with one sendmmsg (NSD reads up to 100). Under
	// load that divides the cost of the system calls and of the wakeups
	// around them; a batch is answered within microseconds.
	udpBatchSize = 32

	// udpQueryMax is the buffer for one UDP query in a batch. Queries are
	// a few hundred bytes at most (a question, OPT, a TSIG); a longer
	// datagram is cut by the kernel and answered with a bare FORMERR.
	udpQueryMax = 4096

	// DefaultTCPIdleTimeout closes a TCP connection that sent no query for
	// this long (see dnsparams).
	DefaultTCPIdleTimeout = dnsparams.DefaultTCPIdleTimeout

	// DefaultTCPReadTimeout bounds receiving one message once its length
	// prefix has arrived, against clients that trickle bytes.
	DefaultTCPReadTimeout = 2 * time.Second

	// DefaultTCPWriteTimeout bounds writing answers to a client that does
	// not read them.
	DefaultTCPWriteTimeout = 2 * time.Second

	// DefaultMaxTCPConns caps concurrent TCP connections (see dnsparams;
	// the default of dns.max_tcp_connections too). At the cap a new
	// connection closes the one idle the longest; when all are busy it
	// waits (see conns.go).
	DefaultMaxTCPConns = dnsparams.DefaultMaxTCPConns

	// DefaultMaxTCPQueries is the per-connection query limit: 0 = unlimited,
	// as NSD's tcp-query-count. The idle timeout and the connection cap
	// bound resources; miekg's default of 128 collapses pipelined load.
	DefaultMaxTCPQueries = 0

	// DefaultShutdownTimeout bounds a graceful shutdown: open TCP
	// connections finish the query in hand, then are closed.
	DefaultShutdownTimeout = 5 * time.Second

	// samePortAttempts bounds the search for a random port free for both
	// UDP and TCP (see Config).
	samePortAttempts = 20

	// acceptBackoff is the pause after a temporary Accept error (EMFILE…).
	acceptBackoff = 50 * time.Millisecond

	// panicLogInterval limits how often a recurring panic is logged.
	panicLogInterval = time.Minute
)

// Config sets where and how the server listens. Zero fields take defaults.
//
// When UDPAddr and TCPAddr are equal and end in ":0", both transports get
// the same random port, so that tests can let a client fall back to TCP.
type Config struct {
	UDPAddr string // e.g. "127.0.0.1:5353"; "" disables UDP
	TCPAddr string // e.g. "127.0.0.1:5353"; "" disables TCP

	MaxUDPSize int // UDP payload cap and size advertised in OPT; 512..65535
	// UDPWorkers is the number of goroutines answering UDP, default
	// GOMAXPROCS: one per P. A worker never gives up its P between
	// reading a batch and sending the answers (udp_linux.go), so a second
	// one per P only waits: with GOMAXPROCS=1, two workers measured the
	// same CPU per query as one. On Linux each worker has a socket of its
	// own, all bound to UDPAddr with SO_REUSEPORT (see udpSocketCount);
	// elsewhere they share one.
	UDPWorkers int

	TCPIdleTimeout  time.Duration
	TCPReadTimeout  time.Duration
	TCPWriteTimeout time.Duration
	MaxTCPConns     int
	MaxTCPQueries   int // per connection; 0 = unlimited

	ShutdownTimeout time.Duration

	// Transfer says who may transfer the zone (TCP only); the zero value
	// refuses everyone. Its Keys also sign answers to signed queries.
	Transfer TransferConfig

	// RRL rate-limits UDP responses per source prefix (ratelimit.go); TCP
	// is never limited. nil, or a limiter with rate 0, limits nothing and
	// costs nothing per query.
	RRL *rrl.Limiter
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	setDefault(&c.MaxUDPSize, DefaultMaxUDPSize)
	setDefault(&c.UDPWorkers, runtime.GOMAXPROCS(0))
	setDefault(&c.TCPIdleTimeout, DefaultTCPIdleTimeout)
	setDefault(&c.TCPReadTimeout, DefaultTCPReadTimeout)
	setDefault(&c.TCPWriteTimeout, DefaultTCPWriteTimeout)
	setDefault(&c.MaxTCPConns, DefaultMaxTCPConns)
	setDefault(&c.ShutdownTimeout, DefaultShutdownTimeout)
	if !c.RRL.Enabled() {
		c.RRL = nil // the UDP path tests for nil only
	}
	return c
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// Validate reports a Config that cannot work, naming the field.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.UDPAddr == "" && c.TCPAddr == "" {
		errs = append(errs, errors.New("UDPAddr and TCPAddr: both empty, nothing to serve"))
	}
	if c.MaxUDPSize < minUDPSize || c.MaxUDPSize > maxMessageSize {
		errs = append(errs, fmt.Errorf("MaxUDPSize: %d is outside %d..%d", c.MaxUDPSize, minUDPSize, maxMessageSize))
	}
	ints := []struct {
		name string
		v    int
	}{{"UDPWorkers", c.UDPWorkers}, {"MaxTCPConns", c.MaxTCPConns}, {"MaxTCPQueries", c.MaxTCPQueries}}
	for _, f := range ints {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%s: %d is negative", f.name, f.v))
		}
	}
	durations := []struct {
		name string
		d    time.Duration
	}{
		{"TCPIdleTimeout", c.TCPIdleTimeout}, {"TCPReadTimeout", c.TCPReadTimeout},
		{"TCPWriteTimeout", c.TCPWriteTimeout}, {"ShutdownTimeout", c.ShutdownTimeout},
	}
	for _, f := range durations {
		if f.d < 0 {
			errs = append(errs, fmt.Errorf("%s: %s is negative", f.name, f.d))
		}
	}
	if err := c.Transfer.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
