//! The release register as statistics over a seeded history whose numbers are worked out by
//! hand below: the text table (snapshot), the exact JSON, the CSV, `--since`, and `/stats`
//! answered on an issue through a signed webhook.
//!
//! The history (times UTC; the repository's zone is Los Angeles, where all of them fall on the
//! same dates):
//!
//! | release | cut | staging | production | changes merged |
//! |---|---|---|---|---|
//! | regular v1.0.0 | 1 Sep 18:00 | 1 Sep 20:00 | 15 Sep 18:00 | #1 25 Aug 18:00, #2 31 Aug 18:00 |
//! | hotfix v1.0.1 (picks #4) | 8 Sep 20:00 | 8 Sep 21:00 | 9 Sep 18:00 | #4 8 Sep 16:00 |
//! | regular v1.1.0 | 15 Sep 18:00 | 15 Sep 19:00 | 29 Sep 18:00 | #3 10 Sep 18:00, #4 |
//! | regular 29 Sep | skipped by alice: "team offsite" | | | |
//! | warmfix v1.1.1 (picks #5) | 6 Oct 18:00 | 6 Oct 18:30 | – | #5 5 Oct 18:00 |
//! | regular 13 Oct | no changes | | | |
//! | regular v1.2.0 | 27 Oct 18:00 | 27 Oct 18:10 | – | #5, #6 20 Oct 18:00 |
//! | hotfix v1.2.1 | asked for 3 Nov, still open: not counted | | | |
//!
//! September: 2 regular + 1 hotfix → 33 % short-circuited. Merge → staging: 18000 s (#4 in the
//! hotfix), 93600 (#2), 435600 (#3), 612000 (#1), 615600 (#4 in v1.1.0) → median 435600 s
//! (5d 1h). Staging → production: 75600, 1202400, 1206000 → 1202400 s (13d 22h).
//! October: 1 regular + 1 warmfix → 50 %. Merge → staging: 88200 (#5 warmfix), 605400 (#6),
//! 1901400 (#5 in v1.2.0) → 605400 s (7d 0h); nothing reached production.
//! Total: 3 regular, 1 warmfix, 1 hotfix → 40 %; merge → staging over all 8 changes: the middle
//! two are 435600 and 605400 → 520500 s (6d 0h); staging → production 1202400 s.

use crate::support;

use chrono::{DateTime, NaiveDate, Utc};
use relman::domain::expedited::{Kind, Pick};
use relman::handlers::register::stats_for;
use relman::store::Store;
use relman::store::register::{ExpeditedCut, NewExpedited};
use relman::store::releases::{CutRelease, NewRelease, ReleaseState};
use serde_json::json;
use support::TestDb;
use support::scenario::{REPO, Tester};

fn ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn la() -> chrono_tz::Tz {
    "America/Los_Angeles".parse().unwrap()
}

