//! What runs in each environment, and the deployment requests filed with Ops.

use sqlx::Row;

use super::{Store, StoreError};
use crate::domain::production::Deployed;

/// The version relman last saw in an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentVersion {
    pub environment: String,
    pub sha: Option<String>,
    pub version: Option<String>,
    /// `deployment_status`, `deployments_api` or `version_url`.
    pub source: String,
    pub deployment_id: Option<u64>,
    pub at: i64,
}

/// A deployment request as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentRequestRecord {
    pub repo: String,
    pub version: String,
    pub target_repo: String,
    pub issue_number: Option<u64>,
    pub issue_url: Option<String>,
    pub deployed_at: Option<i64>,
}

impl Store {
    /// Records what `v.environment` runs now; a version it did not run just before also goes
    /// into the environment's history (a redeploy of the same version does not).
    pub async fn set_environment_version(
        &self,
        repo: &str,
        v: &EnvironmentVersion,
    ) -> Result<(), StoreError> {
        let before = self.environment_version(repo, &v.environment).await?;
        if let Some(version) = &v.version
            && before.as_ref().and_then(|b| b.version.as_ref()) != Some(version)
        {
            sqlx::query(
                "INSERT INTO deployment_history (repo, environment, version, sha, at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(repo)
            .bind(&v.environment)
            .bind(version)
            .bind(&v.sha)
            .bind(v.at)
            .execute(self.pool())
            .await?;
        }
        sqlx::query(
            "INSERT INTO environment_versions (repo, environment, sha, version, source,
                 deployment_id, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (repo, environment) DO UPDATE SET sha = excluded.sha,
                 version = excluded.version, source = excluded.source,
                 deployment_id = excluded.deployment_id, at = excluded.at",
        )
        .bind(repo)
        .bind(&v.environment)
        .bind(&v.sha)
        .bind(&v.version)
        .bind(&v.source)
        .bind(v.deployment_id.map(|id| id as i64))
        .bind(v.at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn environment_version(
        &self,
        repo: &str,
        environment: &str,
    ) -> Result<Option<EnvironmentVersion>, StoreError> {
        let row = sqlx::query(
            "SELECT environment, sha, version, source, deployment_id, at FROM environment_versions
             WHERE repo = $1 AND environment = $2",
        )
        .bind(repo)
        .bind(environment)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(EnvironmentVersion {
                environment: r.try_get("environment")?,
                sha: r.try_get("sha")?,
                version: r.try_get("version")?,
                source: r.try_get("source")?,
                deployment_id: r
                    .try_get::<Option<i64>, _>("deployment_id")?
                    .map(|id| id as u64),
                at: r.try_get("at")?,
            })
        })
        .transpose()
    }

    /// Every version `environment` ran, oldest first.
    pub async fn deployment_history(
        &self,
        repo: &str,
        environment: &str,
    ) -> Result<Vec<Deployed>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, sha, at FROM deployment_history
             WHERE repo = $1 AND environment = $2 ORDER BY at, id",
        )
        .bind(repo)
        .bind(environment)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Deployed {
                    version: r.try_get("version")?,
                    sha: r.try_get("sha")?,
                    at: super::from_millis(r.try_get("at")?),
                    soak_from: None,
                })
            })
            .collect()
    }

    /// Claims the deployment request of (`repo`, `version`). False when it is already filed (or
    /// being filed by another worker): one request per version.
    pub async fn claim_deployment_request(
        &self,
        repo: &str,
        version: &str,
        target_repo: &str,
        requested_by: Option<&str>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO deployment_requests (repo, version, target_repo, requested_by, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (repo, version) DO NOTHING",
        )
        .bind(repo)
        .bind(version)
        .bind(target_repo)
        .bind(requested_by)
        .bind(now_ms)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    pub async fn set_deployment_request_issue(
        &self,
        repo: &str,
        version: &str,
        issue: u64,
        url: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE deployment_requests SET issue_number = $1, issue_url = $2
             WHERE repo = $3 AND version = $4",
        )
        .bind(issue as i64)
        .bind(url)
        .bind(repo)
        .bind(version)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn mark_deployment_request_deployed(
        &self,
        repo: &str,
        version: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE deployment_requests SET deployed_at = $1
             WHERE repo = $2 AND version = $3 AND deployed_at IS NULL",
        )
        .bind(now_ms)
        .bind(repo)
        .bind(version)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn deployment_request(
        &self,
        repo: &str,
        version: &str,
    ) -> Result<Option<DeploymentRequestRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT repo, version, target_repo, issue_number, issue_url, deployed_at
             FROM deployment_requests WHERE repo = $1 AND version = $2",
        )
        .bind(repo)
        .bind(version)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(DeploymentRequestRecord {
                repo: r.try_get("repo")?,
                version: r.try_get("version")?,
                target_repo: r.try_get("target_repo")?,
                issue_number: r
                    .try_get::<Option<i64>, _>("issue_number")?
                    .map(|n| n as u64),
                issue_url: r.try_get("issue_url")?,
                deployed_at: r.try_get("deployed_at")?,
            })
        })
        .transpose()
    }

    /// The release relman recorded under `tag`, if any.
    pub async fn release_by_tag(
        &self,
        repo: &str,
        tag: &str,
    ) -> Result<Option<super::releases::ReleaseRecord>, StoreError> {
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT release_key FROM releases WHERE repo = $1 AND tag = $2 ORDER BY id DESC",
        )
        .bind(repo)
        .bind(tag)
        .fetch_all(self.pool())
        .await?;
        match keys.first() {
            Some(key) => self.release_record(repo, key).await,
            None => Ok(None),
        }
    }
}
