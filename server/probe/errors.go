package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"syscall"
)

// Class is what a probe result means for the mirror's state.
type Class int

const (
	// OK: the file was fetched and holds a sane stamp.
	OK Class = iota
	// Unreachable: no server could be talked to — DNS failure, connection
	// refused or reset, no route, or a timeout before the TCP connection
	// was made.
	Unreachable
	// Error: something answered, but the answer is bad — an HTTP status
	// other than 200, a TLS failure, too many redirects, a body too big,
	// slow or garbled, a missing file, an unparsable TIME.
	Error
)

func (c Class) String() string {
	switch c {
	case OK:
		return "ok"
	case Unreachable:
		return "unreachable"
	case Error:
		return "error"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// The reasons a probe fails. A Result's Err wraps exactly one of them (and
// the underlying error, where there is one), for errors.Is.
var (
	// ErrUnreachable: the host could not be reached (Class Unreachable).
	ErrUnreachable = errors.New("unreachable")
	// ErrBadTime: the body is not a TIME file with a sane stamp.
	ErrBadTime = errors.New("bad TIME file")
	// ErrTooBig: the body is bigger than the cap.
	ErrTooBig = errors.New("too big")
	// ErrHTTPStatus: the HTTP status was not 200 OK.
	ErrHTTPStatus = errors.New("HTTP status")
	// ErrRedirects: more than MaxRedirects redirects (a loop, or too many).
	ErrRedirects = errors.New("redirect loop/too many redirects")
	// ErrTLS: the TLS handshake failed or the certificate did not verify.
	ErrTLS = errors.New("TLS")
	// ErrTimeout: the probe's time ran out after the TCP connection was
	// made (a silent server, a trickling body).
	ErrTimeout = errors.New("timeout after connecting")
	// ErrMissing: the file is not there (HTTP uses ErrHTTPStatus; this is
	// rsync's exit 23, or a path that is not a regular file).
	ErrMissing = errors.New("file missing")
	// ErrProtocol: the server answered with something that is not valid
	// HTTP or rsync (closed the connection early, malformed response,
	// rsync daemon @ERROR, other rsync exit codes).
	ErrProtocol = errors.New("bad response")
	// ErrBadURL: the URL is not one this package can probe.
	ErrBadURL = errors.New("bad probe URL")
	// ErrCanceled: the caller's context ended; the result means nothing.
	ErrCanceled = errors.New("probe canceled")
	// ErrRsync: the rsync binary could not be run (a local problem).
	ErrRsync = errors.New("cannot run rsync")
)

// sentinels are the reasons above; an error wrapping one is already
// explained.
var sentinels = []error{
	ErrUnreachable, ErrBadTime, ErrTooBig, ErrHTTPStatus, ErrRedirects, ErrTLS,
	ErrTimeout, ErrMissing, ErrProtocol, ErrBadURL, ErrCanceled, ErrRsync,
}

// classify maps a probe error to its Class. It is pure: only
// ErrUnreachable is Unreachable, every other error is Error.
func classify(err error) Class {
	switch {
	case err == nil:
		return OK
	case errors.Is(err, ErrUnreachable):
		return Unreachable
	}
	return Error
}

// explain wraps a transport error with the sentinel of its reason. connected
// tells whether the TCP connection had been made when it happened: a timeout
// before that is Unreachable, one after it ErrTimeout. It is pure.
func explain(err error, connected bool) error {
	if err == nil {
		return nil
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return err
		}
	}
	var reason error
	switch {
	case errors.Is(err, context.Canceled):
		reason = ErrCanceled
	case isTLS(err):
		reason = ErrTLS
	case isUnreachable(err):
		reason = ErrUnreachable
	case isTimeout(err) && connected:
		reason = ErrTimeout
	case isTimeout(err), isDial(err):
		reason = ErrUnreachable
	default:
		reason = ErrProtocol
	}
	return fmt.Errorf("%w: %w", reason, err)
}

func isTLS(err error) bool {
	var (
		unknownCA  x509.UnknownAuthorityError
		invalid    x509.CertificateInvalidError
		hostname   x509.HostnameError
		roots      x509.SystemRootsError
		constraint x509.ConstraintViolationError
		algorithm  x509.InsecureAlgorithmError
		verify     *tls.CertificateVerificationError
		record     tls.RecordHeaderError
		alert      tls.AlertError
		echReject  *tls.ECHRejectionError
	)
	return errors.As(err, &unknownCA) || errors.As(err, &invalid) ||
		errors.As(err, &hostname) || errors.As(err, &roots) ||
		errors.As(err, &constraint) || errors.As(err, &algorithm) ||
		errors.As(err, &verify) || errors.As(err, &record) ||
		errors.As(err, &alert) || errors.As(err, &echReject)
}

// unreachableErrnos are the socket errors that say no server could be
// talked to.
var unreachableErrnos = []syscall.Errno{
	syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED,
	syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EHOSTDOWN,
	syscall.ENETDOWN, syscall.EADDRNOTAVAIL, syscall.EAFNOSUPPORT,
}

func isUnreachable(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	for _, errno := range unreachableErrnos {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// isDial reports an error from dialling (such as no address of the wanted
// IP family).
func isDial(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
