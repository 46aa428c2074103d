//! The release-manager rotation: who runs the release train in each period.
//!
//! Members take turns in order, one period each — a calendar month (`every: month`) or one
//! release cycle (`every: release`) — starting with the first member in `starts`. On top of
//! that, `overrides` name a different person for one period, and recorded swaps (from
//! `/rotation swap @a @b <period>`) exchange two people within one period: whoever of the two
//! the period falls to hands it to the other. A full trade of turns is two swaps, one for each
//! period. Swaps apply after overrides, in the order they were recorded.
//!
//! A release belongs to the period of its *scheduled* date: a release moved past the end of a
//! month is still run by the manager who prepared it.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use super::calendar::{Calendar, ReleaseDay};
pub use crate::config::repo::Period;
use crate::config::repo::{RepoConfig, RotationEvery, YearMonth};

/// A recorded exchange of the release-manager duty between `a` and `b` for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Swap {
    pub period: Period,
    pub a: String,
    pub b: String,
}

/// Who is release manager for a period, and by which rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub period: Period,
    pub manager: String,
    pub source: AssignmentSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentSource {
    /// The member whose turn it is.
    Rotation,
    /// `rotation.overrides` in the config.
    Override,
    /// A recorded swap.
    Swap,
}

/// The start of a period and who takes over then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handoff {
    /// The first day of the period: the 1st of the month, or the day after the previous release.
    pub starts_on: NaiveDate,
    /// The manager until then.
    pub previous: String,
    pub assignment: Assignment,
}

impl Handoff {
    /// Whether the manager actually changes (a one-member rotation never does).
    pub fn changes_manager(&self) -> bool {
        !self.previous.eq_ignore_ascii_case(&self.assignment.manager)
    }
}

/// The rotation of one repository.
#[derive(Debug, Clone)]
pub struct Rotation {
    every: RotationEvery,
    members: Vec<String>,
    starts: YearMonth,
    overrides: BTreeMap<Period, String>,
    /// For `every: release`: the first cycle scheduled in or after `starts`, whose release is the
    /// first member's.
    first_cycle: i64,
}

impl Rotation {
    /// The rotation of a validated config; `calendar` must be built from the same config.
    pub fn from_config(config: &RepoConfig, calendar: &Calendar) -> Rotation {
        let rotation = &config.rotation;
        let starts = rotation
            .starts
            .unwrap_or_else(|| YearMonth::of(config.schedule.anchor));
        let first_cycle = starts
            .first_day()
            .and_then(|first| first.pred_opt())
            .map_or(0, |day_before| calendar.cycle_on_or_before(day_before) + 1);
        Rotation {
            every: rotation.every,
            members: rotation.members.clone(),
            starts,
            overrides: rotation.overrides.clone(),
            first_cycle,
        }
    }

    pub fn every(&self) -> RotationEvery {
        self.every
    }

    pub fn members(&self) -> &[String] {
        &self.members
    }

    /// The period a release day belongs to.
    pub fn period_of(&self, day: &ReleaseDay) -> Period {
        match self.every {
            RotationEvery::Month => Period::Month(YearMonth::of(day.scheduled)),
            RotationEvery::Release => Period::Release(day.scheduled),
        }
    }

    /// The period `date` is in: its month, or for `every: release` the cycle of the next
    /// release on or after `date` (its manager is the one preparing it).
    pub fn period_on(&self, date: NaiveDate, calendar: &Calendar) -> Period {
        match self.every {
            RotationEvery::Month => Period::Month(YearMonth::of(date)),
            RotationEvery::Release => {
                let scheduled = calendar
                    .releases_from(date)
                    .next()
                    .map_or(date, |day| day.scheduled);
                Period::Release(scheduled)
            }
        }
    }

    /// The member whose turn `period` is, ignoring overrides and swaps.
    fn member_index(&self, period: Period, calendar: &Calendar) -> usize {
        let turns = match period {
            Period::Month(month) => self.starts.months_until(month),
            Period::Release(scheduled) => calendar.cycle_on_or_before(scheduled) - self.first_cycle,
        };
        // Validation guarantees at least one member.
        let len = i64::try_from(self.members.len()).unwrap_or(i64::MAX).max(1);
        usize::try_from(turns.rem_euclid(len)).unwrap_or(0)
    }

    /// Who is release manager for `period`.
    pub fn assignment(&self, period: Period, calendar: &Calendar, swaps: &[Swap]) -> Assignment {
        let (mut manager, mut source) = match self.overrides.get(&period) {
            Some(login) => (login.clone(), AssignmentSource::Override),
            // Validation guarantees members; a hand-built empty rotation yields an empty login
            // rather than a panic.
            None => {
                let member = self
                    .members
                    .get(self.member_index(period, calendar))
                    .cloned()
                    .unwrap_or_default();
                (member, AssignmentSource::Rotation)
            }
        };
        for swap in swaps.iter().filter(|swap| swap.period == period) {
            let replacement = if manager.eq_ignore_ascii_case(&swap.a) {
                &swap.b
            } else if manager.eq_ignore_ascii_case(&swap.b) {
                &swap.a
            } else {
                continue;
            };
            manager.clone_from(replacement);
            source = AssignmentSource::Swap;
        }
        Assignment {
            period,
            manager,
            source,
        }
    }

