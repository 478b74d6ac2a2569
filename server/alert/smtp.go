package alert

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// ErrNoStartTLS is returned when the relay does not offer STARTTLS:
// nothing is sent in clear text.
var ErrNoStartTLS = errors.New("smtp: the server does not offer STARTTLS")

// mailer sends each message as a plain-text e-mail through a relay,
// always over STARTTLS with the certificate verified.
type mailer struct {
	cfg  SMTPConfig
	host string // the relay's host name, for TLS and AUTH
	now  func() time.Time
}

func newMailer(c SMTPConfig) *mailer {
	host, _, _ := net.SplitHostPort(c.Addr)
	return &mailer{cfg: c, host: host, now: time.Now}
}

func (s *mailer) name() string { return "smtp" }

func (s *mailer) send(ctx context.Context, m message) error {
	msg := s.compose(m.cleaned(), s.now())
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return smtpError("greeting", err)
	}
	return s.converse(c, msg)
}

// converse runs the SMTP dialogue after the greeting: EHLO, STARTTLS
// (required), AUTH PLAIN (optional, after STARTTLS only), MAIL, RCPT,
// DATA. The Data writer dot-stuffs and ends lines in CRLF.
func (s *mailer) converse(c *smtp.Client, msg []byte) error {
	if err := c.Hello(s.cfg.Hello); err != nil {
		return smtpError("EHLO", err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return permanent(ErrNoStartTLS)
	}
	tc := &tls.Config{ServerName: s.host, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12}
	if err := c.StartTLS(tc); err != nil {
		var cv *tls.CertificateVerificationError
		if errors.As(err, &cv) {
			return permanent(fmt.Errorf("smtp: STARTTLS: %w", err))
		}
		return smtpError("STARTTLS", err)
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return permanent(errors.New("smtp: the server does not offer AUTH"))
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.host)); err != nil {
			return smtpError("AUTH", err)
		}
	}
	if err := c.Mail(s.cfg.From); err != nil {
		return smtpError("MAIL", err)
	}
	for _, to := range s.cfg.To {
		if err := c.Rcpt(to); err != nil {
			return smtpError("RCPT", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return smtpError("DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("DATA", err)
	}
	c.Quit() // the message is accepted; a failing QUIT must not resend it
	return nil
}

// smtpError wraps err with the step that failed; a 5xx reply is permanent.
func smtpError(step string, err error) error {
	err = fmt.Errorf("smtp: %s: %w", step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return permanent(err)
	}
	return err
}

// compose renders a cleaned message as an RFC 5322 e-mail: headers,
// a blank line, and the quoted-printable text body, lines ending in CRLF.
func (s *mailer) compose(m message, date time.Time) []byte {
	id := m.ID
	if id == "" {
		id = newID()
	}
	domain := s.cfg.From[strings.LastIndexByte(s.cfg.From, '@')+1:]
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", "<"+s.cfg.From+">")
	header("To", strings.Join(s.cfg.To, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", subjectPrefix+m.title()))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", "<"+id+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(m.text()))
	qp.Close()
	return b.Bytes()
}
