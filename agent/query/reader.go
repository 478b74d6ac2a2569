package query

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/miekg/dns"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// DNSSEC modes, as in agent.toml.
const (
	ModeOff        = "off"
	ModeResolverAD = "resolver-ad"
	ModePinned     = "pinned"
)

// Options configure a Reader.
type Options struct {
	Client          *Client
	Name            string        // the signal name, fully qualified
	Layout          signal.Layout // expected layout
	Mode            string        // ModeOff, ModeResolverAD or ModePinned
	RequireDNSSEC   bool          // refuse answers that are not authenticated
	Trusted         []string      // resolver-ad: servers whose AD bit counts
	Pins            *Pins         // pinned: trust anchors
	MaxSignatureAge time.Duration // refuse an RRSIG inception older than this
	MaxSkew         time.Duration // refuse stamps further in the future
	Now             func() time.Time
}

// Reader reads and validates the signal.
type Reader struct {
	o      Options
	pinned *pinnedValidator
}

// Signal is a validated signal record.
type Signal struct {
	Record   signal.Record
	Text     string // the TXT string as served
	Server   string // who answered
	Security Security
}

// NewReader returns a Reader. In mode pinned, Pins must be set.
func NewReader(o Options) *Reader {
	r := &Reader{o: o}
	o.Client.DO = o.Mode != ModeOff
	if o.Mode == ModePinned {
		r.pinned = &pinnedValidator{pins: o.Pins, client: o.Client}
	}
	return r
}

// Read asks for the signal and returns it once it parses strictly, passes
// DNSSEC as configured and has no stamp beyond the skew.
func (r *Reader) Read(ctx context.Context) (Signal, error) {
	resp, err := r.o.Client.Exchange(ctx, r.o.Name, dns.TypeTXT)
	if err != nil {
		return Signal{}, err
	}
	now := r.o.Now()
	rec, ans, err := ParseSignal(resp.Msg, r.o.Name, r.o.Layout)
	if err != nil {
		return Signal{}, fmt.Errorf("from %s: %w", resp.Server, err)
	}
	sec, err := r.secure(ctx, resp, ans, now, r.o.MaxSignatureAge)
	if err != nil {
		return Signal{}, fmt.Errorf("%s TXT from %s: %w", r.o.Name, resp.Server, err)
	}
	if err := rec.CheckFuture(now, r.o.MaxSkew); err != nil {
		return Signal{}, fmt.Errorf("%w: %w", ErrFuture, err)
	}
	return Signal{Record: rec, Text: ans.Text, Server: resp.Server, Security: sec}, nil
}

// LayoutName is where the layout of name is published.
func LayoutName(name string) string { return "_trees." + dns.Fqdn(name) }

// CheckLayout reads `_trees.<name>` and compares it with the configured
// layout. A mismatch is ErrLayoutMismatch. The answer is validated like the
// signal (signature, validity period, key chain) but without the bound on
// the age of its RRSIG inception: signald re-signs only the signal on its
// heartbeat, and `_trees` keeps one signature for days. Replaying an old
// layout gains nothing; replaying an old signal would freeze the mirror.
func (r *Reader) CheckLayout(ctx context.Context) error {
	name := LayoutName(r.o.Name)
	resp, err := r.o.Client.Exchange(ctx, name, dns.TypeTXT)
	if err != nil {
		return err
	}
	got, ans, err := ParseLayoutAnswer(resp.Msg, name)
	if err != nil {
		return fmt.Errorf("from %s: %w", resp.Server, err)
	}
	if _, err := r.secure(ctx, resp, ans, r.o.Now(), noAgeBound); err != nil {
		return fmt.Errorf("%s TXT from %s: %w", name, resp.Server, err)
	}
	if !got.Equal(r.o.Layout) {
		return fmt.Errorf("%w: server publishes %q, signal.layout is %q", ErrLayoutMismatch, got, r.o.Layout)
	}
	return nil
}

// noAgeBound is the maxAge of records whose age says nothing (`_trees`).
const noAgeBound time.Duration = 0

// secure applies the DNSSEC mode, refusing an RRSIG inception older than
// maxAge (0: no bound). An unauthenticated answer is an error only with
// RequireDNSSEC; a bogus one always is.
func (r *Reader) secure(ctx context.Context, resp *Response, ans TXTAnswer, now time.Time, maxAge time.Duration) (Security, error) {
	var sec Security
	var err error
	switch r.o.Mode {
	case ModePinned:
		sec, err = r.pinned.validate(ctx, ans, now, maxAge)
	case ModeResolverAD:
		sec, err = r.resolverAD(resp, ans, now, maxAge)
	default:
		sec = Security{How: "dnssec off"}
	}
	if err != nil {
		return Security{}, err
	}
	if !sec.Secure && r.o.RequireDNSSEC {
		return Security{}, fmt.Errorf("%w (%s) and require_dnssec is set", ErrInsecure, sec.How)
	}
	return sec, nil
}

// resolverAD believes the AD bit of a trusted resolver, and still refuses
// an answer whose oldest TXT RRSIG inception is older than maxAge (when the
// resolver passes the RRSIGs along).
func (r *Reader) resolverAD(resp *Response, ans TXTAnswer, now time.Time, maxAge time.Duration) (Security, error) {
	if !slices.Contains(r.o.Trusted, resp.Server) {
		return Security{How: "answer from " + resp.Server + ", not a trusted resolver"}, nil
	}
	if !resp.Msg.AuthenticatedData {
		return Security{How: "trusted resolver did not set AD"}, nil
	}
	sec := Security{Secure: true, How: "AD from trusted resolver " + resp.Server}
	if inc, ok := oldestInception(ans.Sigs, now); ok {
		if err := checkAge(inc, now, maxAge); err != nil {
			return Security{}, fmt.Errorf("%w: %w", ErrBogus, err)
		}
		sec.Inception = inc
	}
	return sec, nil
}
