package repomd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFixtures(t *testing.T) {
	v1, err := Parse(fixture(t, "repomd-v1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if v1.Revision != "1700000000" || len(v1.Data) != 3 || v1.Data[0].Type != "filelists" ||
		v1.Data[2].Type != "primary" || v1.Data[2].Timestamp != 1700000000 || v1.Data[2].ChecksumType != "sha256" {
		t.Fatalf("v1: %+v", v1)
	}
	layout, err := Parse(fixture(t, "repomd-v1-layout.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if layout.Fingerprint() != v1.Fingerprint() {
		t.Errorf("the same content laid out differently has another fingerprint:\n%+v\n%+v", layout, v1)
	}
	seen := map[string]string{}
	for _, name := range []string{"repomd-v1.xml", "repomd-v2.xml", "repomd-v3.xml"} {
		r, err := Parse(fixture(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if other, dup := seen[r.Fingerprint()]; dup {
			t.Errorf("%s and %s share a fingerprint", name, other)
		}
		seen[r.Fingerprint()] = name
	}
}

func TestParseRefuses(t *testing.T) {
	const sum = "5a1ea6e8c4b0de4d8e3e21c7ad0ffcc0a1f8d5a9f2b44bb8f1d2bb65c9d7e0a1"
	data := func(inner string) string {
		return `<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1</revision>` + inner + `</repomd>`
	}
	good := `<data type="primary"><checksum type="sha256">` + sum + `</checksum><timestamp>1</timestamp></data>`
	if _, err := Parse([]byte(data(good))); err != nil {
		t.Fatalf("the base case fails: %v", err)
	}
	for _, tc := range []struct{ name, doc string }{
		{"empty", ""},
		{"html", "<html><body>Not Found</body></html>"},
		{"no namespace", `<repomd><data type="primary"><checksum type="sha256">` + sum + `</checksum></data></repomd>`},
		{"other namespace", `<repomd xmlns="urn:x">` + good + `</repomd>`},
		{"no data", data("")},
		{"truncated", data(good)[:120]},
		{"two revisions", data("<revision>2</revision>" + good)},
		{"duplicate type", data(good + good)},
		{"no type", data(`<data><checksum type="sha256">` + sum + `</checksum></data>`)},
		{"space in type", data(`<data type="pri mary"><checksum type="sha256">` + sum + `</checksum></data>`)},
		{"no checksum", data(`<data type="primary"><timestamp>1</timestamp></data>`)},
		{"two checksums", data(`<data type="primary"><checksum type="sha256">` + sum + `</checksum><checksum type="sha256">` + sum + `</checksum></data>`)},
		{"unknown checksum type", data(`<data type="primary"><checksum type="crc32">` + sum + `</checksum></data>`)},
		{"short digest", data(`<data type="primary"><checksum type="sha256">` + sum[:60] + `</checksum></data>`)},
		{"not hex", data(`<data type="primary"><checksum type="sha256">` + strings.Repeat("z", 64) + `</checksum></data>`)},
		{"bad timestamp", data(`<data type="primary"><checksum type="sha256">` + sum + `</checksum><timestamp>soon</timestamp></data>`)},
		{"NaN timestamp", data(`<data type="primary"><checksum type="sha256">` + sum + `</checksum><timestamp>NaN</timestamp></data>`)},
		{"negative timestamp", data(`<data type="primary"><checksum type="sha256">` + sum + `</checksum><timestamp>-1</timestamp></data>`)},
		{"undefined entity", data(`<data type="&x;"><checksum type="sha256">` + sum + `</checksum></data>`)},
		{"latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?>` + data(good)},
		{"second root", data(good) + data(good)},
		{"text after root", data(good) + "junk"},
		{"too big", data(good) + "<!--" + strings.Repeat("x", MaxSize) + "-->"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse([]byte(tc.doc))
			if !errors.Is(err, ErrBad) {
				t.Fatalf("got %+v, %v; want ErrBad", r, err)
			}
		})
	}
}

// FuzzParseRepomd checks that Parse never panics, and that what it
// accepts is well formed and fingerprints the same every time.
func FuzzParseRepomd(f *testing.F) {
	for _, name := range []string{"repomd-v1.xml", "repomd-v1-layout.xml"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`<repomd xmlns="http://linux.duke.edu/metadata/repo"><data type="a"><checksum type="md5">00000000000000000000000000000000</checksum></data></repomd>`))
	f.Add([]byte("<html/>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrBad) {
				t.Fatalf("error without ErrBad: %v", err)
			}
			return
		}
		if len(r.Data) == 0 {
			t.Fatal("accepted without data")
		}
		for i, d := range r.Data {
			if d.Type == "" || len(d.Checksum) != digestLen[d.ChecksumType] || d.Timestamp < 0 {
				t.Fatalf("accepted a bad entry: %+v", d)
			}
			if i > 0 && r.Data[i-1].Type >= d.Type {
				t.Fatalf("entries not sorted and unique: %+v", r.Data)
			}
		}
		again, err := Parse(b)
		if err != nil || again.Fingerprint() != r.Fingerprint() {
			t.Fatalf("parsed twice differently: %v", err)
		}
	})
}