async fn regular(store: &Store, date: &str) -> i64 {
    let key = format!("regular:{date}");
    store
        .insert_release(
            &NewRelease {
                repo: REPO,
                key: &key,
                kind: relman::domain::expedited::Kind::Regular,
                scheduled_date: day(date),
                release_date: Some(day(date)),
                manager: Some("alice"),
            },
            ms(&format!("{date}T00:00:00Z")) - 86_400_000,
        )
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn cut_regular(store: &Store, date: &str, version: &str, at: &str) {
    let id = regular(store, date).await;
    store
        .record_cut(
            id,
            &CutRelease {
                version,
                tag: &format!("v{version}"),
                release_id: 1,
                release_url: "https://example.test/r",
                sha: "0123456789abcdef0123456789abcdef01234567",
                by: "alice",
            },
            ms(at),
        )
        .await
        .unwrap();
}

async fn expedited(
    store: &Store,
    kind: Kind,
    version: &str,
    base: &str,
    asked: &str,
    cut: Option<&str>,
    pick: Option<(u64, &str)>,
) {
    let key = format!("{kind}:{version}");
    let tag = format!("v{version}");
    let row = store
        .insert_expedited(
            &NewExpedited {
                repo: REPO,
                key: &key,
                kind,
                requested_on: day(&asked[..10]),
                manager: Some("alice"),
                reason: "urgent",
                requested_by: "bob",
                origin_issue: 1,
                origin_url: "https://example.test/c",
                version,
                tag: &tag,
                base_tag: base,
                branch: &format!("hotfix/{tag}"),
                replaces: None,
            },
            ms(asked),
        )
        .await
        .unwrap()
        .unwrap();
    if let Some((number, merged)) = pick {
        let pick = Pick {
            number,
            title: format!("Fix {number}"),
            author: Some("bob".into()),
            merge_sha: format!("{number:040}"),
        };
        store
            .set_picks(REPO, &key, &[(pick, ms(merged))], "alice", ms(asked))
            .await
            .unwrap();
    }
    if let Some(at) = cut {
        store
            .record_expedited_cut(
                row.id,
                &ExpeditedCut {
                    release_id: 2,
                    release_url: "https://example.test/h",
                    sha: "fedcba9876543210fedcba9876543210fedcba98",
                    by: "alice",
                },
                ms(at),
            )
            .await
            .unwrap();
    }
}

async fn deployed(store: &Store, production: bool, tag: &str, at: &str) {
    let marked = store
        .mark_deployed(REPO, production, &[tag.to_string()], ms(at))
        .await
        .unwrap();
    assert_eq!(marked, 1, "{tag}");
}

/// The history of the table above.
async fn seed(store: &Store) {
    for (pr, at) in [
        (1, "2026-08-25T18:00:00Z"),
        (2, "2026-08-31T18:00:00Z"),
        (4, "2026-09-08T16:00:00Z"),
        (3, "2026-09-10T18:00:00Z"),
        (5, "2026-10-05T18:00:00Z"),
        (6, "2026-10-20T18:00:00Z"),
    ] {
        store.record_merge(REPO, pr, ms(at), None).await.unwrap();
    }
    cut_regular(store, "2026-09-01", "1.0.0", "2026-09-01T18:00:00Z").await;
    deployed(store, false, "v1.0.0", "2026-09-01T20:00:00Z").await;
    expedited(
        store,
        Kind::Hotfix,
        "1.0.1",
        "v1.0.0",
        "2026-09-08T17:00:00Z",
        Some("2026-09-08T20:00:00Z"),
        Some((4, "2026-09-08T16:00:00Z")),
    )
    .await;
    deployed(store, false, "v1.0.1", "2026-09-08T21:00:00Z").await;
    deployed(store, true, "v1.0.1", "2026-09-09T18:00:00Z").await;
    cut_regular(store, "2026-09-15", "1.1.0", "2026-09-15T18:00:00Z").await;
    deployed(store, true, "v1.0.0", "2026-09-15T18:00:00Z").await;
    deployed(store, false, "v1.1.0", "2026-09-15T19:00:00Z").await;
    let skipped = regular(store, "2026-09-29").await;
    store
        .close_release(
            skipped,
            ReleaseState::Skipped,
            "team offsite",
            Some("alice"),
            ms("2026-09-28T18:00:00Z"),
        )
        .await
        .unwrap();
    deployed(store, true, "v1.1.0", "2026-09-29T18:00:00Z").await;
    expedited(
        store,
        Kind::Warmfix,
        "1.1.1",
        "v1.1.0",
        "2026-10-06T16:00:00Z",
        Some("2026-10-06T18:00:00Z"),
        Some((5, "2026-10-05T18:00:00Z")),
    )
    .await;
    deployed(store, false, "v1.1.1", "2026-10-06T18:30:00Z").await;
    let quiet = regular(store, "2026-10-13").await;
    store
        .close_release(
            quiet,
            ReleaseState::NoChanges,
            "no changes since v1.1.0, no release",
            None,
            ms("2026-10-13T18:00:00Z"),
        )
        .await
        .unwrap();
    cut_regular(store, "2026-10-27", "1.2.0", "2026-10-27T18:00:00Z").await;
    deployed(store, false, "v1.2.0", "2026-10-27T18:10:00Z").await;
    expedited(
        store,
        Kind::Hotfix,
        "1.2.1",
        "v1.2.0",
        "2026-11-03T18:00:00Z",
        None,
        None,
    )
    .await;
}

const NOW: &str = "2026-11-05T18:00:00Z";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW).unwrap().to_utc()
}

