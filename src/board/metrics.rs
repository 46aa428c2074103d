//! `/{owner}/{repo}/metrics`: the register per month (what `/stats` says), how often production
//! is deployed with Four Keys' bucket, and an SVG chart drawn on the server. Pure.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::production::Deployed;
use crate::domain::stats::{ChangeLead, Stats, duration, median_lead_time};

/// One month's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthRow {
    pub month: String,
    pub regular: u32,
    pub warmfix: u32,
    pub hotfix: u32,
    pub short_circuit: String,
    pub merge_to_staging: String,
    pub staging_to_production: String,
    pub skipped: usize,
    pub production_deploys: usize,
    /// DORA's lead time for changes: median from merge to running in production, of the
    /// changes that reached production this month.
    pub lead_time: String,
    /// DORA's time to restore: median from a hotfix asked for to it running in production.
    pub time_to_restore: String,
    /// DORA's change failure rate: production releases that a hotfix or warmfix replaced in
    /// production ÷ production releases, by the month they reached production.
    pub change_failure_rate: String,
}

/// A release that reached production, and whether a fix replaced it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductionRelease {
    pub at: DateTime<Utc>,
    pub failed: bool,
}

fn failure_rate<'a>(releases: impl Iterator<Item = &'a ProductionRelease>) -> String {
    let (mut all, mut failed) = (0u32, 0u32);
    for r in releases {
        all += 1;
        failed += u32::from(r.failed);
    }
    (failed * 100 + all / 2)
        .checked_div(all)
        .map_or_else(|| "–".to_string(), |p| format!("{p}% ({failed}/{all})"))
}

/// A hotfix as the metrics see it: asked for, and in production (if it got there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restore {
    pub asked: DateTime<Utc>,
    pub in_production: Option<DateTime<Utc>>,
}

/// One quarter's DORA lead time for changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarterRow {
    /// `2026 Q4`.
    pub quarter: String,
    /// Changes that reached production in the quarter.
    pub changes: usize,
    pub lead_time: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsView {
    pub repo: String,
    pub timezone: String,
    pub months: Vec<MonthRow>,
    pub total: MonthRow,
    /// The quarters of the months shown, oldest first.
    pub quarters: Vec<QuarterRow>,
    /// Four Keys' deployment frequency: `daily`, `weekly`, `monthly` or `yearly`.
    pub deployment_frequency: &'static str,
    /// The releases per month, stacked by kind.
    pub chart_svg: String,
}

/// The median, the mean of the middle two for an even count: a deploy every other week is a
/// median of half a day a week, not one.
fn median(mut values: Vec<usize>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_unstable();
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0
    }
}

/// Four Keys' deployment-frequency bucket over the 12 weeks before `today`: daily when the median
/// week had production deploys on 3 days or more, weekly when on at least one, monthly when the
/// median of the three months had one, yearly otherwise.
pub fn deployment_frequency(days: &BTreeSet<NaiveDate>, today: NaiveDate) -> &'static str {
    let weeks: Vec<usize> = (0..12u64)
        .map(|w| {
            let end = today - Days::new(7 * w);
            let start = end - Days::new(6);
            days.range(start..=end).count()
        })
        .collect();
    let months: Vec<usize> = (0..3u64)
        .map(|m| {
            let end = today - Days::new(30 * m);
            let start = end - Days::new(29);
            days.range(start..=end).count()
        })
        .collect();
    match (median(weeks), median(months)) {
        (w, _) if w >= 3.0 => "daily",
        (w, _) if w >= 1.0 => "weekly",
        (_, m) if m >= 1.0 => "monthly",
        _ => "yearly",
    }
}

