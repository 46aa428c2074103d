//! Properties of the calendar and the rotation over generated configurations.

use chrono::{Datelike, Duration, NaiveDate};
use proptest::prelude::*;
use relman::config::repo::{Period, RepoConfig, YearMonth, parse_repo_config};
use relman::domain::calendar::{Adjustment, Calendar};
use relman::domain::rotation::{AssignmentSource, Rotation, Swap};

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const ZONES: [&str; 4] = [
    "UTC",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Australia/Sydney",
];
const MEMBERS: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];

fn base_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
}

#[derive(Debug, Clone)]
struct Setup {
    every_weeks: u32,
    weekday: usize,
    anchor_offset: i64,
    zone: usize,
    skip: bool,
    /// (offset from the base date, extra days): single days and ranges.
    holidays: Vec<(i64, i64)>,
    start_offset: i64,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        1u32..=4,
        0usize..7,
        0i64..700,
        0usize..ZONES.len(),
        any::<bool>(),
        prop::collection::vec(
            (0i64..1200, prop_oneof![3 => Just(0i64), 1 => 1i64..12]),
            0..40,
        ),
        0i64..900,
    )
        .prop_map(
            |(every_weeks, weekday, anchor_offset, zone, skip, holidays, start_offset)| Setup {
                every_weeks,
                weekday,
                anchor_offset,
                zone,
                skip,
                holidays,
                start_offset,
            },
        )
}

impl Setup {
    fn anchor(&self) -> NaiveDate {
        // The first day on or after base + offset that is the configured weekday.
        let candidate = base_date() + Duration::days(self.anchor_offset);
        let behind =
            (self.weekday as i64 - candidate.weekday().num_days_from_monday() as i64).rem_euclid(7);
        candidate + Duration::days(behind)
    }

    fn holiday_ranges(&self) -> Vec<(NaiveDate, NaiveDate)> {
        self.holidays
            .iter()
            .map(|(offset, extra)| {
                let first = base_date() + Duration::days(*offset);
                (first, first + Duration::days(*extra))
            })
            .collect()
    }

    fn yaml(&self) -> String {
        let dates: Vec<String> = self
            .holiday_ranges()
            .iter()
            .map(|(first, last)| {
                if first == last {
                    format!("\"{first}\"")
                } else {
                    format!("\"{first}..{last}\"")
                }
            })
            .collect();
        format!(
            "timezone: {}\nschedule: {{ every_weeks: {}, weekday: {}, anchor: {} }}\nholidays: {{ dates: [{}], on_holiday: {} }}\nrotation: {{ members: [alice, bob, carol] }}\n",
            ZONES[self.zone],
            self.every_weeks,
            WEEKDAYS[self.weekday],
            self.anchor(),
            dates.join(", "),
            if self.skip {
                "skip"
            } else {
                "next_business_day"
            },
        )
    }

    fn config(&self) -> RepoConfig {
        parse_repo_config("generated.yml", &self.yaml())
            .unwrap_or_else(|errors| panic!("{errors}\n{}", self.yaml()))
    }

