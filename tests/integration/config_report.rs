//! A `.github/relman.yml` that does not load is said out loud: at installation and on the next
//! event, a failing `relman/config` check run on the default branch head and one issue listing
//! every error; replies to commands start with the errors; the issue is updated when the errors
//! change and closed when a push fixes the file.

use crate::support;

use github_sim::events;
use github_sim::world::IssueState;
use support::TestDb;
use support::scenario::{CONFIG, INSTALLATION, REPO, Tester};

const PATH: &str = ".github/relman.yml";
const MARKER: &str = "<!-- relman:config:.github/relman.yml -->";

/// CONFIG with a typo on line 2 (`weekdy` at column 29).
fn broken() -> String {
    CONFIG.replace("weekday: tuesday", "weekdy: tuesday")
}

/// Pushes `contents` as the config on main; returns the pushed sha.
async fn push_config(t: &mut Tester, contents: &str) -> String {
    let (after, event) = t.sim.with(|w| {
        let before = w.repos[REPO].branches["main"].clone();
        let after = w.commit(REPO, "main", "Update relman config", &[(PATH, contents)]);
        let event = events::push(w, REPO, "refs/heads/main", &before, &after, "alice");
        (after, event)
    });
    t.deliver(event).await;
    after
}

/// relman's config issues: (number, open?, body, updated_at).
fn config_issues(t: &Tester) -> Vec<(u64, bool, String, String)> {
    t.sim.with(|w| {
        w.repos[REPO]
            .issues
            .values()
            .filter(|i| i.body.as_deref().is_some_and(|b| b.starts_with(MARKER)))
            .map(|i| {
                (
                    i.number,
                    i.state == IssueState::Open,
                    i.body.clone().unwrap_or_default(),
                    format!("{:?}", i.updated_at),
                )
            })
            .collect()
    })
}

/// The `relman/config` check runs on `sha`: (conclusion, summary, annotations).
fn config_checks(t: &Tester, sha: &str) -> Vec<(String, String, Vec<serde_json::Value>)> {
    t.sim.with(|w| {
        let repo = &w.repos[REPO];
        repo.check_runs
            .values()
            .filter(|r| r.head_sha == sha && r.name == "relman/config")
            .map(|r| {
                (
                    r.conclusion.clone().unwrap_or_default(),
                    r.output.summary.clone().unwrap_or_default(),
                    repo.annotations(r.id).to_vec(),
                )
            })
            .collect()
    })
}

fn head(t: &Tester) -> String {
    t.sim.with(|w| w.repos[REPO].branches["main"].clone())
}

