//! Warmfix and hotfix releases end to end on the fake GitHub, through signed webhooks: the
//! tracking issue, `/release include`, the cherry-picked `hotfix/vX.Y.Z` branch, a conflict
//! reported rather than forced, the tag and release, and the regular release they replace.

use crate::support;

use support::TestDb;
use support::scenario::{REPO, Tester, green, last_reply};

/// Releases every other Tuesday from 6 Jan 2026 (8 Dec, 22 Dec, …) in Los Angeles; alice is
/// release manager, quinn does QA.
const TRAIN: &str = "\
timezone: America/Los_Angeles
schedule: { every_weeks: 2, weekday: tuesday, anchor: 2026-01-06 }
rotation: { every: month, starts: 2026-01, members: [alice] }
qa: { members: [quinn] }
";

/// Monday 7 Dec 2026, 10:00 in Los Angeles: the week of the 8 Dec release day.
const MONDAY: &str = "2026-12-07T18:00:00Z";

/// Production runs v1.2.0, staging v1.3.0 (which changed `app.txt` and, when `v13_pay` is
/// given, `pay.txt` too); the release train tracks 8 Dec.
async fn in_production(db: TestDb, v13_pay: Option<&str>) -> Tester {
    let mut t = Tester::at(db, Some(TRAIN), MONDAY).await;
    t.sim.with(|w| {
        w.commit(
            REPO,
            "main",
            "v1.2 work",
            &[("app.txt", "1.2\n"), ("pay.txt", "charge()\n")],
        );
        w.add_tag(REPO, "v1.2.0", "main");
        let mut files = vec![("app.txt", "1.3\n"), ("feature.txt", "new\n")];
        if let Some(pay) = v13_pay {
            files.push(("pay.txt", pay));
        }
        w.commit(REPO, "main", "v1.3 work", &files);
        w.add_tag(REPO, "v1.3.0", "main");
    });
    t.install().await;
    t.deploy("production", "v1.2.0").await;
    t.deploy("staging", "v1.3.0").await;
    t
}

fn file_at(t: &Tester, rev: &str, path: &str) -> Option<String> {
    t.sim.with(|w| {
        let r = &w.repos[REPO];
        let sha = r.resolve(rev)?;
        r.commit(&sha)?.tree.get(path).cloned()
    })
}

