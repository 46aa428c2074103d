//! `/release` decided: whether the tracked release can be cut (its state, the staging gate,
//! something to release), the version, tag and changelog, and what follows the cut (the
//! register's record, the tracking issue, the "released in" comments, the reply). Pure: the
//! handler gathers the facts in stages — the gate before the changes, so a refusal reads no
//! more than it needs — and applies the effects through `handlers/effects.rs`.

use super::changelog::{Change, render_changelog};
use super::conventional::{bump_for_changes, release_notes};
use super::effects::{Effect, Reply, Stage};
use super::requirements::{State, Verdict, all_met};
use super::version::{TaggedVersion, next_version, tag_of};
use crate::config::repo::{Bump, ReleaseMode, VersionSource, Versioning};

/// The commit a release is cut from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub branch: String,
    pub sha: String,
}

impl Head {
    fn short(&self) -> &str {
        short(&self.sha)
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// What the tracked release's own state answers before anything is read from GitHub: `None`
/// when it is open and can be released.
pub fn decide_state(
    state: Stage,
    tag: Option<&str>,
    url: Option<&str>,
    reason: &str,
) -> Option<Reply> {
    match state {
        Stage::Open => None,
        Stage::Released => Some(Reply::Done(Some(format!(
            "Already released as [{}]({}); nothing more to do.",
            tag.unwrap_or("?"),
            url.unwrap_or("")
        )))),
        Stage::Skipped | Stage::NoChanges => Some(Reply::Refused(format!(
            "relman did not release: this release day is closed ({}). The next release gets its own tracking issue.",
            reason
        ))),
    }
}

/// The refusal when the staging requirements are not all met at `head`.
pub fn decide_gate(head: &Head, verdicts: &[Verdict]) -> Option<Reply> {
    if all_met(verdicts) {
        return None;
    }
    Some(Reply::Refused(format!(
        "relman did not release: the staging requirements are not met for `{}` at {}:\n\n{}\nComment `/release` again once they are.",
        head.branch,
        head.short(),
        unmet_list(verdicts)
    )))
}

/// Unmet requirements as a list, each with its fix.
pub fn unmet_list(verdicts: &[Verdict]) -> String {
    verdicts
        .iter()
        .filter(|v| v.state != State::Met)
        .map(|v| {
            let mut line = format!(
                "- {} **{}**: {}",
                v.state.icon(),
                v.requirement.name(),
                v.reason
            );
            if let Some(fix) = &v.fix {
                line.push_str(&format!(" — to fix: {fix}"));
            }
            line.push('\n');
            line
        })
        .collect()
}

/// What was merged since the last release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes<'a> {
    pub last: Option<&'a TaggedVersion>,
    pub changes: &'a [Change],
    pub compare_url: Option<&'a str>,
}

/// What to do once the gate is met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Nothing to release (or another refusal).
    Refuse(Reply),
    /// The repository releases through a release PR: it is prepared instead of a tag.
    PullRequest { bump: Bump, version: String },
    /// Tag `head` and publish the release.
    Cut(Cut),
}

/// A release to cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    pub bump: Bump,
    pub version: String,
    pub tag: String,
    pub head: Head,
    pub changelog: String,
    /// The pull requests it includes, to be told "released in".
    pub prs: Vec<u64>,
    pub source: VersionSource,
}

/// The version, tag and changelog of what merged since the last release, or why there is
/// nothing to cut.
pub fn decide_cut(
    head: &Head,
    pending: &Changes<'_>,
    versioning: &Versioning,
    mode: ReleaseMode,
) -> Plan {
    if pending.changes.is_empty() {
        let since = pending.last.map_or_else(
            || "the last release".to_string(),
            |t| format!("`{}`", t.tag),
        );
        return Plan::Refuse(Reply::Refused(format!(
            "relman did not release: nothing was merged since {since} — no changes, no release."
        )));
    }
    let bump = bump_for_changes(pending.changes, versioning);
    let version = next_version(pending.last.map(|t| &t.version), bump);
    let tag = tag_of(&version, versioning);
    if mode == ReleaseMode::PullRequest {
        return Plan::PullRequest {
            bump,
            version: version.to_string(),
        };
    }
    let changelog = match versioning.source {
        VersionSource::Labels => render_changelog(
            pending.changes,
            &versioning.bump_labels,
            pending.compare_url,
        ),
        VersionSource::ConventionalCommits => {
            release_notes(pending.changes, versioning, pending.compare_url)
        }
    };
    Plan::Cut(Cut {
        bump,
        version: version.to_string(),
        tag,
        head: head.clone(),
        changelog,
        prs: pending.changes.iter().filter_map(|c| c.number).collect(),
        source: versioning.source,
    })
}

