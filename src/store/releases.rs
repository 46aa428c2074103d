//! The release register: one row per release relman tracks, the sign-offs and QA calls made on
//! it, and the rotation swaps. Only what relman alone knows is kept here; tags, releases and
//! merged PRs are read from GitHub.

use chrono::NaiveDate;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};
use crate::config::repo::{Period, YearMonth};
use crate::domain::expedited::Kind;
use crate::domain::requirements::Environment;
use crate::domain::rotation::Swap;

/// What became of a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseState {
    /// The tracking issue is open; not cut yet.
    Open,
    Released,
    Skipped,
    /// The release day came with nothing merged since the last release.
    NoChanges,
}

impl ReleaseState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseState::Open => "open",
            ReleaseState::Released => "released",
            ReleaseState::Skipped => "skipped",
            ReleaseState::NoChanges => "no_changes",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "open" => ReleaseState::Open,
            "released" => ReleaseState::Released,
            "skipped" => ReleaseState::Skipped,
            "no_changes" => ReleaseState::NoChanges,
            other => {
                return Err(StoreError::Corrupt {
                    table: "releases",
                    detail: format!("unknown release state {other:?}"),
                });
            }
        })
    }
}

/// A release as relman records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRecord {
    pub id: i64,
    pub repo: String,
    pub key: String,
    pub kind: Kind,
    pub scheduled_date: NaiveDate,
    pub release_date: Option<NaiveDate>,
    pub issue_number: Option<u64>,
    pub state: ReleaseState,
    pub manager: Option<String>,
    pub version: Option<String>,
    pub tag: Option<String>,
    pub release_id: Option<u64>,
    pub release_url: Option<String>,
    pub sha: Option<String>,
    pub reason: Option<String>,
    pub requested_by: Option<String>,
    pub body_hash: Option<String>,
    pub created_at: i64,
    pub released_at: Option<i64>,
}

/// The key of a scheduled release: its scheduled date, which a holiday never changes.
pub fn regular_key(scheduled: NaiveDate) -> String {
    format!("regular:{scheduled}")
}

/// The log key of what people said about one version on its way to production (production
/// sign-offs, QA calls): they belong to the version, whichever issue they were said on.
pub fn version_key(tag: &str) -> String {
    format!("version:{tag}")
}

/// A release to start tracking.
#[derive(Debug, Clone)]
pub struct NewRelease<'a> {
    pub repo: &'a str,
    pub key: &'a str,
    pub kind: Kind,
    pub scheduled_date: NaiveDate,
    pub release_date: Option<NaiveDate>,
    pub manager: Option<&'a str>,
}

/// The cut release, recorded once GitHub has it.
#[derive(Debug, Clone)]
pub struct CutRelease<'a> {
    pub version: &'a str,
    pub tag: &'a str,
    pub release_id: u64,
    pub release_url: &'a str,
    pub sha: &'a str,
    pub by: &'a str,
}

/// What a release-log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Signoff,
    QaOk,
    QaBlocker,
    QaClear,
    /// `/release healthy`.
    Healthy,
    /// relman opened a release PR (its number is the entry's `comment_id`).
    ReleasePr,
    /// relman's release PR was closed unmerged.
    ReleasePrAbandoned,
}

impl LogKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Signoff => "signoff",
            LogKind::QaOk => "qa_ok",
            LogKind::QaBlocker => "qa_blocker",
            LogKind::QaClear => "qa_clear",
            LogKind::Healthy => "healthy",
            LogKind::ReleasePr => "release_pr",
            LogKind::ReleasePrAbandoned => "release_pr_abandoned",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        [
            LogKind::Signoff,
            LogKind::QaOk,
            LogKind::QaBlocker,
            LogKind::QaClear,
            LogKind::Healthy,
            LogKind::ReleasePr,
            LogKind::ReleasePrAbandoned,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| StoreError::Corrupt {
            table: "release_log",
            detail: format!("unknown entry {s:?}"),
        })
    }
}

