//! A pull request merged into the default branch: what relman records and the one checklist
//! comment it posts, saying which release the change ships in. Pure: the handler gathers the
//! facts, [`decide`] returns the effects.

use chrono::{DateTime, NaiveDate, Utc};

use super::calendar::{Calendar, MAX_CYCLES_SEARCHED};
use super::changelog::Change;
use super::checklist::{ShipsIn, render_checklist};
use super::conventional::bump_for_changes;
use super::effects::Effect;
use super::rotation::{Rotation, Swap};
use super::version::{TaggedVersion, next_version, tag_of};
use crate::config::repo::{Soak, Versioning};

/// The kind of relman's checklist comment (its marker is `checklist:<pr>`).
pub const CHECKLIST_KIND: &str = "checklist";

/// The merge itself, from the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    pub pr: u64,
    pub merged_at_ms: Option<i64>,
    pub merge_sha: Option<String>,
    pub installation_id: u64,
    pub repository_id: u64,
}

/// A regular release day relman tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegularRelease {
    pub scheduled: NaiveDate,
    /// Cut, skipped or closed: a change merged now waits for a later day.
    pub done: bool,
    pub issue: Option<u64>,
    pub tag: Option<String>,
    pub released_at: Option<i64>,
}

/// A merged pull request as the version bump reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedPull {
    pub number: u64,
    pub merged_at_ms: Option<i64>,
    pub change: Change,
}

/// What the expected version is computed from.
pub struct VersionFacts<'a> {
    pub versioning: &'a Versioning,
    /// The last release tag.
    pub last: Option<&'a TaggedVersion>,
    /// The regular releases in the register (the last one's release time bounds "since").
    pub regular: &'a [RegularRelease],
    /// Recently closed pull requests into the branch.
    pub pulls: &'a [MergedPull],
    /// The pull request just merged, which GitHub's list may not show yet.
    pub own: Option<&'a MergedPull>,
}

/// The tag the next regular release is expected to get: the last release bumped by what the
/// PRs merged since ask for. The release time of the last release relman cut bounds "since";
/// without one, every PR listed counts.
pub fn expected_version(facts: &VersionFacts<'_>) -> String {
    let since = facts.last.and_then(|t| {
        facts
            .regular
            .iter()
            .find(|r| r.tag.as_deref() == Some(t.tag.as_str()))
            .and_then(|r| r.released_at)
    });
    let mut merged: Vec<Change> = facts
        .pulls
        .iter()
        .filter(|p| {
            p.merged_at_ms
                .is_some_and(|at| since.is_none_or(|since| at > since))
                && facts.own.is_none_or(|own| p.number != own.number)
        })
        .map(|p| p.change.clone())
        .collect();
    merged.extend(facts.own.map(|p| p.change.clone()));
    let version = next_version(
        facts.last.map(|t| &t.version),
        bump_for_changes(&merged, facts.versioning),
    );
    tag_of(&version, facts.versioning)
}

/// The train as the checklist reads it.
pub struct TrainView<'a> {
    pub calendar: &'a Calendar,
    pub rotation: &'a Rotation,
    pub swaps: &'a [Swap],
    pub soak: Soak,
    /// `pr_checklist` from the config.
    pub items: &'a [String],
}

/// Whether the checklist is still to be posted.
pub enum Checklist<'a> {
    /// relman recorded it already: a redelivery posts nothing (the author may have ticked
    /// boxes, which a re-render would wipe).
    Posted,
    /// The repository has no usable config: relman stays quiet there.
    NoTrain,
    /// To be posted, from these facts.
    Due {
        train: TrainView<'a>,
        version: VersionFacts<'a>,
    },
}

/// The release a change merged at `now` ships in: the next release day not cut yet.
pub fn ships_in(train: &TrainView<'_>, version: &VersionFacts<'_>, now: DateTime<Utc>) -> ShipsIn {
    let calendar = train.calendar;
    let today = now.with_timezone(&calendar.timezone()).date_naive();
    let day = calendar
        .releases_from(today)
        .take(MAX_CYCLES_SEARCHED)
        .filter(|d| d.date.is_some())
        .find(|d| {
            !version
                .regular
                .iter()
                .any(|r| r.scheduled == d.scheduled && r.done)
        });
    let tracking_issue = day.as_ref().and_then(|d| {
        version
            .regular
            .iter()
            .find(|r| r.scheduled == d.scheduled)
            .and_then(|r| r.issue)
    });
    let manager = day
        .as_ref()
        .and_then(|d| manager_for_scheduled(train, d.scheduled));
    let date = day.as_ref().and_then(|d| d.date);
    ShipsIn {
        production: date.and_then(|d| {
            super::production::due_on(calendar, train.soak, calendar.start_of_day(d))
        }),
        date,
        version: Some(expected_version(version)),
        manager,
        tracking_issue,
    }
}

