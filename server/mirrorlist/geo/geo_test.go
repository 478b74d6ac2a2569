package geo_test

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/server/mirrorlist/geo"
	"github.com/mirrorsignal/mirrorsignal/server/mirrorlist/geo/geotest"
)

func TestDBCountry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.mmdb")
	err := geotest.WriteTestDB(path, map[string]string{
		"127.0.1.0/24": "DE", "127.0.2.0/24": "jp", "2001:db8::/32": "US", "127.0.3.0/24": "X<",
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		ip   string
		want string
	}{
		{"127.0.1.9", "DE"},
		{"::ffff:127.0.1.9", "DE"},
		{"127.0.2.1", "JP"},
		{"2001:db8::1", "US"},
		{"127.0.3.1", ""}, // not a country code
		{"127.0.9.1", ""},
		{"192.0.2.1", ""},
	} {
		got, ok := db.Country(netip.MustParseAddr(tc.ip))
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Country(%s) = %q, %v; want %q", tc.ip, got, ok, tc.want)
		}
	}
}

func TestOpenMissing(t *testing.T) {
	if _, err := geo.Open(filepath.Join(t.TempDir(), "none.mmdb")); err == nil {
		t.Fatal("opened a missing file")
	}
}