#[tokio::test]
async fn a_hotfix_patches_production_with_the_named_fixes_only() {
    for db in TestDb::all().await {
        let mut t = in_production(db, None).await;
        let fix = t
            .merge_change(
                "bob",
                "Fix double charge",
                &[("pay.txt", "charge_once()\n")],
            )
            .await;
        let _other = t
            .merge_change("carol", "Unrelated work", &[("other.txt", "x\n")])
            .await;

        // bob (write access) asks for a hotfix on issue #1.
        t.clear_calls();
        t.comment_as("bob", 1, "/hotfix double charges on retry")
            .await;
        let reply = last_reply(&t, 1);
        assert!(
            reply.contains(
                "Hotfix v1.2.1, a patch on `v1.2.0` (what production runs), assigned to @alice"
            ),
            "{reply}"
        );
        let hotfix_calls = t.command_calls(1).len();
        let issues = t.issues_titled("Hotfix v1.2.1: double charges on retry");
        assert_eq!(issues.len(), 1, "{issues:?}");
        let (hotfix, open, body, assignees, labels) = issues[0].clone();
        assert!(open);
        assert_eq!(assignees, ["alice"]);
        assert_eq!(labels, ["release", "hotfix"]);
        assert!(
            body.contains("**From:** `v1.2.0` (what production runs)"),
            "{body}"
        );
        assert!(
            body.contains("Asked for by @bob on #1: double charges on retry"),
            "{body}"
        );
        assert!(
            body.contains("Asked for in the release week of Tue 8 Dec 2026: this hotfix replaces that day's planned **production** release"),
            "{body}"
        );
        assert!(body.contains("- [ ] Name the fixes"), "{body}");

        // The regular release of this week shows that its production release is replaced (at the
        // train's next refresh).
        t.set_time("2026-12-07T18:00:30Z");
        t.wait_idle().await;
        let regular = t.issues_titled("Release 2026-12-08")[0].2.clone();
        assert!(
            regular.contains(&format!(
                "Hotfix v1.2.1 (#{hotfix}) replaces this release day's planned production release: no deployment request is filed for it."
            )),
            "{regular}"
        );
        let row = t
            .store
            .register_row(REPO, "hotfix:1.2.1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (row.replaces_key.as_deref(), row.replaces_env.as_deref()),
            (Some("regular:2026-12-08"), Some("production"))
        );

        // Naming an unmerged PR is refused; naming the fix records it.
        t.comment_as("alice", hotfix, "/release include #1").await;
        assert!(
            last_reply(&t, hotfix).contains("#1 is not a pull request")
                || last_reply(&t, hotfix).contains("is not merged"),
            "{}",
            last_reply(&t, hotfix)
        );
        t.comment_as("alice", hotfix, &format!("/release include #{fix}"))
            .await;
        let reply = last_reply(&t, hotfix);
        assert!(
            reply.contains(&format!(
                "v1.2.1 will cherry-pick onto `hotfix/v1.2.1`: #{fix} Fix double charge"
            )),
            "{reply}"
        );

        // Before the branch exists, `/release status` here shows the gate at the tag it patches.
        t.comment_as("alice", hotfix, "/release status").await;
        let reply = last_reply(&t, hotfix);
        assert!(reply.contains("Release gate for `v1.2.0` at "), "{reply}");

        // The first /release builds the branch; its head has no green checks yet.
        t.clear_calls();
        t.comment_as("alice", hotfix, "/release").await;
        let build_calls = t.command_calls(hotfix);
        let reply = last_reply(&t, hotfix);
        assert!(reply.contains("`hotfix/v1.2.1` is ready at"), "{reply}");
        assert!(
            reply.contains("the staging requirements are not met there"),
            "{reply}"
        );
        // The branch is v1.2.0 plus the fix: not v1.3.0's work, not the unrelated PR.
        assert_eq!(
            file_at(&t, "hotfix/v1.2.1", "pay.txt").as_deref(),
            Some("charge_once()\n")
        );
        assert_eq!(
            file_at(&t, "hotfix/v1.2.1", "app.txt").as_deref(),
            Some("1.2\n")
        );
        assert_eq!(file_at(&t, "hotfix/v1.2.1", "feature.txt"), None);
        assert_eq!(file_at(&t, "hotfix/v1.2.1", "other.txt"), None);
        let (parent, message) = t.sim.with(|w| {
            let r = &w.repos[REPO];
            let head = r.commit(&r.branches["hotfix/v1.2.1"]).unwrap();
            (head.parents.clone(), head.message.clone())
        });
        assert_eq!(
            parent,
            [t.sim.with(|w| w.repos[REPO].tags["v1.2.0"].clone())]
        );
        assert!(
            message.starts_with(&format!("Fix double charge (#{fix})")),
            "{message}"
        );
        assert!(message.contains("(cherry picked from commit "), "{message}");
        assert!(t.sim.with(|w| !w.repos[REPO].tags.contains_key("v1.2.1")));

        // Then `/release status` here is about the branch, not the default branch.
        t.comment_as("alice", hotfix, "/release status").await;
        let reply = last_reply(&t, hotfix);
        let branch_head = t
            .sim
            .with(|w| w.repos[REPO].branches["hotfix/v1.2.1"].clone());
        assert!(
            reply.contains(&format!(
                "Release gate for `hotfix/v1.2.1` at {}",
                &branch_head[..7]
            )),
            "{reply}"
        );

        // Green and signed off: the second /release picks nothing again and cuts v1.2.1.
        green(&t, "hotfix/v1.2.1");
        t.comment_as("alice", hotfix, "/signoff").await;
        t.clear_calls();
        t.comment_as("alice", hotfix, "/release").await;
        let cut_calls = t.command_calls(hotfix);
        let reply = last_reply(&t, hotfix);
        assert!(reply.contains("Released **[v1.2.1]("), "{reply}");
        assert!(reply.contains(&format!("`v1.2.0` + #{fix}")), "{reply}");
        let (tag_sha, branch_sha, notes) = t.sim.with(|w| {
            let r = &w.repos[REPO];
            (
                r.tags["v1.2.1"].clone(),
                r.branches["hotfix/v1.2.1"].clone(),
                r.release_by_tag("v1.2.1")
                    .unwrap()
                    .body
                    .clone()
                    .unwrap_or_default(),
            )
        });
        assert_eq!(tag_sha, branch_sha);
        assert!(
            notes.contains(&format!("- #{fix} Fix double charge (@bob)")),
            "{notes}"
        );
        let body = t.issues_titled("Hotfix v1.2.1: double charges on retry")[0]
            .2
            .clone();
        assert!(body.contains("✅ Released as [v1.2.1]("), "{body}");
        assert!(body.contains("- [x] Cut v1.2.1 from `v1.2.0`"), "{body}");

        // CI deploys it to staging: the checklist and the register follow.
        t.deploy("staging", "v1.2.1").await;
        t.set_time("2026-12-07T18:01:00Z");
        t.wait_idle().await;
        let body = t.issues_titled("Hotfix v1.2.1: double charges on retry")[0]
            .2
            .clone();
        assert!(body.contains("- [x] Deploy it to staging too"), "{body}");
        // Production requirements hold for the hotfix: Ops gets an expedited request.
        let requests = |t: &Tester| -> Vec<String> {
            t.sim.with(|w| {
                w.repos[REPO]
                    .issues
                    .values()
                    .filter(|i| i.title.starts_with("Deploy acme/web"))
                    .map(|i| i.title.clone())
                    .collect()
            })
        };
        assert_eq!(
            requests(&t),
            ["Deploy acme/web v1.2.1 to production (expedited hotfix)"]
        );
        let row = t
            .store
            .register_row(REPO, "hotfix:1.2.1")
            .await
            .unwrap()
            .unwrap();
        assert!(row.staged_at.is_some() && row.production_at.is_none());
        assert_eq!(row.requested_by.as_deref(), Some("bob"));
        assert_eq!(row.released_by.as_deref(), Some("alice"));
        assert!(row.expedited);
        // Ops deploys it to production: the register has its lead time.
        t.deploy("production", "v1.2.1").await;
        let row = t
            .store
            .register_row(REPO, "hotfix:1.2.1")
            .await
            .unwrap()
            .unwrap();
        assert!(row.production_at.is_some());

        // A second /release answers with the release.
        t.comment_as("alice", hotfix, "/release").await;
        assert!(last_reply(&t, hotfix).contains("Already released as [v1.2.1]"));

        // The week's regular release reaches staging signed off and QA'd: the hotfix replaced
        // this week's production release, so no second request is filed on its own…
        let regular = t.issues_titled("Release 2026-12-08")[0].0;
        green(&t, "v1.3.0");
        t.comment_as("alice", regular, "/signoff").await;
        t.comment_as("quinn", regular, "/qa ok").await;
        t.deploy("staging", "v1.3.0").await;
        t.tick().await;
        assert_eq!(requests(&t).len(), 1, "{:?}", requests(&t));
        // …but the release manager can still ask for one: it has not soaked, so only with
        // `now`.
        t.comment_as("alice", regular, "/deploy production").await;
        assert!(
            last_reply(&t, regular)
                .contains("v1.3.0 has been on staging for 0 hours, less than a whole cycle"),
            "{}",
            last_reply(&t, regular)
        );
        assert_eq!(requests(&t).len(), 1);
        t.comment_as("alice", regular, "/deploy production now")
            .await;
        assert!(
            last_reply(&t, regular)
                .contains("Deployment request for v1.3.0 (on staging for 0 hours) filed"),
            "{}",
            last_reply(&t, regular)
        );
        assert!(
            requests(&t).contains(
                &"Deploy acme/web v1.3.0 to production (expedited on request of @alice)"
                    .to_string()
            ),
            "{:?}",
            requests(&t)
        );
        assert_eq!(requests(&t).len(), 2);

        eprintln!(
            "API calls: /hotfix {hotfix_calls}, first /release (build, 1 pick) {}, second /release (cut) {}",
            build_calls.len(),
            cut_calls.len()
        );
        assert!(hotfix_calls <= 8, "/hotfix cost {hotfix_calls} calls");
        assert!(build_calls.len() <= 16, "{build_calls:#?}");
        // The cut, then the hotfix's deployment request at once: repository, tags, the
        // comparison with production, closed PRs, the marker search, the issue, the comment.
        assert!(cut_calls.len() <= 21, "{cut_calls:#?}");
        t.shutdown().await;
    }
}

