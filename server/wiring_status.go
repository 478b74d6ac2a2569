package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api"
	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/mirrorlist"
	"github.com/mirrorsignal/mirrorsignal/server/mirrorlist/geo"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/replica"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/statusbuild"
	"github.com/mirrorsignal/mirrorsignal/server/web"
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
	var b *statusbuild.Builder
	tracker, err := w.repomdTracker(func() { b.Changed() })
	if err != nil {
		return err
	}
	if tracker != nil {
		o.Repos = tracker.Repos
	}
	b = statusbuild.New(o)
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
	if err := w.exporter(); err != nil {
		return err
	}
	if err := w.surfaces(); err != nil {
		return err
	}
	w.public = append(w.public, api.NewReady(w.readyChecks()...))
	return nil
}

// surfaces registers the public read-side routes over the hub, the same
// on a primary and on a replica: the status page, the JSON API, the
// archweb document, the mirrorlist and metalink.
func (w *wiring) surfaces() error {
	if err := w.mirrorlist(); err != nil {
		return err
	}
	sc := w.cfg.Status
	w.public = append(w.public, web.New(web.Options{Status: w.hub, Now: w.now, Log: w.log}), api.NewStatus(w.hub),
		api.NewArchweb(w.hub, api.ArchwebOptions{Tree: sc.ArchwebTree, ISOTree: sc.ArchwebISOTree,
			CheckInterval: w.cfg.Checker.Interval.Duration, DetailsBase: strings.TrimSuffix(sc.PublicURL, "/")}))
	return nil
}

// exporter writes the status for replicas to status.export and serves it
// with status.serve_export.
func (w *wiring) exporter() error {
	sc := w.cfg.Status
	if sc.Export == "" && !sc.ServeExport {
		return nil
	}
	exp, err := replica.NewExporter(replica.ExporterOptions{Hub: w.hub, File: w.cfg.StatusExportPath(), Now: w.now, Log: w.log, Registerer: w.reg})
	if err != nil {
		return err
	}
	w.add("status-export", exp.Run)
	if sc.ServeExport {
		w.public = append(w.public, exp)
	}
	return nil
}

// repomdTracker reads the masters' repomd.xml for the metalink, when the
// mirror list has repos and the mirrorlist is on; nil otherwise.
func (w *wiring) repomdTracker(changed func()) (*mirrorlist.MasterTracker, error) {
	if !w.cfg.Mirrorlist.Enabled || w.fleet == nil || len(w.fleet.Fleet().Repos()) == 0 {
		return nil, nil
	}
	masters := map[string]string{}
	for _, t := range w.cfg.Trees {
		if t.RepoBase != "" {
			masters[t.Name] = t.RepoBase
		}
	}
	ml := w.cfg.Mirrorlist
	tr, err := mirrorlist.NewMasterTracker(mirrorlist.TrackerOptions{
		Repos: mirrorlist.TrackedRepos(w.fleet.Fleet().Repos()), Masters: masters,
		StatePath: w.cfg.RepomdHistoryPath(), Refresh: ml.MasterRefresh.Duration, Grace: ml.AlternatesGrace.Duration,
		OnChange: changed, Now: w.now, Logger: w.log})
	if err != nil {
		return nil, err
	}
	w.zone.Subscribe(zone.SubscriberFunc(func(s *zone.Snapshot) { tr.SignalChanged(s.Stamps) }))
	w.add("repomd-tracker", tr.Run)
	return tr, nil
}

// mirrorlist serves GET /mirrorlist and /metalink from the hub.
func (w *wiring) mirrorlist() error {
	ml := w.cfg.Mirrorlist
	if !ml.Enabled {
		return nil
	}
	o := mirrorlist.Options{Source: w.hub, MinMirrors: ml.MinMirrors, Proxies: w.cfg.TrustedProxies(),
		AlternatesGrace: ml.AlternatesGrace.Duration, Now: w.now, Registerer: w.reg, Logger: w.log}
	if p := w.cfg.GeoIPPath(); p != "" {
		db, err := geo.Open(p)
		if err != nil {
			return &config.Error{Key: "mirrorlist.geoip_db", Reason: err.Error()}
		}
		w.closers = append(w.closers, db.Close)
		o.Geo = db
	}
	svc, err := mirrorlist.New(o)
	if err != nil {
		return err
	}
	w.hub.Subscribe(svc)
	w.public = append(w.public, svc)
	return nil
}

// readyChecks are what /readyz asks: the zone built, the store answering
// and, when it is on, the checker having finished a round lately.
func (w *wiring) readyChecks() []api.ReadyCheck {
	z, st := w.zone, w.store
	checks := []api.ReadyCheck{
		{Name: "zone", Check: func() error {
			if z.Current() == nil {
				return errors.New("not built yet")
			}
			return nil
		}},
		{Name: "store", Check: func() error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			return st.Ping(ctx)
		}},
	}
	if c := w.checkerView; c != nil {
		late := 3*w.cfg.Checker.Interval.Duration + time.Minute
		now := w.now
		checks = append(checks, api.ReadyCheck{Name: "checker", Check: func() error {
			v := c.View()
			switch {
			case v == nil || v.At.IsZero():
				return errors.New("no round finished yet")
			case now().Sub(v.At) > late:
				return fmt.Errorf("last round ended %s ago", now().Sub(v.At).Round(time.Second))
			}
			return nil
		}})
	}
	return checks
}