/// One sign-off or QA call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub entry: LogKind,
    /// The environment it is about, when it is about one.
    pub environment: Option<Environment>,
    pub text: Option<String>,
    pub actor: String,
    pub comment_id: u64,
    pub at: i64,
}

const COLUMNS: &str = "id, repo, release_key, kind, scheduled_date, release_date, issue_number, \
     state, manager, version, tag, release_id, release_url, sha, reason, requested_by, body_hash, \
     created_at, released_at";

/// A stored `YYYY-MM-DD` of the `releases` table.
pub(super) fn date(s: &str) -> Result<NaiveDate, StoreError> {
    s.parse().map_err(|_| StoreError::Corrupt {
        table: "releases",
        detail: format!("not a date: {s:?}"),
    })
}

fn record(r: &AnyRow) -> Result<ReleaseRecord, StoreError> {
    let release_date: Option<String> = r.try_get("release_date")?;
    Ok(ReleaseRecord {
        id: r.try_get("id")?,
        repo: r.try_get("repo")?,
        key: r.try_get("release_key")?,
        kind: {
            let kind: String = r.try_get("kind")?;
            Kind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
                table: "releases",
                detail: format!("unknown kind {kind:?}"),
            })?
        },
        scheduled_date: date(&r.try_get::<String, _>("scheduled_date")?)?,
        release_date: release_date.as_deref().map(date).transpose()?,
        issue_number: r
            .try_get::<Option<i64>, _>("issue_number")?
            .map(|n| n as u64),
        state: ReleaseState::parse(&r.try_get::<String, _>("state")?)?,
        manager: r.try_get("manager")?,
        version: r.try_get("version")?,
        tag: r.try_get("tag")?,
        release_id: r.try_get::<Option<i64>, _>("release_id")?.map(|n| n as u64),
        release_url: r.try_get("release_url")?,
        sha: r.try_get("sha")?,
        reason: r.try_get("reason")?,
        requested_by: r.try_get("requested_by")?,
        body_hash: r.try_get("body_hash")?,
        created_at: r.try_get("created_at")?,
        released_at: r.try_get("released_at")?,
    })
}

/// A repository the release train runs for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainRepository {
    pub repo: String,
    pub installation_id: u64,
    pub repo_id: Option<u64>,
}

impl TrainRepository {
    /// The inbox queue of the repository's webhooks (ingress keys them by repository id), so
    /// scheduled work for it runs in order with them.
    pub fn queue_key(&self) -> String {
        match self.repo_id {
            Some(id) => format!("repo:{id}"),
            None => format!("repo:{}", self.repo),
        }
    }
}

/// A stored swap period: `YYYY-MM` or `YYYY-MM-DD`.
pub fn parse_period(s: &str) -> Option<Period> {
    if let Ok(day) = s.parse::<NaiveDate>() {
        return Some(Period::Release(day));
    }
    s.parse::<YearMonth>().ok().map(Period::Month)
}

