package shared

import (
	"time"
)

// Headers of the edge↔worker request-reply protocol. Offers travel as JSON
// arrays; a reply too big for one NATS message is split into chunks that the
// requester reassembles, each chunk carrying its index and the total.
const (
	HeaderRequestID = "Gpubroker-Request-Id"
	HeaderTraceID   = "Gpubroker-Trace-Id"
	HeaderDeadline  = "Gpubroker-Deadline" // unix milliseconds
	HeaderChunk     = "Gpubroker-Chunk"    // 0-based index
	HeaderChunks    = "Gpubroker-Chunks"   // total number of chunks
	HeaderError     = "Gpubroker-Error"    // set on an error reply; body is empty
	HeaderErrorKind = "Gpubroker-Error-Kind"
	HeaderFetchedAt = "Gpubroker-Fetched-At" // unix milliseconds of the upstream fetch
	HeaderUpstream  = "Gpubroker-Upstream-Ms"
)

// Error kinds a worker reports, so the edge can tell a slow provider from a
// broken one without parsing messages.
const (
	ErrKindTimeout     = "timeout"
	ErrKindRateLimited = "rate_limited"
	ErrKindUpstream    = "upstream"
	ErrKindAuth        = "auth"
	ErrKindInternal    = "internal"
	// ErrKindCredentialsUnavailable: the provider's credential could not be
	// read (secret store down past its grace period); the provider was not
	// called and its breaker does not count it.
	ErrKindCredentialsUnavailable = "credentials_unavailable"
)

// OffersPerChunk bounds one reply message: about 600 bytes per encoded offer
// keeps a chunk well under NATS's default 1 MiB max_payload.
const OffersPerChunk = 1000

// More error kinds a worker reports.
const (
	ErrKindCircuitOpen = "circuit_open" // the worker's breaker rejected the call
	ErrKindOverloaded  = "overloaded"   // the worker's bounded queue is full
)

// HeaderReplica names the worker replica that answered.
const HeaderReplica = "Gpubroker-Replica"

// WorkerStatus is the heartbeat a worker replica publishes on HealthSubject
// every few seconds and on every breaker transition.
type WorkerStatus struct {
	Provider      string    `json:"provider"`
	Replica       string    `json:"replica"`
	Breaker       string    `json:"breaker"` // closed | half_open | open
	RetryAt       time.Time `json:"retry_at,omitzero"`
	LatencyMS     float64   `json:"latency_ms"` // moving average of upstream calls
	LastSuccess   time.Time `json:"last_success,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	LastErrorKind string    `json:"last_error_kind,omitempty"`
	LastErrorAt   time.Time `json:"last_error_at,omitzero"`
	LastProbe     time.Time `json:"last_probe,omitzero"`
	Offers        int       `json:"offers"`
	InFlight      int       `json:"in_flight"`
	Interval      int64     `json:"interval_ms"` // heartbeat period; a status older than 3 periods is stale
	Time          time.Time `json:"time"`
}

// VerifyRequest asks a provider's worker to try the credential a user
// stored for it. It names the owner only: the key itself never travels on
// the bus; the worker reads it from the provider-key store.
type VerifyRequest struct {
	Owner string `json:"owner"`
}

// VerifyResult is a worker's answer to a VerifyRequest.
type VerifyResult struct {
	Status    string    `json:"status"` // VerifyVerified, VerifyRejected or VerifyUnverified
	Message   string    `json:"message,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}

// Outcomes of a credential check.
const (
	VerifyVerified   = "verified"   // the provider accepted the key and answered
	VerifyRejected   = "rejected"   // the provider refused the key (401/403)
	VerifyUnverified = "unverified" // no verdict: provider down, timeout, store unreachable
)

// RequestIDs travel with every internal call (HeaderRequestID,
// HeaderTraceID) so one request's log lines can be found in every process.
type RequestIDs struct {
	RequestID string
	TraceID   string
}
