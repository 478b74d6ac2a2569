package alert

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// testCert returns a self-signed certificate for 127.0.0.1 and a pool
// that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtp test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// received is what the test SMTP server received in one transaction.
type received struct {
	from string
	to   []string
	data string // after dot-unstuffing, lines still CRLF
	tls  bool   // DATA arrived over TLS
	auth string // the decoded AUTH PLAIN response; "" none
}

// smtpd is a small SMTP server on 127.0.0.1: EHLO, STARTTLS (when it
// has a certificate), AUTH PLAIN (after STARTTLS, when asked to offer
// it), MAIL, RCPT, DATA, RSET, NOOP, QUIT. Each connection is bounded in
// time and in commands.
type smtpd struct {
	addr string
	tls  *tls.Config // nil: no STARTTLS
	auth bool

	mu       sync.Mutex
	mails    []received
	clearCmd []string // MAIL, RCPT, DATA or AUTH seen without TLS
	conns    int
}

func startSMTPD(t *testing.T, cert *tls.Certificate, auth bool) *smtpd {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &smtpd{addr: ln.Addr().String(), auth: auth}
	if cert != nil {
		d.tls = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for range 100 {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { d.serve(c) })
		}
	})
	return d
}

func (d *smtpd) got() ([]received, []string, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]received(nil), d.mails...), append([]string(nil), d.clearCmd...), d.conns
}

// session is the state of one connection.
type session struct {
	conn  net.Conn
	r     *bufio.Reader
	inTLS bool
	cur   received
}

func (d *smtpd) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	d.mu.Lock()
	d.conns++
	d.mu.Unlock()
	s := &session{conn: c, r: bufio.NewReader(c)}
	s.reply("220 smtpd.test ESMTP")
	for range 50 {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return
		}
		if !d.command(s, strings.TrimRight(line, "\r\n")) {
			return
		}
	}
}

func (s *session) reply(lines ...string) {
	s.conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
}

// command answers one command line; false ends the session.
func (d *smtpd) command(s *session, line string) bool {
	verb, arg, _ := strings.Cut(line, " ")
	verb = strings.ToUpper(verb)
	switch verb {
	case "MAIL", "RCPT", "DATA", "AUTH":
		if !s.inTLS {
			d.mu.Lock()
			d.clearCmd = append(d.clearCmd, verb)
			d.mu.Unlock()
		}
	}
	switch verb {
	case "EHLO", "HELO":
		ext := []string{"250-smtpd.test"}
		if d.tls != nil && !s.inTLS {
			ext = append(ext, "250-STARTTLS")
		}
		if d.auth && s.inTLS {
			ext = append(ext, "250-AUTH PLAIN")
		}
		s.reply(append(ext, "250 8BITMIME")...)
	case "STARTTLS":
		if d.tls == nil || s.inTLS {
			s.reply("502 no")
			return true
		}
		s.reply("220 go ahead")
		tc := tls.Server(s.conn, d.tls)
		if tc.Handshake() != nil {
			return false
		}
		s.conn, s.r, s.inTLS = tc, bufio.NewReader(tc), true
	case "AUTH":
		mech, resp, _ := strings.Cut(arg, " ")
		b, err := base64.StdEncoding.DecodeString(resp)
		if mech != "PLAIN" || err != nil {
			s.reply("535 bad")
			return true
		}
		s.cur.auth = string(b)
		s.reply("235 ok")
	case "MAIL":
		s.cur.from = path(arg, "FROM:")
		s.reply("250 ok")
	case "RCPT":
		s.cur.to = append(s.cur.to, path(arg, "TO:"))
		s.reply("250 ok")
	case "DATA":
		s.reply("354 go on")
		data, ok := readData(s.r)
		if !ok {
			return false
		}
		s.cur.data, s.cur.tls = data, s.inTLS
		d.mu.Lock()
		d.mails = append(d.mails, s.cur)
		d.mu.Unlock()
		s.cur = received{auth: s.cur.auth}
		s.reply("250 queued")
	case "RSET", "NOOP":
		s.reply("250 ok")
	case "QUIT":
		s.reply("221 bye")
		return false
	default:
		s.reply("502 unknown")
	}
	return true
}

// readData reads a DATA body up to the lone dot, undoing dot-stuffing;
// it keeps CRLF and reads at most 10000 lines.
func readData(r *bufio.Reader) (string, bool) {
	var b strings.Builder
	for range 10000 {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", false
		}
		if line == ".\r\n" {
			return b.String(), true
		}
		b.WriteString(strings.TrimPrefix(line, "."))
	}
	return "", false
}

// path returns the address in "FROM:<a@b> BODY=8BITMIME".
func path(arg, prefix string) string {
	a, _, _ := strings.Cut(strings.TrimPrefix(arg, prefix), " ")
	return strings.Trim(a, "<>")
}
