// Package simulator serves each supported provider's pricing API wire
// format (paths, auth headers, JSON/GraphQL shapes, pagination, 429s) under
// its own path prefix, backed by a seeded synthetic inventory whose prices
// follow a random walk. Per-provider latency, error, timeout and rate-limit
// injection is set by configuration or the /_sim admin endpoints. Pointing an
// adapter at the simulator instead of the real API is only a base-URL change:
// http://<sim>/<provider> replaces the provider's production base URL.
package simulator
