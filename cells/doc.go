// Package cells composes the roles of a region-local cell: a NATS server or
// connection, the provider simulator, one worker per provider, and the edge.
// Run everything in one process (Start) or each role alone against an
// external NATS (StartEdge, StartWorkers, StartSimulator); the same
// components are used either way.
package cells