#[tokio::test]
async fn the_register_matches_the_hand_computed_table() {
    for db in TestDb::all().await {
        let store = db.store().await;
        seed(&store).await;
        let stats = stats_for(&store, REPO, la(), None, now()).await.unwrap();
        let skip_sep = json!({"date": "2026-09-29", "kind": "regular", "reason": "team offsite", "by": "alice"});
        let skip_oct = json!({"date": "2026-10-13", "kind": "regular", "reason": "no changes since v1.1.0, no release"});
        assert_eq!(
            serde_json::to_value(&stats).unwrap(),
            json!({
                "repo": "acme/web",
                "timezone": "America/Los_Angeles",
                "since": null,
                "months": [
                    {"month": "2026-09", "regular": 2, "warmfix": 0, "hotfix": 1,
                     "short_circuit_percent": 33, "merge_to_staging_secs": 435600,
                     "staging_to_production_secs": 1202400, "skips": [skip_sep]},
                    {"month": "2026-10", "regular": 1, "warmfix": 1, "hotfix": 0,
                     "short_circuit_percent": 50, "merge_to_staging_secs": 605400,
                     "staging_to_production_secs": null, "skips": [skip_oct]},
                    {"month": "2026-11", "regular": 0, "warmfix": 0, "hotfix": 0,
                     "short_circuit_percent": null, "merge_to_staging_secs": null,
                     "staging_to_production_secs": null, "skips": []},
                ],
                "total": {"month": "total", "regular": 3, "warmfix": 1, "hotfix": 1,
                     "short_circuit_percent": 40, "merge_to_staging_secs": 520500,
                     "staging_to_production_secs": 1202400, "skips": [skip_sep, skip_oct]},
            }),
            "{}",
            db.label
        );
        insta::assert_snapshot!(
            "stats_text",
            relman::cli::render_stats(&stats, relman::cli::StatsFormat::Text).unwrap()
        );
        assert_eq!(
            relman::cli::render_stats(&stats, relman::cli::StatsFormat::Csv).unwrap(),
            "month,regular,warmfix,hotfix,short_circuit_percent,merge_to_staging_secs,staging_to_production_secs,skipped\n\
             2026-09,2,0,1,33,435600,1202400,1\n\
             2026-10,1,1,0,50,605400,,1\n\
             2026-11,0,0,0,,,,0\n\
             total,3,1,1,40,520500,1202400,2\n"
        );

        // --since: October on only.
        let since = stats_for(&store, REPO, la(), Some(day("2026-10-01")), now())
            .await
            .unwrap();
        let months: Vec<&str> = since.months.iter().map(|m| m.month.as_str()).collect();
        assert_eq!(months, ["2026-10", "2026-11"]);
        assert_eq!(
            (since.total.regular, since.total.warmfix, since.total.hotfix),
            (1, 1, 0)
        );
        assert_eq!(since.total.short_circuit_percent, Some(50));
    }
}

#[tokio::test]
async fn stats_answers_anyone_with_the_table_and_a_chart() {
    let mut t = Tester::at(TestDb::sqlite(), Some(support::scenario::CONFIG), NOW).await;
    t.install().await;
    seed(&t.store).await;
    // rita has read access only: /stats is for anyone.
    t.comment_as("rita", 1, "/stats").await;
    let reply = t.bot_comments(1).pop().unwrap();
    // Without the hidden marker (it carries the comment id).
    let shown = reply
        .split_once('\n')
        .map_or(reply.as_str(), |(_, rest)| rest);
    insta::assert_snapshot!("stats_reply", shown);
    let reactions = t.reactions_on(t.sim.with(|w| {
        w.repos[REPO]
            .comments
            .values()
            .filter(|c| !c.via_app)
            .map(|c| c.id)
            .max()
            .unwrap()
    }));
    assert_eq!(reactions.last().map(String::as_str), Some("+1"));
    t.shutdown().await;
}
