-- 0005: webhooks the receiver turned off (410 Gone), and the record of
-- every delivery to a webhook with its attempts; the same change as
-- pgstore's 0005. A delivery's state follows its latest recorded attempt
-- (last_attempt), so attempts finishing out of order cannot roll it back.
-- Took is in microseconds.
ALTER TABLE webhooks ADD COLUMN disabled_at INTEGER;
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT NOT NULL DEFAULT '';

CREATE TABLE webhook_deliveries (
    id              TEXT NOT NULL PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL,
    event           TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    state           TEXT NOT NULL,
    next_attempt_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    last_attempt    INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at, id);

CREATE TABLE webhook_delivery_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    n           INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    error       TEXT NOT NULL,
    at          INTEGER NOT NULL,
    took_us     INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, n)
) STRICT;
