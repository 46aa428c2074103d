//! The deployment request to Ops, as text: the version to deploy and why now (the release day it
//! is for, how long it soaked, or who expedited it), where to read more (tracking issue, GitHub
//! release, compare view), the rollback target, every change with the config changes authors
//! described, QA and sign-off, the dashboards. Pure.

use chrono::{DateTime, NaiveDate, Utc};

use super::changelog::Change;
use super::requirements::Signoff;
use crate::config::repo::Dashboard;

/// Why a version goes to production now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The train: it soaked on staging and this is its release day.
    ReleaseDay {
        day: NaiveDate,
        /// Filed after the release day, and why.
        late: Option<String>,
    },
    /// A hotfix or warmfix, at once.
    Fix { kind: String, why: Option<String> },
    /// The release manager asked for it before it soaked (`/deploy production now`).
    OnRequest { by: String },
}

/// What the request says.
#[derive(Debug, Clone)]
pub struct RequestView<'a> {
    pub repo: &'a str,
    pub version: &'a str,
    pub sha: &'a str,
    pub environment: &'a str,
    pub production: Option<&'a str>,
    pub reason: Reason,
    /// When the version reached staging, and how long ago that is.
    pub on_staging: Option<(DateTime<Utc>, String)>,
    pub requested_by: Option<&'a str>,
    /// Links: the tracking issue, the GitHub release, the compare view.
    pub tracking: Option<String>,
    pub release_url: Option<String>,
    pub compare_url: Option<String>,
    /// The changes; None when relman does not know what production runs.
    pub changes: Option<&'a [Change]>,
    pub config_changes: &'a [(Change, String)],
    pub qa_ok: Option<(String, DateTime<Utc>)>,
    pub qa_blockers: usize,
    pub signoffs: &'a [Signoff],
    pub dashboards: &'a [Dashboard],
}

fn human(date: NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}

/// The title.
pub fn request_title(view: &RequestView<'_>) -> String {
    let base = format!("Deploy {} {} to production", view.repo, view.version);
    match &view.reason {
        Reason::ReleaseDay { day, .. } => {
            format!("{base} (release day {})", day.format("%Y-%m-%d"))
        }
        Reason::Fix { kind, .. } => format!("{base} (expedited {kind})"),
        Reason::OnRequest { by } => format!("{base} (expedited on request of @{by})"),
    }
}

