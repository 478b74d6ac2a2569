package web

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/status/statustest"
)

// tagRE finds the start of a tag.
var tagRE = regexp.MustCompile(`<[a-zA-Z][a-zA-Z0-9:-]*`)

// handlerAttrs returns the event-handler attributes (on…) of body's tags.
// It reads attributes as html/template writes them: name="value", the
// value without a raw quote; an unquoted value is reported too.
func handlerAttrs(body string) []string {
	var found []string
	for _, loc := range tagRE.FindAllStringIndex(body, -1) {
		rest := body[loc[1]:]
		for {
			rest = strings.TrimLeft(rest, " \t\r\n/")
			if rest == "" || rest[0] == '>' {
				break
			}
			end := strings.IndexAny(rest, "= \t\r\n>")
			if end < 0 {
				break
			}
			name := strings.ToLower(rest[:end])
			if strings.HasPrefix(name, "on") {
				found = append(found, name)
			}
			rest = rest[end:]
			if rest[0] != '=' {
				continue
			}
			if len(rest) < 2 || rest[1] != '"' {
				if !strings.HasPrefix(name, "on") {
					found = append(found, name+" (unquoted)")
				}
				break
			}
			close := strings.IndexByte(rest[2:], '"')
			if close < 0 {
				found = append(found, name+" (unterminated)")
				break
			}
			rest = rest[2+close+1:]
		}
	}
	return found
}

// hostilePages renders every page of the hostile fleet, with a hostile
// gate host and name server too.
func hostilePages(t *testing.T) map[string]string {
	snap := fleet(statustest.Options{Hostile: true})
	for i := range snap.Events {
		snap.Events[i].Gate.Hosts[2].Host = statustest.Hostile[2]
	}
	snap.NameServers[1].Name = statustest.Hostile[0]
	snap.NameServers[1].Err = statustest.Hostile[1]
	snap.Signal.Record = statustest.Hostile[1]
	mux := testMux(t, hubOf(snap))
	pages := map[string]string{}
	targets := []string{"/", "/?sort=name&order=desc", "/?tree=content&state=error"}
	for i := range statustest.Hostile {
		targets = append(targets, mirrorHref(snap.Mirrors[i].Name))
	}
	for _, ev := range snap.Events {
		targets = append(targets, eventHref(ev.ID))
	}
	for _, target := range targets {
		res, body := get(t, mux, target)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", target, res.StatusCode, body)
		}
		pages[target] = body
	}
	return pages
}

// TestHostileStringsAreEscaped renders the hostile fixture: its markup,
// quotes and "]]>" never reach the HTML or the SVG raw, but are shown,
// escaped, as text.
func TestHostileStringsAreEscaped(t *testing.T) {
	for target, body := range hostilePages(t) {
		for _, h := range statustest.Hostile {
			if strings.Contains(body, h) {
				t.Errorf("%s: %q appears raw", target, h)
			}
		}
		for _, bad := range []string{"<script", "]]>", "<svg onload", "</title><svg"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: holds %q", target, bad)
			}
		}
		if a := handlerAttrs(body); len(a) != 0 {
			t.Errorf("%s: event handler or broken attributes: %q", target, a)
		}
	}
	pages := hostilePages(t)
	index := pages["/"]
	for _, h := range statustest.Hostile {
		if !strings.Contains(index, html.EscapeString(h)) {
			t.Errorf("the index does not show %q escaped (%q)", h, html.EscapeString(h))
		}
	}
	// The hostile name as the mirror page's heading, and inside SVG titles.
	m0 := pages[mirrorHref(statustest.Hostile[0])]
	if !strings.Contains(m0, `<h1 class="name">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</h1>`) {
		t.Error("the hostile mirror's heading is not escaped text")
	}
	if !strings.Contains(m0, "bad TIME: &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("the hostile error is not shown escaped")
	}
	// Links to hostile names are path-escaped, and the SVG of the event
	// page carries the hostile gate host escaped in a <title>.
	if !strings.Contains(index, `href="/mirrors/%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E"`) {
		t.Error("the hostile mirror's link is not path-escaped")
	}
	var ev string
	for target, body := range pages {
		if strings.HasPrefix(target, "/events/") {
			ev = body
		}
	}
	if !strings.Contains(ev, "&lt;/title&gt;&lt;svg onload=alert(1)&gt;") {
		t.Error("the hostile gate host is not shown escaped")
	}
}

// TestEscapingOfUntrustedURL checks that a javascript: URL from a mirror's
// configuration never becomes a live link.
func TestEscapingOfUntrustedURL(t *testing.T) {
	snap := fleet(statustest.Options{})
	snap.Mirrors[0].Trees[0].URLs["https"] = "javascript:alert(1)"
	snap.Mirrors[0].Trees[0].State = status.Fresh
	_, body := get(t, testMux(t, hubOf(snap)), mirrorHref(snap.Mirrors[0].Name))
	if strings.Contains(body, `href="javascript:`) {
		t.Fatal("a javascript: URL became a link")
	}
	if !strings.Contains(body, "#ZgotmplZ") {
		t.Fatal("the unsafe URL was not replaced")
	}
}

// TestHandlerAttrs proves the scanner finds what it must.
func TestHandlerAttrs(t *testing.T) {
	for body, want := range map[string]int{
		`<svg onload=alert(1)>`:                     1,
		`<td title="x onload=y" class="a">`:         0,
		`<img src="a" onerror="b">`:                 1,
		`<p>a onload= b</p><a href="/" ONCLICK="">`: 1,
	} {
		if got := len(handlerAttrs(body)); got != want {
			t.Errorf("%s: %d found, want %d", body, got, want)
		}
	}
}
