//! The one shell that carries out what a decision returned ([`Effect`]s), in order.
//!
//! Every effect is safe to apply again after a crash or a retry: comments are upserts keyed by
//! their hidden marker, check runs update the run found in the facts, assignments and closes set
//! a state rather than toggle one, a tag already at its commit and a release already made are
//! found rather than made twice, store records are keyed (a merge, an installation) or
//! appended by a decision that read the log first. An issue is only created by a decision that
//! found none of its own.

use super::context::Context;
use super::error::HandlerError;
use crate::domain::effects::{Effect, LogNote, ReleaseView, Stage};
use crate::domain::release::{Published, tag_conflict};
use crate::github::comments::upsert_comment;
use crate::github::{
    CheckOutput, GitHubError, GitHubPort, IssuePatch, IssueState, NewCheckRun, NewIssue,
    NewRelease, Release, ReleasePatch, RepoName,
};
use crate::inbox::scheduler::JobSpec;
use crate::store::environments::EnvironmentVersion;
use crate::store::releases::{CutRelease, LogEntry, LogKind, ReleaseRecord, ReleaseState};

/// What applying a list of effects did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Effects that acted on GitHub.
    pub github: usize,
    /// Effects that wrote to the store or asked another capability to follow up.
    pub other: usize,
}

/// The job that reminds a release manager to confirm production is healthy (its name is
/// `monitoring::REMINDER_JOB`; the payload names the tag).
pub const REMINDER_JOB: &str = "monitoring-reminder";

/// Carries out `effects` on `repo` in order, stopping at the first failure (the item is then
/// retried and the effects applied before it are applied again, harmlessly). Follow-ups of
/// other capabilities (re-rendering tracking issues, rebuilding a release PR, closing a skipped
/// day, queueing the "released in" comments) are applied by `follow_up::apply`, which lives above them; here they are refused.
pub async fn apply(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    effects: &[Effect],
) -> Result<Applied, HandlerError> {
    let mut applied = Applied::default();
    for effect in effects {
        apply_one(ctx, github, repo, effect).await?;
        if effect.writes_github() {
            applied.github += 1;
        } else {
            applied.other += 1;
        }
    }
    Ok(applied)
}

pub(super) async fn apply_one(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    effect: &Effect,
) -> Result<(), HandlerError> {
    let key = repo.to_string();
    match effect {
        Effect::UpsertComment {
            repo: target,
            issue,
            kind,
            key: comment_key,
            body,
        } => {
            let target = match target {
                Some(other) => other
                    .parse::<RepoName>()
                    .map_err(|e| HandlerError::Other(e.to_string()))?,
                None => repo.clone(),
            };
            upsert_comment(
                github,
                &ctx.store,
                &target,
                *issue,
                kind,
                comment_key,
                body,
                ctx.clock.now_ms(),
            )
            .await?;
        }
        Effect::EditComment { comment_id, body } => {
            github.update_comment(repo, *comment_id, body).await?;
        }
        Effect::EditIssueBody { issue, body } => {
            github
                .update_issue(
                    repo,
                    *issue,
                    &IssuePatch {
                        body: Some(body.clone()),
                        ..IssuePatch::default()
                    },
                )
                .await?;
        }
        Effect::AssignIssue { issue, assignees } => {
            github
                .update_issue(
                    repo,
                    *issue,
                    &IssuePatch {
                        assignees: Some(assignees.clone()),
                        ..IssuePatch::default()
                    },
                )
                .await?;
        }
        Effect::CloseIssue { issue } => {
            github
                .update_issue(
                    repo,
                    *issue,
                    &IssuePatch {
                        state: Some(IssueState::Closed),
                        state_reason: Some("completed".into()),
                        ..IssuePatch::default()
                    },
                )
                .await?;
        }
        Effect::CloseIssueNotPlanned { issue } => {
            github
                .update_issue(
                    repo,
                    *issue,
                    &IssuePatch {
                        state: Some(IssueState::Closed),
                        state_reason: Some("not_planned".into()),
                        ..IssuePatch::default()
                    },
                )
                .await?;
        }
        Effect::CreateIssue {
            title,
            body,
            labels,
            assignees,
        } => {
            github
                .create_issue(
                    repo,
                    &NewIssue {
                        title: title.clone(),
                        body: body.clone(),
                        labels: labels.clone(),
                        assignees: assignees.clone(),
                    },
                )
                .await?;
        }
        Effect::CompleteCheckRun {
            existing,
            name,
            head_sha,
            success,
            title,
            summary,
        } => {
            let run = NewCheckRun {
                name: name.clone(),
                head_sha: head_sha.clone(),
                status: "completed".into(),
                conclusion: Some(if *success { "success" } else { "failure" }.into()),
                output: Some(CheckOutput {
                    title: title.clone(),
                    summary: summary.clone(),
                    annotations: Vec::new(),
                }),
            };
            match existing {
                Some(id) => {
                    github.update_check_run(repo, *id, &run).await?;
                }
                None => {
                    github.create_check_run(repo, &run).await?;
                }
            }
        }
        Effect::CreateTag { tag, sha } => {
            if let Found::TagAt(at) = publish(github, repo, effect).await?
                && let Some(conflict) = tag_conflict(tag, &at, sha)
            {
                return Err(HandlerError::Other(conflict));
            }
        }
        Effect::CreateRelease { .. } => {
            publish(github, repo, effect).await?;
        }
        Effect::RevertReleaseToDraft { release_id } => {
            github
                .update_release(
                    repo,
                    *release_id,
                    &ReleasePatch {
                        draft: Some(true),
                        ..ReleasePatch::default()
                    },
                )
                .await?;
        }
        Effect::ReviewDeployment {
            run_id,
            environment,
            approved,
            comment,
        } => {
            github
                .review_deployment_protection_rule(repo, *run_id, environment, *approved, comment)
                .await?;
        }
        record => {
            apply_record(ctx, &key, record).await?;
        }
    }
    Ok(())
}

