package fleet

import (
	"bufio"
	"encoding/json"
	"io"
	"time"
)

// Limits of ParseAgentLog.
const (
	maxLogLine  = 1 << 20
	maxLogLines = 1 << 20
)

// AgentSync is one sync of the tree by an agent, as its JSON log tells
// it: the pass decided to sync (Decided, "syncing", with the signal it
// wanted), ran rsync (RsyncStart to RsyncDone, RsyncSeconds as the
// agent measured it) and found its TIME at the signal (Synced, "tree
// synced", with the local stamp). A field the log does not have is zero.
type AgentSync struct {
	Signal       int64
	Decided      time.Time
	RsyncStart   time.Time
	RsyncDone    time.Time
	RsyncSeconds float64
	Synced       time.Time
	Local        int64 // the local TIME after the sync; 0 when not synced
}

// agentRecord is the part of one log line that ParseAgentLog reads.
type agentRecord struct {
	Time    time.Time `json:"time"`
	Msg     string    `json:"msg"`
	Signal  *int64    `json:"signal"`
	Local   *int64    `json:"local"`
	Seconds float64   `json:"seconds"`
	Stage   string    `json:"stage"`
}

// ParseAgentLog reads a mirror-agent JSON log (log.format = "json") and
// returns its syncs in order. Lines that are not JSON records with a time
// are skipped;
// a line over 1 MiB ends the reading with bufio.ErrTooLong.
func ParseAgentLog(r io.Reader) ([]AgentSync, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLogLine)
	var out []AgentSync
	cur := -1
	for n := 0; sc.Scan() && n < maxLogLines; n++ {
		var rec agentRecord
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Time.IsZero() {
			continue
		}
		switch {
		case rec.Msg == "syncing" && rec.Signal != nil:
			out = append(out, AgentSync{Signal: *rec.Signal, Decided: rec.Time})
			cur = len(out) - 1
		case cur < 0:
		case rec.Msg == "rsync start":
			if out[cur].RsyncStart.IsZero() {
				out[cur].RsyncStart = rec.Time
			}
		case rec.Msg == "rsync done":
			out[cur].RsyncDone = rec.Time
			out[cur].RsyncSeconds += rec.Seconds // two stages add up
		case rec.Msg == "tree synced" && rec.Local != nil:
			out[cur].Synced, out[cur].Local = rec.Time, *rec.Local
		}
	}
	return out, sc.Err()
}

// syncOf returns the first sync in syncs that brought the tree to stamp
// or later.
func syncOf(syncs []AgentSync, stamp int64) (AgentSync, bool) {
	for _, s := range syncs {
		if s.Local >= stamp && !s.Synced.IsZero() {
			return s, true
		}
	}
	return AgentSync{}, false
}
