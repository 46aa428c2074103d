//! One release's timeline (`/{owner}/{repo}/releases/{version}`): what happened to it, in order.
//! Pure: store rows in, events out.

use chrono_tz::Tz;

use super::views::Link;
use crate::domain::expedited::Kind;
use crate::domain::production::Deployed;
use crate::store::environments::DeploymentRequestRecord;
use crate::store::from_millis;
use crate::store::register::RegisterRow;
use crate::store::releases::{LogEntry, LogKind, ReleaseRecord};

/// What the store holds about one release.
#[derive(Debug, Clone)]
pub struct TimelineFacts {
    pub repo: String,
    pub timezone: Tz,
    pub release: ReleaseRecord,
    /// Its sign-offs, QA calls, release PR and health, under both of its keys.
    pub log: Vec<LogEntry>,
    pub staging: Vec<Deployed>,
    pub production: Vec<Deployed>,
    pub deployment_request: Option<DeploymentRequestRecord>,
    /// Hotfixes and warmfixes that replace it.
    pub replaced_by: Vec<RegisterRow>,
}

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEvent {
    /// `2026-12-08T17:00:00Z`, for `<time datetime>`.
    pub iso: String,
    /// Local to the repository.
    pub when: String,
    pub what: String,
    pub who: Option<String>,
    pub link: Option<Link>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineView {
    pub repo: String,
    pub title: String,
    pub kind: &'static str,
    pub events: Vec<TimelineEvent>,
}

fn event(
    ms: i64,
    tz: Tz,
    what: String,
    who: Option<String>,
    link: Option<Link>,
) -> (i64, TimelineEvent) {
    let at = from_millis(ms);
    (
        ms,
        TimelineEvent {
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            when: at
                .with_timezone(&tz)
                .format("%a %-d %b %Y %H:%M")
                .to_string(),
            what,
            who,
            link,
        },
    )
}

fn log_text(entry: &LogEntry) -> String {
    let env = entry
        .environment
        .map(|e| format!(" for {}", e.name()))
        .unwrap_or_default();
    match entry.entry {
        LogKind::Signoff => format!("signed off{env}"),
        LogKind::QaOk => "QA: ok".to_string(),
        LogKind::QaBlocker => format!(
            "QA blocker: {}",
            entry.text.as_deref().unwrap_or("(no text)")
        ),
        LogKind::QaClear => "QA blockers cleared".to_string(),
        LogKind::Healthy => "production watched and healthy".to_string(),
        LogKind::ReleasePr => format!("release PR #{} opened", entry.comment_id),
        LogKind::ReleasePrAbandoned => "release PR closed unmerged".to_string(),
    }
}

pub fn timeline(facts: &TimelineFacts, web_url: &str) -> TimelineView {
    let r = &facts.release;
    let tz = facts.timezone;
    let version = r
        .tag
        .clone()
        .or_else(|| r.version.clone())
        .unwrap_or_default();
    let mut events = Vec::new();
    let issue = r.issue_number.map(|n| Link {
        text: format!("#{n}"),
        url: format!("{web_url}/{}/issues/{n}", facts.repo),
    });
    let opened = match r.kind {
        Kind::Regular => format!(
            "tracking issue for the release day {} opened",
            r.scheduled_date
        ),
        kind => format!(
            "{} asked for: {}",
            kind.as_str(),
            r.reason.as_deref().unwrap_or("(no reason)")
        ),
    };
    // `requested_by` is who asked for an expedited release, and who cut a regular one.
    let (asked_by, cut_by) = match r.kind {
        Kind::Regular => (None, r.requested_by.clone()),
        _ => (r.requested_by.clone(), None),
    };
    events.push(event(r.created_at, tz, opened, asked_by, issue));
    if let Some(at) = r.released_at {
        let link = r.release_url.clone().map(|url| Link {
            text: format!("release {version}"),
            url,
        });
        events.push(event(at, tz, format!("cut {version}"), cut_by, link));
    }
    for entry in &facts.log {
        events.push(event(
            entry.at,
            tz,
            log_text(entry),
            Some(entry.actor.clone()),
            None,
        ));
    }
    let reached = |history: &[Deployed], env: &str| {
        history.iter().find(|d| d.version == version).map(|d| {
            event(
                d.at.timestamp_millis(),
                tz,
                format!("reached {env}"),
                None,
                None,
            )
        })
    };
    events.extend(reached(&facts.staging, "staging"));
    events.extend(reached(&facts.production, "production"));
    if let Some(d) = &facts.deployment_request
        && let Some(at) = d.deployed_at
    {
        let link = d.issue_url.clone().map(|url| Link {
            text: format!("{}#{}", d.target_repo, d.issue_number.unwrap_or_default()),
            url,
        });
        events.push(event(at, tz, "deployment request done".into(), None, link));
    }
    for fix in &facts.replaced_by {
        let link = fix.issue_number.map(|n| Link {
            text: format!("#{n}"),
            url: format!("{web_url}/{}/issues/{n}", facts.repo),
        });
        events.push(event(
            fix.created_at,
            tz,
            format!(
                "replaced by a {}{}",
                fix.kind.as_str(),
                fix.tag
                    .as_deref()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default()
            ),
            fix.requested_by.clone(),
            link,
        ));
    }
    events.sort_by_key(|(at, _)| *at);
    TimelineView {
        repo: facts.repo.clone(),
        title: if version.is_empty() {
            format!("Release {}", r.scheduled_date)
        } else {
            format!("Release {version}")
        },
        kind: r.kind.as_str(),
        events: events.into_iter().map(|(_, e)| e).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::requirements::Environment;
    use crate::store::releases::ReleaseState;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn ms(d: u32, h: u32) -> i64 {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn the_timeline_is_in_order_with_who_and_links() {
        let release = ReleaseRecord {
            id: 1,
            repo: "acme/web".into(),
            key: "regular:2026-11-24".into(),
            kind: Kind::Regular,
            scheduled_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            release_date: None,
            issue_number: Some(30),
            state: ReleaseState::Released,
            manager: Some("carol".into()),
            version: Some("1.4.0".into()),
            tag: Some("v1.4.0".into()),
            release_id: Some(9),
            release_url: Some("https://github.com/acme/web/releases/tag/v1.4.0".into()),
            sha: None,
            reason: None,
            requested_by: Some("carol".into()),
            body_hash: None,
            created_at: ms(23, 9),
            released_at: Some(ms(24, 18)),
        };
        let facts = TimelineFacts {
            repo: "acme/web".into(),
            timezone: chrono_tz::America::Los_Angeles,
            release,
            log: vec![LogEntry {
                entry: LogKind::Signoff,
                environment: Some(Environment::Staging),
                text: None,
                actor: "carol".into(),
                comment_id: 5,
                at: ms(24, 17),
            }],
            staging: vec![Deployed {
                version: "v1.4.0".into(),
                sha: None,
                at: crate::store::from_millis(ms(24, 19)),
                soak_from: None,
            }],
            production: vec![],
            deployment_request: None,
            replaced_by: vec![],
        };
        let view = timeline(&facts, "https://github.com");
        assert_eq!(view.title, "Release v1.4.0");
        let what: Vec<&str> = view.events.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "tracking issue for the release day 2026-11-24 opened",
                "signed off for staging",
                "cut v1.4.0",
                "reached staging"
            ]
        );
        assert_eq!(view.events[2].who.as_deref(), Some("carol"));
        assert_eq!(view.events[2].when, "Tue 24 Nov 2026 10:00");
        assert_eq!(
            view.events[0].link.as_ref().unwrap().url,
            "https://github.com/acme/web/issues/30"
        );
    }
}
