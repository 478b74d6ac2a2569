package probe

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

func TestReadCapped(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		body    string
		limit   int64
		wantErr error
	}{
		{"empty", "", 4, nil},
		{"under", "abc", 4, nil},
		{"at cap", "abcd", 4, nil},
		{"one over", "abcde", 4, ErrTooBig},
		{"far over", strings.Repeat("x", 1<<20), 4096, ErrTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &countingReader{r: strings.NewReader(tt.body)}
			got, err := ReadCapped(r, tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && string(got) != tt.body {
				t.Errorf("got %q, want %q", got, tt.body)
			}
			if r.n > tt.limit+1 {
				t.Errorf("read %d bytes, at most %d allowed", r.n, tt.limit+1)
			}
		})
	}
	t.Run("reader error", func(t *testing.T) {
		if _, err := ReadCapped(iotest.ErrReader(boom), 4); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
	})
}

type countingReader struct {
	r *strings.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestParseBody(t *testing.T) {
	tests := []struct {
		name string
		body string
		want int64 // 0: ErrBadTime
	}{
		{"native", "1700000000\n", 1700000000},
		{"no newline", "1700000000", 1700000000},
		{"rfc3339", "2023-11-14T22:13:20Z\n", 1700000000},
		{"debian trace", "Tue Nov 14 22:13:20 UTC 2023\nDate: x\n", 1700000000},
		{"empty", "", 0},
		{"zero", "0\n", 0},
		{"garbage", "hello\x00world", 0},
		{"html", "<html><body>404</body></html>", 0},
		{"too old", "12345\n", 0},
		{"too far", "99999999999\n", 0},
		{"negative", "-1700000000\n", 0},
		{"trace not utc", "Tue Nov 14 22:13:20 CET 2023\n", 0},
		{"over the cap", "1700000000\n" + strings.Repeat("#", signal.MaxTimeFileSize), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBody([]byte(tt.body))
			if tt.want == 0 {
				if !errors.Is(err, ErrBadTime) || got != 0 {
					t.Fatalf("ParseBody = %d, %v; want 0, ErrBadTime", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseBody = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func FuzzParseBody(f *testing.F) {
	for _, s := range []string{
		"1700000000\n", "0\n", "", "2023-11-14T22:13:20+01:00\n",
		"Tue Nov 14 22:13:20 UTC 2023\nDate: x\n", "\xff\xfe", "4102444800", "4102444801",
		" 1700000000 \r\n", strings.Repeat("9", 100),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseBody(b)
		if err != nil {
			if v != 0 || !errors.Is(err, ErrBadTime) {
				t.Fatalf("ParseBody(%q) = %d, %v: an error must be ErrBadTime with 0", b, v, err)
			}
			return
		}
		if v < signal.MinStamp || v > signal.MaxStamp {
			t.Fatalf("ParseBody(%q) = %d, outside %d..%d", b, v, signal.MinStamp, signal.MaxStamp)
		}
	})
}
