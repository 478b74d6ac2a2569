// Package exitcode defines mirror-agent's exit codes and an
// error type that carries one, so that only main turns errors into exits.
package exitcode

import (
	"errors"
	"fmt"
)

// Exit codes. Lock busy and "nothing to do" are OK so that cron stays quiet.
const (
	OK      = 0  // done, nothing to do, or lock busy
	Failure = 1  // any other failure (signal unreadable or invalid, I/O)
	Usage   = 2  // bad command line
	Rsync   = 4  // rsync failed for every source of a tree
	Behind  = 5  // upstream still behind the signal after the sync
	Config  = 78 // configuration error (EX_CONFIG), including a _trees mismatch
)

// Error is an error with an exit code. Reported is set when the error was
// already logged, so main does not print it a second time.
type Error struct {
	Code     int
	Err      error
	Reported bool
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New wraps err with code. A nil err stays nil.
func New(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Newf formats an error with code.
func Newf(code int, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// Reported marks err as already logged. A nil err stays nil.
func Reported(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: Code(err), Err: err, Reported: true}
}

// IsReported tells whether err was already logged.
func IsReported(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Reported
}

// Code returns the exit code for err: OK for nil, the code of the outermost
// *Error, else Failure.
func Code(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Failure
}

// severity orders codes when several trees end differently: a config error
// beats a general failure, which beats an rsync failure, which beats
// "upstream behind".
func severity(code int) int {
	switch code {
	case OK:
		return 0
	case Behind:
		return 1
	case Rsync:
		return 2
	case Usage:
		return 4
	case Config:
		return 5
	default:
		return 3
	}
}

// Worst returns the most severe of the codes.
func Worst(codes ...int) int {
	w := OK
	for _, c := range codes {
		if severity(c) > severity(w) {
			w = c
		}
	}
	return w
}
