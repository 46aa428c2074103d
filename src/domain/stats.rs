//! The short-circuit register as numbers: per month, the regular releases, warmfixes and
//! hotfixes, the share of short-circuited releases, the median lead times merge → staging and
//! staging → production, and the skipped release days with their reasons — as a Markdown table
//! with a Mermaid chart, JSON or CSV. The seed tracks expedited releases "in order to understand
//! how often we decide to short circuit the regular release process"; this is that view.
//! Pure: the register rows and the merge times are passed in, and so is "now".

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::release_kind::Kind;

/// What became of a release, as far as the statistics care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Open,
    Released,
    Skipped,
    NoChanges,
}

/// One register row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    pub outcome: Outcome,
    pub tag: Option<String>,
    /// The release day (regular) or the day it was asked for (expedited).
    pub date: NaiveDate,
    pub requested_by: Option<String>,
    pub reason: Option<String>,
    pub released_at: Option<DateTime<Utc>>,
    pub staged_at: Option<DateTime<Utc>>,
    pub production_at: Option<DateTime<Utc>>,
    /// The merge times of an expedited release's picked pull requests. Regular releases get
    /// theirs from the merges passed to [`compute`].
    pub picked_merges: Vec<DateTime<Utc>>,
}

/// A skipped release day (or an abandoned expedited release).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub date: NaiveDate,
    pub kind: &'static str,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// One month of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Month {
    /// `2026-12`.
    pub month: String,
    pub regular: u32,
    pub warmfix: u32,
    pub hotfix: u32,
    /// Warmfixes and hotfixes among all releases, in percent (rounded); None without releases.
    pub short_circuit_percent: Option<u32>,
    /// Median seconds from a change's merge to its release running on staging.
    pub merge_to_staging_secs: Option<i64>,
    /// Median seconds from a release running on staging to it running in production.
    pub staging_to_production_secs: Option<i64>,
    pub skips: Vec<Skip>,
}

/// The register over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub repo: String,
    pub timezone: String,
    pub since: Option<NaiveDate>,
    pub months: Vec<Month>,
    pub total: Month,
}

fn month_key(date: NaiveDate) -> (i32, u32) {
    (date.year(), date.month())
}

fn month_name((y, m): (i32, u32)) -> String {
    format!("{y:04}-{m:02}")
}

fn next_month((y, m): (i32, u32)) -> (i32, u32) {
    if m == 12 { (y + 1, 1) } else { (y, m + 1) }
}

fn local(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The median of `values` (the mean of the middle two for an even count, rounded down).
pub fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]).div_euclid(2)
    })
}

fn percent(part: u32, whole: u32) -> Option<u32> {
    (whole > 0).then(|| (part * 200 + whole).div_euclid(2 * whole))
}

/// The merge times each released regular release shipped: a merge ships in the first regular
/// release cut at or after it (the release is cut from the default branch head). Indexed like
/// `entries`; expedited releases get their picks.
pub fn shipped_merges(entries: &[Entry], merges: &[DateTime<Utc>]) -> Vec<Vec<DateTime<Utc>>> {
    let mut cuts: Vec<(DateTime<Utc>, usize)> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == Kind::Regular && e.outcome == Outcome::Released)
        .filter_map(|(i, e)| e.released_at.map(|at| (at, i)))
        .collect();
    cuts.sort();
    let mut out: Vec<Vec<DateTime<Utc>>> = entries
        .iter()
        .map(|e| match e.kind {
            Kind::Regular => Vec::new(),
            _ => e.picked_merges.clone(),
        })
        .collect();
    for merged in merges {
        let first = cuts.partition_point(|(at, _)| at < merged);
        if let Some((_, i)) = cuts.get(first) {
            out[*i].push(*merged);
        }
    }
    out
}

/// One change as DORA's "lead time for changes" counts it: merged, then running in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeLead {
    pub merged: DateTime<Utc>,
    pub in_production: DateTime<Utc>,
}

impl ChangeLead {
    pub fn secs(&self) -> i64 {
        (self.in_production - self.merged).num_seconds()
    }
}

