package api

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/status/statustest"
)

// kind is a JSON value's type as a consumer sees it.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// kinds returns, per key, the JSON types the objects give it.
func kinds(objs ...map[string]any) map[string][]string {
	out := map[string][]string{}
	for _, o := range objs {
		for k, v := range o {
			if !slices.Contains(out[k], kind(v)) {
				out[k] = append(out[k], kind(v))
			}
		}
	}
	return out
}

func decodeObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestArchwebShape: our document has exactly the keys of archweb's, with
// the same JSON types and nesting, at the top and in every URL entry.
func TestArchwebShape(t *testing.T) {
	fixture, err := os.ReadFile("testdata/archweb-v3.json")
	if err != nil {
		t.Fatal(err)
	}
	want := decodeObject(t, fixture)
	rec := get(publicMux(fleetHub(statustest.Options{Mirrors: 50, Hostile: true})), "/mirrors/status/json/")
	got := decodeObject(t, rec.Body.Bytes())
	if !slices.Equal(keys(got), keys(want)) {
		t.Fatalf("top-level keys %v, archweb has %v", keys(got), keys(want))
	}
	for k, v := range want {
		if kind(got[k]) != kind(v) {
			t.Errorf("%s is %s, archweb's is %s", k, kind(got[k]), kind(v))
		}
	}
	var wantURLs []map[string]any
	for _, u := range want["urls"].([]any) {
		wantURLs = append(wantURLs, u.(map[string]any))
	}
	allowed := kinds(wantURLs...)
	urls := got["urls"].([]any)
	if len(urls) == 0 {
		t.Fatal("no urls")
	}
	seen := map[string]bool{}
	for i, u := range urls {
		o, ok := u.(map[string]any)
		if !ok {
			t.Fatalf("urls[%d] is %s, want object", i, kind(u))
		}
		if !slices.Equal(keys(o), keys(wantURLs[0])) {
			t.Fatalf("urls[%d] keys %v, archweb has %v", i, keys(o), keys(wantURLs[0]))
		}
		for k, v := range o {
			if !slices.Contains(allowed[k], kind(v)) {
				t.Errorf("urls[%d].%s is %s, archweb's is %v", i, k, kind(v), allowed[k])
			}
			seen[k+"="+kind(v)] = true
		}
	}
	// The fleet has mirrors both with and without a TIME read: each
	// nullable field shows both forms.
	for _, k := range []string{"last_sync", "delay", "duration_avg", "duration_stddev", "score"} {
		if !seen[k+"=null"] || !seen[k+"="+allowed[k][0]] {
			t.Errorf("%s never shows both null and a value", k)
		}
	}
}

