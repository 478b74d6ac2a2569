package mirrorlist

import (
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardedHops is how many X-Forwarded-For entries are read, from
// the right.
const maxForwardedHops = 16

// Proxies are the trusted reverse proxies.
type Proxies []netip.Prefix

func (ps Proxies) trusted(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr returns the client's address: the direct peer, unless the
// peer is a trusted proxy, in which case X-Forwarded-For is read from the
// right and the first address that is not a trusted proxy is taken (the
// leftmost readable one when all are trusted). An unreadable entry stops
// the walk at the last address known good. It is false when RemoteAddr
// is not an address (a Unix socket).
func ClientAddr(r *http.Request, proxies Proxies) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	client := ap.Addr().Unmap().WithZone("")
	if len(proxies) == 0 || !proxies.trusted(client) {
		return client, true
	}
	hops := 0
	fwd := r.Header.Values("X-Forwarded-For")
	for i := len(fwd) - 1; i >= 0; i-- {
		list := fwd[i]
		for list != "" {
			var entry string
			if j := strings.LastIndexByte(list, ','); j >= 0 {
				entry, list = list[j+1:], list[:j]
			} else {
				entry, list = list, ""
			}
			hops++
			a, err := netip.ParseAddr(strings.TrimSpace(entry))
			if err != nil || hops > maxForwardedHops {
				return client, true
			}
			client = a.Unmap().WithZone("")
			if !proxies.trusted(client) {
				return client, true
			}
		}
	}
	return client, true
}
