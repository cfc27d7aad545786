// Package edge is the public HTTP face of a cell: a fasthttp server that
// validates requests, fans each one out over NATS request-reply to every
// provider's worker queue group in parallel, merges and filters the
// normalized offers, and answers with JSON. A provider that fails or is slow
// is reported in "warnings" and never turns a list request into a 5xx.
package edge