/// Every change that reached production, with the first time it ran there: a merge rides the
/// regular release [`shipped_merges`] puts it in, or an expedited release that picked it,
/// whichever reached production first (a picked change also ships again in the next regular
/// release; DORA counts it once, when it first runs in production). Changes whose release never
/// reached production are not counted, as Four Keys counts only deployed changes. Sorted by the
/// time they reached production.
pub fn lead_times(entries: &[Entry], merges: &[DateTime<Utc>]) -> Vec<ChangeLead> {
    let shipped = shipped_merges(entries, merges);
    let mut regular: Vec<ChangeLead> = Vec::new();
    let mut picked: Vec<ChangeLead> = Vec::new();
    for (e, merged) in entries.iter().zip(&shipped) {
        let Some(live) = e.production_at.filter(|_| e.outcome == Outcome::Released) else {
            continue;
        };
        let into = if e.kind == Kind::Regular {
            &mut regular
        } else {
            &mut picked
        };
        into.extend(merged.iter().filter(|m| **m <= live).map(|m| ChangeLead {
            merged: *m,
            in_production: live,
        }));
    }
    // A pick and the same merge in a regular release are one change: merges are known by their
    // time, so each pick claims one regular occurrence of its merge time.
    regular.sort_by_key(|c| (c.merged, c.in_production));
    let mut claimed = vec![false; regular.len()];
    for pick in picked {
        let same = (0..regular.len()).find(|&i| !claimed[i] && regular[i].merged == pick.merged);
        match same {
            Some(i) => {
                claimed[i] = true;
                regular[i].in_production = regular[i].in_production.min(pick.in_production);
            }
            None => {
                regular.push(pick);
                claimed.push(true);
            }
        }
    }
    regular.sort_by_key(|c| (c.in_production, c.merged));
    regular
}

/// DORA's lead time for changes: the median seconds from merge to running in production.
pub fn median_lead_time<'a>(changes: impl Iterator<Item = &'a ChangeLead>) -> Option<i64> {
    let mut secs: Vec<i64> = changes.map(ChangeLead::secs).collect();
    median(&mut secs)
}

#[derive(Default)]
struct Acc {
    regular: u32,
    warmfix: u32,
    hotfix: u32,
    to_staging: Vec<i64>,
    to_production: Vec<i64>,
    skips: Vec<Skip>,
}

impl Acc {
    fn month(mut self, name: String) -> Month {
        let all = self.regular + self.warmfix + self.hotfix;
        self.skips.sort_by_key(|s| s.date);
        Month {
            month: name,
            regular: self.regular,
            warmfix: self.warmfix,
            hotfix: self.hotfix,
            short_circuit_percent: percent(self.warmfix + self.hotfix, all),
            merge_to_staging_secs: median(&mut self.to_staging),
            staging_to_production_secs: median(&mut self.to_production),
            skips: self.skips,
        }
    }

    fn add(&mut self, other: &Acc) {
        self.regular += other.regular;
        self.warmfix += other.warmfix;
        self.hotfix += other.hotfix;
        self.to_staging.extend(&other.to_staging);
        self.to_production.extend(&other.to_production);
        self.skips.extend(other.skips.iter().cloned());
    }
}

