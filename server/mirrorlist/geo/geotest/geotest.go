// Package geotest writes small MaxMind-format databases for tests.
package geotest

import (
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// WriteTestDB writes an MMDB at path mapping each CIDR to its country
// code (as country.iso_code), for the tests of this package and of the
// mirrorlist. Reserved and private ranges (127/8, 10/8) are allowed.
func WriteTestDB(path string, countries map[string]string) error {
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "Test-Country", RecordSize: 24,
		IncludeReservedNetworks: true, DisableIPv4Aliasing: true})
	if err != nil {
		return err
	}
	for cidr, cc := range countries {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			return err
		}
		rec := mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(cc)}}
		if err := w.Insert(n, rec); err != nil {
			return err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := w.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
