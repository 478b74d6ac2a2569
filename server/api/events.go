package api

import (
	"net/http"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/status"
)

func (s *Status) getEvents(w http.ResponseWriter, r *http.Request) {
	if _, ok := readQuery(w, r); !ok {
		return
	}
	snap := s.src.Current()
	s.serve(w, r, snap, "events", func() any { return EventsOf(snap) })
}

func (s *Status) getEvent(w http.ResponseWriter, r *http.Request) {
	if _, ok := readQuery(w, r); !ok {
		return
	}
	snap := s.src.Current()
	id := r.PathValue("id")
	e, found := snap.Event(id)
	if !found {
		jsonError(w, http.StatusNotFound, "no publish event "+quoteShort(id))
		return
	}
	s.serve(w, r, snap, "event/"+id, func() any { return EventOf(e, true) })
}

// EventsOf is the API view of the snapshot's publish events, newest
// first, without their curves.
func EventsOf(snap *status.Snapshot) apiv1.Events {
	out := apiv1.Events{Generated: rfc3339Time(snap.Generated), Events: []apiv1.Event{}}
	for i := range snap.Events {
		out.Events = append(out.Events, EventOf(&snap.Events[i], false))
	}
	return out
}

// EventOf is the API view of one event; full adds the curve.
func EventOf(e *status.Event, full bool) apiv1.Event {
	out := apiv1.Event{ID: e.ID, Tree: e.Tree, Stamp: e.Stamp, Published: rfc3339Time(e.Published), Learned: rfc3339Time(e.Learned),
		Carrying: e.Carrying, Fresh: e.Fresh, Reached: []apiv1.Reached{}}
	if e.Carrying > 0 {
		out.FreshPercent = percent(e.Fresh, e.Carrying)
	}
	for _, r := range e.Reached {
		out.Reached = append(out.Reached, apiv1.Reached{Percent: r.Percent, AfterSeconds: r.AfterSeconds})
	}
	if full {
		out.Curve = []apiv1.Point{}
		for _, p := range e.Curve {
			out.Curve = append(out.Curve, apiv1.Point{AfterSeconds: p.AfterSeconds, Percent: p.Percent})
		}
	}
	if g := e.Gate; g != nil {
		eg := &apiv1.EventGate{PublishID: g.PublishID, Quorum: g.Quorum, Started: rfc3339Time(g.Started),
			Committed: rfc3339Time(g.Committed), Hosts: []apiv1.GateHost{}}
		for _, h := range g.Hosts {
			eg.Hosts = append(eg.Hosts, apiv1.GateHost{Host: h.Host, FirstSeen: rfc3339Time(h.FirstSeen)})
		}
		out.Gate = eg
	}
	return out
}
