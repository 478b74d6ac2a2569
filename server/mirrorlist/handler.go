package mirrorlist

import (
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/mirrorlist/geo"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// Defaults of Options.
const (
	DefaultMinMirrors      = 5
	DefaultAlternatesGrace = 72 * time.Hour
)

const textType = "text/plain; charset=utf-8"

// Source gives the current read model; *status.Hub is one, and so is a
// replica's loaded snapshot.
type Source interface {
	Current() *status.Snapshot
}

// Options configure a Service.
type Options struct {
	Source Source // required
	// MinMirrors is the shortest list the nearest groups are filled to
	// from the next ones; DefaultMinMirrors when 0.
	MinMirrors int
	// Proxies are the trusted reverse proxies (X-Forwarded-For).
	Proxies []netip.Prefix
	// Geo finds a client's country from its address; nil: none.
	Geo geo.Locator
	// AlternatesGrace is how long after it was replaced an older
	// repomd.xml stays in the metalink's alternates;
	// DefaultAlternatesGrace when 0.
	AlternatesGrace time.Duration
	Now             func() time.Time // time.Now when nil
	// NewRand makes the random source of one request's shuffle
	// (reused by later requests); a randomly seeded PCG when nil.
	NewRand    func() *rand.Rand
	Registerer prometheus.Registerer // nil: no metrics
	Logger     *slog.Logger
}

// Service serves GET /mirrorlist and GET /metalink from the read model.
// Its index of the snapshot is rebuilt when the snapshot changes
// (StatusChanged, or lazily when Source holds a newer one) and swapped
// atomically: a request reads one index from start to end.
type Service struct {
	o       Options
	idx     atomic.Pointer[index]
	buildMu sync.Mutex
	pool    sync.Pool // *scratch
	m       *metrics
	log     *slog.Logger
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Source == nil {
		return nil, errors.New("mirrorlist: Options.Source is required")
	}
	if o.MinMirrors <= 0 {
		o.MinMirrors = DefaultMinMirrors
	}
	if o.AlternatesGrace <= 0 {
		o.AlternatesGrace = DefaultAlternatesGrace
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewRand == nil {
		o.NewRand = func() *rand.Rand { return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if db, ok := o.Geo.(*geo.DB); ok && db == nil {
		o.Geo = nil // a nil *geo.DB: no database
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Service{o: o, m: m, log: o.Logger.With("component", "mirrorlist")}
	s.pool.New = func() any { return &scratch{rng: o.NewRand()} }
	return s, nil
}

// Register adds GET /mirrorlist and GET /metalink.
func (s *Service) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /mirrorlist", s.serveMirrorlist)
	mux.HandleFunc("GET /metalink", s.serveMetalink)
}

// StatusChanged rebuilds the index for snap (status.Subscriber).
func (s *Service) StatusChanged(snap *status.Snapshot) {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	if cur := s.idx.Load(); cur != nil && cur.snap == snap {
		return
	}
	s.idx.Store(buildIndex(snap))
	s.m.rebuilds.Inc()
}

// index returns the index of the source's current snapshot.
func (s *Service) index() *index {
	cur := s.o.Source.Current()
	if ix := s.idx.Load(); ix != nil && ix.snap == cur {
		return ix
	}
	s.StatusChanged(cur)
	return s.idx.Load()
}

// request is what both endpoints work out from a request.
type request struct {
	p     Params
	e     *entry
	w     want
	nb    []int32
	sc    *scratch
	ix    *index
	now   time.Time
	codes [maxCountries]string
}

// prepare parses r and finds its entry; on failure it returns the status
// and reason to answer with.
func (s *Service) prepare(r *http.Request, q *request) (int, string) {
	p, err := ParseQuery(r.URL.RawQuery)
	q.p = p
	if err != nil {
		return http.StatusBadRequest, err.Error()
	}
	q.ix = s.index()
	q.e = q.ix.repos[repoKey{p.Repo, p.Arch}]
	if q.e == nil {
		return http.StatusNotFound, "invalid repo or arch"
	}
	q.w = want{protos: p.Protos, maxLag: p.MaxLag, min: s.o.MinMirrors, countries: p.Countries}
	if !p.Global {
		client, ok := ClientAddr(r, s.o.Proxies)
		if ok {
			q.nb = q.ix.nets.match(q.sc.mirror[:0], client)
			q.sc.mirror = q.nb
		}
		if len(q.w.countries) == 0 && ok && s.o.Geo != nil {
			if cc, found := s.o.Geo.Country(client); found {
				q.codes[0] = cc
				q.w.countries = q.codes[:1]
			}
		}
		q.w.continents = continentsOf(nil, q.w.countries, mirrors.Continent)
	}
	return 0, ""
}

func (s *Service) scratch() *scratch {
	sc := s.pool.Get().(*scratch)
	sc.buf = sc.buf[:0]
	return sc
}

// header is "# repo = R arch = A", echoing only safe names.
func header(b []byte, p *Params) []byte {
	b = append(b, "# repo = "...)
	b = append(b, safeEcho(p.Repo)...)
	b = append(b, " arch = "...)
	return append(b, safeEcho(p.Arch)...)
}

func (s *Service) serveMirrorlist(w http.ResponseWriter, r *http.Request) {
	q := request{sc: s.scratch(), now: s.o.Now()}
	defer s.pool.Put(q.sc)
	if code, reason := s.prepare(r, &q); code != 0 {
		b := header(q.sc.buf, &q.p)
		b = append(b, " error: "...)
		b = appendComment(b, reason)
		s.write(w, code, textType, append(b, '\n'), q.sc)
		s.m.count("mirrorlist", code)
		return
	}
	b := header(q.sc.buf, &q.p)
	used := q.e.order(q.sc, q.nb, &q.w)
	b = describe(b, used, &q.w)
	b = append(b, '\n')
	for _, h := range q.sc.out {
		hs := &q.e.hosts[h]
		for _, p := range q.w.protos {
			if pi := protoIndex(p); hs.urls[pi] != "" {
				b = append(b, hs.lines[pi]...)
				break
			}
		}
	}
	code := http.StatusOK
	if len(q.sc.out) == 0 {
		b, code = fallbackText(b, q.e)
	}
	s.write(w, code, textType, b, q.sc)
	s.m.count("mirrorlist", code)
}

// fallbackText lists the master when no mirror can be.
func fallbackText(b []byte, e *entry) ([]byte, int) {
	if e.master == "" {
		return append(b, "# error: no mirror is fresh and the master's URL is not known\n"...), http.StatusServiceUnavailable
	}
	b = append(b, "# no mirror is fresh: the master\n"...)
	return append(append(b, e.master...), '\n'), http.StatusOK
}

func (s *Service) serveMetalink(w http.ResponseWriter, r *http.Request) {
	q := request{sc: s.scratch(), now: s.o.Now()}
	defer s.pool.Put(q.sc)
	code, reason := s.prepare(r, &q)
	if code == 0 && len(q.e.versions) == 0 {
		code, reason = http.StatusServiceUnavailable, "the master's repomd.xml has not been read yet: nothing to verify against"
	}
	if code != 0 {
		b := metalinkFailure(q.sc.buf, q.now, reason)
		s.write(w, code, metalinkType, b, q.sc)
		s.m.count("metalink", code)
		return
	}
	b := metalinkHead(q.sc.buf, q.now)
	b = append(b, q.e.files...)
	b = s.appendAlternates(b, q.e, q.now)
	b = append(b, "   <resources maxconnections=\"1\">\n"...)
	q.e.order(q.sc, q.nb, &q.w)
	pref := maxPreference
	for _, h := range q.sc.out {
		hs := &q.e.hosts[h]
		for _, p := range q.w.protos {
			if pi := protoIndex(p); hs.urls[pi] != "" {
				b = append(b, hs.meta[pi].head...)
				b = strconv.AppendInt(b, int64(pref), 10)
				b = append(b, hs.meta[pi].tail...)
			}
		}
		pref = max(pref-1, minPreference)
	}
	if len(q.sc.out) == 0 && q.e.master != "" {
		b = append(b, "    <!-- no mirror is fresh: the master -->\n"...)
		m := makeMetaURL(schemeOf(q.e.master), "", q.e.master+"repodata/repomd.xml")
		b = append(append(append(b, m.head...), "100"...), m.tail...)
	}
	b = append(b, "   </resources>\n  </file>\n </files>\n</metalink>\n"...)
	s.write(w, http.StatusOK, metalinkType, b, q.sc)
	s.m.count("metalink", http.StatusOK)
}

// appendAlternates writes the older versions replaced within the grace.
func (s *Service) appendAlternates(b []byte, e *entry, now time.Time) []byte {
	open := false
	for _, a := range e.alts {
		if now.Sub(a.replaced) > s.o.AlternatesGrace {
			continue
		}
		if !open {
			b = append(b, "   <mm0:alternates>\n"...)
			open = true
		}
		b = append(b, a.body...)
	}
	if open {
		b = append(b, "   </mm0:alternates>\n"...)
	}
	return b
}

func schemeOf(u string) string {
	if len(u) > 5 && u[:5] == "http:" {
		return protoHTTP
	}
	return protoHTTPS
}

// Header values, shared by every response (never changed).
var (
	textTypeHeader     = []string{textType}
	metalinkTypeHeader = []string{metalinkType}
	noSniffHeader      = []string{"nosniff"}
)

// write sends b with an exact Content-Length and keeps the buffer for
// the next request.
func (s *Service) write(w http.ResponseWriter, code int, ctype string, b []byte, sc *scratch) {
	h := w.Header()
	if ctype == metalinkType {
		h["Content-Type"] = metalinkTypeHeader
	} else {
		h["Content-Type"] = textTypeHeader
	}
	h["X-Content-Type-Options"] = noSniffHeader
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(code)
	w.Write(b)
	if cap(b) <= 1<<20 {
		sc.buf = b[:0]
	}
}
