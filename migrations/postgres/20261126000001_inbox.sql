-- The inbox: webhook deliveries and jobs, one durable queue (DESIGN.md §2).
-- Times are unix milliseconds (BIGINT) so the same queries serve SQLite and PostgreSQL.
CREATE TABLE work_items (
    id              BIGSERIAL PRIMARY KEY,
    kind            TEXT    NOT NULL,
    dedupe_key      TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    action          TEXT,
    queue_key       TEXT    NOT NULL,
    repo            TEXT,
    installation_id BIGINT,
    payload         BYTEA   NOT NULL,
    status          TEXT    NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    run_at          BIGINT  NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT  NOT NULL,
    started_at      BIGINT,
    finished_at     BIGINT
);
CREATE INDEX work_items_claimable ON work_items (status, id);
CREATE INDEX work_items_queue ON work_items (queue_key, status, id);
