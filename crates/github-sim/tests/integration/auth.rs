//! App JWT verification and installation tokens.

use crate::common;

use common::{app_jwt, call, now, sign, sim_with_repo, token};
use github_sim::{APP_ID, GitHubSim};
use serde_json::json;

const TOKENS: &str = "/app/installations/77/access_tokens";

async fn sim() -> GitHubSim {
    let sim = GitHubSim::start().await;
    sim.with(|world| {
        world.add_repo("acme/web").installation(77);
    });
    sim
}

#[tokio::test]
async fn a_valid_jwt_gets_an_installation_token() {
    let sim = sim().await;
    let answer = call(
        &sim,
        "POST",
        TOKENS,
        Some(&format!("Bearer {}", app_jwt())),
        None,
    )
    .await;
    assert_eq!(answer.status, 201);
    let token = answer.body["token"].as_str().unwrap();
    assert!(token.starts_with("ghs_") && token.len() == 40, "{token}");
    let expires_at =
        chrono::DateTime::parse_from_rfc3339(answer.body["expires_at"].as_str().unwrap()).unwrap();
    let lifetime = expires_at.timestamp() - now();
    assert!((3590..=3600).contains(&lifetime), "token lives {lifetime}s");
    assert_eq!(answer.body["repository_selection"], "selected");
    assert_eq!(answer.body["permissions"]["issues"], "write");
    let recorded = sim.with(|world| world.tokens.get(token).map(|t| t.installation_id));
    assert_eq!(recorded, Some(77));
}

#[tokio::test]
async fn iss_may_be_a_string() {
    let sim = sim().await;
    let jwt = sign(&json!({ "iss": APP_ID.to_string(), "iat": now() - 60, "exp": now() + 540 }));
    let answer = call(&sim, "POST", TOKENS, Some(&format!("Bearer {jwt}")), None).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
}

#[tokio::test]
async fn bad_jwts_are_refused_with_401() {
    let sim = sim().await;
    let t = now();
    // Signed by another key: flip the signature's last characters.
    let mut forged = app_jwt();
    let tail = if forged.ends_with("AA") { "BB" } else { "AA" };
    forged.replace_range(forged.len() - 2.., tail);
    let cases = [
        ("bad signature", forged),
        (
            "wrong iss",
            sign(&json!({ "iss": 1, "iat": t - 60, "exp": t + 540 })),
        ),
        (
            "lives longer than 10 min",
            sign(&json!({ "iss": APP_ID, "iat": t - 10, "exp": t + 600 })),
        ),
        (
            "expired",
            sign(&json!({ "iss": APP_ID, "iat": t - 700, "exp": t - 100 })),
        ),
        (
            "issued in the future",
            sign(&json!({ "iss": APP_ID, "iat": t + 300, "exp": t + 600 })),
        ),
        ("not a JWT", "ghs_notajwt".to_string()),
    ];
    for (why, jwt) in cases {
        let answer = call(&sim, "POST", TOKENS, Some(&format!("Bearer {jwt}")), None).await;
        assert_eq!(answer.status, 401, "{why}: {}", answer.body);
        assert!(answer.body["message"].is_string(), "{why}");
        assert_eq!(
            answer.body["documentation_url"],
            "https://docs.github.com/rest"
        );
    }
    let answer = call(&sim, "POST", TOKENS, None, None).await;
    assert_eq!(answer.status, 401);
    assert!(sim.with(|world| world.tokens.is_empty()));
}

#[tokio::test]
async fn unknown_installations_are_404() {
    let sim = sim().await;
    let answer = call(
        &sim,
        "POST",
        "/app/installations/999/access_tokens",
        Some(&format!("Bearer {}", app_jwt())),
        None,
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.body["message"], "Not Found");
}

