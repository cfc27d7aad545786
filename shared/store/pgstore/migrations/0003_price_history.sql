-- 0003: price history as a step function. offers.updated_at was always the
-- time of the last sync that saw the offer, so it is renamed for what it
-- means; gone_at is set when a complete sync of the provider no longer
-- lists the offer (cleared when it is listed again). A gone price point
-- ends the offer's step function at its time.

ALTER TABLE offers RENAME COLUMN updated_at TO last_seen_at;
ALTER TABLE offers ADD COLUMN gone_at timestamptz;
CREATE INDEX offers_model_idx ON offers (gpu_model);

ALTER TABLE price_points ADD COLUMN gone boolean NOT NULL DEFAULT false;
-- The point in force at a range's start: one probe per offer.
CREATE INDEX price_points_offer_at_idx ON price_points (offer_id, at, id);
