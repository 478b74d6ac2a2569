package alert

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                            "0s",
		45 * time.Second:             "45s",
		90 * time.Second:             "2m",
		2 * time.Hour:                "2h",
		3*time.Hour + 12*time.Minute: "3h12m",
		3*time.Hour + 11*time.Minute + 31*time.Second: "3h12m",
		50 * time.Hour: "50h",
	} {
		if got := duration(d); got != want {
			t.Errorf("duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTitle(t *testing.T) {
	mirror := func(k Kind, from, to checker.State) message {
		return message{Kind: k, Mirror: "m1.example.net", Tree: "content", From: from, To: to, Behind: 2*time.Hour + 5*time.Minute}
	}
	tests := []struct {
		name string
		m    message
		want string
	}{
		{"stale", mirror(Stale, F, B), "m1.example.net content: stale (behind 2h5m)"},
		{"stale inconsistent", mirror(Stale, F, I), "m1.example.net content: stale (inconsistent 2h5m)"},
		{"unreachable", mirror(Unreachable, F, U), "m1.example.net content: unreachable"},
		{"error", mirror(Failing, F, E), "m1.example.net content: error"},
		{"back", mirror(Back, U, F), "m1.example.net content: back (fresh)"},
		{"coalesced", func() message { m := mirror(Back, U, F); m.Suppressed = 4; return m }(),
			"m1.example.net content: back (fresh) (after 4 suppressed)"},
		{"name server", message{Kind: NameServerLags, Server: "ns2", Serial: 5, Want: 6, Behind: 20 * time.Minute},
			"name server ns2: stale serial 5 (want 6, for 20m)"},
		{"name server back", message{Kind: NameServerOK, Server: "ns2", Want: 6}, "name server ns2: back (serial 6)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.title(); got != tt.want {
				t.Errorf("title %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"mirror.example.net", 100, "mirror.example.net"},
		{"a\r\nBcc: x", 100, "a  Bcc: x"},
		{"tab\there\x00\x7f\x1b", 100, "tab here"},
		{"bidi\u202eevil\u2066", 100, "bidi evil"},
		{"line\u2028sep", 100, "line sep"},
		{"bad\xffutf8", 100, "bad\ufffdutf8"},
		{"  trimmed \n", 100, "trimmed"},
		{"abcdefghij", 5, "abcd…"},
		{"ééééééé", 3, "éé…"},
	}
	for _, tt := range tests {
		if got := clean(tt.in, tt.max); got != tt.want {
			t.Errorf("clean(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

// FuzzClean: whatever a mirror sends, the result is valid UTF-8 without
// control characters and within the bound.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "a\r\nb", "\xff\xfe", "\u202e", strings.Repeat("x", 500)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := clean(s, maxErr)
		if hasControl(got) || utf8.RuneCountInString(got) > maxErr {
			t.Errorf("clean(%q) = %q", s, got)
		}
	})
}

// TestComposeHeaders: the e-mail has exactly the expected headers, CRLF
// everywhere, and a Q-encoded subject when a name is not ASCII.
func TestComposeHeaders(t *testing.T) {
	m := &mailer{cfg: SMTPConfig{From: "a@example.net", To: []string{"b@example.net"}}}
	msg := staleMessage()
	msg.Mirror = "miroir.exemple.fr\u00e9"
	data := string(m.compose(msg.cleaned(), t0))
	head, _, ok := strings.Cut(data, "\r\n\r\n")
	if !ok {
		t.Fatal("no blank line after the headers")
	}
	lines := strings.Split(head, "\r\n")
	var names []string
	for _, l := range lines {
		k, _, _ := strings.Cut(l, ":")
		names = append(names, k)
	}
	if got := strings.Join(names, ","); got != "From,To,Subject,Date,Message-ID,MIME-Version,Content-Type,Content-Transfer-Encoding,Auto-Submitted" {
		t.Errorf("headers %s", got)
	}
	if !strings.Contains(head, "Subject: =?utf-8?q?") {
		t.Errorf("subject not Q-encoded:\n%s", head)
	}
	parsed, _ := parse(t, data)
	if s := parsed.Header.Get("Subject"); !strings.HasPrefix(s, "=?utf-8?q?") {
		t.Errorf("Subject %q", s)
	}
}

func TestConfigValidate(t *testing.T) {
	good := func() Config {
		return Config{
			Webhook: &WebhookConfig{URL: "https://hooks.example.net/x", Secret: testSecret},
			SMTP:    &SMTPConfig{Addr: "smtp.example.net:587", From: "a@example.net", To: []string{"b@example.net"}},
		}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"webhook scheme", func(c *Config) { c.Webhook.URL = "ftp://x/y" }, "Webhook.URL"},
		{"webhook secret", func(c *Config) { c.Webhook.Secret = "short" }, "Webhook.Secret"},
		{"smtp addr", func(c *Config) { c.SMTP.Addr = "smtp.example.net" }, "SMTP.Addr"},
		{"smtp from", func(c *Config) { c.SMTP.From = "Alerts <a@example.net>" }, "SMTP.From"},
		{"smtp from injection", func(c *Config) { c.SMTP.From = "a@example.net\r\nBcc: x@example.net" }, "SMTP.From"},
		{"smtp no rcpt", func(c *Config) { c.SMTP.To = nil }, "SMTP.To"},
		{"smtp bad rcpt", func(c *Config) { c.SMTP.To = []string{"b@example.net", "nope"} }, "SMTP.To[1]"},
		{"smtp half auth", func(c *Config) { c.SMTP.Username = "u" }, "SMTP.Username"},
		{"smtp hello", func(c *Config) { c.SMTP.Hello = "x\r\nMAIL" }, "SMTP.Hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.change(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate: %v, want an error naming %s", err, tt.want)
			}
		})
	}
}
