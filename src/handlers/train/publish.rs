//! Publishing a release, shared by `/release`, the release PR and expedited releases: the tag,
//! the GitHub release, the "released in" comments (the `announce-release` job), and the unmet
//! requirements as the list every refusal shows.

use serde::{Deserialize, Serialize};

use crate::domain::release::tag_conflict;
use crate::github::comments::upsert_comment;
use crate::github::{GitHubPort, RepoName};
use crate::handlers::context::Context;
use crate::handlers::error::HandlerError;
use crate::inbox::ProcessError;
use crate::inbox::scheduler::JobSpec;
use crate::store::work::ClaimedItem;

/// Comment "released in vX.Y.Z" on each PR of a release.
pub const ANNOUNCE_JOB: &str = "announce-release";

#[derive(Debug, Serialize, Deserialize)]
struct Announcement {
    tag: String,
    url: String,
    prs: Vec<u64>,
}

pub use crate::domain::release::unmet_list;
pub use crate::handlers::effects::{create_release, tag_at};

/// Creates the tag at `sha`; an existing tag at the same commit is a retry and fine, at another
/// commit it is the user's to sort out.
pub async fn create_tag(
    github: &dyn GitHubPort,
    repo: &RepoName,
    tag: &str,
    sha: &str,
) -> Result<Result<(), String>, HandlerError> {
    let at = tag_at(github, repo, tag, sha).await?;
    Ok(match tag_conflict(tag, &at, sha) {
        None => Ok(()),
        Some(refusal) => Err(refusal),
    })
}

/// Queues the "released in" comments on `prs` as a job of their own (one per PR: many calls,
/// kept out of the command's budget).
pub async fn announce_later(
    ctx: &Context,
    repo: &RepoName,
    tag: &str,
    url: &str,
    prs: Vec<u64>,
) -> Result<(), HandlerError> {
    let key = repo.to_string();
    let installation = ctx.store.repository_installation(&key).await?;
    let Some(target) = installation else {
        tracing::warn!(repo = %key, "no installation recorded; PRs are not annotated");
        return Ok(());
    };
    let spec = JobSpec {
        name: ANNOUNCE_JOB.to_string(),
        key: format!("{key}:{tag}"),
        scheduled_for: ctx.clock.now(),
        queue_key: target.queue_key(),
        repo: Some(key.clone()),
        installation_id: Some(target.installation_id as i64),
        payload: serde_json::to_value(Announcement {
            tag: tag.to_string(),
            url: url.to_string(),
            prs,
        })
        .map_err(|e| HandlerError::Other(e.to_string()))?,
    };
    ctx.store
        .enqueue_batch(&[spec.into_item()], ctx.clock.now_ms())
        .await?;
    Ok(())
}

/// The announcement job: "released in vX.Y.Z" on each PR, once each (edited in place on retry).
pub async fn announce(ctx: &Context, item: &ClaimedItem) -> Result<(), ProcessError> {
    let announcement: Announcement = serde_json::from_slice(&item.payload)
        .map_err(|e| ProcessError::Permanent(format!("bad {ANNOUNCE_JOB} payload: {e}")))?;
    let (Some(repo), Some(installation)) = (&item.repo, item.installation_id) else {
        return Err(ProcessError::Permanent(format!(
            "{ANNOUNCE_JOB} job without repository or installation"
        )));
    };
    let repo: RepoName = repo
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    let client = ctx.github.installation(installation as u64)?;
    let body = format!(
        "🚀 Released in [{}]({}).",
        announcement.tag, announcement.url
    );
    for pr in &announcement.prs {
        upsert_comment(
            &*client,
            &ctx.store,
            &repo,
            *pr,
            "released",
            &announcement.tag,
            &body,
            ctx.clock.now_ms(),
        )
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::github::fake::{FakeApp, FakeGitHub};
    use crate::store::Store;
    use crate::store::work::WorkKind;

    fn repo() -> RepoName {
        "acme/shop".parse().unwrap()
    }

    #[tokio::test]
    async fn a_tag_at_the_same_commit_is_a_retry_and_elsewhere_a_refusal() {
        let github = FakeGitHub::default();
        assert_eq!(
            create_tag(&github, &repo(), "v1.2.0", "aaaaaaa1")
                .await
                .unwrap(),
            Ok(())
        );
        // The retry after a crash between the tag and the release.
        assert_eq!(
            create_tag(&github, &repo(), "v1.2.0", "aaaaaaa1")
                .await
                .unwrap(),
            Ok(())
        );
        let refusal = create_tag(&github, &repo(), "v1.2.0", "bbbbbbb2")
            .await
            .unwrap()
            .unwrap_err();
        assert!(refusal.contains("already exists at aaaaaaa"), "{refusal}");
        assert!(
            refusal.contains("git push --delete origin v1.2.0"),
            "{refusal}"
        );
    }

    #[tokio::test]
    async fn the_announcement_job_comments_once_per_pr_through_the_context_port() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("relman.db").display());
        let store = Store::connect(&url).await.unwrap();
        let github = FakeGitHub::default();
        let clock = ManualClock::new(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap());
        let ctx = Context::new(
            Arc::new(FakeApp::new(github.clone())),
            store.clone(),
            Arc::new(clock),
        );
        let item = ClaimedItem {
            id: 1,
            kind: WorkKind::Job,
            dedupe_key: "acme/shop:v1.2.0".into(),
            name: ANNOUNCE_JOB.into(),
            action: None,
            queue_key: "repo:1".into(),
            repo: Some("acme/shop".into()),
            installation_id: Some(7),
            payload: serde_json::to_vec(&Announcement {
                tag: "v1.2.0".into(),
                url: "https://github.test/releases/v1.2.0".into(),
                prs: vec![11, 12],
            })
            .unwrap(),
            attempts: 1,
            created_at: 0,
        };
        announce(&ctx, &item).await.unwrap();
        // Run again, as after a crash before the item was marked done: no second comment.
        announce(&ctx, &item).await.unwrap();
        for pr in [11, 12] {
            let comments = github.comments_on(pr);
            assert_eq!(comments.len(), 1, "PR #{pr}: {comments:?}");
            assert!(
                comments[0]
                    .body
                    .contains("🚀 Released in [v1.2.0](https://github.test/releases/v1.2.0)."),
                "{}",
                comments[0].body
            );
        }
        assert_eq!(
            github
                .state()
                .calls
                .iter()
                .filter(|c| *c == "create_comment")
                .count(),
            2
        );
        store.close().await;
    }
}