#[tokio::test]
async fn installing_with_a_broken_config_fails_the_check_on_the_head_and_opens_one_issue() {
    let mut t = Tester::new(TestDb::sqlite(), Some(&broken())).await;
    t.install().await;

    let checks = config_checks(&t, &head(&t));
    assert_eq!(checks.len(), 1, "{checks:?}");
    let (conclusion, summary, annotations) = &checks[0];
    assert_eq!(conclusion, "failure");
    assert!(summary.contains("no configuration to act on"), "{summary}");
    assert_eq!(annotations.len(), 1, "{annotations:?}");
    assert_eq!(annotations[0]["path"], PATH);
    assert_eq!(annotations[0]["start_line"], 2);
    assert_eq!(annotations[0]["start_column"], 29);

    let issues = config_issues(&t);
    assert_eq!(issues.len(), 1, "{issues:?}");
    let (_, open, body, _) = &issues[0];
    assert!(open);
    assert!(
        body.contains("- .github/relman.yml:2:29: unknown key `weekdy` in `schedule`\n  fix: "),
        "{body}"
    );
    assert!(body.contains("refuses every command but `/help`"), "{body}");
    // No configuration: no tracking issue either.
    assert!(t.issues_titled("Release 2026-12-08").is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn a_later_event_with_the_same_errors_costs_no_call_and_changes_nothing() {
    let mut t = Tester::new(TestDb::sqlite(), Some(&broken())).await;
    t.install().await;
    let before = config_issues(&t);
    assert_eq!(before.len(), 1);

    // Events that do not touch the config: decided from the cache, no API call.
    t.clear_calls();
    let event = t.sim.with(|w| {
        let before = w.repos[REPO].branches["main"].clone();
        let after = w.commit(REPO, "main", "Fix a typo", &[("README.md", "hello")]);
        events::push(w, REPO, "refs/heads/main", &before, &after, "bob")
    });
    t.deliver(event).await;
    t.comment_as("alice", 1, "Looks good to me.").await;
    assert!(t.calls().is_empty(), "{:?}", t.calls());

    // A command and a push of the file with the same errors: the issue is left as it is.
    t.comment_as("alice", 1, "/help").await;
    push_config(&mut t, &broken()).await;
    let calls = t.calls();
    assert!(
        !calls
            .iter()
            .any(|c| c.starts_with("PATCH /repos/acme/web/issues/")
                || c == "POST /repos/acme/web/issues"),
        "{calls:#?}"
    );
    assert_eq!(config_issues(&t), before);
    t.shutdown().await;
}

#[tokio::test]
async fn a_push_that_changes_the_errors_updates_the_issue_and_one_that_fixes_the_file_closes_it() {
    let mut t = Tester::new(TestDb::sqlite(), Some(&broken())).await;
    t.install().await;
    let number = config_issues(&t)[0].0;

    let other = CONFIG.replace("members: [alice]", "members: []");
    push_config(&mut t, &other).await;
    let issues = config_issues(&t);
    assert_eq!(issues.len(), 1, "still one issue: {issues:?}");
    let (n, open, body, _) = &issues[0];
    assert_eq!((*n, *open), (number, true));
    assert!(!body.contains("weekdy"), "{body}");
    assert!(body.contains(".github/relman.yml:3:"), "{body}");

    let fixed = push_config(&mut t, CONFIG).await;
    let checks = config_checks(&t, &fixed);
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0].0, "success");
    let issues = config_issues(&t);
    assert_eq!(issues.len(), 1);
    assert!(!issues[0].1, "closed once the file loads");
    let last = t.bot_comments(number).pop().unwrap_or_default();
    assert!(
        last.contains(&format!("loads again as of {}", &fixed[..7])),
        "{last}"
    );

    // Broken again later: the same issue is reopened with the new errors.
    push_config(&mut t, &broken()).await;
    let issues = config_issues(&t);
    assert_eq!(issues.len(), 1);
    assert!(issues[0].1 && issues[0].2.contains("weekdy"), "{issues:?}");
    // It acts on the good config meanwhile, named by its commit.
    assert!(
        issues[0].2.contains(&format!(
            "keeps acting on the last configuration that loaded (from commit {})",
            &fixed[..7]
        )),
        "{}",
        issues[0].2
    );
    t.shutdown().await;
}

#[tokio::test]
async fn release_without_any_good_config_answers_the_errors_not_a_missing_rotation() {
    let mut t = Tester::new(TestDb::sqlite(), Some(&broken())).await;
    let id = t.comment_as("alice", 1, "/release").await;
    let reply = t.bot_comments(1).pop().expect("a reply");
    assert!(
        reply.contains("@alice\n\n⚠️ `.github/relman.yml` does not load (1 problem"),
        "{reply}"
    );
    assert!(
        reply.contains("- .github/relman.yml:2:29: unknown key `weekdy` in `schedule`"),
        "{reply}"
    );
    assert!(
        reply.contains("Not run: relman has no configuration"),
        "{reply}"
    );
    assert!(!reply.contains("rotation"), "{reply}");
    assert_eq!(t.reactions_on(id), vec!["eyes", "confused"]);
    // The event that found the broken file also said so in the repository.
    assert_eq!(config_issues(&t).len(), 1);
    let log = t.store.audit_log(REPO, 10).await.unwrap();
    assert_eq!(log[0].outcome, "refused");

    // `/help` still answers, after the same notice.
    t.comment_as("bob", 1, "/help").await;
    let reply = t.bot_comments(1).pop().unwrap();
    assert!(reply.contains("does not load"), "{reply}");
    assert!(reply.contains("/release"), "{reply}");
    assert!(!reply.contains("Not run"), "{reply}");
    t.shutdown().await;
}

