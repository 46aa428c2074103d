-- Which earlier items can hold a queue back, indexed without the ones every delivery adds.
--
-- `work_items_queue (queue_key, status, id)` took an entry for every stored delivery, at its
-- repository's end of the index: with a thousand busy repositories each delivery of a group
-- commit wrote (and first read back from the file) a leaf of its own, about half of the pages a
-- commit logged (benches/README.md, round 6).
--
-- The claim (`head_of_queue` in src/store/work.rs) only needs the items that can block a later item
-- of their queue: running ones, and pending ones that have run before (a retry, a released or
-- revived item) or were booked for later. A pending item that has never run and was due when it
-- was stored (a delivery, a due job) is left out: SQLite claims with one statement at a time,
-- in id order, so such an item is reached, and claimed or found blocked itself, before anything
-- later in its queue.
DROP INDEX work_items_queue;
CREATE INDEX work_items_holding ON work_items (queue_key, id)
    WHERE status = 'running'
       OR (status = 'pending' AND (started_at IS NOT NULL OR run_at > created_at));
