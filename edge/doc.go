// Package edge is the core of a cell's public HTTP face: a fasthttp server
// that gives every request its ids, routes it through one table assembled
// from the feature packages' routes (edge/search, edge/accountapi,
// edge/ops, ...), identifies the caller (edge/identity), applies its plan's
// rate limit and the route's scope, and records metrics and the access
// log, for ordinary answers and for long-lived streams alike. It holds no
// feature logic: a feature package lists its httpx.Route values and owns
// their handlers.
package edge
