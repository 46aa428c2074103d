//! Expedited releases: `/hotfix <why>` and `/warmfix <why>` open a tracking issue for a patch on
//! what production (hotfix) or staging (warmfix) runs; `/release include #12 #13` on it names the
//! merged pull requests to cherry-pick; `/release` there builds `hotfix/vX.Y.Z` from the base tag
//! with the Git data API, checks the staging requirements on the branch head and cuts the tag
//! and the GitHub release. Each is recorded in the register with what it replaces (the seed's
//! table), so the regular tracking issue shows it and no second deployment request is filed.
//!
//! API calls. `/hotfix`: both environments' deployments, tags, the base commit's checks and
//! statuses, the issue — 6 (a retry after a crash adds one issue search). `/release include`
//! with N pull requests: N + the issue refresh. `/release` with N picks: tags, the branch ref
//! (+ its creation the first time, or a comparison with the base when it has commits), the head
//! tree, per pick its commit, both trees, the new tree and commit (5), the ref update, the
//! head's checks and statuses; once green: the tag, the release and the issue refresh.

use std::collections::HashSet;

use semver::Version;

use super::context::Context;
use super::error::HandlerError;
use super::invocation::{Invocation, Outcome};
use super::release_facts::{
    TAGS_READ, Train, commit_checks, deployed, facts_for, load_train, tag_commit,
};
use super::train::cherry_pick::{Built, build_branch};
use super::train::expedited::{refresh_issue, render_and_write};
use super::train::publish::{create_release, create_tag, unmet_list};
use crate::domain::expedited::{
    Kind, Pick, branch_of, expedited_key, expedited_version, replaced_environment, replaces,
};
use crate::domain::requirements::{Environment, all_met, evaluate};
use crate::domain::version::{tag_of, version_of_tag};
use crate::github::{GitHubError, GitHubPort, RepoName};
use crate::store::register::{ExpeditedCut, NewExpedited, RegisterRow};
use crate::store::releases::{ReleaseRecord, ReleaseState, regular_key};

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

fn no_config() -> Outcome {
    Outcome::Refused(
        "this repository has no usable `.github/relman.yml`, so relman does not release it.".into(),
    )
}

