//! Release pull requests (`release.mode: pull_request`): instead of tagging the default branch,
//! `/release` (after the same requirement checks) builds one commit on `release/<version>` —
//! the version files bumped and a new `CHANGELOG.md` section — through the Git Data API, and
//! opens the PR `chore: release <version>`, labelled `release`, with the release notes as its
//! body. When more PRs merge first, the branch is rebuilt from the new head (one force-updated
//! commit) and the PR body rewritten; the tracking issue says so. Merging the PR tags its merge
//! commit, publishes the GitHub release (which the team's CI deploys to staging) and tells each
//! PR it shipped "released in" (the `announce-release` job, as in tag mode); closing it unmerged
//! abandons that release.
//!
//! Only a PR relman opened is acted on: its body starts with relman's marker (naming the
//! tracking issue), its branch is `release/<version>`, it carries the `release` label and a bot
//! opened it. Which PR belongs to which release is kept in the release log, so a merge elsewhere
//! finds the open release PR without listing pull requests.
//!
//! API calls for `/release` (after the gate's 7): each version file and the changelog (plus
//! `Cargo.lock` for a `Cargo.toml`), the head commit, a blob per changed file, the tree, the
//! commit, the branch, the PR and its label — 12 for Cargo.toml + Cargo.lock + CHANGELOG.md, 19
//! in all. A rebuild after a merge costs the same plus the PR read and the note (about 19); the
//! merged release PR 11 (the shipped PRs: tags, comparison, closed PRs; tag, changelog, release,
//! tracking issue, note), then 2 per shipped PR in the announcement job.

use semver::Version;

use super::context::Context;
use super::error::HandlerError;
use super::events::PullRequestEvent;
use super::invocation::{Invocation, Outcome};
use super::release_facts::{
    Head, Pending, Train, default_head, last_release, pending_changes, release_before,
};
use super::train::publish::{announce_later, create_release, create_tag};
use super::train::tracking::refresh_release;
use crate::config::repo::{Bump, ReleaseMode, VersionFile, VersionSource};
use crate::domain::conventional::{bump_for_changes, changelog_section, release_notes};
use crate::domain::tracking::RELEASE_LABEL;
use crate::domain::version::{next_version, tag_of};
use crate::domain::version_files::{
    VersionFileError, bump_cargo_lock, bump_file, changelog_section_text, prepend_changelog,
};
use crate::github::comments::{UpsertError, marker, upsert_comment};
use crate::github::{
    GitHubError, GitHubPort, NewPull, NewTreeEntry, PullPatch, PullRequest, RepoName,
};
use crate::store::releases::{CutRelease, LogEntry, LogKind, ReleaseRecord, ReleaseState};

/// The marker kind at the top of a release PR's body; its key is the tracking issue's number.
pub const MARKER_KIND: &str = "release-pr";
/// Release branches: `release/<version>`.
pub const BRANCH_PREFIX: &str = "release/";
/// The release-log entry naming a release's PR (`comment_id` holds the PR number, `text` its
/// branch), and the one saying it was closed unmerged.
const LOG_OPENED: LogKind = LogKind::ReleasePr;
const LOG_ABANDONED: LogKind = LogKind::ReleasePrAbandoned;
/// The comment on the tracking issue that says what happened to the release PR.
const STATUS_KIND: &str = "release-pr-status";

