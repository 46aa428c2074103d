-- Pending items that wait behind an earlier item of their queue are set aside ("parked"), so a
-- claim does not step over them again and again: the same change as SQLite's migration of this
-- number, which says why.
--
-- Here replicas claim and finish side by side, so parking and unparking must not interleave. A
-- claim that parks decides from its snapshot that an earlier item holds the queue; if that item
-- ended and looked for a parked item to give back before the park committed, the parked item
-- would wait for an unpark that never comes. So parking takes a transaction-level advisory lock
-- exclusively and a finish that ends an item takes it shared (`PARKING_LOCK` in
-- src/store/work.rs): finishes do not wait for each other, and each park sees every ended item
-- or is seen by the finish that ends its holder. (The SQLite migration's last paragraph, which
-- says PostgreSQL does not park, predates this one; a migration's text is fixed once applied.)
ALTER TABLE work_items ADD COLUMN parked INTEGER NOT NULL DEFAULT 0;

-- The walk: pending items in id order, parked ones apart.
DROP INDEX work_items_claimable;
CREATE INDEX work_items_claimable ON work_items (status, parked, id);

-- The first parked item of a queue, found when an item of that queue ends.
CREATE INDEX work_items_parked ON work_items (queue_key, id) WHERE parked = 1;
