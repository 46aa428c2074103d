//! `/rotation` and `/rotation swap @a @b <period>` decided: the table of who is release manager
//! now and next, and a swap's records, reassignments and reply. Pure: the handler reads the
//! train and the open releases, these functions say what to do.

use chrono::{DateTime, NaiveDate, Utc};

use super::calendar::Calendar;
use super::effects::{Effect, ReleaseView, Reply, Stage};
use super::rotation::{AssignmentSource, Rotation, Swap};
use crate::config::repo::{Period, RotationEvery, YearMonth};

/// How many hand-offs `/rotation` lists after the current period.
const SHOWN: usize = 6;

/// The rotation as the commands read it: `None` when the repository has no usable config.
pub struct RotationFacts<'a> {
    pub calendar: &'a Calendar,
    pub rotation: &'a Rotation,
    pub swaps: &'a [Swap],
}

fn no_rotation() -> Reply {
    Reply::Refused(
        "this repository has no release-manager rotation: add `rotation` to `.github/relman.yml`."
            .into(),
    )
}

fn source_note(source: AssignmentSource) -> &'static str {
    match source {
        AssignmentSource::Rotation => "",
        AssignmentSource::Override => ", set in the config",
        AssignmentSource::Swap => ", swapped",
    }
}

/// A period as written in a command: a date (a release) or `YYYY-MM` (a month).
pub fn parse_period(s: &str) -> Option<Period> {
    if let Ok(day) = s.parse::<NaiveDate>() {
        return Some(Period::Release(day));
    }
    s.parse::<YearMonth>().ok().map(Period::Month)
}

