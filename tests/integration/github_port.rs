//! Every operation of relman's GitHub port, run against the fake GitHub with its result checked
//! against the state the fake holds.

use crate::support;

use github_sim::world::ReactionSubject;
use github_sim::{GitHubSim, Permission as SimPermission};
use relman::github::{
    CheckOutput, GitHubPort, IssueFilter, IssuePatch, IssueState, NewCheckRun, NewIssue,
    NewRelease, Permission, Reaction, ReleasePatch,
};
use support::github::{REPO, SimRepo};

fn main_sha(sim: &GitHubSim) -> String {
    sim.with(|world| world.resolve(REPO, "main").unwrap())
}

#[tokio::test]
async fn repository_and_files() {
    let s = SimRepo::start().await;
    let old = s.sim.with(|world| {
        world.commit(
            REPO,
            "main",
            "Add relman config",
            &[(".github/relman.yml", "timezone: UTC\n")],
        )
    });
    s.sim.with(|world| {
        world.add_tag(REPO, "v1.0.0", &old);
        world.commit(
            REPO,
            "main",
            "Change the timezone",
            &[(".github/relman.yml", "timezone: Europe/Paris\n")],
        );
    });

    let repo = s.github.get_repo(&s.repo).await.unwrap();
    assert_eq!(repo.full_name, "acme/web");
    assert_eq!(repo.default_branch, "main");

    let file = s
        .github
        .get_file(&s.repo, ".github/relman.yml", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(file.path, ".github/relman.yml");
    assert_eq!(file.text, "timezone: Europe/Paris\n");
    assert!(!file.sha.is_empty());

    // At a ref: the tag still has the old text.
    let at_tag = s
        .github
        .get_file(&s.repo, ".github/relman.yml", Some("v1.0.0"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(at_tag.text, "timezone: UTC\n");
    assert_ne!(at_tag.sha, file.sha);

    // Absent, and a directory: neither is a file.
    assert_eq!(
        s.github
            .get_file(&s.repo, ".github/absent.yml", None)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.github.get_file(&s.repo, ".github", None).await.unwrap(),
        None
    );
    // A file added after the tag is absent at the tag.
    s.sim
        .with(|world| world.commit(REPO, "main", "Docs", &[("docs/later.md", "later")]));
    assert!(
        s.github
            .get_file(&s.repo, "docs/later.md", None)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        s.github
            .get_file(&s.repo, "docs/later.md", Some("v1.0.0"))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn issues_labels_and_assignees() {
    let s = SimRepo::start().await;
    s.sim.with(|world| {
        world.add_collaborator(REPO, "alice", SimPermission::Write);
        world.add_collaborator(REPO, "bob", SimPermission::Write);
    });

    let created = s
        .github
        .create_issue(
            &s.repo,
            &NewIssue {
                title: "Release 2026-01-06".into(),
                body: "checklist".into(),
                labels: vec!["release".into()],
                assignees: vec!["alice".into()],
            },
        )
        .await
        .unwrap();
    assert_eq!(created.title, "Release 2026-01-06");
    assert!(created.has_label("release"));
    assert_eq!(created.assignees[0].login, "alice");
    assert_eq!(created.state, IssueState::Open);
    assert!(created.user.is_bot(), "{:?}", created.user);

    let fetched = s.github.get_issue(&s.repo, created.number).await.unwrap();
    assert_eq!(fetched, created);

    s.github
        .add_labels(&s.repo, created.number, &["qa".into(), "staging".into()])
        .await
        .unwrap();
    s.github
        .remove_label(&s.repo, created.number, "release")
        .await
        .unwrap();
    // Removing a label the issue does not have is fine.
    s.github
        .remove_label(&s.repo, created.number, "never-there")
        .await
        .unwrap();
    s.github
        .add_assignees(&s.repo, created.number, &["bob".into()])
        .await
        .unwrap();
    let (labels, assignees) = s.sim.with(|world| {
        let issue = world.repo(REPO).unwrap().issue(created.number).unwrap();
        (issue.labels.clone(), issue.assignees.clone())
    });
    assert_eq!(labels, vec!["qa", "staging"]);
    assert_eq!(assignees, vec!["alice", "bob"]);

    let closed = s
        .github
        .update_issue(
            &s.repo,
            created.number,
            &IssuePatch {
                body: Some("done".into()),
                state: Some(IssueState::Closed),
                state_reason: Some("completed".into()),
                ..IssuePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(closed.state, IssueState::Closed);
    assert_eq!(closed.body, "done");
    assert!(closed.closed_at.is_some());
    assert_eq!(
        closed.title, "Release 2026-01-06",
        "fields not sent are kept"
    );
}

#[tokio::test]
async fn listing_issues_filters_and_leaves_out_pull_requests() {
    let s = SimRepo::start().await;
    let (open_release, closed_release, other) = s.sim.with(|world| {
        let open_release = world.open_issue(REPO, "alice", "Release A", "");
        world.add_labels(REPO, open_release, &["release"]);
        let closed_release = world.open_issue(REPO, "bob", "Release B", "");
        world.add_labels(REPO, closed_release, &["release"]);
        let other = world.open_issue(REPO, "bob", "Bug", "");
        world.open_pr(REPO, "alice", "A change", "feature", "main");
        (open_release, closed_release, other)
    });
    s.github
        .update_issue(
            &s.repo,
            closed_release,
            &IssuePatch {
                state: Some(IssueState::Closed),
                ..IssuePatch::default()
            },
        )
        .await
        .unwrap();

    let numbers = |issues: Vec<relman::github::Issue>| {
        let mut n: Vec<u64> = issues.iter().map(|i| i.number).collect();
        n.sort_unstable();
        n
    };
    let open = s
        .github
        .list_issues(&s.repo, &IssueFilter::default())
        .await
        .unwrap();
    assert_eq!(
        numbers(open),
        vec![open_release, other],
        "the PR is not an issue"
    );

    let all_release = s
        .github
        .list_issues(
            &s.repo,
            &IssueFilter {
                state: Some("all".into()),
                labels: vec!["release".into()],
                creator: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(numbers(all_release), vec![open_release, closed_release]);

    let by_bob = s
        .github
        .list_issues(
            &s.repo,
            &IssueFilter {
                state: Some("all".into()),
                labels: vec![],
                creator: Some("bob".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(numbers(by_bob), vec![closed_release, other]);
}

#[tokio::test]
async fn comments_and_reactions() {
    let s = SimRepo::start().await;
    let number = s
        .sim
        .with(|world| world.open_issue(REPO, "alice", "Release", ""));
    let human = s
        .sim
        .with(|world| world.add_comment(REPO, number, "alice", "/release"));

    let created = s
        .github
        .create_comment(&s.repo, number, "on it")
        .await
        .unwrap();
    assert_eq!(created.body, "on it");
    assert!(created.user.is_bot());

    let updated = s
        .github
        .update_comment(&s.repo, created.id, "done")
        .await
        .unwrap();
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.body, "done");

    let got = s
        .github
        .get_comment(&s.repo, created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.body, "done");
    assert_eq!(s.github.get_comment(&s.repo, 999_999).await.unwrap(), None);

    let listed = s.github.list_comments(&s.repo, number).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|c| (c.id, c.user.login.as_str(), c.body.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (human, "alice", "/release"),
            (created.id, "relman-test[bot]", "done"),
        ]
    );

    for reaction in [Reaction::Eyes, Reaction::PlusOne, Reaction::Confused] {
        s.github
            .add_comment_reaction(&s.repo, human, reaction)
            .await
            .unwrap();
    }
    let reactions: Vec<(String, String)> = s.sim.with(|world| {
        world
            .repo(REPO)
            .unwrap()
            .reactions_on(ReactionSubject::Comment(human))
            .iter()
            .map(|r| (r.user.clone(), r.content.clone()))
            .collect()
    });
    let bot = github_sim::world::bot_login();
    assert_eq!(
        reactions,
        vec![
            (bot.clone(), "eyes".to_string()),
            (bot.clone(), "+1".to_string()),
            (bot, "confused".to_string()),
        ]
    );
}

#[tokio::test]
async fn releases() {
    let s = SimRepo::start().await;
    let sha = main_sha(&s.sim);
    assert_eq!(s.github.latest_release(&s.repo).await.unwrap(), None);
    assert_eq!(
        s.github.list_releases(&s.repo, 10).await.unwrap(),
        Vec::new()
    );

    let older = s
        .sim
        .with(|world| world.add_release(REPO, "v1.0.0", &sha, "alice"));
    let created = s
        .github
        .create_release(
            &s.repo,
            &NewRelease {
                tag_name: "v1.1.0".into(),
                target_commitish: sha.clone(),
                name: "v1.1.0".into(),
                body: "- a change".into(),
                draft: true,
                prerelease: false,
            },
        )
        .await
        .unwrap();
    assert!(created.draft);
    assert_eq!(created.tag_name, "v1.1.0");
    assert_eq!(created.body, "- a change");

    // A draft is not found by tag and is not the latest.
    assert_eq!(
        s.github
            .get_release_by_tag(&s.repo, "v1.1.0")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.github
            .latest_release(&s.repo)
            .await
            .unwrap()
            .map(|r| r.id),
        Some(older)
    );

    let published = s
        .github
        .update_release(
            &s.repo,
            created.id,
            &ReleasePatch {
                draft: Some(false),
                body: Some("- a change\n- another".into()),
                ..ReleasePatch::default()
            },
        )
        .await
        .unwrap();
    assert!(!published.draft);
    assert!(published.published_at.is_some());
    assert_eq!(published.name, "v1.1.0", "fields not sent are kept");

    let by_tag = s
        .github
        .get_release_by_tag(&s.repo, "v1.1.0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_tag.id, created.id);
    assert_eq!(by_tag.target_commitish, sha);
    assert_eq!(
        s.github
            .get_release_by_tag(&s.repo, "v9.9.9")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.github
            .latest_release(&s.repo)
            .await
            .unwrap()
            .map(|r| r.id),
        Some(created.id)
    );

    let listed: Vec<String> = s
        .github
        .list_releases(&s.repo, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.tag_name)
        .collect();
    assert_eq!(listed, vec!["v1.1.0", "v1.0.0"], "newest first");
    assert_eq!(s.github.list_releases(&s.repo, 1).await.unwrap().len(), 1);
}

#[tokio::test]
async fn refs_and_tags() {
    let s = SimRepo::start().await;
    let first = main_sha(&s.sim);
    s.github
        .create_ref(&s.repo, "refs/tags/v1.0.0", &first)
        .await
        .unwrap();
    let second = s
        .sim
        .with(|world| world.commit(REPO, "main", "More", &[("a.txt", "a")]));
    s.github
        .create_ref(&s.repo, "refs/tags/v1.1.0", &second)
        .await
        .unwrap();

    let tag = s
        .github
        .get_ref(&s.repo, "tags/v1.0.0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tag.name, "refs/tags/v1.0.0");
    assert_eq!(tag.sha, first);
    assert_eq!(tag.object_type, "commit");
    // `refs/` in front is accepted too.
    let head = s
        .github
        .get_ref(&s.repo, "refs/heads/main")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(head.sha, second);
    assert_eq!(
        s.github.get_ref(&s.repo, "tags/v9.9.9").await.unwrap(),
        None
    );

    let tags = s.github.list_tags(&s.repo, 10).await.unwrap();
    assert_eq!(
        tags.iter()
            .map(|t| (t.name.as_str(), t.sha.as_str()))
            .collect::<Vec<_>>(),
        vec![("v1.1.0", second.as_str()), ("v1.0.0", first.as_str())],
        "newest first"
    );
    assert_eq!(s.github.list_tags(&s.repo, 1).await.unwrap().len(), 1);
}

#[tokio::test]
async fn compare_and_pull_requests_with_merge_commits() {
    let s = SimRepo::start().await;
    let base = main_sha(&s.sim);
    let (first_pr, first_merge, second_pr, second_merge) = s.sim.with(|world| {
        world.add_tag(REPO, "v1.0.0", &base);
        let first_pr = world.open_pr(REPO, "alice", "Fix the thing", "fix", "main");
        let first_merge = world.merge_pr(REPO, first_pr, "bob");
        let second_pr = world.open_pr(REPO, "carol", "Add a feature", "feature", "main");
        let second_merge = world.merge_pr(REPO, second_pr, "bob");
        (first_pr, first_merge, second_pr, second_merge)
    });

    let comparison = s.github.compare(&s.repo, "v1.0.0", "main").await.unwrap();
    assert_eq!(comparison.status, "ahead");
    assert_eq!(comparison.behind_by, 0);
    // Each PR: its own commit plus the merge commit.
    assert_eq!(comparison.ahead_by, 4);
    assert_eq!(comparison.total_commits, 4);
    assert_eq!(comparison.commits.len(), 4);
    let merges: Vec<_> = comparison
        .commits
        .iter()
        .filter(|c| c.parents.len() == 2)
        .collect();
    assert_eq!(
        merges.iter().map(|c| c.sha.as_str()).collect::<Vec<_>>(),
        vec![first_merge.as_str(), second_merge.as_str()],
        "oldest first"
    );
    assert!(
        merges[0]
            .message
            .starts_with(&format!("Merge pull request #{first_pr} from acme/fix")),
        "{}",
        merges[0].message
    );
    assert_eq!(merges[0].author_login.as_deref(), Some("bob"));

    let identical = s.github.compare(&s.repo, "main", "main").await.unwrap();
    assert_eq!(identical.status, "identical");
    assert!(identical.commits.is_empty());

    let pulls = s
        .github
        .pulls_for_commit(&s.repo, &second_merge)
        .await
        .unwrap();
    assert_eq!(
        pulls.iter().map(|p| p.number).collect::<Vec<_>>(),
        vec![second_pr]
    );

    let pull = s.github.get_pull(&s.repo, first_pr).await.unwrap();
    assert!(pull.merged);
    assert_eq!(pull.merge_commit_sha.as_deref(), Some(first_merge.as_str()));
    assert_eq!(pull.base.name, "main");
    assert_eq!(pull.head.name, "fix");
    assert_eq!(pull.user.login, "alice");
    assert_eq!(pull.state, IssueState::Closed);
    assert!(pull.merged_at.is_some());
}

#[tokio::test]
async fn statuses_and_check_runs() {
    let s = SimRepo::start().await;
    let sha = main_sha(&s.sim);

    let nothing = s.github.combined_status(&s.repo, &sha).await.unwrap();
    assert_eq!(nothing.state, "pending");
    assert!(nothing.statuses.is_empty());

    s.sim.with(|world| {
        world.set_status(REPO, &sha, "ci/jenkins", "success");
        world.set_status(REPO, &sha, "ci/functional", "failure");
    });
    let combined = s.github.combined_status(&s.repo, "main").await.unwrap();
    assert_eq!(combined.state, "failure");
    let mut contexts: Vec<(&str, &str)> = combined
        .statuses
        .iter()
        .map(|c| (c.context.as_str(), c.state.as_str()))
        .collect();
    contexts.sort_unstable();
    assert_eq!(
        contexts,
        vec![("ci/functional", "failure"), ("ci/jenkins", "success")]
    );

    s.sim.with(|world| {
        world.set_check_run(REPO, &sha, "build", "completed", Some("success"));
    });
    let created = s
        .github
        .create_check_run(
            &s.repo,
            &NewCheckRun {
                name: "relman/requirements".into(),
                head_sha: sha.clone(),
                status: "in_progress".into(),
                conclusion: None,
                output: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(created.status, "in_progress");
    assert_eq!(created.conclusion, None);
    assert_eq!(created.head_sha, sha);

    let completed = s
        .github
        .update_check_run(
            &s.repo,
            created.id,
            &NewCheckRun {
                name: "relman/requirements".into(),
                head_sha: sha.clone(),
                status: "completed".into(),
                conclusion: Some("failure".into()),
                output: Some(CheckOutput {
                    title: "QA has a blocker".into(),
                    summary: "- [ ] QA".into(),
                    annotations: vec![],
                }),
            },
        )
        .await
        .unwrap();
    assert_eq!(completed.id, created.id);
    assert_eq!(completed.status, "completed");
    assert_eq!(completed.conclusion.as_deref(), Some("failure"));
    let title = s.sim.with(|world| {
        world.repo(REPO).unwrap().check_runs[&created.id]
            .output
            .title
            .clone()
    });
    assert_eq!(title.as_deref(), Some("QA has a blocker"));

    let mut runs: Vec<(String, Option<String>, String)> = s
        .github
        .check_runs(&s.repo, &sha)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.name,
                r.conclusion,
                r.app.map(|a| a.slug).unwrap_or_default(),
            )
        })
        .collect();
    runs.sort();
    assert_eq!(
        runs,
        vec![
            (
                "build".to_string(),
                Some("success".to_string()),
                "github-actions".to_string()
            ),
            (
                "relman/requirements".to_string(),
                Some("failure".to_string()),
                "relman-test".to_string()
            ),
        ]
    );
}

#[tokio::test]
async fn deployments_statuses_and_protection_rule_reviews() {
    let s = SimRepo::start().await;
    let first = main_sha(&s.sim);
    let (staging_old, production, staging_new) = s.sim.with(|world| {
        let staging_old = world.add_deployment(REPO, &first, "staging", "ci-bot");
        world.add_deployment_status(REPO, staging_old, "success", "ci-bot");
        let production = world.add_deployment(REPO, &first, "production", "ops");
        let second = world.commit(REPO, "main", "More", &[("b.txt", "b")]);
        let staging_new = world.add_deployment(REPO, &second, "staging", "ci-bot");
        world.add_deployment_status(REPO, staging_new, "in_progress", "ci-bot");
        world.add_deployment_status(REPO, staging_new, "failure", "ci-bot");
        (staging_old, production, staging_new)
    });

    let ids = |ds: Vec<relman::github::Deployment>| ds.iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.github.list_deployments(&s.repo, None, 10).await.unwrap()),
        vec![staging_new, production, staging_old],
        "newest first"
    );
    let staging = s
        .github
        .list_deployments(&s.repo, Some("staging"), 10)
        .await
        .unwrap();
    assert_eq!(staging[0].environment, "staging");
    assert_eq!(staging[1].sha, first);
    assert_eq!(ids(staging), vec![staging_new, staging_old]);
    assert_eq!(
        ids(s
            .github
            .list_deployments(&s.repo, Some("staging"), 1)
            .await
            .unwrap()),
        vec![staging_new]
    );

    let mut states: Vec<String> = s
        .github
        .deployment_statuses(&s.repo, staging_new)
        .await
        .unwrap()
        .into_iter()
        .map(|st| st.state)
        .collect();
    states.sort();
    assert_eq!(states, vec!["failure", "in_progress"]);
    assert!(
        s.github
            .deployment_statuses(&s.repo, production)
            .await
            .unwrap()
            .is_empty()
    );

    s.github
        .review_deployment_protection_rule(&s.repo, 555, "production", false, "QA has a blocker")
        .await
        .unwrap();
    s.github
        .review_deployment_protection_rule(&s.repo, 556, "staging", true, "requirements met")
        .await
        .unwrap();
    let reviews: Vec<(u64, String, String, Option<String>)> = s.sim.with(|world| {
        world
            .protection_rule_reviews
            .iter()
            .map(|r| {
                (
                    r.run_id,
                    r.environment_name.clone(),
                    r.state.clone(),
                    r.comment.clone(),
                )
            })
            .collect()
    });
    assert_eq!(
        reviews,
        vec![
            (
                555,
                "production".to_string(),
                "rejected".to_string(),
                Some("QA has a blocker".to_string())
            ),
            (
                556,
                "staging".to_string(),
                "approved".to_string(),
                Some("requirements met".to_string())
            ),
        ]
    );
}

#[tokio::test]
async fn collaborator_permissions() {
    let s = SimRepo::start().await;
    s.sim.with(|world| {
        world.add_collaborator(REPO, "ada", SimPermission::Admin);
        world.add_collaborator(REPO, "max", SimPermission::Maintain);
        world.add_collaborator(REPO, "wes", SimPermission::Write);
        world.add_collaborator(REPO, "tia", SimPermission::Triage);
        world.add_collaborator(REPO, "rea", SimPermission::Read);
        world.ensure_user("nobody");
    });
    let cases = [
        ("ada", Permission::Admin, "admin"),
        // GitHub's coarse `permission` reads maintain as write; the role keeps it apart.
        ("max", Permission::Write, "maintain"),
        ("wes", Permission::Write, "write"),
        ("tia", Permission::Read, "triage"),
        ("rea", Permission::Read, "read"),
        // An account without access to the repository.
        ("nobody", Permission::None, "none"),
        // No such account at all (GitHub answers 404).
        ("ghost-of-no-one", Permission::None, "none"),
        // The owner organization of the repository is an admin of it.
        ("acme", Permission::Admin, "admin"),
    ];
    for (login, permission, role) in cases {
        let answer = s
            .github
            .collaborator_permission(&s.repo, login)
            .await
            .unwrap();
        assert_eq!(answer.permission, permission, "{login}");
        assert_eq!(answer.role_name, role, "{login}");
    }
}

#[tokio::test]
async fn team_membership() {
    let s = SimRepo::start().await;
    s.sim.with(|world| {
        world.add_team_member("acme", "qa", "quinn", "member");
        world.add_team_member("acme", "qa", "mona", "maintainer");
        world.add_team_member("acme", "qa", "pat", "member");
        world.ensure_user("alice");
        // An invitation not accepted yet.
        if let Some(team) = world.teams.get_mut(&("acme".to_string(), "qa".to_string()))
            && let Some(pat) = team.members.get_mut("pat")
        {
            pat.state = "pending".into();
        }
    });
    assert!(
        s.github
            .team_membership("acme", "qa", "quinn")
            .await
            .unwrap()
    );
    assert!(
        s.github
            .team_membership("acme", "qa", "mona")
            .await
            .unwrap()
    );
    assert!(!s.github.team_membership("acme", "qa", "pat").await.unwrap());
    assert!(
        !s.github
            .team_membership("acme", "qa", "alice")
            .await
            .unwrap()
    );
    assert!(
        !s.github
            .team_membership("acme", "no-such-team", "quinn")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn git_data_builds_a_branch_and_a_pull_request_follows_it() {
    use relman::github::{NewPull, NewTreeEntry, PullPatch};
    let s = SimRepo::start().await;
    let base = s.sim.with(|world| {
        world.commit(
            REPO,
            "main",
            "Add files",
            &[
                ("Cargo.toml", "version = \"1.0.0\"\n"),
                ("README.md", "hi\n"),
            ],
        )
    });
    let commit = s
        .github
        .get_git_commit(&s.repo, &base)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(commit.sha, base);
    assert_eq!(commit.message, "Add files");
    assert_eq!(
        s.github
            .get_git_commit(&s.repo, &"0".repeat(40))
            .await
            .unwrap(),
        None
    );
    let tree = s
        .github
        .get_tree(&s.repo, &commit.tree_sha, true)
        .await
        .unwrap();
    assert!(
        tree.tree
            .iter()
            .any(|e| e.path == "Cargo.toml" && e.kind == "blob")
    );

    // A blob (sent base64, so CRLF and non-ASCII survive), a tree on the base, a commit.
    let text = "version = \"1.1.0\"\r\n# ünïcode\n";
    let blob = s.github.create_blob(&s.repo, text).await.unwrap();
    let new_tree = s
        .github
        .create_tree(
            &s.repo,
            &commit.tree_sha,
            &[NewTreeEntry {
                path: "Cargo.toml".into(),
                mode: "100644".into(),
                kind: "blob".into(),
                sha: Some(blob),
            }],
        )
        .await
        .unwrap();
    let made = s
        .github
        .create_git_commit(
            &s.repo,
            "chore: release 1.1.0",
            &new_tree,
            std::slice::from_ref(&base),
        )
        .await
        .unwrap();
    assert_eq!(
        (made.tree_sha.as_str(), made.parents.clone()),
        (new_tree.as_str(), vec![base.clone()])
    );
    let (files, verified) = s.sim.with(|world| {
        let c = &world.repos[REPO].commits[&made.sha];
        (c.tree.clone(), c.verified)
    });
    assert_eq!(files["Cargo.toml"], text);
    assert_eq!(files["README.md"], "hi\n");
    assert!(
        verified,
        "a commit the App makes through the API is verified"
    );

    // A branch at it, a PR from it; a force-moved branch moves the PR's head.
    s.github
        .create_ref(&s.repo, "refs/heads/release/1.1.0", &made.sha)
        .await
        .unwrap();
    let pr = s
        .github
        .create_pull(
            &s.repo,
            &NewPull {
                title: "chore: release 1.1.0".into(),
                head: "release/1.1.0".into(),
                base: "main".into(),
                body: "notes".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (pr.head.name.as_str(), pr.base.name.as_str()),
        ("release/1.1.0", "main")
    );
    assert!(pr.user.is_bot(), "{:?}", pr.user);
    let other = s
        .sim
        .with(|world| world.commit(REPO, "main", "Other", &[("x", "y")]));
    let moved = s
        .github
        .create_git_commit(&s.repo, "chore: release 1.1.0", &new_tree, &[other])
        .await
        .unwrap();
    assert!(
        s.github
            .update_ref(&s.repo, "heads/release/1.1.0", &moved.sha, false)
            .await
            .is_err(),
        "not a fast-forward"
    );
    s.github
        .update_ref(&s.repo, "heads/release/1.1.0", &moved.sha, true)
        .await
        .unwrap();
    assert_eq!(
        s.github
            .get_pull(&s.repo, pr.number)
            .await
            .unwrap()
            .head
            .sha,
        moved.sha
    );

    let edited = s
        .github
        .update_pull(
            &s.repo,
            pr.number,
            &PullPatch {
                body: Some("new notes".into()),
                state: Some("closed".into()),
                ..PullPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (edited.body.as_str(), edited.state),
        ("new notes", IssueState::Closed)
    );

    // Deleting the branch twice: the second time it is already gone, which is fine.
    s.github
        .delete_ref(&s.repo, "heads/release/1.1.0")
        .await
        .unwrap();
    s.github
        .delete_ref(&s.repo, "heads/release/1.1.0")
        .await
        .unwrap();
    assert_eq!(
        s.github
            .get_ref(&s.repo, "heads/release/1.1.0")
            .await
            .unwrap(),
        None
    );
}