/// `/hotfix <why>` or `/warmfix <why>`: open the tracking issue of an expedited release.
pub async fn request(
    at: &Invocation<'_>,
    kind: Kind,
    reason: &str,
) -> Result<Outcome, HandlerError> {
    let (ctx, github, repo) = (at.ctx, at.github, at.repo);
    let Some(train) = load_train(ctx, github, repo).await? else {
        return Ok(no_config());
    };
    let key = repo.to_string();
    let command = format!("/{}", kind.as_str());
    let word = kind.as_str();
    if let Some(open) = ctx
        .store
        .register(&key)
        .await?
        .into_iter()
        .find(|r| r.kind == kind && r.state == ReleaseState::Open)
    {
        // A retry of this very command (it failed after recording): finish what it started.
        if open.origin_url.as_deref() == Some(at.comment_url)
            && let Some(rec) = ctx.store.release_record(&key, &open.key).await?
        {
            let number = render_and_write(ctx, github, repo, &train, &rec, None, false).await?;
            refresh_train_later(ctx, repo).await?;
            return Ok(Outcome::Done(Some(opened(&open, number))));
        }
        let issue = open
            .issue_number
            .map_or_else(String::new, |n| format!(" in #{n}"));
        return Ok(Outcome::Refused(format!(
            "a {word} is already open{issue} ({}). Name more fixes there with `/release include #N …`, or abandon it with `/skip <why>` there first.",
            open.tag.as_deref().unwrap_or("?")
        )));
    }

    let environments = &train.config.environments;
    let base_env = match kind.base_environment() {
        Environment::Production => &environments.production.name,
        Environment::Staging => &environments.staging.name,
    };
    let Some(running) = deployed(github, repo, base_env).await? else {
        return Ok(Outcome::Refused(format!(
            "relman does not know which version runs in `{base_env}`, so it cannot tell what a {word} patches: GitHub has no deployment to the `{base_env}` environment of this repository. \
             Deploy releases through GitHub deployments to `{base_env}` (or set `environments.{}.name` in `.github/relman.yml` to the environment your deployments use), then comment `{command} {reason}` again.",
            kind.base_environment().name()
        )));
    };
    let prefix = &train.config.versioning.tag_prefix;
    let Some(base_version) = version_of_tag(&running, prefix) else {
        return Ok(Outcome::Refused(format!(
            "`{base_env}` runs `{running}`, which is not a release tag (`{prefix}X.Y.Z`), so relman cannot tell which version a {word} patches. \
             Deploy a release tag to `{base_env}` (relman's releases are tagged `{prefix}X.Y.Z`), then comment `{command} {reason}` again."
        )));
    };
    let register = ctx.store.register(&key).await?;
    // A fix released but not yet where it goes is built on, not dropped: the new fix starts
    // from the newest such one.
    let in_flight = in_flight_fix(&register, kind, &base_version, prefix);
    let (base_tag, base_version) = match &in_flight {
        Some((row, version)) => (row.tag.clone().unwrap_or_default(), version.clone()),
        None => (running.clone(), base_version),
    };
    let tags = github.list_tags(repo, TAGS_READ).await?;
    let Some(base_sha) = tags
        .iter()
        .find(|t| t.name == base_tag)
        .map(|t| t.sha.clone())
    else {
        return Ok(Outcome::Refused(format!(
            "the {word} would patch `{base_tag}`, but the repository has no such tag (among its latest {TAGS_READ}). Push the tag, then comment `{command} {reason}` again."
        )));
    };
    let taken: Vec<Version> = tags
        .iter()
        .filter_map(|t| version_of_tag(&t.name, prefix))
        .chain(
            register
                .iter()
                .filter(|r| r.kind != Kind::Regular)
                .filter_map(|r| r.version.as_deref().and_then(|v| Version::parse(v).ok())),
        )
        .collect();
    let version = expedited_version(&base_version, &taken);
    let tag = tag_of(&version, &train.config.versioning);
    let branch = branch_of(&tag);
    let now = ctx.clock.now();
    let today = train.today(now);
    let replacing = replaces(&train.calendar, kind, today);
    let manager = train.manager_on(today);
    let release_key = expedited_key(kind, &version);
    let inserted = ctx
        .store
        .insert_expedited(
            &NewExpedited {
                repo: &key,
                key: &release_key,
                kind,
                requested_on: today,
                manager: manager.as_deref(),
                reason,
                requested_by: &at.actor.login,
                origin_issue: at.issue_number,
                origin_url: at.comment_url,
                version: &version.to_string(),
                tag: &tag,
                base_tag: &base_tag,
                branch: &branch,
                replaces: replacing
                    .as_ref()
                    .map(|r| (regular_key(r.scheduled), r.environment.name(), r.week)),
            },
            ctx.clock.now_ms(),
        )
        .await?;
    let fresh = inserted.is_some();
    let Some(rec) = ctx.store.release_record(&key, &release_key).await? else {
        return Err(HandlerError::Other(format!(
            "the {word} {release_key} was recorded but cannot be read back"
        )));
    };
    tracing::info!(repo = %repo, key = %release_key, by = %at.actor.login, "expedited release requested");
    let checks = commit_checks(github, repo, &base_sha).await?;
    let number = render_and_write(
        ctx,
        github,
        repo,
        &train,
        &rec,
        Some((&base_sha, checks)),
        fresh,
    )
    .await?;
    // The regular tracking issue it replaces shows it at the next refresh.
    refresh_train_later(ctx, repo).await?;
    let Some(row) = ctx.store.register_row(&key, &release_key).await? else {
        return Err(HandlerError::Other(format!("{release_key} vanished")));
    };
    let mut reply = opened(&row, number);
    if let Some((fix, _)) = &in_flight {
        reply.push_str(&format!(
            "\n\nIt starts from {} {} rather than `{running}` (what {base_env} runs): that {} is released but not in {base_env} yet, and starting from `{running}` would drop its fix. To patch `{running}` alone instead, abandon this one with `/skip <why>` and deploy or abandon {} first.",
            fix.kind,
            fix.tag.as_deref().unwrap_or("?"),
            fix.kind,
            fix.tag.as_deref().unwrap_or("?"),
        ));
    }
    Ok(Outcome::Done(Some(reply)))
}

