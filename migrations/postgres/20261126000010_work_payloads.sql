-- Payloads move out of the inbox row (benches/README.md): a worker's claim and outcome rewrite
-- the item's row, which no longer carries tens of KiB of payload with it.
CREATE TABLE work_payloads (
    id      BIGINT PRIMARY KEY,     -- work_items.id
    payload BYTEA  NOT NULL
);
INSERT INTO work_payloads (id, payload) SELECT id, payload FROM work_items;
ALTER TABLE work_items DROP COLUMN payload;
