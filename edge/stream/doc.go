// Package stream is the edge's push API: WebSocket at /ws/providers/ and
// /ws/providers/{provider}/, and Server-Sent Events at
// /api/v2/providers/stream. Both serve a shared/feed Hub: the edge reads the
// cell's event stream once and fans out in process, so no connection has
// a NATS subscription of its own.
//
// The protocols, limits and slow-client policy are in docs/streams.md;
// the WebSocket frames are protocol.go, connection handling ws.go, SSE
// sse.go, plan limits limits.go.
package stream
