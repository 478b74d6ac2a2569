// Package web serves signald's human status page: GET / (the signal, every
// mirror's freshness per tree with a 14-day history strip, and recent
// publish events with their propagation curves), GET /mirrors/{name} (one
// mirror's probes, errors, SLO figures and 30-day lag) and GET /events/{id}
// (one publish: its curve, the shares reached and the tier-1 gate), plus
// its stylesheet under /static/.
//
// Pages are rendered with html/template from the immutable status.Snapshot
// the status Hub holds; the charts are inline SVG computed here (svg.go)
// and drawn by the templates, so every string from configuration, mirrors
// or the network goes through template escaping. The pages need no
// JavaScript, and the Content-Security-Policy forbids it: sorting and
// filtering are query parameters, validated strictly (query.go).
//
// It imports server/status and the standard library; it must not import
// the checker, the store or any other component.
package web
