// Package notify tells secondary name servers that the signal zone changed
// (DNS NOTIFY, RFC 1996), so that they transfer it at once instead of at
// their next SOA refresh. It owns only the sending side: the Notifier sends
// NOTIFY over UDP to each configured secondary, optionally signed with
// TSIG (hmac-sha256), and retries with exponential backoff until the
// secondary acknowledges it, a newer serial supersedes it, or the tries
// run out. It uses miekg/dns, backoff and dnsparams, and must not import
// agent or the other server components.
package notify

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/backoff"
	"github.com/mirrorsignal/mirrorsignal/server/dnsparams"
)

// Protocol durations and limits. Defaults apply to zero Config fields.
const (
	// DefaultTimeout is how long one attempt waits for the acknowledgement
	// (BIND and Knot wait a few seconds, NSD 2s).
	DefaultTimeout = 2 * time.Second

	// DefaultInitialBackoff is the pause after the first unacknowledged
	// attempt; it doubles after each further one (RFC 1996 §3.6 asks for
	// retransmission with a bounded number of tries).
	DefaultInitialBackoff = time.Second

	// DefaultMaxBackoff caps the pause between attempts.
	DefaultMaxBackoff = 30 * time.Second

	// DefaultMaxTries bounds the attempts per serial and target (NSD and
	// BIND give up after 5).
	DefaultMaxTries = 5
)

// Key is a TSIG key, algorithm hmac-sha256.
type Key struct {
	Name   string // FQDN, e.g. "xfr-key."
	Secret string // base64
}

// Target is one secondary to notify.
type Target struct {
	Addr string // host:port, e.g. "192.0.2.53:53"
	Key  *Key   // sign the NOTIFY with this key; nil: unsigned
}

// Config says what to notify and whom. Zero durations and counts take the
// defaults above.
type Config struct {
	Zone    string // FQDN of the zone, e.g. "mirrors.example.test."
	Targets []Target
	// SOA, when set, is the zone's SOA; each NOTIFY carries a copy with
	// the notified serial in its answer section as a hint (RFC 1996 §3.7).
	// Without it the answer section is empty.
	SOA *dns.SOA

	Timeout        time.Duration
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	MaxTries       int
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.InitialBackoff <= 0 {
		c.InitialBackoff = DefaultInitialBackoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.MaxTries <= 0 {
		c.MaxTries = DefaultMaxTries
	}
	return c
}

// Validate reports a Config that cannot work, naming the field.
func (c Config) Validate() error {
	var errs []error
	if _, ok := dns.IsDomainName(c.Zone); !ok || !dns.IsFqdn(c.Zone) {
		errs = append(errs, fmt.Errorf("zone: %q is not a fully qualified name", c.Zone))
	}
	for i, t := range c.Targets {
		if _, _, err := net.SplitHostPort(t.Addr); err != nil {
			errs = append(errs, fmt.Errorf("Targets[%d].Addr: %w", i, err))
		}
		if t.Key == nil {
			continue
		}
		if _, ok := dns.IsDomainName(t.Key.Name); !ok || !dns.IsFqdn(t.Key.Name) {
			errs = append(errs, fmt.Errorf("Targets[%d].Key.Name: %q is not a fully qualified name", i, t.Key.Name))
		}
		if b, err := base64.StdEncoding.DecodeString(t.Key.Secret); err != nil || len(b) == 0 {
			errs = append(errs, fmt.Errorf("Targets[%d].Key.Secret: not non-empty base64", i))
		}
	}
	return errors.Join(errs...)
}

// Notifier sends NOTIFY to the configured secondaries on every change.
type Notifier struct {
	cfg     Config
	log     *slog.Logger
	targets []*target

	mu     sync.Mutex
	gen    uint64 // counts Notify calls; 0: none yet
	serial uint32 // the serial of the latest Notify
}

// target is one secondary and the wake-up for its goroutine.
type target struct {
	Target
	wake chan struct{} // capacity 1: a pending change
}

// New returns a Notifier for cfg; it sends nothing until Run.
func New(cfg Config, logger *slog.Logger) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("notify config: %w", err)
	}
	n := &Notifier{cfg: cfg.withDefaults(), log: logger.With("component", "notify")}
	for _, t := range cfg.Targets {
		n.targets = append(n.targets, &target{Target: t, wake: make(chan struct{}, 1)})
	}
	return n, nil
}

// Notify announces serial to every target. It never blocks; a newer serial
// supersedes retries of an older one.
func (n *Notifier) Notify(serial uint32) {
	n.mu.Lock()
	n.gen++
	n.serial = serial
	n.mu.Unlock()
	for _, t := range n.targets {
		select {
		case t.wake <- struct{}{}:
		default: // a wake-up is pending already; it will read the latest serial
		}
	}
}

