//! Gathering what the release train decides on: the repository's config, calendar and rotation;
//! the default branch head and its checks; the changes since the last release; the sign-offs
//! and QA calls relman recorded. GitHub is asked (it is the truth for code facts); the store
//! answers for what only relman knows. The deciding itself is pure (`domain`).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use super::context::Context;
use super::error::HandlerError;
use crate::config::load::ConfigState;
use crate::config::repo::Bump;
use crate::config::repo::RepoConfig;
use crate::domain::calendar::Calendar;
use crate::domain::changelog::{Change, pr_number_in_message};
use crate::domain::requirements::{
    CheckFact, Environment, Facts, QaBlocker, Signoff, StatusFact, Verdict, evaluate,
};
use crate::domain::rotation::{Rotation, Swap};
use crate::domain::version::{TaggedVersion, latest_release, next_version, tag_of};
use crate::github::{GitHubPort, PullRequest, RepoName};
use crate::store::from_millis;
use crate::store::releases::{LogEntry, LogKind, ReleaseRecord};
use semver::Version;

/// How many tags are read (newest first on GitHub) to find the last release, a hotfix's base tag and
/// the versions already taken.
pub(crate) const TAGS_READ: usize = 100;
/// How many closed pull requests are read to name the commits of a release: one page. A train
/// with more merged PRs than this still releases; the extra commits show as plain commits.
const PULLS_READ: usize = 100;

/// A repository's usable config with the calendar and rotation built from it.
pub struct Train {
    pub config: Arc<RepoConfig>,
    pub calendar: Calendar,
    pub rotation: Rotation,
    pub swaps: Vec<Swap>,
}

impl Train {
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.calendar.timezone()).date_naive()
    }

    /// The release manager of a release day (scheduled date), with swaps applied.
    pub fn manager_for_scheduled(&self, scheduled: NaiveDate) -> Option<String> {
        if self.rotation.members().is_empty() {
            return None;
        }
        let day = self
            .calendar
            .release_day(self.calendar.cycle_on_or_before(scheduled))?;
        Some(
            self.rotation
                .manager_for(&day, &self.calendar, &self.swaps)
                .manager,
        )
    }

    /// The release manager today.
    pub fn manager_on(&self, date: NaiveDate) -> Option<String> {
        (!self.rotation.members().is_empty()).then(|| {
            self.rotation
                .manager_on(date, &self.calendar, &self.swaps)
                .manager
        })
    }
}

/// The train of `repo`, or None when it has no usable config (then relman stays quiet there).
pub async fn load_train(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
) -> Result<Option<Train>, HandlerError> {
    let state = ctx.configs.get(github, &ctx.store, repo).await?;
    if let ConfigState::Invalid { errors, .. } = &state {
        tracing::warn!(repo = %repo, errors = %errors, "invalid .github/relman.yml; using the last good one if any");
    }
    let Some(config) = state.usable().cloned() else {
        return Ok(None);
    };
    let key = repo.to_string();
    let ics = ctx
        .store
        .repository(&key)
        .await?
        .and_then(|r| r.holiday_ics)
        .and_then(|text| crate::domain::ics::parse_holiday_ics(&text).ok())
        .unwrap_or_default();
    let calendar = Calendar::from_config(&config, &ics);
    let rotation = Rotation::from_config(&config, &calendar);
    let swaps = ctx.store.rotation_swaps(&key).await?;
    Ok(Some(Train {
        config,
        calendar,
        rotation,
        swaps,
    }))
}

/// The default branch and the commit at its head.
pub struct Head {
    pub branch: String,
    pub sha: String,
    /// The repository's web address (for compare links).
    pub html_url: String,
}

pub async fn default_head(github: &dyn GitHubPort, repo: &RepoName) -> Result<Head, HandlerError> {
    let repository = github.get_repo(repo).await?;
    let branch = repository.default_branch;
    let head = github
        .get_ref(repo, &format!("heads/{branch}"))
        .await?
        .ok_or_else(|| HandlerError::Other(format!("the default branch `{branch}` has no head")))?;
    Ok(Head {
        branch,
        sha: head.sha,
        html_url: repository.html_url,
    })
}

