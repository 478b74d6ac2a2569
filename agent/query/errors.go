package query

import "errors"

// Errors a pass tells apart. Each is wrapped with the details.
var (
	// ErrUnreachable: no server gave a usable answer.
	ErrUnreachable = errors.New("no DNS server answered")
	// ErrAnswer: the answer is not a single TXT string at the name.
	ErrAnswer = errors.New("bad DNS answer")
	// ErrLayoutMismatch: `_trees` disagrees with signal.layout.
	ErrLayoutMismatch = errors.New("_trees layout differs from signal.layout")
	// ErrBogus: a signature is present but does not validate (bad, expired,
	// not yet valid, unknown key, or a signal inception older than the age
	// bound).
	ErrBogus = errors.New("DNSSEC validation failed")
	// ErrInsecure: the answer is not authenticated and require_dnssec is set.
	ErrInsecure = errors.New("answer is not DNSSEC-authenticated")
	// ErrFuture: a stamp lies in the future beyond the allowed skew.
	ErrFuture = errors.New("signal stamp in the future")
)