#[tokio::test]
async fn with_a_last_good_config_commands_run_and_say_what_relman_acts_on() {
    let mut t = Tester::new(TestDb::sqlite(), None).await;
    let good = push_config(&mut t, CONFIG).await;
    push_config(&mut t, &broken()).await;

    t.comment_as("alice", 1, "/rotation").await;
    let reply = t.bot_comments(1).pop().expect("a reply");
    assert!(
        reply.contains("⚠️ `.github/relman.yml` does not load"),
        "{reply}"
    );
    assert!(
        reply.contains(&format!(
            "keeps acting on the last configuration that loaded (from commit {})",
            &good[..7]
        )),
        "{reply}"
    );
    assert!(reply.contains("Release manager now: **@alice**"), "{reply}");
    let issues = config_issues(&t);
    assert_eq!(issues.len(), 1);
    assert!(
        reply.contains(&format!("all of them in #{}", issues[0].0)),
        "{reply}"
    );
    t.shutdown().await;
}

#[tokio::test]
async fn a_repository_added_to_the_installation_is_checked_too() {
    let mut t = Tester::new(TestDb::sqlite(), None).await;
    // Installed without a config: relman stays quiet.
    t.install().await;
    assert!(config_issues(&t).is_empty());
    assert!(config_checks(&t, &head(&t)).is_empty());

    let many: String = (1..=60).map(|i| format!("unknown_{i}: 1\n")).collect();
    let contents = format!("{CONFIG}{many}");
    let event = t.sim.with(|w| {
        w.commit(REPO, "main", "Add a config", &[(PATH, contents.as_str())]);
        events::installation_repositories_added(w, INSTALLATION, &[REPO], "alice")
    });
    t.deliver(event).await;
    let checks = config_checks(&t, &head(&t));
    assert_eq!(checks.len(), 1, "{checks:?}");
    // Every error annotated, though GitHub takes 50 per request.
    assert_eq!(checks[0].2.len(), 60);
    let issues = config_issues(&t);
    assert_eq!(issues.len(), 1);
    assert!(
        issues[0]
            .2
            .contains(".github/relman.yml:64:1: unknown key `unknown_60`"),
        "{}",
        issues[0].2
    );
    t.shutdown().await;
}

/// A relman process that has just started on the same GitHub and store: a fresh cache.
fn restarted(t: &Tester) -> relman::handlers::context::Context {
    let app = relman::github::app::GitHubApp::new(
        &support::github::credentials(),
        &t.sim.api_url(),
        support::github::fast_budget(),
        None,
    )
    .unwrap();
    relman::handlers::context::Context::new(
        std::sync::Arc::new(app),
        t.store.clone(),
        std::sync::Arc::new(relman::clock::SystemClock),
    )
}

/// A webhook of `name` in acme/web, as a worker claims it.
fn claimed(name: &str, payload: Vec<u8>) -> relman::store::work::ClaimedItem {
    relman::store::work::ClaimedItem {
        id: 1,
        kind: relman::store::work::WorkKind::Webhook,
        dedupe_key: format!("{name}-after-restart"),
        name: name.into(),
        action: None,
        queue_key: "repo:acme/web".into(),
        repo: Some(REPO.into()),
        installation_id: Some(INSTALLATION as i64),
        payload,
        attempts: 1,
        created_at: 0,
    }
}

