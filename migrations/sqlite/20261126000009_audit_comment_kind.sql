-- Issue comments, review comments and reviews are numbered apart on GitHub, so the command
-- audit tells them apart: the kind joins the key that makes a retried command update its entry.
CREATE TABLE command_audit_by_kind (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    repo          TEXT    NOT NULL,
    issue_number  INTEGER NOT NULL,
    comment_kind  TEXT    NOT NULL DEFAULT 'issue_comment',  -- issue_comment | review_comment | review
    comment_id    INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    actor_login   TEXT    NOT NULL,
    actor_id      INTEGER NOT NULL,
    command_text  TEXT    NOT NULL,
    command       TEXT,
    outcome       TEXT    NOT NULL,
    detail        TEXT,
    UNIQUE (repo, comment_kind, comment_id, position, command_text)
);
INSERT INTO command_audit_by_kind (id, at, repo, issue_number, comment_id, position, actor_login,
    actor_id, command_text, command, outcome, detail)
SELECT id, at, repo, issue_number, comment_id, position, actor_login, actor_id, command_text,
    command, outcome, detail FROM command_audit;
DROP TABLE command_audit;
ALTER TABLE command_audit_by_kind RENAME TO command_audit;
CREATE INDEX command_audit_repo ON command_audit (repo, id);
