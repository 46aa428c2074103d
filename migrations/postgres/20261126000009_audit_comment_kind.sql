-- Issue comments, review comments and reviews are numbered apart on GitHub, so the command
-- audit tells them apart: the kind joins the key that makes a retried command update its entry.
ALTER TABLE command_audit ADD COLUMN comment_kind TEXT NOT NULL DEFAULT 'issue_comment';
ALTER TABLE command_audit DROP CONSTRAINT command_audit_repo_comment_id_position_command_text_key;
ALTER TABLE command_audit
    ADD CONSTRAINT command_audit_repo_kind_comment_position_text_key
    UNIQUE (repo, comment_kind, comment_id, position, command_text);
