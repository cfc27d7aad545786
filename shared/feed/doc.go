// Package feed is the edge's live view of the cell's events: what the
// WebSocket and SSE streams push.
//
// One Hub per edge process reads the cell's event stream once (a JetStream
// ordered consumer on the price, availability and provider subjects; see
// source.go), turns each event into an Update whose client frame is
// encoded once, keeps the most recent ones for replay, and fans each out
// through an index from channel key to subscribers. A subscriber never
// slows the hub or another subscriber: each has a bounded queue, and a full
// queue drops its oldest updates (the subscriber is told how many were
// lost) and, if it stays full, asks for the subscriber to be closed.
//
// Sequence numbers are the stream's own, so the id of an update is the
// same on every edge of the cell, and a client that reconnects asks for
// what came after the last one it saw.
//
// Nothing here speaks HTTP: edge/stream maps the protocols onto a Hub.
package feed