/// The release manager of a release day (scheduled date), with swaps applied.
fn manager_for_scheduled(train: &TrainView<'_>, scheduled: NaiveDate) -> Option<String> {
    if train.rotation.members().is_empty() {
        return None;
    }
    let day = train
        .calendar
        .release_day(train.calendar.cycle_on_or_before(scheduled))?;
    Some(
        train
            .rotation
            .manager_for(&day, train.calendar, train.swaps)
            .manager,
    )
}

/// What a merge into the default branch comes to: the installation and the merge recorded,
/// the checklist posted when it is due, an open release PR rebuilt, and a debounced refresh of
/// the tracking issues.
pub fn decide(merge: &Merge, checklist: &Checklist<'_>, now: DateTime<Utc>) -> Vec<Effect> {
    let mut effects = vec![Effect::RecordInstallation {
        installation_id: merge.installation_id,
        repository_id: Some(merge.repository_id),
        at_ms: now.timestamp_millis(),
    }];
    if let Some(merged_at_ms) = merge.merged_at_ms {
        effects.push(Effect::RecordMerge {
            pr: merge.pr,
            merged_at_ms,
            merge_sha: merge.merge_sha.clone(),
        });
    }
    if let Checklist::Due { train, version } = checklist {
        let ships = ships_in(train, version, now);
        effects.push(Effect::UpsertComment {
            repo: None,
            issue: merge.pr,
            kind: CHECKLIST_KIND.into(),
            key: merge.pr.to_string(),
            body: render_checklist(&ships, train.items),
        });
    }
    if !matches!(checklist, Checklist::NoTrain) {
        effects.push(Effect::RebuildReleasePr { merged: merge.pr });
    }
    effects.push(Effect::ScheduleRefresh {
        installation_id: merge.installation_id,
        repository_id: Some(merge.repository_id),
    });
    effects
}

