//! The board's page models: store rows, the stored config and "now" in, view structs out. Pure
//! (no store, no GitHub, no clock of its own), so what a page says is tested here.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::config::repo::RepoConfig;
use crate::domain::calendar::Calendar;
use crate::domain::calendar_view::{CalendarEntry, calendar_entries};
use crate::domain::expedited::Kind;
use crate::domain::ics::IcsHoliday;
use crate::domain::requirements::{Environment, Facts, State, evaluate};
use crate::domain::rotation::{AssignmentSource, Rotation, Swap};
use crate::handlers::release_facts::fold_log;
use crate::store::board::MergedPr;
use crate::store::environments::{DeploymentRequestRecord, EnvironmentVersion};
use crate::store::from_millis;
use crate::store::releases::{LogEntry, LogKind, ReleaseRecord, ReleaseState};

/// How many release days the calendar shows.
pub const CALENDAR_DAYS: usize = 12;

/// What the store holds about one repository, read for one page view.
#[derive(Debug, Clone)]
pub struct RepoFacts {
    /// `owner/name` as relman stores it.
    pub repo: String,
    pub private: bool,
    /// The secret of the repository's calendar feed, if one was made.
    pub calendar_token: Option<String>,
    pub config: RepoConfig,
    pub holidays: Vec<IcsHoliday>,
    pub swaps: Vec<Swap>,
    pub staging: Option<EnvironmentVersion>,
    pub production: Option<EnvironmentVersion>,
    pub releases: Vec<ReleaseRecord>,
    /// The request filed for the version waiting for production, if any.
    pub deployment_request: Option<DeploymentRequestRecord>,
    /// The sign-offs and QA calls of the current release day (staging) …
    pub staging_log: Vec<LogEntry>,
    /// … and of the version waiting for production.
    pub production_log: Vec<LogEntry>,
    /// The pull requests staging runs and production does not (read for the repository page
    /// only, in [`unreleased_window`]).
    pub between: Vec<MergedPr>,
}

/// One requirement of one environment, as the store lets the board judge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementView {
    pub environment: &'static str,
    pub requirement: &'static str,
    pub icon: &'static str,
    pub reason: String,
    pub fix: Option<String>,
}

/// A sign-off or QA call, with who and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallView {
    pub what: String,
    pub who: String,
    pub when: String,
}

/// A link with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub text: String,
    pub url: String,
}

/// One release day on the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayView {
    /// `2026-12-08`, for `<time datetime>`.
    pub iso: String,
    /// `Tue 8 Dec 2026`.
    pub date: String,
    pub manager: String,
    /// Empty, `override` or `swap`: why this person and not the rotation's turn.
    pub manager_by: &'static str,
    /// Moved or skipped, and why.
    pub note: Option<String>,
    pub skipped: bool,
}

/// What an environment runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvView {
    pub name: String,
    /// `—` when relman has not seen a deploy yet.
    pub version: String,
    pub since: Option<String>,
}

/// The version that ran on staging and not yet on production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingView {
    pub version: String,
    pub since: String,
}

/// An open hotfix or warmfix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpeditedView {
    pub kind: &'static str,
    pub reason: String,
    pub requested_by: Option<String>,
    pub issue: Option<Link>,
}

/// A slash command the page suggests, and where to type it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandView {
    pub command: String,
    pub what: String,
    pub place: Link,
}

/// The deployment request of the waiting version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployRequestView {
    pub version: String,
    pub state: &'static str,
    pub issue: Option<Link>,
}

/// A repository's line on `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSummary {
    pub repo: String,
    /// `/owner/name`.
    pub href: String,
    pub next_day: Option<DayView>,
    pub staging: EnvView,
    pub production: EnvView,
    pub waiting: Option<WaitingView>,
    pub expedited: Vec<ExpeditedView>,
    /// Both environments' requirements of the current release.
    pub requirements: Vec<RequirementView>,
}