#[tokio::test]
async fn a_cherry_pick_conflict_is_reported_not_forced() {
    // v1.3.0 rewrote pay.txt; the fix is written against that, so it cannot apply to v1.2.0.
    let mut t = in_production(TestDb::sqlite(), Some("charge_v13()\n")).await;
    let fix = t
        .merge_change(
            "bob",
            "Fix v13 charge",
            &[("pay.txt", "charge_v13_once()\n")],
        )
        .await;
    t.comment_as("bob", 1, "/hotfix charges fail").await;
    let hotfix = t.issues_titled("Hotfix v1.2.1: charges fail")[0].0;
    t.comment_as("alice", hotfix, &format!("/release include #{fix}"))
        .await;
    t.comment_as("alice", hotfix, "/release").await;
    let reply = last_reply(&t, hotfix);
    assert!(
        reply.contains(&format!("#{fix} does not apply cleanly to `hotfix/v1.2.1`")),
        "{reply}"
    );
    assert!(reply.contains("`pay.txt` changed there since"), "{reply}");
    assert!(reply.contains("git cherry-pick -x -m 1"), "{reply}");
    // Nothing forced: the branch is the base, no tag, no release.
    assert_eq!(
        file_at(&t, "hotfix/v1.2.1", "pay.txt").as_deref(),
        Some("charge()\n")
    );
    assert!(t.sim.with(|w| !w.repos[REPO].tags.contains_key("v1.2.1")
        && w.repos[REPO].release_by_tag("v1.2.1").is_none()));

    // Resolved by hand on the branch (with the trailer `git cherry-pick -x` writes), the next
    // /release takes the branch as it is.
    let merge_sha = t.sim.with(|w| {
        w.repos[REPO]
            .pull(fix)
            .unwrap()
            .1
            .merge_commit_sha
            .clone()
            .unwrap()
    });
    t.sim.with(|w| {
        w.commit(
            REPO,
            "hotfix/v1.2.1",
            &format!("Fix v13 charge (#{fix})\n\n(cherry picked from commit {merge_sha})"),
            &[("pay.txt", "charge_once()\n")],
        );
    });
    green(&t, "hotfix/v1.2.1");
    t.comment_as("alice", hotfix, "/signoff").await;
    t.comment_as("alice", hotfix, "/release").await;
    let reply = last_reply(&t, hotfix);
    assert!(reply.contains("Released **[v1.2.1]("), "{reply}");
    assert_eq!(
        file_at(&t, "v1.2.1", "pay.txt").as_deref(),
        Some("charge_once()\n")
    );
    t.shutdown().await;
}

