package sigquery

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func record(t *testing.T, layout, txt string) signal.Record {
	t.Helper()
	l, err := signal.ParseLayout(layout)
	if err != nil {
		t.Fatal(err)
	}
	r, err := signal.ParseRecord(txt, l)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRenderGolden renders the README's sample: the golden file is the
// output shown there for `signalctl query`.
func TestRenderGolden(t *testing.T) {
	a := Answer{
		Name:   "current.mirrors.example.test.",
		Server: "127.0.0.1:5353",
		Record: record(t, "content:altarch:vault", "1795440000:0:1795000000"),
		Serial: 1795448411,
	}
	now := time.Unix(1795440000, 0).Add(2*time.Hour + 20*time.Minute + 10*time.Second)
	var b strings.Builder
	if err := Render(&b, a, now); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "readme.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("Render:\n%s\nwant (%s):\n%s", b.String(), golden, want)
	}
}

func TestRender(t *testing.T) {
	base := time.Unix(1700000000, 0)
	tests := []struct {
		name   string
		layout string
		txt    string
		now    time.Time
		want   string
	}{
		{"never published", "content:vault", "0:0", base,
			`signal s.test. from 192.0.2.1:53: "0:0" (serial 7)
content  0  never published
vault    0  never published
`},
		{"sub-second age truncated", "content", "1700000000", base.Add(1500 * time.Millisecond),
			`signal s.test. from 192.0.2.1:53: "1700000000" (serial 7)
content  1700000000  2023-11-14T22:13:20Z  1s ago
`},
		{"just published", "a:longer-tree", "1700000000:0", base,
			`signal s.test. from 192.0.2.1:53: "1700000000:0" (serial 7)
a            1700000000  2023-11-14T22:13:20Z  0s ago
longer-tree  0           never published
`},
		{"stamp ahead of now", "content", "1700000060", base,
			`signal s.test. from 192.0.2.1:53: "1700000060" (serial 7)
content  1700000060  2023-11-14T22:14:20Z  -1m0s ago
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Answer{Name: "s.test.", Server: "192.0.2.1:53", Record: record(t, tt.layout, tt.txt), Serial: 7}
			var b strings.Builder
			if err := Render(&b, a, tt.now); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

// TestREADMEShowsRender keeps README.md's sample of `signalctl query` true.
func TestREADMEShowsRender(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Skipf("no README.md: %v", err)
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "readme.golden"))
	if err != nil {
		t.Fatal(err)
	}
	indented := "    " + strings.ReplaceAll(strings.TrimSuffix(string(golden), "\n"), "\n", "\n    ") + "\n"
	if !strings.Contains(string(readme), indented) {
		t.Errorf("README.md lacks the sample output of signalctl query:\n%s", indented)
	}
}
