//! Expedited releases, the seed's "time sensitive releases": a warmfix (a patch on what staging
//! runs) or a hotfix (a patch on what production runs, tested on staging too). Which planned
//! release one replaces, its version, how a picked pull request applies to its branch, and its
//! tracking issue. Pure: the handler gathers the facts and acts on the result.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, Duration, NaiveDate};
use semver::Version;

use super::calendar::Calendar;
use super::changelog::escape_inline;
use super::requirements::{Environment, Verdict, render_gate};
use super::stats::QuarterRate;
use crate::config::repo::Dashboard;

pub use super::release_kind::Kind;

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The register key of an expedited release: one per kind and version.
pub fn expedited_key(kind: Kind, version: &Version) -> String {
    format!("{}:{version}", kind.as_str())
}

/// The branch an expedited release is built on.
pub fn branch_of(tag: &str) -> String {
    format!("hotfix/{tag}")
}

/// `Hotfix v1.2.1: checkout fails for EU cards`.
pub fn expedited_title(kind: Kind, tag: &str, reason: &str) -> String {
    format!("{} {tag}: {}", kind.title_word(), escape_inline(reason))
}

/// The version of an expedited release on `base`: the next patch that no tag or earlier
/// expedited release has taken (a second hotfix on the same production version gets the next
/// patch, not a clash).
pub fn expedited_version<'a>(
    base: &Version,
    taken: impl IntoIterator<Item = &'a Version>,
) -> Version {
    let taken: BTreeSet<&Version> = taken.into_iter().collect();
    let mut next = Version::new(base.major, base.minor, base.patch + 1);
    while taken.contains(&next) {
        next.patch += 1;
    }
    next
}

/// The Monday of the week `date` falls in.
pub fn week_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// A planned release an expedited one replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaces {
    /// The scheduled date of the regular release (its register key's date).
    pub scheduled: NaiveDate,
    /// The day the regular release happens.
    pub date: NaiveDate,
    /// Which of its deployments: staging (a warmfix) or production (a hotfix).
    pub environment: Environment,
    /// The Monday of the week it happens in.
    pub week: NaiveDate,
}

/// The environment a fix's recorded replacement names (`replaces_env` in the register: what
/// [`Environment::name`] wrote); anything else is no environment.
pub fn replaced_environment(name: Option<&str>) -> Option<Environment> {
    [Environment::Staging, Environment::Production]
        .into_iter()
        .find(|e| Some(e.name()) == name)
}

/// The seed's fix table: a fix asked for in the release week (from the Monday, in the
/// repository's time zone, up to the release day itself) replaces that day's planned release — its
/// staging release for a warmfix, its production release for a hotfix. A fix asked for in the
/// week between release days (which starts the day after a release day) replaces nothing: the
/// train goes on as planned. (The seed numbers
/// the fix table's weeks from the week before the release day, its first table's from the
/// release day; relman speaks of the release week and the week between instead.)
pub fn replaces(calendar: &Calendar, kind: Kind, requested_on: NaiveDate) -> Option<Replaces> {
    let environment = match kind {
        Kind::Regular => return None,
        Kind::Warmfix => Environment::Staging,
        Kind::Hotfix => Environment::Production,
    };
    let week = week_of(requested_on);
    let cycle = calendar.cycle_on_or_before(requested_on);
    // A day moved by a holiday may land in the next week, so look one cycle either side.
    (cycle - 1..=cycle + 1)
        .filter_map(|c| calendar.release_day(c))
        .find_map(|day| {
            let date = day.date?;
            (week_of(date) == week && date >= requested_on).then_some(Replaces {
                scheduled: day.scheduled,
                date,
                environment,
                week,
            })
        })
}

/// A file of a git tree: its mode and blob (or sub-module commit) sha.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFile {
    pub mode: String,
    pub sha: String,
}

/// A flattened tree: path → file.
pub type Files = BTreeMap<String, TreeFile>;

/// How one picked commit applies to the branch head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickPlan {
    /// Set each path to the file (None: delete it).
    Apply(Vec<(String, Option<TreeFile>)>),
    /// The branch has every change of the commit already.
    AlreadyApplied,
    /// These paths changed on the branch since the commit's parent, differently.
    Conflict(Vec<String>),
}

/// Cherry-picks the change from `parent` to `picked` onto `head`, file by file: a path the
/// commit changed applies when the branch still has the parent's version, is already there when
/// the branch has the commit's version, and conflicts otherwise (relman does not merge inside a
/// file: that is for a person, who resolves it on the branch).
pub fn plan_pick(parent: &Files, picked: &Files, head: &Files) -> PickPlan {
    let paths: BTreeSet<&String> = parent.keys().chain(picked.keys()).collect();
    let mut apply = Vec::new();
    let mut conflicts = Vec::new();
    for path in paths {
        let (before, after) = (parent.get(path), picked.get(path));
        if before == after {
            continue;
        }
        let now = head.get(path);
        if now == after {
            continue;
        }
        if now == before {
            apply.push((path.clone(), after.cloned()));
        } else {
            conflicts.push(path.clone());
        }
    }
    if !conflicts.is_empty() {
        PickPlan::Conflict(conflicts)
    } else if apply.is_empty() {
        PickPlan::AlreadyApplied
    } else {
        PickPlan::Apply(apply)
    }
}

