package advice

import (
	"strings"

	"github.com/mirrorsignal/mirrorsignal/agent/config"
)

// Allowed reports whether host matches the allow-list: an exact host (or
// IP), or "*.domain", which matches any name under domain but not domain
// itself. Matching ignores case.
func Allowed(host string, allow []string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, a := range allow {
		a = strings.ToLower(strings.TrimSuffix(a, "."))
		if suffix, ok := strings.CutPrefix(a, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == a {
			return true
		}
	}
	return false
}

// Filter splits sources into those whose host is allowed and the rest.
// A kept source is rebuilt from its parse (config.ParseSource), so the host
// rsync reads is the host the allow-list matched.
func Filter(sources, allow []string) (kept, dropped []string) {
	for _, s := range sources {
		src, err := config.ParseSource(s)
		if err == nil && Allowed(src.Host, allow) {
			kept = append(kept, src.String())
		} else {
			dropped = append(dropped, s)
		}
	}
	return kept, dropped
}
