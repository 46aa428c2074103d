-- Every command run: who, what, where, with what outcome (`relman audit`).
CREATE TABLE command_audit (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    repo          TEXT    NOT NULL,
    issue_number  INTEGER NOT NULL,
    comment_id    INTEGER NOT NULL,
    position      INTEGER NOT NULL,   -- byte offset of the command in the comment
    actor_login   TEXT    NOT NULL,
    actor_id      INTEGER NOT NULL,
    command_text  TEXT    NOT NULL,
    command       TEXT,               -- the parsed command as JSON; NULL when it did not parse
    outcome       TEXT    NOT NULL,   -- ok | refused | denied | invalid | failed
    detail        TEXT,
    UNIQUE (repo, comment_id, position, command_text)
);
CREATE INDEX command_audit_repo ON command_audit (repo, id);