/// The trailer `git cherry-pick -x` writes; relman writes it too, so a pick made by hand (to
/// resolve a conflict) and one relman made are recognised alike.
pub fn cherry_picked_trailer(sha: &str) -> String {
    format!("(cherry picked from commit {sha})")
}

/// The commits `message` says it was cherry-picked from.
pub fn cherry_picked_from(message: &str) -> Vec<String> {
    message
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("(cherry picked from commit ")?
                .strip_suffix(')')
                .map(str::to_string)
        })
        .collect()
}

/// A pull request named with `/release include`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub number: u64,
    pub title: String,
    pub author: Option<String>,
    pub merge_sha: String,
}

/// Where an expedited release stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpeditedStage {
    Open,
    Released {
        tag: String,
        url: String,
    },
    /// Abandoned with `/skip`.
    Skipped {
        reason: String,
    },
}

/// How far an expedited release got, for its checklist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub on_staging: bool,
    pub qa_ok: bool,
    pub in_production: bool,
}

/// Everything an expedited release's tracking issue shows.
#[derive(Debug, Clone)]
pub struct ExpeditedView<'a> {
    pub kind: Kind,
    pub tag: &'a str,
    pub base_tag: &'a str,
    pub branch: &'a str,
    pub reason: &'a str,
    pub requested_by: &'a str,
    /// The issue or pull request it was asked for on.
    pub origin: Option<u64>,
    pub manager: Option<&'a str>,
    pub stage: ExpeditedStage,
    pub picks: &'a [Pick],
    pub progress: Progress,
    pub gates: &'a [(Environment, Vec<Verdict>)],
    pub replaces: Option<&'a Replaces>,
    pub staging: Option<&'a str>,
    pub production: Option<&'a str>,
    pub dashboards: &'a [Dashboard],
    pub short_circuit: Option<&'a QuarterRate>,
}

fn human(date: NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}

fn checkbox(done: bool) -> &'static str {
    if done { "- [x]" } else { "- [ ]" }
}

