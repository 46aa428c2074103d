//! What one release cycle of a 50-repository installation costs in GitHub requests and
//! rate-limit points, with conditional requests and without, on the fake GitHub. The counts
//! are deterministic (no timing in them); the test prints them and holds the conditional run
//! to bounds: its busiest hour and a quiet hour. The figures are in benches/github-calls.md.

use crate::support;

use std::collections::BTreeMap;

use github_sim::{Permission, RateLimit, events};
use relman::github::app::GitHubApp;
use support::TestDb;
use support::scenario::{INSTALLATION, REPO, Tester};

/// acme/web's train, with the request to Ops.
const TRAIN: &str = "\
timezone: America/Los_Angeles
schedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }
rotation: { every: month, starts: 2026-01, members: [alice] }
qa: { members: [quinn] }
deployment_request: { repo: acme/ops, labels: [deployment-request], assignees: [olga] }
";

/// Monday 7 Dec 2026, 10:00 in Los Angeles: the day before a release day.
const MONDAY: &str = "2026-12-07T18:00:00Z";
const REPOSITORIES: usize = 50;
const TRACKING: &str = "Release 2026-12-08";

/// What a cycle cost the installation.
#[derive(Debug, Default)]
struct Figures {
    requests: u64,
    not_modified: u64,
    points: u64,
    /// Points per `METHOD /route/template`.
    points_by_route: BTreeMap<String, u64>,
    /// Requests and points of an hour in which nothing changed (six ticks).
    quiet_hour: (u64, u64),
    /// The most points spent within one hour of the sim's clock.
    busiest_hour: u64,
}

fn repositories() -> Vec<String> {
    std::iter::once(REPO.to_string())
        .chain((1..REPOSITORIES).map(|i| format!("acme/svc{i:02}")))
        .collect()
}

struct Cycle {
    t: Tester,
    now: chrono::DateTime<chrono::Utc>,
    /// Points spent so far, read after each tick.
    marks: Vec<(chrono::DateTime<chrono::Utc>, u64)>,
}

impl Cycle {
    async fn installed(github: fn(GitHubApp) -> GitHubApp) -> Cycle {
        let mut t = Tester::at_with(TestDb::sqlite(), Some(TRAIN), MONDAY, github).await;
        // A budget no run reaches: the points are counted, not refused.
        t.sim.set_rate_limit(RateLimit {
            limit: 1_000_000,
            window: chrono::Duration::hours(1),
        });
        t.sim.with(|w| {
            for repo in repositories().iter().skip(1) {
                let _ = w
                    .add_repo(repo)
                    .installation(INSTALLATION)
                    .collaborator("alice", Permission::Admin)
                    .collaborator("bob", Permission::Write)
                    .collaborator("quinn", Permission::Write)
                    .file(".github/relman.yml", TRAIN);
            }
            // v1.3.0 runs in production since 10 Nov; v1.4.0 reached staging on the previous
            // release day, 24 Nov, and goes to production on this one.
            let now = w.now;
            for repo in repositories() {
                w.add_tag(&repo, "v1.3.0", "main");
                w.commit(
                    &repo,
                    "main",
                    "Last cycle's change",
                    &[("CHANGES", "1.4.0")],
                );
                w.add_tag(&repo, "v1.4.0", "main");
                for (environment, version, at) in [
                    ("production", "v1.3.0", "2026-11-10T20:00:00Z"),
                    ("staging", "v1.4.0", "2026-11-24T20:00:00Z"),
                ] {
                    w.now = chrono::DateTime::parse_from_rfc3339(at).unwrap().to_utc();
                    let id = w.add_deployment(&repo, version, environment, "deploy-bot");
                    w.add_deployment_status(&repo, id, "success", "deploy-bot");
                }
            }
            w.now = now;
            let _ = w
                .add_repo("acme/ops")
                .installation(INSTALLATION)
                .collaborator("olga", Permission::Write);
        });
        t.install().await;
        let now = chrono::DateTime::parse_from_rfc3339(MONDAY)
            .unwrap()
            .to_utc();
        Cycle {
            t,
            now,
            marks: Vec::new(),
        }
    }

