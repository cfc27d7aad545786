-- 0001: accounts, credentials, what users own, and the offer catalog with
-- its price history. Ids are text: the gateway generates them (UUIDs for
-- users and owned rows, caller-chosen names for service accounts).

CREATE TABLE users (
    id            text PRIMARY KEY,
    email         text NOT NULL,
    password_hash text NOT NULL,
    plan          text NOT NULL,
    created_at    timestamptz NOT NULL,
    disabled      boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE api_keys (
    id           text PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL,
    hash         bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);

CREATE TABLE refresh_tokens (
    id          text PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   text NOT NULL,
    hash        bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz,
    revoked_at  timestamptz,
    replaced_by text NOT NULL DEFAULT ''
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE service_accounts (
    id          text PRIMARY KEY,
    owner_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash text NOT NULL,
    scopes      text[] NOT NULL,
    plan        text NOT NULL,
    created_at  timestamptz NOT NULL,
    disabled    boolean NOT NULL DEFAULT false
);
CREATE INDEX service_accounts_owner_idx ON service_accounts (owner_id);

CREATE TABLE favorites (
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    offer_id   text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, offer_id)
);

CREATE TABLE alerts (
    id         text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    gpu_type   text NOT NULL,
    max_price  double precision NOT NULL,
    region     text NOT NULL,
    provider   text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX alerts_user_idx ON alerts (user_id);

CREATE TABLE webhooks (
    id         text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url        text NOT NULL,
    events     text[] NOT NULL,
    secret     text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX webhooks_user_idx ON webhooks (user_id);

CREATE TABLE offers (
    id           text PRIMARY KEY,
    provider     text NOT NULL,
    gpu_id       text NOT NULL,
    gpu_model    text NOT NULL,
    region       text NOT NULL,
    price        double precision NOT NULL,
    per_gpu      double precision NOT NULL,
    currency     text NOT NULL,
    availability text NOT NULL,
    data         jsonb NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX offers_provider_idx ON offers (provider);
CREATE INDEX offers_gpu_idx ON offers (gpu_id);

-- History outlives the offers it samples, so no foreign key. The id orders
-- points observed at the same instant.
CREATE TABLE price_points (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    offer_id  text NOT NULL,
    provider  text NOT NULL,
    gpu_id    text NOT NULL,
    gpu_model text NOT NULL,
    region    text NOT NULL,
    price     double precision NOT NULL,
    per_gpu   double precision NOT NULL,
    at        timestamptz NOT NULL
);
CREATE INDEX price_points_gpu_at_idx ON price_points (gpu_id, at);
CREATE INDEX price_points_model_at_idx ON price_points (gpu_model, at);
CREATE INDEX price_points_provider_gpu_at_idx ON price_points (provider, gpu_id, at);