/// Check runs and statuses of a commit, as requirement facts.
pub async fn commit_checks(
    github: &dyn GitHubPort,
    repo: &RepoName,
    sha: &str,
) -> Result<(Vec<CheckFact>, Vec<StatusFact>), HandlerError> {
    let checks = github.check_runs(repo, sha).await?;
    let combined = github.combined_status(repo, sha).await?;
    Ok((
        checks
            .into_iter()
            .map(|c| CheckFact {
                name: c.name,
                status: c.status,
                conclusion: c.conclusion,
            })
            .collect(),
        combined
            .statuses
            .into_iter()
            .map(|s| StatusFact {
                context: s.context,
                state: s.state,
            })
            .collect(),
    ))
}

/// Sign-offs, QA blockers, and who said `/qa ok` when.
pub type FoldedLog = (
    Vec<Signoff>,
    Vec<QaBlocker>,
    Option<(String, DateTime<Utc>)>,
);

/// Sign-offs, QA blockers and the last `/qa ok` folded from a release's log. `/qa clear` and
/// `/qa ok` both clear the blockers reported before them. Pure.
pub fn fold_log(log: &[LogEntry]) -> FoldedLog {
    let mut signoffs = Vec::new();
    let mut blockers = Vec::new();
    let mut ok = None;
    for e in log {
        let at = from_millis(e.at);
        match e.entry {
            LogKind::Signoff => {
                signoffs.push(Signoff {
                    environment: e.environment.unwrap_or(Environment::Staging),
                    by: e.actor.clone(),
                    at,
                });
            }
            LogKind::QaBlocker => {
                blockers.push(QaBlocker {
                    text: e.text.clone().unwrap_or_default(),
                    by: e.actor.clone(),
                    at,
                });
                ok = None;
            }
            LogKind::QaClear => {
                blockers.clear();
                ok = None;
            }
            LogKind::QaOk => {
                blockers.clear();
                ok = Some((e.actor.clone(), at));
            }
            LogKind::Healthy | LogKind::ReleasePr | LogKind::ReleasePrAbandoned => {}
        }
    }
    (signoffs, blockers, ok)
}

/// The requirement facts of a release candidate.
pub async fn facts_for(
    ctx: &Context,
    train: &Train,
    repo: &RepoName,
    release: Option<&ReleaseRecord>,
    sha: &str,
    checks: (Vec<CheckFact>, Vec<StatusFact>),
    now: DateTime<Utc>,
) -> Result<Facts, HandlerError> {
    let mut log = match release {
        Some(r) => ctx.store.release_log(&repo.to_string(), &r.key).await?,
        None => Vec::new(),
    };
    // A staging sign-off given on another commit does not carry over to this one.
    log.retain(|e| {
        !(e.entry == LogKind::Signoff
            && e.environment == Some(Environment::Staging)
            && e.text.as_deref().is_some_and(|signed| signed != sha))
    });
    let (signoffs, qa_blockers, qa_ok) = fold_log(&log);
    let today = train.today(now);
    let release_manager = release
        .and_then(|r| r.manager.clone())
        .or_else(|| train.manager_on(today));
    Ok(Facts {
        sha: sha.to_string(),
        checks: checks.0,
        statuses: checks.1,
        signoffs,
        qa_blockers,
        qa_ok,
        holiday: train.calendar.holiday_on(today),
        release_manager,
    })
}

/// Both environments' verdicts.
pub fn gates(config: &RepoConfig, facts: &Facts) -> Vec<(Environment, Vec<Verdict>)> {
    [Environment::Staging, Environment::Production]
        .into_iter()
        .map(|env| (env, evaluate(env, &config.requirements, facts)))
        .collect()
}

/// What would be released: the last release and the changes since, oldest first.
pub struct Pending {
    pub last: Option<TaggedVersion>,
    pub changes: Vec<Change>,
    /// `base...head` on GitHub, when there is a base.
    pub compare_url: Option<String>,
}

