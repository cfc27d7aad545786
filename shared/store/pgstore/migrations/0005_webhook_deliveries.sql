-- 0005: webhooks the receiver turned off (410 Gone), and the record of
-- every delivery to a webhook with its attempts; the same change as the
-- embedded store's 0005. A delivery's state follows its latest recorded
-- attempt (last_attempt), so attempts finishing out of order cannot roll
-- it back. Took is in microseconds.
ALTER TABLE webhooks ADD COLUMN disabled_at timestamptz;
ALTER TABLE webhooks ADD COLUMN disabled_reason text NOT NULL DEFAULT '';

CREATE TABLE webhook_deliveries (
    id              text PRIMARY KEY,
    webhook_id      text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    user_id         text NOT NULL,
    event           text NOT NULL,
    event_id        text NOT NULL,
    state           text NOT NULL,
    next_attempt_at timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    last_attempt    integer NOT NULL
);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at, id);

CREATE TABLE webhook_delivery_attempts (
    delivery_id text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    n           integer NOT NULL,
    status      integer NOT NULL,
    error       text NOT NULL,
    at          timestamptz NOT NULL,
    took_us     bigint NOT NULL,
    PRIMARY KEY (delivery_id, n)
);
