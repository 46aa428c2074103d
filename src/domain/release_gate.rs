//! The requirements gate on releases made by hand, decided: the `relman/requirements` check run
//! on the tag's commit, and then either the cut recorded on the open release (met) or the
//! release reverted to a draft (per `gate.on_violation`) and explained on the tracking issue,
//! or on a new issue when none is open. Pure.

use chrono::{DateTime, Utc};

use super::effects::{Effect, ReleaseView, Stage};
use super::tracking::RELEASE_LABEL;
use crate::config::repo::OnViolation;

pub const CHECK_NAME: &str = "relman/requirements";

/// Whether a `release` event is gated: created (not a draft), published or prereleased.
pub fn gated(action: &str, draft: bool) -> bool {
    match action {
        "published" | "prereleased" => true,
        "created" => !draft,
        _ => false,
    }
}

/// The release made by hand.
pub struct HandMade<'a> {
    pub id: u64,
    pub tag: &'a str,
    pub html_url: &'a str,
    pub draft: bool,
    /// Who created it (its author, else the event's sender).
    pub creator: &'a str,
}

/// What the gate decides on.
pub struct GateFacts<'a> {
    pub release: HandMade<'a>,
    /// The commit the tag points at.
    pub sha: &'a str,
    /// Whether every staging requirement is met, and the unmet ones as a Markdown list.
    pub met: bool,
    pub unmet_list: &'a str,
    /// relman's check run on that commit from an earlier look, updated rather than doubled.
    pub existing_run: Option<u64>,
    /// The open release relman tracks.
    pub open: Option<&'a ReleaseView>,
    pub on_violation: OnViolation,
    pub tag_prefix: &'a str,
}

pub fn decide(f: &GateFacts<'_>, now: DateTime<Utc>) -> Vec<Effect> {
    let release = &f.release;
    let tag = release.tag;
    let creator = release.creator;
    let summary = if f.met {
        format!("{tag} meets the staging requirements.")
    } else {
        format!(
            "{tag} was created by @{creator} but does not meet the staging requirements:\n\n{}",
            f.unmet_list
        )
    };
    let mut effects = vec![Effect::CompleteCheckRun {
        existing: f.existing_run,
        name: CHECK_NAME.into(),
        head_sha: f.sha.to_string(),
        success: f.met,
        title: if f.met {
            "Release requirements met".into()
        } else {
            "Release requirements not met".into()
        },
        summary,
    }];
    if f.met {
        // Cut by hand but within the rules: the open release is this one.
        if let Some(rec) = f.open.filter(|r| r.state == Stage::Open) {
            effects.push(Effect::RecordCut {
                release_id: rec.id,
                version: tag.strip_prefix(f.tag_prefix).unwrap_or(tag).to_string(),
                tag: tag.to_string(),
                github_release_id: release.id,
                release_url: release.html_url.to_string(),
                sha: f.sha.to_string(),
                by: creator.to_string(),
                at_ms: now.timestamp_millis(),
            });
        }
        return effects;
    }
    let reverted = f.on_violation == OnViolation::Draft && !release.draft;
    if reverted {
        effects.push(Effect::RevertReleaseToDraft {
            release_id: release.id,
        });
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
        &f.sha[..f.sha.len().min(7)],
        f.unmet_list
    );
    match f.open.and_then(|r| r.issue_number) {
        Some(issue) => effects.push(Effect::UpsertComment {
            repo: None,
            issue,
            kind: "rejected".into(),
            key: format!("{tag}:{}", release.id),
            body: text,
        }),
        None => effects.push(Effect::CreateIssue {
            title: format!("Release {tag} was rejected"),
            body: text,
            labels: vec![RELEASE_LABEL.into()],
            assignees: vec![creator.to_string()],
        }),
    }
    effects
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::expedited::Kind;

    fn now() -> DateTime<Utc> {
        "2026-12-08T10:00:00Z".parse().unwrap()
    }

    fn open(issue: Option<u64>) -> ReleaseView {
        ReleaseView {
            id: 8,
            key: "regular:2026-12-08".into(),
            kind: Kind::Regular,
            scheduled_date: "2026-12-08".parse().unwrap(),
            release_date: None,
            issue_number: issue,
            state: Stage::Open,
            manager: None,
            tag: None,
            released_at: None,
        }
    }

    fn facts<'a>(met: bool, open: Option<&'a ReleaseView>, on: OnViolation) -> GateFacts<'a> {
        GateFacts {
            release: HandMade {
                id: 77,
                tag: "v1.5.0",
                html_url: "https://github.com/acme/web/releases/v1.5.0",
                draft: false,
                creator: "mallory",
            },
            sha: "0123456789",
            met,
            unmet_list: "- ❌ **tests**: failing\n",
            existing_run: Some(5),
            open,
            on_violation: on,
            tag_prefix: "v",
        }
    }

    #[test]
    fn only_published_releases_are_gated() {
        assert!(gated("published", false));
        assert!(gated("prereleased", true));
        assert!(gated("created", false));
        assert!(!gated("created", true));
        assert!(!gated("edited", false));
    }

    #[test]
    fn a_release_within_the_rules_is_the_open_releases_cut() {
        let rec = open(Some(12));
        let effects = decide(&facts(true, Some(&rec), OnViolation::Draft), now());
        assert!(matches!(
            &effects[0],
            Effect::CompleteCheckRun {
                existing: Some(5),
                success: true,
                ..
            }
        ));
        assert!(
            matches!(&effects[1], Effect::RecordCut { release_id: 8, version, by, .. } if version == "1.5.0" && by == "mallory")
        );
        assert_eq!(effects.len(), 2);
        // Nothing open: only the check run.
        assert_eq!(
            decide(&facts(true, None, OnViolation::Draft), now()).len(),
            1
        );
    }

    #[test]
    fn a_release_breaking_the_rules_is_reverted_and_explained_on_the_tracking_issue() {
        let rec = open(Some(12));
        let effects = decide(&facts(false, Some(&rec), OnViolation::Draft), now());
        assert!(
            matches!(&effects[0], Effect::CompleteCheckRun { success: false, summary, .. } if summary.contains("created by @mallory"))
        );
        assert_eq!(effects[1], Effect::RevertReleaseToDraft { release_id: 77 });
        assert!(
            matches!(&effects[2], Effect::UpsertComment { issue: 12, key, body, .. }
            if key == "v1.5.0:77" && body.contains("relman reverted it to a draft") && body.contains("at 0123456"))
        );
    }

    #[test]
    fn annotate_leaves_it_published_and_no_open_issue_opens_one() {
        let effects = decide(&facts(false, None, OnViolation::Annotate), now());
        assert_eq!(effects.len(), 2, "{effects:?}");
        assert!(
            matches!(&effects[1], Effect::CreateIssue { title, assignees, body, .. }
            if title == "Release v1.5.0 was rejected" && assignees == &["mallory"] && body.contains("left published"))
        );
    }
}
