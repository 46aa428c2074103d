//! The release register beyond the train's own columns: expedited (warmfix/hotfix) releases,
//! the pull requests they pick, what each replaces, when each release was first seen on staging
//! and in production, and when each change was merged — what `/stats` and the short-circuit
//! rate are computed from.

use chrono::NaiveDate;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::releases::{ReleaseState, date};
use super::{Store, StoreError};
use crate::domain::expedited::{Kind, Pick};

/// One register row: a release of any kind with everything the register knows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRow {
    pub id: i64,
    pub key: String,
    pub kind: Kind,
    pub state: ReleaseState,
    pub scheduled_date: NaiveDate,
    pub release_date: Option<NaiveDate>,
    pub issue_number: Option<u64>,
    pub manager: Option<String>,
    pub version: Option<String>,
    pub tag: Option<String>,
    pub release_url: Option<String>,
    pub sha: Option<String>,
    pub reason: Option<String>,
    pub requested_by: Option<String>,
    pub released_by: Option<String>,
    pub origin_issue: Option<u64>,
    pub origin_url: Option<String>,
    pub base_tag: Option<String>,
    pub branch: Option<String>,
    pub expedited: bool,
    pub replaces_key: Option<String>,
    pub replaces_env: Option<String>,
    pub replaces_week: Option<NaiveDate>,
    pub created_at: i64,
    pub requested_at: Option<i64>,
    pub released_at: Option<i64>,
    pub staged_at: Option<i64>,
    pub production_at: Option<i64>,
    pub closed_at: Option<i64>,
}

const COLUMNS: &str = "id, release_key, kind, state, scheduled_date, release_date, issue_number, \
     manager, version, tag, release_url, sha, reason, requested_by, released_by, origin_issue, \
     origin_url, base_tag, branch, expedited, replaces_key, replaces_env, replaces_week, \
     created_at, requested_at, released_at, staged_at, production_at, closed_at";

fn corrupt(detail: String) -> StoreError {
    StoreError::Corrupt {
        table: "releases",
        detail,
    }
}

fn opt_date(r: &AnyRow, column: &str) -> Result<Option<NaiveDate>, StoreError> {
    r.try_get::<Option<String>, _>(column)?
        .as_deref()
        .map(date)
        .transpose()
}

fn row(r: &AnyRow) -> Result<RegisterRow, StoreError> {
    let kind: String = r.try_get("kind")?;
    Ok(RegisterRow {
        id: r.try_get("id")?,
        key: r.try_get("release_key")?,
        kind: Kind::parse(&kind).ok_or_else(|| corrupt(format!("unknown kind {kind:?}")))?,
        state: ReleaseState::parse(&r.try_get::<String, _>("state")?)?,
        scheduled_date: date(&r.try_get::<String, _>("scheduled_date")?)?,
        release_date: opt_date(r, "release_date")?,
        issue_number: r
            .try_get::<Option<i64>, _>("issue_number")?
            .map(|n| n as u64),
        manager: r.try_get("manager")?,
        version: r.try_get("version")?,
        tag: r.try_get("tag")?,
        release_url: r.try_get("release_url")?,
        sha: r.try_get("sha")?,
        reason: r.try_get("reason")?,
        requested_by: r.try_get("requested_by")?,
        released_by: r.try_get("released_by")?,
        origin_issue: r
            .try_get::<Option<i64>, _>("origin_issue")?
            .map(|n| n as u64),
        origin_url: r.try_get("origin_url")?,
        base_tag: r.try_get("base_tag")?,
        branch: r.try_get("branch")?,
        expedited: r.try_get::<i64, _>("expedited")? != 0,
        replaces_key: r.try_get("replaces_key")?,
        replaces_env: r.try_get("replaces_env")?,
        replaces_week: opt_date(r, "replaces_week")?,
        created_at: r.try_get("created_at")?,
        requested_at: r.try_get("requested_at")?,
        released_at: r.try_get("released_at")?,
        staged_at: r.try_get("staged_at")?,
        production_at: r.try_get("production_at")?,
        closed_at: r.try_get("closed_at")?,
    })
}

