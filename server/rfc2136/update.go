package rfc2136

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/backoff"
	"github.com/mirrorsignal/mirrorsignal/server/dnsparams"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Retry timing of the pusher.
const (
	// firstRetry is the wait after a failed update; it doubles up to maxRetry.
	firstRetry = 1 * time.Second
	maxRetry   = 2 * time.Minute
	// defaultTimeout bounds one update exchange.
	defaultTimeout = 5 * time.Second
)

// ErrRefused is returned when the primary answers the update with an error
// rcode.
var ErrRefused = errors.New("update refused by the primary")

// Target is the primary to update.
type Target struct {
	Server  string // host:port
	Zone    string // FQDN of the zone holding the signal
	KeyName string // TSIG key name (FQDN); empty = unsigned
	Secret  string // base64 hmac-sha256 secret
	Timeout time.Duration
}

// Message builds the update replacing the TXT RRsets at name and
// "_trees."+name with rec.
func Message(zone, name string, ttl uint32, rec signal.Record) *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(zone))
	trees := "_trees." + dns.Fqdn(name)
	txt := func(owner, s string) dns.RR {
		return &dns.TXT{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: ttl}, Txt: []string{s}}
	}
	rm := func(owner string) dns.RR {
		return &dns.ANY{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeTXT, Class: dns.ClassANY}}
	}
	m.RemoveRRset([]dns.RR{rm(dns.Fqdn(name)), rm(trees)})
	m.Insert([]dns.RR{txt(dns.Fqdn(name), rec.String()), txt(trees, rec.Layout.String())})
	return m
}

// Send sends m to t, TSIG-signed when t has a key, and checks the rcode.
func Send(ctx context.Context, t Target, m *dns.Msg) error {
	c := &dns.Client{Net: "tcp", Timeout: t.Timeout}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if t.KeyName != "" {
		key := dns.Fqdn(t.KeyName)
		c.TsigSecret = map[string]string{key: t.Secret}
		m.SetTsig(key, dns.HmacSHA256, dnsparams.TSIGFudgeSeconds, time.Now().Unix())
	}
	r, _, err := c.ExchangeContext(ctx, m, t.Server)
	if err != nil {
		return fmt.Errorf("update %s at %s: %w", t.Zone, t.Server, err)
	}
	if r.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("%w: %s at %s answered %s", ErrRefused, t.Zone, t.Server, dns.RcodeToString[r.Rcode])
	}
	return nil
}

// Pusher keeps the primary's signal equal to the latest record: Set pushes
// at once, and a failed push is retried with backoff by Run until it
// succeeds or a newer record replaces it.
//
// With a Heartbeat, Run also re-pushes the record accepted last on every
// beat, its TTL alternating between the configured TTL and one second
// less. The primary sees the RRset change and re-signs it, so the signal's
// RRSIG inception keeps bounding the age of an answer (the contract agents
// check with max_signature_age), as signald's own heartbeat does when it
// serves the zone. A push of an unchanged RRset would not be re-signed.
type Pusher struct {
	target Target
	name   string
	ttl    uint32
	log    *slog.Logger
	// Heartbeat is the re-push interval; 0: none. Set it before Run.
	Heartbeat time.Duration

	mu       sync.Mutex
	pending  *signal.Record
	accepted *signal.Record // the record the primary took last
	beats    uint64         // heartbeats so far; odd: the TTL is one less
	wake     chan struct{}
}

// NewPusher returns a pusher of the signal at name.
func NewPusher(t Target, name string, ttl uint32, log *slog.Logger) *Pusher {
	return &Pusher{target: t, name: name, ttl: ttl, log: log.With("component", "rfc2136"), wake: make(chan struct{}, 1)}
}

// Set queues rec for pushing.
func (p *Pusher) Set(rec signal.Record) {
	p.mu.Lock()
	p.pending = &rec
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run pushes queued records until ctx is done.
func (p *Pusher) Run(ctx context.Context) error {
	retry := backoff.Policy{Initial: firstRetry, Max: maxRetry}
	var wait time.Duration // the last wait after a failure; 0: none
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var beat <-chan time.Time
	if p.Heartbeat > 0 {
		tick := time.NewTicker(p.Heartbeat)
		defer tick.Stop()
		beat = tick.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.wake:
			wait = 0
		case <-timer.C:
		case <-beat:
			p.beat()
		}
		if !p.pushPending(ctx) {
			wait = retry.Next(wait)
			timer.Reset(wait)
		}
	}
}

// beat queues the accepted record again with the other TTL, unless a
// newer record is pending anyway.
func (p *Pusher) beat() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending != nil || p.accepted == nil {
		return
	}
	p.beats++
	p.pending = p.accepted
}

// currentTTL is the TTL of the next push: one second less on odd beats.
func (p *Pusher) currentTTL() uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.beats%2 == 1 && p.ttl > 1 {
		return p.ttl - 1
	}
	return p.ttl
}

// pushPending pushes the pending record; it reports whether nothing is left.
func (p *Pusher) pushPending(ctx context.Context) bool {
	p.mu.Lock()
	rec := p.pending
	p.mu.Unlock()
	if rec == nil {
		return true
	}
	if err := Send(ctx, p.target, Message(p.target.Zone, p.name, p.currentTTL(), *rec)); err != nil {
		p.log.Error("dynamic update failed; will retry", "err", err, "record", rec.String())
		return false
	}
	p.mu.Lock()
	if p.pending == rec {
		p.pending = nil
	}
	p.accepted = rec
	p.mu.Unlock()
	p.log.Info("dynamic update accepted", "server", p.target.Server, "record", rec.String())
	return true
}
