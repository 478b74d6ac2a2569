package status_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/status/statustest"
)

// seal wraps any JSON value in an envelope with a correct digest, so a
// test reaches the checks behind the digest.
func seal(t testing.TB, format int, snapshot any) []byte {
	t.Helper()
	body, err := json.Marshal(snapshot)
	if err != nil {
		t.Fatal(err)
	}
	return sealBytes(format, body)
}

func sealBytes(format int, body []byte) []byte {
	sum := sha256.Sum256(body)
	return fmt.Appendf(nil, `{"format":%d,"sha256":"%s","snapshot":%s}`, format, hex.EncodeToString(sum[:]), body)
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, hostile := range []bool{false, true} {
		t.Run(fmt.Sprintf("hostile=%v", hostile), func(t *testing.T) {
			want := statustest.Fleet(statustest.Options{Hostile: hostile})
			b, err := status.Encode(want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte(`{"format":1,"sha256":"`)) || !bytes.HasSuffix(b, []byte("}\n")) {
				t.Fatalf("envelope shape: %.80s … %q", b, b[len(b)-4:])
			}
			got, err := status.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(want)
				t.Fatalf("round trip differs:\n got %.300s\nwant %.300s", gj, wj)
			}
			again, err := status.Encode(got)
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs (err %v)", err)
			}
		})
	}
}

// TestDecodeDigestCoversSnapshotBytes checks the documented digest: the
// SHA-256 of the snapshot value's bytes as they stand in the document.
func TestDecodeDigestCoversSnapshotBytes(t *testing.T) {
	b, err := status.Encode(statustest.Fleet(statustest.Options{Mirrors: 3}))
	if err != nil {
		t.Fatal(err)
	}
	const prefixLen = len(`{"format":1,"sha256":"`)
	digest := string(b[prefixLen : prefixLen+64])
	body := b[prefixLen+64+len(`","snapshot":`) : len(b)-len("}\n")]
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != digest {
		t.Fatalf("sha256 of the snapshot bytes is not the declared %s", digest)
	}
	// Whitespace around the envelope's values is JSON and still reads.
	spaced := bytes.Replace(b, []byte(`"snapshot":`), []byte("\"snapshot\" :\n  "), 1)
	if _, err := status.Decode(spaced); err != nil {
		t.Fatalf("reformatted envelope refused: %v", err)
	}
}

