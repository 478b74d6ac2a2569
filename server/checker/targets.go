package checker

import (
	"net/url"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
)

// protocols are probed in this order.
var protocols = [...]mirrors.Protocol{mirrors.HTTP, mirrors.HTTPS, mirrors.Rsync}

// target is one probe of a round: a key, its TIME (and heartbeat) URLs,
// the family to dial and the host it loads.
type target struct {
	Key
	url, heartbeat string
	fam            probe.Family
	host           string
}

// targets lists the probes of tree on m: every protocol the mirror offers
// for it, times each family it lists (or one probe over any family). It
// is pure.
func targets(m mirrors.Mirror, tree, timeFile, heartbeatFile string) []target {
	fams := []mirrors.Family{""}
	if fs := m.Families(); len(fs) > 0 {
		fams = fs
	}
	var out []target
	for _, p := range protocols {
		u, ok := m.TimeURL(tree, p, timeFile)
		if !ok {
			continue
		}
		hb := ""
		if heartbeatFile != "" {
			hb, _ = m.TimeURL(tree, p, heartbeatFile)
		}
		for _, f := range fams {
			out = append(out, target{Key: Key{Mirror: m.Name(), Tree: tree, Proto: p, Family: f},
				url: u, heartbeat: hb, fam: probeFamily(f), host: hostOf(u)})
		}
	}
	return out
}

func probeFamily(f mirrors.Family) probe.Family {
	switch f {
	case mirrors.IPv4:
		return probe.IPv4
	case mirrors.IPv6:
		return probe.IPv6
	}
	return probe.Any
}

// hostOf is the host a URL loads, for the per-host limit.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Hostname()
}
