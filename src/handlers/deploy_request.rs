//! The deployment request: when production runs an older version than staging and the
//! production requirements hold — or on `/deploy production` by the release manager — one issue
//! for Ops, in `deployment_request.repo`, per (repository, version): the version to deploy, the
//! rollback target, every change between the two with the config changes authors described in
//! their PR checklists, QA and sign-off with who and when, the dashboards.

use super::commands::CommandError;
use super::dispatch::Context;
use super::environments::environment_version;
use super::merged_pr::CHECKLIST_KIND;
use super::release_facts::{Train, changes_of, commit_checks, facts_for, fold_log};
use crate::domain::changelog::Change;
use crate::domain::checklist::read_checklist;
use crate::domain::requirements::{Environment, Verdict, all_met, evaluate};
use crate::github::comments::{marker, upsert_comment};
use crate::github::issues::{WhenFound, find_or_create_issue};
use crate::github::{GitHubPort, NewIssue, RepoName};

/// What asking for a deployment came to.
#[derive(Debug)]
pub enum Decision {
    /// Staging's version is not known yet.
    StagingUnknown,
    /// Production already runs staging's version.
    UpToDate { version: String },
    /// The production requirements do not hold for staging's version.
    Unmet {
        version: String,
        verdicts: Vec<Verdict>,
    },
    /// Filed now.
    Filed { version: String, url: String },
    /// Filed before (one request per version).
    AlreadyFiled { version: String, url: String },
    /// A hotfix replaced this week's planned production release: no second request.
    Replaced { version: String },
}

fn request_marker(repo: &RepoName, version: &str) -> String {
    marker("deploy-request", &format!("{repo}@{version}"))
}

