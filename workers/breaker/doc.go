// Package breaker is the per-provider circuit breaker that the provider
// workers wrap around every upstream call, so a failing provider API is
// given room to recover instead of being hammered by every waiting request.
//
// # State machine
//
//	         failures >= 50% of the last 10 calls
//	CLOSED ─────────────────────────────────────────> OPEN
//	  ^                                              │  ^
//	  │ 3 trials succeeded        30 s after opening │  │ any trial failed
//	  │ (window emptied)          (first Allow)      v  │ (open 30 s again)
//	  └──────────────────────────────────────────── HALF_OPEN
//
// CLOSED admits every call and records each outcome in the window. OPEN
// rejects every call with an error matching [ErrOpen], so no upstream call
// is made. HALF_OPEN admits at most 3 trial calls in total and rejects the
// rest; the trials decide whether the provider is healthy again. The numbers
// are the defaults of [Config].
//
// Every transition starts a new generation. A call remembers the generation
// that admitted it and its outcome is ignored once the generation moved on:
// a slow call admitted while CLOSED says nothing about a provider that has
// since been judged down, and a trial finishing after another trial already
// reopened the breaker must not count towards closing it.
//
// # Why the window counts calls rather than time
//
// The decision is taken over the outcomes of the last 10 calls, not the
// calls of the last N seconds. A provider is called at very different rates
// (bursts of searches, idle nights, many worker replicas): a time window
// would judge a quiet provider on one or two calls and a busy one on
// thousands, and cumulative counters would let a long healthy history hide a
// fresh outage. A fixed number of calls gives every decision the same
// statistical weight and bounds memory, and requiring a full window means a
// breaker that has just (re)closed is never tripped by its first few calls.
//
// Outcomes are reported through the done function returned by
// [Breaker.Allow]; calling it more than once counts once. Transitions are
// reported to Config.OnTransition outside the breaker's lock, in the order
// they happened.
package breaker
