package probe

import (
	"fmt"
	"io"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// ReadCapped reads r to the end, but never more than limit+1 bytes: a body
// longer than limit is ErrTooBig. An error from r is returned as it is.
func ReadCapped(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooBig, limit)
	}
	return b, nil
}

// ParseBody is the tier-1 TIME reader: it turns a fetched TIME (or
// heartbeat stamp) file into its stamp, in any form signal.ParseTimeFile
// accepts. The stamp is within [signal.MinStamp, signal.MaxStamp]: unlike a
// signal record, a TIME file never says 0, so 0 is ErrBadTime too.
func ParseBody(b []byte) (int64, error) {
	v, err := signal.ParseTimeFile(b)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadTime, err)
	}
	if v == 0 {
		return 0, fmt.Errorf("%w: stamp 0", ErrBadTime)
	}
	return v, nil
}
