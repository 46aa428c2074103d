-- Which comment carries relman's marker <!-- relman:KIND:KEY --> on an issue, so upserts edit in place.
CREATE TABLE bot_comments (
    repo         TEXT    NOT NULL,
    issue_number INTEGER NOT NULL,
    marker       TEXT    NOT NULL,
    comment_id   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (repo, issue_number, marker)
);
