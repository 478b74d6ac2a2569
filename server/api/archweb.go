package api

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// Defaults of the archweb document.
const (
	// ArchwebCutoff is the window its figures cover: archweb's 24 hours.
	ArchwebCutoff = 24 * time.Hour
	// archwebVersion is the document version archweb calls 3.
	archwebVersion = 3
	// defaultCheckInterval is the checker's default base interval.
	defaultCheckInterval = 15 * time.Minute
	// archwebTime is archweb's ISO 8601 form, in UTC to the second: what
	// reflector and rate-mirrors parse.
	archwebTime = "2006-01-02T15:04:05Z"
)

// ArchwebOptions shape the archweb document.
type ArchwebOptions struct {
	// Tree is the one tree the document describes; "" is the first tree
	// of the signal.
	Tree string
	// CheckInterval is the checker's base interval (check_frequency);
	// 0 is 15 minutes.
	CheckInterval time.Duration
	// ISOTree, when set, names the tree that holds installation images: a
	// mirror carrying it has "isos": true.
	ISOTree string
	// DetailsBase prefixes each "details" link (the mirror's JSON API
	// entry), e.g. "https://mirrors.example.org"; "" leaves it relative.
	DetailsBase string
}

// Archweb serves GET /mirrors/status/json/ (and the per-tier
// /mirrors/status/tier/{tier}/json/) in Arch Linux archweb's "version 3"
// mirror status format, for one tree.
type Archweb struct {
	src   Source
	o     ArchwebOptions
	cache bodyCache
}

// NewArchweb returns the archweb route reading src.
func NewArchweb(src Source, o ArchwebOptions) *Archweb {
	if o.CheckInterval <= 0 {
		o.CheckInterval = defaultCheckInterval
	}
	return &Archweb{src: src, o: o}
}

// Register adds the archweb routes to mux.
func (a *Archweb) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+apiv1.PathArchweb, a.get)
	mux.HandleFunc("GET /mirrors/status/tier/{tier}/json/", a.get)
}

func (a *Archweb) get(w http.ResponseWriter, r *http.Request) {
	if _, ok := readQuery(w, r); !ok {
		return
	}
	tier := 0
	if v := r.PathValue("tier"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 9 {
			jsonError(w, http.StatusNotFound, "no tier "+quoteShort(v))
			return
		}
		tier = n
	}
	snap := a.src.Current()
	b, err := a.cache.get(snap, "tier"+strconv.Itoa(tier), func() any { return ArchwebOf(snap, a.o, tier) })
	if err != nil {
		jsonError(w, http.StatusInternalServerError, "cannot encode the answer")
		return
	}
	serveBody(w, r, b)
}

// ArchwebOf builds the archweb document of the snapshot for o.Tree (the
// first tree when empty), only the mirrors of tier when tier > 0: one URL
// entry per mirror carrying the tree and protocol it serves it over.
func ArchwebOf(snap *status.Snapshot, o ArchwebOptions, tier int) apiv1.Archweb {
	if o.CheckInterval <= 0 {
		o.CheckInterval = defaultCheckInterval
	}
	tree := o.Tree
	if tree == "" && len(snap.Trees) > 0 {
		tree = snap.Trees[0].Name
	}
	out := apiv1.Archweb{Cutoff: int64(ArchwebCutoff / time.Second), CheckFrequency: int64(o.CheckInterval / time.Second),
		NumChecks: int(ArchwebCutoff / o.CheckInterval), URLs: []apiv1.ArchwebURL{}, Version: archwebVersion}
	since := snap.Generated.Add(-ArchwebCutoff)
	var last time.Time
	for i := range snap.Mirrors {
		m := &snap.Mirrors[i]
		mt, ok := m.Tree(tree)
		if !ok || (tier > 0 && m.Tier != tier) {
			continue
		}
		protos := make([]string, 0, len(mt.URLs))
		for p := range mt.URLs {
			protos = append(protos, p)
		}
		slices.Sort(protos)
		for _, p := range protos {
			results := resultsOf(mt, p, since, snap.Generated)
			for _, r := range results {
				if r.At.After(last) {
					last = r.At
				}
			}
			out.URLs = append(out.URLs, archwebURL(m, mt, p, results, o))
		}
	}
	if last.IsZero() {
		last = snap.Checker.At
	}
	if last.IsZero() {
		last = snap.Generated
	}
	out.LastCheck = last.UTC().Format(archwebTime)
	return out
}

// resultsOf returns the mirror's results over proto within [since, now]:
// the latest per family and the recent history, each once.
func resultsOf(mt *status.MirrorTree, proto string, since, now time.Time) []status.Probe {
	var out []status.Probe
	for _, ps := range [][]status.Probe{mt.Probes, mt.Recent} {
		for _, p := range ps {
			if p.Proto != proto || p.At.Before(since) || p.At.After(now) {
				continue
			}
			if slices.ContainsFunc(out, func(q status.Probe) bool { return q.Family == p.Family && q.At.Equal(p.At) }) {
				continue
			}
			out = append(out, p)
		}
	}
	return out
}

// answered reports whether a probe read a TIME (archweb's successful
// check), whatever it said about freshness.
func answered(p status.Probe) bool {
	return p.State == status.Fresh || p.State == status.Behind || p.State == status.Inconsistent
}

// archwebURL is one URL entry: figures over the results of its protocol
// within the cutoff.
func archwebURL(m *status.Mirror, mt *status.MirrorTree, proto string, results []status.Probe, o ArchwebOptions) apiv1.ArchwebURL {
	u := apiv1.ArchwebURL{URL: withSlash(mt.URLs[proto]), Protocol: proto, Active: true,
		Country: countryNames[m.Country], CountryCode: m.Country,
		IPv4: len(m.Families) == 0 || slices.Contains(m.Families, "ipv4"), IPv6: slices.Contains(m.Families, "ipv6"),
		Details: o.DetailsBase + apiv1.PathMirrors + "/" + url.PathEscape(m.Name)}
	if o.ISOTree != "" {
		_, u.ISOs = m.Tree(o.ISOTree)
	}
	var ok []status.Probe
	for _, r := range results {
		if answered(r) {
			ok = append(ok, r)
		}
	}
	if len(results) > 0 {
		u.CompletionPct = float64(len(ok)) / float64(len(results))
	}
	if len(ok) == 0 {
		return u
	}
	var sync int64
	var lag, lat float64
	for _, r := range ok {
		sync = max(sync, r.Stamp)
		lag += float64(r.LagSeconds)
		lat += r.LatencySeconds
	}
	if sync > 0 {
		s := time.Unix(sync, 0).UTC().Format(archwebTime)
		u.LastSync = &s
	}
	delay := int64(math.Round(lag / float64(len(ok))))
	avg := lat / float64(len(ok))
	var sq float64
	for _, r := range ok {
		sq += (r.LatencySeconds - avg) * (r.LatencySeconds - avg)
	}
	stddev := math.Sqrt(sq / float64(len(ok)))
	score := (float64(delay)/3600 + avg + stddev) / u.CompletionPct
	u.Delay, u.DurationAvg, u.DurationStddev, u.Score = &delay, &avg, &stddev, &score
	return u
}

func withSlash(s string) string {
	if s != "" && s[len(s)-1] != '/' {
		return s + "/"
	}
	return s
}
