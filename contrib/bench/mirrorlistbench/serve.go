package mirrorlistbench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"

	"github.com/mirrorsignal/mirrorsignal/server/httpserve"
	"github.com/mirrorsignal/mirrorsignal/server/mirrorlist"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/status/statustest"
)

// ServeChild serves /mirrorlist and /metalink from a fixture of mirrors
// mirrors on a loopback port, and net/http/pprof on another, printing
// "<addr> <pprof addr>" to stdout once both listen, until ctx ends.
func ServeChild(ctx context.Context, mirrors int, stdout io.Writer) error {
	hub := status.NewHub()
	hub.Set(statustest.Fleet(statustest.Options{Mirrors: mirrors}))
	svc, err := mirrorlist.New(mirrorlist.Options{Source: hub})
	if err != nil {
		return err
	}
	hub.Subscribe(svc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		return err
	}
	pmux := http.NewServeMux()
	pmux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	go http.Serve(pln, pmux)
	defer pln.Close()
	fmt.Fprintf(stdout, "%s %s\n", ln.Addr(), pln.Addr())
	return httpserve.Serve(ctx, ln, httpserve.Mux(svc))
}