impl Pending {
    /// The bump the pending changes ask for, and the version and tag it gives.
    pub fn next(&self, versioning: &crate::config::repo::Versioning) -> (Bump, Version, String) {
        // Labels or conventional commits, as `versioning.source` says.
        let bump = crate::domain::conventional::bump_for_changes(&self.changes, versioning);
        let version = next_version(self.last.as_ref().map(|t| &t.version), bump);
        let tag = tag_of(&version, versioning);
        (bump, version, tag)
    }
}

/// The last release tag of `repo` (3 calls at most: tags, compare, closed pulls).
pub async fn last_release(
    github: &dyn GitHubPort,
    repo: &RepoName,
    prefix: &str,
) -> Result<Option<TaggedVersion>, HandlerError> {
    latest_release_except(github, repo, prefix, None).await
}

/// The last release tag of `repo` other than `tag`: the release before `tag`, whether or not
/// `tag` exists yet (a retry after it was created sees the same one).
pub async fn release_before(
    github: &dyn GitHubPort,
    repo: &RepoName,
    prefix: &str,
    tag: &str,
) -> Result<Option<TaggedVersion>, HandlerError> {
    latest_release_except(github, repo, prefix, Some(tag)).await
}

async fn latest_release_except(
    github: &dyn GitHubPort,
    repo: &RepoName,
    prefix: &str,
    except: Option<&str>,
) -> Result<Option<TaggedVersion>, HandlerError> {
    let tags = github.list_tags(repo, TAGS_READ).await?;
    Ok(latest_release(
        tags.iter()
            .filter(|t| Some(t.name.as_str()) != except)
            .map(|t| (t.name.as_str(), t.sha.as_str())),
        prefix,
    ))
}

/// The commit tag `name` points at, among the latest [`TAGS_READ`] tags. The tags list names the
/// commit even for an annotated tag, where the tag's ref names the tag object.
pub async fn tag_commit(
    github: &dyn GitHubPort,
    repo: &RepoName,
    name: &str,
) -> Result<Option<String>, HandlerError> {
    Ok(github
        .list_tags(repo, TAGS_READ)
        .await?
        .into_iter()
        .find(|t| t.name == name)
        .map(|t| t.sha))
}

/// The changes between the last release and `head`: one comparison, one page of closed pull
/// requests to name them (never one request per PR).
pub async fn pending_changes(
    github: &dyn GitHubPort,
    repo: &RepoName,
    base_branch: &str,
    head_sha: &str,
    last: Option<TaggedVersion>,
    html_base: &str,
) -> Result<Pending, HandlerError> {
    let commits = match &last {
        Some(tag) => github.compare(repo, &tag.sha, head_sha).await?.commits,
        // Never released: every commit is new. The comparison needs a base, so the history is
        // summarised by the pull requests alone.
        None => Vec::new(),
    };
    if last.is_some() && commits.is_empty() {
        return Ok(Pending {
            compare_url: None,
            last,
            changes: Vec::new(),
        });
    }
    let pulls = github
        .list_closed_pulls(repo, base_branch, PULLS_READ)
        .await?;
    let merged: Vec<&PullRequest> = pulls.iter().filter(|p| p.merged_at.is_some()).collect();
    let changes = match &last {
        Some(_) => changes_of(&commits, &merged),
        None => {
            let mut all: Vec<&PullRequest> = merged;
            all.sort_by_key(|p| p.merged_at);
            all.into_iter().map(change_of_pull).collect()
        }
    };
    let compare_url = last.as_ref().map(|tag| {
        format!(
            "{html_base}/compare/{}...{}",
            tag.tag,
            &head_sha[..head_sha.len().min(12)]
        )
    });
    Ok(Pending {
        last,
        changes,
        compare_url,
    })
}

