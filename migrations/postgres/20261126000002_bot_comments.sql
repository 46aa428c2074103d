-- Which comment carries relman's marker <!-- relman:KIND:KEY --> on an issue, so upserts edit in place.
CREATE TABLE bot_comments (
    repo         TEXT    NOT NULL,
    issue_number BIGINT NOT NULL,
    marker       TEXT    NOT NULL,
    comment_id   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (repo, issue_number, marker)
);