fn upsert_error(e: UpsertError) -> HandlerError {
    match e {
        UpsertError::GitHub(e) => HandlerError::GitHub(e),
        UpsertError::Store(e) => HandlerError::Store(e),
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// A release PR relman opened: (tracking issue, version), or `None` for any other PR.
pub fn recognise(pr: &PullRequest) -> Option<(u64, Version)> {
    let prefix = format!("<!-- relman:{MARKER_KIND}:");
    let rest = pr.body.strip_prefix(&prefix)?;
    let issue: u64 = rest.split_once(" -->")?.0.parse().ok()?;
    let version = Version::parse(pr.head.name.strip_prefix(BRANCH_PREFIX)?).ok()?;
    let labelled = pr
        .label_names()
        .any(|l| l.eq_ignore_ascii_case(RELEASE_LABEL));
    (labelled && pr.user.is_bot()).then_some((issue, version))
}

/// The PR a release has open (by the release log): its number and branch.
async fn logged_pr(
    ctx: &Context,
    repo: &RepoName,
    rec: &ReleaseRecord,
) -> Result<Option<(u64, String)>, HandlerError> {
    let log = ctx.store.release_log(&repo.to_string(), &rec.key).await?;
    let mut open = None;
    for entry in &log {
        match entry.entry {
            LOG_OPENED => open = Some((entry.comment_id, entry.text.clone().unwrap_or_default())),
            LOG_ABANDONED if open.as_ref().is_some_and(|(n, _)| *n == entry.comment_id) => {
                open = None
            }
            _ => {}
        }
    }
    Ok(open)
}

/// What a release PR is built from.
pub struct Plan<'a> {
    pub train: &'a Train,
    pub rec: &'a ReleaseRecord,
    pub head: &'a Head,
    pub pending: &'a Pending,
    pub version: &'a Version,
    pub bump: Bump,
}

/// What building the PR came to.
enum Built {
    Opened {
        pr: PullRequest,
        files: Vec<String>,
    },
    Updated {
        pr: PullRequest,
        files: Vec<String>,
    },
    /// Version files that do not hold the last release's version (or cannot be read).
    Problems(Vec<VersionFileError>),
}

/// `/release` in pull-request mode: open the release PR, or bring the open one up to date.
pub async fn prepare(at: &Invocation<'_>, plan: &Plan<'_>) -> Result<Outcome, HandlerError> {
    let (ctx, github, repo) = (at.ctx, at.github, at.repo);
    let tag = tag_of(plan.version, &plan.train.config.versioning);
    match build(ctx, github, repo, plan).await? {
        Built::Problems(problems) => Ok(Outcome::Refused(problems_text(plan, &problems))),
        Built::Opened { pr, files } | Built::Updated { pr, files } => {
            let source = match plan.train.config.versioning.source {
                VersionSource::Labels => "the merged PRs' labels",
                VersionSource::ConventionalCommits => "conventional commits",
            };
            tracing::info!(repo = %repo, pr = pr.number, version = %plan.version, by = %at.actor.login, "release PR ready");
            Ok(Outcome::Done(Some(format!(
                "Release PR #{} is ready: **{}** ({} bump from {source}) on `{BRANCH_PREFIX}{}`, one commit on {} at {} changing {}. \
                 Merging it tags `{tag}` at the merge commit and publishes the release, which CI deploys to staging.",
                pr.number,
                plan.version,
                plan.bump.name(),
                plan.version,
                plan.head.branch,
                short(&plan.head.sha),
                files
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ))))
        }
    }
}

fn problems_text(plan: &Plan<'_>, problems: &[VersionFileError]) -> String {
    let list: String = problems.iter().map(|p| format!("- {p}\n")).collect();
    format!(
        "relman did not prepare the release PR for **{}**: the version files do not hold the last release's version ({}).\n\n{list}\nFix them on `{}` and comment `/release` again.",
        plan.version,
        plan.pending
            .last
            .as_ref()
            .map_or_else(|| "none yet".to_string(), |t| t.version.to_string()),
        plan.head.branch,
    )
}

/// Reads the files at the head, bumps them, writes one commit on the release branch and opens
/// or updates the PR.
async fn build(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    plan: &Plan<'_>,
) -> Result<Built, HandlerError> {
    let settings = &plan.train.config.release;
    let versioning = &plan.train.config.versioning;
    let sha = plan.head.sha.as_str();
    let current = plan.pending.last.as_ref().map(|t| &t.version);

    // The files, bumped; every problem at once so one fix-up round is enough.
    let mut changed: Vec<(String, String)> = Vec::new();
    let mut problems = Vec::new();
    for file in &settings.version_files {
        let path = file.path();
        let Some(original) = github.get_file(repo, path, Some(sha)).await? else {
            problems.push(VersionFileError::Missing {
                path: path.to_string(),
            });
            continue;
        };
        match bump_file(file, &original.text, current, plan.version) {
            Ok(bumped) => {
                if let Some(cargo) = &bumped.cargo {
                    // A library may not commit its lock file; nothing to follow then.
                    if let Some((lock_path, lock)) = cargo_lock(github, repo, sha, file).await? {
                        match bump_cargo_lock(&lock_path, &lock, cargo, plan.version) {
                            Ok(text) if text != lock => changed.push((lock_path, text)),
                            Ok(_) => {}
                            Err(e) => problems.push(e),
                        }
                    }
                }
                if bumped.text != original.text {
                    changed.push((path.to_string(), bumped.text));
                }
            }
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Ok(Built::Problems(problems));
    }
    let version = plan.version.to_string();
    let tag = tag_of(plan.version, versioning);
    let compare = plan
        .pending
        .last
        .as_ref()
        .map(|t| format!("{}/compare/{}...{tag}", plan.head.html_url, t.tag));
    let today = plan.train.today(ctx.clock.now());
    let section = changelog_section(
        &version,
        today,
        &plan.pending.changes,
        versioning,
        compare.as_deref(),
    );
    let existing = github
        .get_file(repo, &settings.changelog, Some(sha))
        .await?
        .map(|f| f.text);
    changed.push((
        settings.changelog.clone(),
        prepend_changelog(existing.as_deref(), &version, &section),
    ));
    // The same path twice (a Cargo.lock shared by two manifests): the last edit holds both.
    dedupe_last(&mut changed);

    // One commit on top of the head: blobs, a tree on the head's tree, the commit.
    let base = github
        .get_git_commit(repo, sha)
        .await?
        .ok_or_else(|| HandlerError::Other(format!("the head commit {sha} is missing")))?;
    let mut entries = Vec::with_capacity(changed.len());
    for (path, text) in &changed {
        let blob = github.create_blob(repo, text).await?;
        entries.push(NewTreeEntry {
            path: path.clone(),
            mode: "100644".into(),
            kind: "blob".into(),
            sha: Some(blob),
        });
    }
    let tree = github.create_tree(repo, &base.tree_sha, &entries).await?;
    let title = format!("chore: release {version}");
    let commit = github
        .create_git_commit(repo, &title, &tree, &[sha.to_string()])
        .await?;

    let branch = format!("{BRANCH_PREFIX}{version}");
    let issue = plan.rec.issue_number.unwrap_or_default();
    let notes = release_notes(&plan.pending.changes, versioning, compare.as_deref());
    let body = format!(
        "{}\n**Release {version}** (tracked in #{issue}), from `{}` at {}.\n\n\
         Merging this PR tags `{tag}` at the merge commit and publishes the GitHub release, which CI deploys to staging. \
         relman rebuilds this branch when more PRs merge first; edits to it are replaced then.\n\n{notes}",
        marker(MARKER_KIND, &issue.to_string()),
        plan.head.branch,
        short(sha),
    );
    let files: Vec<String> = changed.iter().map(|(p, _)| p.clone()).collect();

    let previous = match logged_pr(ctx, repo, plan.rec).await? {
        Some((number, _)) => {
            let pr = github.get_pull(repo, number).await?;
            (pr.state == crate::github::IssueState::Open).then_some(pr)
        }
        None => None,
    };
    let built = match previous {
        Some(pr) if pr.head.name == branch => {
            github
                .update_ref(repo, &format!("heads/{branch}"), &commit.sha, true)
                .await?;
            let pr = github
                .update_pull(
                    repo,
                    pr.number,
                    &PullPatch {
                        title: Some(title.clone()),
                        body: Some(body.clone()),
                        state: None,
                    },
                )
                .await?;
            Built::Updated { pr, files }
        }
        previous => {
            point_branch(github, repo, &branch, &commit.sha).await?;
            let pr = open_pull(
                github,
                repo,
                &plan.head.branch,
                &branch,
                &title,
                &body,
                &commit.sha,
            )
            .await?;
            github
                .add_labels(repo, pr.number, &[RELEASE_LABEL.to_string()])
                .await?;
            log_pr(ctx, repo, plan.rec, LOG_OPENED, pr.number, &branch).await?;
            // The version changed: the old PR (and its branch) is superseded by the new one.
            if let Some(old) = previous {
                github
                    .create_comment(
                        repo,
                        old.number,
                        &format!(
                            "Superseded by #{}: more changes merged and the release is now **{version}**.",
                            pr.number
                        ),
                    )
                    .await?;
                github
                    .update_pull(
                        repo,
                        old.number,
                        &PullPatch {
                            state: Some("closed".into()),
                            ..PullPatch::default()
                        },
                    )
                    .await?;
                log_pr(
                    ctx,
                    repo,
                    plan.rec,
                    LOG_ABANDONED,
                    old.number,
                    &old.head.name,
                )
                .await?;
                github
                    .delete_ref(repo, &format!("heads/{}", old.head.name))
                    .await?;
            }
            Built::Opened { pr, files }
        }
    };
    Ok(built)
}

fn dedupe_last(changed: &mut Vec<(String, String)>) {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<(String, String)> = Vec::with_capacity(changed.len());
    for (path, text) in changed.drain(..).rev() {
        if seen.insert(path.clone()) {
            out.push((path, text));
        }
    }
    out.reverse();
    *changed = out;
}

/// The `Cargo.lock` a manifest's packages are locked in: beside it, else at the root (a
/// workspace member).
async fn cargo_lock(
    github: &dyn GitHubPort,
    repo: &RepoName,
    sha: &str,
    manifest: &VersionFile,
) -> Result<Option<(String, String)>, HandlerError> {
    let dir = manifest.path().rsplit_once('/').map(|(d, _)| d);
    let mut candidates = Vec::new();
    if let Some(dir) = dir {
        candidates.push(format!("{dir}/Cargo.lock"));
    }
    candidates.push("Cargo.lock".to_string());
    for path in candidates {
        if let Some(file) = github.get_file(repo, &path, Some(sha)).await? {
            return Ok(Some((path, file.text)));
        }
    }
    Ok(None)
}

/// Creates the release branch at `sha`, or moves a leftover one (an abandoned release of the
/// same version, a crash between the ref and the PR) there.
async fn point_branch(
    github: &dyn GitHubPort,
    repo: &RepoName,
    branch: &str,
    sha: &str,
) -> Result<(), HandlerError> {
    match github
        .create_ref(repo, &format!("refs/heads/{branch}"), sha)
        .await
    {
        Ok(()) => Ok(()),
        Err(e) if e.is_already_exists() => Ok(github
            .update_ref(repo, &format!("heads/{branch}"), sha, true)
            .await?),
        Err(e) => Err(e.into()),
    }
}

/// Opens the PR, or finds the one a crashed attempt opened for the same branch.
async fn open_pull(
    github: &dyn GitHubPort,
    repo: &RepoName,
    base: &str,
    branch: &str,
    title: &str,
    body: &str,
    commit: &str,
) -> Result<PullRequest, HandlerError> {
    let new = NewPull {
        title: title.to_string(),
        head: branch.to_string(),
        base: base.to_string(),
        body: body.to_string(),
    };
    match github.create_pull(repo, &new).await {
        Ok(pr) => Ok(pr),
        Err(GitHubError::Rejected { status: 422, .. }) => {
            let found = github
                .pulls_for_commit(repo, commit)
                .await?
                .into_iter()
                .find(|p| p.head.name == branch && p.state == crate::github::IssueState::Open)
                .ok_or_else(|| {
                    HandlerError::Other(format!("GitHub refused to open the release PR {branch}"))
                })?;
            Ok(github
                .update_pull(
                    repo,
                    found.number,
                    &PullPatch {
                        title: Some(title.to_string()),
                        body: Some(body.to_string()),
                        state: None,
                    },
                )
                .await?)
        }
        Err(e) => Err(e.into()),
    }
}

async fn log_pr(
    ctx: &Context,
    repo: &RepoName,
    rec: &ReleaseRecord,
    entry: LogKind,
    number: u64,
    branch: &str,
) -> Result<(), HandlerError> {
    ctx.store
        .append_release_log(
            &repo.to_string(),
            &rec.key,
            &LogEntry {
                entry,
                environment: None,
                text: Some(branch.to_string()),
                actor: "relman".to_string(),
                comment_id: number,
                at: ctx.clock.now_ms(),
            },
        )
        .await?;
    Ok(())
}

/// The plan for `rec` at the current head: last release, changes, version by the configured
/// source. `None` when nothing is left to release.
async fn current_plan_parts(
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
) -> Result<Option<(Head, Pending, Version, Bump)>, HandlerError> {
    let versioning = &train.config.versioning;
    let head = default_head(github, repo).await?;
    let last = last_release(github, repo, &versioning.tag_prefix).await?;
    let pending =
        pending_changes(github, repo, &head.branch, &head.sha, last, &head.html_url).await?;
    if pending.changes.is_empty() {
        return Ok(None);
    }
    let bump = bump_for_changes(&pending.changes, versioning);
    let version = next_version(pending.last.as_ref().map(|t| &t.version), bump);
    Ok(Some((head, pending, version, bump)))
}

/// After PR `merged` landed on the default branch: rebuilds each open release PR from the new
/// head and says so on its tracking issue. Repositories in tag mode cost nothing here.
pub async fn refresh_after_merge(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    merged: u64,
) -> Result<(), HandlerError> {
    if train.config.release.mode != ReleaseMode::PullRequest {
        return Ok(());
    }
    let key = repo.to_string();
    for rec in ctx.store.open_releases(&key).await? {
        let Some((number, _)) = logged_pr(ctx, repo, &rec).await? else {
            continue;
        };
        let Some(issue) = rec.issue_number else {
            continue;
        };
        let Some((head, pending, version, bump)) = current_plan_parts(github, repo, train).await?
        else {
            continue;
        };
        let plan = Plan {
            train,
            rec: &rec,
            head: &head,
            pending: &pending,
            version: &version,
            bump,
        };
        let note = match build(ctx, github, repo, &plan).await? {
            Built::Updated { pr, .. } => format!(
                "🔄 #{merged} merged, so relman rebuilt release PR #{} from `{}` at {}: **{version}**, {} changes (one force-pushed commit).",
                pr.number,
                head.branch,
                short(&head.sha),
                pending.changes.len()
            ),
            Built::Opened { pr, .. } => format!(
                "🔄 #{merged} merged and the release is now **{version}**: release PR #{} replaces #{number}.",
                pr.number
            ),
            Built::Problems(problems) => format!(
                "⚠️ #{merged} merged, but relman could not rebuild release PR #{number}:\n\n{}",
                problems_text(&plan, &problems)
            ),
        };
        upsert_comment(
            github,
            &ctx.store,
            repo,
            issue,
            STATUS_KIND,
            &rec.key,
            &note,
            ctx.clock.now_ms(),
        )
        .await
        .map_err(upsert_error)?;
    }
    Ok(())
}

/// A release PR relman opened was closed: merged, tag its merge commit and publish the
/// release; unmerged, the release is abandoned. Idempotent: a redelivery finds the tag and the
/// release already there.
pub async fn handle_closed(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    event: &PullRequestEvent,
    issue: u64,
    version: &Version,
) -> Result<(), HandlerError> {
    let pr = &event.pull_request;
    let key = repo.to_string();
    let rec = ctx.store.release_by_issue(&key, issue).await?;
    let tag = tag_of(version, &train.config.versioning);
    let sender = event.common.sender.login.clone();

    // GitHub's payload names the merge commit; should it not, the PR itself is asked.
    let merge_sha = match (pr.merged, &pr.merge_commit_sha) {
        (false, _) => None,
        (true, Some(sha)) => Some(sha.clone()),
        (true, None) => Some(
            github
                .get_pull(repo, pr.number)
                .await?
                .merge_commit_sha
                .ok_or_else(|| {
                    HandlerError::Other(format!(
                        "release PR #{} is merged but has no merge commit yet",
                        pr.number
                    ))
                })?,
        ),
    };
    let Some(sha) = merge_sha else {
        if let Some(rec) = &rec {
            log_pr(ctx, repo, rec, LOG_ABANDONED, pr.number, &pr.head.name).await?;
        }
        let note = format!(
            "Release PR #{} was closed without merging: release **{version}** is abandoned and no tag was created. \
             Comment `/release` here to prepare a new one.",
            pr.number
        );
        tracing::info!(repo = %repo, pr = pr.number, version = %version, "release PR closed unmerged");
        return say(
            ctx,
            github,
            repo,
            issue,
            &key_of(rec.as_ref(), issue),
            &note,
        )
        .await;
    };

    // The PRs this release ships, for "released in" on each: the merge commit against the
    // release before it. Read before the tag exists; a retry after the tag was made skips that
    // tag, so the list is the same.
    let shipped = shipped_prs(github, repo, train, &tag, pr, &sha, event).await?;
    if let Err(refusal) = create_tag(github, repo, &tag, &sha).await? {
        return say(
            ctx,
            github,
            repo,
            issue,
            &key_of(rec.as_ref(), issue),
            &refusal,
        )
        .await;
    }
    // The notes are the changelog section as merged (edits made on the PR included).
    let notes = github
        .get_file(repo, &train.config.release.changelog, Some(&sha))
        .await?
        .and_then(|f| changelog_section_text(&f.text, &version.to_string()))
        .unwrap_or_else(|| format!("Release {version}.\n"));
    let release = create_release(github, repo, &tag, &sha, &notes).await?;
    tracing::info!(repo = %repo, tag = %tag, sha = %sha, pr = pr.number, "released from the release PR");
    if let Some(rec) = &rec
        && rec.state == ReleaseState::Open
    {
        ctx.store
            .record_cut(
                rec.id,
                &CutRelease {
                    version: &version.to_string(),
                    tag: &tag,
                    release_id: release.id,
                    release_url: &release.html_url,
                    sha: &sha,
                    by: &sender,
                },
                ctx.clock.now_ms(),
            )
            .await?;
        if let Some(cut) = ctx.store.release_record(&key, &rec.key).await? {
            refresh_release(ctx, github, repo, train, &cut, None, None).await?;
        }
    }
    if !shipped.is_empty() {
        announce_later(ctx, repo, &tag, &release.html_url, shipped).await?;
    }
    let note = format!(
        "🚀 Release PR #{} merged: tagged **[{tag}]({})** at {} and published the release. CI deploys it to staging.",
        pr.number,
        release.html_url,
        short(&sha)
    );
    say(
        ctx,
        github,
        repo,
        issue,
        &key_of(rec.as_ref(), issue),
        &note,
    )
    .await
}

/// The pull requests merged between the release before `tag` and `sha`, the release PR itself
/// left out.
async fn shipped_prs(
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    tag: &str,
    release_pr: &crate::github::types::PullRequest,
    sha: &str,
    event: &PullRequestEvent,
) -> Result<Vec<u64>, HandlerError> {
    let before = release_before(github, repo, &train.config.versioning.tag_prefix, tag).await?;
    let html_base = event
        .common
        .repository
        .as_ref()
        .map(|r| r.html_url.clone())
        .unwrap_or_default();
    let pending =
        pending_changes(github, repo, &release_pr.base.name, sha, before, &html_base).await?;
    Ok(pending
        .changes
        .iter()
        .filter_map(|c| c.number)
        .filter(|n| *n != release_pr.number)
        .collect())
}

fn key_of(rec: Option<&ReleaseRecord>, issue: u64) -> String {
    rec.map_or_else(|| format!("issue-{issue}"), |r| r.key.clone())
}

async fn say(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    issue: u64,
    key: &str,
    body: &str,
) -> Result<(), HandlerError> {
    upsert_comment(
        github,
        &ctx.store,
        repo,
        issue,
        STATUS_KIND,
        key,
        body,
        ctx.clock.now_ms(),
    )
    .await
    .map_err(upsert_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::{BranchRef, Label, User};

    fn release_pr() -> PullRequest {
        PullRequest {
            number: 9,
            body: format!("{}\nRelease 0.14.0", marker(MARKER_KIND, "3")),
            user: User {
                login: "relman[bot]".into(),
                id: 1,
                kind: "Bot".into(),
            },
            labels: vec![Label {
                name: "release".into(),
            }],
            head: BranchRef {
                name: "release/0.14.0".into(),
                sha: "abc".into(),
            },
            ..PullRequest::default()
        }
    }

    #[test]
    fn only_relmans_release_prs_are_recognised() {
        assert_eq!(recognise(&release_pr()), Some((3, Version::new(0, 14, 0))));
        let mut by_human = release_pr();
        by_human.user = User {
            login: "mallory".into(),
            id: 2,
            kind: "User".into(),
        };
        assert_eq!(recognise(&by_human), None);
        let mut unlabelled = release_pr();
        unlabelled.labels.clear();
        assert_eq!(recognise(&unlabelled), None);
        let mut other_branch = release_pr();
        other_branch.head.name = "topic".into();
        assert_eq!(recognise(&other_branch), None);
        let mut no_marker = release_pr();
        no_marker.body = "Release 0.14.0".into();
        assert_eq!(recognise(&no_marker), None);
    }
}
