-- 0004: notifications (an alert that fired, for its owner) and the
-- (alert, offer) pairs that have fired and not re-armed; the same change
-- as pgstore's 0004.
CREATE TABLE notifications (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    alert_id   TEXT NOT NULL,
    offer_id   TEXT NOT NULL,
    provider   TEXT NOT NULL,
    gpu        TEXT NOT NULL,
    region     TEXT NOT NULL,
    price      REAL NOT NULL,
    max_price  REAL NOT NULL,
    event_id   TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at, id);

CREATE TABLE alert_firings (
    alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    offer_id TEXT NOT NULL,
    PRIMARY KEY (alert_id, offer_id)
) STRICT;
