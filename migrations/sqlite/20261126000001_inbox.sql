-- The inbox: webhook deliveries and jobs, one durable queue (DESIGN.md §2).
-- Times are unix milliseconds (INTEGER) so the same queries serve SQLite and PostgreSQL.
CREATE TABLE work_items (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,           -- 'webhook' | 'job'
    dedupe_key      TEXT    NOT NULL UNIQUE,    -- X-GitHub-Delivery, or job:<name>:<key>:<scheduled_for>
    name            TEXT    NOT NULL,           -- event name or job name
    action          TEXT,
    queue_key       TEXT    NOT NULL,           -- work with one key runs in order, one at a time
    repo            TEXT,                       -- owner/name, for people and logs
    installation_id INTEGER,
    payload         BLOB    NOT NULL,
    status          TEXT    NOT NULL,           -- pending | running | done | dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    run_at          INTEGER NOT NULL,           -- not before
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    started_at      INTEGER,
    finished_at     INTEGER
);
CREATE INDEX work_items_claimable ON work_items (status, id);
CREATE INDEX work_items_queue ON work_items (queue_key, status, id);
