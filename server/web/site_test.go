package web

import (
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/status/statustest"
)

// rowRE finds the mirror names of the mirrors table, in order.
var rowRE = regexp.MustCompile(`<th scope="row" class="name"><a href="([^"]*)">([^<]*)</a></th>`)

// tableRows returns the mirror names the table shows, unescaped, and their links.
func tableRows(body string) (names, hrefs []string) {
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		hrefs = append(hrefs, html.UnescapeString(m[1]))
		names = append(names, html.UnescapeString(m[2]))
	}
	return names, hrefs
}

func TestIndexRendersTheFleet(t *testing.T) {
	snap := fleet(statustest.Options{})
	mux := testMux(t, hubOf(snap))
	res, body := get(t, mux, "/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	h := res.Header
	for k, want := range map[string]string{"Content-Type": "text/html; charset=utf-8", "X-Content-Type-Options": "nosniff",
		"Cache-Control": "public, max-age=10", "Content-Security-Policy": csp} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if c := h.Get("Content-Security-Policy"); !strings.Contains(c, "default-src 'none'") || strings.Contains(c, "script-src") || strings.Contains(c, "unsafe-inline") {
		t.Errorf("CSP %q must forbid every script", c)
	}
	for _, want := range []string{
		`<html lang="en">`, `<h1>Mirror status`, `<h2 id="signal-h">Signal</h2>`, `<h2 id="mirrors-h">Mirrors</h2>`,
		`<h2 id="events-h">Recent publishes</h2>`, `<caption>50 of 50 mirrors`,
		// the signal header: record, serial, trees with UTC, age and epoch, DNSSEC, name servers
		snap.Signal.Record, "2026113001", "2026-11-30 11:40:00 UTC", "20 min ago", "1796038800",
		"earliest signature expiry", "2026-12-13 12:00:00 UTC", "12345, 54321",
		"ns1.mirrors.example.test.", "ns2.mirrors.example.test.", "2026112903", "lagging", "1 of 2 in step",
		// table headers, sortable ones as links
		`<th scope="col">content</th>`, `<th scope="col">altarch</th>`, `<th scope="col">vault</th>`,
		`<th scope="col">Protocols</th>`, `<th scope="col">IP</th>`, `<th scope="col">History, 14 days</th>`,
		`<a href="/?sort=name">Mirror</a>`, `<a href="/?sort=country">Country</a>`,
		`aria-sort="ascending"><a href="/?order=desc">Tier`, `<a href="/?order=desc&amp;sort=lag">Worst lag</a>`,
		// states carried by a word and a symbol, not colour alone
		`st-fresh`, `✓</span> fresh`, `◔</span> behind 5h`, `✗</span> unreachable`, `!</span> error`,
		// charts with text alternatives
		`<svg class="chart curve"`, "<desc>42 of 50 mirrors carrying content seen fresh; 50 % after 22 min 13 s",
		"tier-1 gate committed after 35 s (quorum 2 of 3)", "tier-1 mirror00.de.example.net served the stamp after 12 s",
		`<svg class="strip"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	names, _ := tableRows(body)
	if len(names) != 50 {
		t.Fatalf("%d rows, want 50", len(names))
	}
	if n := strings.Count(body, `<svg class="strip"`); n != 50 {
		t.Errorf("%d history strips, want 50", n)
	}
	if n := strings.Count(body, `<svg class="chart curve"`); n != 2 {
		t.Errorf("%d curves, want 2", n)
	}
	// Every mirror is listed once.
	want := make([]string, 0, 50)
	for _, m := range snap.Mirrors {
		want = append(want, m.Name)
	}
	slices.Sort(want)
	got := slices.Clone(names)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
}

// carrying returns the mirror's tree, or nil.
func treeOf(m *status.Mirror, tree string) *status.MirrorTree {
	mt, _ := m.Tree(tree)
	return mt
}

func TestFilters(t *testing.T) {
	snap := fleet(statustest.Options{})
	mux := testMux(t, hubOf(snap))
	for _, tc := range []struct {
		query string
		keep  func(m *status.Mirror) bool
	}{
		{"country=DE", func(m *status.Mirror) bool { return m.Country == "DE" }},
		{"country=de", func(m *status.Mirror) bool { return m.Country == "DE" }},
		{"tier=1", func(m *status.Mirror) bool { return m.Tier == 1 }},
		{"tier=3", func(m *status.Mirror) bool { return m.Tier == 3 }},
		{"tree=altarch", func(m *status.Mirror) bool { return treeOf(m, "altarch") != nil }},
		{"state=unreachable", func(m *status.Mirror) bool {
			for _, t := range m.Trees {
				if t.State == status.Unreachable {
					return true
				}
			}
			return false
		}},
		{"tree=content&state=behind", func(m *status.Mirror) bool { return treeOf(m, "content").State == status.Behind }},
		{"country=CA&state=behind&tree=content", func(m *status.Mirror) bool {
			return m.Country == "CA" && treeOf(m, "content").State == status.Behind
		}},
		{"tree=vault&state=fresh&tier=2", func(m *status.Mirror) bool {
			mt := treeOf(m, "vault")
			return m.Tier == 2 && mt != nil && mt.State == status.Fresh
		}},
		{"country=&tier=&tree=&state=&sort=&order=", func(*status.Mirror) bool { return true }},
		{"country=JP&state=inconsistent", func(*status.Mirror) bool { return false }},
	} {
		t.Run(tc.query, func(t *testing.T) {
			res, body := get(t, mux, "/?"+tc.query)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			var want []string
			for i := range snap.Mirrors {
				if tc.keep(&snap.Mirrors[i]) {
					want = append(want, snap.Mirrors[i].Name)
				}
			}
			got, _ := tableRows(body)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("rows %v, want %v", got, want)
			}
			if len(want) == 0 && !strings.Contains(body, "No mirror matches the filter.") {
				t.Error("an empty result does not say so")
			}
		})
	}
	// A tree filter shows that tree's column only, and keeps the filter in
	// the sort links.
	_, body := get(t, mux, "/?tree=altarch&country=FR")
	if strings.Contains(body, `<th scope="col">content</th>`) || !strings.Contains(body, `<th scope="col">altarch</th>`) {
		t.Error("tree=altarch should show the altarch column alone")
	}
	if !strings.Contains(body, `<a href="/?country=FR&amp;sort=name&amp;tree=altarch">Mirror</a>`) {
		t.Error("sort links lose the filters")
	}
	if !strings.Contains(body, `<option value="FR" selected>FR</option>`) {
		t.Error("the form does not show the active filter")
	}
}

// lagOf is the test's own reading of a mirror's worst lag over all trees:
// a tree in trouble without a TIME seen counts as the longest.
func lagOf(m *status.Mirror) int64 {
	var w int64
	for _, t := range m.Trees {
		l := t.LagSeconds
		if t.State != status.Fresh && t.Stamp == 0 {
			l = 1 << 62
		}
		w = max(w, l)
	}
	return w
}

func latestCheck(m *status.Mirror) time.Time {
	var c time.Time
	for _, t := range m.Trees {
		if t.Checked.After(c) {
			c = t.Checked
		}
	}
	return c
}

func TestSorting(t *testing.T) {
	snap := fleet(statustest.Options{})
	mux := testMux(t, hubOf(snap))
	mirror := func(name string) *status.Mirror { m, _ := snap.Mirror(name); return m }
	for _, tc := range []struct {
		query string
		// ordered reports whether a may come before b.
		ordered func(a, b *status.Mirror) bool
	}{
		{"sort=name", func(a, b *status.Mirror) bool { return a.Name <= b.Name }},
		{"sort=name&order=desc", func(a, b *status.Mirror) bool { return a.Name >= b.Name }},
		{"", func(a, b *status.Mirror) bool { return a.Tier < b.Tier || a.Tier == b.Tier && a.Country <= b.Country }},
		{"sort=tier&order=desc", func(a, b *status.Mirror) bool { return a.Tier >= b.Tier }},
		{"sort=country", func(a, b *status.Mirror) bool {
			return a.Country < b.Country || a.Country == b.Country && a.Name <= b.Name
		}},
		{"sort=lag&order=desc", func(a, b *status.Mirror) bool { return lagOf(a) >= lagOf(b) }},
		{"sort=lag", func(a, b *status.Mirror) bool { return lagOf(a) <= lagOf(b) }},
		{"sort=checked", func(a, b *status.Mirror) bool { return !latestCheck(a).After(latestCheck(b)) }},
		{"sort=checked&order=desc", func(a, b *status.Mirror) bool { return !latestCheck(a).Before(latestCheck(b)) }},
	} {
		t.Run(tc.query, func(t *testing.T) {
			res, body := get(t, mux, "/?"+tc.query)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			names, _ := tableRows(body)
			if len(names) != 50 {
				t.Fatalf("%d rows", len(names))
			}
			for i := 1; i < len(names); i++ {
				if !tc.ordered(mirror(names[i-1]), mirror(names[i])) {
					t.Fatalf("row %d %s before row %d %s", i-1, names[i-1], i, names[i])
				}
			}
			if strings.Contains(tc.query, "lag") && lagOf(mirror(names[0])) == lagOf(mirror(names[49])) {
				t.Fatal("the fixture's lags do not differ: the test proves nothing")
			}
		})
	}
	// The header of the sorted column flips the order.
	_, body := get(t, mux, "/?sort=lag&order=desc")
	if !strings.Contains(body, `aria-sort="descending"><a href="/?sort=lag">Worst lag`) {
		t.Error("the lag header does not offer the ascending order")
	}
}

func TestBadParameters(t *testing.T) {
	mux := testMux(t, hubOf(fleet(statustest.Options{})))
	for query, reason := range map[string]string{
		"foo=1":                             `unknown parameter "foo"`,
		"sort=lag&x=":                       `unknown parameter "x"`,
		"country=DEU":                       "country must be a two-letter",
		"country=1A":                        "country must be a two-letter",
		"country=D%C3%A9":                   "country must be a two-letter",
		"tier=0":                            "tier must be a digit from 1 to 9",
		"tier=10":                           "tier must be a digit",
		"tier=x":                            "tier must be a digit",
		"tier=+1":                           "tier must be a digit",
		"tree=nope":                         "tree must be one of content, altarch, vault",
		"state=stale":                       "state must be one of fresh, behind",
		"sort=size":                         "sort must be one of name, country, tier, lag, checked",
		"order=up":                          "order must be one of asc, desc",
		"country=DE&country=FR":             `parameter "country" given 2 times`,
		"%zz":                               "malformed query string",
		"a=1;b=2":                           "malformed query string",
		"sort=" + strings.Repeat("n", 1100): "query is longer than 1024 bytes",
		"%3Cscript%3E=1":                    `unknown parameter "<script>"`,
	} {
		t.Run(query[:min(len(query), 30)], func(t *testing.T) {
			res, body := get(t, mux, "/?"+query)
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", res.StatusCode)
			}
			if !strings.Contains(body, reason) {
				t.Errorf("reason %q lacks %q", body, reason)
			}
			if strings.Count(body, "\n") != 1 || !strings.HasSuffix(body, "\n") {
				t.Errorf("reason %q is not one line", body)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("a refusal is %q without nosniff", ct)
			}
		})
	}
	for _, target := range []string{"/mirrors/mirror00.de.example.net?x=1", "/events/x?", "/mirrors/mirror00.de.example.net?"} {
		if res, _ := get(t, mux, target); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", target, res.StatusCode)
		}
	}
}

func TestNotFound(t *testing.T) {
	mux := testMux(t, hubOf(fleet(statustest.Options{})))
	for target, reason := range map[string]string{
		"/mirrors/nope.example.net": "no such mirror", "/mirrors/%3Cscript%3E": "no such mirror",
		"/events/content-1": "no such publish event", "/events/a%2Fb": "no such publish event",
		"/static/nope.css": "no such file", "/static/..%2Fsite.go": "no such file",
	} {
		res, body := get(t, mux, target)
		if res.StatusCode != http.StatusNotFound || !strings.Contains(body, reason) {
			t.Errorf("%s: %d %q, want 404 %q", target, res.StatusCode, body, reason)
		}
	}
	res, body := get(t, mux, "/static/status.css")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(body, "prefers-color-scheme: dark") {
		t.Errorf("stylesheet: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestMirrorPages(t *testing.T) {
	for _, hostile := range []bool{false, true} {
		snap := fleet(statustest.Options{Hostile: hostile})
		// Names that are path syntax must still link to their page.
		snap.Mirrors[5].Name, snap.Mirrors[6].Name, snap.Mirrors[7].Name = "..", ".", "a/b?c#d e%"
		mux := testMux(t, hubOf(snap))
		_, index := get(t, mux, "/")
		names, hrefs := tableRows(index)
		if len(hrefs) != len(snap.Mirrors) {
			t.Fatalf("%d links", len(hrefs))
		}
		for i, href := range hrefs {
			res, body := get(t, mux, href)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s (%q): status %d %s", href, names[i], res.StatusCode, body)
			}
			if !strings.Contains(body, `<h1 class="name">`+html.EscapeString(names[i])+`</h1>`) {
				t.Fatalf("%s is not the page of %q", href, names[i])
			}
		}
	}
	snap := fleet(statustest.Options{})
	mux := testMux(t, hubOf(snap))
	m := snap.Mirrors[4] // behind on every tree
	_, body := get(t, mux, mirrorHref(m.Name))
	for _, want := range []string{
		"<caption>Freshness and service level per tree</caption>", `<th scope="col">Fresh, 7 days</th>`,
		"<h2>Tree content</h2>", "<h2>Tree altarch</h2>", "<h2>Tree vault</h2>", "<h3>Lag over 30 days</h3>",
		`<svg class="chart lag"`, "<caption>Latest probe per protocol and IP family", "<h3>Recent probes and errors</h3>",
		"◔</span> behind 5h", "95 %", "94 %", "admin04@example.net", "203.0.4.0/24", "1000 Mbit/s", "v4 v6",
		"https://mirror04.example.net/content/", "<summary>The 30 days as a table</summary>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("mirror page lacks %q", want)
		}
	}
	if n := strings.Count(body, `<svg class="chart lag"`); n != 3 {
		t.Errorf("%d lag charts, want one per tree (3)", n)
	}
	// 30 days of bars, each with a title.
	if n := strings.Count(body, "max lag"); n < 90 {
		t.Errorf("%d day titles, want ≥ 90", n)
	}
	// An unreachable mirror shows its error.
	_, body = get(t, mux, mirrorHref(snap.Mirrors[10].Name))
	if !strings.Contains(body, "dial tcp: connection refused") || !strings.Contains(body, "✗</span> unreachable") {
		t.Error("the unreachable mirror's page lacks its error")
	}
}

func TestEventPages(t *testing.T) {
	snap := fleet(statustest.Options{})
	mux := testMux(t, hubOf(snap))
	_, index := get(t, mux, "/")
	for i, ev := range snap.Events {
		if !strings.Contains(index, `href="`+eventHref(ev.ID)+`"`) {
			t.Errorf("the index does not link %s", ev.ID)
		}
		res, body := get(t, mux, eventHref(ev.ID))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", ev.ID, res.StatusCode)
		}
		for _, want := range []string{
			`<svg class="chart curve"`, `viewBox="0 0 960 380"`, `<h2 id="reached-h">Shares reached</h2>`,
			`<h2 id="gate-h">Tier-1 gate</h2>`, `<a href="/mirrors/mirror00.de.example.net">mirror00.de.example.net</a>`,
			"not seen with the stamp", "Quorum 2 of 3", "35 s after publish",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", ev.ID, want)
			}
		}
		latest := i == 0
		if strings.Contains(body, "Mirrors not fresh yet") != latest {
			t.Errorf("%s: the laggards are listed only for the tree's current stamp", ev.ID)
		}
		if latest {
			want := 0
			for _, m := range snap.Mirrors {
				if treeOf(&m, "content").State != status.Fresh {
					want++
				}
			}
			if n := strings.Count(body, `<th scope="row" class="name">`); n != want || want == 0 {
				t.Errorf("%d laggards, want %d", n, want)
			}
		}
	}
}

func TestNotLoaded(t *testing.T) {
	mux := testMux(t, status.NewHub())
	res, body := get(t, mux, "/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	for _, want := range []string{"The signal is not loaded yet.", "No mirrors yet", "No publish recorded yet.",
		"No trees yet.", "No name server is watched.", "not published yet", "no snapshot yet", "<caption>0 of 0 mirrors"} {
		if !strings.Contains(body, want) {
			t.Errorf("empty page lacks %q", want)
		}
	}
	if res, _ := get(t, mux, "/?tree=content"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a tree unknown to the empty snapshot: %d, want 400", res.StatusCode)
	}
	if res, _ := get(t, mux, "/mirrors/x"); res.StatusCode != http.StatusNotFound {
		t.Errorf("mirror on the empty snapshot: %d", res.StatusCode)
	}
	// A snapshot with mirrors but no history, probes or events renders too.
	snap := fleet(statustest.Options{})
	for i := range snap.Mirrors {
		for j := range snap.Mirrors[i].Trees {
			mt := &snap.Mirrors[i].Trees[j]
			mt.Days, mt.Probes, mt.Recent, mt.Figures, mt.State = nil, nil, nil, nil, status.Unknown
		}
	}
	snap.Events[0].Gate, snap.Events[0].Curve, snap.Events[0].Reached = nil, nil, nil
	mux = testMux(t, hubOf(snap))
	for _, target := range []string{"/", mirrorHref(snap.Mirrors[0].Name), eventHref(snap.Events[0].ID)} {
		if res, body := get(t, mux, target); res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", target, res.StatusCode, body)
		}
	}
	_, body = get(t, mux, mirrorHref(snap.Mirrors[0].Name))
	if !strings.Contains(body, "Not probed yet.") || !strings.Contains(body, "No history yet.") {
		t.Error("a mirror without history does not say so")
	}
}

// TestDefaultPageCache checks that the cached default page follows the
// hub's snapshot and the clock.
func TestDefaultPageCache(t *testing.T) {
	hub := hubOf(fleet(statustest.Options{}))
	now := hub.Current().Generated
	s := New(Options{Status: hub, Now: func() time.Time { return now }})
	mux := http.NewServeMux()
	s.Register(mux)
	_, a := get(t, mux, "/")
	_, b := get(t, mux, "/")
	if a != b {
		t.Fatal("the same snapshot and clock tick rendered twice differently")
	}
	next := fleet(statustest.Options{})
	next.Signal.Serial = 2026113099
	hub.Set(next)
	_, c := get(t, mux, "/")
	if !strings.Contains(c, "2026113099") {
		t.Fatal("the page did not follow the new snapshot")
	}
	now = now.Add(10 * time.Minute)
	_, d := get(t, mux, "/")
	if !strings.Contains(d, "30 min ago") || strings.Contains(c, "30 min ago") {
		t.Fatal("the cached page did not follow the clock")
	}
}
