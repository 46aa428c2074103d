//! Signing in with GitHub: the web flow, the token exchange and the user-token routes.

use crate::common;

use common::{call, token};
use github_sim::{CLIENT_ID, CLIENT_SECRET, GitHubSim, Permission};
use serde_json::{Value, json};

const CALLBACK: &str = "http://board.test/auth/callback";

/// A sim whose App has `CALLBACK` registered and `alice` signed in.
async fn sim() -> GitHubSim {
    let sim = GitHubSim::start().await;
    sim.with(|world| {
        world.oauth.callback_urls = vec![CALLBACK.to_string()];
        world.sign_in("alice");
    });
    sim
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Visits `/login/oauth/authorize?<query>` as the browser would; returns the status and the
/// `Location` it is sent to.
async fn authorize(sim: &GitHubSim, query: &str) -> (u16, Option<String>, String) {
    let response = client()
        .get(format!("{}/login/oauth/authorize?{query}", sim.api_url()))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_string());
    (status, location, response.text().await.unwrap())
}

/// The query parameters of a URL.
fn params(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, query)| query).unwrap_or("");
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| {
            let value = percent_encoding::percent_decode_str(&value.replace('+', " "))
                .decode_utf8()
                .unwrap()
                .into_owned();
            (key.to_string(), value)
        })
        .collect()
}

fn param(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.clone())
}

/// A code for the signed-in user, through the real redirect.
async fn code(sim: &GitHubSim) -> String {
    let (status, location, _) = authorize(
        sim,
        &format!("client_id={CLIENT_ID}&redirect_uri={CALLBACK}&state=s1"),
    )
    .await;
    assert_eq!(status, 302);
    param(&params(&location.unwrap()), "code").unwrap()
}