#[tokio::test]
async fn a_warmfix_patches_staging_and_replaces_the_cycles_staging_release() {
    let mut t = in_production(TestDb::sqlite(), None).await;
    let fix = t
        .merge_change("bob", "Fix login", &[("login.txt", "fixed\n")])
        .await;
    let (regular, ..) = t.issues_titled("Release 2026-12-08")[0].clone();

    t.comment_as("bob", regular, "/warmfix login broken").await;
    let reply = last_reply(&t, regular);
    assert!(
        reply.contains("Warmfix v1.3.1, a patch on `v1.3.0` (what staging runs)"),
        "{reply}"
    );
    let (warmfix, _, body, _, labels) = t.issues_titled("Warmfix v1.3.1: login broken")[0].clone();
    assert_eq!(labels, ["release", "warmfix"]);
    assert!(
        body.contains("Asked for in the release week of Tue 8 Dec 2026: this warmfix replaces that day's planned **staging** release"),
        "{body}"
    );
    assert!(!body.contains("Deploy it to staging too"), "{body}");

    // A second warmfix while this one is open points at it.
    t.comment_as("bob", 1, "/warmfix again").await;
    assert!(last_reply(&t, 1).contains(&format!("a warmfix is already open in #{warmfix}")));

    t.comment_as("alice", warmfix, &format!("/release include #{fix}"))
        .await;
    t.comment_as("alice", warmfix, "/release").await;
    green(&t, "hotfix/v1.3.1");
    t.comment_as("alice", warmfix, "/signoff staging").await;
    t.comment_as("alice", warmfix, "/release").await;
    let reply = last_reply(&t, warmfix);
    assert!(reply.contains("Released **[v1.3.1]("), "{reply}");
    assert!(
        reply
            .contains("it goes to production on the release day after it soaked there (Tue 8 Dec)"),
        "{reply}"
    );
    assert_eq!(
        file_at(&t, "v1.3.1", "feature.txt").as_deref(),
        Some("new\n")
    );
    assert_eq!(
        file_at(&t, "v1.3.1", "login.txt").as_deref(),
        Some("fixed\n")
    );

    // The cycle's regular tracking issue is closed as replaced, and says so.
    let (_, open, body, ..) = t.issues_titled("Release 2026-12-08")[0].clone();
    assert!(!open, "{body}");
    assert!(
        body.contains(&format!(
            "Warmfix v1.3.1 (#{warmfix}) replaces this release day's planned staging release: no new cut goes to staging."
        )),
        "{body}"
    );
    assert!(
        last_reply(&t, regular).contains(&format!(
            "warmfix v1.3.1 (#{warmfix}) replaced this cycle's planned staging release"
        )),
        "{}",
        last_reply(&t, regular)
    );
    t.comment_as("alice", regular, "/release").await;
    assert!(
        last_reply(&t, regular).contains("relman did not release"),
        "{}",
        last_reply(&t, regular)
    );
    assert!(t.sim.with(|w| !w.repos[REPO].tags.contains_key("v1.4.0")));
    t.shutdown().await;
}

