//! A pull request merged into the default branch gets one comment: which release it ships in
//! (date, expected version, release manager) and the repository's checklist, whose ticked boxes
//! are read back for the deployment request. Merges into other branches get nothing.
//!
//! API budget with a warm config cache: tags, one page of closed PRs (for the expected version),
//! and the comment (a lookup for relman's marker, then the post) — 4 calls. A redelivery finds
//! the comment recorded and costs nothing: the author may already have ticked boxes, which a
//! re-render would wipe. In `release.mode: pull_request` an open release PR is then rebuilt
//! (see `release_pr.rs`), and relman's own release PR is handed to it instead of a checklist.
//!
//! The handler gathers the facts ([`merged_facts`]), `domain::merged_pr::decide` returns the
//! effects, and `effects::apply` carries them out.

use super::context::Context;
use super::error::HandlerError;
use super::events::PullRequestEvent;
use super::follow_up::apply;
use super::release_facts::{Train, last_release, load_train};
use crate::domain::changelog::Change;
use crate::domain::expedited::Kind;
use crate::domain::merged_pr::{
    Checklist, Merge, MergedPull, RegularRelease, TrainView, VersionFacts, decide,
};
use crate::domain::version::TaggedVersion;
use crate::github::{GitHubPort, PullRequest, RepoName};
use crate::inbox::ProcessError;
use crate::store::releases::ReleaseState;
use crate::store::to_millis;

pub use crate::domain::merged_pr::CHECKLIST_KIND;

pub async fn handle_pull_request(
    ctx: &Context,
    event: &PullRequestEvent,
) -> Result<(), ProcessError> {
    let pr = &event.pull_request;
    if event.common.action.as_deref() != Some("closed") {
        return Ok(());
    }
    // relman's own release PR, merged or not: the release is tagged or abandoned.
    if super::release_pr::recognise(pr).is_some() {
        return release_pr_closed(ctx, event).await;
    }
    if !pr.merged {
        return Ok(());
    }
    let (Some(installation), Some(repository)) =
        (&event.common.installation, &event.common.repository)
    else {
        return Err(ProcessError::Permanent(
            "pull_request event without installation or repository".into(),
        ));
    };
    if pr.base.name != repository.default_branch {
        return Ok(());
    }
    let repo: RepoName = repository
        .full_name
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    let client = ctx.github.installation(installation.id)?;
    let github: &dyn GitHubPort = &*client;
    let retry = |e: HandlerError| ProcessError::Retryable(e.to_string());

    let facts = merged_facts(ctx, github, &repo, event)
        .await
        .map_err(retry)?;
    let merge = Merge {
        pr: pr.number,
        merged_at_ms: pr.merged_at.map(to_millis),
        merge_sha: pr.merge_commit_sha.clone(),
        installation_id: installation.id,
        repository_id: repository.id,
    };
    let effects = decide(&merge, &facts.checklist(), ctx.clock.now());
    apply(ctx, github, &repo, &effects).await.map_err(retry)?;
    Ok(())
}

/// Hands a closed release PR of relman's to [`super::release_pr::handle_closed`].
async fn release_pr_closed(ctx: &Context, event: &PullRequestEvent) -> Result<(), ProcessError> {
    let retry = |e: HandlerError| ProcessError::Retryable(e.to_string());
    let (Some(installation), Some(repository)) =
        (&event.common.installation, &event.common.repository)
    else {
        return Err(ProcessError::Permanent(
            "pull_request event without installation or repository".into(),
        ));
    };
    let Some((issue, version)) = super::release_pr::recognise(&event.pull_request) else {
        return Ok(());
    };
    let repo: RepoName = repository
        .full_name
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    let client = ctx.github.installation(installation.id)?;
    let github: &dyn GitHubPort = &*client;
    let Some(train) = load_train(ctx, github, &repo).await.map_err(retry)? else {
        return Ok(());
    };
    super::release_pr::handle_closed(ctx, github, &repo, &train, event, issue, &version)
        .await
        .map_err(retry)
}

/// What the merged-PR decision reads, gathered before it is made.
pub struct MergedFacts {
    state: ChecklistState,
}

enum ChecklistState {
    Posted,
    NoTrain,
    Due {
        train: Box<Train>,
        version: Box<GatheredVersion>,
    },
}

/// The facts of the expected version, owned.
pub(crate) struct GatheredVersion {
    last: Option<TaggedVersion>,
    regular: Vec<RegularRelease>,
    pulls: Vec<MergedPull>,
    own: Option<MergedPull>,
}

impl GatheredVersion {
    fn facts<'a>(&'a self, train: &'a Train) -> VersionFacts<'a> {
        VersionFacts {
            versioning: &train.config.versioning,
            last: self.last.as_ref(),
            regular: &self.regular,
            pulls: &self.pulls,
            own: self.own.as_ref(),
        }
    }
}

