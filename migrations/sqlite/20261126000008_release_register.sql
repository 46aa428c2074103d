-- The release register: what the short-circuit statistics need beyond the release train's own
-- columns, and the expedited (warmfix/hotfix) releases' own facts.

-- Where an expedited release was asked for, and when.
ALTER TABLE releases ADD COLUMN origin_issue INTEGER;   -- the issue or PR `/hotfix` was said on
ALTER TABLE releases ADD COLUMN origin_url TEXT;        -- the comment that asked for it
ALTER TABLE releases ADD COLUMN requested_at INTEGER;   -- when (a regular release: its tracking)
-- The version an expedited release patches, and the branch it is built on.
ALTER TABLE releases ADD COLUMN base_tag TEXT;
ALTER TABLE releases ADD COLUMN branch TEXT;
ALTER TABLE releases ADD COLUMN released_by TEXT;       -- who cut it (requested_by asked for it)
-- When the release was first seen running on staging and in production.
ALTER TABLE releases ADD COLUMN staged_at INTEGER;
ALTER TABLE releases ADD COLUMN production_at INTEGER;
-- A hotfix's deployment request is marked expedited.
ALTER TABLE releases ADD COLUMN expedited INTEGER NOT NULL DEFAULT 0;
-- The planned release an expedited one replaces: the regular release's key and which of its
-- deployments (staging | production); NULL when it replaces none (e.g. a warmfix in week 2).
ALTER TABLE releases ADD COLUMN replaces_key TEXT;
ALTER TABLE releases ADD COLUMN replaces_env TEXT;
ALTER TABLE releases ADD COLUMN replaces_week TEXT;     -- YYYY-MM-DD, the Monday of that week

-- The pull requests an expedited release cherry-picks, in the order they were named.
CREATE TABLE release_picks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    repo        TEXT    NOT NULL,
    release_key TEXT    NOT NULL,
    pr_number   INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    author      TEXT,
    merge_sha   TEXT    NOT NULL,
    merged_at   INTEGER NOT NULL,
    added_by    TEXT    NOT NULL,
    added_at    INTEGER NOT NULL,
    UNIQUE (repo, release_key, pr_number)
);

-- Every pull request merged into the default branch, when: the start of its lead time. A merge
-- ships in the first regular release cut after it (or in the expedited one that picks it).
CREATE TABLE merged_changes (
    repo       TEXT    NOT NULL,
    pr_number  INTEGER NOT NULL,
    merged_at  INTEGER NOT NULL,
    merge_sha  TEXT,
    PRIMARY KEY (repo, pr_number)
);
