package alert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

// testMailer returns a mailer for the test server at addr.
func testMailer(t *testing.T, addr string, cfg SMTPConfig) *mailer {
	t.Helper()
	cfg.Addr = addr
	if cfg.From == "" {
		cfg.From = "alerts@example.net"
		cfg.To = []string{"ops@example.net", "oncall@example.org"}
	}
	c := Config{SMTP: &cfg}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	m := newMailer(*c.withDefaults().SMTP)
	m.now = func() time.Time { return t0 }
	return m
}

func staleMessage() message {
	return message{
		Kind: Stale, Mirror: "mirror3.example.net", Tree: "content", From: checker.Fresh, To: checker.Behind,
		At: t0.Add(-3*time.Hour - 12*time.Minute), Decided: t0, Lag: 40 * time.Minute,
		Behind: 3*time.Hour + 12*time.Minute, ID: "0123abcd",
	}
}

// parse reads a received message, checking that every line ends in CRLF.
func parse(t *testing.T, data string) (*netmail.Message, string) {
	t.Helper()
	if strings.Count(data, "\n") != strings.Count(data, "\r\n") || strings.Count(data, "\r") != strings.Count(data, "\r\n") {
		t.Errorf("bare CR or LF in the message:\n%q", data)
	}
	msg, err := netmail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return msg, string(body)
}

func TestSMTPSends(t *testing.T) {
	cert, pool := testCert(t)
	d := startSMTPD(t, &cert, true)
	m := testMailer(t, d.addr, SMTPConfig{RootCAs: pool, Username: "alice", Password: "s3cret"})
	if err := m.send(t.Context(), staleMessage()); err != nil {
		t.Fatal(err)
	}
	mails, clear, _ := d.got()
	if len(mails) != 1 || len(clear) != 0 {
		t.Fatalf("%d mails, commands in clear %v; want 1 mail, none in clear", len(mails), clear)
	}
	got := mails[0]
	if !got.tls || got.auth != "\x00alice\x00s3cret" || got.from != "alerts@example.net" ||
		strings.Join(got.to, ",") != "ops@example.net,oncall@example.org" {
		t.Errorf("envelope: tls %v auth %q from %q to %v", got.tls, got.auth, got.from, got.to)
	}
	msg, body := parse(t, got.data)
	h := msg.Header
	for k, want := range map[string]string{
		"Subject":    "[mirrorsignal] mirror3.example.net content: stale (behind 3h12m)",
		"From":       "<alerts@example.net>",
		"To":         "ops@example.net, oncall@example.org",
		"Message-Id": "<0123abcd@example.net>",
		"Date":       "Thu, 02 Jan 2025 03:00:00 +0000",
	} {
		if h.Get(k) != want {
			t.Errorf("%s: %q, want %q", k, h.Get(k), want)
		}
	}
	for _, want := range []string{
		"mirror3.example.net content: stale (behind 3h12m)\r\n\r\n",
		"mirror:     mirror3.example.net\r\n",
		"tree:       content\r\n",
		"state:      fresh -> behind\r\n",
		"lag:        40m (signal minus the mirror's TIME)\r\n",
		"since:      2025-01-01T23:48:00Z\r\n",
		"for:        3h12m\r\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

func TestSMTPRefusesWithoutStartTLS(t *testing.T) {
	d := startSMTPD(t, nil, true)
	m := testMailer(t, d.addr, SMTPConfig{Username: "alice", Password: "s3cret"})
	err := m.send(t.Context(), staleMessage())
	if !errors.Is(err, ErrNoStartTLS) || !isPermanent(err) {
		t.Errorf("send: %v, want permanent ErrNoStartTLS", err)
	}
	mails, clear, conns := d.got()
	if len(mails) != 0 || len(clear) != 0 || conns != 1 {
		t.Errorf("%d mails, commands in clear %v, %d connections; want nothing sent on 1 connection", len(mails), clear, conns)
	}
}

func TestSMTPRefusesUntrustedCertificate(t *testing.T) {
	cert, _ := testCert(t)
	_, otherPool := testCert(t)
	d := startSMTPD(t, &cert, true)
	m := testMailer(t, d.addr, SMTPConfig{RootCAs: otherPool, Username: "alice", Password: "s3cret"})
	err := m.send(t.Context(), staleMessage())
	if err == nil || !isPermanent(err) {
		t.Errorf("send: %v, want a permanent certificate error", err)
	}
	if mails, clear, _ := d.got(); len(mails) != 0 || len(clear) != 0 {
		t.Errorf("%d mails, commands in clear %v; want none", len(mails), clear)
	}
}

// TestSMTPInjection: CR, LF and control characters from a mirror's error
// (or a name) cannot add headers, end the DATA early or split lines.
func TestSMTPInjection(t *testing.T) {
	cert, pool := testCert(t)
	d := startSMTPD(t, &cert, false)
	m := testMailer(t, d.addr, SMTPConfig{RootCAs: pool})
	msg := staleMessage()
	msg.Kind, msg.To = Unreachable, checker.Unreachable
	msg.Mirror = "evil.example.net\r\nBcc: victim@example.com"
	msg.Err = "refused\r\n.\r\nMAIL FROM:<x@evil>\r\nSubject: pwned\x00\x1b[31m\u2028end"
	if err := m.send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	mails, _, _ := d.got()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	parsed, body := parse(t, mails[0].data)
	if len(parsed.Header) != 9 || parsed.Header.Get("Bcc") != "" {
		t.Errorf("headers %v, want the 9 written ones", parsed.Header)
	}
	wantSubject := "[mirrorsignal] evil.example.net  Bcc: victim@example.com content: unreachable"
	if s := parsed.Header.Get("Subject"); s != wantSubject {
		t.Errorf("Subject %q, want %q", s, wantSubject)
	}
	wantErr := "error:      refused  .  MAIL FROM:<x@evil>  Subject: pwned  [31m end\r\n"
	if !strings.Contains(body, wantErr) {
		t.Errorf("body lacks %q:\n%q", wantErr, body)
	}
}

// TestSMTPOneMessagePerTransition runs a Notifier with the SMTP channel.
func TestSMTPOneMessagePerTransition(t *testing.T) {
	cert, pool := testCert(t)
	d := startSMTPD(t, &cert, false)
	n, err := New(Config{SMTP: &SMTPConfig{
		Addr: d.addr, From: "alerts@example.net", To: []string{"ops@example.net"}, RootCAs: pool,
	}}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	n.Notify(ctx, []checker.Transition{
		{Mirror: "a.example.net", Tree: "content", From: checker.Fresh, To: checker.Unreachable, At: time.Now(), Err: "timeout"},
		{Mirror: "b.example.net", Tree: "content", From: checker.Fresh, To: checker.Error, At: time.Now(), Err: "HTTP 500"},
		{Mirror: "c.example.net", Tree: "content", From: checker.Unknown, To: checker.Fresh, At: time.Now()},
	})
	waitFor(t, func() bool { m, _, _ := d.got(); return len(m) >= 2 })
	time.Sleep(100 * time.Millisecond) // room for a wrong third message
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mails, _, _ := d.got()
	var subjects []string
	for _, m := range mails {
		msg, _ := parse(t, m.data)
		subjects = append(subjects, msg.Header.Get("Subject"))
	}
	want := "[[mirrorsignal] a.example.net content: unreachable [mirrorsignal] b.example.net content: error]"
	if got := fmt.Sprint(subjects); got != want {
		t.Errorf("subjects %s, want %s", got, want)
	}
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 400 {
		if cond() {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("condition not met within 10s")
}
