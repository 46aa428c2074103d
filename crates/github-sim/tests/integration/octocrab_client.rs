//! octocrab, configured as relman configures it, talks to the sim: App JWT,
//! installation token, and GitHub's shapes deserializing into octocrab's
//! typed models.

use github_sim::{APP_ID, GitHubSim, PRIVATE_KEY_PKCS1_PEM, Permission};
use octocrab::Octocrab;
use octocrab::models::{AppId, InstallationId};
use octocrab::params::repos::{Commitish, Reference};

const OWNER: &str = "acme";
const REPO: &str = "web";

struct Setup {
    sim: GitHubSim,
    app: Octocrab,
    installation: Octocrab,
    issue: u64,
    pr: u64,
    merge_sha: String,
}

async fn setup() -> Setup {
    let sim = GitHubSim::start().await;
    let (issue, pr, merge_sha) = sim.with(|world| {
        world
            .add_repo("acme/web")
            .installation(77)
            .collaborator("alice", Permission::Maintain)
            .file(".github/relman.yml", "timezone: America/Los_Angeles\n");
        world.add_tag("acme/web", "v1.0.0", "main");
        world.add_release("acme/web", "v1.0.0", "main", "alice");
        world.advance(chrono::Duration::days(1));
        let issue = world.open_issue("acme/web", "alice", "Release 2026-01-06", "tracking");
        world.add_labels("acme/web", issue, &["release"]);
        let pr = world.open_pr("acme/web", "bob", "Cache templates", "bob/cache", "main");
        let merge_sha = world.merge_pr("acme/web", pr, "alice");
        world.set_check_run("acme/web", &merge_sha, "test", "completed", Some("success"));
        world.set_status("acme/web", &merge_sha, "ci", "success");
        (issue, pr, merge_sha)
    });
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(PRIVATE_KEY_PKCS1_PEM.as_bytes()).unwrap();
    let app = Octocrab::builder()
        .base_uri(sim.api_url())
        .unwrap()
        .app(AppId(APP_ID), key)
        .build()
        .unwrap();
    let installation = app.installation(InstallationId(77)).unwrap();
    Setup {
        sim,
        app,
        installation,
        issue,
        pr,
        merge_sha,
    }
}

#[tokio::test]
async fn octocrab_reads_issues_releases_and_prs_through_its_typed_api() {
    let s = setup().await;

    let issue = s
        .installation
        .issues(OWNER, REPO)
        .get(s.issue)
        .await
        .unwrap();
    assert_eq!(issue.number, s.issue);
    assert_eq!(issue.title, "Release 2026-01-06");
    assert_eq!(issue.user.login, "alice");
    assert_eq!(issue.labels[0].name, "release");
    assert!(issue.pull_request.is_none());

    let release = s
        .installation
        .repos(OWNER, REPO)
        .releases()
        .get_by_tag("v1.0.0")
        .await
        .unwrap();
    assert_eq!(release.tag_name, "v1.0.0");
    assert!(!release.draft);
    let latest = s
        .installation
        .repos(OWNER, REPO)
        .releases()
        .get_latest()
        .await
        .unwrap();
    assert_eq!(latest.id, release.id);

    let pr = s.installation.pulls(OWNER, REPO).get(s.pr).await.unwrap();
    assert_eq!(pr.number, s.pr);
    assert_eq!(pr.merged, Some(true));
    assert_eq!(pr.merge_commit_sha.as_deref(), Some(s.merge_sha.as_str()));
    assert_eq!(
        pr.merged_by.map(|user| user.login).as_deref(),
        Some("alice")
    );
    assert_eq!(pr.base.ref_field, "main");

    // The installation token was minted once with the App JWT and reused.
    let requests = s.sim.requests();
    let minted: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/app/installations/77/access_tokens")
        .collect();
    assert_eq!(minted.len(), 1);
    assert_eq!(minted[0].status, 201);
    assert!(
        minted[0]
            .authorization
            .as_deref()
            .unwrap()
            .starts_with("Bearer ey")
    );
    let repo_calls: Vec<_> = requests
        .iter()
        .filter(|r| r.path.starts_with("/repos/"))
        .collect();
    assert!(repo_calls.iter().all(|r| r.status == 200));
    assert!(repo_calls.iter().all(|r| {
        r.authorization
            .as_deref()
            .is_some_and(|a| a.contains("ghs_"))
    }));
}

/// The path and query of a `Link` URL.
fn relative(uri: &Option<http::Uri>) -> Option<http::Uri> {
    let path_and_query = uri.as_ref()?.path_and_query()?.clone();
    http::Uri::builder()
        .path_and_query(path_and_query)
        .build()
        .ok()
}