fn change_of_pull(p: &PullRequest) -> Change {
    Change {
        number: Some(p.number),
        title: p.title.clone(),
        body: p.body.clone(),
        author: Some(p.user.login.clone()).filter(|l| !l.is_empty()),
        labels: p.label_names().map(str::to_string).collect(),
        url: Some(p.html_url.clone()).filter(|u| !u.is_empty()),
        sha: p.merge_commit_sha.clone().unwrap_or_default(),
    }
}

/// Names each change among `commits` (oldest first, the head last, as a comparison lists them)
/// by its pull request: by merge commit sha, else by the `#N` its subject carries. Only the
/// head's first-parent chain counts (a merged branch's own commits are its merge's PR); a
/// commit no PR claims is listed alone. Pure.
pub fn changes_of(
    commits: &[crate::github::CommitSummary],
    merged: &[&PullRequest],
) -> Vec<Change> {
    let by_sha: HashMap<&str, &PullRequest> = merged
        .iter()
        .filter_map(|p| p.merge_commit_sha.as_deref().map(|s| (s, *p)))
        .collect();
    let by_number: HashMap<u64, &PullRequest> = merged.iter().map(|p| (p.number, *p)).collect();
    // The first-parent chain from the head is what landed on the branch, one commit per merge
    // or push; commits reachable only through a merge's other parents belong to that merge.
    let in_commits: HashMap<&str, &crate::github::CommitSummary> =
        commits.iter().map(|c| (c.sha.as_str(), c)).collect();
    let mut mainline: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut cursor = commits.last();
    while let Some(c) = cursor {
        if !mainline.insert(c.sha.as_str()) {
            break;
        }
        cursor = c
            .parents
            .first()
            .and_then(|p| in_commits.get(p.as_str()).copied());
    }
    let mut seen: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let mut out = Vec::new();
    for c in commits {
        if !mainline.contains(c.sha.as_str()) {
            continue;
        }
        let pull = by_sha
            .get(c.sha.as_str())
            .copied()
            .or_else(|| pr_number_in_message(&c.message).and_then(|n| by_number.get(&n).copied()));
        match pull {
            Some(p) => {
                if seen.insert(p.number) {
                    let mut change = change_of_pull(p);
                    change.sha = c.sha.clone();
                    // A squash commit carries its commits' messages (and their footers).
                    change.body = format!("{}\n\n{}", message_body(&c.message), change.body);
                    out.push(change);
                }
            }
            None => out.push(Change {
                number: None,
                title: c.message.lines().next().unwrap_or_default().to_string(),
                body: message_body(&c.message).to_string(),
                author: c.author_login.clone(),
                labels: Vec::new(),
                url: None,
                sha: c.sha.clone(),
            }),
        }
    }
    out
}

/// A commit message without its subject line.
fn message_body(message: &str) -> &str {
    message.split_once('\n').map_or("", |(_, rest)| rest.trim())
}

/// What an environment runs, from its latest deployment: the deployed ref (a tag, usually).
pub async fn deployed(
    github: &dyn GitHubPort,
    repo: &RepoName,
    environment: &str,
) -> Result<Option<String>, HandlerError> {
    let latest = github.list_deployments(repo, Some(environment), 1).await?;
    Ok(latest.into_iter().next().map(|d| {
        if d.git_ref.len() == 40 && d.git_ref.bytes().all(|b| b.is_ascii_hexdigit()) {
            d.git_ref[..7].to_string()
        } else {
            d.git_ref
        }
    }))
}