func TestDecodeRefusesCorruption(t *testing.T) {
	good, err := status.Encode(statustest.Fleet(statustest.Options{Mirrors: 5}))
	if err != nil {
		t.Fatal(err)
	}
	digestAt := bytes.Index(good, []byte(`"sha256":"`)) + len(`"sha256":"`)
	bodyAt := bytes.Index(good, []byte(`"snapshot":`)) + len(`"snapshot":`)
	flip := func(at int) []byte {
		b := bytes.Clone(good)
		b[at] ^= 0x01
		return b
	}
	// A digit of the record inside the snapshot: still valid JSON.
	recordDigit := bytes.Index(good, []byte(`"record":"`)) + len(`"record":"`) + 3
	tooFresh := statustest.Fleet(statustest.Options{Mirrors: 5})
	tooFresh.Format = 2
	tests := []struct {
		name, want string
		b          []byte
	}{
		{"flipped byte in the snapshot", "sha256 mismatch", flip(recordDigit)},
		{"flipped byte in the middle", "", flip(bodyAt + (len(good)-bodyAt)/2)},
		{"flipped byte in the digest", "sha256 mismatch", flip(digestAt + 10)},
		{"truncated to half", "truncated", good[:len(good)/2]},
		{"truncated before the last brace", "truncated", good[:len(good)-2]},
		{"truncated inside the envelope", "truncated", good[:10]},
		{"empty", "truncated", nil},
		{"not JSON", "envelope", []byte("<html>502 Bad Gateway</html>")},
		{"JSON array", "envelope", []byte("[1,2]")},
		{"format 2", "format 2, this build reads format 1", bytes.Replace(good, []byte(`"format":1`), []byte(`"format":2`), 1)},
		{"format missing", "format 0", bytes.Replace(good, []byte(`"format":1,`), nil, 1)},
		{"snapshot of format 2", "format: 2, this build reads 1", seal(t, 1, tooFresh)},
		{"digest upper case", "not 64 lowercase hex", bytes.Replace(good, good[digestAt:digestAt+64], []byte(strings.ToUpper(string(good[digestAt:digestAt+64]))), 1)},
		{"digest short", "not 64 lowercase hex", bytes.Replace(good, good[digestAt:digestAt+64], good[digestAt:digestAt+63], 1)},
		{"digest of another snapshot", "sha256 mismatch", bytes.Replace(good, good[digestAt:digestAt+64], []byte(strings.Repeat("ab", 32)), 1)},
		{"no snapshot", "no snapshot", []byte(`{"format":1,"sha256":"` + strings.Repeat("0", 64) + `"}`)},
		{"unknown envelope key", "unknown field", bytes.Replace(good, []byte(`{"format":1,`), []byte(`{"format":1,"signature":"x",`), 1)},
		{"data after the envelope", "data after the envelope", append(bytes.Clone(good), `{"format":1}`...)},
		{"two documents", "data after the envelope", append(bytes.Clone(good), good...)},
		{"snapshot null", "format: 0", sealBytes(1, []byte("null"))},
		{"snapshot not an object", "snapshot:", sealBytes(1, []byte(`"x"`))},
		{"snapshot with a wrong type", "snapshot:", sealBytes(1, []byte(`{"format":1,"mirrors":[{"tier":"one"}]}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := status.Decode(tt.b)
			if err == nil {
				t.Fatalf("accepted: %+v", s.Signal)
			}
			if !errors.Is(err, status.ErrExport) {
				t.Errorf("error does not wrap ErrExport: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// TestValidateExport breaks one rule at a time in a good fleet: Encode
// refuses it, and Decode refuses it sealed with a correct digest.
func TestValidateExport(t *testing.T) {
	tests := []struct {
		name, want string
		mutate     func(s *status.Snapshot)
	}{
		{"duplicate mirror names", `mirrors[4].name: "mirror01.fr.example.net" appears twice`, func(s *status.Snapshot) { s.Mirrors[4].Name = s.Mirrors[1].Name }},
		{"empty mirror name", "mirrors[2].name: empty", func(s *status.Snapshot) { s.Mirrors[2].Name = "" }},
		{"unknown tree state", `mirrors[0].trees[0].state: "great" is not a known state`, func(s *status.Snapshot) { s.Mirrors[0].Trees[0].State = "great" }},
		{"empty tree state", `mirrors[0].trees[0].state: "" is not`, func(s *status.Snapshot) { s.Mirrors[0].Trees[0].State = "" }},
		{"unknown notified state", "mirrors[1].trees[0].notified", func(s *status.Snapshot) { s.Mirrors[1].Trees[0].Notified = "ok" }},
		{"unknown probe state", "mirrors[1].trees[0].probes[0].state", func(s *status.Snapshot) { s.Mirrors[1].Trees[0].Probes[0].State = "up" }},
		{"unknown recent state", "mirrors[1].trees[0].recent[0].state", func(s *status.Snapshot) { s.Mirrors[1].Trees[0].Recent[0].State = "up" }},
		{"unknown day state", "mirrors[1].trees[0].days[3].worst", func(s *status.Snapshot) { s.Mirrors[1].Trees[0].Days[3].Worst = "meh" }},
		{"mirror tree not in the signal", `mirrors[0].trees[1].tree: "debug" is not a tree of the signal`, func(s *status.Snapshot) { s.Mirrors[0].Trees[1].Tree = "debug" }},
		{"mirror tree twice", `mirrors[0].trees[1].tree: "content" appears twice`, func(s *status.Snapshot) { s.Mirrors[0].Trees[1].Tree = "content" }},
		{"negative tier", "mirrors[3]: tier -1", func(s *status.Snapshot) { s.Mirrors[3].Tier = -1 }},
		{"record has too few fields", "signal.record: 2 fields for 3 trees", func(s *status.Snapshot) { s.Signal.Record = "1:2" }},
		{"record field not canonical", `field 2 "01" is not a canonical`, func(s *status.Snapshot) {
			f := strings.Split(s.Signal.Record, ":")
			s.Signal.Record = f[0] + ":01:" + f[2]
		}},
		{"record field signed", `field 1 "+`, func(s *status.Snapshot) { s.Signal.Record = "+" + s.Signal.Record }},
		{"tree stamp disagrees with the record", "trees[1].stamp", func(s *status.Snapshot) { s.Trees[1].Stamp++ }},
		{"tree twice", `trees[2].name: "content" appears twice`, func(s *status.Snapshot) { s.Trees[2].Name = "content" }},
		{"tree name with a colon", "holds a colon", func(s *status.Snapshot) { s.Trees[0].Name = "a:b" }},
		{"no trees", "trees: none", func(s *status.Snapshot) { s.Trees = nil }},
		{"count of an unknown state", `trees[0].counts: "gone"`, func(s *status.Snapshot) { s.Trees[0].Counts["gone"] = 1 }},
		{"negative count", "trees[0].counts", func(s *status.Snapshot) { s.Trees[0].Counts[status.Fresh] = -1 }},
		{"not loaded", "signal.loaded", func(s *status.Snapshot) { s.Signal.Loaded = false }},
		{"no zone", "signal: zone and name", func(s *status.Snapshot) { s.Signal.Zone = "" }},
		{"not generated", "generated: missing", func(s *status.Snapshot) { s.Generated = time.Time{} }},
		{"name server state", "nameservers[1].state", func(s *status.Snapshot) { s.NameServers[1].State = "fine" }},
		{"duplicate event id", `events[1].id: "`, func(s *status.Snapshot) { s.Events[1].ID = s.Events[0].ID }},
		{"event without id", "events[0]: id and tree", func(s *status.Snapshot) { s.Events[0].ID = "" }},
		{"duplicate repo", `repos[2]: repo "baseos-9" arch "x86_64" appears twice`, func(s *status.Snapshot) { s.Repos[2].Name, s.Repos[2].Arch = s.Repos[0].Name, s.Repos[0].Arch }},
		{"repo of an unknown tree", "repos[1].tree", func(s *status.Snapshot) { s.Repos[1].Tree = "nope" }},
		{"repo without arch", "repos[3]: name and arch", func(s *status.Snapshot) { s.Repos[3].Arch = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := statustest.Fleet(statustest.Options{Mirrors: 12})
			if err := status.ValidateExport(s); err != nil {
				t.Fatalf("the unbroken fleet is refused: %v", err)
			}
			tt.mutate(s)
			if _, err := status.Encode(s); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Encode: error %v, want one saying %q", err, tt.want)
			}
			_, err := status.Decode(seal(t, status.Format, s))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, status.ErrExport) {
				t.Errorf("Decode: error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestDecodeIgnoresNewSnapshotFields: a primary may add snapshot fields
// without a new format, and older replicas still read it.
func TestDecodeIgnoresNewSnapshotFields(t *testing.T) {
	want := statustest.Fleet(statustest.Options{Mirrors: 4})
	body, _ := json.Marshal(want)
	body = append([]byte(`{"added_later":{"x":[1,2]},`), body[1:]...)
	got, err := status.Decode(sealBytes(1, body))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("snapshot with a new field decoded differently")
	}
}

func TestEncodeRefusesNil(t *testing.T) {
	if _, err := status.Encode(nil); !errors.Is(err, status.ErrExport) {
		t.Fatalf("Encode(nil): %v", err)
	}
}

// checkDecoded is the fuzz targets' property: whatever Decode accepts
// is valid and encodes back to an export that decodes the same.
func checkDecoded(t *testing.T, b []byte) {
	s, err := status.Decode(b)
	if err != nil {
		if !errors.Is(err, status.ErrExport) {
			t.Fatalf("error does not wrap ErrExport: %v", err)
		}
		return
	}
	if err := status.ValidateExport(s); err != nil {
		t.Fatalf("Decode accepted what ValidateExport refuses: %v", err)
	}
	again, err := status.Encode(s)
	if err != nil {
		t.Fatalf("Encode of a decoded snapshot: %v", err)
	}
	s2, err := status.Decode(again)
	if err != nil {
		t.Fatalf("Decode of a re-encoded snapshot: %v", err)
	}
	j1, _ := json.Marshal(s)
	j2, _ := json.Marshal(s2)
	if !bytes.Equal(j1, j2) {
		t.Fatalf("re-encoding changed the snapshot:\n%s\n%s", j1, j2)
	}
}

// minimal is a small valid snapshot: the fuzzer minimizes every
// interesting input, and with a fleet-sized seed (kilobytes) that leaves
// no time to fuzz.
const minimal = `{"format":1,"generated":"2026-01-01T00:00:00Z","signal":{"zone":"z.","name":"c.z.","record":"0:1767225600","loaded":true},` +
	`"nameservers":[{"name":"ns.z.","state":"lagging"}],"trees":[{"name":"t","stamp":0,"counts":{"fresh":1}},{"name":"u","stamp":1767225600}],` +
	`"mirrors":[{"name":"m<&>","tier":1,"trees":[{"tree":"t","state":"fresh","notified":"behind","probes":[{"protocol":"https","state":"error"}],"days":[{"worst":"unknown"}]}]}],` +
	`"events":[{"id":"t-1","tree":"t"}],"repos":[{"name":"r","arch":"a","tree":"u"}]}`

func FuzzDecode(f *testing.F) {
	good := sealBytes(status.Format, []byte(minimal))
	if _, err := status.Decode(good); err != nil {
		f.Fatalf("seed refused: %v", err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(sealBytes(2, []byte(minimal)))
	f.Add([]byte(`{"format":1,"sha256":"","snapshot":{}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(checkDecoded)
}

// FuzzDecodeSnapshot seals the fuzzed snapshot bytes with a correct
// digest, so the fuzzer explores the snapshot's decoding and checks.
func FuzzDecodeSnapshot(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(`{"format":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecoded(t, sealBytes(status.Format, body))
	})
}
