-- Pending items that wait behind an earlier item of their queue are set aside ("parked"), so a
-- claim does not step over them again and again.
--
-- A claim walks the due pending items in id order and takes the first that heads its queue.
-- When a repository's first item waits for a retry (GitHub down), every later item of that
-- repository is due yet blocked, and each claim stepped over all of them inside the inbox
-- writer's transaction, which the deliveries' acks wait for: 0.4 – 0.5 s per claim over a
-- backlog of 330,000 (benches/README.md, round 6; round 7 for this change).
--
-- Now a claim first parks the blocked items at the front of the walk (`park_statement` in
-- src/store/work.rs), so each is stepped over once. A parked item always has an earlier item of
-- its queue that holds the queue; an item stops holding only by ending (done or dead), and
-- then the first parked item of its queue is given back to the walk (`UNPARK_NEXT`), the rest
-- being held by that one.
--
-- SQLite only: PostgreSQL's replicas claim side by side, and there a claim that parks could race
-- a finish that unparks. Its claims run on the workers' own connections, not on the acks' path.
ALTER TABLE work_items ADD COLUMN parked INTEGER NOT NULL DEFAULT 0;

-- The walk: pending items in id order, parked ones apart. (Counts by status still use its prefix.)
DROP INDEX work_items_claimable;
CREATE INDEX work_items_claimable ON work_items (status, parked, id);

-- The first parked item of a queue, found when an item of that queue ends.
CREATE INDEX work_items_parked ON work_items (queue_key, id) WHERE parked = 1;
