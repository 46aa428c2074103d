-- One claim for both back-ends, by queue heads (src/store/work.rs, `claim_statement`): the claim
-- walks the queues that have open items and looks only at each one's first item, so nothing
-- needs setting aside ("parking", 0102) and no index needs to leave items out (0101).
DROP INDEX work_items_parked;
DROP INDEX work_items_holding;
DROP INDEX work_items_claimable;
ALTER TABLE work_items DROP COLUMN parked;

-- The open items of each queue in order: the queues that have any, and each one's head.
CREATE INDEX work_items_open ON work_items (queue_key, id) WHERE status IN ('pending', 'running');

-- Processes that hold leases, each alive until its last heartbeat says (src/store/processes.rs):
-- a replica that died is recognised when its heartbeat lapses, not when its leases run out.
CREATE TABLE inbox_processes (
    process     TEXT    PRIMARY KEY,   -- the prefix of its workers' lease owners, before ':'
    alive_until INTEGER NOT NULL
);
