// Package adminclient talks to signald's admin listener, over its Unix
// socket or loopback TCP with the bearer token: it picks the listener from
// flags or the configuration (New, FromConfig), sends a publish, turns an
// answer other than 200 into a *Refused carrying signald's reason, and
// words the result for the operator (FormatPublish).
//
// It is what signalctl uses, so it imports the API types and the
// configuration only. It must not import server/store or anything else that
// links SQLite, the server's components, or agent/.
package adminclient
