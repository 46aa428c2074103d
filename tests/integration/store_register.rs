//! Store tests for the release register and the audit log, on SQLite always and on PostgreSQL
//! when `RELMAN_TEST_DATABASE_URL` is set.

use crate::support;

use chrono::NaiveDate;
use relman::store::Store;
use relman::store::audit::AuditEntry;
use relman::store::releases::{LogEntry, LogKind, NewRelease, ReleaseState, regular_key};
use support::TestDb;

async fn each_store(check: impl AsyncFn(Store)) {
    check(TestDb::sqlite().store().await).await;
    if let Some(url) = support::postgres_admin_url() {
        check(TestDb::postgres(&url).await.store().await).await;
    }
}

fn entry(kind: &str, comment_id: u64, outcome: &str) -> AuditEntry {
    AuditEntry {
        at: 1,
        repo: "acme/web".into(),
        issue_number: 7,
        comment_kind: kind.into(),
        comment_id,
        position: 0,
        actor_login: "alice".into(),
        actor_id: 1,
        command_text: "/help".into(),
        command_json: None,
        outcome: outcome.into(),
        detail: None,
    }
}

#[tokio::test]
async fn audit_entries_of_different_comment_kinds_never_collide() {
    each_store(async |store: Store| {
        store
            .record_command(&entry("issue_comment", 42, "ok"))
            .await
            .unwrap();
        store
            .record_command(&entry("review_comment", 42, "denied"))
            .await
            .unwrap();
        // A retry of the first updates it in place.
        store
            .record_command(&entry("issue_comment", 42, "failed"))
            .await
            .unwrap();
        let log = store.audit_log("acme/web", 10).await.unwrap();
        let seen: Vec<(&str, &str)> = log
            .iter()
            .map(|e| (e.comment_kind.as_str(), e.outcome.as_str()))
            .collect();
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(seen.contains(&("issue_comment", "failed")));
        assert!(seen.contains(&("review_comment", "denied")));
    })
    .await;
}

#[tokio::test]
async fn a_release_day_is_tracked_once_and_its_log_is_kept_in_order() {
    each_store(async |store: Store| {
        let day = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        let key = regular_key(day);
        let new = NewRelease {
            repo: "acme/web",
            key: &key,
            kind: relman::domain::expedited::Kind::Regular,
            scheduled_date: day,
            release_date: Some(day),
            manager: Some("alice"),
        };
        let first = store.insert_release(&new, 1).await.unwrap().unwrap();
        assert!(
            store.insert_release(&new, 2).await.unwrap().is_none(),
            "tracked once"
        );
        assert_eq!(first.state, ReleaseState::Open);
        assert_eq!(
            store.last_tracked_date("acme/web").await.unwrap(),
            Some(day)
        );
        store
            .set_release_issue(first.id, 12, "hash", 3)
            .await
            .unwrap();
        assert_eq!(
            store
                .release_by_issue("acme/web", 12)
                .await
                .unwrap()
                .map(|r| r.key),
            Some(key.clone())
        );
        for (i, what) in [LogKind::QaBlocker, LogKind::QaOk, LogKind::Signoff]
            .iter()
            .enumerate()
        {
            let e = LogEntry {
                entry: *what,
                environment: None,
                text: None,
                actor: "quinn".into(),
                comment_id: 100 + i as u64,
                at: 10 + i as i64,
            };
            store
                .append_release_log("acme/web", &key, &e)
                .await
                .unwrap();
            // The same comment recorded again (a retry) is a no-op.
            store
                .append_release_log("acme/web", &key, &e)
                .await
                .unwrap();
        }
        let log = store.release_log("acme/web", &key).await.unwrap();
        assert_eq!(
            log.iter().map(|e| e.entry.as_str()).collect::<Vec<_>>(),
            ["qa_blocker", "qa_ok", "signoff"]
        );
        store
            .close_release(
                first.id,
                ReleaseState::Skipped,
                "offsite",
                Some("alice"),
                20,
            )
            .await
            .unwrap();
        assert!(store.open_releases("acme/web").await.unwrap().is_empty());
        assert!(
            store
                .active_releases("acme/web", 0)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}
