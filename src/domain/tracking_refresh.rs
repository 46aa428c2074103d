//! A tracking issue's refresh decided: which stage the dashboard shows (and whether the day
//! closes: skipped by the calendar, or nothing merged by its day), and what writing the rendered
//! body takes (nothing when it is unchanged, an edit, or the issue opened), and closing it. Pure: the handler
//! renders the body from the facts it gathered and applies the effects.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::calendar::ReleaseDay;
use super::effects::{Effect, Stage as State};
use super::tracking::Stage;

/// Why an open day closes now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closing {
    /// The calendar skips the day.
    Skipped(String),
    /// Nothing merged since the last release, and the day has come.
    NoChanges(String),
}

/// What was merged since the last release, when the refresh read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merged<'a> {
    pub any: bool,
    /// The last release's tag.
    pub last_tag: Option<&'a str>,
}

/// The register's row as the refresh reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row<'a> {
    pub state: State,
    pub tag: Option<&'a str>,
    pub url: Option<&'a str>,
    pub reason: Option<&'a str>,
}

/// The stage the dashboard shows, and whether an open day closes now.
pub fn decide_stage(
    row: Row<'_>,
    day: &ReleaseDay,
    merged: Option<Merged<'_>>,
    today: NaiveDate,
) -> (Stage, Option<Closing>) {
    match row.state {
        State::Released => (
            Stage::Released {
                tag: row.tag.unwrap_or_default().to_string(),
                url: row.url.unwrap_or_default().to_string(),
            },
            None,
        ),
        State::Skipped => (
            Stage::Skipped {
                reason: row.reason.unwrap_or_default().to_string(),
            },
            None,
        ),
        State::NoChanges => (Stage::NoChanges, None),
        State::Open => match (&day.reason, merged) {
            (Some(reason), _) if day.is_skipped() => {
                let why = format!("the release day is {reason}");
                (
                    Stage::Skipped {
                        reason: why.clone(),
                    },
                    Some(Closing::Skipped(why)),
                )
            }
            (_, Some(m)) if !m.any && day.date.is_some_and(|d| d <= today) => {
                let since = m.last_tag.unwrap_or("the first release");
                (
                    Stage::NoChanges,
                    Some(Closing::NoChanges(format!(
                        "no changes since {since}, no release"
                    ))),
                )
            }
            _ => (Stage::Open, None),
        },
    }
}

/// The fingerprint of what the issue shows, so an unchanged dashboard is not written again.
pub fn body_hash(body: &str, closed: bool) -> String {
    let mut h = Sha256::new();
    h.update(body.as_bytes());
    h.update([u8::from(closed)]);
    hex::encode(h.finalize())
}

/// How the rendered body reaches the issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// The issue shows it already.
    Unchanged { issue: u64 },
    /// The issue is edited, then the new fingerprint kept.
    Edit { issue: u64, effects: Vec<Effect> },
    /// The issue is opened (found first, if a crash lost its number) with this fingerprint.
    Open { hash: String },
}

/// What writing `body` to the release's tracking issue takes.
pub fn decide_write(
    release_id: i64,
    issue: Option<u64>,
    stored_hash: Option<&str>,
    body: &str,
    closing: bool,
    at_ms: i64,
) -> Write {
    let hash = body_hash(body, closing);
    match issue {
        Some(issue) if stored_hash == Some(hash.as_str()) => Write::Unchanged { issue },
        Some(issue) => Write::Edit {
            issue,
            effects: vec![
                Effect::EditIssueBody {
                    issue,
                    body: body.to_string(),
                },
                Effect::RecordBodyHash {
                    release_id,
                    hash,
                    at_ms,
                },
            ],
        },
        None => Write::Open { hash },
    }
}