// latest returns the generation and serial of the newest Notify.
func (n *Notifier) latest() (uint64, uint32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.gen, n.serial
}

// Run sends notifications until ctx is done, one goroutine per target.
func (n *Notifier) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, t := range n.targets {
		wg.Go(func() { n.runTarget(ctx, t) })
	}
	wg.Wait()
	return nil
}

// runTarget delivers each new serial to t.
func (n *Notifier) runTarget(ctx context.Context, t *target) {
	var done uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
		}
		for {
			gen, serial := n.latest()
			if gen == done || ctx.Err() != nil {
				break
			}
			n.deliver(ctx, t, gen, serial)
			done = gen
		}
	}
}

// errSuperseded ends the retries of a serial when a newer Notify came.
var errSuperseded = errors.New("superseded by a newer serial")

// deliver sends serial to t until it is acknowledged, superseded by a newer
// Notify, the tries run out, or ctx ends.
func (n *Notifier) deliver(ctx context.Context, t *target, gen uint64, serial uint32) {
	policy := backoff.Policy{Initial: n.cfg.InitialBackoff, Max: n.cfg.MaxBackoff}
	sleep := func(ctx context.Context, d time.Duration) error { return n.wait(ctx, t, gen, d) }
	err := backoff.Retry(ctx, policy, n.cfg.MaxTries, sleep, func(try int) error {
		err := n.send(ctx, t, serial)
		if err == nil {
			n.log.Info("notify acknowledged", "target", t.Addr, "zone", n.cfg.Zone, "serial", serial, "tries", try)
		} else {
			n.log.Debug("notify not acknowledged", "target", t.Addr, "serial", serial, "try", try, "err", err)
		}
		return err
	})
	switch {
	case err == nil || ctx.Err() != nil:
	case errors.Is(err, errSuperseded):
		n.log.Debug("notify superseded", "target", t.Addr, "serial", serial)
	default:
		n.log.Warn("secondary did not acknowledge NOTIFY; giving up until the next change",
			"target", t.Addr, "zone", n.cfg.Zone, "serial", serial, "tries", n.cfg.MaxTries, "err", err)
	}
}

// wait pauses d between tries for generation gen. It returns errSuperseded
// when a newer Notify arrives, and ctx.Err() when ctx ends.
func (n *Notifier) wait(ctx context.Context, t *target, gen uint64, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		case <-t.wake:
			if g, _ := n.latest(); g == gen {
				continue // a wake-up for the serial in hand
			}
			// Put the wake-up back for runTarget, which sends the newer serial.
			select {
			case t.wake <- struct{}{}:
			default:
			}
			return errSuperseded
		}
	}
}

// ErrBadResponse reports a response that does not acknowledge the NOTIFY.
var ErrBadResponse = errors.New("bad NOTIFY response")

// send makes one attempt: NOTIFY over UDP, then wait for the matching
// response (same ID, opcode NOTIFY, QR, NOERROR, signed when we signed).
func (n *Notifier) send(ctx context.Context, t *target, serial uint32) error {
	m := n.message(serial)
	c := &dns.Client{Net: "udp", Timeout: n.cfg.Timeout}
	if t.Key != nil {
		name := dns.CanonicalName(t.Key.Name)
		c.TsigSecret = map[string]string{name: t.Key.Secret}
		m.SetTsig(name, dns.HmacSHA256, dnsparams.TSIGFudgeSeconds, time.Now().Unix())
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	r, _, err := c.ExchangeContext(ctx, m, t.Addr)
	switch {
	case err != nil:
		return err
	case r.Id != m.Id || !r.Response || r.Opcode != dns.OpcodeNotify:
		return fmt.Errorf("%w: id %d opcode %s qr=%v", ErrBadResponse, r.Id, dns.OpcodeToString[r.Opcode], r.Response)
	case r.Rcode != dns.RcodeSuccess:
		return fmt.Errorf("%w: %s", ErrBadResponse, dns.RcodeToString[r.Rcode])
	case t.Key != nil && r.IsTsig() == nil:
		return fmt.Errorf("%w: unsigned answer to a signed NOTIFY", ErrBadResponse)
	}
	return nil
}

// message builds the NOTIFY for serial: opcode NOTIFY, AA, the zone's SOA
// as the question and, when known, the new SOA as the answer.
func (n *Notifier) message(serial uint32) *dns.Msg {
	m := new(dns.Msg)
	m.SetNotify(n.cfg.Zone)
	m.Authoritative = true
	if n.cfg.SOA != nil {
		soa := *n.cfg.SOA
		soa.Hdr = dns.RR_Header{Name: n.cfg.Zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: n.cfg.SOA.Hdr.Ttl}
		soa.Serial = serial
		m.Answer = []dns.RR{&soa}
	}
	return m
}
