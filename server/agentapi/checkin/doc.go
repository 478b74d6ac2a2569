// Package checkin serves POST /api/v1/checkin, where a mirror's agent
// reports a finished sync (contrib/agent/README.md, "Check-in"; the
// agent's side is agent/checkin).
//
// The request carries the headers X-Mirrorsignal-Mirror,
// X-Mirrorsignal-Timestamp (decimal Unix seconds) and
// X-Mirrorsignal-Signature, hex(HMAC-SHA256(token, timestamp + "\n" +
// body)) over the exact body bytes, keyed with the mirror's secret from
// its checkin_token_file. The body is
//
//	{"mirror":"NAME","trees":{"content":1488372781},"time":1488372800}
//
// A check-in is a hint only: its one effect is Recheck(mirror), which
// schedules an immediate probe; it never marks a mirror fresh.
//
// # Checks, in order
//
//  1. Body at most MaxBody bytes (413), headers present and the timestamp
//     canonical decimal (400).
//  2. Timestamp within MaxSkew of now (401 "timestamp outside window").
//     It is checked before the mirror is looked up, so the answer does
//     not depend on whether the name exists.
//  3. Known mirror with a token, and the HMAC matches (hmac.Equal). An
//     unknown mirror and a wrong signature get the same 401 and the same
//     work (an HMAC under a dummy key), so names cannot be probed.
//  4. Signature not seen before (409): verified signatures are kept per
//     mirror until their timestamp leaves the window.
//  5. Rate limit per mirror (429): a token bucket of RateBurst check-ins
//     refilled one per RateEvery. Only authenticated requests spend it,
//     so nobody else can exhaust a mirror's budget.
//  6. Strict JSON (400): no unknown fields, no trailing data, "mirror"
//     equal to the header, "time" equal to the timestamp.
//
// Expired timestamps get 401 rather than 408: 408 means the server gave up
// waiting for the request, and clients and proxies may retry it unchanged.
// A signature is remembered only once the rate limit lets it through, so
// the memory per mirror is bounded by RateBurst + 2*MaxSkew/RateEvery; a
// request refused with 429 was never acted on and may come again.
//
// Tokens are never logged. This package must not import agent (its tests
// do, to check the real client against this server) nor the checker: it
// gets Tokens and Recheck as functions.
package checkin
