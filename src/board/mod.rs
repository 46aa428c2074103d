//! The release board: the whole train on a few server-rendered pages, signed in with GitHub.
//!
//! `auth.rs` (sign in, out, and who is signed in), `session.rs` (the cookies), `access.rs` (which
//! repositories a person may see), `views.rs` and `timeline.rs` (page models, pure), `pages.rs` (the routes that
//! read the store and render `templates/`). A page reads relman's store only; the one thing the
//! board asks GitHub is who the person is and what they can read, with their own user token.
//! Without OAuth settings there is no board: its routes do not exist (404).

pub mod access;
pub mod auth;
pub mod metrics;
pub mod pages;
pub mod session;
pub mod timeline;
pub mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use axum_extra::extract::cookie::Key;

use crate::clock::Clock;
use crate::config::settings::BoardSettings;
use crate::github::user::{OAuthClient, web_url_for};
use crate::store::Store;

/// What the board's routes share. Cheap to clone.
#[derive(Clone)]
pub struct Board(Arc<Inner>);

struct Inner {
    oauth: OAuthClient,
    key: Key,
    teams: Vec<String>,
    public_url: Option<String>,
    /// Where links to GitHub point (issues, releases, compare).
    web_url: String,
    store: Store,
    clock: Arc<dyn Clock>,
    access: access::AccessCache,
}

impl Board {
    pub fn new(
        settings: &BoardSettings,
        github_api_url: &str,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> Board {
        Board(Arc::new(Inner {
            oauth: OAuthClient::new(
                &settings.client_id,
                &String::from_utf8_lossy(settings.client_secret.expose()),
                github_api_url,
            ),
            key: Key::from(&settings.session_key),
            teams: settings.teams.clone(),
            public_url: settings.public_url.clone(),
            web_url: web_url_for(github_api_url),
            store,
            clock,
            access: access::AccessCache::default(),
        }))
    }

    /// Cookies are `Secure` when people reach relman over https.
    fn secure(&self) -> bool {
        self.0
            .public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }
}

/// The board's routes, or none when it is off.
pub fn router(board: Option<Board>) -> Router {
    let Some(board) = board else {
        return Router::new();
    };
    Router::new()
        .route("/", get(pages::index))
        .route("/board.css", get(pages::stylesheet))
        .route("/login", get(auth::login))
        .route("/login/callback", get(auth::callback))
        .route("/logout", get(auth::logout).post(auth::logout))
        .route("/{owner}/{repo}", get(pages::repository))
        .route("/{owner}/{repo}/releases/{version}", get(pages::release))
        .route("/{owner}/{repo}/metrics", get(pages::metrics))
        .with_state(board)
}
