package checkbench

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Fleet shape.
const (
	// behindEvery makes every tenth mirror (or listener) serve an old TIME.
	behindEvery = 10
	// behindBy is how far a behind mirror's TIME trails the signal.
	behindBy = time.Hour
	// hostDomain is the suffix of the mirrors' host names.
	hostDomain = "bench.test"
	// memoryListeners is how many listeners serve the memory fleet's
	// mirrors, each a host of its own for the per-host limit.
	memoryListeners = 64
	// readHeaderTimeout bounds a probe's request headers at the mirrors.
	readHeaderTimeout = 10 * time.Second
)

// memoryTrees are the trees of each mirror of the memory fleet.
var memoryTrees = signal.Layout{"content", "altarch", "vault"}

// compareTrees is the one tree of the comparison fleets, as mirmon has.
var compareTrees = signal.Layout{"content"}

// mirror is one local mirror of a fleet.
type mirror struct {
	name string // host-like name, in mirrors.toml
	ip   string // the loopback address it listens on
	host string // the host in its URL: its name in /etc/hosts or ip
	port int
	path string // base path, ending in "/"
}

func (m mirror) url() string {
	return fmt.Sprintf("http://%s/%s", net.JoinHostPort(m.host, fmt.Sprint(m.port)), strings.TrimPrefix(m.path, "/"))
}

// compareIP is the address of mirror i of a comparison fleet: 127.1.x.y,
// 250 to an x.
func compareIP(i int) string { return fmt.Sprintf("127.1.%d.%d", i/250, i%250+1) }

// servers are the listeners of a fleet's mirrors, on one http.Server.
type servers struct {
	srv   *http.Server
	ls    []net.Listener
	stamp map[string]int64 // listener address → the TIME it serves
}

// serve listens on each ip (":0") and serves TIME files: stamp, or
// stamp − behindBy for every behindEvery-th address. It returns the ports,
// in order.
func serve(ips []string, stamp int64) (*servers, []int, error) {
	s := &servers{stamp: map[string]int64{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.handle), ReadHeaderTimeout: readHeaderTimeout}
	ports := make([]int, len(ips))
	for i, ip := range ips {
		l, err := net.Listen("tcp4", ip+":0")
		if err != nil {
			s.close()
			return nil, nil, fmt.Errorf("mirror %d: %w", i, err)
		}
		st := stamp
		if i%behindEvery == behindEvery-1 {
			st -= int64(behindBy / time.Second)
		}
		s.stamp[l.Addr().String()] = st
		s.ls = append(s.ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range s.ls {
		go s.srv.Serve(l)
	}
	return s, ports, nil
}

func (s *servers) handle(w http.ResponseWriter, r *http.Request) {
	addr, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	st, ok := s.stamp[fmt.Sprint(addr)]
	if !ok || !strings.HasSuffix(r.URL.Path, "/TIME") {
		http.NotFound(w, r)
		return
	}
	w.Write(signal.FormatTimeFile(st))
}

func (s *servers) close() {
	s.srv.Close()
	for _, l := range s.ls {
		l.Close()
	}
}

// compareFleet starts n mirrors, one listener each on 127.1.x.y, named
// m<i>.bench.test when named (else their URLs carry the address).
func compareFleet(n int, stamp int64, named bool) ([]mirror, *servers, error) {
	ips := make([]string, n)
	for i := range ips {
		ips[i] = compareIP(i)
	}
	srv, ports, err := serve(ips, stamp)
	if err != nil {
		return nil, nil, err
	}
	ms := make([]mirror, n)
	for i := range ms {
		name := fmt.Sprintf("m%d.%s", i, hostDomain)
		host := ips[i]
		if named {
			host = name
		}
		ms[i] = mirror{name: name, ip: ips[i], host: host, port: ports[i], path: "/"}
	}
	return ms, srv, nil
}

// memoryFleet starts memoryListeners listeners on 127.2.0.x and n mirrors
// spread over them, each with its own base path, by address.
func memoryFleet(n int, stamp int64) ([]mirror, *servers, error) {
	ips := make([]string, memoryListeners)
	for i := range ips {
		ips[i] = fmt.Sprintf("127.2.0.%d", i+1)
	}
	srv, ports, err := serve(ips, stamp)
	if err != nil {
		return nil, nil, err
	}
	ms := make([]mirror, n)
	for i := range ms {
		k := i % memoryListeners
		ms[i] = mirror{name: fmt.Sprintf("m%d.mem.%s", i, hostDomain), ip: ips[k], host: ips[k],
			port: ports[k], path: fmt.Sprintf("/m%d/", i)}
	}
	return ms, srv, nil
}

// fleetTOML is the mirrors.toml of ms, each carrying every tree of layout
// over HTTP at <url><tree>/ (or at <url> for a single tree).
func fleetTOML(ms []mirror, layout signal.Layout) []byte {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "[[mirror]]\nname = %q\ncountry = \"DE\"\n", m.name)
		for _, tree := range layout {
			u := m.url()
			if len(layout) > 1 {
				u += tree + "/"
			}
			fmt.Fprintf(&b, "[mirror.trees.%s]\nhttp = %q\n", tree, u)
		}
	}
	return []byte(b.String())
}