    /// Ten minutes pass: debounced refreshes come due, and the scheduler's tick runs the train
    /// of every repository.
    async fn ten_minutes(&mut self) {
        self.now += chrono::Duration::minutes(10);
        self.t.set_time(&self.now.to_rfc3339());
        self.t.tick().await;
        let points = self.t.sim.usage(INSTALLATION).points;
        self.marks.push((self.now, points));
    }

    /// The most points spent between two ticks at most an hour apart (what came before the
    /// first tick counted with it).
    fn busiest_hour(&self) -> u64 {
        let start = self
            .marks
            .first()
            .map(|(at, _)| *at - chrono::Duration::minutes(10));
        let marks: Vec<_> = start
            .map(|at| (at, 0))
            .into_iter()
            .chain(self.marks.iter().copied())
            .collect();
        let mut busiest = 0;
        for (i, (from, spent)) in marks.iter().enumerate() {
            for (to, total) in &marks[i..] {
                if *to - *from <= chrono::Duration::hours(1) {
                    busiest = busiest.max(total - spent);
                }
            }
        }
        busiest
    }

    async fn deploy(&mut self, repo: &str, environment: &str, rev: &str) {
        let event = self.t.sim.with(|w| {
            let id = w.add_deployment(repo, rev, environment, "deploy-bot");
            let status = w.add_deployment_status(repo, id, "success", "deploy-bot");
            events::deployment_status_created(w, repo, id, status)
        });
        self.t.deliver(event).await;
    }

    /// bob's PR merges, then CI reports green on the new head.
    async fn merge_and_build(&mut self, repo: &str, title: &str) {
        let event = self.t.sim.with(|w| {
            let branch = format!("topic-{}", w.next_id());
            let number = w.open_pr(repo, "bob", title, &branch, "main");
            w.add_labels(repo, number, &["feature"]);
            w.merge_pr(repo, number, "alice");
            events::pull_request_closed(w, repo, number, "alice")
        });
        self.t.deliver(event).await;
        let event = self.t.sim.with(|w| {
            let head = w.repos[repo].branches["main"].clone();
            let run = w.set_check_run(repo, &head, "ci/test", "completed", Some("success"));
            events::check_run_completed(w, repo, run)
        });
        self.t.deliver(event).await;
    }

    fn tracking_issue(&self, repo: &str) -> u64 {
        self.t.sim.with(|w| {
            w.repos[repo]
                .issues
                .values()
                .find(|i| {
                    i.title == TRACKING
                        && i.body
                            .as_deref()
                            .is_some_and(|b| b.starts_with("<!-- relman:tracking:"))
                })
                .map(|i| i.number)
                .unwrap_or_else(|| panic!("{repo} has no tracking issue"))
        })
    }

    async fn comment(&mut self, repo: &str, login: &str, body: &str) {
        let issue = self.tracking_issue(repo);
        let event = self.t.sim.with(|w| {
            let id = w.add_comment(repo, issue, login, body);
            events::issue_comment_created(w, repo, id)
        });
        self.t.deliver(event).await;
    }

    fn figures(&self, quiet_hour: (u64, u64)) -> Figures {
        let usage = self.t.sim.usage(INSTALLATION);
        let mut points_by_route = BTreeMap::new();
        for r in self.t.sim.requests() {
            let token = r.path.ends_with("/access_tokens");
            if r.status != 304 && !token {
                let route = relman::github::route::template(&r.path);
                *points_by_route
                    .entry(format!("{} {route}", r.method))
                    .or_default() += 1;
            }
        }
        Figures {
            requests: usage.requests,
            not_modified: usage.not_modified,
            points: usage.points,
            points_by_route,
            quiet_hour,
            busiest_hour: self.busiest_hour(),
        }
    }
}

