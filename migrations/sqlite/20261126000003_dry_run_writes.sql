-- `relman serve --dry-run`: each write relman would have sent to GitHub.
CREATE TABLE dry_run_writes (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    method TEXT    NOT NULL,
    route  TEXT    NOT NULL,
    body   TEXT
);
