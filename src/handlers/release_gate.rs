//! The requirements gate on releases made by hand: on `release` created (not a draft),
//! published or prereleased, a release relman did not cut is checked against the staging
//! requirements at its tag's commit. A `relman/requirements` check run on that commit carries
//! the verdict; a release that breaks a requirement is reverted to a draft (or only annotated,
//! per `gate.on_violation`) and explained on the tracking issue — or on a new issue when none is
//! open — naming who created it. One that meets them is recorded on the open release and passes
//! quietly.
//!
//! No loops: relman's own releases are recognised by their id in the register and not gated;
//! reverting to a draft sends `edited`, which the gate does not act on.

use super::context::Context;
use super::error::HandlerError;
use super::events::ReleaseEvent;
use super::release_facts::{Train, commit_checks, facts_for, load_train};
use super::train::publish::unmet_list;
use crate::config::repo::OnViolation;
use crate::domain::requirements::{Environment, all_met, evaluate};
use crate::github::comments::upsert_comment;
use crate::github::{CheckOutput, GitHubPort, NewCheckRun, NewIssue, ReleasePatch, RepoName};
use crate::inbox::ProcessError;
use crate::store::releases::{CutRelease, ReleaseState};

pub const CHECK_NAME: &str = "relman/requirements";

pub async fn handle_release(ctx: &Context, event: &ReleaseEvent) -> Result<(), ProcessError> {
    let action = event.common.action.as_deref().unwrap_or_default();
    let release = &event.release;
    let gated = match action {
        "published" | "prereleased" => true,
        "created" => !release.draft,
        _ => false,
    };
    if !gated {
        return Ok(());
    }
    let (Some(installation), Some(repository)) =
        (&event.common.installation, &event.common.repository)
    else {
        return Err(ProcessError::Permanent(
            "release event without installation or repository".into(),
        ));
    };
    let repo: RepoName = repository
        .full_name
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    let client = ctx.github.installation(installation.id)?;
    let key = repo.to_string();
    if let Some(own) = ctx
        .store
        .release_by_tag(&key, &release.tag_name)
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?
        && own.release_id == Some(release.id)
    {
        tracing::debug!(repo = %repo, tag = %release.tag_name, "relman's own release: not gated");
        return Ok(());
    }
    let Some(train) = load_train(ctx, &*client, &repo).await? else {
        return Ok(());
    };
    gate(ctx, &*client, &repo, &train, event).await?;
    Ok(())
}

async fn gate(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    event: &ReleaseEvent,
) -> Result<(), HandlerError> {
    let release = &event.release;
    let tag = &release.tag_name;
    let Some(sha) = github.commit_sha(repo, tag).await? else {
        tracing::warn!(repo = %repo, tag = %tag, "the release's tag does not resolve to a commit; not gated");
        return Ok(());
    };
    let key = repo.to_string();
    let open = ctx.store.open_releases(&key).await?.into_iter().next();
    let checks = commit_checks(github, repo, &sha).await?;
    let existing_run = github
        .check_runs(repo, &sha)
        .await?
        .into_iter()
        .find(|c| c.name == CHECK_NAME);
    let now = ctx.clock.now();
    let facts = facts_for(ctx, train, repo, open.as_ref(), &sha, checks, now).await?;
    let verdicts = evaluate(Environment::Staging, &train.config.requirements, &facts);
    let met = all_met(&verdicts);
    let creator = if release.author.login.is_empty() {
        event.common.sender.login.clone()
    } else {
        release.author.login.clone()
    };

    let summary = if met {
        format!("{tag} meets the staging requirements.")
    } else {
        format!(
            "{tag} was created by @{creator} but does not meet the staging requirements:\n\n{}",
            unmet_list(&verdicts)
        )
    };
    let run = NewCheckRun {
        name: CHECK_NAME.into(),
        head_sha: sha.clone(),
        status: "completed".into(),
        conclusion: Some(if met { "success" } else { "failure" }.into()),
        output: Some(CheckOutput {
            title: if met {
                "Release requirements met".into()
            } else {
                "Release requirements not met".into()
            },
            summary: summary.clone(),
            annotations: Vec::new(),
        }),
    };
    match existing_run {
        Some(r) => {
            github.update_check_run(repo, r.id, &run).await?;
        }
        None => {
            github.create_check_run(repo, &run).await?;
        }
    }

    if met {
        // Cut by hand but within the rules: the open release is this one.
        if let Some(rec) = open.filter(|r| r.state == ReleaseState::Open) {
            let version = tag
                .strip_prefix(train.config.versioning.tag_prefix.as_str())
                .unwrap_or(tag);
            ctx.store
                .record_cut(
                    rec.id,
                    &CutRelease {
                        version,
                        tag,
                        release_id: release.id,
                        release_url: &release.html_url,
                        sha: &sha,
                        by: &creator,
                    },
                    ctx.clock.now_ms(),
                )
                .await?;
        }
        tracing::info!(repo = %repo, tag = %tag, by = %creator, "release made by hand meets the requirements");
        return Ok(());
    }

    let reverted = train.config.gate.on_violation == OnViolation::Draft && !release.draft;
    if reverted {
        github
            .update_release(
                repo,
                release.id,
                &ReleasePatch {
                    draft: Some(true),
                    ..ReleasePatch::default()
                },
            )
            .await?;
    }
    let what = if reverted {
        "relman reverted it to a draft, so it is not treated as shipped"
    } else {
        "it was left published (`gate.on_violation: annotate`)"
    };
    let text = format!(
        "⛔ @{creator} created the release [{tag}]({}) at {}, but it does not meet the staging requirements; {what}.\n\n{}\n\
         Fix what is listed, then publish the release again (relman checks it again) — or let the release manager cut the release with `/release` on the tracking issue.",
        release.html_url,
        &sha[..sha.len().min(7)],
        unmet_list(&verdicts)
    );
    let where_ = match open.and_then(|r| r.issue_number) {
        Some(n) => n,
        None => {
            github
                .create_issue(
                    repo,
                    &NewIssue {
                        title: format!("Release {tag} was rejected"),
                        body: text.clone(),
                        labels: vec![crate::domain::tracking::RELEASE_LABEL.into()],
                        assignees: vec![creator.clone()],
                    },
                )
                .await?;
            tracing::warn!(repo = %repo, tag = %tag, by = %creator, reverted, "release rejected");
            return Ok(());
        }
    };
    upsert_comment(
        github,
        &ctx.store,
        repo,
        where_,
        "rejected",
        &format!("{tag}:{}", release.id),
        &text,
        ctx.clock.now_ms(),
    )
    .await?;
    tracing::warn!(repo = %repo, tag = %tag, by = %creator, reverted, "release rejected");
    Ok(())
}
