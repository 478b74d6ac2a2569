// Package api is signald's JSON API: the signal as served (public) and the
// admin routes signalctl publishes through. The JSON types live in apiv1,
// which clients import without linking server internals. Each route set
// registers itself on the mux it is given; the admin set is only ever
// registered on the admin listener. Every request body is size-capped and
// every bad request gets a 4xx with a one-line reason. It must not import
// agent.
package api