impl Cut {
    /// The tag and the GitHub release, in this order (the release names the tag).
    pub fn publish(&self) -> [Effect; 2] {
        [
            Effect::CreateTag {
                tag: self.tag.clone(),
                sha: self.head.sha.clone(),
            },
            Effect::CreateRelease {
                tag: self.tag.clone(),
                sha: self.head.sha.clone(),
                body: self.changelog.clone(),
            },
        ]
    }
}

/// Whether a tag found at `existing` lets the release at `sha` go on: the same commit is a
/// retry after a crash; another commit is the user's to sort out.
pub fn tag_conflict(tag: &str, existing: &str, sha: &str) -> Option<String> {
    if existing == sha {
        return None;
    }
    Some(format!(
        "relman did not release: the tag `{tag}` already exists at {}, not at the head {}. \
         If it was made by mistake, delete it (`git push --delete origin {tag}`) and comment `/release` again; \
         otherwise label a merged PR for a larger bump.",
        short(existing),
        short(sha)
    ))
}

/// The published GitHub release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub id: u64,
    pub url: String,
}

/// What follows a published cut: the register's record, the tracking issue rendered again, the
/// "released in" comments queued, and the reply.
pub fn after_publish(
    cut: &Cut,
    release_id: i64,
    release_key: &str,
    published: &Published,
    by: &str,
    at_ms: i64,
) -> (Vec<Effect>, Reply) {
    let mut effects = vec![
        Effect::RecordCut {
            release_id,
            version: cut.version.clone(),
            tag: cut.tag.clone(),
            github_release_id: published.id,
            release_url: published.url.clone(),
            sha: cut.head.sha.clone(),
            by: by.to_string(),
            at_ms,
        },
        Effect::RefreshRelease {
            release_key: release_key.to_string(),
        },
    ];
    if !cut.prs.is_empty() {
        effects.push(Effect::AnnounceRelease {
            tag: cut.tag.clone(),
            url: published.url.clone(),
            prs: cut.prs.clone(),
        });
    }
    let reply = format!(
        "Released **[{}]({})** from `{}` at {} ({} bump from {}). CI deploys it to staging.\n\n{}",
        cut.tag,
        published.url,
        cut.head.branch,
        cut.head.short(),
        cut.bump.name(),
        match cut.source {
            VersionSource::Labels => "the merged PRs' labels",
            VersionSource::ConventionalCommits => "conventional commits",
        },
        cut.changelog
    );
    (effects, Reply::Done(Some(reply)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::Requirement;
    use crate::config::repo::parse_repo_config;

    fn head() -> Head {
        Head {
            branch: "main".into(),
            sha: "abcdef1234567".into(),
        }
    }

    fn versioning() -> Versioning {
        let yaml = "timezone: America/Los_Angeles\nschedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }\nrotation: { members: [alice] }\n";
        parse_repo_config(".github/relman.yml", yaml)
            .expect("a minimal config")
            .versioning
    }

    fn change(number: u64, labels: &[&str]) -> Change {
        Change {
            number: Some(number),
            title: format!("change {number}"),
            body: String::new(),
            author: Some("alice".into()),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            url: None,
            sha: format!("{number:07}"),
        }
    }

    fn last() -> TaggedVersion {
        TaggedVersion {
            tag: "v1.2.0".into(),
            sha: "0000001".into(),
            version: semver::Version::new(1, 2, 0),
        }
    }

    #[test]
    fn an_open_release_goes_on_and_a_closed_one_answers_by_its_state() {
        assert_eq!(decide_state(Stage::Open, None, None, "open"), None);
        assert_eq!(
            decide_state(
                Stage::Released,
                Some("v1.3.0"),
                Some("https://x.test/r"),
                "released"
            ),
            Some(Reply::Done(Some(
                "Already released as [v1.3.0](https://x.test/r); nothing more to do.".into()
            )))
        );
        let Some(Reply::Refused(why)) = decide_state(Stage::Skipped, None, None, "holiday") else {
            panic!("a skipped day refuses");
        };
        assert!(
            why.contains("this release day is closed (holiday)"),
            "{why}"
        );
        let Some(Reply::Refused(why)) = decide_state(Stage::NoChanges, None, None, "no_changes")
        else {
            panic!("a day with no changes refuses");
        };
        assert!(why.contains("(no_changes)"), "{why}");
    }

    #[test]
    fn an_unmet_gate_refuses_with_each_unmet_requirement_and_its_fix() {
        let verdicts = vec![
            Verdict {
                requirement: Requirement::Tests,
                state: State::Met,
                reason: "all green".into(),
                fix: None,
            },
            Verdict {
                requirement: Requirement::Tests,
                state: State::Unmet,
                reason: "ci failed".into(),
                fix: Some("fix the build".into()),
            },
        ];
        let Some(Reply::Refused(why)) = decide_gate(&head(), &verdicts) else {
            panic!("an unmet requirement refuses");
        };
        assert!(why.contains("not met for `main` at abcdef1"), "{why}");
        assert!(why.contains("ci failed — to fix: fix the build"), "{why}");
        assert!(!why.contains("all green"), "{why}");
        assert_eq!(decide_gate(&head(), &verdicts[..1]), None);
    }

    #[test]
    fn nothing_merged_is_no_release() {
        let last = last();
        let pending = Changes {
            last: Some(&last),
            changes: &[],
            compare_url: None,
        };
        let plan = decide_cut(&head(), &pending, &versioning(), ReleaseMode::Tag);
        assert_eq!(
            plan,
            Plan::Refuse(Reply::Refused(
                "relman did not release: nothing was merged since `v1.2.0` — no changes, no release."
                    .into()
            ))
        );
    }

    #[test]
    fn merged_changes_cut_the_next_version_with_its_changelog_and_prs() {
        let last = last();
        let changes = [change(11, &[]), change(12, &[])];
        let pending = Changes {
            last: Some(&last),
            changes: &changes,
            compare_url: Some("https://x.test/compare"),
        };
        let Plan::Cut(cut) = decide_cut(&head(), &pending, &versioning(), ReleaseMode::Tag) else {
            panic!("changes are cut");
        };
        assert_eq!(cut.tag, format!("v{}", cut.version));
        assert_ne!(cut.version, "1.2.0");
        assert_eq!(cut.prs, vec![11, 12]);
        assert!(cut.changelog.contains("change 11"), "{}", cut.changelog);
        assert_eq!(
            cut.publish()[0],
            Effect::CreateTag {
                tag: cut.tag.clone(),
                sha: "abcdef1234567".into()
            }
        );
        let Plan::PullRequest { version, .. } =
            decide_cut(&head(), &pending, &versioning(), ReleaseMode::PullRequest)
        else {
            panic!("release PR mode prepares a PR");
        };
        assert_eq!(version, cut.version);
    }

    #[test]
    fn a_tag_at_the_head_is_a_retry_and_elsewhere_a_refusal() {
        assert_eq!(
            tag_conflict("v1.3.0", "abcdef1234567", "abcdef1234567"),
            None
        );
        let why = tag_conflict("v1.3.0", "1111111999", "abcdef1234567").expect("a refusal");
        assert!(
            why.contains("already exists at 1111111, not at the head abcdef1"),
            "{why}"
        );
        assert!(why.contains("git push --delete origin v1.3.0"), "{why}");
    }

    #[test]
    fn after_publishing_the_cut_is_recorded_shown_and_announced() {
        let last = last();
        let changes = [change(11, &[])];
        let pending = Changes {
            last: Some(&last),
            changes: &changes,
            compare_url: None,
        };
        let Plan::Cut(mut cut) = decide_cut(&head(), &pending, &versioning(), ReleaseMode::Tag)
        else {
            panic!("changes are cut");
        };
        let published = Published {
            id: 99,
            url: "https://x.test/r".into(),
        };
        let (effects, reply) = after_publish(&cut, 5, "regular:2026-03-05", &published, "bob", 42);
        assert_eq!(effects.len(), 3);
        assert!(
            matches!(&effects[0], Effect::RecordCut { release_id: 5, github_release_id: 99, by, at_ms: 42, .. } if by == "bob")
        );
        assert_eq!(
            effects[1],
            Effect::RefreshRelease {
                release_key: "regular:2026-03-05".into()
            }
        );
        assert!(matches!(&effects[2], Effect::AnnounceRelease { prs, .. } if prs == &vec![11]));
        let Reply::Done(Some(text)) = reply else {
            panic!("a release is done");
        };
        assert!(
            text.starts_with(&format!(
                "Released **[{}](https://x.test/r)** from `main` at abcdef1",
                cut.tag
            )),
            "{text}"
        );
        // Direct pushes only: nothing to announce.
        cut.prs.clear();
        let (effects, _) = after_publish(&cut, 5, "k", &published, "bob", 42);
        assert_eq!(effects.len(), 2);
    }
}