/// After an expedited release took a version, the checklists (`(comment id, body)`) that
/// promise another version than `expected` say it instead; only that sentence changes, what the
/// authors ticked stays.
pub fn repromise_checklists(checklists: &[(u64, String)], expected: &str) -> Vec<Effect> {
    checklists
        .iter()
        .filter_map(|(id, body)| {
            super::checklist::repromise(body, expected).map(|body| Effect::EditComment {
                comment_id: *id,
                body,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::parse_repo_config;
    use semver::Version;

    const CONFIG: &str = "timezone: Europe/Berlin\n\
        schedule: { every_weeks: 1, weekday: tuesday, anchor: 2026-12-01 }\n\
        rotation: { every: month, starts: 2026-01, members: [alice] }\n\
        pr_checklist:\n  - Needs a migration\n";

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn change(n: u64, title: &str) -> MergedPull {
        MergedPull {
            number: n,
            merged_at_ms: Some(at("2026-12-02T10:00:00Z").timestamp_millis() + n as i64),
            change: Change {
                number: Some(n),
                title: title.into(),
                body: String::new(),
                author: None,
                labels: Vec::new(),
                url: None,
                sha: String::new(),
            },
        }
    }

    fn merge() -> Merge {
        Merge {
            pr: 7,
            merged_at_ms: Some(1_000),
            merge_sha: Some("abc".into()),
            installation_id: 3,
            repository_id: 9,
        }
    }

    struct World {
        config: std::sync::Arc<crate::config::repo::RepoConfig>,
        calendar: Calendar,
        rotation: Rotation,
        last: TaggedVersion,
    }

    fn world() -> World {
        let config = std::sync::Arc::new(parse_repo_config("test", CONFIG).unwrap());
        let calendar = Calendar::from_config(&config, &[]);
        let rotation = Rotation::from_config(&config, &calendar);
        World {
            config,
            calendar,
            rotation,
            last: TaggedVersion {
                tag: "v1.4.0".into(),
                sha: "s".into(),
                version: Version::new(1, 4, 0),
            },
        }
    }

    fn train(w: &World) -> TrainView<'_> {
        TrainView {
            calendar: &w.calendar,
            rotation: &w.rotation,
            swaps: &[],
            soak: Soak::default(),
            items: &w.config.pr_checklist,
        }
    }

    fn body_of(effects: &[Effect]) -> Option<&str> {
        effects.iter().find_map(|e| match e {
            Effect::UpsertComment { body, kind, .. } if kind == CHECKLIST_KIND => {
                Some(body.as_str())
            }
            _ => None,
        })
    }

    #[test]
    fn a_merge_gets_a_checklist_promising_the_next_day_and_version() {
        let w = world();
        let pulls = [change(5, "fix: a typo")];
        let own = change(7, "feat: export");
        let version = VersionFacts {
            versioning: &w.config.versioning,
            last: Some(&w.last),
            regular: &[],
            pulls: &pulls,
            own: Some(&own),
        };
        let effects = decide(
            &merge(),
            &Checklist::Due {
                train: train(&w),
                version,
            },
            at("2026-12-03T09:00:00Z"),
        );
        let body = body_of(&effects).expect("a checklist");
        assert!(
            body.contains("ships in **v1.5.0** on **Tue 8 Dec 2026**"),
            "{body}"
        );
        assert!(body.contains("- [ ] Needs a migration"), "{body}");
        assert_eq!(
            effects[..2],
            [
                Effect::RecordInstallation {
                    installation_id: 3,
                    repository_id: Some(9),
                    at_ms: at("2026-12-03T09:00:00Z").timestamp_millis()
                },
                Effect::RecordMerge {
                    pr: 7,
                    merged_at_ms: 1_000,
                    merge_sha: Some("abc".into())
                }
            ]
        );
        assert!(matches!(
            effects.last(),
            Some(Effect::ScheduleRefresh {
                installation_id: 3,
                ..
            })
        ));
    }

    #[test]
    fn a_day_already_cut_sends_the_change_to_the_next_one() {
        let w = world();
        let scheduled: NaiveDate = "2026-12-08".parse().unwrap();
        let regular = [RegularRelease {
            scheduled,
            done: true,
            issue: Some(40),
            tag: Some("v1.4.0".into()),
            released_at: Some(at("2026-12-08T10:00:00Z").timestamp_millis()),
        }];
        let own = change(7, "fix: later");
        let version = VersionFacts {
            versioning: &w.config.versioning,
            last: Some(&w.last),
            regular: &regular,
            pulls: &[],
            own: Some(&own),
        };
        let ships = ships_in(&train(&w), &version, at("2026-12-08T12:00:00Z"));
        assert_eq!(ships.date, Some("2026-12-15".parse().unwrap()));
        assert_eq!(ships.tracking_issue, None);
        // No label asks for more than the default bump (minor).
        assert_eq!(ships.version.as_deref(), Some("v1.5.0"));
    }

    #[test]
    fn the_tracking_issue_and_manager_of_the_day_are_named() {
        let w = world();
        let regular = [RegularRelease {
            scheduled: "2026-12-08".parse().unwrap(),
            done: false,
            issue: Some(41),
            tag: None,
            released_at: None,
        }];
        let version = VersionFacts {
            versioning: &w.config.versioning,
            last: None,
            regular: &regular,
            pulls: &[],
            own: None,
        };
        let ships = ships_in(&train(&w), &version, at("2026-12-03T09:00:00Z"));
        assert_eq!(ships.tracking_issue, Some(41));
        assert!(ships.manager.is_some());
        // Nothing released yet and nothing merged: the first version.
        assert_eq!(ships.version.as_deref(), Some("v0.1.0"));
    }

    #[test]
    fn merges_before_the_last_release_do_not_bump_again() {
        let w = world();
        let released_at = at("2026-12-02T10:00:00Z").timestamp_millis() + 100;
        let regular = [RegularRelease {
            scheduled: "2026-12-01".parse().unwrap(),
            done: true,
            issue: None,
            tag: Some("v1.4.0".into()),
            released_at: Some(released_at),
        }];
        let mut breaking = change(5, "Drop the old API");
        breaking.change.labels = vec!["breaking".into()];
        let pulls = [breaking];
        let facts = VersionFacts {
            versioning: &w.config.versioning,
            last: Some(&w.last),
            regular: &regular,
            pulls: &pulls,
            own: None,
        };
        assert_eq!(expected_version(&facts), "v1.5.0");
        // Without the register's time every listed PR counts, the breaking one too.
        let facts = VersionFacts {
            regular: &[],
            ..facts
        };
        assert_eq!(expected_version(&facts), "v2.0.0");
    }

    #[test]
    fn only_checklists_promising_another_version_are_edited() {
        let ticked = "Thanks, merged. This change ships in **v1.5.0** on **Tue 8 Dec 2026**.\n- [x] Needs a migration\n";
        let right = "Thanks, merged. This change ships in **v1.6.0** on **Tue 8 Dec 2026**.\n";
        let effects = repromise_checklists(&[(1, ticked.into()), (2, right.into())], "v1.6.0");
        assert_eq!(
            effects,
            [Effect::EditComment {
                comment_id: 1,
                body: ticked.replace("v1.5.0", "v1.6.0")
            }]
        );
        assert_eq!(repromise_checklists(&[(2, right.into())], "v1.6.0"), []);
    }

    #[test]
    fn a_recorded_checklist_is_not_posted_again() {
        let effects = decide(&merge(), &Checklist::Posted, at("2026-12-03T09:00:00Z"));
        assert!(body_of(&effects).is_none());
        assert!(effects.contains(&Effect::RebuildReleasePr { merged: 7 }));
    }

    #[test]
    fn without_a_config_only_the_records_and_the_refresh_remain() {
        let mut m = merge();
        m.merged_at_ms = None;
        let effects = decide(&m, &Checklist::NoTrain, at("2026-12-03T09:00:00Z"));
        assert_eq!(effects.len(), 2, "{effects:?}");
        assert!(effects.iter().all(|e| !e.writes_github()));
    }
}
