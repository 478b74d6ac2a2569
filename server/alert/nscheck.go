package alert

import "github.com/mirrorsignal/mirrorsignal/server/nscheck"

// LagsOf turns the name server watch's changes into the lags this package
// reports.
func LagsOf(changes []nscheck.Change) []NameServerLag {
	out := make([]NameServerLag, 0, len(changes))
	for _, c := range changes {
		out = append(out, NameServerLag{Server: c.Server.Name + " (" + c.Server.Addr + ")", Serial: c.Serial, Want: c.Want,
			Since: c.At.Add(-c.Lag), Cleared: !c.Flagged()})
	}
	return out
}