    fn start(&self) -> NaiveDate {
        base_date() + Duration::days(self.start_offset)
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    date.weekday().num_days_from_monday() >= 5
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn release_days_follow_the_cadence_and_avoid_holidays(setup in setup()) {
        let config = setup.config();
        let calendar = Calendar::from_config(&config, &[]);
        let holidays = setup.holiday_ranges();
        let in_holiday = |date: NaiveDate| holidays.iter().any(|(first, last)| *first <= date && date <= *last);
        let cadence = Duration::weeks(i64::from(setup.every_weeks));
        let days: Vec<_> = calendar.releases_from(setup.start()).take(60).collect();
        prop_assert_eq!(days.len(), 60);

        // The first day is the first on or after the start; the cycle before it is not.
        prop_assert!(days[0].date.unwrap_or(days[0].scheduled) >= setup.start());
        let before = calendar.release_day(days[0].cycle - 1).unwrap();
        prop_assert!(before.date.unwrap_or(before.scheduled) < setup.start());

        let mut last_date: Option<NaiveDate> = None;
        for (i, day) in days.iter().enumerate() {
            prop_assert_eq!(day.scheduled.weekday().num_days_from_monday() as usize, setup.weekday);
            prop_assert_eq!((day.scheduled - setup.anchor()).num_days() % cadence.num_days(), 0);
            if i > 0 {
                prop_assert_eq!(day.scheduled - days[i - 1].scheduled, cadence);
            }
            prop_assert_eq!(day.reason.is_some(), in_holiday(day.scheduled), "reason iff the scheduled day is a holiday");
            match (&day.reason, day.date) {
                (None, date) => prop_assert_eq!(date, Some(day.scheduled)),
                (Some(Adjustment::Moved { .. }), Some(date)) => {
                    prop_assert!(!setup.skip);
                    prop_assert!(date > day.scheduled && date < day.scheduled + cadence);
                    prop_assert!(!is_weekend(date));
                    // The first business day: every day passed over is a weekend day or a holiday.
                    for passed in day.scheduled.iter_days().take_while(|d| *d < date) {
                        prop_assert!(is_weekend(passed) || in_holiday(passed));
                    }
                }
                (Some(Adjustment::Skipped { .. }), None) => prop_assert!(setup.skip),
                (Some(Adjustment::NoBusinessDayBeforeNextRelease { .. }), None) => {
                    prop_assert!(!setup.skip);
                    for passed in day.scheduled.iter_days().take_while(|d| *d < day.scheduled + cadence) {
                        prop_assert!(is_weekend(passed) || in_holiday(passed));
                    }
                }
                (reason, date) => prop_assert!(false, "inconsistent day: {:?} {:?}", reason, date),
            }
            if let Some(date) = day.date {
                prop_assert!(!in_holiday(date), "{} is a holiday", date);
                prop_assert!(!calendar.is_holiday(date));
                if let Some(previous) = last_date {
                    prop_assert!(date > previous, "{} after {}", date, previous);
                }
                last_date = Some(date);
                prop_assert_eq!(calendar.release_on(date).map(|d| d.cycle), Some(day.cycle));
                prop_assert_eq!(day.starts_at.map(|t| t.with_timezone(&calendar.timezone()).date_naive()), Some(date));
            }
        }
    }

    #[test]
    fn monthly_rotation_is_periodic_and_honours_overrides_and_swaps(
        members in 1usize..=5,
        starts in 0i64..36,
        probe in 0i64..120,
        overridden in prop::collection::btree_map(0i64..120, 0usize..MEMBERS.len(), 0..6),
        swap in (0i64..120, 0usize..MEMBERS.len(), 0usize..MEMBERS.len()),
    ) {
        let month_at = |offset: i64| {
            let mut month = YearMonth::new(2024, 1).unwrap();
            for _ in 0..offset { month = month.next(); }
            month
        };
        let team = &MEMBERS[..members];
        let overrides: Vec<String> = overridden.iter().map(|(m, who)| format!("\"{}\": {}", month_at(*m), MEMBERS[*who])).collect();
        let yaml = format!(
            "schedule: {{ anchor: 2024-01-02 }}\nrotation: {{ starts: {}, members: [{}], overrides: {{ {} }} }}\n",
            month_at(starts), team.join(", "), overrides.join(", "),
        );
        let config = parse_repo_config("generated.yml", &yaml).unwrap();
        let calendar = Calendar::from_config(&config, &[]);
        let rotation = Rotation::from_config(&config, &calendar);
        let period = |offset: i64| Period::Month(month_at(offset));

        let assignment = rotation.assignment(period(probe), &calendar, &[]);
        match overridden.get(&probe) {
            Some(who) => {
                prop_assert_eq!(&assignment.manager, MEMBERS[*who]);
                prop_assert_eq!(assignment.source, AssignmentSource::Override);
            }
            None => {
                let turn = (probe - starts).rem_euclid(members as i64) as usize;
                prop_assert_eq!(&assignment.manager, team[turn]);
                prop_assert_eq!(assignment.source, AssignmentSource::Rotation);
                let later = probe + members as i64;
                if !overridden.contains_key(&later) {
                    prop_assert_eq!(rotation.assignment(period(later), &calendar, &[]).manager, assignment.manager.clone());
                }
            }
        }

        let (swap_month, a, b) = swap;
        let swaps = [Swap { period: period(swap_month), a: MEMBERS[a].to_owned(), b: MEMBERS[b].to_owned() }];
        for offset in [swap_month, probe] {
            let without = rotation.assignment(period(offset), &calendar, &[]).manager;
            let with = rotation.assignment(period(offset), &calendar, &swaps).manager;
            let expected = if offset != swap_month {
                without.clone()
            } else if without == MEMBERS[a] {
                MEMBERS[b].to_owned()
            } else if without == MEMBERS[b] {
                MEMBERS[a].to_owned()
            } else {
                without.clone()
            };
            prop_assert_eq!(with, expected);
        }
        // Swapping the same pair twice restores the period.
        let twice = [swaps[0].clone(), swaps[0].clone()];
        prop_assert_eq!(
            rotation.assignment(period(swap_month), &calendar, &twice).manager,
            rotation.assignment(period(swap_month), &calendar, &[]).manager
        );
    }

    #[test]
    fn per_release_rotation_is_periodic_over_cycles(members in 1usize..=5, every_weeks in 1u32..=4, skip_every in 0i64..4) {
        let team = &MEMBERS[..members];
        // Holidays on some release days must not shift whose turn a cycle is.
        let holidays: Vec<String> = (0..20i64)
            .filter(|i| skip_every > 0 && i % (skip_every + 1) == 0)
            .map(|i| (NaiveDate::from_ymd_opt(2024, 1, 2).unwrap() + Duration::weeks(i64::from(every_weeks) * i)).to_string())
            .collect();
        let yaml = format!(
            "schedule: {{ every_weeks: {every_weeks}, anchor: 2024-01-02 }}\nholidays: {{ dates: [{}], on_holiday: skip }}\nrotation: {{ every: release, members: [{}] }}\n",
            holidays.join(", "), team.join(", "),
        );
        let config = parse_repo_config("generated.yml", &yaml).unwrap();
        let calendar = Calendar::from_config(&config, &[]);
        let rotation = Rotation::from_config(&config, &calendar);
        let days: Vec<_> = calendar.releases_from(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()).take(20).collect();
        for (i, day) in days.iter().enumerate() {
            prop_assert_eq!(&rotation.manager_for(day, &calendar, &[]).manager, team[i % members]);
        }
    }
}
