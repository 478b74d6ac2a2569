package zone

import (
	"net/netip"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/authdns"
	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/store"
)

// contentOf builds the zone content from the configuration and a state.
func contentOf(cfg *config.Config, st store.State) authdns.Zone {
	z := cfg.Zone
	zone := authdns.Zone{
		Origin: z.Origin,
		TTL:    secs(z.TTL.Duration),
		SOA: authdns.SOA{
			MName: z.SOA.MName, RName: z.SOA.RName, Serial: st.Serial,
			Refresh: secs(z.SOA.Refresh.Duration), Retry: secs(z.SOA.Retry.Duration),
			Expire: secs(z.SOA.Expire.Duration), Minimum: secs(z.SOA.Minimum.Duration),
		},
		SignalName: z.SignalName,
		SignalTTL:  secs(z.SignalTTL.Duration),
		Record:     st.Record(cfg.Layout()),
	}
	for _, ns := range z.NS {
		n := authdns.NameServer{Name: ns.Name}
		for _, a := range ns.Addresses {
			n.Addrs = append(n.Addrs, netip.MustParseAddr(a)) // validated by config
		}
		zone.NS = append(zone.NS, n)
	}
	return zone
}

func secs(d time.Duration) uint32 { return uint32(d / time.Second) }
