//! A `.github/relman.yml` that does not load is said out loud: a failing `relman/config` check
//! run on the default branch head (every error annotated on its line) and one issue listing the
//! errors with their fixes and what relman keeps doing meanwhile; the issue is closed when a
//! push makes the file load. Command replies in such a repository start with the errors
//! ([`notice`]).
//!
//! [`after`] runs after every work item. It decides from the cached config state alone
//! (`domain::config_report::decide`), so work in a repository where nothing changed costs no
//! API call; it speaks only when the error set changed (its fingerprint is kept in the cache and
//! in the issue, so a restart does not post it again).

use relman_commands::{Command, ParseError, ParsedCommand};
use serde::Deserialize;

use super::context::Context;
use super::events::Common;
use crate::config::load::ConfigState;
use crate::config::repo::{CONFIG_PATH, ConfigError, ConfigErrors, RepoConfig};
use crate::domain::config_report::{
    CHECK_NAME, ISSUE_LABEL, ISSUE_MARKER, Meanwhile, Now, Report, Told, annotation_batches,
    check_summary, decide, error_set_hash, fixed_comment, hash_in_body, issue_body, issue_title,
    refusal, removed_comment, reply_prefix,
};
use crate::github::types::null_default;
use crate::github::{
    CheckAnnotation, CheckOutput, GitHubError, GitHubPort, Issue, IssueFilter, IssuePatch,
    IssueState, NewCheckRun, NewIssue, RepoName,
};
use crate::inbox::ProcessError;
use crate::store::work::{ClaimedItem, WorkKind};

/// What relman keeps doing in `repo` while its config does not load, as cached.
pub fn meanwhile(ctx: &Context, repo: &RepoName, state: &ConfigState) -> Meanwhile {
    match state.usable() {
        Some(_) => Meanwhile::LastGood {
            commit: ctx.configs.good_commit(repo),
        },
        None => Meanwhile::Nothing,
    }
}

/// One config error as a check-run annotation at its line and column, its fix in the message.
pub(super) fn annotation(e: &ConfigError) -> CheckAnnotation {
    CheckAnnotation {
        path: CONFIG_PATH.to_string(),
        start_line: e.line as u32,
        end_line: e.line as u32,
        start_column: Some(e.column as u32),
        end_column: Some(e.column as u32),
        annotation_level: "failure".into(),
        message: match &e.hint {
            Some(hint) => format!("{}\n{hint}", e.message),
            None => e.message.clone(),
        },
        title: Some("relman config".into()),
    }
}