fn chart(months: &[MonthRow]) -> String {
    const BAR: usize = 28;
    const GAP: usize = 12;
    const HEIGHT: usize = 120;
    let max = months
        .iter()
        .map(|m| (m.regular + m.warmfix + m.hotfix) as usize)
        .max()
        .unwrap_or(0)
        .max(1);
    let width = months.len() * (BAR + GAP) + GAP;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {}" role="img" aria-labelledby="chart-title"><title id="chart-title">Releases per month: regular, warmfix, hotfix</title>"#,
        HEIGHT + 20
    );
    for (i, m) in months.iter().enumerate() {
        let x = GAP + i * (BAR + GAP);
        let mut top = HEIGHT;
        for (count, class) in [
            (m.regular, "regular"),
            (m.warmfix, "warmfix"),
            (m.hotfix, "hotfix"),
        ] {
            let h = count as usize * HEIGHT / max;
            if h > 0 {
                top -= h;
                svg.push_str(&format!(
                    r#"<rect class="{class}" x="{x}" y="{top}" width="{BAR}" height="{h}"><title>{} {class}: {count}</title></rect>"#,
                    m.month
                ));
            }
        }
        svg.push_str(&format!(
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="9">{}</text>"#,
            x + BAR / 2,
            HEIGHT + 14,
            &m.month[m.month.len().saturating_sub(2)..]
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The median time to restore of the hotfixes that reached production, `–` without any.
fn time_to_restore<'a>(restores: impl Iterator<Item = &'a Restore>) -> String {
    let mut secs: Vec<i64> = restores
        .filter_map(|r| Some((r.in_production? - r.asked).num_seconds()))
        .collect();
    crate::domain::stats::median(&mut secs).map_or_else(|| "–".to_string(), duration)
}

fn lead_time<'a>(changes: impl Iterator<Item = &'a ChangeLead>) -> String {
    median_lead_time(changes).map_or_else(|| "–".to_string(), duration)
}

/// `2026 Q4` of a `2026-11` month.
fn quarter_of(month: &str) -> String {
    let (year, m) = month.split_once('-').unwrap_or((month, "1"));
    let q = (m.parse::<u32>().unwrap_or(1).clamp(1, 12) - 1) / 3 + 1;
    format!("{year} Q{q}")
}

fn row(
    m: &crate::domain::stats::Month,
    production_deploys: usize,
    lead_time: String,
    (time_to_restore, change_failure_rate): (String, String),
) -> MonthRow {
    let time = |secs: Option<i64>| secs.map_or_else(|| "–".to_string(), duration);
    MonthRow {
        month: m.month.clone(),
        regular: m.regular,
        warmfix: m.warmfix,
        hotfix: m.hotfix,
        short_circuit: m
            .short_circuit_percent
            .map_or_else(|| "–".to_string(), |p| format!("{p}%")),
        merge_to_staging: time(m.merge_to_staging_secs),
        staging_to_production: time(m.staging_to_production_secs),
        skipped: m.skips.len(),
        production_deploys,
        lead_time,
        time_to_restore,
        change_failure_rate,
    }
}

pub fn metrics(
    stats: &Stats,
    production: &[Deployed],
    hotfixes: &[Restore],
    released: &[ProductionRelease],
    changes: &[ChangeLead],
    tz: Tz,
    now: DateTime<Utc>,
) -> MetricsView {
    let local = |at: DateTime<Utc>| at.with_timezone(&tz).date_naive();
    let deploy_days: BTreeSet<NaiveDate> = production.iter().map(|d| local(d.at)).collect();
    let in_month = |month: &str| {
        production
            .iter()
            .filter(|d| {
                let day = local(d.at);
                format!("{:04}-{:02}", day.year(), day.month()) == month
            })
            .count()
    };
    let month_of = |at: DateTime<Utc>| {
        let day = local(at);
        format!("{:04}-{:02}", day.year(), day.month())
    };
    // A restore counts in the month it reached production.
    let dora_of = |month: &str| {
        (
            time_to_restore(
                hotfixes
                    .iter()
                    .filter(|r| r.in_production.is_some_and(|at| month_of(at) == month)),
            ),
            failure_rate(released.iter().filter(|r| month_of(r.at) == month)),
        )
    };
    let months: Vec<MonthRow> = stats
        .months
        .iter()
        .map(|m| {
            row(
                m,
                in_month(&m.month),
                lead_time(
                    changes
                        .iter()
                        .filter(|c| month_of(c.in_production) == m.month),
                ),
                dora_of(&m.month),
            )
        })
        .collect();
    let shown: BTreeSet<&str> = months.iter().map(|m| m.month.as_str()).collect();
    // A change counts in the month, and the quarter, it reached production (as Four Keys
    // groups by the deployment).
    let mut quarters: Vec<QuarterRow> = Vec::new();
    for month in &shown {
        let quarter = quarter_of(month);
        if quarters.last().is_some_and(|q| q.quarter == quarter) {
            continue;
        }
        let in_quarter: Vec<&ChangeLead> = changes
            .iter()
            .filter(|c| {
                let m = month_of(c.in_production);
                shown.contains(m.as_str()) && quarter_of(&m) == quarter
            })
            .collect();
        quarters.push(QuarterRow {
            changes: in_quarter.len(),
            lead_time: lead_time(in_quarter.into_iter()),
            quarter,
        });
    }
    let total = row(
        &stats.total,
        months.iter().map(|m| m.production_deploys).sum(),
        lead_time(
            changes
                .iter()
                .filter(|c| shown.contains(month_of(c.in_production).as_str())),
        ),
        (
            time_to_restore(hotfixes.iter().filter(|r| {
                r.in_production
                    .is_some_and(|at| shown.contains(month_of(at).as_str()))
            })),
            failure_rate(
                released
                    .iter()
                    .filter(|r| shown.contains(month_of(r.at).as_str())),
            ),
        ),
    );
    MetricsView {
        repo: stats.repo.clone(),
        timezone: stats.timezone.clone(),
        chart_svg: chart(&months),
        deployment_frequency: deployment_frequency(&deploy_days, local(now)),
        months,
        total,
        quarters,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn four_keys_buckets_deployment_frequency() {
        let today = d(12, 5);
        let every_weekday: BTreeSet<NaiveDate> = (0..84u64)
            .map(|i| today - Days::new(i))
            .filter(|day| day.weekday().num_days_from_monday() < 5)
            .collect();
        assert_eq!(deployment_frequency(&every_weekday, today), "daily");
        let fortnightly: BTreeSet<NaiveDate> =
            (0..6u64).map(|i| today - Days::new(14 * i)).collect();
        assert_eq!(deployment_frequency(&fortnightly, today), "monthly");
        let weekly: BTreeSet<NaiveDate> = (0..12u64).map(|i| today - Days::new(7 * i)).collect();
        assert_eq!(deployment_frequency(&weekly, today), "weekly");
        assert_eq!(deployment_frequency(&BTreeSet::new(), today), "yearly");
    }

    #[test]
    fn time_to_restore_is_the_median_of_hotfixes_that_reached_production() {
        use chrono::TimeZone;
        let at = |day, hour| Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap();
        let restores = [
            Restore {
                asked: at(1, 10),
                in_production: Some(at(1, 12)),
            },
            Restore {
                asked: at(2, 10),
                in_production: Some(at(2, 16)),
            },
            Restore {
                asked: at(3, 10),
                in_production: Some(at(3, 14)),
            },
            Restore {
                asked: at(4, 10),
                in_production: None,
            },
        ];
        assert_eq!(time_to_restore(restores.iter()), "4h 0m");
        assert_eq!(time_to_restore(restores[3..].iter()), "–");
    }

    #[test]
    fn the_change_failure_rate_counts_releases_a_fix_replaced_in_production() {
        use chrono::TimeZone;
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let releases = [
            ProductionRelease { at, failed: true },
            ProductionRelease { at, failed: false },
            ProductionRelease { at, failed: false },
        ];
        assert_eq!(failure_rate(releases.iter()), "33% (1/3)");
        assert_eq!(failure_rate([].iter()), "–");
    }

    #[test]
    fn the_chart_is_an_svg_with_a_title_and_one_bar_per_kind() {
        let month = |name: &str, regular, hotfix| MonthRow {
            month: name.into(),
            regular,
            warmfix: 0,
            hotfix,
            short_circuit: String::new(),
            merge_to_staging: String::new(),
            staging_to_production: String::new(),
            skipped: 0,
            production_deploys: 0,
            lead_time: String::new(),
            time_to_restore: String::new(),
            change_failure_rate: String::new(),
        };
        let svg = chart(&[month("2026-11", 2, 0), month("2026-12", 1, 1)]);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("<title id=\"chart-title\">"), "{svg}");
        assert_eq!(svg.matches("class=\"regular\"").count(), 2);
        assert!(svg.contains("<title>2026-12 hotfix: 1</title>"), "{svg}");
    }

    #[test]
    fn lead_time_for_changes_is_the_median_per_month_and_quarter_they_reached_production() {
        use chrono::TimeZone;
        let at = |m, day, hour| Utc.with_ymd_and_hms(2026, m, day, hour, 0, 0).unwrap();
        let now = at(12, 5, 12);
        let stats =
            crate::domain::stats::compute("a/b", &[], &[], chrono_tz::UTC, Some(d(8, 1)), now);
        let change = |m, day, hours: i64| ChangeLead {
            merged: at(m, day, 0),
            in_production: at(m, day, 0) + chrono::Duration::hours(hours),
        };
        let changes = [
            change(9, 10, 2),
            change(10, 1, 6),
            change(10, 20, 10),
            change(11, 3, 24),
            // Before the months shown: in no row.
            change(7, 1, 100),
        ];
        let view = metrics(&stats, &[], &[], &[], &changes, chrono_tz::UTC, now);
        let by_month: Vec<(&str, &str)> = view
            .months
            .iter()
            .map(|m| (m.month.as_str(), m.lead_time.as_str()))
            .collect();
        assert_eq!(
            by_month,
            [
                ("2026-08", "–"),
                ("2026-09", "2h 0m"),
                ("2026-10", "8h 0m"),
                ("2026-11", "1d 0h"),
                ("2026-12", "–"),
            ]
        );
        let quarters: Vec<(&str, usize, &str)> = view
            .quarters
            .iter()
            .map(|q| (q.quarter.as_str(), q.changes, q.lead_time.as_str()))
            .collect();
        assert_eq!(
            quarters,
            [("2026 Q3", 1, "2h 0m"), ("2026 Q4", 3, "10h 0m")]
        );
        assert_eq!(view.total.lead_time, "8h 0m");
    }
}
