// Package query asks DNS for the signal record and the `_trees` layout and
// decides whether to believe the answer: strict parse (signal.ParseRecord),
// the future-skew bound, and DNSSEC — the AD bit of a trusted resolver, or
// the agent's own validation against a pinned DS/DNSKEY. The signal alone
// also has a bound on the age of its RRSIG inception (the oldest one, in
// mode resolver-ad), which refuses a frozen or replayed answer; `_trees` is
// validated fully but is re-signed only every few days, so its age says
// nothing.
//
// All use of github.com/miekg/dns in the agent stays inside this package.
// It must not import server.
package query

import "time"

// Protocol constants.
const (
	// EDNSBufSize is the UDP payload size advertised (DNS flag day 2020).
	EDNSBufSize = 1232

	// ServerBackoff is the pause between two rounds over all servers.
	ServerBackoff = 200 * time.Millisecond
)
