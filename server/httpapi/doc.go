// Package httpapi is signald's HTTP surface: health, the signal as JSON, and
// the authenticated admin API that signalctl publishes through. Every
// request body is size-capped and every bad request gets a 4xx with a
// one-line reason. It must not import agent.
package httpapi