/// Closing a tracking issue: a comment saying why (upserted, so a retry does not say it twice),
/// the issue closed as not planned, and why kept in the register. `state` is what the day
/// became (skipped, no changes); `by` who skipped it, when someone did.
pub fn close(
    release_id: i64,
    release_key: &str,
    issue: u64,
    state: State,
    reason: &str,
    by: Option<&str>,
    at_ms: i64,
) -> Vec<Effect> {
    let text = match state {
        State::NoChanges => format!(
            "Closing: {reason} this cycle (the release process ships only when something merged)."
        ),
        State::Skipped => match by {
            Some(who) => format!("Closing: @{who} skipped this release — {reason}."),
            None => format!("Closing: {reason}; this cycle has no release."),
        },
        _ => format!("Closing: {reason}."),
    };
    vec![
        Effect::UpsertComment {
            repo: None,
            issue,
            kind: "closed".into(),
            key: release_key.to_string(),
            body: text,
        },
        Effect::CloseIssueNotPlanned { issue },
        Effect::MarkReleaseEnded {
            release_id,
            state,
            reason: reason.to_string(),
            by: by.map(str::to_string),
            at_ms,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::Adjustment;

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).expect("a date")
    }

    fn day(on: Option<NaiveDate>) -> ReleaseDay {
        ReleaseDay {
            cycle: 4,
            scheduled: date(10),
            date: on,
            reason: None,
            starts_at: None,
            tracking_issue_on: None,
            tracking_issue_at: None,
        }
    }

    fn open() -> Row<'static> {
        Row {
            state: State::Open,
            tag: None,
            url: None,
            reason: None,
        }
    }

    #[test]
    fn recorded_states_show_as_they_are_and_never_close_again() {
        let released = Row {
            state: State::Released,
            tag: Some("v1.3.0"),
            url: Some("https://x.test/r"),
            reason: None,
        };
        assert_eq!(
            decide_stage(released, &day(Some(date(10))), None, date(11)),
            (
                Stage::Released {
                    tag: "v1.3.0".into(),
                    url: "https://x.test/r".into()
                },
                None
            )
        );
        let skipped = Row {
            state: State::Skipped,
            reason: Some("freeze"),
            ..open()
        };
        assert_eq!(
            decide_stage(skipped, &day(None), None, date(11)),
            (
                Stage::Skipped {
                    reason: "freeze".into()
                },
                None
            )
        );
    }

    #[test]
    fn an_open_day_with_nothing_merged_closes_on_its_day_not_before() {
        let merged = Merged {
            any: false,
            last_tag: Some("v1.2.0"),
        };
        assert_eq!(
            decide_stage(open(), &day(Some(date(10))), Some(merged), date(9)),
            (Stage::Open, None)
        );
        assert_eq!(
            decide_stage(open(), &day(Some(date(10))), Some(merged), date(10)),
            (
                Stage::NoChanges,
                Some(Closing::NoChanges(
                    "no changes since v1.2.0, no release".into()
                ))
            )
        );
        let some = Merged {
            any: true,
            last_tag: None,
        };
        assert_eq!(
            decide_stage(open(), &day(Some(date(10))), Some(some), date(10)),
            (Stage::Open, None)
        );
        // Without the changes read, nothing is concluded from them.
        assert_eq!(
            decide_stage(open(), &day(Some(date(10))), None, date(12)),
            (Stage::Open, None)
        );
    }

    #[test]
    fn a_day_the_calendar_skips_closes_as_skipped() {
        let mut skipped = day(None);
        let holiday = crate::domain::calendar::Holiday {
            name: Some("Founders' day".into()),
            first: date(10),
            last: date(10),
            source: crate::domain::calendar::HolidaySource::Config,
        };
        skipped.reason = Some(Adjustment::Skipped { holiday });
        let (stage, closing) = decide_stage(open(), &skipped, None, date(1));
        let Some(Closing::Skipped(why)) = closing else {
            panic!("a skipped day closes: {stage:?}");
        };
        assert!(why.starts_with("the release day is "), "{why}");
        assert_eq!(stage, Stage::Skipped { reason: why });
    }

    #[test]
    fn closing_says_why_closes_not_planned_and_records_who() {
        let effects = close(
            3,
            "regular:2026-03-10",
            9,
            State::Skipped,
            "freeze",
            Some("bob"),
            7,
        );
        assert_eq!(effects.len(), 3);
        assert!(
            matches!(&effects[0], Effect::UpsertComment { issue: 9, kind, key, body, .. }
            if kind == "closed" && key == "regular:2026-03-10" && body == "Closing: @bob skipped this release — freeze.")
        );
        assert_eq!(effects[1], Effect::CloseIssueNotPlanned { issue: 9 });
        assert_eq!(
            effects[2],
            Effect::MarkReleaseEnded {
                release_id: 3,
                state: State::Skipped,
                reason: "freeze".into(),
                by: Some("bob".into()),
                at_ms: 7
            }
        );
        let by_calendar = close(
            3,
            "k",
            9,
            State::Skipped,
            "the release day is a holiday",
            None,
            7,
        );
        assert!(matches!(&by_calendar[0], Effect::UpsertComment { body, .. }
            if body == "Closing: the release day is a holiday; this cycle has no release."));
        let nothing = close(
            3,
            "k",
            9,
            State::NoChanges,
            "no changes since v1.2.0, no release",
            None,
            7,
        );
        assert!(matches!(&nothing[0], Effect::UpsertComment { body, .. }
            if body.ends_with("(the release process ships only when something merged).")));
    }

    #[test]
    fn an_unchanged_body_is_not_written_a_changed_one_is_edited_and_a_lost_issue_opened() {
        let hash = body_hash("body", false);
        assert_ne!(hash, body_hash("body", true));
        assert_eq!(
            decide_write(1, Some(7), Some(&hash), "body", false, 5),
            Write::Unchanged { issue: 7 }
        );
        assert_eq!(
            decide_write(1, Some(7), Some(&hash), "new body", false, 5),
            Write::Edit {
                issue: 7,
                effects: vec![
                    Effect::EditIssueBody {
                        issue: 7,
                        body: "new body".into()
                    },
                    Effect::RecordBodyHash {
                        release_id: 1,
                        hash: body_hash("new body", false),
                        at_ms: 5
                    }
                ]
            }
        );
        // Closing changes the fingerprint, so the closing render is written once.
        assert!(matches!(
            decide_write(1, Some(7), Some(&hash), "body", true, 5),
            Write::Edit { .. }
        ));
        assert_eq!(
            decide_write(1, None, None, "body", false, 5),
            Write::Open { hash }
        );
    }
}
