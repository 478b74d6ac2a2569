package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
)

func TestExplainAndClassify(t *testing.T) {
	dial := func(err error) error {
		return &url.Error{Op: "Get", URL: "http://m/TIME", Err: &net.OpError{Op: "dial", Net: "tcp", Err: err}}
	}
	read := func(err error) error {
		return &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: err}}
	}
	tests := []struct {
		name      string
		err       error
		connected bool
		want      error // the reason wrapped
		class     Class
	}{
		{"nil", nil, false, nil, OK},
		{"refused", dial(&os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}), false, ErrUnreachable, Unreachable},
		{"reset while reading", read(syscall.ECONNRESET), true, ErrUnreachable, Unreachable},
		{"no route", dial(syscall.EHOSTUNREACH), false, ErrUnreachable, Unreachable},
		{"network unreachable", dial(syscall.ENETUNREACH), false, ErrUnreachable, Unreachable},
		{"dns", dial(&net.DNSError{Err: "no such host", Name: "m.invalid", IsNotFound: true}), false, ErrUnreachable, Unreachable},
		{"dns timeout", dial(&net.DNSError{Err: "timeout", Name: "m", IsTimeout: true}), true, ErrUnreachable, Unreachable},
		{"no address of the family", dial(&net.AddrError{Err: "no suitable address found", Addr: "::1"}), false, ErrUnreachable, Unreachable},
		{"timeout connecting", dial(context.DeadlineExceeded), false, ErrUnreachable, Unreachable},
		{"timeout after connecting", &url.Error{Op: "Get", URL: "u", Err: context.DeadlineExceeded}, true, ErrTimeout, Error},
		{"probe deadline reading body", errProbeTimeout, true, ErrTimeout, Error},
		{"i/o timeout reading", read(os.ErrDeadlineExceeded), true, ErrTimeout, Error},
		{"canceled", &url.Error{Op: "Get", URL: "u", Err: context.Canceled}, true, ErrCanceled, Error},
		{"unknown CA", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, true, ErrTLS, Error},
		{"bare unknown CA", x509.UnknownAuthorityError{}, true, ErrTLS, Error},
		{"hostname", x509.HostnameError{Certificate: &x509.Certificate{}, Host: "m"}, true, ErrTLS, Error},
		{"expired", x509.CertificateInvalidError{Cert: &x509.Certificate{}, Reason: x509.Expired}, true, ErrTLS, Error},
		{"alert", tls.AlertError(40), true, ErrTLS, Error},
		{"not TLS", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, true, ErrTLS, Error},
		{"early EOF", &url.Error{Op: "Get", URL: "u", Err: io.EOF}, true, ErrProtocol, Error},
		{"malformed", errors.New(`malformed HTTP response "\x00"`), true, ErrProtocol, Error},
		{"already explained", fmt.Errorf("Get: %w", fmt.Errorf("%w: more than 3", ErrRedirects)), true, ErrRedirects, Error},
		{"too big", fmt.Errorf("%w: x", ErrTooBig), true, ErrTooBig, Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := explain(tt.err, tt.connected)
			if tt.want == nil {
				if got != nil {
					t.Fatalf("explain(nil) = %v", got)
				}
			} else {
				if !errors.Is(got, tt.want) {
					t.Errorf("explain = %v, want it to wrap %v", got, tt.want)
				}
				if !errors.Is(got, tt.err) {
					t.Errorf("explain = %v lost the original error", got)
				}
				n := 0
				for _, s := range sentinels {
					if errors.Is(got, s) {
						n++
					}
				}
				if n != 1 {
					t.Errorf("explain = %v wraps %d reasons, want 1", got, n)
				}
			}
			if c := classify(got); c != tt.class {
				t.Errorf("classify = %v, want %v", c, tt.class)
			}
		})
	}
}

func TestClassString(t *testing.T) {
	for c, want := range map[Class]string{OK: "ok", Unreachable: "unreachable", Error: "error", 9: "Class(9)"} {
		if c.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(c), c.String(), want)
		}
	}
	for f, want := range map[Family]string{Any: "any", IPv4: "ipv4", IPv6: "ipv6", 7: "Family(7)"} {
		if f.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(f), f.String(), want)
		}
	}
}