#[tokio::test]
async fn repository_endpoints_need_a_valid_installation_token() {
    let (sim, token) = sim_with_repo().await;
    let ok = call(&sim, "GET", "/repos/acme/web", Some(&token), None).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["full_name"], "acme/web");
    // `Bearer ghs_...` works as well as `token ghs_...`.
    let bearer = token.replacen("token ", "Bearer ", 1);
    assert_eq!(
        call(&sim, "GET", "/repos/acme/web", Some(&bearer), None)
            .await
            .status,
        200
    );

    for auth in [
        None,
        Some("token ghs_unknown".to_string()),
        Some(format!("Bearer {}", app_jwt())),
    ] {
        let answer = call(&sim, "GET", "/repos/acme/web", auth.as_deref(), None).await;
        assert_eq!(answer.status, 401, "{auth:?}");
        assert_eq!(answer.body["message"], "Bad credentials");
    }
}

#[tokio::test]
async fn tokens_expire_by_the_configured_ttl() {
    let sim = sim().await;
    sim.with(|world| world.token_ttl = chrono::Duration::seconds(-1));
    let token = token(&sim, 77).await;
    let answer = call(&sim, "GET", "/repos/acme/web", Some(&token), None).await;
    assert_eq!(answer.status, 401);
}

#[tokio::test]
async fn a_token_only_sees_its_installations_repositories() {
    let sim = sim().await;
    sim.with(|world| {
        world.add_repo("other/thing").installation(88);
    });
    let token = token(&sim, 77).await;
    // GitHub does not reveal repositories a token cannot see.
    assert_eq!(
        call(&sim, "GET", "/repos/other/thing", Some(&token), None)
            .await
            .status,
        404
    );
    assert_eq!(
        call(&sim, "GET", "/repos/acme/missing", Some(&token), None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn tokens_can_be_narrowed_to_some_repositories() {
    let sim = sim().await;
    sim.with(|world| {
        world.add_repo("acme/ops").installation(77);
    });
    let answer = call(
        &sim,
        "POST",
        TOKENS,
        Some(&format!("Bearer {}", app_jwt())),
        Some(json!({ "repositories": ["ops"] })),
    )
    .await;
    assert_eq!(answer.status, 201);
    assert_eq!(answer.body["repositories"][0]["full_name"], "acme/ops");
    let token = format!("token {}", answer.body["token"].as_str().unwrap());
    assert_eq!(
        call(&sim, "GET", "/repos/acme/ops", Some(&token), None)
            .await
            .status,
        200
    );
    assert_eq!(
        call(&sim, "GET", "/repos/acme/web", Some(&token), None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn app_endpoints_take_the_jwt() {
    let sim = sim().await;
    let jwt = format!("Bearer {}", app_jwt());
    let app = call(&sim, "GET", "/app", Some(&jwt), None).await;
    assert_eq!(app.status, 200);
    assert_eq!(app.body["id"], APP_ID);
    assert_eq!(app.body["slug"], "relman-test");

    let installation = call(
        &sim,
        "GET",
        "/repos/acme/web/installation",
        Some(&jwt),
        None,
    )
    .await;
    assert_eq!(installation.status, 200);
    assert_eq!(installation.body["id"], 77);
    assert_eq!(installation.body["account"]["login"], "acme");
    assert_eq!(installation.body["app_id"], APP_ID);

    let list = call(&sim, "GET", "/app/installations", Some(&jwt), None).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1));

    // An installation token is not an App JWT.
    let token = token(&sim, 77).await;
    assert_eq!(
        call(&sim, "GET", "/app/installations", Some(&token), None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn manifest_codes_convert_once() {
    let sim = GitHubSim::start().await;
    let registered = sim.with(|world| world.add_manifest_code("abc123", "acme"));
    let answer = call(
        &sim,
        "POST",
        "/app-manifests/abc123/conversions",
        None,
        None,
    )
    .await;
    assert_eq!(answer.status, 201);
    assert_eq!(answer.body["id"], registered.id);
    assert_eq!(
        answer.body["webhook_secret"],
        registered.webhook_secret.as_str()
    );
    assert!(
        answer.body["pem"]
            .as_str()
            .unwrap()
            .contains("BEGIN RSA PRIVATE KEY")
    );
    assert_eq!(answer.body["owner"]["login"], "acme");
    let again = call(
        &sim,
        "POST",
        "/app-manifests/abc123/conversions",
        None,
        None,
    )
    .await;
    assert_eq!(again.status, 404);
}