/// The newest fix released on the line of `running` that has not reached the environment a new
/// `kind` patches (production for a hotfix, staging for a warmfix; a warmfix also builds on a
/// hotfix), with its version. Pure.
fn in_flight_fix<'a>(
    register: &'a [RegisterRow],
    kind: Kind,
    running: &Version,
    prefix: &str,
) -> Option<(&'a RegisterRow, Version)> {
    register
        .iter()
        .filter(|r| r.state == ReleaseState::Released)
        .filter(|r| match kind {
            Kind::Hotfix => r.kind == Kind::Hotfix && r.production_at.is_none(),
            Kind::Warmfix => r.kind != Kind::Regular && r.staged_at.is_none(),
            Kind::Regular => false,
        })
        .filter_map(|r| {
            let version = version_of_tag(r.tag.as_deref()?, prefix)?;
            (version > *running && version.major == running.major && version.minor == running.minor)
                .then_some((r, version))
        })
        .max_by(|a, b| a.1.cmp(&b.1))
}

/// The answer to `/hotfix` and `/warmfix`.
fn opened(row: &RegisterRow, number: u64) -> String {
    let assigned = row
        .manager
        .as_deref()
        .map_or_else(String::new, |m| format!(", assigned to @{m}"));
    format!(
        "Opened #{number}: {} {}, a patch on `{}` (what {} runs){assigned}. Name the fixes there with `/release include #N …`, then comment `/release` there.",
        row.kind.title_word(),
        row.tag.as_deref().unwrap_or("?"),
        row.base_tag.as_deref().unwrap_or("?"),
        row.kind.base_environment().name()
    )
}

/// The expedited release of the issue a command was given on, or why there is none.
async fn expedited_here(at: &Invocation<'_>) -> Result<Result<RegisterRow, String>, HandlerError> {
    let key = at.repo.to_string();
    match at.ctx.store.release_by_issue(&key, at.issue_number).await? {
        Some(rec) if rec.kind != Kind::Regular => {
            match at.ctx.store.register_row(&key, &rec.key).await? {
                Some(row) => Ok(Ok(row)),
                None => Ok(Err("its record is gone".into())),
            }
        }
        _ => Ok(Err(
            "this is not a hotfix or warmfix tracking issue. `/hotfix <why>` or `/warmfix <why>` opens one; name the fixes there."
                .into(),
        )),
    }
}