#[tokio::test]
async fn without_a_known_production_version_a_hotfix_is_refused_with_the_fix() {
    let mut t = Tester::at(TestDb::sqlite(), Some(TRAIN), MONDAY).await;
    t.sim.with(|w| {
        w.commit(REPO, "main", "work", &[("app.txt", "1\n")]);
        w.add_tag(REPO, "v1.0.0", "main");
    });
    t.install().await;
    t.comment_as("bob", 1, "/hotfix urgent").await;
    let reply = last_reply(&t, 1);
    assert!(
        reply.contains("relman does not know which version runs in `production`"),
        "{reply}"
    );
    assert!(reply.contains("`environments.production.name`"), "{reply}");
    // A deployment of a bare commit is not a version either.
    let sha = t.sim.with(|w| w.repos[REPO].branches["main"].clone());
    t.deploy("production", &sha).await;
    t.comment_as("bob", 1, "/hotfix urgent").await;
    assert!(
        last_reply(&t, 1).contains("which is not a release tag"),
        "{}",
        last_reply(&t, 1)
    );
    // Read access is not enough to ask for one.
    t.comment_as("rita", 1, "/hotfix urgent").await;
    assert!(
        last_reply(&t, 1).contains("`/hotfix`"),
        "{}",
        last_reply(&t, 1)
    );
    assert!(t.issues_titled("Hotfix v1.0.1: urgent").is_empty());
    t.shutdown().await;
}