// TestArchwebFields: each field's value derives from the snapshot as the
// README says.
func TestArchwebFields(t *testing.T) {
	snap := stable(statustest.Fleet(statustest.Options{Mirrors: 50, Now: fleetNow}))
	doc := ArchwebOf(snap, ArchwebOptions{Tree: "content", CheckInterval: 10 * time.Minute, ISOTree: "vault", DetailsBase: "https://m.example.org"}, 0)
	if doc.Version != 3 || doc.Cutoff != 86400 || doc.CheckFrequency != 600 || doc.NumChecks != 144 {
		t.Fatalf("header %+v", doc)
	}
	if _, err := time.Parse(archwebTime, doc.LastCheck); err != nil {
		t.Fatalf("last_check %q: %v", doc.LastCheck, err)
	}
	entries := 0
	for _, m := range snap.Mirrors {
		if mt, ok := m.Tree("content"); ok {
			entries += len(mt.URLs)
		}
	}
	if len(doc.URLs) != entries {
		t.Fatalf("%d urls, want one per mirror and protocol: %d", len(doc.URLs), entries)
	}
	byURL := map[string]apiv1.ArchwebURL{}
	for _, u := range doc.URLs {
		byURL[u.URL] = u
		if u.CompletionPct < 0 || u.CompletionPct > 1 || u.URL[len(u.URL)-1] != '/' || !u.Active {
			t.Errorf("%s: %+v", u.URL, u)
		}
		if (u.Score == nil) != (u.Delay == nil) {
			t.Errorf("%s: score %v with delay %v", u.URL, u.Score, u.Delay)
		}
		if u.Score != nil {
			want := (float64(*u.Delay)/3600 + *u.DurationAvg + *u.DurationStddev) / u.CompletionPct
			if math.Abs(*u.Score-want) > 1e-9 {
				t.Errorf("%s: score %v, want %v", u.URL, *u.Score, want)
			}
		}
	}
	check := func(name, proto string, f func(m *status.Mirror, mt *status.MirrorTree, u apiv1.ArchwebURL)) {
		t.Helper()
		m, _ := snap.Mirror(name)
		mt, _ := m.Tree("content")
		u, ok := byURL[mt.URLs[proto]]
		if !ok {
			t.Fatalf("no entry for %s %s", name, proto)
		}
		f(m, mt, u)
	}
	// A fresh mirror: full completion, no delay, last_sync the TIME seen.
	check("mirror00.de.example.net", "https", func(m *status.Mirror, mt *status.MirrorTree, u apiv1.ArchwebURL) {
		if u.CompletionPct != 1 || *u.Delay != 0 || *u.LastSync != time.Unix(mt.Stamp, 0).UTC().Format(archwebTime) ||
			u.Country != "Germany" || u.CountryCode != "DE" || !u.ISOs || !u.IPv4 || !u.IPv6 ||
			u.Details != "https://m.example.org/api/v1/mirrors/mirror00.de.example.net" || *u.DurationStddev != 0 {
			t.Errorf("fresh mirror: %+v", u)
		}
	})
	// A mirror behind: delay is its lag.
	check("mirror04.ca.example.net", "http", func(m *status.Mirror, mt *status.MirrorTree, u apiv1.ArchwebURL) {
		if *u.Delay != mt.LagSeconds || mt.LagSeconds == 0 || u.Country != "Canada" {
			t.Errorf("behind mirror: delay %d, lag %d", *u.Delay, mt.LagSeconds)
		}
	})
	// Unreachable: probed, never answered: 0 % complete, nulls.
	check("mirror10.de.example.net", "https", func(m *status.Mirror, mt *status.MirrorTree, u apiv1.ArchwebURL) {
		if u.CompletionPct != 0 || u.LastSync != nil || u.Delay != nil || u.Score != nil || u.DurationAvg != nil {
			t.Errorf("unreachable mirror: %+v", u)
		}
	})
	// A mirror without declared families: IPv4 only; not carrying vault: no ISOs.
	check("mirror02.nl.example.net", "https", func(m *status.Mirror, mt *status.MirrorTree, u apiv1.ArchwebURL) {
		if !u.IPv4 || u.IPv6 || u.ISOs {
			t.Errorf("mirror02: ipv4 %v ipv6 %v isos %v", u.IPv4, u.IPv6, u.ISOs)
		}
	})
	// Tier filter.
	for _, u := range ArchwebOf(snap, ArchwebOptions{}, 1).URLs {
		if u.CountryCode != "DE" && u.CountryCode != "FR" && u.CountryCode != "NL" {
			t.Errorf("tier 1 lists %s", u.URL)
		}
	}
	if n := len(ArchwebOf(snap, ArchwebOptions{}, 1).URLs); n != 8 {
		t.Errorf("tier 1: %d urls, want 8 (mirrors 0 and 2 with http, https, rsync; 1 without http)", n)
	}
}

// TestArchwebCompletion: completion is the share of the protocol's checks
// within the cutoff that read a TIME; older results do not count.
func TestArchwebCompletion(t *testing.T) {
	now := fleetNow
	at := func(ago time.Duration) time.Time { return now.Add(-ago) }
	mt := status.MirrorTree{Tree: "content", URLs: map[string]string{"https": "https://x.example/c"},
		Probes: []status.Probe{{Proto: "https", State: status.Fresh, At: at(time.Minute), Stamp: 100, LatencySeconds: 0.1}},
		Recent: []status.Probe{
			{Proto: "https", State: status.Fresh, At: at(time.Minute), Stamp: 100, LatencySeconds: 0.1}, // the same as Probes[0]
			{Proto: "https", State: status.Unreachable, At: at(time.Hour)},
			{Proto: "https", State: status.Behind, At: at(2 * time.Hour), Stamp: 90, LagSeconds: 7200, LatencySeconds: 0.3},
			{Proto: "http", State: status.Error, At: at(2 * time.Hour)},
			{Proto: "https", State: status.Error, At: at(25 * time.Hour)}, // beyond the cutoff
		}}
	snap := &status.Snapshot{Generated: now, Trees: []status.Tree{{Name: "content"}},
		Mirrors: []status.Mirror{{Name: "x", Country: "ZZ", Trees: []status.MirrorTree{mt}}}}
	doc := ArchwebOf(snap, ArchwebOptions{}, 0)
	if len(doc.URLs) != 1 {
		t.Fatalf("%d urls", len(doc.URLs))
	}
	u := doc.URLs[0]
	if math.Abs(u.CompletionPct-2.0/3) > 1e-9 || *u.Delay != 3600 || math.Abs(*u.DurationAvg-0.2) > 1e-9 || math.Abs(*u.DurationStddev-0.1) > 1e-9 {
		t.Fatalf("completion %v delay %v avg %v stddev %v; want 2/3, 3600, 0.2, 0.1", u.CompletionPct, *u.Delay, *u.DurationAvg, *u.DurationStddev)
	}
	if *u.LastSync != time.Unix(100, 0).UTC().Format(archwebTime) || u.URL != "https://x.example/c/" || u.Country != "" || u.CountryCode != "ZZ" {
		t.Fatalf("entry %+v", u)
	}
	if doc.LastCheck != at(time.Minute).Format(archwebTime) {
		t.Fatalf("last_check %s", doc.LastCheck)
	}
}