/// Exchanges a code with a form body, answered as a form (GitHub's default).
async fn exchange_form(sim: &GitHubSim, fields: &str) -> (u16, String, String) {
    let response = client()
        .post(format!("{}/login/oauth/access_token", sim.api_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fields.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

/// Exchanges a code with a JSON body, asking for JSON.
async fn exchange_json(sim: &GitHubSim, body: Value) -> (u16, Value) {
    let response = client()
        .post(format!("{}/login/oauth/access_token", sim.api_url()))
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn the_web_flow_redirects_with_code_and_state_and_the_code_buys_a_user_token() {
    let sim = sim().await;
    let (status, location, _) = authorize(
        &sim,
        &format!("client_id={CLIENT_ID}&redirect_uri={CALLBACK}&state=xyz%20123"),
    )
    .await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(location.starts_with(&format!("{CALLBACK}?")), "{location}");
    let pairs = params(&location);
    assert_eq!(param(&pairs, "state").as_deref(), Some("xyz 123"));
    let code = param(&pairs, "code").unwrap();

    let (status, kind, body) = exchange_form(
        &sim,
        &format!(
            "client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&code={code}&redirect_uri={CALLBACK}"
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        kind.starts_with("application/x-www-form-urlencoded"),
        "{kind}"
    );
    let answer = params(&format!("?{body}"));
    let token = param(&answer, "access_token").unwrap();
    assert!(token.starts_with("ghu_"), "{body}");
    assert_eq!(param(&answer, "token_type").as_deref(), Some("bearer"));
    assert_eq!(param(&answer, "scope").as_deref(), Some(""));

    let me = call(&sim, "GET", "/user", Some(&format!("Bearer {token}")), None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["login"], "alice");
    assert_eq!(me.body["type"], "User");
    assert!(me.body.get("created_at").is_some());
}

#[tokio::test]
async fn without_redirect_uri_the_first_callback_url_is_used() {
    let sim = sim().await;
    sim.with(|world| {
        world
            .oauth
            .callback_urls
            .push("http://other.test/cb".to_string())
    });
    let (status, location, _) = authorize(&sim, &format!("client_id={CLIENT_ID}")).await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(
        location.starts_with(&format!("{CALLBACK}?code=")),
        "{location}"
    );
    assert_eq!(param(&params(&location), "state"), None);
}

#[tokio::test]
async fn a_code_is_good_once_and_errors_are_200s_as_on_github() {
    let sim = sim().await;
    let code = code(&sim).await;
    let request = json!({
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "code": code,
    });
    let (status, body) = exchange_json(&sim, request.clone()).await;
    assert_eq!(status, 200);
    assert!(body["access_token"].as_str().unwrap().starts_with("ghu_"));
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["scope"], "");

    let (status, body) = exchange_json(&sim, request).await;
    assert_eq!(status, 200);
    assert_eq!(body["error"], "bad_verification_code", "{body}");
    assert_eq!(
        body["error_description"],
        "The code passed is incorrect or expired."
    );
    assert!(body.get("access_token").is_none());

    let code = self::code(&sim).await;
    let (status, body) = exchange_json(
        &sim,
        json!({ "client_id": CLIENT_ID, "client_secret": "wrong", "code": code }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["error"], "incorrect_client_credentials", "{body}");

    // The wrong secret did not use the code up; ten minutes on the sim's clock do.
    sim.with(|world| world.advance(chrono::Duration::minutes(11)));
    let (_, body) = exchange_json(
        &sim,
        json!({ "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code }),
    )
    .await;
    assert_eq!(body["error"], "bad_verification_code", "{body}");
}

#[tokio::test]
async fn the_exchange_must_name_the_redirect_uri_the_code_was_granted_for() {
    let sim = sim().await;
    let code = code(&sim).await;
    let (status, _, body) = exchange_form(
        &sim,
        &format!(
            "client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&code={code}&redirect_uri=http%3A%2F%2Fevil.test%2Fcb"
        ),
    )
    .await;
    assert_eq!(status, 200);
    let answer = params(&format!("?{body}"));
    assert_eq!(
        param(&answer, "error").as_deref(),
        Some("redirect_uri_mismatch")
    );
}

#[tokio::test]
async fn authorize_answers_a_foreign_callback_a_denial_and_a_signed_out_browser() {
    let sim = sim().await;
    let (status, location, _) = authorize(
        &sim,
        &format!("client_id={CLIENT_ID}&redirect_uri=http://evil.test/cb&state=s"),
    )
    .await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(location.starts_with(CALLBACK), "{location}");
    let pairs = params(&location);
    assert_eq!(
        param(&pairs, "error").as_deref(),
        Some("redirect_uri_mismatch")
    );
    assert_eq!(param(&pairs, "state").as_deref(), Some("s"));
    assert_eq!(param(&pairs, "code"), None);

    sim.with(|world| world.oauth.denies = true);
    let (status, location, _) = authorize(&sim, &format!("client_id={CLIENT_ID}&state=s")).await;
    assert_eq!(status, 302);
    let pairs = params(&location.unwrap());
    assert_eq!(param(&pairs, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&pairs, "code"), None);

    sim.with(|world| {
        world.oauth.denies = false;
        world.sign_out();
    });
    let (status, location, page) = authorize(&sim, &format!("client_id={CLIENT_ID}")).await;
    assert_eq!((status, location), (200, None));
    assert!(page.contains("Sign in to GitHub"), "{page}");

    let (status, _, _) = authorize(&sim, "client_id=Iv23liSomeoneElse").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_user_token_sees_only_installations_and_repositories_the_user_can_read() {
    let sim = GitHubSim::start().await;
    let (bob, carol, mallory) = sim.with(|world| {
        world
            .add_repo("acme/web")
            .installation(77)
            .collaborator("bob", Permission::Write);
        world.add_repo("acme/api").installation(77);
        world
            .add_repo("other/lib")
            .installation(88)
            .collaborator("carol", Permission::Admin);
        world.add_team_member("acme", "qa", "carol", "member");
        (
            world.user_token("bob"),
            world.user_token("carol"),
            world.user_token("mallory"),
        )
    });
    let ids = |body: &Value| -> Vec<u64> {
        body["installations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|installation| installation["id"].as_u64().unwrap())
            .collect()
    };
    let names = |body: &Value| -> Vec<String> {
        body["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|repo| repo["full_name"].as_str().unwrap().to_string())
            .collect()
    };
    let bearer = |token: &str| format!("Bearer {token}");

    let answer = call(
        &sim,
        "GET",
        "/user/installations",
        Some(&bearer(&bob)),
        None,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(ids(&answer.body), [77]);
    assert_eq!(answer.body["total_count"], 1);
    let answer = call(
        &sim,
        "GET",
        "/user/installations/77/repositories",
        Some(&bearer(&bob)),
        None,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(names(&answer.body), ["acme/web"]);
    assert_eq!(answer.body["total_count"], 1);
    let permissions = &answer.body["repositories"][0]["permissions"];
    assert_eq!(permissions["push"], true);
    assert_eq!(permissions["admin"], false);
    let answer = call(
        &sim,
        "GET",
        "/user/installations/88/repositories",
        Some(&bearer(&bob)),
        None,
    )
    .await;
    assert_eq!(answer.status, 404);

    // carol reads acme's repositories as a member of one of its teams, and administers
    // other/lib.
    let answer = call(
        &sim,
        "GET",
        "/user/installations",
        Some(&bearer(&carol)),
        None,
    )
    .await;
    assert_eq!(ids(&answer.body), [77, 88]);
    let answer = call(
        &sim,
        "GET",
        "/user/installations/77/repositories",
        Some(&bearer(&carol)),
        None,
    )
    .await;
    assert_eq!(names(&answer.body), ["acme/api", "acme/web"]);
    let permissions = &answer.body["repositories"][0]["permissions"];
    assert_eq!(
        (permissions["pull"].clone(), permissions["push"].clone()),
        (json!(true), json!(false))
    );

    let answer = call(
        &sim,
        "GET",
        "/user/installations",
        Some(&bearer(&mallory)),
        None,
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["total_count"], 0);
    let answer = call(
        &sim,
        "GET",
        "/user/installations/77/repositories",
        Some(&bearer(&mallory)),
        None,
    )
    .await;
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn user_routes_refuse_installation_tokens_and_anonymous_callers() {
    let sim = GitHubSim::start().await;
    sim.with(|world| {
        world.add_repo("acme/web").installation(77);
    });
    let installation = token(&sim, 77).await;
    for path in ["/user/installations", "/user/installations/77/repositories"] {
        let answer = call(&sim, "GET", path, Some(&installation), None).await;
        assert_eq!(answer.status, 403, "{path}: {}", answer.body);
        let answer = call(&sim, "GET", path, None, None).await;
        assert_eq!(answer.status, 401, "{path}");
        assert_eq!(answer.body["message"], "Requires authentication");
        let answer = call(&sim, "GET", path, Some("Bearer ghu_forged"), None).await;
        assert_eq!(answer.status, 401, "{path}");
        assert_eq!(answer.body["message"], "Bad credentials");
    }
    let answer = call(&sim, "GET", "/user", Some(&installation), None).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.body["message"],
        "Resource not accessible by integration"
    );
}
