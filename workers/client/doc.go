// Package client is the requesting side of the worker protocol: it asks a
// provider's workers for offers over NATS request-reply
// (shared.OffersSubject, or one replica's shared.ReplicaSubject), picking
// the replica by the health weights of their heartbeats, reassembles
// chunked replies, and keeps what was observed of each provider (Health).
// The edge's search and the data-sync job both use it; it knows nothing of
// HTTP.
package client
