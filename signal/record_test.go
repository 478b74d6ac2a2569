package signal

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var centos = Layout{"content", "altarch", "vault"}

func TestParseRecord(t *testing.T) {
	tests := []struct {
		name string
		txt  string
		want []int64
		ok   bool
	}{
		{"seed example", "1488372781:1487767981:1488113581", []int64{1488372781, 1487767981, 1488113581}, true},
		{"never published", "0:0:0", []int64{0, 0, 0}, true},
		{"mixed zero", "1488372781:0:1488113581", []int64{1488372781, 0, 1488113581}, true},
		{"upper bound", "4102444800:0:0", []int64{4102444800, 0, 0}, true},
		{"lower bound", "946684800:0:0", []int64{946684800, 0, 0}, true},
		{"too few fields", "1488372781:1487767981", nil, false},
		{"too many fields", "1488372781:1487767981:1488113581:1", nil, false},
		{"empty", "", nil, false},
		{"empty field", "1488372781::1488113581", nil, false},
		{"trailing colon", "1488372781:1487767981:1488113581:", nil, false},
		{"sign", "+1488372781:1487767981:1488113581", nil, false},
		{"negative", "-1488372781:1487767981:1488113581", nil, false},
		{"leading zero", "01488372781:1487767981:1488113581", nil, false},
		{"leading space", " 1488372781:1487767981:1488113581", nil, false},
		{"trailing newline", "1488372781:1487767981:1488113581\n", nil, false},
		{"hex", "0x58b6:1487767981:1488113581", nil, false},
		{"unicode digit", "١٤٨٨٣٧٢٧٨١:1487767981:1488113581", nil, false},
		{"before 2000", "946684799:0:0", nil, false},
		{"after 2100", "4102444801:0:0", nil, false},
		{"eleven digits", "14883727810:0:0", nil, false},
		{"overflow", "99999999999999999999:0:0", nil, false},
		{"quotes kept", `"1488372781:1487767981:1488113581"`, nil, false},
		{"clamav style", "0.99.2:57:23148", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRecord(tt.txt, centos)
			if !tt.ok {
				if err == nil {
					t.Fatalf("ParseRecord(%q) = %v, want error", tt.txt, r.Stamps)
				}
				if !errors.Is(err, ErrRecord) {
					t.Fatalf("error %v does not wrap ErrRecord", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRecord(%q): %v", tt.txt, err)
			}
			if !reflect.DeepEqual(r.Stamps, tt.want) {
				t.Fatalf("stamps = %v, want %v", r.Stamps, tt.want)
			}
			if got := r.String(); got != tt.txt {
				t.Fatalf("String() = %q, want %q", got, tt.txt)
			}
		})
	}
}

func TestBehind(t *testing.T) {
	r, err := ParseRecord("1488372781:1487767981:0", centos)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		local map[string]int64
		want  []string
	}{
		{"all current", map[string]int64{"content": 1488372781, "altarch": 1487767981}, nil},
		{"local newer", map[string]int64{"content": 1488372790, "altarch": 1487767990, "vault": 5}, nil},
		{"one behind", map[string]int64{"content": 1488372780, "altarch": 1487767981}, []string{"content"}},
		{"never synced", nil, []string{"content", "altarch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Behind(tt.local); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Behind = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckFuture(t *testing.T) {
	now := time.Unix(1488372781, 0)
	r := Record{Layout: centos, Stamps: []int64{1488372781 + 60, 0, 1488372781}}
	if err := r.CheckFuture(now, 2*time.Minute); err != nil {
		t.Fatalf("within skew: %v", err)
	}
	if err := r.CheckFuture(now, 30*time.Second); err == nil || !strings.Contains(err.Error(), "content") {
		t.Fatalf("beyond skew: err = %v, want one naming tree content", err)
	}
}

func TestParseLayout(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"content:altarch:vault", true},
		{"debian", true},
		{"a-b:c_d:e.f:0", true},
		{"", false},
		{"content:", false},
		{"content:content", false},
		{"Content", false},
		{"con tent", false},
		{"a:b:c:d:e:f:g:h:i:j:k:l:m:n:o:p:q", false},
		{strings.Repeat("x", 33), false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			l, err := ParseLayout(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseLayout(%q) err = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if tt.ok && l.String() != tt.in {
				t.Fatalf("round trip %q -> %q", tt.in, l.String())
			}
			if !tt.ok && !errors.Is(err, ErrLayout) {
				t.Fatalf("error %v does not wrap ErrLayout", err)
			}
		})
	}
}

func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{"1488372781:1487767981:1488113581", "0:0:0", "1:2", "01:0:0", "-1:0:0", "4102444801:0:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, txt string) {
		r, err := ParseRecord(txt, centos)
		if err != nil {
			return
		}
		if got := r.String(); got != txt {
			t.Fatalf("round trip %q -> %q", txt, got)
		}
		for _, v := range r.Stamps {
			if CheckStamp(v) != nil {
				t.Fatalf("accepted out-of-range stamp %d", v)
			}
		}
		again, err := ParseRecord(r.String(), r.Layout)
		if err != nil || !reflect.DeepEqual(again.Stamps, r.Stamps) {
			t.Fatalf("reparse of %q: %v %v", r.String(), again.Stamps, err)
		}
	})
}

func FuzzParseLayout(f *testing.F) {
	for _, s := range []string{"content:altarch:vault", "a", "a:a", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLayout(s)
		if err != nil {
			return
		}
		if l.String() != s {
			t.Fatalf("round trip %q -> %q", s, l.String())
		}
	})
}
