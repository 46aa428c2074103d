//! The board's pages: read the store, build the page model (`views.rs`), render a template.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use askama::Template;
use chrono::Datelike;

use super::Board;
use super::timeline::{TimelineFacts, TimelineView, timeline};
use super::views::{RepoFacts, RepoPage, RepoSummary, repo_page, summary};
use crate::config::repo::{RepoConfig, parse_repo_config};
use crate::store::StoreError;
use crate::store::repositories::RepositoryRecord;

const STYLESHEET: &str = include_str!("templates/board.css");

#[derive(Template)]
#[template(path = "index.html")]
struct IndexTemplate<'a> {
    viewer: &'a str,
    repos: &'a [RepoSummary],
}

#[derive(Template)]
#[template(path = "repo.html")]
struct RepoTemplate<'a> {
    viewer: &'a str,
    page: &'a RepoPage,
}

#[derive(Template)]
#[template(path = "release.html")]
struct ReleaseTemplate<'a> {
    viewer: &'a str,
    view: &'a TimelineView,
}

#[derive(Template)]
#[template(path = "metrics.html")]
struct MetricsTemplate<'a> {
    viewer: &'a str,
    view: &'a super::metrics::MetricsView,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessageTemplate<'a> {
    title: &'a str,
    text: &'a str,
}

fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (
            status,
            [(header::CACHE_CONTROL, "private, no-store")],
            Html(html),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "board: template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error\n").into_response()
        }
    }
}

/// A page that only says something (signed out, refused, not found).
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    render(status, &MessageTemplate { title, text })
}

fn not_found() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no such page, or it is not one you can see.",
    )
}

fn store_failed(e: &StoreError) -> Response {
    tracing::warn!(error = %e, "board: store error");
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Not now",
        "relman could not read its store. Try again in a minute.",
    )
}

/// How much of a repository a page shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// One line of `/`: the open releases only, no deployment request.
    Summary,
    /// `/{owner}/{repo}`: every release (its recent ones are linked), the deployment request.
    Page,
}

/// Everything a page shows about `record`, from the store. None when its stored config no
/// longer reads (it was good when stored; a newer relman may refuse it).
async fn facts(
    board: &Board,
    record: &RepositoryRecord,
    scope: Scope,
) -> Result<Option<RepoFacts>, StoreError> {
    let Some(config) = stored_config(record) else {
        return Ok(None);
    };
    let store = &board.0.store;
    let repo = record.repo.as_str();
    let holidays = record
        .holiday_ics
        .as_deref()
        .and_then(|text| crate::domain::ics::parse_holiday_ics(text).ok())
        .unwrap_or_default();
    let staging = store
        .environment_version(repo, &config.environments.staging.name)
        .await?;
    let production = store
        .environment_version(repo, &config.environments.production.name)
        .await?;
    let waiting = super::views::waiting_for_production(staging.as_ref(), production.as_ref())
        .and_then(|s| s.version.clone());
    let (deployment_request, production_log) = match &waiting {
        Some(version) => (
            match scope {
                Scope::Page => store.deployment_request(repo, version).await?,
                Scope::Summary => None,
            },
            store
                .release_log(repo, &crate::store::releases::version_key(version))
                .await?,
        ),
        None => (None, Vec::new()),
    };
    // `/` reads every repository: there only the open releases are read, filtered in SQL, not
    // two years of the register each.
    let releases = match scope {
        Scope::Page => store.releases(repo).await?,
        Scope::Summary => store.open_releases(repo).await?,
    };
    // The current release day's sign-offs and QA calls (the earliest open regular release).
    let current_key = releases
        .iter()
        .filter(|r| {
            r.kind == crate::domain::expedited::Kind::Regular
                && r.state == crate::store::releases::ReleaseState::Open
        })
        .min_by_key(|r| r.scheduled_date)
        .map(|r| r.key.clone());
    let staging_log = match current_key {
        Some(key) => store.release_log(repo, &key).await?,
        None => Vec::new(),
    };
    Ok(Some(RepoFacts {
        repo: repo.to_string(),
        private: record.private,
        calendar_token: record.calendar_token.clone(),
        swaps: store.rotation_swaps(repo).await?,
        releases,
        staging_log,
        production_log,
        between: Vec::new(),
        config,
        holidays,
        staging,
        production,
        deployment_request,
    }))
}