/// The register per month from `since` (or the first month with an entry) to the month of
/// `now`, every month listed even when nothing happened, and the total over them.
pub fn compute(
    repo: &str,
    entries: &[Entry],
    merges: &[DateTime<Utc>],
    tz: Tz,
    since: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Stats {
    let shipped = shipped_merges(entries, merges);
    // Each entry's month: when it was cut (released), else its day (skips).
    let dated: Vec<(NaiveDate, &Entry, &Vec<DateTime<Utc>>)> = entries
        .iter()
        .zip(&shipped)
        .filter_map(|(e, m)| {
            let day = match e.outcome {
                Outcome::Released => local(e.released_at?, tz),
                Outcome::Skipped | Outcome::NoChanges => e.date,
                Outcome::Open => return None,
            };
            since.is_none_or(|s| day >= s).then_some((day, e, m))
        })
        .collect();
    let last = month_key(local(now, tz));
    let first = since
        .map(month_key)
        .or_else(|| dated.iter().map(|(d, ..)| month_key(*d)).min())
        .unwrap_or(last);
    let mut months: Vec<((i32, u32), Acc)> = Vec::new();
    let mut cursor = first;
    while cursor <= last {
        months.push((cursor, Acc::default()));
        cursor = next_month(cursor);
    }
    for (day, e, merged) in &dated {
        let Some((_, acc)) = months.iter_mut().find(|(m, _)| *m == month_key(*day)) else {
            continue;
        };
        match e.outcome {
            Outcome::Released => {
                match e.kind {
                    Kind::Regular => acc.regular += 1,
                    Kind::Warmfix => acc.warmfix += 1,
                    Kind::Hotfix => acc.hotfix += 1,
                }
                if let Some(staged) = e.staged_at {
                    acc.to_staging.extend(
                        merged
                            .iter()
                            .filter(|m| **m <= staged)
                            .map(|m| (staged - *m).num_seconds()),
                    );
                    if let Some(live) = e.production_at.filter(|p| *p >= staged) {
                        acc.to_production.push((live - staged).num_seconds());
                    }
                }
            }
            Outcome::Skipped | Outcome::NoChanges => acc.skips.push(Skip {
                date: *day,
                kind: e.kind.as_str(),
                reason: e.reason.clone().unwrap_or_else(|| match e.outcome {
                    Outcome::NoChanges => "no changes, no release".to_string(),
                    _ => "no reason given".to_string(),
                }),
                by: e
                    .requested_by
                    .clone()
                    .filter(|_| e.outcome == Outcome::Skipped),
            }),
            Outcome::Open => {}
        }
    }
    let mut total = Acc::default();
    for (_, acc) in &months {
        total.add(acc);
    }
    Stats {
        repo: repo.to_string(),
        timezone: tz.name().to_string(),
        since,
        months: months
            .into_iter()
            .map(|(m, acc)| acc.month(month_name(m)))
            .collect(),
        total: total.month("total".to_string()),
    }
}

/// `3d 4h`, `5h 10m`, `12m`.
pub fn duration(secs: i64) -> String {
    let minutes = secs.max(0) / 60;
    let (d, h, m) = (minutes / 1440, (minutes / 60) % 24, minutes % 60);
    match (d, h) {
        (0, 0) => format!("{m}m"),
        (0, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

fn cell<T>(value: Option<T>, f: impl Fn(T) -> String) -> String {
    value.map_or_else(|| "–".to_string(), f)
}

fn row(m: &Month) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
        m.month,
        m.regular,
        m.warmfix,
        m.hotfix,
        cell(m.short_circuit_percent, |p| format!("{p}%")),
        cell(m.merge_to_staging_secs, duration),
        cell(m.staging_to_production_secs, duration),
        m.skips.len()
    )
}

/// The register as a Markdown table, then the skips with their reasons.
pub fn render_table(stats: &Stats) -> String {
    let mut out = format!(
        "Releases of {} per month{} (months in {}):\n\n",
        stats.repo,
        stats
            .since
            .map_or_else(String::new, |s| format!(" since {s}")),
        stats.timezone
    );
    out.push_str("| month | regular | warmfix | hotfix | short-circuited | merge → staging | staging → production | skipped |\n|---|---|---|---|---|---|---|---|\n");
    for m in &stats.months {
        out.push_str(&row(m));
    }
    out.push_str(&row(&stats.total).replacen("| total |", "| **total** |", 1));
    out.push_str("\nShort-circuited: warmfixes and hotfixes among all releases. Lead times are medians: merge → staging per change, staging → production per release.\n");
    if !stats.total.skips.is_empty() {
        out.push_str("\nSkipped:\n\n");
        for s in &stats.total.skips {
            out.push_str(&format!(
                "- {} ({}): {}",
                s.date,
                s.kind,
                s.reason.replace(['\r', '\n'], " ")
            ));
            if let Some(by) = &s.by {
                out.push_str(&format!(" — @{by}"));
            }
            out.push('\n');
        }
    }
    out
}

/// The last 12 months as a Mermaid bar chart GitHub renders in a comment. Mermaid draws bar
/// series over each other, so the series are cumulative (all releases, then warmfixes plus
/// hotfixes, then hotfixes) and read as one stacked bar per month.
pub fn render_chart(stats: &Stats) -> String {
    let start = stats.months.len().saturating_sub(12);
    let months = &stats.months[start..];
    let list = |f: &dyn Fn(&Month) -> u32| {
        months
            .iter()
            .map(|m| f(m).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let top = months
        .iter()
        .map(|m| m.regular + m.warmfix + m.hotfix)
        .max()
        .unwrap_or(0)
        .max(1);
    let labels: Vec<String> = months.iter().map(|m| format!("\"{}\"", m.month)).collect();
    format!(
        "```mermaid\nxychart-beta\n    title \"Releases per month\"\n    x-axis [{}]\n    y-axis \"releases\" 0 --> {top}\n    bar [{}]\n    bar [{}]\n    bar [{}]\n```\n\n<sub>Each bar is a month's releases, stacked from the bottom: hotfixes, warmfixes, regular releases.</sub>\n",
        labels.join(", "),
        list(&|m| m.regular + m.warmfix + m.hotfix),
        list(&|m| m.warmfix + m.hotfix),
        list(&|m| m.hotfix),
    )
}

/// The register as CSV, one row per month and the total.
pub fn render_csv(stats: &Stats) -> String {
    let mut out = String::from(
        "month,regular,warmfix,hotfix,short_circuit_percent,merge_to_staging_secs,staging_to_production_secs,skipped\n",
    );
    let opt = |v: Option<i64>| v.map_or_else(String::new, |v| v.to_string());
    for m in stats.months.iter().chain(std::iter::once(&stats.total)) {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            m.month,
            m.regular,
            m.warmfix,
            m.hotfix,
            opt(m.short_circuit_percent.map(i64::from)),
            opt(m.merge_to_staging_secs),
            opt(m.staging_to_production_secs),
            m.skips.len()
        ));
    }
    out
}

/// The share of short-circuited releases in the quarter of `today` so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarterRate {
    /// `Q4 2026`.
    pub label: String,
    pub short: u32,
    pub total: u32,
}

impl QuarterRate {
    pub fn sentence(&self) -> String {
        match percent(self.short, self.total) {
            Some(p) => format!(
                "Short-circuit rate, {} so far: {} of {} release{} ({p}%) {}.",
                self.label,
                self.short,
                self.total,
                if self.total == 1 { "" } else { "s" },
                if self.short == 1 {
                    "was a warmfix or hotfix"
                } else {
                    "were warmfixes or hotfixes"
                },
            ),
            None => format!("Short-circuit rate, {}: no releases yet.", self.label),
        }
    }
}

/// The quarter's running short-circuit rate.
pub fn quarter_rate(entries: &[Entry], tz: Tz, today: NaiveDate) -> QuarterRate {
    let quarter = |d: NaiveDate| (d.year(), d.month0() / 3);
    let mut rate = QuarterRate {
        label: format!("Q{} {}", today.month0() / 3 + 1, today.year()),
        short: 0,
        total: 0,
    };
    for e in entries.iter().filter(|e| e.outcome == Outcome::Released) {
        let Some(at) = e.released_at else { continue };
        let day = local(at, tz);
        if quarter(day) == quarter(today) && day <= today {
            rate.total += 1;
            if e.kind != Kind::Regular {
                rate.short += 1;
            }
        }
    }
    rate
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn released(kind: Kind, cut: &str, staged: Option<&str>, live: Option<&str>) -> Entry {
        Entry {
            kind,
            outcome: Outcome::Released,
            tag: None,
            date: at(cut).date_naive(),
            requested_by: Some("alice".into()),
            reason: None,
            released_at: Some(at(cut)),
            staged_at: staged.map(at),
            production_at: live.map(at),
            picked_merges: Vec::new(),
        }
    }

    #[test]
    fn merges_ship_in_the_first_regular_release_cut_after_them() {
        let entries = [
            released(Kind::Regular, "2026-10-06T18:00:00Z", None, None),
            released(Kind::Hotfix, "2026-10-08T18:00:00Z", None, None),
            released(Kind::Regular, "2026-10-20T18:00:00Z", None, None),
        ];
        let merges = [
            at("2026-10-01T00:00:00Z"),
            at("2026-10-06T18:00:00Z"),
            at("2026-10-07T00:00:00Z"),
            at("2026-10-30T00:00:00Z"),
        ];
        let shipped = shipped_merges(&entries, &merges);
        assert_eq!(shipped.iter().map(Vec::len).collect::<Vec<_>>(), [2, 0, 1]);
    }

    #[test]
    fn medians_shares_and_durations() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3));
        assert_eq!(median(&mut [4, 1, 3, 10]), Some(3));
        assert_eq!(percent(1, 3), Some(33));
        assert_eq!(percent(2, 3), Some(67));
        assert_eq!(percent(1, 8), Some(13));
        assert_eq!(percent(0, 0), None);
        assert_eq!(duration(59), "0m");
        assert_eq!(duration(3 * 3600 + 120), "3h 2m");
        assert_eq!(duration(2 * 86400 + 5 * 3600 + 59), "2d 5h");
    }

    #[test]
    fn every_month_is_listed_and_the_quarter_rate_counts_this_quarter() {
        let tz: Tz = "UTC".parse().unwrap();
        let entries = [
            released(Kind::Regular, "2026-08-04T18:00:00Z", None, None),
            released(Kind::Warmfix, "2026-10-06T18:00:00Z", None, None),
            released(Kind::Regular, "2026-10-13T18:00:00Z", None, None),
            released(Kind::Hotfix, "2026-11-02T18:00:00Z", None, None),
        ];
        let stats = compute("a/b", &entries, &[], tz, None, at("2026-11-20T00:00:00Z"));
        let names: Vec<&str> = stats.months.iter().map(|m| m.month.as_str()).collect();
        assert_eq!(names, ["2026-08", "2026-09", "2026-10", "2026-11"]);
        assert_eq!(stats.total.short_circuit_percent, Some(50));
        let rate = quarter_rate(&entries, tz, d("2026-11-20"));
        assert_eq!(
            (rate.label.as_str(), rate.short, rate.total),
            ("Q4 2026", 2, 3)
        );
        assert_eq!(
            rate.sentence(),
            "Short-circuit rate, Q4 2026 so far: 2 of 3 releases (67%) were warmfixes or hotfixes."
        );
        let chart = render_chart(&stats);
        assert!(chart.contains("bar [1, 0, 2, 1]"), "{chart}");
        assert!(chart.contains("bar [0, 0, 1, 1]"), "{chart}");
        assert!(chart.contains("bar [0, 0, 0, 1]"), "{chart}");
    }

    #[test]
    fn lead_time_runs_from_merge_to_the_first_time_the_change_runs_in_production() {
        let mut hotfix = released(
            Kind::Hotfix,
            "2026-11-05T12:00:00Z",
            None,
            Some("2026-11-05T14:00:00Z"),
        );
        hotfix.picked_merges = vec![at("2026-11-05T10:00:00Z")];
        let entries = [
            released(
                Kind::Regular,
                "2026-11-03T18:00:00Z",
                Some("2026-11-03T19:00:00Z"),
                Some("2026-11-10T18:00:00Z"),
            ),
            hotfix,
            released(
                Kind::Regular,
                "2026-11-17T18:00:00Z",
                Some("2026-11-17T19:00:00Z"),
                Some("2026-11-24T18:00:00Z"),
            ),
            // Cut, never in production: its change is not counted.
            released(Kind::Regular, "2026-12-01T18:00:00Z", None, None),
        ];
        let merges = [
            at("2026-11-02T18:00:00Z"),
            at("2026-11-05T10:00:00Z"),
            at("2026-11-16T18:00:00Z"),
            at("2026-11-30T18:00:00Z"),
        ];
        let changes = lead_times(&entries, &merges);
        let secs: Vec<i64> = changes.iter().map(ChangeLead::secs).collect();
        // The picked merge counts once, with the hotfix's 4 hours, not the regular 19 days.
        assert_eq!(secs, [4 * 3600, 8 * 86400, 8 * 86400]);
        assert_eq!(changes[0].in_production, at("2026-11-05T14:00:00Z"));
        assert_eq!(median_lead_time(changes.iter()), Some(8 * 86400));
        assert_eq!(median_lead_time([].iter()), None);
    }
}