#[tokio::test]
async fn octocrab_writes_and_pages_comments() {
    let s = setup().await;
    let issues = s.installation.issues(OWNER, REPO);
    for i in 0..5 {
        let comment = issues
            .create_comment(s.issue, format!("comment {i}"))
            .await
            .unwrap();
        assert_eq!(comment.user.login, "relman-test[bot]");
        assert_eq!(comment.user.r#type, "Bot");
    }
    let first = issues
        .list_comments(s.issue)
        .per_page(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    assert!(first.next.is_some());
    let mut bodies: Vec<String> = first.items.iter().filter_map(|c| c.body.clone()).collect();
    // octocrab only sends credentials to api.github.com or to relative URIs,
    // so a `Link` URL of any other host (the sim, GitHub Enterprise) has to be
    // made relative before following it; unchanged, the sim answers 401 as
    // GitHub would.
    let unauthenticated = s
        .installation
        .get_page::<octocrab::models::issues::Comment>(&first.next)
        .await;
    assert!(
        matches!(unauthenticated, Err(octocrab::Error::GitHub { ref source, .. }) if source.status_code == 401)
    );
    let mut next = relative(&first.next);
    while let Some(page) = s
        .installation
        .get_page::<octocrab::models::issues::Comment>(&next)
        .await
        .unwrap()
    {
        bodies.extend(page.items.iter().filter_map(|c| c.body.clone()));
        next = relative(&page.next);
    }
    assert_eq!(
        bodies,
        (0..5).map(|i| format!("comment {i}")).collect::<Vec<_>>()
    );

    let updated = issues
        .update(s.issue)
        .state(octocrab::models::IssueState::Closed)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.state, octocrab::models::IssueState::Closed);
}

#[tokio::test]
async fn octocrab_reads_git_checks_contents_and_app_data() {
    let s = setup().await;
    let repos = s.installation.repos(OWNER, REPO);

    let content = repos
        .get_content()
        .path(".github/relman.yml")
        .r#ref("main")
        .send()
        .await
        .unwrap();
    assert_eq!(
        content.items[0].decoded_content().as_deref(),
        Some("timezone: America/Los_Angeles\n")
    );

    let tag = repos
        .get_ref(&Reference::Tag("v1.0.0".to_string()))
        .await
        .unwrap();
    assert_eq!(tag.ref_field, "refs/tags/v1.0.0");
    let tags = repos.list_tags().send().await.unwrap();
    assert_eq!(tags.items[0].name, "v1.0.0");

    let comparison = s
        .installation
        .commits(OWNER, REPO)
        .compare("v1.0.0", "main")
        .send()
        .await
        .unwrap();
    // The PR's commit and its merge commit.
    assert_eq!(comparison.ahead_by, 2);
    assert_eq!(
        comparison.commits.last().map(|c| c.sha.as_str()),
        Some(s.merge_sha.as_str())
    );

    let status = repos
        .combined_status_for_ref(&Reference::Branch("main".to_string()))
        .await
        .unwrap();
    assert_eq!(status.total_count, 1);
    let runs = s
        .installation
        .checks(OWNER, REPO)
        .list_check_runs_for_git_ref(Commitish("main".to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(runs.total_count, 1);
    assert_eq!(runs.check_runs[0].name, "test");

    let repo = repos.get().await.unwrap();
    assert_eq!(repo.full_name.as_deref(), Some("acme/web"));
    assert_eq!(repo.default_branch.as_deref(), Some("main"));

    let installation = s
        .app
        .apps()
        .get_repository_installation(OWNER, REPO)
        .await
        .unwrap();
    assert_eq!(installation.id, InstallationId(77));
    assert_eq!(installation.account.login, "acme");
    let all = s.app.apps().installations().send().await.unwrap();
    assert_eq!(all.items.len(), 1);
}

#[tokio::test]
async fn octocrab_recovers_from_expired_tokens_by_minting_a_new_one() {
    let s = setup().await;
    s.installation
        .issues(OWNER, REPO)
        .get(s.issue)
        .await
        .unwrap();
    s.sim.clear_requests();
    s.sim.inject(github_sim::Fault::once(
        github_sim::Matcher::path("/repos/"),
        github_sim::FaultKind::ExpireTokens,
    ));
    // octocrab answers a 401 by dropping its token, minting another and
    // retrying once.
    let issue = s
        .installation
        .issues(OWNER, REPO)
        .get(s.issue)
        .await
        .unwrap();
    assert_eq!(issue.number, s.issue);
    let log: Vec<(String, u16)> = s
        .sim
        .requests()
        .into_iter()
        .map(|r| (r.path, r.status))
        .collect();
    let issue_path = format!("/repos/acme/web/issues/{}", s.issue);
    assert_eq!(
        log,
        [
            (issue_path.clone(), 401),
            ("/app/installations/77/access_tokens".to_string(), 201),
            (issue_path, 200),
        ]
    );
}
