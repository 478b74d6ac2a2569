// Package rrl is response rate limiting in the style of NSD and Knot: a
// token bucket per source prefix (/24 for IPv4, /56 for IPv6) in a fixed-size
// table, so a flood of spoofed queries cannot turn the server into an
// amplifier. Over the limit, every Slip-th answer goes out truncated (so a
// real client retries over TCP) and the rest are dropped. It is pure: the
// caller passes the time. It must not import agent.
package rrl