/// `GET /`: the repositories this person may see.
pub async fn index(State(board): State<Board>, headers: HeaderMap) -> Response {
    let viewer = match board.viewer(&headers).await {
        Ok(v) => v,
        Err(answer) => return answer,
    };
    let records = match board.0.store.board_repositories().await {
        Ok(r) => r,
        Err(e) => return store_failed(&e),
    };
    let now = board.0.clock.now();
    let mut repos = Vec::new();
    for record in records.iter().filter(|r| viewer.may_see(&r.repo)) {
        match facts(&board, record, Scope::Summary).await {
            Ok(Some(facts)) => repos.push(summary(&facts, &board.0.web_url, now)),
            Ok(None) => {}
            Err(e) => return store_failed(&e),
        }
    }
    render(
        StatusCode::OK,
        &IndexTemplate {
            viewer: &viewer.login,
            repos: &repos,
        },
    )
}

/// `GET /{owner}/{repo}`: one repository's train. A repository the person cannot read is a
/// 404, the same answer as one that does not exist.
pub async fn repository(
    State(board): State<Board>,
    headers: HeaderMap,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let (viewer, record) = match visible_record(&board, &headers, &owner, &name).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let read = async {
        let Some(mut facts) = facts(&board, &record, Scope::Page).await? else {
            return Ok(None);
        };
        if let Some((after, until)) = super::views::unreleased_window(
            &facts.releases,
            facts.staging.as_ref(),
            facts.production.as_ref(),
        ) {
            facts.between = board
                .0
                .store
                .board_merges_between(&facts.repo, after, until)
                .await?;
        }
        Ok::<_, StoreError>(Some(facts))
    };
    match read.await {
        Ok(Some(facts)) => {
            let page = repo_page(&facts, &board.0.web_url, board.0.clock.now());
            render(
                StatusCode::OK,
                &RepoTemplate {
                    viewer: &viewer.login,
                    page: &page,
                },
            )
        }
        Ok(None) => not_found(),
        Err(e) => store_failed(&e),
    }
}

/// The record of a repository the viewer may see, or the answer to give instead.
async fn visible_record(
    board: &Board,
    headers: &HeaderMap,
    owner: &str,
    name: &str,
) -> Result<(super::access::Viewer, RepositoryRecord), Response> {
    let viewer = board.viewer(headers).await?;
    let wanted = format!("{owner}/{name}");
    if !viewer.may_see(&wanted) {
        return Err(not_found());
    }
    let records = board
        .0
        .store
        .board_repositories()
        .await
        .map_err(|e| store_failed(&e))?;
    let record = records
        .into_iter()
        .find(|r| r.repo.eq_ignore_ascii_case(&wanted))
        .ok_or_else(not_found)?;
    Ok((viewer, record))
}

async fn timeline_facts(
    board: &Board,
    record: &RepositoryRecord,
    version: &str,
) -> Result<Option<TimelineFacts>, StoreError> {
    let Some(config) = stored_config(record) else {
        return Ok(None);
    };
    let store = &board.0.store;
    let repo = record.repo.as_str();
    let prefixed = format!("{}{version}", config.versioning.tag_prefix);
    let release = match store.release_by_tag(repo, version).await? {
        Some(r) => r,
        None => match store.release_by_tag(repo, &prefixed).await? {
            Some(r) => r,
            None => return Ok(None),
        },
    };
    let tag = release.tag.clone().unwrap_or_default();
    let mut log = store.release_log(repo, &release.key).await?;
    log.extend(
        store
            .release_log(repo, &crate::store::releases::version_key(&tag))
            .await?,
    );
    let calendar = crate::domain::calendar::Calendar::from_config(&config, &[]);
    Ok(Some(TimelineFacts {
        repo: repo.to_string(),
        timezone: calendar.timezone(),
        staging: store
            .deployment_history(repo, &config.environments.staging.name)
            .await?,
        production: store
            .deployment_history(repo, &config.environments.production.name)
            .await?,
        deployment_request: store.deployment_request(repo, &tag).await?,
        replaced_by: store.replacements_of(repo, &release.key).await?,
        log,
        release,
    }))
}