/// The body (without relman's marker).
pub fn render_request(view: &RequestView<'_>) -> String {
    let mut body = String::new();
    match &view.reason {
        Reason::ReleaseDay { day, late } => {
            if let Some(late) = late {
                body.push_str(&format!(
                    "> [!WARNING]\n> **Late**: this is the production release of {}; {late}\n\n",
                    human(*day)
                ));
            }
        }
        Reason::Fix { kind, why } => body.push_str(&format!(
            "> [!IMPORTANT]\n> **Expedited {kind}**{} — outside the regular release train.\n\n",
            why.as_deref().map(|w| format!(": {w}")).unwrap_or_default()
        )),
        Reason::OnRequest { by } => body.push_str(&format!(
            "> [!IMPORTANT]\n> **Expedited on request of @{by}**: the release manager asked for it before it soaked a whole cycle on staging.\n\n"
        )),
    }
    body.push_str(&format!(
        "Please deploy **{} {}** to **{}**.\n\n| | |\n|---|---|\n| deploy | `{}` ({}) |\n| production now (rollback target) | {} |\n",
        view.repo,
        view.version,
        view.environment,
        view.version,
        &view.sha[..view.sha.len().min(12)],
        view.production
            .map_or_else(|| "unknown".to_string(), |v| format!("`{v}`"))
    ));
    if let Reason::ReleaseDay { day, .. } = &view.reason {
        body.push_str(&format!("| release day | {} |\n", human(*day)));
    }
    if let Some((since, soaked)) = &view.on_staging {
        body.push_str(&format!(
            "| on staging since | {} ({soaked}) |\n",
            since.format("%a %-d %b %Y %H:%M UTC")
        ));
    }
    if let Some(who) = view.requested_by {
        body.push_str(&format!("| requested by | @{who} |\n"));
    }
    if let Some(url) = &view.tracking {
        body.push_str(&format!("| tracking issue | {url} |\n"));
    }
    if let Some(url) = &view.release_url {
        body.push_str(&format!("| GitHub release | {url} |\n"));
    }
    if let Some(url) = &view.compare_url {
        body.push_str(&format!("| compare with production | {url} |\n"));
    }
    match view.changes {
        None => body.push_str(
            "\n### Changes\n\nrelman does not know what production runs, so the changes could not be listed; check them before deploying.\n",
        ),
        Some(changes) => {
            body.push_str(&format!("\n### Changes ({})\n\n", changes.len()));
            if changes.is_empty() {
                body.push_str("No changes listed.\n");
            }
            for c in changes {
                body.push_str(&format!("- {}\n", c.line()));
            }
        }
    }
    body.push_str("\n### Config changes\n\n");
    if view.config_changes.is_empty() {
        body.push_str("None: no PR in this release ticked \"Requires a config change\".\n");
    }
    for (change, notes) in view.config_changes {
        body.push_str(&format!("- {}\n", change.line()));
        if notes.is_empty() {
            body.push_str(
                "  (ticked, but the author described nothing: ask them before deploying)\n",
            );
        }
        for line in notes.lines() {
            body.push_str(&format!("  > {line}\n"));
        }
    }
    body.push_str("\n### QA and sign-off\n\n");
    match &view.qa_ok {
        Some((by, at)) => body.push_str(&format!(
            "- QA: no blockers (@{by}, {})\n",
            at.format("%Y-%m-%d %H:%M UTC")
        )),
        None if view.qa_blockers == 0 => {
            body.push_str("- QA: no blockers reported while it was on staging\n")
        }
        None => body.push_str(&format!("- QA: {} blocker(s) open\n", view.qa_blockers)),
    }
    for s in view.signoffs {
        body.push_str(&format!(
            "- Signed off for production by @{} ({})\n",
            s.by,
            s.at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if !view.dashboards.is_empty() {
        body.push_str("\n### Dashboards to watch\n\n");
        for d in view.dashboards {
            body.push_str(&format!("- [{}]({})\n", d.name, d.url));
        }
    }
    body.push_str(&format!(
        "\n### Rollback\n\nIf production misbehaves after the deployment, redeploy {} and tell the release manager on the tracking issue.\n",
        view.production
            .map_or_else(|| "the previous version".to_string(), |v| format!("`{v}`"))
    ));
    body
}

/// Why a request comes after its release day: what people said after that day that made the
/// requirements hold (a sign-off, QA clearing its blockers), else a plain statement.
pub fn late_reason(
    day_ended: DateTime<Utc>,
    today: NaiveDate,
    day: NaiveDate,
    said: &[(&str, &str, DateTime<Utc>)],
) -> String {
    let late = (today - day).num_days();
    let days = if late == 1 {
        "1 day".to_string()
    } else {
        format!("{late} days")
    };
    let after: Vec<String> = said
        .iter()
        .filter(|(_, _, at)| *at >= day_ended)
        .map(|(what, who, at)| format!("{what} by @{who} on {}", at.format("%a %-d %b")))
        .collect();
    if after.is_empty() {
        format!(
            "it is filed {days} later, when its production requirements first held (they did not on the release day)."
        )
    } else {
        format!(
            "it is filed {days} later: the production requirements held only after {}.",
            after.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(reason: Reason) -> RequestView<'static> {
        RequestView {
            repo: "acme/web",
            version: "v2.1.0",
            sha: "0123456789abcdef0123",
            environment: "production",
            production: Some("v2.0.0"),
            reason,
            on_staging: None,
            requested_by: None,
            tracking: Some("https://github.com/acme/web/issues/7".into()),
            release_url: Some("https://github.com/acme/web/releases/tag/v2.1.0".into()),
            compare_url: Some("https://github.com/acme/web/compare/v2.0.0...v2.1.0".into()),
            changes: Some(&[]),
            config_changes: &[],
            qa_ok: None,
            qa_blockers: 0,
            signoffs: &[],
            dashboards: &[],
        }
    }

    #[test]
    fn a_release_day_request_names_its_day_and_links_back() {
        let day: NaiveDate = "2026-12-22".parse().expect("date");
        let v = view(Reason::ReleaseDay { day, late: None });
        assert_eq!(
            request_title(&v),
            "Deploy acme/web v2.1.0 to production (release day 2026-12-22)"
        );
        let body = render_request(&v);
        for line in [
            "| release day | Tue 22 Dec 2026 |",
            "| tracking issue | https://github.com/acme/web/issues/7 |",
            "| GitHub release | https://github.com/acme/web/releases/tag/v2.1.0 |",
            "| compare with production | https://github.com/acme/web/compare/v2.0.0...v2.1.0 |",
        ] {
            assert!(body.contains(line), "{line} missing from\n{body}");
        }
        assert!(!body.contains("Late"));
    }

    #[test]
    fn a_late_request_says_what_came_after_the_release_day() {
        let day: NaiveDate = "2026-12-22".parse().expect("date");
        let ended = DateTime::parse_from_rfc3339("2026-12-23T08:00:00Z")
            .expect("time")
            .to_utc();
        let why = late_reason(
            ended,
            "2026-12-24".parse().expect("date"),
            day,
            &[
                // On the release day itself: not why it is late.
                ("signed off", "alice", ended - chrono::Duration::hours(3)),
                (
                    "QA cleared its blockers",
                    "quinn",
                    ended + chrono::Duration::days(1),
                ),
            ],
        );
        assert_eq!(
            why,
            "it is filed 2 days later: the production requirements held only after QA cleared its blockers by @quinn on Thu 24 Dec."
        );
        let body = render_request(&view(Reason::ReleaseDay {
            day,
            late: Some(why),
        }));
        assert!(body.starts_with(
            "> [!WARNING]\n> **Late**: this is the production release of Tue 22 Dec 2026;"
        ));
    }

    #[test]
    fn an_expedited_request_says_who_asked() {
        let v = view(Reason::OnRequest { by: "alice".into() });
        assert_eq!(
            request_title(&v),
            "Deploy acme/web v2.1.0 to production (expedited on request of @alice)"
        );
        assert!(render_request(&v).contains("Expedited on request of @alice"));
    }
}