/// A process that has just started knows nothing of what an earlier one said: the fingerprint in
/// the issue keeps it from saying it again.
#[tokio::test]
async fn after_a_restart_the_same_errors_are_not_posted_again() {
    use relman::handlers::config_report::after;

    let mut t = Tester::new(TestDb::sqlite(), Some(&broken())).await;
    t.install().await;
    let before = config_issues(&t);
    let checks = config_checks(&t, &head(&t)).len();

    let ctx = restarted(&t);
    let repo: relman::github::RepoName = REPO.parse().unwrap();
    let item = claimed("issue_comment", b"{}".to_vec());
    // Nothing read yet: nothing to decide on, no call.
    t.clear_calls();
    after(&ctx, &item).await.unwrap();
    assert!(t.calls().is_empty(), "{:?}", t.calls());

    // Some work read the config (a command, the train): the issue is looked up once, and left.
    let client = ctx.github.installation(INSTALLATION).unwrap();
    ctx.configs.get(&*client, &ctx.store, &repo).await.unwrap();
    t.clear_calls();
    after(&ctx, &item).await.unwrap();
    let calls = t.calls();
    assert!(
        !calls.is_empty() && calls.iter().all(|c| c.starts_with("GET ")),
        "{calls:#?}"
    );
    assert_eq!(config_issues(&t), before);
    assert_eq!(config_checks(&t, &head(&t)).len(), checks);

    // From then on it knows, and the next item costs nothing.
    t.clear_calls();
    after(&ctx, &item).await.unwrap();
    assert!(t.calls().is_empty(), "{:?}", t.calls());
    t.shutdown().await;
}

/// The push that fixes the file may be the first thing a restarted process sees: it finds the
/// issue it did not know of and closes it.
#[tokio::test]
async fn after_a_restart_the_push_that_fixes_the_file_closes_the_issue() {
    use relman::handlers::config_report::after;

    let mut t = Tester::new(TestDb::sqlite(), Some(&broken())).await;
    t.install().await;
    assert!(config_issues(&t)[0].1);

    let ctx = restarted(&t);
    let push = t.sim.with(|w| {
        let before = w.repos[REPO].branches["main"].clone();
        let after = w.commit(REPO, "main", "Fix the config", &[(PATH, CONFIG)]);
        events::push(w, REPO, "refs/heads/main", &before, &after, "alice").1
    });
    // What the push's handler leaves in the cache: the file loads.
    let repo: relman::github::RepoName = REPO.parse().unwrap();
    let client = ctx.github.installation(INSTALLATION).unwrap();
    ctx.configs.get(&*client, &ctx.store, &repo).await.unwrap();
    after(&ctx, &claimed("push", serde_json::to_vec(&push).unwrap()))
        .await
        .unwrap();
    let issues = config_issues(&t);
    assert!(!issues[0].1, "closed: {issues:?}");
    assert!(
        t.bot_comments(issues[0].0)
            .pop()
            .is_some_and(|c| c.contains("loads again")),
    );
    // Any other item afterwards: nothing to say, no call.
    t.clear_calls();
    after(&ctx, &claimed("issue_comment", b"{}".to_vec()))
        .await
        .unwrap();
    assert!(t.calls().is_empty(), "{:?}", t.calls());
    t.shutdown().await;
}

/// Issues turned off (GitHub answers 410 Gone): the check run still says it, the installation
/// is not retried for it, and later events do not try again.
#[tokio::test]
async fn a_repository_without_issues_still_gets_the_check_run() {
    use github_sim::{Fault, FaultKind, Matcher};

    let mut t = Tester::new(TestDb::sqlite(), Some(&broken())).await;
    t.sim.inject(Fault::once(
        Matcher::method_path("POST", "/repos/acme/web/issues"),
        FaultKind::Status(410),
    ));
    t.install().await;
    assert!(config_issues(&t).is_empty());
    let checks = config_checks(&t, &head(&t));
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0].0, "failure");
    // The installation was done, once: not dead, not retried.
    let counts = t.store.work_counts().await.unwrap();
    assert!(
        counts
            .iter()
            .all(|(status, n)| *n == 0 || *status == relman::store::work::WorkStatus::Done),
        "{counts:?}"
    );
    t.clear_calls();
    t.comment_as("alice", 1, "Looks good to me.").await;
    assert!(t.calls().is_empty(), "{:?}", t.calls());
    t.shutdown().await;
}