/// `/release include #12 #13`: the merged pull requests an expedited release cherry-picks (the
/// list replaces any named before, so saying it again corrects it).
pub async fn include(at: &Invocation<'_>, prs: &[u64]) -> Result<Outcome, HandlerError> {
    let (ctx, github, repo) = (at.ctx, at.github, at.repo);
    let row = match expedited_here(at).await? {
        Ok(row) => row,
        Err(why) => {
            return Ok(Outcome::Refused(format!(
                "relman did not record the fixes: {why}"
            )));
        }
    };
    if row.state != ReleaseState::Open {
        return Ok(Outcome::Refused(format!(
            "{} is {} already; its fixes cannot change. `/{} <why>` opens a new one.",
            row.tag.as_deref().unwrap_or("this release"),
            row.state.as_str().replace('_', " "),
            row.kind.as_str()
        )));
    }
    let mut picks: Vec<(Pick, i64)> = Vec::new();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for &number in prs {
        if !seen.insert(number) {
            continue;
        }
        let pull = match github.get_pull(repo, number).await {
            Ok(p) => p,
            Err(GitHubError::NotFound { .. }) => {
                problems.push(format!("- #{number} is not a pull request of {repo}"));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        match (pull.merged_at, pull.merge_commit_sha.clone()) {
            (Some(merged_at), Some(sha)) => {
                picks.push((
                    Pick {
                        number,
                        title: pull.title.clone(),
                        author: Some(pull.user.login.clone()).filter(|l| !l.is_empty()),
                        merge_sha: sha,
                    },
                    crate::store::to_millis(merged_at),
                ));
            }
            _ => problems.push(format!(
                "- #{number} ({}) is not merged: merge the fix into the default branch first",
                pull.title
            )),
        }
    }
    if !problems.is_empty() {
        return Ok(Outcome::Refused(format!(
            "relman did not record the fixes:\n\n{}\n\nComment `/release include` again with merged pull requests.",
            problems.join("\n")
        )));
    }
    let key = repo.to_string();
    ctx.store
        .set_picks(&key, &row.key, &picks, &at.actor.login, ctx.clock.now_ms())
        .await?;
    refresh_issue(ctx, github, repo, &row.key).await?;
    let list: Vec<String> = picks
        .iter()
        .map(|(p, _)| format!("#{} {} (`{}`)", p.number, p.title, short(&p.merge_sha)))
        .collect();
    Ok(Outcome::Done(Some(format!(
        "{} will cherry-pick onto `{}`: {}. Comment `/release` to build the branch and cut it.",
        row.tag.as_deref().unwrap_or("The release"),
        row.branch.as_deref().unwrap_or("its branch"),
        list.join(", ")
    ))))
}

/// Called first by `/release`: an expedited release is cut here; a regular release whose
/// staging release a warmfix replaced is refused. `None`: the regular release goes ahead.
pub async fn release_instead(
    at: &Invocation<'_>,
    rec: &ReleaseRecord,
) -> Result<Option<Outcome>, HandlerError> {
    if rec.kind == Kind::Regular {
        if rec.state != ReleaseState::Open {
            return Ok(None);
        }
        let key = at.repo.to_string();
        let replaced = at.ctx.store.replacements_of(&key, &rec.key).await?;
        return Ok(replaced
            .iter()
            .find(|r| replaced_environment(r.replaces_env.as_deref()) == Some(Environment::Staging))
            .map(|w| {
                let issue = w.issue_number.map_or_else(String::new, |n| format!(" (#{n})"));
                Outcome::Refused(format!(
                    "relman did not release: warmfix {}{issue} replaces this cycle's planned staging release (the seed's rule: no more changes to the release process after a warmfix). What merged since ships with the next regular release.",
                    w.tag.as_deref().unwrap_or("?")
                ))
            }));
    }
    let Some(train) = load_train(at.ctx, at.github, at.repo).await? else {
        return Ok(Some(no_config()));
    };
    let key = at.repo.to_string();
    let Some(row) = at.ctx.store.register_row(&key, &rec.key).await? else {
        return Err(HandlerError::Other(format!(
            "no register row for {}",
            rec.key
        )));
    };
    Ok(Some(cut(at, &train, rec, &row).await?))
}

/// `/release` on an expedited release's issue.
async fn cut(
    at: &Invocation<'_>,
    train: &Train,
    rec: &ReleaseRecord,
    row: &RegisterRow,
) -> Result<Outcome, HandlerError> {
    let (ctx, github, repo) = (at.ctx, at.github, at.repo);
    let tag = row.tag.clone().unwrap_or_default();
    match row.state {
        ReleaseState::Open => {}
        ReleaseState::Released => {
            return Ok(Outcome::Done(Some(format!(
                "Already released as [{tag}]({}); nothing more to do.",
                row.release_url.as_deref().unwrap_or("")
            ))));
        }
        ReleaseState::Skipped | ReleaseState::NoChanges => {
            return Ok(Outcome::Refused(format!(
                "relman did not release: this {} was abandoned ({}). `/{} <why>` opens a new one.",
                row.kind,
                row.reason.as_deref().unwrap_or("no reason given"),
                row.kind
            )));
        }
    }
    let key = repo.to_string();
    let picks: Vec<Pick> = ctx
        .store
        .picks(&key, &row.key)
        .await?
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    if picks.is_empty() {
        return Ok(Outcome::Refused(
            "relman did not release: no fixes are named yet. Comment `/release include #N …` with the merged pull requests to cherry-pick, then `/release`.".into(),
        ));
    }
    let (Some(base_tag), Some(branch)) = (row.base_tag.clone(), row.branch.clone()) else {
        return Err(HandlerError::Other(format!(
            "{} has no base or branch",
            row.key
        )));
    };
    let Some(base_sha) = tag_commit(github, repo, &base_tag).await? else {
        return Ok(Outcome::Refused(format!(
            "relman did not release: the base tag `{base_tag}` is gone. Push it again (it is what the {} patches), then comment `/release`.",
            row.kind
        )));
    };
    let head = match build_branch(github, repo, &branch, &base_sha, &picks).await? {
        Built::Ready(head) => head,
        Built::Conflict { head, pick, paths } => {
            let list: Vec<String> = paths.iter().map(|p| format!("`{p}`")).collect();
            tracing::info!(repo = %repo, branch = %branch, pr = pick.number, "cherry-pick conflict");
            return Ok(Outcome::Refused(format!(
                "relman did not release: #{} does not apply cleanly to `{branch}` ({}): {} changed there since #{} was written, differently. relman does not force it.\n\n\
                 Resolve it by hand: `git fetch origin && git switch {branch} && git cherry-pick -x -m 1 {}`, fix the conflict, commit and push; then comment `/release` again (relman recognises the pick by its `cherry picked from` line). \
                 Or leave it out: `/release include` with the other fixes.",
                pick.number,
                short(&head),
                list.join(", "),
                pick.number,
                pick.merge_sha
            )));
        }
    };

    let now = ctx.clock.now();
    let checks = commit_checks(github, repo, &head).await?;
    let facts = facts_for(ctx, train, repo, Some(rec), &head, checks.clone(), now).await?;
    let verdicts = evaluate(Environment::Staging, &train.config.requirements, &facts);
    if !all_met(&verdicts) {
        // The issue's requirement rows follow the branch head.
        render_and_write(ctx, github, repo, train, rec, Some((&head, checks)), false).await?;
        return Ok(Outcome::Refused(format!(
            "`{branch}` is ready at {} with {}, but relman did not release: the staging requirements are not met there:\n\n{}\nComment `/release` again once they are.",
            short(&head),
            pick_list(&picks),
            unmet_list(&verdicts)
        )));
    }
    if let Err(refusal) = create_tag(github, repo, &tag, &head).await? {
        return Ok(Outcome::Refused(refusal));
    }
    let notes = release_notes(row, &picks);
    let release = create_release(github, repo, &tag, &head, &notes).await?;
    ctx.store
        .record_expedited_cut(
            row.id,
            &ExpeditedCut {
                release_id: release.id,
                release_url: &release.html_url,
                sha: &head,
                by: &at.actor.login,
            },
            ctx.clock.now_ms(),
        )
        .await?;
    tracing::info!(repo = %repo, tag = %tag, sha = %head, by = %at.actor.login, "expedited release cut");
    close_replaced(ctx, github, repo, train, row).await?;
    // Its tag may be the version merged changes were promised: they now ship in the next one.
    super::merged_pr::refresh_promises(ctx, github, repo, train).await?;
    let next = match row.kind {
        Kind::Hotfix => {
            // The process's time-sensitive release: production gets it at once, staging too
            // (for the manual tests).
            let cut = ctx
                .store
                .register_row(&key, &row.key)
                .await?
                .ok_or_else(|| {
                    HandlerError::Other(format!("{} vanished after its cut", row.key))
                })?;
            let url =
                super::train::deploy_request::file_fix(ctx, github, repo, train, &cut).await?;
            format!(
                "Deployment request for production filed for Ops: {url}. CI deploys it to staging too, for the manual tests. When it runs in production relman posts the monitoring checklist here; then `/release healthy`."
            )
        }
        _ => {
            let due = crate::domain::production::due_on(
                &train.calendar,
                super::production::soak(train),
                ctx.clock.now(),
            );
            format!(
                "CI deploys it to staging; it goes to production on the release day after it soaked there{} (`/deploy production now` asks sooner).",
                due.map(|d| format!(" ({})", d.format("%a %-d %b")))
                    .unwrap_or_default()
            )
        }
    };
    refresh_issue(ctx, github, repo, &row.key).await?;
    Ok(Outcome::Done(Some(format!(
        "Released **[{tag}]({})** from `{branch}` at {}: `{base_tag}` + {}. {next}",
        release.html_url,
        short(&head),
        pick_list(&picks)
    ))))
}

fn pick_list(picks: &[Pick]) -> String {
    picks
        .iter()
        .map(|p| format!("#{}", p.number))
        .collect::<Vec<_>>()
        .join(", ")
}

fn release_notes(row: &RegisterRow, picks: &[Pick]) -> String {
    let mut out = format!(
        "{} on `{}`: {}\n\n### Fixes\n\n",
        row.kind.title_word(),
        row.base_tag.as_deref().unwrap_or("?"),
        crate::domain::changelog::escape_inline(row.reason.as_deref().unwrap_or(""))
    );
    for p in picks {
        out.push_str(&format!(
            "- #{} {}",
            p.number,
            crate::domain::changelog::escape_inline(&p.title)
        ));
        if let Some(a) = &p.author {
            out.push_str(&format!(" (@{a})"));
        }
        out.push('\n');
    }
    out
}

/// A warmfix that replaced a cycle's staging release, once cut, closes that cycle's regular
/// tracking issue if it is still open: the seed's "staging fix replaces planned staging release".
async fn close_replaced(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    row: &RegisterRow,
) -> Result<(), HandlerError> {
    let (Kind::Warmfix, Some(regular), Some(Environment::Staging)) = (
        row.kind,
        row.replaces_key.as_deref(),
        replaced_environment(row.replaces_env.as_deref()),
    ) else {
        return Ok(());
    };
    let key = repo.to_string();
    let Some(rec) = ctx.store.release_record(&key, regular).await? else {
        return Ok(());
    };
    let (ReleaseState::Open, Some(number)) = (rec.state, rec.issue_number) else {
        return Ok(());
    };
    let issue = row
        .issue_number
        .map_or_else(String::new, |n| format!(" (#{n})"));
    let reason = format!(
        "warmfix {}{issue} replaced this cycle's planned staging release",
        row.tag.as_deref().unwrap_or("?")
    );
    super::train::tracking::close_tracking(
        ctx,
        github,
        repo,
        &rec,
        number,
        ReleaseState::Skipped,
        &reason,
        row.released_by.as_deref().or(row.requested_by.as_deref()),
    )
    .await?;
    // Its body now says why (a closed issue is no longer refreshed by the train).
    match ctx.store.release_record(&key, regular).await? {
        Some(closed) => {
            super::train::tracking::refresh_release(ctx, github, repo, train, &closed, None, None)
                .await
        }
        None => Ok(()),
    }
}

/// Books a refresh of the repository's tracking issues (they show the register's replacements
/// and rate) for the end of the current window, as events do.
async fn refresh_train_later(ctx: &Context, repo: &RepoName) -> Result<(), HandlerError> {
    if let Some(target) = ctx.store.repository_installation(&repo.to_string()).await? {
        super::train::tracking::schedule_refresh(ctx, repo, target.installation_id, target.repo_id)
            .await?;
    }
    Ok(())
}
