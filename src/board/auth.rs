//! Sign in with GitHub (the App's OAuth web flow), sign out, and who is signed in.

use std::collections::BTreeSet;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::PrivateCookieJar;
use serde::Deserialize;

use super::Board;
use super::access::{Viewer, admitted};
use super::pages::message;
use super::session::{
    SESSION_COOKIE, SESSION_TTL, STATE_COOKIE, Session, new_state, read_session, removal,
    removal_header, session_cookie, state_cookie, state_matches,
};
use crate::github::GitHubError;

impl Board {
    fn jar(&self, headers: &HeaderMap) -> PrivateCookieJar {
        PrivateCookieJar::from_headers(headers, self.0.key.clone())
    }

    fn callback_url(&self, headers: &HeaderMap) -> String {
        match &self.0.public_url {
            Some(url) => format!("{url}/login/callback"),
            None => {
                let host = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("localhost");
                format!("http://{host}/login/callback")
            }
        }
    }

    /// The signed-in person, or the answer that sends them to sign in: no session, a cookie
    /// relman did not seal, an expired one, or a token GitHub no longer takes.
    pub async fn viewer(&self, headers: &HeaderMap) -> Result<Viewer, Response> {
        let now = self.0.clock.now();
        let jar = self.jar(headers);
        let Some(session) = read_session(&jar, now) else {
            return Err(sign_in_first(headers));
        };
        match self
            .0
            .access
            .readable(&self.0.oauth, session.user_id, &session.token, now)
            .await
        {
            Ok(repos) => Ok(Viewer {
                login: session.login,
                repos,
            }),
            Err(GitHubError::Unauthorized { .. }) => {
                self.0.access.forget(session.user_id);
                Err(sign_in_first(headers))
            }
            Err(e) => {
                tracing::warn!(error = %e, "board: could not ask GitHub what the viewer can read");
                Err(message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "GitHub did not answer",
                    "relman could not ask GitHub which repositories you can read. Try again in a minute.",
                ))
            }
        }
    }
}

fn sign_in_first(headers: &HeaderMap) -> Response {
    let sent_one = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(SESSION_COOKIE));
    if sent_one {
        // A cookie that did not read as a session is dropped, so it is not tried again.
        (
            [removal_header(SESSION_COOKIE, "/")],
            Redirect::to("/login"),
        )
            .into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

/// `GET /login`: off to GitHub with a fresh `state`, kept in a short-lived sealed cookie.
pub async fn login(State(board): State<Board>, headers: HeaderMap) -> Response {
    let state = new_state();
    let now = board.0.clock.now();
    let jar = board
        .jar(&headers)
        .add(state_cookie(&state, now, board.secure()));
    let url = board
        .0
        .oauth
        .authorize_url(&board.callback_url(&headers), &state);
    (jar, Redirect::to(&url)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /login/callback`: the `state` checked, the code exchanged, the person named, the
/// allow-list applied, and the session sealed.
pub async fn callback(
    State(board): State<Board>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let now = board.0.clock.now();
    let jar = board.jar(&headers);
    if query.error.is_some() {
        return message(
            StatusCode::FORBIDDEN,
            "Not signed in",
            "GitHub says the sign-in was cancelled.",
        );
    }
    if !state_matches(&jar, query.state.as_deref().unwrap_or(""), now) {
        return message(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            "This sign-in did not start here or took too long. Start again from the sign-in link.",
        );
    }
    let jar = jar.remove(removal(STATE_COOKIE, "/login"));
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        return message(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            "GitHub sent no code.",
        );
    };
    let oauth = &board.0.oauth;
    let signed_in = async {
        let token = oauth
            .exchange_code(&code, &board.callback_url(&headers))
            .await?;
        let user = oauth.user(&token).await?;
        let teams = if board.0.teams.is_empty() {
            BTreeSet::new()
        } else {
            oauth.teams(&token).await?
        };
        Ok::<_, GitHubError>((token, user, teams))
    }
    .await;
    let (token, user, teams) = match signed_in {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "board: sign-in failed");
            return (
                jar,
                message(
                    StatusCode::BAD_GATEWAY,
                    "Sign-in failed",
                    "GitHub did not accept the sign-in. Start again from the sign-in link.",
                ),
            )
                .into_response();
        }
    };
    if !admitted(&board.0.teams, &teams) {
        return (
            jar,
            message(
                StatusCode::FORBIDDEN,
                "Not on the list",
                "This board is open to some teams only, and you are in none of them.",
            ),
        )
            .into_response();
    }
    board.0.access.forget(user.id);
    let session = Session {
        user_id: user.id,
        login: user.login,
        token,
        expires: (now + SESSION_TTL).timestamp(),
    };
    let jar = jar.add(session_cookie(&session, board.secure()));
    (jar, Redirect::to("/")).into_response()
}

/// `GET|POST /logout`: the session cookie goes, and with it what was cached for the person.
pub async fn logout(State(board): State<Board>, headers: HeaderMap) -> Response {
    let jar = board.jar(&headers);
    if let Some(session) = read_session(&jar, board.0.clock.now()) {
        board.0.access.forget(session.user_id);
    }
    (
        [removal_header(SESSION_COOKIE, "/")],
        message(
            StatusCode::OK,
            "Signed out",
            "You are signed out of the release board.",
        ),
    )
        .into_response()
}
