// Package presence notices worker replicas that go away without saying so.
//
// A replica that stops cleanly emits its own replica_left provider_event.
// One that is killed, or whose machine or network is lost, cannot: the
// Watcher, which runs in the cell's sync role, follows every replica's
// heartbeats (<cell>.health.<provider>, each carrying its interval) and
// emits replica_left with reason "heartbeat lost" for a replica silent for
// Missed intervals (default 3, so 15 s at the default 5 s heartbeat).
//
// Both paths give the event the same id, derived from the cell, provider
// and replica, so a clean stop seen by the watcher too, or two watchers in
// two sync processes, make one event in the stream (JetStream's dedup);
// the watcher also forgets a replica once it sees its own replica_left.
//
// A watcher knows only the replicas it heard since it started: a replica
// that dies while no watcher runs is reported by none.
package presence
