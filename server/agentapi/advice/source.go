package advice

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// usableSource reports whether an agent will take raw as an advised
// source. The agent refuses the whole advice over one source it cannot
// read, so a mirror's rsync URL is checked here, at least as strictly:
// printable ASCII without '"', '\\', '<', '>', '&', '?' or '#'; rsync://,
// no user, a host that is a DNS name, an IPv4 address or a bracketed IPv6
// address; an optional port 1–65535; a non-empty module.
func usableSource(raw string) bool {
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c > '~' || strings.IndexByte(`"\<>&?#@`, c) >= 0 {
			return false
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "rsync" || u.Opaque != "" || u.User != nil || !strings.HasPrefix(raw, "rsync://") {
		return false
	}
	module, _, _ := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	return usableHostPort(u.Host) && strings.HasPrefix(u.EscapedPath(), "/") && module != ""
}

func usableHostPort(hp string) bool {
	host, port := hp, ""
	if i := strings.LastIndexByte(hp, ':'); i >= 0 && !strings.HasSuffix(hp, "]") {
		host, port = hp[:i], hp[i+1:]
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 || port[0] == '+' {
			return false
		}
	}
	if v6, ok := strings.CutPrefix(host, "["); ok {
		a, err := netip.ParseAddr(strings.TrimSuffix(v6, "]"))
		return err == nil && strings.HasSuffix(v6, "]") && a.Is6() && !a.Is4In6() && a.Zone() == ""
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Is4()
	}
	return dnsName(host)
}

// dnsName accepts labels of 1 to 63 letters, digits, '-' and '_', at most
// 253 bytes in all.
func dnsName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
