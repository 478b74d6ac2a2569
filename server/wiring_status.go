package server

import (
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/statusbuild"
	"github.com/mirrorsignal/mirrorsignal/server/zone"
)

// status builds the read model the public surfaces share: the builder
// subscribes to the zone, the checker and the name-server watch, and sets
// each new snapshot on the hub.
func (w *wiring) status() error {
	w.hub = status.NewHub()
	o := statusbuild.Options{Hub: w.hub, Origin: w.cfg.Zone.Origin, Now: w.now, Log: w.log,
		CheckerEnabled: w.checkerView != nil, HistoryRefresh: w.cfg.Status.HistoryRefresh.Duration,
		Publishes: w.store}
	for _, t := range w.cfg.Trees {
		o.Trees = append(o.Trees, statusbuild.Tree{Name: t.Name, Master: t.RepoBase, Need: t.Need})
	}
	if w.fleet != nil {
		fleet := w.fleet
		o.Fleet = func() *mirrors.Fleet { return fleet.Fleet() }
	}
	if w.checkerDB != nil {
		o.History = w.checkerDB
	}
	b := statusbuild.New(o)
	w.zone.Subscribe(zone.SubscriberFunc(b.ZoneChanged))
	if w.checkerView != nil {
		w.checkerView.Subscribe(b.Checker())
	}
	if w.nsView != nil {
		w.nsView.Subscribe(b.NameServers())
	}
	// A reloaded mirror list shows at once, before the checker's next round.
	w.reloaders = append(w.reloaders, func() error { b.Changed(); return nil })
	w.add("status", b.Run)
	return nil
}
