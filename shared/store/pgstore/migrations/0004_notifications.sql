-- 0004: notifications (an alert that fired, for its owner) and the
-- (alert, offer) pairs that have fired and not re-armed; the same change
-- as the embedded store's 0004.
CREATE TABLE notifications (
    id         text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL,
    alert_id   text NOT NULL,
    offer_id   text NOT NULL,
    provider   text NOT NULL,
    gpu        text NOT NULL,
    region     text NOT NULL,
    price      double precision NOT NULL,
    max_price  double precision NOT NULL,
    event_id   text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at, id);

CREATE TABLE alert_firings (
    alert_id text NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    offer_id text NOT NULL,
    PRIMARY KEY (alert_id, offer_id)
);
