// Package accounts is the gateway's account service: users and passwords,
// access and refresh tokens, service accounts, API keys, and what users own
// (favorites, price alerts, webhooks), plus the price-history analytics.
// It holds the domain rules and talks to a store.Store; the HTTP edge
// (package edge/accountapi) decodes requests, calls it and renders its errors.
//
// # Passwords, tokens and keys
//
//   - Passwords and service-account secrets are hashed with argon2id and
//     stored as PHC strings; verification is constant-time and a bounded
//     number of hashes run at once, so a login flood cannot exhaust memory.
//   - Access tokens are EdDSA (Ed25519) JWTs: sub, plan, iss, aud
//     "gpubroker", iat, exp (15 minutes) and jti. Service tokens live 30 days
//     and add kind "service", scopes and uid (the owning user). ServiceAuth
//     checks them against their account on every use (5 s cache), so a
//     deleted account's tokens stop working and the owner's current plan
//     applies.
//   - Refresh tokens are opaque random strings stored as SHA-256. Each use
//     revokes the token and issues its successor in the same family;
//     presenting a revoked token again revokes the whole family.
//   - API keys are "gpb_" + 32 random bytes in base64url, stored as SHA-256.
//     KeyAuth resolves them for the edge with a positive (30 s) and a
//     negative (5 s) cache and a bound on concurrent store lookups.
//
// Secrets (passwords, tokens, keys, webhook secrets) are never logged and
// never appear in errors.
//
// # Login throttling
//
// Failed logins are counted per account and per client IP in a
// ratelimit.Limiter with a 15-minute window (shared through Redis when the
// limiter has it). A gate in front of the password check admits a
// verification only while the failures already counted plus the checks in
// flight stay under the limit, so a locked-out caller costs no argon2 work;
// see Lockout for the exact guarantee.
package accounts
