package httpserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Limits bound what one client can hold: a slow client is cut off by the
// timeouts, and no request body is read beyond MaxBody.
type Limits struct {
	ReadHeader, Read, Write, Idle time.Duration
	MaxHeaderBytes                int
	MaxBody                       int64
}

// DefaultLimits are the listeners' limits. Routes that take a body cap
// it lower themselves; MaxBody is the backstop for all of them.
var DefaultLimits = Limits{ReadHeader: 5 * time.Second, Read: 10 * time.Second, Write: 30 * time.Second,
	Idle: 60 * time.Second, MaxHeaderBytes: 16 << 10, MaxBody: 1 << 20}

const shutdownTimeout = 5 * time.Second

// Serve serves h on ln with DefaultLimits until ctx is done, then shuts
// down within a bound.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	return ServeLimited(ctx, ln, h, DefaultLimits)
}

// ServeLimited is Serve with other limits.
func ServeLimited(ctx context.Context, ln net.Listener, h http.Handler, l Limits) error {
	srv := &http.Server{
		Handler:           http.MaxBytesHandler(h, l.MaxBody),
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		Protocols:         protocols(),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	return nil
}

// protocols are what the listeners speak: HTTP/1.1, and HTTP/2 without TLS
// by prior knowledge (h2c), which DNS over HTTPS clients use against a
// plain listener (`dig +http-plain`) and TLS-terminating proxies may use
// towards signald. There is no h2c upgrade from HTTP/1.1.
func protocols() *http.Protocols {
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	return &p
}
