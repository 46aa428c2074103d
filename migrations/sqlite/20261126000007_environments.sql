-- What runs where: the last version relman saw reach each environment, from deployment_status
-- events, the Deployments API (on a fresh install) or the environment's Dockerflow /__version__.
CREATE TABLE environment_versions (
    repo          TEXT NOT NULL,
    environment   TEXT NOT NULL,   -- the GitHub environment name
    sha           TEXT,            -- the deployed commit, when known
    version       TEXT,            -- the release tag (or the version /__version__ reports)
    source        TEXT NOT NULL,   -- deployment_status | deployments_api | version_url
    deployment_id INTEGER,
    at            INTEGER NOT NULL,
    PRIMARY KEY (repo, environment)
);

-- Deployment requests filed with Ops: one per (repository, version), whatever asks again.
CREATE TABLE deployment_requests (
    repo         TEXT NOT NULL,
    version      TEXT NOT NULL,   -- the tag to deploy
    target_repo  TEXT NOT NULL,   -- where the issue is
    issue_number INTEGER,
    issue_url    TEXT,
    requested_by TEXT,            -- who asked with /deploy production; NULL when relman filed it
    created_at   INTEGER NOT NULL,
    deployed_at  INTEGER,
    PRIMARY KEY (repo, version)
);