impl MergedFacts {
    fn checklist(&self) -> Checklist<'_> {
        match &self.state {
            ChecklistState::Posted => Checklist::Posted,
            ChecklistState::NoTrain => Checklist::NoTrain,
            ChecklistState::Due { train, version } => Checklist::Due {
                train: TrainView {
                    calendar: &train.calendar,
                    rotation: &train.rotation,
                    swaps: &train.swaps,
                    soak: super::production::soak(train),
                    items: &train.config.pr_checklist,
                },
                version: version.facts(train),
            },
        }
    }
}

/// Reads what the checklist needs, and nothing when relman recorded the checklist already (a
/// redelivery costs no API call).
async fn merged_facts(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    event: &PullRequestEvent,
) -> Result<MergedFacts, HandlerError> {
    let pr = &event.pull_request;
    let mark = crate::github::comments::marker(CHECKLIST_KIND, &pr.number.to_string());
    if ctx
        .store
        .bot_comment_id(&repo.to_string(), pr.number, &mark)
        .await?
        .is_some()
    {
        return Ok(MergedFacts {
            state: ChecklistState::Posted,
        });
    }
    let Some(train) = load_train(ctx, github, repo).await? else {
        return Ok(MergedFacts {
            state: ChecklistState::NoTrain,
        });
    };
    let version = version_facts(ctx, github, repo, &train, &pr.base.name, Some(pr)).await?;
    Ok(MergedFacts {
        state: ChecklistState::Due {
            train: Box::new(train),
            version: Box::new(version),
        },
    })
}

/// The facts of the next regular release's expected version: the register's regular releases,
/// the last release tag, one page of closed pull requests into `base_branch`, and `own`.
pub(crate) async fn version_facts(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    base_branch: &str,
    own: Option<&PullRequest>,
) -> Result<GatheredVersion, HandlerError> {
    // Counted from the last regular release (a hotfix's tag is not where a train starts).
    let regular = ctx
        .store
        .releases(&repo.to_string())
        .await?
        .into_iter()
        .filter(|r| r.kind == Kind::Regular)
        .map(|r| RegularRelease {
            scheduled: r.scheduled_date,
            done: r.state != ReleaseState::Open,
            issue: r.issue_number,
            tag: r.tag,
            released_at: r.released_at,
        })
        .collect();
    let last = last_release(github, repo, &train.config.versioning.tag_prefix).await?;
    let pulls = github
        .list_closed_pulls(repo, base_branch, 100)
        .await?
        .iter()
        .map(merged_pull)
        .collect();
    Ok(GatheredVersion {
        last,
        regular,
        pulls,
        own: own.map(merged_pull),
    })
}

/// The tag the next regular release is expected to get (see
/// [`crate::domain::merged_pr::expected_version`]), its facts read first.
pub(crate) async fn expected_version(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    base_branch: &str,
    own: Option<&PullRequest>,
) -> Result<String, HandlerError> {
    let gathered = version_facts(ctx, github, repo, train, base_branch, own).await?;
    Ok(crate::domain::merged_pr::expected_version(
        &gathered.facts(train),
    ))
}

/// After an expedited release took a version, the checklists of the changes still waiting for
/// the next regular release that promised another version than it is now expected to get say
/// the new one (only that sentence changes: what the authors ticked stays). Returns how many.
pub async fn refresh_promises(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
) -> Result<usize, HandlerError> {
    let key = repo.to_string();
    let since = ctx
        .store
        .releases(&key)
        .await?
        .iter()
        .filter(|r| r.kind == Kind::Regular && r.state == ReleaseState::Released)
        .filter_map(|r| r.released_at)
        .max()
        .unwrap_or(0);
    let waiting = ctx.store.merges_since(&key, since).await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let branch = github.get_repo(repo).await?.default_branch;
    let expected = expected_version(ctx, github, repo, train, &branch, None).await?;
    let mut checklists = Vec::new();
    for number in waiting {
        let mark = crate::github::comments::marker(CHECKLIST_KIND, &number.to_string());
        let Some(id) = ctx.store.bot_comment_id(&key, number, &mark).await? else {
            continue;
        };
        if let Some(comment) = github.get_comment(repo, id).await? {
            checklists.push((id, comment.body));
        }
    }
    let effects = crate::domain::merged_pr::repromise_checklists(&checklists, &expected);
    let updated = apply(ctx, github, repo, &effects).await?.github;
    if updated > 0 {
        tracing::info!(repo = %repo, updated, expected = %expected, "checklists now promise the expected version");
    }
    Ok(updated)
}

fn merged_pull(p: &PullRequest) -> MergedPull {
    MergedPull {
        number: p.number,
        merged_at_ms: p.merged_at.map(to_millis),
        change: change_of(p),
    }
}

/// What the bump is read from: title, description and labels.
fn change_of(p: &PullRequest) -> Change {
    Change {
        number: Some(p.number),
        title: p.title.clone(),
        body: p.body.clone(),
        author: None,
        labels: p.label_names().map(str::to_string).collect(),
        url: None,
        sha: String::new(),
    }
}
