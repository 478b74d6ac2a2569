// Package httpserve runs signald's HTTP listeners: it builds a mux from the
// route sets the components register, serves it with timeouts and a
// bounded shutdown, and opens the admin listener (a Unix socket only
// signald's user can open, or loopback TCP). It knows no handlers.
package httpserve
