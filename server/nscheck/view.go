package nscheck

import "time"

// View is the state of every server after a round, for the status page.
// It is immutable: keep it and read it from any goroutine.
type View struct {
	At      time.Time // the end of the round; zero before the first
	Serial  uint32    // signald's serial then
	TXT     string    // signald's signal then
	Servers []ServerView
}

// ServerView is one server in a View.
type ServerView struct {
	Status
	// SerialLag is how many serials the last answer was behind signald's;
	// Lag how long it had been behind then. Both 0 when not behind.
	SerialLag uint32
	Lag       time.Duration
}

func newView(statuses []Status, served *Served, at time.Time) *View {
	v := &View{At: at, Servers: make([]ServerView, len(statuses))}
	if served != nil {
		v.Serial, v.TXT = served.Serial, served.TXT
	}
	for i, s := range statuses {
		sv := ServerView{Status: s}
		if !s.BehindSince.IsZero() {
			sv.SerialLag = SerialLag(s.Serial, v.Serial)
			sv.Lag = s.LastCheck.Sub(s.BehindSince)
		}
		v.Servers[i] = sv
	}
	return v
}
