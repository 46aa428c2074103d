-- The release train: what only relman knows about each release (GitHub keeps the code facts).

-- The installation a repository was last seen under, and its GitHub id (webhooks queue work by
-- it), so scheduled work can act on the repository in the same queue as its webhooks.
ALTER TABLE repositories ADD COLUMN installation_id BIGINT;
ALTER TABLE repositories ADD COLUMN repo_id BIGINT;

-- One row per release relman tracks: a scheduled (regular) release day, later also hotfixes and
-- warmfixes. The key is unique per repository, so catching up after downtime, a restart or a
-- second replica never opens a second tracking issue for the same release.
CREATE TABLE releases (
    id             BIGSERIAL PRIMARY KEY,
    repo           TEXT    NOT NULL,
    release_key    TEXT    NOT NULL,   -- regular:<scheduled date>
    kind           TEXT    NOT NULL,   -- regular
    scheduled_date TEXT    NOT NULL,   -- YYYY-MM-DD the cadence put it on
    release_date   TEXT,               -- YYYY-MM-DD it happens on; NULL when skipped
    issue_number   BIGINT,               -- the tracking issue
    state          TEXT    NOT NULL,   -- open | released | skipped | no_changes
    manager        TEXT,
    version        TEXT,
    tag            TEXT,
    release_id     BIGINT,               -- the GitHub release relman created
    release_url    TEXT,
    sha            TEXT,               -- the commit released
    reason         TEXT,               -- why it was skipped
    requested_by   TEXT,               -- who cut or skipped it
    body_hash      TEXT,               -- of the tracking issue body last written (skip no-op edits)
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    released_at    BIGINT,
    closed_at      BIGINT,
    UNIQUE (repo, release_key)
);
CREATE INDEX releases_by_issue ON releases (repo, issue_number);

-- Sign-offs and QA calls per release, append-only; the current state is folded from them.
CREATE TABLE release_log (
    id          BIGSERIAL PRIMARY KEY,
    repo        TEXT    NOT NULL,
    release_key TEXT    NOT NULL,
    entry       TEXT    NOT NULL,   -- signoff | qa_ok | qa_blocker | qa_clear
    environment TEXT    NOT NULL,   -- staging | production | '' when not about one
    text        TEXT,
    actor       TEXT    NOT NULL,
    comment_id  BIGINT NOT NULL,      -- the comment that said it (a retry does not record twice)
    at          BIGINT NOT NULL,
    UNIQUE (repo, release_key, entry, environment, comment_id)
);

-- /rotation swap: who takes whose turn in a period.
CREATE TABLE rotation_swaps (
    id         BIGSERIAL PRIMARY KEY,
    repo       TEXT    NOT NULL,
    period     TEXT    NOT NULL,   -- YYYY-MM or a release date YYYY-MM-DD
    a          TEXT    NOT NULL,
    b          TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    comment_id BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    UNIQUE (repo, comment_id, period)
);
