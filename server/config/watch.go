package config

import (
	"fmt"
	"net"
	"net/url"
	"time"
)

// Checker configures the mirror checker. It runs when enabled and
// publish.mirrors_file names the mirror list.
type Checker struct {
	Enabled bool `toml:"enabled"`
	// Interval is the base round: every mirror is probed once per
	// interval, spread evenly.
	Interval Duration `toml:"interval"`
	// After a publish the mirrors carrying the tree are re-checked every
	// FastInterval for FastWindow, until they are fresh.
	FastInterval Duration `toml:"fast_interval"`
	FastWindow   Duration `toml:"fast_window"`
	// Hysteresis is how many results in a row change a mirror's state.
	Hysteresis  int      `toml:"hysteresis"`
	Concurrency int      `toml:"concurrency"` // probes at once
	PerHost     int      `toml:"per_host"`    // probes at once per mirror host
	Timeout     Duration `toml:"timeout"`     // one probe
	// History retention: every probe for Full, then one per hour until
	// Hourly, one per day until Daily.
	KeepFull   Duration `toml:"keep_full"`
	KeepHourly Duration `toml:"keep_hourly"`
	KeepDaily  Duration `toml:"keep_daily"`
}

// NSCheck configures the name server consistency watch (serve mode).
type NSCheck struct {
	Enabled  bool     `toml:"enabled"`
	Interval Duration `toml:"interval"`
	// Grace is how long a server may lag signald's serial before it is
	// flagged.
	Grace   Duration `toml:"grace"`
	Timeout Duration `toml:"timeout"`
	// ExtraServers are host:port of servers that are neither in the NS
	// set nor [[notify]] secondaries.
	ExtraServers []string `toml:"extra_servers"`
}

// Alert configures notifications of mirror and name server trouble.
type Alert struct {
	MinGap          Duration     `toml:"min_gap"`          // between two messages about one mirror and tree
	StaleAfter      Duration     `toml:"stale_after"`      // behind this long is "stale"
	NameServerGrace Duration     `toml:"nameserver_grace"` // a lagging name server this long is reported
	Webhook         AlertWebhook `toml:"webhook"`
	SMTP            AlertSMTP    `toml:"smtp"`
}

// AlertWebhook is a JSON POST signed with HMAC-SHA256; off without URL.
type AlertWebhook struct {
	URL        string   `toml:"url"`
	SecretFile string   `toml:"secret_file"` // relative to state_dir
	Timeout    Duration `toml:"timeout"`
}

// AlertSMTP is e-mail through a relay with STARTTLS; off without Addr.
type AlertSMTP struct {
	Addr         string   `toml:"addr"` // host:port
	From         string   `toml:"from"`
	To           []string `toml:"to"`
	Username     string   `toml:"username"`
	PasswordFile string   `toml:"password_file"` // relative to state_dir
	CAFile       string   `toml:"ca_file"`       // PEM roots for the relay; empty: the system's
	Timeout      Duration `toml:"timeout"`
}

// DefaultChecker is a 15-minute round, 30-second re-checks for an hour
// after a publish, and the history kept 48 h / 30 days / a year.
func DefaultChecker() Checker {
	return Checker{Enabled: true, Interval: dur(15 * time.Minute), FastInterval: dur(30 * time.Second), FastWindow: dur(time.Hour),
		Hysteresis: 2, Concurrency: 64, PerHost: 2, Timeout: dur(10 * time.Second),
		KeepFull: dur(48 * time.Hour), KeepHourly: dur(30 * 24 * time.Hour), KeepDaily: dur(365 * 24 * time.Hour)}
}

// DefaultNSCheck asks every name server once a minute, with 5 min grace.
func DefaultNSCheck() NSCheck {
	return NSCheck{Enabled: true, Interval: dur(time.Minute), Grace: dur(5 * time.Minute), Timeout: dur(2 * time.Second)}
}

// DefaultAlert has no channel.
func DefaultAlert() Alert {
	return Alert{MinGap: dur(time.Hour), StaleAfter: dur(2 * time.Hour), NameServerGrace: dur(15 * time.Minute)}
}

func (c *Config) validateWatch() error {
	var p problems
	k := c.Checker
	between := func(key string, d Duration, lo, hi time.Duration) {
		if d.Duration < lo || d.Duration > hi {
			p.add(key, "%s must be between %s and %s", d, lo, hi)
		}
	}
	between("checker.interval", k.Interval, time.Second, 24*time.Hour)
	between("checker.fast_interval", k.FastInterval, time.Second, k.Interval.Duration)
	between("checker.fast_window", k.FastWindow, 0, 7*24*time.Hour)
	between("checker.timeout", k.Timeout, 100*time.Millisecond, 5*time.Minute)
	between("checker.keep_full", k.KeepFull, time.Hour, 365*24*time.Hour)
	between("checker.keep_hourly", k.KeepHourly, k.KeepFull.Duration, 10*365*24*time.Hour)
	between("checker.keep_daily", k.KeepDaily, k.KeepHourly.Duration, 20*365*24*time.Hour)
	for key, v := range map[string]struct{ n, lo, hi int }{
		"checker.hysteresis": {k.Hysteresis, 1, 100}, "checker.concurrency": {k.Concurrency, 1, 10000}, "checker.per_host": {k.PerHost, 1, 64},
	} {
		if v.n < v.lo || v.n > v.hi {
			p.add(key, "%d must be between %d and %d", v.n, v.lo, v.hi)
		}
	}
	n := c.NSCheck
	between("nscheck.interval", n.Interval, time.Second, 24*time.Hour)
	between("nscheck.grace", n.Grace, 0, 7*24*time.Hour)
	between("nscheck.timeout", n.Timeout, 100*time.Millisecond, time.Minute)
	for i, s := range n.ExtraServers {
		if _, _, err := net.SplitHostPort(s); err != nil {
			p.add(fmt.Sprintf("nscheck.extra_servers[%d]", i), "%q is not host:port", s)
		}
	}
	c.validateAlert(&p)
	return p.err()
}

func (c *Config) validateAlert(p *problems) {
	a := c.Alert
	if w := a.Webhook; w.URL != "" {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("alert.webhook.url", "%q is not an http or https URL", w.URL)
		}
		if w.SecretFile == "" {
			p.add("alert.webhook.secret_file", "a file with the HMAC secret is required")
		}
	}
	if s := a.SMTP; s.Addr != "" {
		if _, _, err := net.SplitHostPort(s.Addr); err != nil {
			p.add("alert.smtp.addr", "%q is not host:port", s.Addr)
		}
		if s.From == "" {
			p.add("alert.smtp.from", "must not be empty")
		}
		if len(s.To) == 0 {
			p.add("alert.smtp.to", "at least one recipient is required")
		}
		if s.Username != "" && s.PasswordFile == "" {
			p.add("alert.smtp.password_file", "required with username")
		}
	}
}
