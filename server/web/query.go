package web

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// maxQuery caps the raw query string of the status page.
const maxQuery = 1024

// Sort keys of the mirrors table.
const (
	sortName    = "name"
	sortCountry = "country"
	sortTier    = "tier"
	sortLag     = "lag"
	sortChecked = "checked"
)

var sortKeys = []string{sortName, sortCountry, sortTier, sortLag, sortChecked}

// states a filter may ask for, best first.
var states = []string{status.Fresh, status.Behind, status.Inconsistent, status.Error, status.Unreachable, status.Unknown}

// query is the status page's validated query: filters, then the sort.
// Empty filter fields match everything; a form without JavaScript sends
// every field, so an empty value means "any".
type query struct {
	Country string // ISO 3166-1 alpha-2, upper case
	Tier    int    // 0: any
	Tree    string // one of the snapshot's trees
	State   string // one of states
	Sort    string // one of sortKeys
	Desc    bool
}

// defaultQuery is the page without parameters: tier-1 hosts first.
var defaultQuery = query{Sort: sortTier}

// isDefault reports whether q shows the default page.
func (q query) isDefault() bool { return q == defaultQuery }

// badParam is a query the page refuses, with a one-line reason.
type badParam struct{ reason string }

func (e *badParam) Error() string { return e.reason }

func refuse(format string, args ...any) error {
	return &badParam{reason: fmt.Sprintf(format, args...)}
}

// parseQuery validates raw, the status page's query string, against the
// snapshot's trees. Every parameter may appear once; unknown parameters
// and bad values are refused.
func parseQuery(raw string, trees []string) (query, error) {
	q := defaultQuery
	if len(raw) > maxQuery {
		return q, refuse("query is longer than %d bytes", maxQuery)
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return q, refuse("malformed query string")
	}
	order := ""
	for _, key := range sortedKeys(vals) {
		vs := vals[key]
		if len(vs) != 1 {
			return q, refuse("parameter %s given %d times", clip(key), len(vs))
		}
		v := vs[0]
		switch key {
		case "country":
			q.Country, err = parseCountry(v)
		case "tier":
			q.Tier, err = parseTier(v)
		case "tree":
			q.Tree, err = oneOf("tree", v, trees)
		case "state":
			q.State, err = oneOf("state", v, states)
		case "sort":
			if q.Sort, err = oneOf("sort", v, sortKeys); err == nil && q.Sort == "" {
				q.Sort = defaultQuery.Sort
			}
		case "order":
			order, err = oneOf("order", v, []string{"asc", "desc"})
		default:
			err = refuse("unknown parameter %s (want country, tier, tree, state, sort, order)", clip(key))
		}
		if err != nil {
			return q, err
		}
	}
	q.Desc = order == "desc"
	return q, nil
}

// sortedKeys returns the keys of vals in order, so the first bad
// parameter reported does not depend on map order.
func sortedKeys(vals url.Values) []string {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func parseCountry(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if len(v) != 2 || !isLetter(v[0]) || !isLetter(v[1]) {
		return "", refuse("country must be a two-letter ISO 3166-1 code, not %s", clip(v))
	}
	return strings.ToUpper(v), nil
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func parseTier(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 9 || len(v) != 1 {
		return 0, refuse("tier must be a digit from 1 to 9, not %s", clip(v))
	}
	return n, nil
}

func oneOf(name, v string, allowed []string) (string, error) {
	if v == "" || slices.Contains(allowed, v) {
		return v, nil
	}
	return "", refuse("%s must be one of %s, not %s", name, strings.Join(allowed, ", "), clip(v))
}

// clip quotes an untrusted value for a reason: printable ASCII, at most
// about 60 bytes.
func clip(s string) string {
	const max = 60
	q := strconv.QuoteToASCII(s)
	if len(q) <= max {
		return q
	}
	// Cut s rune by rune until its quoted form fits with the ellipsis.
	for i := range s {
		if p := strconv.QuoteToASCII(s[:i] + "…"); len(p) > max {
			break
		} else {
			q = p
		}
	}
	return q
}

// values is q as a query string's values, without the defaults, so links
// stay short; with sort and order overridden when sortKey is set.
func (q query) values() url.Values {
	v := url.Values{}
	if q.Country != "" {
		v.Set("country", q.Country)
	}
	if q.Tier != 0 {
		v.Set("tier", strconv.Itoa(q.Tier))
	}
	if q.Tree != "" {
		v.Set("tree", q.Tree)
	}
	if q.State != "" {
		v.Set("state", q.State)
	}
	if q.Sort != defaultQuery.Sort {
		v.Set("sort", q.Sort)
	}
	if q.Desc {
		v.Set("order", "desc")
	}
	return v
}

// href is the status page's link for q.
func (q query) href() string {
	if e := q.values().Encode(); e != "" {
		return "/?" + e
	}
	return "/"
}

// naturalDesc is the order a header link starts with for key: the worst
// first for lag, the others ascending (the oldest check first).
func naturalDesc(key string) bool { return key == sortLag }

// sortedBy is the link of a sortable column header: sorting by key, or
// flipping the order when the table is already sorted by key.
func (q query) sortedBy(key string) query {
	if q.Sort == key {
		q.Desc = !q.Desc
	} else {
		q.Sort, q.Desc = key, naturalDesc(key)
	}
	return q
}