/// `GET /{owner}/{repo}/releases/{version}`: one release's timeline.
pub async fn release(
    State(board): State<Board>,
    headers: HeaderMap,
    Path((owner, name, version)): Path<(String, String, String)>,
) -> Response {
    let (viewer, record) = match visible_record(&board, &headers, &owner, &name).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    match timeline_facts(&board, &record, &version).await {
        Ok(Some(facts)) => {
            let view = timeline(&facts, &board.0.web_url);
            render(
                StatusCode::OK,
                &ReleaseTemplate {
                    viewer: &viewer.login,
                    view: &view,
                },
            )
        }
        Ok(None) => not_found(),
        Err(e) => store_failed(&e),
    }
}

/// How far back the metrics page looks.
const METRICS_MONTHS: u32 = 12;

/// `GET /{owner}/{repo}/metrics`: the register per month and production's deployment frequency.
pub async fn metrics(
    State(board): State<Board>,
    headers: HeaderMap,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let (viewer, record) = match visible_record(&board, &headers, &owner, &name).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let Some(config) = stored_config(&record) else {
        return not_found();
    };
    let tz = config.timezone.0;
    let now = board.0.clock.now();
    let since = now
        .with_timezone(&tz)
        .date_naive()
        .with_day(1)
        .and_then(|first| first.checked_sub_months(chrono::Months::new(METRICS_MONTHS - 1)));
    let store = &board.0.store;
    let read = async {
        let entries = crate::handlers::release_facts::register_entries(store, &record.repo).await?;
        let merges: Vec<chrono::DateTime<chrono::Utc>> = store
            .merge_times(&record.repo)
            .await?
            .into_iter()
            .map(crate::store::from_millis)
            .collect();
        let stats = crate::domain::stats::compute(&record.repo, &entries, &merges, tz, since, now);
        let changes = crate::domain::stats::lead_times(&entries, &merges);
        let production = store
            .deployment_history(&record.repo, &config.environments.production.name)
            .await?;
        let register = store.register(&record.repo).await?;
        // A release a fix replaced in production failed there (DORA's change failure).
        let failed: std::collections::BTreeSet<&str> = register
            .iter()
            .filter(|r| r.replaces_env.as_deref() == Some("production"))
            .filter_map(|r| r.replaces_key.as_deref())
            .collect();
        let released: Vec<super::metrics::ProductionRelease> = register
            .iter()
            .filter_map(|r| {
                Some(super::metrics::ProductionRelease {
                    at: crate::store::from_millis(r.production_at?),
                    failed: failed.contains(r.key.as_str()),
                })
            })
            .collect();
        let hotfixes: Vec<super::metrics::Restore> = register
            .into_iter()
            .filter(|r| r.kind == crate::domain::expedited::Kind::Hotfix)
            .map(|r| super::metrics::Restore {
                asked: crate::store::from_millis(r.created_at),
                in_production: r.production_at.map(crate::store::from_millis),
            })
            .collect();
        Ok::<_, StoreError>((stats, production, hotfixes, released, changes))
    };
    match read.await {
        Ok((stats, production, hotfixes, released, changes)) => {
            let view = super::metrics::metrics(
                &stats,
                &production,
                &hotfixes,
                &released,
                &changes,
                tz,
                now,
            );
            render(
                StatusCode::OK,
                &MetricsTemplate {
                    viewer: &viewer.login,
                    view: &view,
                },
            )
        }
        Err(e) => store_failed(&e),
    }
}

/// `GET /board.css`: the stylesheet, from the binary.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// The config stored with `record`, if it still reads: it was good when stored, but a newer
/// relman may refuse it, and then the page has nothing to show.
fn stored_config(record: &RepositoryRecord) -> Option<RepoConfig> {
    parse_repo_config("stored", record.config_json.as_deref()?).ok()
}
