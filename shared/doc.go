// Package shared holds the types every role of a cell agrees on: the
// normalized Offer, the canonical GPU catalog, region normalization, NATS
// subject names and the request/reply wire format between edges and workers.
// It depends on nothing else in the module.
package shared
