package cache

import "time"

// EventKind names something the cache did, for metrics.
type EventKind int

// Event kinds. L1Miss covers an absent key and an item not fresh enough to
// serve; L1Error is a failed Redis call (which marks L1 down).
const (
	EventL2Hit EventKind = iota + 1
	EventL2Miss
	EventL1Hit
	EventL1Miss
	EventL1Error
	EventLoadStart
	EventLoadOK
	EventLoadError
	EventEarlyRefresh
	EventEviction
	EventStaleServed
	EventCodecError
)

var eventNames = [...]string{
	EventL2Hit:        "l2_hit",
	EventL2Miss:       "l2_miss",
	EventL1Hit:        "l1_hit",
	EventL1Miss:       "l1_miss",
	EventL1Error:      "l1_error",
	EventLoadStart:    "load_start",
	EventLoadOK:       "load_ok",
	EventLoadError:    "load_error",
	EventEarlyRefresh: "early_refresh",
	EventEviction:     "eviction",
	EventStaleServed:  "stale_served",
	EventCodecError:   "codec_error",
}

// String is a metric-label-friendly name.
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// Event is passed to Config.OnEvent.
type Event struct {
	Kind EventKind
	Key  string
	// Err is set for L1Error, LoadError and CodecError.
	Err error
	// Took is the load's duration for LoadOK and LoadError; LoadOK is
	// emitted once the item is in both tiers.
	Took time.Duration
}
