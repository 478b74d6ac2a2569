package mirrorlist

import (
	"math/rand/v2"
	"slices"
	"strings"
)

// Groups a listed mirror can come from, nearest first.
const (
	groupNetblock = 1 << iota
	groupCountry
	groupContinent
	groupGlobal
)

// want is what one request asks of an entry.
type want struct {
	countries  []string // the client's countries; none: global
	continents []string // their continents
	protos     []string
	maxLag     int64
	min        int
}

// scratch is one request's reusable memory.
type scratch struct {
	rng    *rand.Rand
	out    []int32 // the hosts listed, in order
	seen   []bool  // by host index
	keyed  []keyed
	mirror []int32 // netblock matches (mirror indices)
	buf    []byte
}

type keyed struct {
	key float64
	h   int32
}

// order lists e's hosts for w into sc.out and returns the groups it used:
// first the hosts whose netblocks hold the client (nb, mirror indices,
// most specific first); then, each group in a weighted shuffle, the
// hosts of the client's countries, and — only while fewer than w.min are
// listed — those of their continents, then all the others. Without a
// country every host is one global group. Only hosts that are eligible
// (fresh, or behind within max_lag) and have a URL over one of w.protos
// are listed.
func (e *entry) order(sc *scratch, nb []int32, w *want) int {
	sc.out = sc.out[:0]
	sc.seen = slices.Grow(sc.seen[:0], len(e.hosts))[:len(e.hosts)]
	clear(sc.seen)
	used := 0
	for _, mi := range nb {
		if int(mi) < len(e.hostOf) {
			if h := e.hostOf[mi]; h >= 0 && e.usable(sc, h, w) {
				sc.take(h)
				used |= groupNetblock
			}
		}
	}
	if len(w.countries) == 0 {
		if e.shuffle(sc, w, e.all) {
			used |= groupGlobal
		}
		return used
	}
	for _, cc := range w.countries {
		e.collect(sc, w, e.country[cc])
	}
	if e.shuffleCollected(sc) {
		used |= groupCountry
	}
	if len(sc.out) < w.min {
		for _, c := range w.continents {
			e.collect(sc, w, e.continent[c])
		}
		if e.shuffleCollected(sc) {
			used |= groupContinent
		}
	}
	if len(sc.out) < w.min && e.shuffle(sc, w, e.all) {
		used |= groupGlobal
	}
	return used
}

// usable reports whether host h can be listed and is not yet.
func (e *entry) usable(sc *scratch, h int32, w *want) bool {
	if sc.seen[h] {
		return false
	}
	hs := &e.hosts[h]
	if !hs.eligible(w.maxLag) {
		return false
	}
	for _, p := range w.protos {
		if hs.urls[protoIndex(p)] != "" {
			return true
		}
	}
	return false
}

func (sc *scratch) take(h int32) {
	sc.seen[h] = true
	sc.out = append(sc.out, h)
}

// collect adds the usable hosts of group to the pending shuffle, each
// with its Efraimidis–Spirakis key: an exponential variate divided by
// the weight, so that sorting by key ascending is a weighted random
// order (the first is host i with probability w_i / Σw).
func (e *entry) collect(sc *scratch, w *want, group []int32) {
	for _, h := range group {
		if e.usable(sc, h, w) {
			sc.seen[h] = true // also dedups overlapping groups
			sc.keyed = append(sc.keyed, keyed{sc.rng.ExpFloat64() / e.hosts[h].weight, h})
		}
	}
}

// shuffleCollected sorts the pending hosts by key onto the output and
// reports whether there were any.
func (e *entry) shuffleCollected(sc *scratch) bool {
	if len(sc.keyed) == 0 {
		return false
	}
	slices.SortFunc(sc.keyed, func(a, b keyed) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return int(a.h - b.h)
	})
	for _, k := range sc.keyed {
		sc.out = append(sc.out, k.h)
	}
	sc.keyed = sc.keyed[:0]
	return true
}

func (e *entry) shuffle(sc *scratch, w *want, group []int32) bool {
	e.collect(sc, w, group)
	return e.shuffleCollected(sc)
}

// continentsOf returns the distinct continents of countries.
func continentsOf(dst []string, countries []string, lookup func(string) (string, bool)) []string {
	for _, cc := range countries {
		if c, ok := lookup(cc); ok && !slices.Contains(dst, c) {
			dst = append(dst, c)
		}
	}
	return dst
}

// describe is the header's account of the groups used, e.g.
// " netblock = yes country = DE continent = EU country = global".
func describe(b []byte, used int, w *want) []byte {
	if used&groupNetblock != 0 {
		b = append(b, " netblock = yes"...)
	}
	for _, cc := range w.countries {
		b = append(b, " country = "...)
		b = append(b, cc...)
	}
	if used&groupContinent != 0 {
		b = append(b, " continent = "...)
		b = append(b, strings.Join(w.continents, ",")...)
	}
	if used&groupGlobal != 0 {
		b = append(b, " country = global"...)
	}
	return b
}
