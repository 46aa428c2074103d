//! "Sign in with GitHub" for the release board: the App's OAuth web flow and the few routes a
//! user-to-server token is used for (who the person is, which repositories they can read, which
//! teams they are in). Such a token acts as the person, within what both they and the App can
//! reach; it never acts as the App, so the board cannot change anything on GitHub.

use std::collections::BTreeSet;

use http::Method;
use octocrab::Octocrab;
use serde::Deserialize;
use serde_json::Value;

use super::rest::{RestClient, RetryBudget};
use super::{GitHubError, GitHubResult};

/// The App's OAuth client and where GitHub serves the web flow and the API.
#[derive(Clone)]
pub struct OAuthClient {
    client_id: String,
    client_secret: String,
    /// `https://github.com` (or a GitHub Enterprise host): the web flow lives here.
    web_url: String,
    /// The REST base: the user-token routes live here.
    api_url: String,
}

/// The person a token acts for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GitHubUser {
    pub id: u64,
    pub login: String,
}

#[derive(Debug, Deserialize)]
struct UserInstallation {
    id: u64,
}

#[derive(Debug, Deserialize)]
struct UserRepository {
    full_name: String,
}

#[derive(Debug, Deserialize)]
struct UserTeam {
    slug: String,
    organization: TeamOrganization,
}

#[derive(Debug, Deserialize)]
struct TeamOrganization {
    login: String,
}

/// The web address that goes with a REST base: github.com for api.github.com, the host for
/// GitHub Enterprise's `/api/v3`; anything else (the fake GitHub) serves both at one address.
pub fn web_url_for(api_url: &str) -> String {
    let base = api_url.trim_end_matches('/');
    if base == "https://api.github.com" {
        return "https://github.com".to_string();
    }
    base.strip_suffix("/api/v3").unwrap_or(base).to_string()
}

impl OAuthClient {
    pub fn new(client_id: &str, client_secret: &str, api_url: &str) -> Self {
        let api_url = api_url.trim_end_matches('/').to_string();
        OAuthClient {
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            web_url: web_url_for(&api_url),
            api_url,
        }
    }

    /// Where the browser goes to authorize the App; GitHub comes back to `redirect_uri` with a
    /// code and `state`.
    pub fn authorize_url(&self, redirect_uri: &str, state: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state)
            .finish();
        format!("{}/login/oauth/authorize?{query}", self.web_url)
    }

    fn client(&self, base: &str, token: Option<&str>) -> GitHubResult<RestClient> {
        let mut builder = Octocrab::builder()
            .base_uri(base)
            .map_err(|e| GitHubError::Setup(format!("{base:?}: {e}")))?;
        if let Some(token) = token {
            builder = builder.user_access_token(token.to_string());
        }
        let octocrab = builder
            .build()
            .map_err(|e| GitHubError::Setup(e.to_string()))?;
        // A person waits for the page: one retry at most, and no long rate-limit waits.
        let budget = RetryBudget {
            max_attempts: 2,
            max_wait: std::time::Duration::from_secs(2),
            total_wait: std::time::Duration::from_secs(5),
            ..RetryBudget::default()
        };
        Ok(RestClient::new(octocrab, budget, None))
    }

    /// Exchanges the web flow's code for a user access token. GitHub answers a bad code with
    /// `200` and an `error` field, as JSON or as a form depending on `Accept`; both are read.
    pub async fn exchange_code(&self, code: &str, redirect_uri: &str) -> GitHubResult<String> {
        let route = "/login/oauth/access_token";
        let body = serde_json::json!({
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        });
        let response = self
            .client(&self.web_url, None)?
            .request(Method::POST, route, Some(&body))
            .await?;
        let fields: Vec<(String, String)> = match serde_json::from_slice::<Value>(&response.body) {
            Ok(Value::Object(map)) => map
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string())))
                .collect(),
            _ => url::form_urlencoded::parse(&response.body)
                .into_owned()
                .collect(),
        };
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        match (field("access_token"), field("error")) {
            (Some(token), None) if !token.is_empty() => Ok(token),
            (_, error) => Err(GitHubError::Rejected {
                route: route.to_string(),
                status: response.status.as_u16(),
                message: error.unwrap_or_else(|| "no access_token in the answer".into()),
            }),
        }
    }

    /// `GET /user`.
    pub async fn user(&self, token: &str) -> GitHubResult<GitHubUser> {
        self.client(&self.api_url, Some(token))?.get("/user").await
    }

    /// The repositories (`owner/name`, lowercase) of the App's installations that the person
    /// can read: `/user/installations`, then each one's `/repositories`.
    pub async fn readable_repositories(&self, token: &str) -> GitHubResult<BTreeSet<String>> {
        let client = self.client(&self.api_url, Some(token))?;
        let installations: Vec<UserInstallation> = client
            .get_all("/user/installations", |v| v.get("installations").cloned())
            .await?;
        let mut repos = BTreeSet::new();
        for installation in installations {
            let route = format!("/user/installations/{}/repositories", installation.id);
            match client
                .get_all::<UserRepository>(&route, |v| v.get("repositories").cloned())
                .await
            {
                Ok(list) => repos.extend(list.into_iter().map(|r| r.full_name.to_lowercase())),
                // Access lost between the two calls: nothing to show from it.
                Err(GitHubError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(repos)
    }

    /// The person's teams as `org/team`, lowercase (`GET /user/teams`; the App needs the
    /// organization "Members: read" permission for it).
    pub async fn teams(&self, token: &str) -> GitHubResult<BTreeSet<String>> {
        let teams: Vec<UserTeam> = self
            .client(&self.api_url, Some(token))?
            .get_all("/user/teams", Some)
            .await?;
        Ok(teams
            .into_iter()
            .map(|t| format!("{}/{}", t.organization.login, t.slug).to_lowercase())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_web_flow_lives_on_the_web_host() {
        assert_eq!(web_url_for("https://api.github.com"), "https://github.com");
        assert_eq!(
            web_url_for("https://ghe.example.com/api/v3/"),
            "https://ghe.example.com"
        );
        assert_eq!(
            web_url_for("http://127.0.0.1:4000"),
            "http://127.0.0.1:4000"
        );
        let client = OAuthClient::new("Iv1.x", "s", "https://api.github.com");
        assert_eq!(
            client.authorize_url("https://relman.example.com/login/callback", "a b"),
            "https://github.com/login/oauth/authorize?client_id=Iv1.x&redirect_uri=https%3A%2F%2Frelman.example.com%2Flogin%2Fcallback&state=a+b"
        );
    }
}