/// What a publishing effect found on GitHub, for the decision that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Where the tag points: the commit asked for, or, when it existed, wherever it is.
    TagAt(String),
    /// The release, made now or by an earlier attempt.
    Release(Published),
    /// Not a publishing effect: applied like any other.
    Nothing,
}

/// Applies a `CreateTag` or `CreateRelease` and returns what GitHub holds afterwards (a tag
/// already there or a release an earlier attempt made is found, not made twice). Other effects
/// go through [`apply`].
pub async fn publish(
    github: &dyn GitHubPort,
    repo: &RepoName,
    effect: &Effect,
) -> Result<Found, HandlerError> {
    Ok(match effect {
        Effect::CreateTag { tag, sha } => Found::TagAt(tag_at(github, repo, tag, sha).await?),
        Effect::CreateRelease { tag, sha, body } => {
            let release = create_release(github, repo, tag, sha, body).await?;
            Found::Release(Published {
                id: release.id,
                url: release.html_url,
            })
        }
        _ => Found::Nothing,
    })
}

/// Creates the tag at `sha` and says where the tag is: at `sha`, or, when it already existed,
/// wherever it points.
pub async fn tag_at(
    github: &dyn GitHubPort,
    repo: &RepoName,
    tag: &str,
    sha: &str,
) -> Result<String, HandlerError> {
    match github
        .create_ref(repo, &format!("refs/tags/{tag}"), sha)
        .await
    {
        Ok(()) => Ok(sha.to_string()),
        Err(GitHubError::Rejected { status: 422, .. }) => {
            match github.get_ref(repo, &format!("tags/{tag}")).await? {
                Some(existing) => Ok(existing.sha),
                None => Err(HandlerError::Other(format!(
                    "GitHub refused to create the tag {tag} but it does not exist"
                ))),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates the GitHub release, or finds the one a previous attempt created.
pub async fn create_release(
    github: &dyn GitHubPort,
    repo: &RepoName,
    tag: &str,
    sha: &str,
    changelog: &str,
) -> Result<Release, HandlerError> {
    let new = NewRelease {
        tag_name: tag.to_string(),
        target_commitish: sha.to_string(),
        name: tag.to_string(),
        body: changelog.to_string(),
        draft: false,
        prerelease: false,
    };
    match github.create_release(repo, &new).await {
        Ok(r) => Ok(r),
        Err(GitHubError::Rejected { status: 422, .. }) => github
            .get_release_by_tag(repo, tag)
            .await?
            .ok_or_else(|| HandlerError::Other(format!("GitHub refused the release {tag}"))),
        Err(e) => Err(e.into()),
    }
}

/// Carries out effects that only write to the store, for work that has no GitHub client at
/// hand (a webhook relman only records). An effect that needs GitHub is refused.
pub async fn record(ctx: &Context, repo: &str, effects: &[Effect]) -> Result<(), HandlerError> {
    for effect in effects {
        apply_record(ctx, repo, effect).await?;
    }
    Ok(())
}

async fn apply_record(ctx: &Context, key: &str, effect: &Effect) -> Result<(), HandlerError> {
    let key = key.to_string();
    match effect {
        Effect::RecordInstallation {
            installation_id,
            repository_id,
            at_ms,
        } => {
            ctx.store
                .set_repo_installation(&key, *installation_id, *repository_id, *at_ms)
                .await?;
        }
        Effect::RecordMerge {
            pr,
            merged_at_ms,
            merge_sha,
        } => {
            ctx.store
                .record_merge(&key, *pr, *merged_at_ms, merge_sha.as_deref())
                .await?;
        }
        Effect::AppendLog {
            release_key,
            note,
            environment,
            text,
            actor,
            comment_id,
            at_ms,
        } => {
            let entry = LogEntry {
                entry: log_kind(*note),
                environment: *environment,
                text: text.clone(),
                actor: actor.clone(),
                comment_id: *comment_id,
                at: *at_ms,
            };
            ctx.store
                .append_release_log(&key, release_key, &entry)
                .await?;
        }
        Effect::RecordSwap {
            swap,
            by,
            comment_id,
            at_ms,
        } => {
            ctx.store
                .add_rotation_swap(&key, swap, by, *comment_id, *at_ms)
                .await?;
        }
        Effect::SetReleaseManager {
            release_id,
            manager,
            at_ms,
        } => {
            ctx.store
                .set_release_manager(*release_id, manager, *at_ms)
                .await?;
        }
        Effect::RecordBodyHash {
            release_id,
            hash,
            at_ms,
        } => {
            ctx.store
                .set_release_body_hash(*release_id, hash, *at_ms)
                .await?;
        }
        Effect::MarkReleaseEnded {
            release_id,
            state,
            reason,
            by,
            at_ms,
        } => {
            let state = match state {
                Stage::Open => ReleaseState::Open,
                Stage::Released => ReleaseState::Released,
                Stage::Skipped => ReleaseState::Skipped,
                Stage::NoChanges => ReleaseState::NoChanges,
            };
            ctx.store
                .close_release(*release_id, state, reason, by.as_deref(), *at_ms)
                .await?;
        }
        Effect::MarkReleaseClosed { release_id, at_ms } => {
            ctx.store.mark_release_closed(*release_id, *at_ms).await?;
        }
        Effect::RecordCut {
            release_id,
            version,
            tag,
            github_release_id,
            release_url,
            sha,
            by,
            at_ms,
        } => {
            ctx.store
                .record_cut(
                    *release_id,
                    &CutRelease {
                        version,
                        tag,
                        release_id: *github_release_id,
                        release_url,
                        sha,
                        by,
                    },
                    *at_ms,
                )
                .await?;
        }
        Effect::SetEnvironmentVersion {
            environment,
            sha,
            version,
            source,
            deployment_id,
            at_ms,
        } => {
            ctx.store
                .set_environment_version(
                    &key,
                    &EnvironmentVersion {
                        environment: environment.clone(),
                        sha: sha.clone(),
                        version: version.clone(),
                        source: source.clone(),
                        deployment_id: *deployment_id,
                        at: *at_ms,
                    },
                )
                .await?;
        }
        Effect::MarkDeployed {
            production,
            tags,
            at_ms,
        } => {
            let marked = ctx
                .store
                .mark_deployed(&key, *production, tags, *at_ms)
                .await?;
            if marked > 0 {
                tracing::info!(repo = %key, production, marked, "releases reached an environment");
            }
        }
        Effect::MarkRequestDeployed { tag, at_ms } => {
            ctx.store
                .mark_deployment_request_deployed(&key, tag, *at_ms)
                .await?;
        }
        Effect::ScheduleHealthReminder {
            tag,
            at,
            queue_key,
            installation_id,
        } => {
            let spec = JobSpec {
                name: REMINDER_JOB.to_string(),
                key: format!("{key}:{tag}"),
                scheduled_for: *at,
                queue_key: queue_key.clone(),
                repo: Some(key.clone()),
                installation_id: Some(*installation_id as i64),
                payload: serde_json::json!({ "tag": tag }),
            };
            ctx.store
                .enqueue_batch(&[spec.into_item()], ctx.clock.now_ms())
                .await?;
        }
        other => {
            return Err(HandlerError::Other(format!(
                "{other:?} is neither a GitHub write nor a store record (follow-ups go through follow_up::apply)"
            )));
        }
    }
    Ok(())
}

fn log_kind(note: LogNote) -> LogKind {
    match note {
        LogNote::Signoff => LogKind::Signoff,
        LogNote::QaOk => LogKind::QaOk,
        LogNote::QaBlocker => LogKind::QaBlocker,
        LogNote::QaClear => LogKind::QaClear,
        LogNote::Healthy => LogKind::Healthy,
    }
}

/// A register row as the decisions see it.
pub fn view(rec: &ReleaseRecord) -> ReleaseView {
    ReleaseView {
        id: rec.id,
        key: rec.key.clone(),
        kind: rec.kind,
        scheduled_date: rec.scheduled_date,
        release_date: rec.release_date,
        issue_number: rec.issue_number,
        state: match rec.state {
            ReleaseState::Open => Stage::Open,
            ReleaseState::Released => Stage::Released,
            ReleaseState::Skipped => Stage::Skipped,
            ReleaseState::NoChanges => Stage::NoChanges,
        },
        manager: rec.manager.clone(),
        tag: rec.tag.clone(),
        released_at: rec.released_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_names_log_keys_and_states_as_the_store_does() {
        assert_eq!(
            crate::domain::signoff::version_key("v1.2.0"),
            crate::store::releases::version_key("v1.2.0")
        );
        for state in [
            ReleaseState::Open,
            ReleaseState::Released,
            ReleaseState::Skipped,
            ReleaseState::NoChanges,
        ] {
            let stage = match state {
                ReleaseState::Open => Stage::Open,
                ReleaseState::Released => Stage::Released,
                ReleaseState::Skipped => Stage::Skipped,
                ReleaseState::NoChanges => Stage::NoChanges,
            };
            assert_eq!(stage.words(), state.as_str().replace('_', " "));
        }
    }
}
