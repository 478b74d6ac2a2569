package web

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParseQuery feeds arbitrary query strings to the status page's
// parser: it never panics; a refusal is a one-line bounded reason; an
// accepted query holds only valid values and survives a round trip
// through the links the page builds.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "country=DE&state=fresh&tree=content&sort=lag&order=desc", "tier=3", "tier=0",
		"country=", "sort=", "x=1", "%zz", "a=1;b=2", "country=de&country=fr", "tree=vault&state=unknown&sort=checked",
		"state=%3Cscript%3E", "order=asc&sort=name&tier=1&country=ZZ"} {
		f.Add(s)
	}
	trees := []string{"content", "altarch", "vault"}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parseQuery(raw, trees)
		if err != nil {
			var bp *badParam
			if !errors.As(err, &bp) {
				t.Fatalf("%q: %T %v", raw, err, err)
			}
			if r := bp.Error(); r == "" || strings.ContainsAny(r, "\r\n") || len(r) > 200 {
				t.Fatalf("%q: reason %q", raw, r)
			}
			return
		}
		if q.Country != "" && (len(q.Country) != 2 || strings.ToUpper(q.Country) != q.Country || !isLetter(q.Country[0]) || !isLetter(q.Country[1])) {
			t.Fatalf("%q: country %q", raw, q.Country)
		}
		if q.Tier < 0 || q.Tier > 9 || q.Tree != "" && !slices.Contains(trees, q.Tree) ||
			q.State != "" && !slices.Contains(states, q.State) || !slices.Contains(sortKeys, q.Sort) {
			t.Fatalf("%q: accepted %+v", raw, q)
		}
		link := strings.TrimPrefix(q.href(), "/")
		back, err := parseQuery(strings.TrimPrefix(link, "?"), trees)
		if err != nil || back != q {
			t.Fatalf("%q: link %q parses to %+v, %v; want %+v", raw, link, back, err, q)
		}
	})
}