/// Files the deployment request for staging's version if it is due.
pub async fn consider(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    requested_by: Option<&str>,
) -> Result<Decision, CommandError> {
    let config = &train.config;
    let environments = &config.environments;
    let staging = environment_version(ctx, github, repo, train, &environments.staging.name).await?;
    let production =
        environment_version(ctx, github, repo, train, &environments.production.name).await?;
    let Some(staging) = staging.filter(|s| s.version.is_some()) else {
        return Ok(Decision::StagingUnknown);
    };
    let version = staging.version.clone().unwrap_or_default();
    let production_version = production.as_ref().and_then(|p| p.version.clone());
    if production_version.as_deref() == Some(version.as_str()) {
        return Ok(Decision::UpToDate { version });
    }
    let key = repo.to_string();
    if let Some(existing) = ctx.store.deployment_request(&key, &version).await?
        && let Some(url) = existing.issue_url
    {
        return Ok(Decision::AlreadyFiled { version, url });
    }
    let sha = match &staging.sha {
        Some(sha) => sha.clone(),
        None => match github.commit_sha(repo, &version).await? {
            Some(sha) => sha,
            None => return Ok(Decision::StagingUnknown),
        },
    };
    let rec = ctx.store.release_by_tag(&key, &version).await?;
    let now = ctx.clock.now();
    // A hotfix or warmfix goes to production as an expedited request. A regular release in a
    // week whose production release a hotfix replaced waits (unless asked for by hand).
    let expedited = rec
        .as_ref()
        .filter(|r| r.kind != "regular")
        .map(|r| r.kind.clone());
    if expedited.is_none()
        && requested_by.is_none()
        && super::hotfix::production_replaced(ctx, repo, train.today(now)).await?
    {
        return Ok(Decision::Replaced { version });
    }
    let checks = commit_checks(github, repo, &sha).await?;
    // Sign-offs and QA calls: the release's own, else (a release relman did not cut) those on
    // the release being tracked now.
    let signed = match &rec {
        Some(r) => Some(r.clone()),
        None => ctx.store.open_releases(&key).await?.into_iter().next(),
    };
    let facts = facts_for(ctx, train, repo, signed.as_ref(), &sha, checks, now).await?;
    let verdicts = evaluate(Environment::Production, &config.requirements, &facts);
    if !all_met(&verdicts) {
        return Ok(Decision::Unmet { version, verdicts });
    }
    let target: RepoName = match &config.deployment_request.repo {
        Some(slug) => slug
            .to_string()
            .parse()
            .map_err(|e| CommandError::Other(format!("{e}")))?,
        None => repo.clone(),
    };
    ctx.store
        .claim_deployment_request(
            &key,
            &version,
            &target.to_string(),
            requested_by,
            ctx.clock.now_ms(),
        )
        .await?;

    // The changes between production and staging, and what their authors said needs a config
    // change.
    let (changes, compare_note) = match production
        .as_ref()
        .and_then(|p| p.sha.clone().or(p.version.clone()))
    {
        Some(base) => {
            let commits = github.compare(repo, &base, &sha).await?.commits;
            let branch = github.get_repo(repo).await?.default_branch;
            let pulls = github.list_closed_pulls(repo, &branch, 100).await?;
            let merged: Vec<_> = pulls.iter().filter(|p| p.merged_at.is_some()).collect();
            (changes_of(&commits, &merged), None)
        }
        None => (
            Vec::new(),
            Some(
                "relman does not know what production runs, so the changes could not be listed; check them before deploying.",
            ),
        ),
    };
    let config_changes = config_changes(ctx, github, repo, train, &changes).await?;
    let log = match &rec {
        Some(r) => ctx.store.release_log(&key, &r.key).await?,
        None => Vec::new(),
    };
    let (signoffs, blockers, qa_ok) = fold_log(&log);

    let mut body = format!("{}\n", request_marker(repo, &version));
    if let Some(kind) = &expedited {
        body.push_str(&format!(
            "> [!IMPORTANT]\n> **Expedited {kind}**{} — outside the regular release train.\n\n",
            rec.as_ref()
                .and_then(|r| r.reason.as_deref())
                .map(|why| format!(": {why}"))
                .unwrap_or_default()
        ));
    }
    body.push_str(&format!(
        "Please deploy **{repo} {version}** to **{}**.\n\n| | |\n|---|---|\n| deploy | `{version}` ({}) |\n| production now (rollback target) | {} |\n",
        environments.production.name,
        &sha[..sha.len().min(12)],
        production_version
            .as_deref()
            .map_or_else(|| "unknown".to_string(), |v| format!("`{v}`"))
    ));
    if let Some(who) = requested_by {
        body.push_str(&format!("| requested by | @{who} |\n"));
    }
    body.push_str(&format!("\n### Changes ({})\n\n", changes.len()));
    match compare_note {
        Some(note) => body.push_str(&format!("{note}\n")),
        None if changes.is_empty() => body.push_str("No changes listed.\n"),
        None => {
            for c in &changes {
                body.push_str(&format!("- {}\n", c.line()));
            }
        }
    }
    body.push_str("\n### Config changes\n\n");
    if config_changes.is_empty() {
        body.push_str("None: no PR in this release ticked \"Requires a config change\".\n");
    } else {
        for (change, notes) in &config_changes {
            body.push_str(&format!("- {}\n", change.line()));
            if notes.is_empty() {
                body.push_str(
                    "  (ticked, but the author described nothing: ask them before deploying)\n",
                );
            } else {
                for line in notes.lines() {
                    body.push_str(&format!("  > {line}\n"));
                }
            }
        }
    }
    body.push_str("\n### QA and sign-off\n\n");
    match &qa_ok {
        Some((by, at)) => body.push_str(&format!(
            "- QA: no blockers (@{by}, {})\n",
            at.format("%Y-%m-%d %H:%M UTC")
        )),
        None if blockers.is_empty() => body.push_str("- QA: no blockers reported\n"),
        None => {}
    }
    for s in signoffs
        .iter()
        .filter(|s| s.environment == Environment::Production)
    {
        body.push_str(&format!(
            "- Signed off for production by @{} ({})\n",
            s.by,
            s.at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if !config.dashboards.is_empty() {
        body.push_str("\n### Dashboards to watch\n\n");
        for d in &config.dashboards {
            body.push_str(&format!("- [{}]({})\n", d.name, d.url));
        }
    }
    body.push_str(&format!(
        "\n### Rollback\n\nIf production misbehaves after the deployment, redeploy {} and tell the release manager on the tracking issue.\n",
        production_version
            .as_deref()
            .map_or_else(|| "the previous version".to_string(), |v| format!("`{v}`"))
    ));

    let title = match &expedited {
        Some(kind) => format!("Deploy {repo} {version} to production (expedited {kind})"),
        None => format!("Deploy {repo} {version} to production"),
    };
    let request = &config.deployment_request;
    let mark = request_marker(repo, &version);
    let issue = find_or_create_issue(
        github,
        &target,
        &mark,
        request.labels.first().map(String::as_str),
        &NewIssue {
            title,
            body,
            labels: request.labels.clone(),
            assignees: request.assignees.clone(),
        },
        WhenFound::Keep,
    )
    .await?;
    let url = if issue.html_url.is_empty() {
        format!("{target}#{}", issue.number)
    } else {
        issue.html_url.clone()
    };
    ctx.store
        .set_deployment_request_issue(&key, &version, issue.number, &url)
        .await?;
    tracing::info!(repo = %repo, version = %version, request = %url, "deployment request filed");
    if let Some(tracking) = rec.as_ref().and_then(|r| r.issue_number) {
        upsert_comment(
            github,
            &ctx.store,
            repo,
            tracking,
            "deploy-request",
            &version,
            &format!("📦 Production requirements hold for {version}: deployment request filed for Ops — {url}"),
            ctx.clock.now_ms(),
        )
        .await?;
    }
    Ok(Decision::Filed { version, url })
}

/// The changes whose authors ticked the config-change item of their checklist, with what they
/// wrote under it. One read per PR that has relman's checklist.
async fn config_changes(
    ctx: &Context,
    github: &dyn GitHubPort,
    repo: &RepoName,
    train: &Train,
    changes: &[Change],
) -> Result<Vec<(Change, String)>, CommandError> {
    let items = &train.config.pr_checklist;
    // The item that asks about config: the one that says so, else the first.
    let Some(index) = items
        .iter()
        .position(|i| i.to_ascii_lowercase().contains("config"))
        .or((!items.is_empty()).then_some(0))
    else {
        return Ok(Vec::new());
    };
    let key = repo.to_string();
    let mut out = Vec::new();
    for change in changes {
        let Some(number) = change.number else {
            continue;
        };
        let mark = marker(CHECKLIST_KIND, &number.to_string());
        let Some(id) = ctx.store.bot_comment_id(&key, number, &mark).await? else {
            continue;
        };
        let Some(comment) = github.get_comment(repo, id).await? else {
            continue;
        };
        let ticked = read_checklist(&comment.body, items);
        if let Some(item) = ticked.get(index).filter(|t| t.checked) {
            out.push((change.clone(), item.notes.clone()));
        }
    }
    Ok(out)
}

/// `/deploy production`.
pub async fn deploy_production(
    at: &super::commands::Invocation<'_>,
) -> Result<super::commands::Outcome, CommandError> {
    use super::commands::Outcome;
    let Some(train) = super::release_facts::load_train(at.ctx, at.github, at.repo).await? else {
        return Ok(Outcome::Refused(
            "this repository has no usable `.github/relman.yml`.".into(),
        ));
    };
    Ok(match consider(at.ctx, at.github, at.repo, &train, Some(&at.actor.login)).await? {
        Decision::Filed { version, url } => Outcome::Done(Some(format!(
            "Deployment request for {version} filed: {url}"
        ))),
        Decision::AlreadyFiled { version, url } => Outcome::Done(Some(format!(
            "The deployment request for {version} is already filed: {url}"
        ))),
        Decision::Replaced { version } => Outcome::Refused(format!(
            "no deployment request for {version}: a hotfix replaced this week's production release."
        )),
        Decision::UpToDate { version } => Outcome::Refused(format!(
            "production already runs {version}, the version on staging: there is nothing to deploy."
        )),
        Decision::StagingUnknown => Outcome::Refused(
            "relman does not know which release staging runs yet (no successful staging deployment seen): deploy a release to staging first.".into(),
        ),
        Decision::Unmet { version, verdicts } => Outcome::Refused(format!(
            "no deployment request for {version}: the production requirements are not met:\n\n{}",
            super::release::unmet_list(&verdicts)
        )),
    })
}
