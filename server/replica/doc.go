// Package replica is both ends of the read-only mirrorlist role.
//
// On a primary, the Exporter subscribes to the status hub and publishes
// each new snapshot in the export format of server/status (Encode): at
// most once per MinInterval, encoded off the hub's goroutine, written
// atomically to a file (for rsync) and served at GET /api/v1/status/export
// with a strong ETag, 304 on If-None-Match, and gzip when asked.
//
// On a replica (role = "mirrorlist"), the Loader polls a file or an
// http(s) URL, decodes what changed (Decode checks format, digest and
// content), and swaps a valid, newer snapshot into its own hub in one
// atomic step: the surfaces read Hub.Current per request, so none fails
// or sees half of a swap. A corrupt, invalid, older or future snapshot is
// refused, logged and counted, and the one loaded before stays.
//
// It imports server/status and signal/atomicfile; never the checker, the
// store or the zone (a replica has none of them).
package replica
