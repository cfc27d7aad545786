-- 0001: accounts, credentials, what users own, and the offer catalog with
-- its price history; the same tables as pgstore's 0001. STRICT tables keep
-- column types honest. Times are INTEGER microseconds since the Unix epoch
-- (UTC; NULL is "never"), PostgreSQL's precision; text lists (scopes,
-- events) are JSON arrays; booleans are 0/1.

CREATE TABLE users (
    id            TEXT NOT NULL PRIMARY KEY,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    plan          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE api_keys (
    id           TEXT NOT NULL PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX api_keys_user_idx ON api_keys (user_id);

CREATE TABLE refresh_tokens (
    id          TEXT NOT NULL PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   TEXT NOT NULL,
    hash        BLOB NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER,
    replaced_by TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE service_accounts (
    id          TEXT NOT NULL PRIMARY KEY,
    owner_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    plan        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    disabled    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX service_accounts_owner_idx ON service_accounts (owner_id);

CREATE TABLE favorites (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    offer_id   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, offer_id)
) STRICT;

CREATE TABLE alerts (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    gpu_type   TEXT NOT NULL,
    max_price  REAL NOT NULL,
    region     TEXT NOT NULL,
    provider   TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX alerts_user_idx ON alerts (user_id);

CREATE TABLE webhooks (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX webhooks_user_idx ON webhooks (user_id);

CREATE TABLE offers (
    id           TEXT NOT NULL PRIMARY KEY,
    provider     TEXT NOT NULL,
    gpu_id       TEXT NOT NULL,
    gpu_model    TEXT NOT NULL,
    region       TEXT NOT NULL,
    price        REAL NOT NULL,
    per_gpu      REAL NOT NULL,
    currency     TEXT NOT NULL,
    availability TEXT NOT NULL,
    data         TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX offers_provider_idx ON offers (provider);
CREATE INDEX offers_gpu_idx ON offers (gpu_id);

-- History outlives the offers it samples, so no foreign key. The id (the
-- rowid) orders points observed at the same instant.
CREATE TABLE price_points (
    id        INTEGER PRIMARY KEY,
    offer_id  TEXT NOT NULL,
    provider  TEXT NOT NULL,
    gpu_id    TEXT NOT NULL,
    gpu_model TEXT NOT NULL,
    region    TEXT NOT NULL,
    price     REAL NOT NULL,
    per_gpu   REAL NOT NULL,
    at        INTEGER NOT NULL
) STRICT;
CREATE INDEX price_points_gpu_at_idx ON price_points (gpu_id, at);
CREATE INDEX price_points_model_at_idx ON price_points (gpu_model, at);
CREATE INDEX price_points_provider_gpu_at_idx ON price_points (provider, gpu_id, at);