impl Store {
    /// Starts tracking a release. Returns None when it is already tracked (the caller lost a
    /// race with another replica, or is catching up on a day it already handled).
    pub async fn insert_release(
        &self,
        new: &NewRelease<'_>,
        now_ms: i64,
    ) -> Result<Option<ReleaseRecord>, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO releases (repo, release_key, kind, scheduled_date, release_date, state,
                 manager, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $7)
             ON CONFLICT (repo, release_key) DO NOTHING",
        )
        .bind(new.repo)
        .bind(new.key)
        .bind(new.kind.as_str())
        .bind(new.scheduled_date.to_string())
        .bind(new.release_date.map(|d| d.to_string()))
        .bind(new.manager)
        .bind(now_ms)
        .execute(self.pool())
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(None);
        }
        self.release_record(new.repo, new.key).await
    }

    pub async fn release_record(
        &self,
        repo: &str,
        key: &str,
    ) -> Result<Option<ReleaseRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM releases WHERE repo = $1 AND release_key = $2"
        )))
        .bind(repo)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(record).transpose()
    }

    /// The release whose tracking issue is `issue`.
    pub async fn release_by_issue(
        &self,
        repo: &str,
        issue: u64,
    ) -> Result<Option<ReleaseRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM releases WHERE repo = $1 AND issue_number = $2"
        )))
        .bind(repo)
        .bind(issue as i64)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(record).transpose()
    }

    /// A repository's releases, oldest scheduled first.
    pub async fn releases(&self, repo: &str) -> Result<Vec<ReleaseRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM releases WHERE repo = $1 ORDER BY scheduled_date, id"
        )))
        .bind(repo)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(record).collect()
    }

    /// The open releases of a repository, oldest scheduled first.
    pub async fn open_releases(&self, repo: &str) -> Result<Vec<ReleaseRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM releases WHERE repo = $1 AND state = 'open'
             ORDER BY scheduled_date, id"
        )))
        .bind(repo)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(record).collect()
    }

    /// The latest scheduled date relman has tracked in `repo`.
    pub async fn last_tracked_date(&self, repo: &str) -> Result<Option<NaiveDate>, StoreError> {
        let row = sqlx::query(
            "SELECT MAX(scheduled_date) AS last FROM releases WHERE repo = $1 AND kind = 'regular'",
        )
        .bind(repo)
        .fetch_one(self.pool())
        .await?;
        let last: Option<String> = row.try_get("last")?;
        last.as_deref().map(date).transpose()
    }

    pub async fn set_release_issue(
        &self,
        id: i64,
        issue: u64,
        body_hash: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE releases SET issue_number = $1, body_hash = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(issue as i64)
        .bind(body_hash)
        .bind(now_ms)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn set_release_body_hash(
        &self,
        id: i64,
        body_hash: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE releases SET body_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(body_hash)
            .bind(now_ms)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends a release without cutting it (skipped, or nothing to release).
    pub async fn close_release(
        &self,
        id: i64,
        state: ReleaseState,
        reason: &str,
        by: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE releases SET state = $1, reason = $2, requested_by = COALESCE($3, requested_by),
                 closed_at = $4, updated_at = $4
             WHERE id = $5",
        )
        .bind(state.as_str())
        .bind(reason)
        .bind(by)
        .bind(now_ms)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn record_cut(
        &self,
        id: i64,
        cut: &CutRelease<'_>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE releases SET state = 'released', version = $1, tag = $2, release_id = $3,
                 release_url = $4, sha = $5, requested_by = $6, released_at = $7, updated_at = $7
             WHERE id = $8",
        )
        .bind(cut.version)
        .bind(cut.tag)
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

    /// Records a sign-off or QA call; the same comment recording it again is a no-op.
    pub async fn append_release_log(
        &self,
        repo: &str,
        key: &str,
        entry: &LogEntry,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO release_log (repo, release_key, entry, environment, text, actor,
                 comment_id, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (repo, release_key, entry, environment, comment_id) DO NOTHING",
        )
        .bind(repo)
        .bind(key)
        .bind(entry.entry.as_str())
        // Stored as '' when about no environment: the unique key includes the column.
        .bind(entry.environment.map_or("", Environment::name))
        .bind(&entry.text)
        .bind(&entry.actor)
        .bind(entry.comment_id as i64)
        .bind(entry.at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A release's sign-offs and QA calls, oldest first.
    pub async fn release_log(&self, repo: &str, key: &str) -> Result<Vec<LogEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT entry, environment, text, actor, comment_id, at FROM release_log
             WHERE repo = $1 AND release_key = $2 ORDER BY at, id",
        )
        .bind(repo)
        .bind(key)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let environment: String = r.try_get("environment")?;
                Ok(LogEntry {
                    entry: LogKind::parse(&r.try_get::<String, _>("entry")?)?,
                    environment: match environment.as_str() {
                        "staging" => Some(Environment::Staging),
                        "production" => Some(Environment::Production),
                        _ => None,
                    },
                    text: r.try_get("text")?,
                    actor: r.try_get("actor")?,
                    comment_id: r.try_get::<i64, _>("comment_id")? as u64,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    pub async fn add_rotation_swap(
        &self,
        repo: &str,
        swap: &Swap,
        actor: &str,
        comment_id: u64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO rotation_swaps (repo, period, a, b, actor, comment_id, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (repo, comment_id, period) DO NOTHING",
        )
        .bind(repo)
        .bind(swap.period.to_string())
        .bind(&swap.a)
        .bind(&swap.b)
        .bind(actor)
        .bind(comment_id as i64)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The swaps recorded in `repo`, in the order they were made.
    pub async fn rotation_swaps(&self, repo: &str) -> Result<Vec<Swap>, StoreError> {
        let rows =
            sqlx::query("SELECT period, a, b FROM rotation_swaps WHERE repo = $1 ORDER BY at, id")
                .bind(repo)
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .filter_map(|r| {
                let period: String = match r.try_get("period") {
                    Ok(p) => p,
                    Err(e) => return Some(Err(e.into())),
                };
                // A period that no longer parses is dropped rather than failing every command.
                let period = parse_period(&period)?;
                Some(Ok(Swap {
                    period,
                    a: r.try_get("a").ok()?,
                    b: r.try_get("b").ok()?,
                }))
            })
            .collect()
    }

    /// Records under which installation a repository was last seen.
    pub async fn set_repo_installation(
        &self,
        repo: &str,
        installation_id: u64,
        repo_id: Option<u64>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO repositories (repo, private, installation_id, repo_id, updated_at)
             VALUES ($1, 1, $2, $3, $4)
             ON CONFLICT (repo) DO UPDATE SET installation_id = excluded.installation_id,
                 repo_id = COALESCE(excluded.repo_id, repositories.repo_id),
                 updated_at = excluded.updated_at",
        )
        .bind(repo)
        .bind(installation_id as i64)
        .bind(repo_id.map(|id| id as i64))
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Repositories with a usable config and a known installation: the ones the release train
    /// runs for.
    pub async fn train_repositories(&self) -> Result<Vec<TrainRepository>, StoreError> {
        let rows = sqlx::query(
            "SELECT repo, installation_id, repo_id FROM repositories
             WHERE config IS NOT NULL AND installation_id IS NOT NULL ORDER BY repo",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TrainRepository {
                    repo: r.try_get("repo")?,
                    installation_id: r.try_get::<i64, _>("installation_id")? as u64,
                    repo_id: r.try_get::<Option<i64>, _>("repo_id")?.map(|id| id as u64),
                })
            })
            .collect()
    }

    /// Where a repository is installed, if relman has seen it.
    pub async fn repository_installation(
        &self,
        repo: &str,
    ) -> Result<Option<TrainRepository>, StoreError> {
        let row = sqlx::query(
            "SELECT repo, installation_id, repo_id FROM repositories
             WHERE repo = $1 AND installation_id IS NOT NULL",
        )
        .bind(repo)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(TrainRepository {
                repo: r.try_get("repo")?,
                installation_id: r.try_get::<i64, _>("installation_id")? as u64,
                repo_id: r.try_get::<Option<i64>, _>("repo_id")?.map(|id| id as u64),
            })
        })
        .transpose()
    }

    /// A released release's tracking issue is done (production confirmed healthy).
    pub async fn mark_release_closed(&self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE releases SET closed_at = $1, updated_at = $1 WHERE id = $2")
            .bind(now_ms)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn set_release_manager(
        &self,
        id: i64,
        manager: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE releases SET manager = $1, updated_at = $2 WHERE id = $3")
            .bind(manager)
            .bind(now_ms)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The releases whose tracking issues relman keeps current: the open ones, and those
    /// released since `released_since` (their issue follows the release to production).
    pub async fn active_releases(
        &self,
        repo: &str,
        released_since: i64,
    ) -> Result<Vec<ReleaseRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM releases WHERE repo = $1
               AND closed_at IS NULL
               AND (state = 'open' OR (state = 'released' AND released_at >= $2))
             ORDER BY scheduled_date, id"
        )))
        .bind(repo)
        .bind(released_since)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(record).collect()
    }
}
