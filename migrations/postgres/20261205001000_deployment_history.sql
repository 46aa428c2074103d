-- Every version relman saw reach an environment, in order: the production clock needs what
-- staging ran when a release day began, not only what it runs now.
CREATE TABLE deployment_history (
    id          BIGSERIAL PRIMARY KEY,
    repo        TEXT   NOT NULL,
    environment TEXT   NOT NULL,
    version     TEXT   NOT NULL,
    sha         TEXT,
    at          BIGINT NOT NULL
);
CREATE INDEX deployment_history_by_environment ON deployment_history (repo, environment, at);

-- What relman knew before it kept a history: the current version of each environment.
INSERT INTO deployment_history (repo, environment, version, sha, at)
SELECT repo, environment, version, sha, at FROM environment_versions WHERE version IS NOT NULL;