/// One release cycle from a running installation (its tracking issues open, production on
/// v1.4.0): three PRs merge in each repository with CI reporting on each, the tick runs every
/// ten minutes through the afternoon (an hour of it with nothing new), each release manager signs off, QA approves, `/release`
/// tags and publishes v1.5.0, staging gets it and relman files the request to Ops.
async fn release_cycle(github: fn(GitHubApp) -> GitHubApp) -> Figures {
    let mut cycle = Cycle::installed(github).await;
    cycle.t.sim.clear_usage();
    cycle.marks.clear();
    cycle.t.clear_calls();

    for round in 1..=3 {
        for repo in repositories() {
            cycle
                .merge_and_build(&repo, &format!("Change {round}"))
                .await;
        }
        cycle.ten_minutes().await;
    }
    let quiet_from = cycle.t.sim.usage(INSTALLATION);
    for _ in 0..6 {
        cycle.ten_minutes().await;
    }
    let quiet_to = cycle.t.sim.usage(INSTALLATION);
    let quiet_hour = (
        quiet_to.requests - quiet_from.requests,
        quiet_to.points - quiet_from.points,
    );
    for repo in repositories() {
        cycle.comment(&repo, "alice", "/signoff").await;
        cycle.comment(&repo, "quinn", "/qa ok").await;
        cycle.comment(&repo, "alice", "/release").await;
    }
    cycle.ten_minutes().await;
    for repo in repositories() {
        cycle.deploy(&repo, "staging", "v1.5.0").await;
    }
    cycle.ten_minutes().await;
    // The next release day, 22 Dec, 09:00 in Los Angeles: v1.5.0, cut for 8 Dec, has soaked on
    // staging since; each release manager signs off production and the tick files the request
    // to Ops. (The soak's ticks are not played: each would cost what one of the quiet hour's
    // does.)
    cycle.now = chrono::DateTime::parse_from_rfc3339("2026-12-22T16:50:00Z")
        .unwrap()
        .to_utc();
    cycle.ten_minutes().await;
    for repo in repositories() {
        cycle.comment(&repo, "alice", "/signoff production").await;
    }
    for _ in 0..2 {
        cycle.ten_minutes().await;
    }

    // The cycle did what it should, whatever it cost.
    let (released, requests) = cycle.t.sim.with(|w| {
        let released = repositories()
            .iter()
            .filter(|r| w.repos[r.as_str()].release_by_tag("v1.5.0").is_some())
            .count();
        (released, w.repos["acme/ops"].issues.len())
    });
    assert_eq!(released, REPOSITORIES);
    assert_eq!(
        requests, REPOSITORIES,
        "one deployment request per repository"
    );
    let figures = cycle.figures(quiet_hour);
    cycle.t.shutdown().await;
    figures
}

#[tokio::test]
async fn a_release_cycle_of_fifty_repositories_stays_well_inside_the_hourly_limit() {
    let before = release_cycle(|app| app.with_response_cache(0)).await;
    let after = release_cycle(|app| app).await;

    println!("GitHub calls for one release cycle of {REPOSITORIES} repositories:");
    println!(
        "| | requests | 304s | rate-limit points | busiest hour: points | quiet hour: requests | quiet hour: points |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, f) in [("unconditional", &before), ("conditional", &after)] {
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            f.requests, f.not_modified, f.points, f.busiest_hour, f.quiet_hour.0, f.quiet_hour.1
        );
    }
    println!("points by route (unconditional → conditional):");
    for (route, points) in &before.points_by_route {
        let now = after.points_by_route.get(route).copied().unwrap_or(0);
        println!("| `{route}` | {points} | {now} |");
    }

    assert_eq!(
        before.not_modified, 0,
        "nothing is conditional without a cache"
    );
    assert_eq!(
        after.requests, before.requests,
        "the same work, asked the same way"
    );
    assert_eq!(
        after.quiet_hour.1, 0,
        "an hour of ticks with nothing new costs no points"
    );
    assert!(
        after.points * 2 <= before.points,
        "conditional requests should at least halve the points: {} → {}",
        before.points,
        after.points
    );
    // The busiest hour (three PRs merged in every repository, or every release made) takes at
    // most half of the smallest installation budget, 5,000 points an hour.
    assert!(
        after.busiest_hour <= 2_500,
        "the busiest hour must stay well inside one hour's 5,000 points: {}",
        after.busiest_hour
    );
}
