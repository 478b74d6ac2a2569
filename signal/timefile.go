package signal

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// MaxTimeFileSize bounds what a reader accepts as a TIME file. A Debian
// trace file carries more lines after the date; only the first is read, and
// readers should fetch at most this many bytes.
const MaxTimeFileSize = 4096

// ErrTimeFile reports an unreadable TIME file.
var ErrTimeFile = errors.New("malformed TIME file")

// Debian trace files start with the output of `date -u`.
var traceLayouts = []string{
	"Mon Jan _2 15:04:05 MST 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	"Mon _2 Jan 15:04:05 MST 2006",
	time.UnixDate,
}

// ParseTimeFile reads the first line of a TIME file in any accepted form:
// decimal Unix seconds (the native form, and Arch's lastsync), an RFC 3339
// time, or the `date -u` line that starts a Debian trace file. It returns
// Unix seconds within the bounds of CheckStamp.
func ParseTimeFile(data []byte) (int64, error) {
	if len(data) > MaxTimeFileSize {
		return 0, fmt.Errorf("%w: %d bytes, at most %d", ErrTimeFile, len(data), MaxTimeFileSize)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return 0, fmt.Errorf("%w: empty first line", ErrTimeFile)
	}
	s := string(line)
	v, err := parseTimeLine(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %q: %v", ErrTimeFile, truncate(s, 64), err)
	}
	if err := CheckStamp(v); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrTimeFile, err)
	}
	return v, nil
}

func parseTimeLine(s string) (int64, error) {
	if s[0] >= '0' && s[0] <= '9' && len(s) <= maxDigits {
		if v, err := strconv.ParseUint(s, 10, 63); err == nil {
			return int64(v), nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.Unix(), nil
	}
	for _, layout := range traceLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if name, off := t.Zone(); off != 0 || (name != "UTC" && name != "GMT") {
				return 0, errors.New("trace date is not in UTC")
			}
			return t.Unix(), nil
		}
	}
	return 0, errors.New("not Unix seconds, RFC 3339 or a `date -u` line")
}

// FormatTimeFile returns the native TIME file content: Unix seconds and a
// newline.
func FormatTimeFile(stamp int64) []byte {
	return append(strconv.AppendInt(nil, stamp, 10), '\n')
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
