package zone

import (
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/authdns"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Snapshot is one zone as served. It is immutable: subscribers may keep it
// and read it from any goroutine.
type Snapshot struct {
	Name   string        // the signal's owner name, fully qualified
	Record signal.Record // the signal record
	Serial uint32        // the SOA serial
	// Stamps are the published times by tree name (0: never published).
	Stamps map[string]int64
	// DNSSEC is the signing state; Signed is false for an unsigned zone.
	DNSSEC DNSSEC
	// Wire holds the precomputed DNS answers of this zone.
	Wire *authdns.Snapshot
}

// DNSSEC is the signing state of a snapshot.
type DNSSEC struct {
	Signed bool
	// Expiry is the earliest expiry of the RRSIGs served; zero when unsigned.
	Expiry time.Time
	// KeyTags are the tags of the keys in the DNSKEY RRset.
	KeyTags []uint16
}

// Subscriber receives every new zone. ZoneChanged is called once per
// snapshot, in serial order, never concurrently; it must not block.
type Subscriber interface {
	ZoneChanged(s *Snapshot)
}

// SubscriberFunc adapts a function to a Subscriber.
type SubscriberFunc func(*Snapshot)

// ZoneChanged calls f(s).
func (f SubscriberFunc) ZoneChanged(s *Snapshot) { f(s) }

// Swapper is what the DNS server offers: it serves a new set of answers.
type Swapper interface {
	Swap(*authdns.Snapshot)
}

// Serve returns the subscriber that makes srv answer from each new zone.
func Serve(srv Swapper) Subscriber {
	return SubscriberFunc(func(s *Snapshot) { srv.Swap(s.Wire) })
}

// SerialSink is told each new serial (NOTIFY to the secondaries).
type SerialSink interface {
	Notify(serial uint32)
}

// Announce returns the subscriber that tells n each new serial.
func Announce(n SerialSink) Subscriber {
	return SubscriberFunc(func(s *Snapshot) { n.Notify(s.Serial) })
}

// RecordSink takes each new signal record (the RFC 2136 pusher).
type RecordSink interface {
	Set(signal.Record)
}

// Push returns the subscriber that hands p each new signal record.
func Push(p RecordSink) Subscriber {
	return SubscriberFunc(func(s *Snapshot) { p.Set(s.Record) })
}