/// The tracking issue body of an expedited release.
pub fn render_expedited(view: &ExpeditedView<'_>) -> String {
    let kind = view.kind;
    let manager = view
        .manager
        .map_or_else(|| "nobody (no rotation)".to_string(), |m| format!("@{m}"));
    let mut out = format!(
        "**{}:** {} · **From:** `{}` (what {} runs) · **Release manager:** {manager}\n",
        kind.title_word(),
        view.tag,
        view.base_tag,
        kind.base_environment().name()
    );
    let origin = view
        .origin
        .map_or_else(String::new, |n| format!(" on #{n}"));
    out.push_str(&format!(
        "\nAsked for by @{}{origin}: {}\n",
        view.requested_by,
        escape_inline(view.reason)
    ));
    out.push_str(&format!(
        "\n> [!NOTE]\n> {}\n",
        replacement_text(kind, view.replaces)
    ));

    out.push_str("\n### Status\n\n");
    match &view.stage {
        ExpeditedStage::Open => out.push_str(&format!(
            "⏳ Not released yet. {manager} names the fixes with `/release include #N …`, then comments `/release`.\n"
        )),
        ExpeditedStage::Released { tag, url } => out.push_str(&format!(
            "✅ Released as [{tag}]({url}) from `{}`.\n",
            view.branch
        )),
        ExpeditedStage::Skipped { reason } => {
            out.push_str(&format!("⏭️ Abandoned: {}\n", escape_inline(reason)));
            return out;
        }
    }

    out.push_str(&format!("\n### Fixes ({})\n\n", view.picks.len()));
    if view.picks.is_empty() {
        out.push_str("None named yet: `/release include #12 #13` names the merged pull requests to cherry-pick.\n");
    } else {
        for p in view.picks {
            out.push_str(&format!("- #{} {}", p.number, escape_inline(&p.title)));
            if let Some(a) = &p.author {
                out.push_str(&format!(" (@{a})"));
            }
            out.push_str(&format!(
                " — `{}`\n",
                &p.merge_sha[..p.merge_sha.len().min(7)]
            ));
        }
    }

    let released = matches!(view.stage, ExpeditedStage::Released { .. });
    let p = view.progress;
    out.push_str("\n### Steps\n\n");
    out.push_str(&format!(
        "{} Name the fixes: `/release include #N …` (pull requests merged into the default branch)\n",
        checkbox(!view.picks.is_empty())
    ));
    out.push_str(&format!(
        "{} Cut {} from `{}`: `/release` cherry-picks the fixes onto `{}`, tags it and publishes the release\n",
        checkbox(released),
        view.tag,
        view.base_tag,
        view.branch
    ));
    match kind {
        Kind::Hotfix => {
            out.push_str(&format!(
                "{} Deploy it to staging too: we still test a hotfix by hand there\n",
                checkbox(p.on_staging)
            ));
            out.push_str(&format!(
                "{} QA tests it on staging: `/qa ok` or `/qa blocker <what>`\n",
                checkbox(p.qa_ok)
            ));
            out.push_str(&format!(
                "{} Production: relman files an expedited deployment request to Ops as soon as it is cut; watch the dashboards during and after\n",
                checkbox(p.in_production)
            ));
        }
        Kind::Warmfix | Kind::Regular => {
            out.push_str(&format!(
                "{} CI deploys it to staging\n",
                checkbox(p.on_staging)
            ));
            out.push_str(&format!(
                "{} QA tests it on staging: `/qa ok` or `/qa blocker <what>`; production gets it with the next regular release\n",
                checkbox(p.qa_ok)
            ));
        }
    }

    out.push_str("\n### Requirements\n\n");
    out.push_str(&render_gate(view.gates));

    out.push_str("\n### Environments\n\n| environment | running |\n|---|---|\n");
    for (name, version) in [("staging", view.staging), ("production", view.production)] {
        out.push_str(&format!(
            "| {name} | {} |\n",
            version.map_or_else(|| "unknown".to_string(), |v| format!("`{v}`"))
        ));
    }
    if !view.dashboards.is_empty() {
        out.push_str("\n### Dashboards\n\n");
        for d in view.dashboards {
            out.push_str(&format!("- [{}]({})\n", escape_inline(&d.name), d.url));
        }
    }
    out.push_str(
        "\n<sub>relman keeps this issue current. Commands here: `/release include #N …`, `/release`, \
         `/signoff [staging|production]`, `/qa ok` · `/qa blocker <text>` · `/qa clear`, `/skip <why>` (abandon), `/help`.</sub>\n",
    );
    if let Some(rate) = view.short_circuit {
        out.push_str(&format!("\n<sub>{}</sub>\n", rate.sentence()));
    }
    out
}

/// What an expedited release does to the train, in one sentence.
pub fn replacement_text(kind: Kind, replaces: Option<&Replaces>) -> String {
    match (kind, replaces) {
        (Kind::Warmfix, Some(r)) => format!(
            "Asked for in the release week of {}: this warmfix replaces that day's planned **staging** release (no new cut goes to staging that day); no more changes to the release process after that.",
            human(r.date)
        ),
        (Kind::Hotfix, Some(r)) => format!(
            "Asked for in the release week of {}: this hotfix replaces that day's planned **production** release (no second deployment request is filed for it); no more changes to the release process after that.",
            human(r.date)
        ),
        (Kind::Warmfix, None) => "Asked for in the week between release days: it replaces no planned release. It soaks on staging, and the next release day goes ahead as planned (production gets what staging runs then).".to_string(),
        (Kind::Hotfix, None) => "Asked for in the week between release days: it replaces no planned release; it goes to staging and production now, and the next release day goes ahead as planned.".to_string(),
        (Kind::Regular, _) => String::new(),
    }
}

/// An expedited release that replaced (part of) a regular one, as its tracking issue shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub kind: Kind,
    pub tag: String,
    pub issue: Option<u64>,
    pub environment: Environment,
}

/// The note on a regular tracking issue for the expedited releases that replaced its parts.
pub fn render_replacements(replacements: &[Replacement]) -> String {
    let mut out = String::new();
    for r in replacements {
        let issue = r.issue.map_or_else(String::new, |n| format!(" (#{n})"));
        let what = match r.environment {
            Environment::Staging => {
                "this release day's planned staging release: no new cut goes to staging"
            }
            Environment::Production => {
                "this release day's planned production release: no deployment request is filed for it"
            }
        };
        out.push_str(&format!(
            "\n> [!IMPORTANT]\n> {} {}{issue} replaces {what}.\n",
            kind_word(r.kind),
            r.tag
        ));
    }
    out
}

