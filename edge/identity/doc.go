// Package identity tells the edge who is calling: a configured API key, a
// user's stored API key (through accounts.KeyAuth's caches), a user's
// access token, a service token (checked against its account), or nobody
// (anonymous, by client address, with trusted proxies' X-Forwarded-For
// read right to left). A credential that is presented but invalid is an
// error, never a silent fallback to anonymous; plans declared by the client
// are ignored.
package identity