    /// The release manager of a release day.
    pub fn manager_for(&self, day: &ReleaseDay, calendar: &Calendar, swaps: &[Swap]) -> Assignment {
        self.assignment(self.period_of(day), calendar, swaps)
    }

    /// The release manager on `date`.
    pub fn manager_on(&self, date: NaiveDate, calendar: &Calendar, swaps: &[Swap]) -> Assignment {
        self.assignment(self.period_on(date, calendar), calendar, swaps)
    }

    /// The next `count` period starts strictly after `after`, each with the manager taking over.
    pub fn handoffs(
        &self,
        after: NaiveDate,
        count: usize,
        calendar: &Calendar,
        swaps: &[Swap],
    ) -> Vec<Handoff> {
        let mut handoffs = Vec::with_capacity(count);
        match self.every {
            RotationEvery::Month => {
                let mut month = YearMonth::of(after);
                let mut previous = self
                    .assignment(Period::Month(month), calendar, swaps)
                    .manager;
                while handoffs.len() < count {
                    month = month.next();
                    let Some(starts_on) = month.first_day() else {
                        break;
                    };
                    let assignment = self.assignment(Period::Month(month), calendar, swaps);
                    let next_previous = assignment.manager.clone();
                    handoffs.push(Handoff {
                        starts_on,
                        previous,
                        assignment,
                    });
                    previous = next_previous;
                }
            }
            RotationEvery::Release => {
                // A release period runs from the day after the previous release (or its
                // scheduled date, when skipped) through its own release.
                let mut releases = calendar.releases_from(after);
                let Some(mut current) = releases.next() else {
                    return handoffs;
                };
                let mut previous = self.manager_for(&current, calendar, swaps).manager;
                while handoffs.len() < count {
                    let Some(next) = releases.next() else { break };
                    let ended = current.date.unwrap_or(current.scheduled);
                    let starts_on = ended + Duration::days(1);
                    let assignment = self.manager_for(&next, calendar, swaps);
                    let next_previous = assignment.manager.clone();
                    if starts_on > after {
                        handoffs.push(Handoff {
                            starts_on,
                            previous,
                            assignment,
                        });
                    }
                    previous = next_previous;
                    current = next;
                }
            }
        }
        handoffs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::parse_repo_config;

    fn setup(rotation: &str) -> (Calendar, Rotation) {
        let text = format!("schedule: {{ anchor: 2026-01-06 }}\nrotation: {rotation}\n");
        let config = parse_repo_config("t.yml", &text).unwrap();
        let calendar = Calendar::from_config(&config, &[]);
        let rotation = Rotation::from_config(&config, &calendar);
        (calendar, rotation)
    }

    fn month(text: &str) -> Period {
        Period::Month(text.parse().unwrap())
    }

    #[test]
    fn monthly_turns_start_with_the_first_member() {
        let (calendar, rotation) = setup("{ starts: 2026-02, members: [alice, bob, carol] }");
        let manager = |m| rotation.assignment(month(m), &calendar, &[]).manager;
        assert_eq!(manager("2026-02"), "alice");
        assert_eq!(manager("2026-03"), "bob");
        assert_eq!(manager("2026-05"), "alice");
        assert_eq!(manager("2026-01"), "carol");
    }

    #[test]
    fn swaps_exchange_within_one_period() {
        let (calendar, rotation) =
            setup("{ members: [alice, bob, carol], overrides: { \"2026-02\": dave } }");
        let swaps = [
            Swap {
                period: month("2026-01"),
                a: "bob".into(),
                b: "alice".into(),
            },
            Swap {
                period: month("2026-02"),
                a: "dave".into(),
                b: "erin".into(),
            },
        ];
        let january = rotation.assignment(month("2026-01"), &calendar, &swaps);
        assert_eq!(
            (january.manager.as_str(), january.source),
            ("bob", AssignmentSource::Swap)
        );
        assert_eq!(
            rotation
                .assignment(month("2026-02"), &calendar, &swaps)
                .manager,
            "erin"
        );
        assert_eq!(
            rotation
                .assignment(month("2026-03"), &calendar, &swaps)
                .manager,
            "carol"
        );
    }

    #[test]
    fn per_release_turns_and_handoffs() {
        let (calendar, rotation) = setup("{ every: release, members: [alice, bob] }");
        let days: Vec<_> = calendar
            .releases_from("2026-01-06".parse().unwrap())
            .take(3)
            .collect();
        let managers: Vec<_> = days
            .iter()
            .map(|d| rotation.manager_for(d, &calendar, &[]).manager)
            .collect();
        assert_eq!(managers, ["alice", "bob", "alice"]);
        let handoffs = rotation.handoffs("2026-01-06".parse().unwrap(), 2, &calendar, &[]);
        assert_eq!(
            handoffs[0].starts_on,
            "2026-01-07".parse::<NaiveDate>().unwrap()
        );
        assert_eq!(
            (
                handoffs[0].previous.as_str(),
                handoffs[0].assignment.manager.as_str()
            ),
            ("alice", "bob")
        );
        assert!(handoffs.iter().all(Handoff::changes_manager));
    }
}
