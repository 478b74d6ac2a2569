package alert

import (
	"fmt"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

// subjectPrefix starts every e-mail subject.
const subjectPrefix = "[mirrorsignal] "

// cleaned returns m with every text field made safe for headers and
// bodies (see clean). Senders render only cleaned messages.
func (m message) cleaned() message {
	m.Mirror = clean(m.Mirror, maxName)
	m.Tree = clean(m.Tree, maxName)
	m.Server = clean(m.Server, maxName)
	m.From = checker.State(clean(string(m.From), maxName))
	m.To = checker.State(clean(string(m.To), maxName))
	m.Err = clean(m.Err, maxErr)
	m.ID = clean(m.ID, maxName)
	return m
}

// title says in one line what happened, e.g.
// "mirror3.example.net content: stale (behind 3h12m)".
func (m message) title() string {
	var s string
	switch m.Kind {
	case Stale:
		s = fmt.Sprintf("%s %s: stale (%s %s)", m.Mirror, m.Tree, m.To, duration(m.Behind))
	case Unreachable, Failing:
		s = fmt.Sprintf("%s %s: %s", m.Mirror, m.Tree, m.Kind)
	case Back:
		s = fmt.Sprintf("%s %s: back (%s)", m.Mirror, m.Tree, m.To)
	case NameServerLags:
		s = fmt.Sprintf("name server %s: stale serial %d (want %d, for %s)", m.Server, m.Serial, m.Want, duration(m.Behind))
	case NameServerOK:
		s = fmt.Sprintf("name server %s: back (serial %d)", m.Server, m.Want)
	default:
		s = fmt.Sprintf("%s %s%s: %s", m.Mirror, m.Tree, m.Server, m.Kind)
	}
	if m.Suppressed > 0 {
		s += fmt.Sprintf(" (after %d suppressed)", m.Suppressed)
	}
	return s
}

// text is the plain-text body: one fact per line, lines ending in "\n"
// (the SMTP writer turns them into CRLF).
func (m message) text() string {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%-11s %s\n", k+":", v) }
	b.WriteString(m.title() + "\n\n")
	if m.Server != "" {
		line("name server", m.Server)
		line("serving", fmt.Sprint(m.Serial))
		line("signal", fmt.Sprint(m.Want))
	} else {
		line("mirror", m.Mirror)
		line("tree", m.Tree)
		line("state", fmt.Sprintf("%s -> %s", m.From, m.To))
		if m.Lag > 0 {
			line("lag", duration(m.Lag)+" (signal minus the mirror's TIME)")
		}
		if m.Err != "" {
			line("error", m.Err)
		}
	}
	line("event", string(m.Kind))
	line("since", m.At.UTC().Format(time.RFC3339))
	if m.Behind > 0 {
		line("for", duration(m.Behind))
	}
	if m.Suppressed > 0 {
		line("suppressed", fmt.Sprintf("%d changes since the previous message were not sent on their own", m.Suppressed))
	}
	line("decided", m.Decided.UTC().Format(time.RFC3339))
	return b.String()
}

// duration writes d for people: "3h12m", "45m", "30s".
func duration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	d = d.Round(time.Minute)
	h, m := d/time.Hour, (d%time.Hour)/time.Minute
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

// payload is the webhook's JSON body.
type payload struct {
	ID            string        `json:"id"`
	Type          Kind          `json:"type"`
	Mirror        string        `json:"mirror,omitempty"`
	Tree          string        `json:"tree,omitempty"`
	Server        string        `json:"server,omitempty"`
	From          checker.State `json:"from,omitempty"`
	To            checker.State `json:"to,omitempty"`
	At            time.Time     `json:"at"`
	LagSeconds    int64         `json:"lag_seconds"`
	BehindSeconds int64         `json:"behind_seconds"`
	Error         string        `json:"error"`
	Serial        uint32        `json:"serial,omitempty"`
	Want          uint32        `json:"want,omitempty"`
	Suppressed    int           `json:"suppressed"`
	Summary       string        `json:"summary"`
	Timestamp     int64         `json:"timestamp"`
}

func newPayload(m message, ts int64) payload {
	return payload{
		ID: m.ID, Type: m.Kind, Mirror: m.Mirror, Tree: m.Tree, Server: m.Server,
		From: m.From, To: m.To, At: m.At.UTC(),
		LagSeconds: int64(m.Lag.Seconds()), BehindSeconds: int64(m.Behind.Seconds()),
		Error: m.Err, Serial: m.Serial, Want: m.Want, Suppressed: m.Suppressed,
		Summary: m.title(), Timestamp: ts,
	}
}
