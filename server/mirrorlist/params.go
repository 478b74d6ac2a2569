package mirrorlist

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorsignal/mirrorsignal/server/mirrorlist/geo"
)

// Query limits.
const (
	// maxQuery is the longest raw query string read.
	maxQuery = 2048
	// maxName is the longest repo or arch name looked up.
	maxName = 128
	// maxCountries is how many country= codes one request may give.
	maxCountries = 16
	// maxLagLimit bounds max_lag (ten years, in seconds).
	maxLagLimit = 10 * 365 * 24 * 3600
)

// Protocols a list can hold; the order of Params.Protos is the client's
// preference.
const (
	protoHTTPS = "https"
	protoHTTP  = "http"
)

// Params is one parsed /mirrorlist or /metalink query.
type Params struct {
	Repo, Arch string
	// Countries are the country= codes, upper case; nil when none.
	Countries []string
	// Global is country=global: no geographic ordering.
	Global bool
	// Protos are the protocols asked for, in preference order;
	// https, http when protocol= is absent.
	Protos []string
	// MaxLag admits mirrors behind by at most this many seconds; -1
	// when absent (fresh mirrors only).
	MaxLag int64
}

// errBadQuery marks a query that is not understood (HTTP 400).
var errBadQuery = errors.New("bad query")

var defaultProtos = []string{protoHTTPS, protoHTTP}

// ParseQuery parses a raw query string strictly: repo and arch required,
// each known key at most once, unknown keys ignored (librepo adds
// countme=). Its errors wrap errBadQuery and say which key is wrong
// without repeating the value.
func ParseQuery(raw string) (Params, error) {
	p := Params{MaxLag: -1}
	if len(raw) > maxQuery {
		return p, fmt.Errorf("%w: query longer than %d bytes", errBadQuery, maxQuery)
	}
	var seen [5]bool
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		i := keyIndex(k)
		if i < 0 {
			continue
		}
		if seen[i] {
			return p, fmt.Errorf("%w: %s given twice", errBadQuery, k)
		}
		seen[i] = true
		if err := p.set(i, v); err != nil {
			return p, fmt.Errorf("%w: %s: %w", errBadQuery, k, err)
		}
	}
	switch {
	case p.Repo == "":
		return p, fmt.Errorf("%w: repo= is required", errBadQuery)
	case p.Arch == "":
		return p, fmt.Errorf("%w: arch= is required", errBadQuery)
	}
	if p.Protos == nil {
		p.Protos = defaultProtos
	}
	return p, nil
}

var keys = [...]string{"repo", "arch", "country", "protocol", "max_lag"}

func keyIndex(k string) int {
	for i, name := range keys {
		if k == name {
			return i
		}
	}
	return -1
}

func (p *Params) set(i int, raw string) error {
	v, err := unescape(raw)
	if err != nil {
		return err
	}
	switch i {
	case 0:
		p.Repo, err = name(v)
	case 1:
		p.Arch, err = name(v)
	case 2:
		p.Countries, p.Global, err = countries(v)
	case 3:
		p.Protos, err = protocols(v)
	case 4:
		p.MaxLag, err = maxLag(v)
	}
	return err
}

// unescape decodes a query value, fast when nothing is escaped.
func unescape(s string) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		return s, nil
	}
	v, err := url.QueryUnescape(s)
	if err != nil {
		return "", errors.New("bad percent-encoding")
	}
	return v, nil
}

func name(v string) (string, error) {
	switch {
	case v == "":
		return "", errors.New("empty")
	case len(v) > maxName:
		return "", fmt.Errorf("longer than %d bytes", maxName)
	}
	return v, nil
}

func countries(v string) ([]string, bool, error) {
	if strings.EqualFold(v, "global") {
		return nil, true, nil
	}
	var out []string
	for cc := range strings.SplitSeq(v, ",") {
		c, ok := geo.Normalize(cc)
		if !ok {
			return nil, false, errors.New("want two-letter country codes separated by commas, or global")
		}
		if len(out) == maxCountries {
			return nil, false, fmt.Errorf("more than %d countries", maxCountries)
		}
		out = append(out, c)
	}
	return out, false, nil
}

func protocols(v string) ([]string, error) {
	var out []string
	for pr := range strings.SplitSeq(v, ",") {
		var p string
		switch strings.ToLower(pr) {
		case protoHTTPS:
			p = protoHTTPS
		case protoHTTP:
			p = protoHTTP
		default:
			return nil, errors.New("want https, http or both, separated by commas")
		}
		if slices.Contains(out, p) {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

func maxLag(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > maxLagLimit || v[0] == '+' {
		return 0, fmt.Errorf("want whole seconds between 0 and %d", maxLagLimit)
	}
	return n, nil
}

// safeEcho returns s when it holds only [A-Za-z0-9._+-] (and is not
// too long), else "": the only client text ever written back.
func safeEcho(s string) string {
	if len(s) > maxName {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '_' || c == '+' || c == '-') {
			return ""
		}
	}
	return s
}
