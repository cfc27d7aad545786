// Package adapters turns each GPU cloud's own pricing API into normalized
// shared.Offer values. There is one file per provider; each parses the
// provider's documented wire format and registers itself in the registry so
// workers can be started by provider name. Base URLs are configuration: the
// same adapter talks to the real API in production and to the provider
// simulator (package simulator) in tests and the embedded demo.
package adapters