impl RepoSummary {
    /// `staging ✅⏳ · production ❌`: the states at a glance.
    pub fn requirement_icons(&self) -> String {
        ["staging", "production"]
            .iter()
            .filter_map(|env| {
                let icons: String = self
                    .requirements
                    .iter()
                    .filter(|r| r.environment == *env)
                    .map(|r| r.icon)
                    .collect();
                (!icons.is_empty()).then(|| format!("{env} {icons}"))
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// `/{owner}/{repo}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoPage {
    pub summary: RepoSummary,
    pub timezone: String,
    pub calendar: Vec<DayView>,
    pub rotation: Vec<String>,
    pub tracking_issue: Option<Link>,
    pub deployment_request: Option<DeployRequestView>,
    pub links: Vec<Link>,
    /// The calendar feed to subscribe to (a path on relman); None until `relman calendar-url`
    /// made a secret one for a private repository.
    pub calendar_feed: Option<String>,
    pub calls: Vec<CallView>,
    /// The latest releases, newest first, each to its timeline.
    pub recent: Vec<Link>,
    pub commands: Vec<CommandView>,
    /// The pull requests between production and staging, oldest first.
    pub between: Vec<PrView>,
}

/// A merged pull request, linked on GitHub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrView {
    pub number: u64,
    pub url: String,
    pub merged: String,
}

/// How many releases the repository page links to.
pub const RECENT_RELEASES: usize = 8;

fn long_date(date: NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}

fn local_time(ms: i64, tz: Tz) -> String {
    from_millis(ms)
        .with_timezone(&tz)
        .format("%a %-d %b %Y %H:%M")
        .to_string()
}

fn day_view(entry: &CalendarEntry) -> DayView {
    let day = &entry.day;
    let shown = day.date.unwrap_or(day.scheduled);
    let note = day.reason.as_ref().map(|reason| match day.date {
        Some(date) if date != day.scheduled => {
            format!(
                "moved from {}: {}",
                long_date(day.scheduled),
                reason.holiday()
            )
        }
        _ => reason.to_string(),
    });
    DayView {
        iso: shown.to_string(),
        date: long_date(shown),
        manager: entry.release_manager.manager.clone(),
        manager_by: match entry.release_manager.source {
            AssignmentSource::Rotation => "",
            AssignmentSource::Override => "override",
            AssignmentSource::Swap => "swap",
        },
        note,
        skipped: day.is_skipped(),
    }
}

fn env_view(name: &str, seen: Option<&EnvironmentVersion>, tz: Tz) -> EnvView {
    EnvView {
        name: name.to_string(),
        version: seen
            .and_then(|v| v.version.clone().or_else(|| v.sha.clone()))
            .unwrap_or_else(|| "—".to_string()),
        since: seen.map(|v| local_time(v.at, tz)),
    }
}

fn same_tag(a: &str, b: &str) -> bool {
    a.trim_start_matches('v') == b.trim_start_matches('v')
}

/// Which merges staging runs and production does not, as `(after, until]` in epoch
/// milliseconds: a merge ships in the first regular release cut at or after it
/// (`domain::stats::shipped_merges`), so the window runs from production's release's cut to
/// staging's. When production's release is not in the register (installed later), the window is
/// the staging release's own changes, from the regular cut before it. None when both run the
/// same version or staging's release is unknown.
pub fn unreleased_window(
    releases: &[ReleaseRecord],
    staging: Option<&EnvironmentVersion>,
    production: Option<&EnvironmentVersion>,
) -> Option<(Option<i64>, i64)> {
    let staged = waiting_for_production(staging, production)?
        .version
        .as_deref()?;
    let cut_of = |version: &str| {
        releases
            .iter()
            .filter(|r| r.tag.as_deref().is_some_and(|t| same_tag(t, version)))
            .find_map(|r| r.released_at)
    };
    let until = cut_of(staged)?;
    let after = production
        .and_then(|p| p.version.as_deref())
        .and_then(cut_of)
        .filter(|at| *at < until)
        .or_else(|| {
            releases
                .iter()
                .filter(|r| r.kind == Kind::Regular)
                .filter_map(|r| r.released_at)
                .filter(|at| *at < until)
                .max()
        });
    Some((after, until))
}

/// The staging version production does not run yet. The full production plan (soak, due day,
/// replaced by a fix) is the handlers' `domain::production`; the board shows what the store
/// knows: both environments' versions and when staging got its own.
pub fn waiting_for_production<'a>(
    staging: Option<&'a EnvironmentVersion>,
    production: Option<&EnvironmentVersion>,
) -> Option<&'a EnvironmentVersion> {
    let staging = staging?;
    let version = staging.version.as_deref()?;
    let same = production.and_then(|p| p.version.as_deref()) == Some(version);
    (!same).then_some(staging)
}

