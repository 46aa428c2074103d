-- What relman keeps per repository between GitHub reads: the last good configuration (it keeps
-- serving while a broken one is fixed, and feeds the calendar without a GitHub call) and the
-- secret calendar-feed token.
CREATE TABLE repositories (
    repo           TEXT    PRIMARY KEY,   -- owner/name
    private        INTEGER NOT NULL,      -- 1 unless GitHub said the repository is public
    config         TEXT,                  -- the last good RepoConfig, as JSON
    holiday_ics    TEXT,                  -- the holidays .ics file it names, if any
    calendar_token TEXT,
    updated_at     INTEGER NOT NULL
);
