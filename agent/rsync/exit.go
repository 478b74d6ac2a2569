package rsync

import "fmt"

// PartialVanished is rsync's "some files vanished before they could be
// transferred", normal on a live mirror: it counts as success.
const PartialVanished = 24

// MaxDeleteReached is rsync's "the --max-delete limit stopped deletions":
// the run deleted up to the limit and refused the rest.
const MaxDeleteReached = 25

// PartialError is rsync's "partial transfer due to error": what a Probe
// gets when the source has no such file (link_stat: No such file).
const PartialError = 23

// meanings are rsync(1)'s EXIT VALUES.
func meaning(code int) string {
	switch code {
	case 0:
		return "success"
	case 1:
		return "syntax or usage error"
	case 2:
		return "protocol incompatibility"
	case 3:
		return "errors selecting input/output files, dirs"
	case 4:
		return "requested action not supported"
	case 5:
		return "error starting client-server protocol"
	case 6:
		return "daemon unable to append to log-file"
	case 10:
		return "error in socket I/O"
	case 11:
		return "error in file I/O"
	case 12:
		return "error in rsync protocol data stream"
	case 13:
		return "errors with program diagnostics"
	case 14:
		return "error in IPC code"
	case 20:
		return "received SIGUSR1 or SIGINT"
	case 21:
		return "some error returned by waitpid()"
	case 22:
		return "error allocating core memory buffers"
	case 23:
		return "partial transfer due to error"
	case 24:
		return "partial transfer due to vanished source files"
	case 25:
		return "the --max-delete limit stopped deletions"
	case 30:
		return "timeout in data send/receive"
	case 35:
		return "timeout waiting for daemon connection"
	}
	// Equivalent mutants here change only Reason, the text of the error.
	if code > 128 && code < 160 {
		return fmt.Sprintf("killed by signal %d", code-128)
	}
	return "unknown rsync exit code"
}

// ExitError is an rsync run that failed.
type ExitError struct {
	Code   int    // rsync's exit code, or -1 when it died by a signal or never started
	Reason string // meaning of Code, or why it did not run
	Stderr string // the tail of rsync's output
}

func (e *ExitError) Error() string {
	if e.Code < 0 { // equivalent mutants: only the message changes
		return fmt.Sprintf("rsync: %s", e.Reason)
	}
	return fmt.Sprintf("rsync exit %d (%s)", e.Code, e.Reason)
}