/// An expedited release to start tracking.
#[derive(Debug, Clone)]
pub struct NewExpedited<'a> {
    pub repo: &'a str,
    pub key: &'a str,
    pub kind: Kind,
    /// The day it was asked for (local to the repository).
    pub requested_on: NaiveDate,
    pub manager: Option<&'a str>,
    pub reason: &'a str,
    pub requested_by: &'a str,
    pub origin_issue: u64,
    pub origin_url: &'a str,
    pub version: &'a str,
    pub tag: &'a str,
    pub base_tag: &'a str,
    pub branch: &'a str,
    /// `(regular key, staging|production, Monday of the week)`.
    pub replaces: Option<(String, &'a str, NaiveDate)>,
}

/// An expedited release once GitHub has its tag and release.
#[derive(Debug, Clone)]
pub struct ExpeditedCut<'a> {
    pub release_id: u64,
    pub release_url: &'a str,
    pub sha: &'a str,
    pub by: &'a str,
}

impl Store {
    /// Starts tracking an expedited release; None when one with the same key exists already.
    pub async fn insert_expedited(
        &self,
        new: &NewExpedited<'_>,
        now_ms: i64,
    ) -> Result<Option<RegisterRow>, StoreError> {
        let (replaces_key, replaces_env, replaces_week) = match &new.replaces {
            Some((key, env, week)) => (Some(key.as_str()), Some(*env), Some(week.to_string())),
            None => (None, None, None),
        };
        let inserted = sqlx::query(
            "INSERT INTO releases (repo, release_key, kind, scheduled_date, release_date, state,
                 manager, version, tag, reason, requested_by, origin_issue, origin_url,
                 requested_at, base_tag, branch, expedited, replaces_key, replaces_env,
                 replaces_week, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4, 'open', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                 $16, $17, $18, $12, $12)
             ON CONFLICT (repo, release_key) DO NOTHING",
        )
        .bind(new.repo)
        .bind(new.key)
        .bind(new.kind.as_str())
        .bind(new.requested_on.to_string())
        .bind(new.manager)
        .bind(new.version)
        .bind(new.tag)
        .bind(new.reason)
        .bind(new.requested_by)
        .bind(new.origin_issue as i64)
        .bind(new.origin_url)
        .bind(now_ms)
        .bind(new.base_tag)
        .bind(new.branch)
        .bind(i64::from(new.kind == Kind::Hotfix))
        .bind(replaces_key)
        .bind(replaces_env)
        .bind(replaces_week)
        .execute(self.pool())
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(None);
        }
        self.register_row(new.repo, new.key).await
    }

    pub async fn register_row(
        &self,
        repo: &str,
        key: &str,
    ) -> Result<Option<RegisterRow>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM releases WHERE repo = $1 AND release_key = $2"
        )))
        .bind(repo)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(row).transpose()
    }

    /// Every release of `repo`, of every kind, oldest first.
    pub async fn register(&self, repo: &str) -> Result<Vec<RegisterRow>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM releases WHERE repo = $1 ORDER BY created_at, id"
        )))
        .bind(repo)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(row).collect()
    }

    /// The expedited releases that replace (part of) the regular release `regular_key` and
    /// were not abandoned.
    pub async fn replacements_of(
        &self,
        repo: &str,
        regular_key: &str,
    ) -> Result<Vec<RegisterRow>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM releases WHERE repo = $1 AND replaces_key = $2
               AND state IN ('open', 'released') ORDER BY created_at, id"
        )))
        .bind(repo)
        .bind(regular_key)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(row).collect()
    }

    /// Sets the pull requests an expedited release picks (replacing any named before).
    pub async fn set_picks(
        &self,
        repo: &str,
        key: &str,
        picks: &[(Pick, i64)],
        by: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM release_picks WHERE repo = $1 AND release_key = $2")
            .bind(repo)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        for (pick, merged_at) in picks {
            sqlx::query(
                "INSERT INTO release_picks (repo, release_key, pr_number, title, author,
                     merge_sha, merged_at, added_by, added_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (repo, release_key, pr_number) DO NOTHING",
            )
            .bind(repo)
            .bind(key)
            .bind(pick.number as i64)
            .bind(&pick.title)
            .bind(&pick.author)
            .bind(&pick.merge_sha)
            .bind(*merged_at)
            .bind(by)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The picks of an expedited release in the order they were named, with their merge times.
    pub async fn picks(&self, repo: &str, key: &str) -> Result<Vec<(Pick, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT pr_number, title, author, merge_sha, merged_at FROM release_picks
             WHERE repo = $1 AND release_key = $2 ORDER BY id",
        )
        .bind(repo)
        .bind(key)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    Pick {
                        number: r.try_get::<i64, _>("pr_number")? as u64,
                        title: r.try_get("title")?,
                        author: r.try_get("author")?,
                        merge_sha: r.try_get("merge_sha")?,
                    },
                    r.try_get("merged_at")?,
                ))
            })
            .collect()
    }

    /// The merge times of every pick in `repo`, by release key.
    pub async fn all_pick_merges(&self, repo: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT release_key, merged_at FROM release_picks WHERE repo = $1 ORDER BY id",
        )
        .bind(repo)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("release_key")?, r.try_get("merged_at")?)))
            .collect()
    }

    /// Records an expedited release as cut (who asked for it stays in `requested_by`).
    pub async fn record_expedited_cut(
        &self,
        id: i64,
        cut: &ExpeditedCut<'_>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE releases SET state = 'released', release_id = $1, release_url = $2, sha = $3,
                 released_by = $4, released_at = $5, updated_at = $5
             WHERE id = $6",
        )
        .bind(cut.release_id as i64)
        .bind(cut.release_url)
        .bind(cut.sha)
        .bind(cut.by)
        .bind(now_ms)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records when a tagged release was first seen running in an environment: staging or
    /// production (the column), from a successful deployment of `tag` at `at_ms`. Returns how
    /// many releases it marked.
    pub async fn mark_deployed(
        &self,
        repo: &str,
        production: bool,
        tags: &[String],
        at_ms: i64,
    ) -> Result<u64, StoreError> {
        let column = if production {
            "production_at"
        } else {
            "staged_at"
        };
        let mut marked = 0;
        for tag in tags {
            marked += sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE releases SET {column} = $1, updated_at = $1
                 WHERE repo = $2 AND tag = $3 AND state = 'released' AND {column} IS NULL"
            )))
            .bind(at_ms)
            .bind(repo)
            .bind(tag)
            .execute(self.pool())
            .await?
            .rows_affected();
        }
        Ok(marked)
    }

    /// Records a pull request merged into the default branch (a redelivery changes nothing).
    pub async fn record_merge(
        &self,
        repo: &str,
        number: u64,
        merged_at_ms: i64,
        merge_sha: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO merged_changes (repo, pr_number, merged_at, merge_sha)
             VALUES ($1, $2, $3, $4) ON CONFLICT (repo, pr_number) DO NOTHING",
        )
        .bind(repo)
        .bind(number as i64)
        .bind(merged_at_ms)
        .bind(merge_sha)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The pull requests merged into the default branch of `repo` after `since_ms`, oldest first.
    pub async fn merges_since(&self, repo: &str, since_ms: i64) -> Result<Vec<u64>, StoreError> {
        let rows = sqlx::query(
            "SELECT pr_number FROM merged_changes WHERE repo = $1 AND merged_at > $2
             ORDER BY merged_at, pr_number",
        )
        .bind(repo)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<i64, _>("pr_number")? as u64))
            .collect()
    }

    /// When each recorded merge into the default branch of `repo` happened.
    pub async fn merge_times(&self, repo: &str) -> Result<Vec<i64>, StoreError> {
        let rows =
            sqlx::query("SELECT merged_at FROM merged_changes WHERE repo = $1 ORDER BY merged_at")
                .bind(repo)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(|r| Ok(r.try_get("merged_at")?)).collect()
    }
}
