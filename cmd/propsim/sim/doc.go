// Package sim is a discrete-event simulator of a tiered mirror network
// after one publish: how fast the mirrors get the new content under each
// sync strategy (cron a few times a day, hourly cron, signal polling with
// jitter, polling plus sync-source advice, push triggers), and how many
// rsync sessions each upstream serves at once.
//
// The model. Content lands on the master at t = 0. The tier-1 hosts (the
// distribution's own sync hosts) are fed from the master at once, in every
// strategy; the signal is bumped when a quorum of them has the content
// (the publisher's gate). Tier 2 syncs from tier 1, tier 3 from tier 2 or
// tier 1. A sync that starts while its upstream has the content makes the
// mirror fresh after one rsync duration (log-normal, calibratable); one
// from a stale upstream is a no-op that takes NoopShare of a duration.
//
// Upstream caps are the rsync daemon's "max connections": a session over
// the cap is refused at once, never queued. The agent then tries its next
// source (advised sources, then its configured upstream); when all refuse
// it waits for its next poll. A refused cron run waits for the next run, a
// refused push trigger falls back to the child's poll schedule, and a
// refused tier-1 host retries after TriggerRetry.
//
// Everything is a function of the Config and its seed: time is simulated,
// never read from a clock, and the topology (tiers, regions, down
// mirrors) is drawn once per Config so that every strategy runs on the
// same network. It imports neither server nor agent: the figures of
// advice (fan-out cap, window, sources per answer) are copied as defaults.
package sim
