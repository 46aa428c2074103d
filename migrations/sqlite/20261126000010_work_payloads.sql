-- Payloads move out of the inbox row (benches/README.md). A worker's claim and outcome rewrite
-- the item's row; with the payload inline that was the whole record, overflow pages and all
-- (tens of KiB for a pull_request event), twice per item. Rows are now ~200 bytes, many to a
-- page; the payload is written once, when the delivery is stored, and only read by the claim.
CREATE TABLE work_payloads (
    id      INTEGER PRIMARY KEY,    -- work_items.id
    payload BLOB    NOT NULL
);
INSERT INTO work_payloads (id, payload) SELECT id, payload FROM work_items;
ALTER TABLE work_items DROP COLUMN payload;
