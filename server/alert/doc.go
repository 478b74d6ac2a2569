// Package alert tells people when mirrors change state: a mirror that has
// been behind longer than StaleAfter ("stale"), one that became
// unreachable or answers with errors, one that is fresh again ("back"),
// and an authoritative name server that serves a stale serial longer than
// a grace period.
//
// It owns three things. A pure decision core (decide.go) turns the
// checker's transitions, which already passed the checker's hysteresis,
// into messages as a function of an injected now: it holds back "stale"
// until the mirror has been behind for StaleAfter, keeps at least MinGap
// between two messages about one mirror and tree (or one name server),
// and never drops the final state: messages held back by the gap are
// coalesced into the next allowed one, which says the current state and
// how many changes it stands for. Thin senders deliver a message by
// webhook (a JSON POST signed with HMAC-SHA256) and by e-mail (SMTP with
// STARTTLS required, certificates verified, optional AUTH PLAIN). The
// Notifier ties them together: Notify never blocks, each channel has a
// bounded queue that drops its oldest message when full, and Run sends
// with limited retries and counts sent, failed, dropped and suppressed
// messages on a caller-given Prometheus registerer.
//
// Everything that reaches a header or a body (mirror names, and above all
// error texts that come from mirrors) is cleaned of CR, LF and other
// control characters and cut to a bounded length.
//
// The webhook body is a JSON object; "type" is one of the Kind values:
//
//	{"id": "…", "type": "stale", "mirror": "mirror3.example.net",
//	 "tree": "content", "from": "fresh", "to": "behind",
//	 "at": "2025-01-02T03:04:05Z", "lag_seconds": 11520,
//	 "behind_seconds": 11520, "error": "", "suppressed": 0,
//	 "summary": "mirror3.example.net content: stale (behind 3h12m)",
//	 "timestamp": 1735787045}
//
// Name-server messages carry "server", "serial" and "want" instead of
// "mirror" and "tree". The header X-Mirrorsignal-Signature is
// "sha256=" and the hex HMAC-SHA256 of the body with the shared secret;
// X-Mirrorsignal-Timestamp repeats the body's "timestamp" (Unix seconds),
// so a receiver can refuse old deliveries and the signature covers it.
//
// The package imports checker (for its types) and backoff only; it must
// not import the store, the HTTP layer, the config package or agent.
package alert
