package signal

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestTimeFileGolden parses every file under testdata/timefiles and compares
// the outcome with testdata/timefiles.golden.
func TestTimeFileGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/timefiles/*")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no TIME file samples: %v", err)
	}
	sort.Strings(paths)
	var out strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		v, err := ParseTimeFile(data)
		if err != nil {
			if !errors.Is(err, ErrTimeFile) {
				t.Errorf("%s: error %v does not wrap ErrTimeFile", p, err)
			}
			fmt.Fprintf(&out, "%s\terror\n", filepath.Base(p))
			continue
		}
		fmt.Fprintf(&out, "%s\t%d\n", filepath.Base(p), v)
	}
	golden := "testdata/timefiles.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if out.String() != string(want) {
		t.Fatalf("golden mismatch:\ngot:\n%swant:\n%s", out.String(), want)
	}
}

func TestTimeFileRoundTrip(t *testing.T) {
	for _, v := range []int64{0, MinStamp, 1488372781, MaxStamp} {
		got, err := ParseTimeFile(FormatTimeFile(v))
		if err != nil || got != v {
			t.Fatalf("round trip %d: got %d, %v", v, got, err)
		}
	}
}

func TestTimeFileTooLarge(t *testing.T) {
	data := append([]byte("1488372781\n"), make([]byte, MaxTimeFileSize)...)
	if _, err := ParseTimeFile(data); err == nil {
		t.Fatal("accepted an oversized TIME file")
	}
}

func FuzzParseTimeFile(f *testing.F) {
	for _, s := range []string{"1488372781\n", "2017-03-01T13:44:50Z\n", "Wed Mar  1 13:44:50 UTC 2017\nUsed ftpsync version: 20170204\n", "", "-1", "9999999999999"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseTimeFile(data)
		if err != nil {
			return
		}
		if CheckStamp(v) != nil {
			t.Fatalf("accepted out-of-range stamp %d from %q", v, data)
		}
		again, err := ParseTimeFile(FormatTimeFile(v))
		if err != nil || again != v {
			t.Fatalf("native round trip of %d: %d, %v", v, again, err)
		}
	})
}
