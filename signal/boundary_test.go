package signal

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestCheckFutureAtTheLimit: a stamp exactly skew after now is allowed; one
// second later is not.
func TestCheckFutureAtTheLimit(t *testing.T) {
	now := time.Unix(1488372781, 0)
	skew := 5 * time.Minute
	limit := now.Add(skew).Unix()
	at := Record{Layout: centos, Stamps: []int64{0, limit, 0}}
	if err := at.CheckFuture(now, skew); err != nil {
		t.Fatalf("stamp at now+skew refused: %v", err)
	}
	past := Record{Layout: centos, Stamps: []int64{0, limit + 1, 0}}
	if err := past.CheckFuture(now, skew); err == nil {
		t.Fatal("stamp one second past now+skew accepted")
	}
}

// TestRecordShorterThanLayout: a Record built by hand with fewer stamps than
// trees does not panic; the trees without a stamp are unknown and never
// behind.
func TestRecordShorterThanLayout(t *testing.T) {
	r := Record{Layout: centos, Stamps: []int64{1488372781}}
	if got := r.Behind(nil); !reflect.DeepEqual(got, []string{"content"}) {
		t.Fatalf("Behind = %v, want [content]", got)
	}
	tests := []struct {
		tree  string
		want  int64
		found bool
	}{
		{"content", 1488372781, true},
		{"altarch", 0, false}, // in the layout, beyond the stamps
		{"vault", 0, false},
		{"unknown", 0, false},
	}
	for _, tc := range tests {
		if v, ok := r.Stamp(tc.tree); v != tc.want || ok != tc.found {
			t.Errorf("Stamp(%q) = %d, %v; want %d, %v", tc.tree, v, ok, tc.want, tc.found)
		}
	}
	full := NewRecord(centos)
	full.Stamps[2] = 7
	if v, ok := full.Stamp("vault"); v != 7 || !ok {
		t.Errorf("Stamp(vault) of a full record = %d, %v; want 7, true", v, ok)
	}
}

// TestLayoutLimits: the largest layout and the longest name are accepted,
// one more is not; the first and last allowed characters of each range are
// accepted and their neighbours are not.
func TestLayoutLimits(t *testing.T) {
	trees := make([]string, MaxTrees)
	for i := range trees {
		trees[i] = string(rune('a' + i))
	}
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"MaxTrees trees", strings.Join(trees, ":"), true},
		{"MaxTrees+1 trees", strings.Join(trees, ":") + ":zz", false},
		{"longest name", strings.Repeat("x", MaxTreeNameLen), true},
		{"range ends", "az09-_.", true},
		{"before a", "`", false},
		{"after z", "{", false},
		{"before 0", "/", false},
		{"after 9", ";", false}, // ':' is the separator
		{"upper case", "A", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ParseLayout(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseLayout(%q) = %v, %v; want ok=%v", tc.in, l, err, tc.ok)
			}
		})
	}
	if err := Layout(append(trees, "zz")).Validate(); err == nil {
		t.Errorf("Validate accepted %d trees", MaxTrees+1)
	}
	if err := Layout(trees).Validate(); err != nil {
		t.Errorf("Validate refused %d trees: %v", MaxTrees, err)
	}
	if err := ValidTreeName(":"); err == nil {
		t.Error("ValidTreeName accepted ':'")
	}
}

func TestLayoutIndexEqual(t *testing.T) {
	for i, tree := range centos {
		if got := centos.Index(tree); got != i {
			t.Errorf("Index(%q) = %d, want %d", tree, got, i)
		}
	}
	if got := centos.Index("debian"); got != -1 {
		t.Errorf("Index(debian) = %d, want -1", got)
	}
	tests := []struct {
		name string
		o    Layout
		want bool
	}{
		{"same", Layout{"content", "altarch", "vault"}, true},
		{"reordered", Layout{"content", "vault", "altarch"}, false},
		{"shorter", Layout{"content", "altarch"}, false},
		{"longer", Layout{"content", "altarch", "vault", "debian"}, false},
		{"last differs", Layout{"content", "altarch", "vaults"}, false},
		{"empty", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := centos.Equal(tc.o); got != tc.want {
				t.Fatalf("Equal(%v) = %v, want %v", tc.o, got, tc.want)
			}
		})
	}
}

// TestTimeFileSizeLimit: a TIME file of exactly MaxTimeFileSize bytes (a
// trace file padded with more lines) is read; one byte more is refused.
func TestTimeFileSizeLimit(t *testing.T) {
	pad := func(n int) []byte {
		data := []byte("1488372781\n")
		return append(data, bytes.Repeat([]byte("x"), n-len(data))...)
	}
	if v, err := ParseTimeFile(pad(MaxTimeFileSize)); err != nil || v != 1488372781 {
		t.Fatalf("%d bytes: %d, %v", MaxTimeFileSize, v, err)
	}
	if _, err := ParseTimeFile(pad(MaxTimeFileSize + 1)); err == nil {
		t.Fatalf("%d bytes accepted", MaxTimeFileSize+1)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 4, "abc"},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
	}
	for _, tc := range tests {
		if got := truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
