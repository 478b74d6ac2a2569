package checkin

import "time"

// Protocol limits of the check-in endpoint.
const (
	// MaxSkew is how far the timestamp may be from the server's clock,
	// either way; it is also how long a seen signature is remembered
	// after its timestamp.
	MaxSkew = 5 * time.Minute
	// MaxBody caps the request body; the agent's report for a handful of
	// trees is about 100 bytes.
	MaxBody = 4 << 10
	// RateBurst check-ins may come at once from one mirror ...
	RateBurst = 3
	// ... and one more every RateEvery after that. An agent checks in
	// once per pass that synced something, minutes apart.
	RateEvery = 30 * time.Second
)