fn kind_word(kind: Kind) -> &'static str {
    kind.title_word()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_replacement_reads_back_as_the_environment_that_wrote_it() {
        for env in [Environment::Staging, Environment::Production] {
            assert_eq!(replaced_environment(Some(env.name())), Some(env));
        }
        assert_eq!(replaced_environment(Some("Production")), None);
        assert_eq!(replaced_environment(None), None);
    }
    use crate::config::repo::parse_repo_config;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn calendar(extra: &str) -> Calendar {
        let yaml = format!(
            "timezone: Europe/Berlin\nschedule: {{ every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }}\nrotation: {{ members: [alice] }}\n{extra}"
        );
        Calendar::from_config(
            &parse_repo_config(".github/relman.yml", &yaml).unwrap(),
            &[],
        )
    }

    fn file(sha: &str) -> TreeFile {
        TreeFile {
            mode: "100644".into(),
            sha: sha.into(),
        }
    }

    fn files(entries: &[(&str, &str)]) -> Files {
        entries
            .iter()
            .map(|(p, s)| (p.to_string(), file(s)))
            .collect()
    }

    #[test]
    fn a_patch_on_the_base_skips_versions_already_taken() {
        assert_eq!(expedited_version(&v("1.2.0"), &[]), v("1.2.1"));
        let taken = [v("1.2.1"), v("1.3.0")];
        assert_eq!(expedited_version(&v("1.2.0"), &taken), v("1.2.2"));
        assert_eq!(expedited_key(Kind::Hotfix, &v("1.2.1")), "hotfix:1.2.1");
        assert_eq!(branch_of("v1.2.1"), "hotfix/v1.2.1");
        assert_eq!(
            expedited_title(Kind::Warmfix, "v1.3.1", "login\nbroken"),
            "Warmfix v1.3.1: login broken"
        );
    }

    #[test]
    fn each_kind_replaces_the_planned_release_of_its_week() {
        let cal = calendar("");
        // Release days: Tue 8 Dec, Tue 22 Dec 2026. Mon 7 – Sun 13 Dec is the release week of
        // 8 Dec; 14–20 Dec is the week between release days.
        let r = replaces(&cal, Kind::Warmfix, d("2026-12-08")).unwrap();
        assert_eq!(
            (r.scheduled, r.environment, r.week),
            (d("2026-12-08"), Environment::Staging, d("2026-12-07"))
        );
        // After the release day its planned releases are gone: nothing left to replace.
        assert_eq!(replaces(&cal, Kind::Warmfix, d("2026-12-10")), None);
        // The Monday before a release day is in the release day's week.
        let r = replaces(&cal, Kind::Hotfix, d("2026-12-07")).unwrap();
        assert_eq!(
            (r.scheduled, r.environment),
            (d("2026-12-08"), Environment::Production)
        );
        assert_eq!(replaces(&cal, Kind::Warmfix, d("2026-12-16")), None);
        assert_eq!(replaces(&cal, Kind::Hotfix, d("2026-12-20")), None);
        assert_eq!(replaces(&cal, Kind::Regular, d("2026-12-08")), None);
    }

    #[test]
    fn a_release_day_moved_by_a_holiday_is_replaced_in_the_week_it_moved_to() {
        let cal = calendar("holidays: { dates: [2026-12-08], on_holiday: next_business_day }\n");
        let r = replaces(&cal, Kind::Hotfix, d("2026-12-08")).unwrap();
        assert_eq!((r.scheduled, r.date), (d("2026-12-08"), d("2026-12-09")));
        let cal = calendar("holidays: { dates: [2026-12-08], on_holiday: skip }\n");
        assert_eq!(replaces(&cal, Kind::Hotfix, d("2026-12-11")), None);
    }

    #[test]
    fn picks_apply_file_by_file_and_conflict_when_the_branch_moved() {
        let parent = files(&[("a", "1"), ("b", "1"), ("gone", "1")]);
        let picked = files(&[("a", "2"), ("b", "1"), ("new", "1")]);
        // The branch still has the parent's versions: the change applies (gone is deleted).
        let head = files(&[("a", "1"), ("b", "9"), ("gone", "1")]);
        assert_eq!(
            plan_pick(&parent, &picked, &head),
            PickPlan::Apply(vec![
                ("a".into(), Some(file("2"))),
                ("gone".into(), None),
                ("new".into(), Some(file("1"))),
            ])
        );
        // Applied already (a retry, or picked by hand).
        let done = files(&[("a", "2"), ("b", "9"), ("new", "1")]);
        assert_eq!(plan_pick(&parent, &picked, &done), PickPlan::AlreadyApplied);
        // `a` changed on the branch since, differently: a conflict, reported, not forced.
        let moved = files(&[("a", "7"), ("gone", "1")]);
        assert_eq!(
            plan_pick(&parent, &picked, &moved),
            PickPlan::Conflict(vec!["a".into()])
        );
    }

    #[test]
    fn cherry_pick_trailers_are_read_back() {
        let message = format!("Fix (#12)\n\n{}\n", cherry_picked_trailer("abc123"));
        assert_eq!(cherry_picked_from(&message), ["abc123"]);
        assert!(cherry_picked_from("no trailer").is_empty());
    }
}
