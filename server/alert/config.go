package alert

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"time"
)

// Defaults for zero Config fields, and protocol durations.
const (
	// DefaultMinGap is the least time between two messages about one
	// mirror and tree, or one name server.
	DefaultMinGap = time.Hour

	// DefaultStaleAfter is how long a mirror must have been behind before
	// it is reported stale; shorter lags are normal propagation.
	DefaultStaleAfter = 2 * time.Hour

	// DefaultNameServerGrace is how long a name server may serve an old
	// serial before it is reported (zone transfers take seconds to minutes).
	DefaultNameServerGrace = 15 * time.Minute

	// DefaultQueueSize bounds each channel's queue of unsent messages.
	DefaultQueueSize = 256

	// DefaultWebhookTimeout bounds one POST, response included.
	DefaultWebhookTimeout = 10 * time.Second

	// DefaultSMTPTimeout bounds one SMTP conversation, dial to QUIT.
	DefaultSMTPTimeout = 30 * time.Second

	// DefaultMaxTries bounds the attempts per message and channel.
	DefaultMaxTries = 4

	// retryInitial and retryMax shape the waits between attempts: 5s,
	// 10s, 20s with the default tries.
	retryInitial = 5 * time.Second
	retryMax     = time.Minute

	// tickInterval is how often Run looks for stale mirrors, lagging name
	// servers and coalesced messages whose gap has passed.
	tickInterval = time.Minute

	// minSecret is the shortest webhook secret accepted, in bytes.
	minSecret = 16
)

// Config says when to notify and through which channels. The config
// package fills it; zero durations and counts take the defaults above. A
// nil channel is off.
type Config struct {
	MinGap          time.Duration
	StaleAfter      time.Duration
	NameServerGrace time.Duration
	QueueSize       int

	Webhook *WebhookConfig
	SMTP    *SMTPConfig
}

// WebhookConfig is a JSON POST to URL, signed with Secret.
type WebhookConfig struct {
	URL      string // http or https
	Secret   string // shared HMAC-SHA256 key, at least 16 bytes
	Timeout  time.Duration
	MaxTries int
}

// SMTPConfig is e-mail through a relay that must offer STARTTLS.
type SMTPConfig struct {
	Addr string   // host:port of the relay, e.g. "smtp.example.net:587"
	From string   // envelope and header sender, e.g. "mirrorsignal@example.net"
	To   []string // recipients

	// Username and Password, when set, authenticate with AUTH PLAIN, and
	// only ever after STARTTLS.
	Username, Password string

	// RootCAs verifies the relay's certificate; nil: the system roots.
	// (The config package may load it from a file.)
	RootCAs *x509.CertPool

	Hello    string // EHLO name; "": "localhost"
	Timeout  time.Duration
	MaxTries int
}

func (c Config) withDefaults() Config {
	c.MinGap = orDur(c.MinGap, DefaultMinGap)
	c.StaleAfter = orDur(c.StaleAfter, DefaultStaleAfter)
	c.NameServerGrace = orDur(c.NameServerGrace, DefaultNameServerGrace)
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if w := c.Webhook; w != nil {
		w2 := *w
		w2.Timeout = orDur(w2.Timeout, DefaultWebhookTimeout)
		w2.MaxTries = orInt(w2.MaxTries, DefaultMaxTries)
		c.Webhook = &w2
	}
	if s := c.SMTP; s != nil {
		s2 := *s
		s2.Timeout = orDur(s2.Timeout, DefaultSMTPTimeout)
		s2.MaxTries = orInt(s2.MaxTries, DefaultMaxTries)
		if s2.Hello == "" {
			s2.Hello = "localhost"
		}
		c.SMTP = &s2
	}
	return c
}

func orDur(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func orInt(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// Validate reports a Config that cannot work, naming the field.
func (c Config) Validate() error {
	var errs []error
	if w := c.Webhook; w != nil {
		errs = append(errs, w.validate())
	}
	if s := c.SMTP; s != nil {
		errs = append(errs, s.validate())
	}
	return errors.Join(errs...)
}

func (w *WebhookConfig) validate() error {
	var errs []error
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("Webhook.URL: %q is not an http or https URL", w.URL))
	}
	if len(w.Secret) < minSecret {
		errs = append(errs, fmt.Errorf("Webhook.Secret: shorter than %d bytes", minSecret))
	}
	return errors.Join(errs...)
}

func (s *SMTPConfig) validate() error {
	var errs []error
	if host, _, err := net.SplitHostPort(s.Addr); err != nil || host == "" {
		errs = append(errs, fmt.Errorf("SMTP.Addr: %q is not host:port", s.Addr))
	}
	if err := plainAddress(s.From); err != nil {
		errs = append(errs, fmt.Errorf("SMTP.From: %w", err))
	}
	if len(s.To) == 0 {
		errs = append(errs, errors.New("SMTP.To: no recipients"))
	}
	for i, to := range s.To {
		if err := plainAddress(to); err != nil {
			errs = append(errs, fmt.Errorf("SMTP.To[%d]: %w", i, err))
		}
	}
	if (s.Username == "") != (s.Password == "") {
		errs = append(errs, errors.New("SMTP.Username, SMTP.Password: set both or neither"))
	}
	if hasControl(s.Hello) {
		errs = append(errs, errors.New("SMTP.Hello: control characters"))
	}
	return errors.Join(errs...)
}

// plainAddress accepts a bare address ("a@example.net"), nothing around it,
// so that it can go into SMTP commands and headers as it is.
func plainAddress(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || hasControl(s) {
		return fmt.Errorf("%q is not a plain e-mail address", s)
	}
	return nil
}