/// `/rotation`: who is release manager on `today` and at the next hand-offs.
pub fn show(facts: Option<&RotationFacts<'_>>, today: NaiveDate) -> Reply {
    let Some(f) = facts.filter(|f| !f.rotation.members().is_empty()) else {
        return no_rotation();
    };
    let now = f.rotation.manager_on(today, f.calendar, f.swaps);
    let mut out = format!(
        "Release manager now: **@{}** ({}{}).\n\n| from | release manager | |\n|---|---|---|\n",
        now.manager,
        now.period,
        source_note(now.source)
    );
    for handoff in f.rotation.handoffs(today, SHOWN, f.calendar, f.swaps) {
        out.push_str(&format!(
            "| {} | @{} | {} |\n",
            handoff.starts_on.format("%a %Y-%m-%d"),
            handoff.assignment.manager,
            source_note(handoff.assignment.source).trim_start_matches(", ")
        ));
    }
    out.push_str(&format!(
        "\nMembers, in turn: {}. Admins change a turn with `/rotation swap @a @b <period>`.",
        f.rotation
            .members()
            .iter()
            .map(|m| format!("@{m}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Reply::Done(Some(out))
}

/// A swap as asked for.
pub struct SwapRequest<'a> {
    pub a: &'a str,
    pub b: &'a str,
    pub period: &'a str,
    pub by: &'a str,
    pub comment_id: u64,
}

/// `/rotation swap @a @b <period>`: recorded; the open tracking issues of that period change
/// hands (store and assignee), and the tracking issues are rendered again when one did.
pub fn decide_swap(
    facts: Option<&RotationFacts<'_>>,
    open: &[ReleaseView],
    request: &SwapRequest<'_>,
    now: DateTime<Utc>,
) -> (Vec<Effect>, Reply) {
    let Some(f) = facts.filter(|f| !f.rotation.members().is_empty()) else {
        return (Vec::new(), no_rotation());
    };
    let (a, b) = (request.a, request.b);
    let expected = match f.rotation.every() {
        RotationEvery::Month => "a month, `YYYY-MM`",
        RotationEvery::Release => "a scheduled release date, `YYYY-MM-DD`",
    };
    let period = match (parse_period(request.period), f.rotation.every()) {
        (Some(p @ Period::Month(_)), RotationEvery::Month) => p,
        (Some(Period::Release(date)), RotationEvery::Release)
            if f.calendar
                .release_day(f.calendar.cycle_on_or_before(date))
                .is_some_and(|d| d.scheduled == date) =>
        {
            Period::Release(date)
        }
        _ => {
            return (
                Vec::new(),
                Reply::Refused(format!(
                    "`{}` is not a period of this rotation: it turns every {}, so name {expected}.",
                    request.period,
                    f.rotation.every().name()
                )),
            );
        }
    };
    let before = f.rotation.assignment(period, f.calendar, f.swaps);
    if !before.manager.eq_ignore_ascii_case(a) && !before.manager.eq_ignore_ascii_case(b) {
        return (
            Vec::new(),
            Reply::Refused(format!(
                "neither @{a} nor @{b} is release manager in {period} (it is @{}), so there is nothing to swap.",
                before.manager
            )),
        );
    }
    let swap = Swap {
        period,
        a: a.to_string(),
        b: b.to_string(),
    };
    let at_ms = now.timestamp_millis();
    let mut swaps = f.swaps.to_vec();
    swaps.push(swap.clone());
    let after = f.rotation.assignment(period, f.calendar, &swaps);
    let mut effects = vec![Effect::RecordSwap {
        swap,
        by: request.by.to_string(),
        comment_id: request.comment_id,
        at_ms,
    }];

    let mut reassigned = Vec::new();
    for rec in open {
        let Some(day) = f
            .calendar
            .release_day(f.calendar.cycle_on_or_before(rec.scheduled_date))
        else {
            continue;
        };
        if f.rotation.period_of(&day) != period || rec.state != Stage::Open {
            continue;
        }
        effects.push(Effect::SetReleaseManager {
            release_id: rec.id,
            manager: after.manager.clone(),
            at_ms,
        });
        if let Some(n) = rec.issue_number {
            effects.push(Effect::AssignIssue {
                issue: n,
                assignees: vec![after.manager.clone()],
            });
            reassigned.push(format!("#{n}"));
        }
    }
    if !reassigned.is_empty() {
        effects.push(Effect::RefreshTracking);
    }
    let mut message = format!(
        "@{} is release manager for {period} instead of @{}.",
        after.manager, before.manager
    );
    if !reassigned.is_empty() {
        message.push_str(&format!(" Reassigned {}.", reassigned.join(", ")));
    }
    (effects, Reply::Done(Some(message)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::parse_repo_config;
    use crate::domain::expedited::Kind;

    struct World {
        calendar: Calendar,
        rotation: Rotation,
    }

    fn world(rotation: &str) -> World {
        let yaml = format!(
            "timezone: Europe/Berlin\nschedule: {{ every_weeks: 1, weekday: tuesday, anchor: 2026-12-01 }}\n{rotation}"
        );
        let config = parse_repo_config("test", &yaml).unwrap();
        let calendar = Calendar::from_config(&config, &[]);
        let rotation = Rotation::from_config(&config, &calendar);
        World { calendar, rotation }
    }

    fn monthly() -> World {
        world("rotation: { every: month, starts: 2026-01, members: [alice, bob] }\n")
    }

    fn facts(w: &World) -> RotationFacts<'_> {
        RotationFacts {
            calendar: &w.calendar,
            rotation: &w.rotation,
            swaps: &[],
        }
    }

    fn open(id: i64, scheduled: &str, issue: Option<u64>) -> ReleaseView {
        ReleaseView {
            id,
            key: format!("regular:{scheduled}"),
            kind: Kind::Regular,
            scheduled_date: scheduled.parse().unwrap(),
            release_date: None,
            issue_number: issue,
            state: Stage::Open,
            manager: None,
            tag: None,
            released_at: None,
        }
    }

    fn request<'a>(a: &'a str, b: &'a str, period: &'a str) -> SwapRequest<'a> {
        SwapRequest {
            a,
            b,
            period,
            by: "admin",
            comment_id: 3,
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-03T09:00:00Z".parse().unwrap()
    }

    fn manager_of(w: &World, period: &str) -> String {
        w.rotation
            .assignment(parse_period(period).unwrap(), &w.calendar, &[])
            .manager
    }

    #[test]
    fn a_swap_reassigns_the_open_issues_of_its_period_only() {
        let w = monthly();
        let december = manager_of(&w, "2026-12");
        let other = if december == "alice" { "bob" } else { "alice" };
        let issues = [
            open(1, "2026-12-08", Some(40)),
            open(2, "2027-01-05", Some(41)),
        ];
        let (effects, reply) = decide_swap(
            Some(&facts(&w)),
            &issues,
            &request(&december, other, "2026-12"),
            now(),
        );
        assert!(matches!(effects[0], Effect::RecordSwap { .. }));
        assert_eq!(
            effects[1..],
            [
                Effect::SetReleaseManager {
                    release_id: 1,
                    manager: other.into(),
                    at_ms: now().timestamp_millis()
                },
                Effect::AssignIssue {
                    issue: 40,
                    assignees: vec![other.into()]
                },
                Effect::RefreshTracking,
            ]
        );
        assert_eq!(
            reply,
            Reply::Done(Some(format!(
                "@{other} is release manager for 2026-12 instead of @{december}. Reassigned #40."
            )))
        );
    }

    #[test]
    fn a_swap_with_no_open_issue_is_only_recorded() {
        let w = monthly();
        let march = manager_of(&w, "2027-03");
        let (effects, reply) = decide_swap(
            Some(&facts(&w)),
            &[],
            &request(&march, "carol", "2027-03"),
            now(),
        );
        assert_eq!(effects.len(), 1, "{effects:?}");
        assert!(matches!(reply, Reply::Done(Some(t)) if !t.contains("Reassigned")));
    }

    #[test]
    fn swaps_that_name_no_manager_or_no_period_are_refused() {
        let w = monthly();
        let (effects, reply) = decide_swap(
            Some(&facts(&w)),
            &[],
            &request("carol", "dave", "2026-12"),
            now(),
        );
        assert!(effects.is_empty());
        assert!(matches!(reply, Reply::Refused(t) if t.starts_with("neither @carol nor @dave")));

        let (effects, reply) = decide_swap(
            Some(&facts(&w)),
            &[],
            &request("alice", "bob", "2026-12-08"),
            now(),
        );
        assert!(effects.is_empty());
        assert!(matches!(reply, Reply::Refused(t) if t.contains("so name a month, `YYYY-MM`")));

        // A rotation per release takes only a scheduled release date.
        let w = world("rotation: { every: release, members: [alice, bob] }\n");
        let (_, reply) = decide_swap(
            Some(&facts(&w)),
            &[],
            &request("alice", "bob", "2026-12-09"),
            now(),
        );
        assert!(matches!(reply, Reply::Refused(t) if t.contains("a scheduled release date")));

        let (effects, reply) = decide_swap(None, &[], &request("a", "b", "2026-12"), now());
        assert!(effects.is_empty());
        assert_eq!(reply, no_rotation());
    }

    #[test]
    fn the_table_names_the_manager_now_and_the_members() {
        let w = monthly();
        let Reply::Done(Some(text)) = show(Some(&facts(&w)), "2026-12-03".parse().unwrap()) else {
            panic!()
        };
        assert!(text.starts_with("Release manager now: **@"), "{text}");
        assert!(text.contains("Members, in turn: @alice, @bob."), "{text}");
        // The header row and one row per hand-off.
        assert_eq!(text.matches("\n| ").count(), 1 + SHOWN, "{text}");
        assert_eq!(show(None, "2026-12-03".parse().unwrap()), no_rotation());
    }
}
