// Package geo finds a client's country from its address in a
// MaxMind-format database (GeoLite2-Country, GeoIP2-Country or City, or
// any MMDB holding country.iso_code). It imports the database reader and
// the standard library only.
package geo

import (
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Locator gives the ISO 3166-1 alpha-2 country (upper case) of an address.
type Locator interface {
	Country(ip netip.Addr) (string, bool)
}

// DB is an opened MMDB file; its methods are safe for concurrent use.
type DB struct {
	r *maxminddb.Reader
}

// Open maps the database at path.
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geoip database %s: %w", path, err)
	}
	return &DB{r: r}, nil
}

// Country returns the country the database gives ip: its country, else
// its registered country. The code must be two ASCII letters.
func (d *DB) Country(ip netip.Addr) (string, bool) {
	res := d.r.Lookup(ip.Unmap())
	if !res.Found() {
		return "", false
	}
	for _, key := range []string{"country", "registered_country"} {
		var cc string
		if err := res.DecodePath(&cc, key, "iso_code"); err == nil {
			if c, ok := Normalize(cc); ok {
				return c, true
			}
		}
	}
	return "", false
}

// Close unmaps the database.
func (d *DB) Close() error { return d.r.Close() }

// Normalize returns cc in upper case when it is two ASCII letters.
func Normalize(cc string) (string, bool) {
	if len(cc) != 2 {
		return "", false
	}
	b := [2]byte{cc[0], cc[1]}
	for i, c := range b {
		switch {
		case 'A' <= c && c <= 'Z':
		case 'a' <= c && c <= 'z':
			b[i] = c - 32
		default:
			return "", false
		}
	}
	return string(b[:]), true
}