/// Posts a `relman/config` check run. When the config has errors, all of them are annotated:
/// the first 50 with the run, the rest in further updates (GitHub's limit per request); with
/// `meanwhile` (the default branch) the summary says what relman keeps doing.
pub async fn post_check_run(
    github: &dyn GitHubPort,
    repo: &RepoName,
    mut run: NewCheckRun,
    fetched: &Option<Result<RepoConfig, ConfigErrors>>,
    meanwhile: Option<&Meanwhile>,
) -> Result<(), GitHubError> {
    let errors = match fetched {
        Some(Err(errors)) => Some(errors),
        _ => None,
    };
    let mut batches: Vec<Vec<CheckAnnotation>> = errors
        .map(|errors| {
            annotation_batches(errors)
                .into_iter()
                .map(|batch| batch.into_iter().map(annotation).collect())
                .collect()
        })
        .unwrap_or_default();
    if let (Some(output), Some(errors)) = (&mut run.output, errors) {
        if let Some(meanwhile) = meanwhile {
            (output.title, output.summary) = check_summary(errors, meanwhile);
        }
        output.annotations = if batches.is_empty() {
            Vec::new()
        } else {
            batches.remove(0)
        };
    }
    let created = match github.create_check_run(repo, &run).await {
        Ok(created) => created,
        // Rejected (e.g. an annotation GitHub does not accept): say so without them.
        Err(GitHubError::Rejected {
            status: 422,
            message,
            ..
        }) => {
            tracing::warn!(repo = %repo, %message, "check run refused; posting it without annotations");
            if let Some(output) = &mut run.output {
                output.annotations.clear();
            }
            github.create_check_run(repo, &run).await?;
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    for batch in batches {
        let mut more = run.clone();
        if let Some(output) = &mut more.output {
            output.annotations = batch;
        }
        github.update_check_run(repo, created.id, &more).await?;
    }
    Ok(())
}

/// The failing check run for a default branch whose config does not load.
fn failing_run(head_sha: &str, errors: &ConfigErrors, meanwhile: &Meanwhile) -> NewCheckRun {
    let (title, summary) = check_summary(errors, meanwhile);
    NewCheckRun {
        name: CHECK_NAME.to_string(),
        head_sha: head_sha.to_string(),
        status: "completed".into(),
        conclusion: Some("failure".into()),
        output: Some(CheckOutput {
            title,
            summary,
            annotations: Vec::new(),
        }),
    }
}

/// What a command reply starts with in a repository whose config does not load.
pub struct Notice {
    /// The errors (a few) and what relman keeps doing.
    pub prefix: String,
    /// No configuration to act on: commands other than `/help` are refused.
    pub refuse: bool,
}

/// Reads the config state once for a comment's commands (from the cache when fresh).
pub async fn notice(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
) -> Result<Option<Notice>, GitHubError> {
    let state = ctx.configs.get(github, &ctx.store, repo).await?;
    let ConfigState::Invalid { errors, last_good } = &state else {
        return Ok(None);
    };
    let issue = match ctx.configs.told(repo) {
        Told::Errors { issue, .. } => issue,
        _ => None,
    };
    Ok(Some(Notice {
        prefix: reply_prefix(errors, &meanwhile(ctx, repo, &state), issue),
        refuse: last_good.is_none(),
    }))
}

impl Notice {
    /// The refusal of a command that must not run without a configuration (all but `/help`).
    pub fn refusal<'a>(
        notice: &Option<Notice>,
        result: &'a Result<ParsedCommand, ParseError>,
    ) -> Option<(&'a ParsedCommand, String)> {
        match (notice, result) {
            (Some(n), Ok(parsed)) if n.refuse && parsed.command != Command::Help => {
                Some((parsed, refusal()))
            }
            _ => None,
        }
    }

    /// The reply with the notice first; a reply is given even when the commands needed no words.
    pub fn prefixed(notice: &Option<Notice>, actor: &str, reply: Option<String>) -> Option<String> {
        let Some(n) = notice else { return reply };
        let mention = format!("@{actor}\n");
        // The reply's own lines follow the notice, after one blank line.
        let rest = reply.map_or_else(String::new, |r| {
            r.strip_prefix(&mention).unwrap_or(&r).to_string()
        });
        Some(format!("{mention}\n{}{rest}", n.prefix))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
struct Touched {
    #[serde(default, deserialize_with = "null_default")]
    added: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    modified: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    removed: Vec<String>,
}

/// The parts of a `push` that say whether it changed the config on the default branch.
#[derive(Debug, Clone, Deserialize)]
struct Push {
    #[serde(flatten)]
    common: Common,
    #[serde(rename = "ref", default)]
    git_ref: String,
    #[serde(default, deserialize_with = "null_default")]
    commits: Vec<Touched>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct Named {
    #[serde(default)]
    full_name: String,
}

/// The repositories of an `installation` or `installation_repositories` event.
#[derive(Debug, Clone, Deserialize)]
struct Installed {
    #[serde(default, deserialize_with = "null_default")]
    repositories: Vec<Named>,
    #[serde(default, deserialize_with = "null_default")]
    repositories_added: Vec<Named>,
}

/// One repository to look at after a work item.
struct Target {
    repo: RepoName,
    /// The config was just read from the default branch for this item.
    fresh: bool,
    /// This item already put a `relman/config` check run on the default branch head.
    checked: bool,
}

fn targets(item: &ClaimedItem) -> Vec<Target> {
    let on_repo = |fresh: bool| {
        item.repo
            .as_deref()
            .and_then(|r| r.parse().ok())
            .map(|repo| Target {
                repo,
                fresh,
                checked: fresh,
            })
            .into_iter()
            .collect()
    };
    if item.kind == WorkKind::Job {
        return on_repo(false);
    }
    match item.name.as_str() {
        "installation" | "installation_repositories" => {
            let action = item.action.as_deref().unwrap_or_default();
            if !matches!(
                action,
                "created" | "added" | "new_permissions_accepted" | "unsuspend"
            ) {
                return Vec::new();
            }
            let Ok(event) = serde_json::from_slice::<Installed>(&item.payload) else {
                return Vec::new();
            };
            event
                .repositories
                .iter()
                .chain(&event.repositories_added)
                .filter_map(|r| r.full_name.parse().ok())
                .map(|repo| Target {
                    repo,
                    fresh: true,
                    checked: false,
                })
                .collect()
        }
        "push" => {
            let Ok(push) = serde_json::from_slice::<Push>(&item.payload) else {
                return Vec::new();
            };
            let default = push
                .common
                .repository
                .as_ref()
                .map(|r| format!("refs/heads/{}", r.default_branch));
            let changed = push.commits.iter().any(|c| {
                c.added
                    .iter()
                    .chain(&c.modified)
                    .chain(&c.removed)
                    .any(|p| p == CONFIG_PATH)
            });
            on_repo(changed && default.as_deref() == Some(push.git_ref.as_str()))
        }
        _ => on_repo(false),
    }
}

/// After a work item: say that a repository's config does not load, or that it loads again, if
/// that changed. Decided from the cached state only; costs API calls only when it speaks.
pub async fn after(ctx: &Context, item: &ClaimedItem) -> Result<(), ProcessError> {
    let targets = targets(item);
    if targets.is_empty() {
        return Ok(());
    }
    let Some(installation) = item.installation_id else {
        return Ok(());
    };
    for target in targets {
        let Some(state) = ctx.configs.peek(&target.repo) else {
            continue;
        };
        let now = match &state {
            ConfigState::Missing => Now::Missing,
            ConfigState::Valid(_) => Now::Loads,
            ConfigState::Invalid { errors, .. } => Now::Broken {
                hash: error_set_hash(errors),
            },
        };
        let report = decide(&now, &ctx.configs.told(&target.repo), target.fresh);
        if report == Report::Nothing {
            continue;
        }
        let client = ctx.github.installation(installation as u64)?;
        let done = match (&state, report) {
            (ConfigState::Invalid { errors, .. }, Report::Errors) => {
                report_errors(ctx, &*client, &target, &state, errors).await
            }
            (_, Report::Close) => close(ctx, &*client, &target.repo, &state).await,
            _ => Ok(()),
        };
        match done {
            Ok(()) => {}
            // GitHub may recover: the item is tried again (what it did is idempotent).
            Err(e) if e.is_transient() => return Err(e.into()),
            // Refused for good (issues disabled, a permission the App lacks): logged, and not
            // tried again for the same errors.
            Err(e) => {
                tracing::warn!(repo = %target.repo, error = %e, "could not report the config's state");
                let told = match now {
                    Now::Broken { hash } => Told::Errors { hash, issue: None },
                    _ => Told::Clear,
                };
                ctx.configs.set_told(&target.repo, told);
            }
        }
    }
    Ok(())
}

/// The config issue, open or closed, found by its marker.
async fn find_issue(
    github: &dyn GitHubPort,
    repo: &RepoName,
) -> Result<Option<Issue>, GitHubError> {
    Ok(github
        .list_issues(
            repo,
            &IssueFilter {
                state: Some("all".into()),
                labels: vec![ISSUE_LABEL.into()],
                creator: None,
            },
        )
        .await?
        .into_iter()
        .find(|i| i.body.starts_with(ISSUE_MARKER)))
}

/// How the config issue came out.
enum Upserted {
    /// It already listed these errors (relman restarted): left as it was.
    Unchanged(u64),
    /// Created, or updated (and reopened) with these errors.
    Posted(u64),
}

/// Creates the config issue or brings it up to date with `errors`.
async fn upsert_issue(
    github: &dyn GitHubPort,
    repo: &RepoName,
    errors: &ConfigErrors,
    hash: &str,
    meanwhile: &Meanwhile,
) -> Result<Upserted, GitHubError> {
    let body = issue_body(errors, meanwhile);
    Ok(match find_issue(github, repo).await? {
        Some(issue)
            if issue.state == IssueState::Open && hash_in_body(&issue.body) == Some(hash) =>
        {
            Upserted::Unchanged(issue.number)
        }
        Some(issue) => {
            let patch = IssuePatch {
                body: Some(body),
                state: Some(IssueState::Open),
                ..IssuePatch::default()
            };
            Upserted::Posted(
                github
                    .update_issue(repo, issue.number, &patch)
                    .await?
                    .number,
            )
        }
        None => {
            let new = NewIssue {
                title: issue_title(),
                body,
                labels: vec![ISSUE_LABEL.into()],
                assignees: Vec::new(),
            };
            Upserted::Posted(github.create_issue(repo, &new).await?.number)
        }
    })
}

/// Posts the errors: the issue and the check run, each whatever became of the other (a
/// repository with issues turned off still gets the check run). `Err` only for what may pass.
async fn report_errors(
    ctx: &Context,
    github: &dyn GitHubPort,
    target: &Target,
    state: &ConfigState,
    errors: &ConfigErrors,
) -> Result<(), GitHubError> {
    let repo = &target.repo;
    let hash = error_set_hash(errors);
    let meanwhile = meanwhile(ctx, repo, state);
    let issue = upsert_issue(github, repo, errors, &hash, &meanwhile).await;
    let check = match &issue {
        // The issue says these errors already, so the check run did too.
        Ok(Upserted::Unchanged(_)) => Ok(()),
        _ if target.checked => Ok(()),
        _ => match github.commit_sha(repo, "HEAD").await {
            Ok(Some(head)) => {
                let fetched = Some(Err(errors.clone()));
                let run = failing_run(&head, errors, &meanwhile);
                post_check_run(github, repo, run, &fetched, Some(&meanwhile)).await
            }
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        },
    };
    let number = match &issue {
        Ok(Upserted::Unchanged(n) | Upserted::Posted(n)) => Some(*n),
        Err(_) => None,
    };
    let failures: Vec<GitHubError> = [issue.err(), check.err()].into_iter().flatten().collect();
    if let Some(transient) = failures.iter().find(|e| e.is_transient()) {
        return Err(transient.clone());
    }
    // Refused for good (issues turned off, a permission the App lacks): said in the log, and not
    // tried again for the same errors.
    for e in &failures {
        tracing::warn!(repo = %repo, error = %e, "could not report that the config does not load");
    }
    ctx.configs.set_told(
        repo,
        Told::Errors {
            hash,
            issue: number,
        },
    );
    Ok(())
}

async fn close(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    state: &ConfigState,
) -> Result<(), GitHubError> {
    if let Some(issue) = find_issue(github, repo).await?
        && issue.state == IssueState::Open
    {
        let comment = match state {
            ConfigState::Missing => removed_comment(),
            _ => fixed_comment(ctx.configs.good_commit(repo).as_deref()),
        };
        github.create_comment(repo, issue.number, &comment).await?;
        github
            .update_issue(
                repo,
                issue.number,
                &IssuePatch {
                    state: Some(IssueState::Closed),
                    state_reason: Some("completed".into()),
                    ..IssuePatch::default()
                },
            )
            .await?;
    }
    ctx.configs.set_told(repo, Told::Clear);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(refuse: bool) -> Option<Notice> {
        Some(Notice {
            prefix: "⚠️ broken\n".into(),
            refuse,
        })
    }

    #[test]
    fn replies_start_with_the_notice() {
        assert_eq!(
            Notice::prefixed(
                &notice(false),
                "bob",
                Some("@bob\n\n> /stats\n\nok\n".into())
            )
            .as_deref(),
            Some("@bob\n\n⚠️ broken\n\n> /stats\n\nok\n")
        );
        assert_eq!(
            Notice::prefixed(&notice(false), "bob", None).as_deref(),
            Some("@bob\n\n⚠️ broken\n")
        );
        assert_eq!(Notice::prefixed(&None, "bob", None), None);
    }

    #[test]
    fn without_a_config_only_help_runs() {
        let parsed = |text: &str| relman_commands::parse(text).remove(0);
        assert!(Notice::refusal(&notice(true), &parsed("/release")).is_some());
        assert!(Notice::refusal(&notice(true), &parsed("/help")).is_none());
        assert!(Notice::refusal(&notice(false), &parsed("/release")).is_none());
        assert!(Notice::refusal(&None, &parsed("/release")).is_none());
        // A typo is answered as a typo.
        assert!(Notice::refusal(&notice(true), &parsed("/relase")).is_none());
    }
}