/// The register of `repo` as statistics entries.
pub async fn register_entries(
    store: &crate::store::Store,
    repo: &str,
) -> Result<Vec<crate::domain::stats::Entry>, crate::store::StoreError> {
    let mut picked: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    for (key, at) in store.all_pick_merges(repo).await? {
        picked.entry(key).or_default().push(from_millis(at));
    }
    Ok(store
        .register(repo)
        .await?
        .into_iter()
        .map(|r| crate::domain::stats::Entry {
            kind: r.kind,
            outcome: match r.state {
                crate::store::releases::ReleaseState::Open => crate::domain::stats::Outcome::Open,
                crate::store::releases::ReleaseState::Released => {
                    crate::domain::stats::Outcome::Released
                }
                crate::store::releases::ReleaseState::Skipped => {
                    crate::domain::stats::Outcome::Skipped
                }
                crate::store::releases::ReleaseState::NoChanges => {
                    crate::domain::stats::Outcome::NoChanges
                }
            },
            tag: r.tag,
            date: match r.kind {
                crate::domain::expedited::Kind::Regular => {
                    r.release_date.unwrap_or(r.scheduled_date)
                }
                _ => r.scheduled_date,
            },
            requested_by: r.requested_by,
            reason: r.reason,
            released_at: r.released_at.map(from_millis),
            staged_at: r.staged_at.map(from_millis),
            production_at: r.production_at.map(from_millis),
            picked_merges: picked.remove(&r.key).unwrap_or_default(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::CommitSummary;

    fn commit(sha: &str, message: &str, parents: &[&str]) -> CommitSummary {
        CommitSummary {
            sha: sha.into(),
            message: message.into(),
            author_login: Some("dev".into()),
            parents: parents.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn pull(number: u64, merge_sha: &str) -> PullRequest {
        PullRequest {
            number,
            title: format!("PR {number}"),
            merge_commit_sha: Some(merge_sha.into()),
            merged_at: Some(Utc::now()),
            ..PullRequest::default()
        }
    }

    #[test]
    fn commits_are_named_by_their_pull_requests_once_each() {
        // base ← b1 (branch of #1) ← m1 (merge of #1); s2 (squash of #2); b4 (branch of #4,
        // started from m1) ← m4; d3 (direct push).
        let commits = [
            commit("b1", "work on export", &["base"]),
            commit(
                "m1",
                "Merge pull request #1 from acme/export",
                &["base", "b1"],
            ),
            commit("s2", "Fix login (#2)", &["m1"]),
            commit("b4", "docs", &["m1"]),
            commit("m4", "Merge pull request #4 from acme/docs", &["s2", "b4"]),
            commit("d3", "Bump deps", &["m4"]),
        ];
        let p1 = pull(1, "m1");
        let p2 = pull(2, "zzz"); // squash sha unknown to the list: found by its subject
        let p4 = pull(4, "m4");
        let changes = changes_of(&commits, &[&p1, &p2, &p4]);
        let names: Vec<(Option<u64>, &str)> =
            changes.iter().map(|c| (c.number, c.sha.as_str())).collect();
        assert_eq!(
            names,
            [
                (Some(1), "m1"),
                (Some(2), "s2"),
                (Some(4), "m4"),
                (None, "d3")
            ]
        );
        assert_eq!(changes[3].title, "Bump deps");
    }

    #[test]
    fn qa_calls_fold_into_the_current_state() {
        let entry = |entry: LogKind, text: Option<&str>, at: i64| LogEntry {
            entry,
            environment: None,
            text: text.map(str::to_string),
            actor: "quinn".into(),
            comment_id: at as u64,
            at,
        };
        let (_, blockers, ok) = fold_log(&[entry(LogKind::QaBlocker, Some("login broken"), 1)]);
        assert_eq!((blockers.len(), ok.is_none()), (1, true));
        let (_, blockers, ok) = fold_log(&[
            entry(LogKind::QaBlocker, Some("a"), 1),
            entry(LogKind::QaClear, None, 2),
            entry(LogKind::QaBlocker, Some("b"), 3),
        ]);
        assert_eq!(
            blockers.iter().map(|b| b.text.as_str()).collect::<Vec<_>>(),
            ["b"]
        );
        assert!(ok.is_none());
        let (_, blockers, ok) = fold_log(&[
            entry(LogKind::QaBlocker, Some("a"), 1),
            entry(LogKind::QaOk, None, 2),
        ]);
        assert!(blockers.is_empty());
        assert_eq!(ok.map(|(by, _)| by).as_deref(), Some("quinn"));
    }
}
