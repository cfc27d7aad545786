-- Service ids become generated (see store.ServiceAccount): a client-chosen id
-- unique across all users let a 409 on create reveal another tenant's
-- account. The client's label moves to name, unique per owner only.
-- Existing accounts keep their id (tokens and secrets stay valid) and get it
-- as their name.
ALTER TABLE service_accounts ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE service_accounts SET name = id;
CREATE UNIQUE INDEX service_accounts_owner_name_idx ON service_accounts (owner_id, name);
-- The unique index leads with owner_id, so it serves the owner lookups.
DROP INDEX service_accounts_owner_idx;
