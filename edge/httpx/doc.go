// Package httpx is what every HTTP handler of the edge shares: the request
// context (Request: ids, the caller's Identity, its client address and time
// budget), the route type feature packages register (Route), JSON error
// answers (Error), strict JSON body decoding, query-parameter checks, path
// parameters and the metering of long-lived answers (Stream). It imports
// nothing else from the edge, so feature packages depend on it and never on
// each other or on the edge core.
package httpx
