//! Helpers shared by the sim's integration tests: signing App JWTs, getting
//! installation tokens and making raw HTTP calls.

#![allow(dead_code)] // Each module uses a different subset.

use github_sim::{APP_ID, GitHubSim, PRIVATE_KEY_PKCS1_PEM};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Signs `claims` with the App's private key (RS256).
pub fn sign(claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(PRIVATE_KEY_PKCS1_PEM.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).unwrap()
}

/// A valid App JWT, shaped like octocrab's (iat back-dated 60 s, 10 min life).
pub fn app_jwt() -> String {
    let now = now();
    sign(&json!({ "iss": APP_ID, "iat": now - 60, "exp": now + 540 }))
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one request to the sim with `Authorization: <auth>`.
pub async fn call(
    sim: &GitHubSim,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client
        .request(method, format!("{}{path}", sim.api_url()))
        .header("accept", "application/vnd.github+json")
        .header("user-agent", "github-sim-tests");
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// An installation token for `installation`, via the real endpoint.
pub async fn token(sim: &GitHubSim, installation: u64) -> String {
    let answer = call(
        sim,
        "POST",
        &format!("/app/installations/{installation}/access_tokens"),
        Some(&format!("Bearer {}", app_jwt())),
        None,
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    format!("token {}", answer.body["token"].as_str().unwrap())
}

/// A sim with `acme/web` installed under installation 77, and a token for it.
pub async fn sim_with_repo() -> (GitHubSim, String) {
    let sim = GitHubSim::start().await;
    sim.with(|world| {
        world.add_repo("acme/web").installation(77);
    });
    let token = token(&sim, 77).await;
    (sim, token)
}