fn issue_link(web_url: &str, repo: &str, number: Option<u64>, text: &str) -> Option<Link> {
    number.map(|n| Link {
        text: format!("{text} #{n}"),
        url: format!("{web_url}/{repo}/issues/{n}"),
    })
}

/// The requirements of both environments from what the store knows: sign-offs, QA calls, the
/// holiday, the release manager. Test results live on GitHub, so `tests` shows as pending here
/// with where to see it; the tracking issue has the live gate.
pub fn requirements(
    facts: &RepoFacts,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Vec<RequirementView> {
    let today = now.with_timezone(&calendar.timezone()).date_naive();
    let rotation = Rotation::from_config(&facts.config, calendar);
    let manager = current_release(facts)
        .and_then(|r| r.manager.clone())
        .unwrap_or_else(|| rotation.manager_on(today, calendar, &facts.swaps).manager);
    let mut out = Vec::new();
    for (env, log) in [
        (Environment::Staging, &facts.staging_log),
        (Environment::Production, &facts.production_log),
    ] {
        let (signoffs, qa_blockers, qa_ok) = fold_log(log);
        let known = Facts {
            sha: String::new(),
            checks: Vec::new(),
            statuses: Vec::new(),
            signoffs,
            qa_blockers,
            qa_ok,
            holiday: calendar.holiday_on(today),
            release_manager: Some(manager.clone()),
        };
        for verdict in evaluate(env, &facts.config.requirements, &known) {
            let tests = verdict.requirement == crate::config::repo::Requirement::Tests;
            let state = if tests { State::Pending } else { verdict.state };
            out.push(RequirementView {
                environment: env.name(),
                requirement: verdict.requirement.name(),
                icon: state.icon(),
                reason: if tests {
                    "the checks on the release commit, read from GitHub when the gate runs".into()
                } else {
                    verdict.reason
                },
                fix: if tests {
                    Some("`/release status` on the tracking issue shows them".into())
                } else {
                    verdict.fix
                },
            });
        }
    }
    out
}

/// The release the train works on: the earliest regular one still open.
fn current_release(facts: &RepoFacts) -> Option<&ReleaseRecord> {
    facts
        .releases
        .iter()
        .filter(|r| r.kind == Kind::Regular && r.state == ReleaseState::Open)
        .min_by_key(|r| r.scheduled_date)
}

fn calls(facts: &RepoFacts, tz: Tz) -> Vec<CallView> {
    let mut entries: Vec<&LogEntry> = facts
        .staging_log
        .iter()
        .chain(&facts.production_log)
        .collect();
    entries.sort_by_key(|e| e.at);
    entries
        .into_iter()
        .filter_map(|e| {
            let env = e
                .environment
                .map(|e| format!(" ({})", e.name()))
                .unwrap_or_default();
            let what = match e.entry {
                LogKind::Signoff => format!("/signoff{env}"),
                LogKind::QaOk => "/qa ok".to_string(),
                LogKind::QaBlocker => format!("/qa blocker {}", e.text.as_deref().unwrap_or("")),
                LogKind::QaClear => "/qa clear".to_string(),
                LogKind::Healthy => "/release healthy".to_string(),
                LogKind::ReleasePr | LogKind::ReleasePrAbandoned => return None,
            };
            Some(CallView {
                what,
                who: e.actor.clone(),
                when: local_time(e.at, tz),
            })
        })
        .collect()
}

/// `/`'s line for one repository.
pub fn summary(facts: &RepoFacts, web_url: &str, now: DateTime<Utc>) -> RepoSummary {
    let calendar = Calendar::from_config(&facts.config, &facts.holidays);
    let rotation = Rotation::from_config(&facts.config, &calendar);
    let tz = calendar.timezone();
    let today = now.with_timezone(&tz).date_naive();
    let next_day = calendar_entries(&calendar, &rotation, &facts.swaps, today, CALENDAR_DAYS)
        .iter()
        .find(|e| !e.day.is_skipped())
        .map(day_view);
    let envs = &facts.config.environments;
    let waiting = waiting_for_production(facts.staging.as_ref(), facts.production.as_ref())
        .and_then(|s| {
            Some(WaitingView {
                version: s.version.clone()?,
                since: local_time(s.at, tz),
            })
        });
    let expedited = facts
        .releases
        .iter()
        .filter(|r| r.kind != Kind::Regular && r.state == ReleaseState::Open)
        .map(|r| ExpeditedView {
            kind: r.kind.as_str(),
            reason: r.reason.clone().unwrap_or_default(),
            requested_by: r.requested_by.clone(),
            issue: issue_link(web_url, &facts.repo, r.issue_number, "issue"),
        })
        .collect();
    RepoSummary {
        repo: facts.repo.clone(),
        href: format!("/{}", facts.repo),
        next_day,
        staging: env_view(&envs.staging.name, facts.staging.as_ref(), tz),
        production: env_view(&envs.production.name, facts.production.as_ref(), tz),
        waiting,
        expedited,
        requirements: requirements(facts, &calendar, now),
    }
}

/// `/{owner}/{repo}`.
pub fn repo_page(facts: &RepoFacts, web_url: &str, now: DateTime<Utc>) -> RepoPage {
    let summary = summary(facts, web_url, now);
    let calendar = Calendar::from_config(&facts.config, &facts.holidays);
    let rotation = Rotation::from_config(&facts.config, &calendar);
    let today = now.with_timezone(&calendar.timezone()).date_naive();
    let days: Vec<DayView> =
        calendar_entries(&calendar, &rotation, &facts.swaps, today, CALENDAR_DAYS)
            .iter()
            .map(day_view)
            .collect();
    let current = current_release(facts);
    let tracking_issue = current.and_then(|r| {
        issue_link(
            web_url,
            &facts.repo,
            r.issue_number,
            &format!("Release {}", r.scheduled_date),
        )
    });
    let deployment_request = facts
        .deployment_request
        .as_ref()
        .map(|d| DeployRequestView {
            version: d.version.clone(),
            state: if d.deployed_at.is_some() {
                "deployed"
            } else if d.issue_number.is_some() {
                "requested"
            } else {
                "being filed"
            },
            issue: issue_link(web_url, &d.target_repo, d.issue_number, &d.target_repo),
        });
    let mut links = vec![Link {
        text: "Releases".into(),
        url: format!("{web_url}/{}/releases", facts.repo),
    }];
    let latest = facts
        .releases
        .iter()
        .filter(|r| r.state == ReleaseState::Released)
        .filter_map(|r| Some((r.released_at?, r)))
        .max_by_key(|(at, _)| *at)
        .map(|(_, r)| r);
    if let Some(url) = latest.and_then(|r| r.release_url.clone()) {
        links.push(Link {
            text: format!(
                "Latest release {}",
                latest.and_then(|r| r.tag.clone()).unwrap_or_default()
            ),
            url,
        });
    }
    if let (Some(prod), Some(stage)) = (
        facts.production.as_ref().and_then(|p| p.version.as_deref()),
        facts.staging.as_ref().and_then(|s| s.version.as_deref()),
    ) && prod != stage
    {
        links.push(Link {
            text: format!("Changes {prod}…{stage}"),
            url: format!("{web_url}/{}/compare/{prod}...{stage}", facts.repo),
        });
    }
    let tz = calendar.timezone();
    let between = facts
        .between
        .iter()
        .map(|pr| PrView {
            number: pr.number,
            url: format!("{web_url}/{}/pull/{}", facts.repo, pr.number),
            merged: local_time(pr.merged_at, tz),
        })
        .collect();
    let mut released: Vec<&ReleaseRecord> = facts
        .releases
        .iter()
        .filter(|r| r.tag.is_some() && r.released_at.is_some())
        .collect();
    released.sort_by_key(|r| std::cmp::Reverse(r.released_at));
    let recent = released
        .iter()
        .take(RECENT_RELEASES)
        .filter_map(|r| {
            let tag = r.tag.as_deref()?;
            Some(Link {
                text: format!("{tag} ({})", r.kind.as_str()),
                url: format!("/{}/releases/{tag}", facts.repo),
            })
        })
        .collect();
    let commands = commands(&facts.repo, web_url, tracking_issue.as_ref(), &summary);
    RepoPage {
        timezone: calendar.timezone().name().to_string(),
        calendar: days,
        rotation: rotation.members().to_vec(),
        tracking_issue,
        deployment_request,
        links,
        calls: calls(facts, calendar.timezone()),
        calendar_feed: match (&facts.calendar_token, facts.private) {
            // Whoever can read the repository may hold its secret link: it shows only the
            // calendar, which the page shows too.
            (Some(token), _) => Some(format!("/calendar/{}/{token}.ics", facts.repo)),
            (None, false) => Some(format!("/calendar/{}.ics", facts.repo)),
            (None, true) => None,
        },
        recent,
        commands,
        between,
        summary,
    }
}

/// The actions of the moment as slash commands, with where to type them: actions stay on
/// GitHub, where permissions and the audit trail live.
fn commands(
    repo: &str,
    web_url: &str,
    tracking: Option<&Link>,
    summary: &RepoSummary,
) -> Vec<CommandView> {
    let any_issue = Link {
        text: format!("any issue of {repo}"),
        url: format!("{web_url}/{repo}/issues"),
    };
    let mut out = Vec::new();
    let mut add = |command: &str, what: &str, place: &Link| {
        out.push(CommandView {
            command: command.to_string(),
            what: what.to_string(),
            place: place.clone(),
        });
    };
    if let Some(issue) = tracking {
        add(
            "/release status",
            "refresh the tracking issue and show the gate",
            issue,
        );
        add("/signoff", "sign off (release manager)", issue);
        add("/qa ok", "QA passes the soaked version", issue);
        add("/qa blocker <what>", "QA blocks production", issue);
        add("/release", "cut the release (release manager)", issue);
        add("/skip <why>", "skip this cycle (release manager)", issue);
        if summary.waiting.is_some() {
            add(
                "/deploy production",
                "ask Ops for production now for the soaked version",
                issue,
            );
        }
    }
    add("/hotfix <why>", "open a hotfix release", &any_issue);
    add("/warmfix <why>", "open a warmfix release", &any_issue);
    add("/rotation", "show the rotation", &any_issue);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::parse_repo_config;
    use chrono::TimeZone;

    const CONFIG: &str = "
timezone: America/Los_Angeles
schedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }
holidays: { dates: [2026-12-22], on_holiday: next_business_day }
rotation: { every: month, starts: 2026-01, members: [alice, bob, carol], overrides: { \"2027-01\": dave } }
";

    fn env(name: &str, version: &str, at: DateTime<Utc>) -> EnvironmentVersion {
        EnvironmentVersion {
            environment: name.into(),
            sha: None,
            version: Some(version.into()),
            source: "deployment_status".into(),
            deployment_id: None,
            at: at.timestamp_millis(),
        }
    }

    fn release(kind: Kind, scheduled: NaiveDate, issue: u64) -> ReleaseRecord {
        ReleaseRecord {
            id: 1,
            repo: "acme/web".into(),
            key: "k".into(),
            kind,
            scheduled_date: scheduled,
            release_date: None,
            issue_number: Some(issue),
            state: ReleaseState::Open,
            manager: None,
            version: None,
            tag: None,
            release_id: None,
            release_url: None,
            sha: None,
            reason: (kind != Kind::Regular).then(|| "checkout is down".into()),
            requested_by: Some("bob".into()),
            body_hash: None,
            created_at: 0,
            released_at: None,
        }
    }

    fn facts() -> RepoFacts {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 18, 0, 0).unwrap();
        RepoFacts {
            repo: "acme/web".into(),
            private: true,
            calendar_token: None,
            config: parse_repo_config("relman.yml", CONFIG).unwrap(),
            holidays: vec![],
            swaps: vec![],
            staging: Some(env("staging", "v1.4.0", at)),
            production: Some(env("production", "v1.3.0", at)),
            releases: vec![
                release(
                    Kind::Regular,
                    NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
                    41,
                ),
                release(
                    Kind::Hotfix,
                    NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
                    42,
                ),
            ],
            deployment_request: None,
            between: vec![],
            staging_log: vec![],
            production_log: vec![LogEntry {
                entry: LogKind::QaBlocker,
                environment: Some(Environment::Production),
                text: Some("EU cards declined".into()),
                actor: "quinn".into(),
                comment_id: 7,
                at: now().timestamp_millis(),
            }],
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 20, 0, 0).unwrap()
    }

    #[test]
    fn the_summary_says_the_next_day_its_manager_and_what_runs_where() {
        let s = summary(&facts(), "https://github.com", now());
        let next = s.next_day.unwrap();
        assert_eq!(next.date, "Tue 8 Dec 2026");
        assert_eq!(next.manager, "carol");
        assert_eq!(s.staging.version, "v1.4.0");
        assert_eq!(s.production.version, "v1.3.0");
        let waiting = s.waiting.unwrap();
        assert_eq!(waiting.version, "v1.4.0");
        assert_eq!(waiting.since, "Tue 1 Dec 2026 10:00");
        assert_eq!(s.expedited.len(), 1);
        assert_eq!(s.expedited[0].kind, "hotfix");
        assert_eq!(
            s.expedited[0].issue.as_ref().unwrap().url,
            "https://github.com/acme/web/issues/42"
        );
    }

    #[test]
    fn the_calendar_shows_twelve_days_with_the_holiday_move_and_the_override() {
        let page = repo_page(&facts(), "https://github.com", now());
        assert_eq!(page.calendar.len(), CALENDAR_DAYS);
        let moved = &page.calendar[1];
        assert_eq!(moved.date, "Wed 23 Dec 2026");
        let note = moved.note.as_deref().unwrap();
        assert!(note.starts_with("moved from Tue 22 Dec 2026"), "{note}");
        let january = &page.calendar[2];
        assert_eq!(january.manager, "dave");
        assert_eq!(january.manager_by, "override");
        assert_eq!(page.rotation, ["alice", "bob", "carol"]);
        assert_eq!(page.timezone, "America/Los_Angeles");
        assert_eq!(
            page.calendar_feed, None,
            "private, and no secret link made yet"
        );
        let mut public = facts();
        public.private = false;
        let page = repo_page(&public, "https://github.com", now());
        assert_eq!(
            page.calendar_feed.as_deref(),
            Some("/calendar/acme/web.ics")
        );
    }

    #[test]
    fn actions_are_slash_commands_on_the_tracking_issue() {
        let page = repo_page(&facts(), "https://github.com", now());
        let tracking = page.tracking_issue.clone().unwrap();
        assert_eq!(tracking.url, "https://github.com/acme/web/issues/41");
        let release = page
            .commands
            .iter()
            .find(|c| c.command == "/release")
            .unwrap();
        assert_eq!(release.place, tracking);
        assert!(
            page.commands
                .iter()
                .any(|c| c.command == "/deploy production")
        );
        assert!(
            page.links
                .iter()
                .any(|l| l.url == "https://github.com/acme/web/compare/v1.3.0...v1.4.0")
        );
    }

    #[test]
    fn requirements_show_the_qa_blocker_and_leave_tests_to_github() {
        let page = repo_page(&facts(), "https://github.com", now());
        let qa = page
            .summary
            .requirements
            .iter()
            .find(|r| r.environment == "production" && r.requirement == "qa")
            .unwrap();
        assert_eq!(qa.icon, "❌");
        assert!(qa.reason.contains("EU cards declined"), "{}", qa.reason);
        let tests = page
            .summary
            .requirements
            .iter()
            .find(|r| r.requirement == "tests")
            .unwrap();
        assert_eq!(tests.icon, "⏳");
        let signoff = page
            .summary
            .requirements
            .iter()
            .find(|r| r.environment == "staging" && r.requirement == "signoff")
            .unwrap();
        assert_eq!(signoff.icon, "⏳");
        assert_eq!(
            page.summary.requirement_icons(),
            "staging ⏳⏳✅ · production ⏳❌⏳✅"
        );
        assert_eq!(page.calls.len(), 1);
        assert_eq!(page.calls[0].what, "/qa blocker EU cards declined");
        assert_eq!(page.calls[0].who, "quinn");
    }

    #[test]
    fn nothing_waits_when_production_runs_what_staging_runs() {
        let at = now();
        let staging = env("staging", "v1.4.0", at);
        let production = env("production", "v1.4.0", at);
        assert!(waiting_for_production(Some(&staging), Some(&production)).is_none());
        assert!(waiting_for_production(Some(&staging), None).is_some());
        assert!(waiting_for_production(None, Some(&production)).is_none());
    }

    #[test]
    fn the_prs_between_production_and_staging_run_from_one_cut_to_the_next() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 18, 0, 0).unwrap();
        let cut = |tag: &str, day: u32| ReleaseRecord {
            tag: Some(tag.into()),
            state: ReleaseState::Released,
            released_at: Some(
                Utc.with_ymd_and_hms(2026, 11, day, 18, 0, 0)
                    .unwrap()
                    .timestamp_millis(),
            ),
            ..release(
                Kind::Regular,
                NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
                1,
            )
        };
        let ms = |day: u32| {
            Utc.with_ymd_and_hms(2026, 11, day, 18, 0, 0)
                .unwrap()
                .timestamp_millis()
        };
        let releases = [cut("v1.2.0", 3), cut("v1.3.0", 10), cut("v1.4.0", 24)];
        let staging = env("staging", "v1.4.0", at);
        // Production two releases behind: both releases' changes.
        let production = env("production", "v1.2.0", at);
        assert_eq!(
            unreleased_window(&releases, Some(&staging), Some(&production)),
            Some((Some(ms(3)), ms(24)))
        );
        // Production's version unknown to the register: the staging release's own changes.
        let production = env("production", "v0.9.0", at);
        assert_eq!(
            unreleased_window(&releases, Some(&staging), Some(&production)),
            Some((Some(ms(10)), ms(24)))
        );
        // Tags with or without the `v`.
        let staging = env("staging", "1.4.0", at);
        assert_eq!(
            unreleased_window(&releases, Some(&staging), None),
            Some((Some(ms(10)), ms(24)))
        );
        // The same version on both: nothing between.
        let production = env("production", "v1.4.0", at);
        let staging = env("staging", "v1.4.0", at);
        assert_eq!(
            unreleased_window(&releases, Some(&staging), Some(&production)),
            None
        );

        let mut facts = facts();
        facts.between = vec![MergedPr {
            number: 101,
            merged_at: ms(20),
        }];
        let page = repo_page(&facts, "https://github.com", now());
        assert_eq!(
            page.between,
            [PrView {
                number: 101,
                url: "https://github.com/acme/web/pull/101".into(),
                merged: "Fri 20 Nov 2026 10:00".into(),
            }]
        );
    }
}
