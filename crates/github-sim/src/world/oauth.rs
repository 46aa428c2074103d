//! Signing in with GitHub: the App's OAuth settings, who is signed in, codes and user tokens.

use std::collections::{BTreeSet, HashMap};

use rand::distr::{Alphanumeric, SampleString};

use super::{Installation, Permission, Timestamp, World};
use crate::CLIENT_SECRET;

/// How long an authorization code can be exchanged (GitHub: ten minutes).
const CODE_TTL_MINUTES: i64 = 10;

/// The OAuth side of the App and of the browser that signs in with it.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuth {
    /// The App's client secret ([`crate::CLIENT_SECRET`] unless a test changes it).
    pub client_secret: String,
    /// The App's registered callback URLs. `redirect_uri` must be one of them; with none
    /// registered the sim accepts any `redirect_uri` (a test rarely knows its port up front).
    pub callback_urls: Vec<String>,
    /// The account signed in to github.com in "the browser": who authorizes the App when
    /// `/login/oauth/authorize` is visited. Nobody signed in gets GitHub's sign-in page.
    pub signed_in: Option<String>,
    /// The signed-in user clicks "Cancel" instead of "Authorize".
    pub denies: bool,
    /// Authorization codes not yet exchanged.
    pub codes: HashMap<String, OAuthCode>,
    /// User access tokens handed out, by token.
    pub user_tokens: HashMap<String, UserToken>,
}

impl Default for OAuth {
    fn default() -> Self {
        OAuth {
            client_secret: CLIENT_SECRET.to_string(),
            callback_urls: Vec::new(),
            signed_in: None,
            denies: false,
            codes: HashMap::new(),
            user_tokens: HashMap::new(),
        }
    }
}

/// A one-time code the web flow redirected back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthCode {
    pub login: String,
    /// The `redirect_uri` the authorize request named, if any: the exchange must repeat it.
    pub redirect_uri: Option<String>,
    pub created_at: Timestamp,
}

/// A user access token (`ghu_…`): it acts as `login`, within what both the App and the
/// user can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserToken {
    pub token: String,
    pub login: String,
    pub created_at: Timestamp,
}

/// Why a code cannot be exchanged; the names are GitHub's `error` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    BadVerificationCode,
    RedirectUriMismatch,
}

impl World {
    /// Signs `login` in to "the browser" (creating the account if needed): the next
    /// `/login/oauth/authorize` authorizes the App as them.
    pub fn sign_in(&mut self, login: &str) {
        self.ensure_user(login);
        self.oauth.signed_in = Some(login.to_string());
    }

    /// Signs the browser out.
    pub fn sign_out(&mut self) {
        self.oauth.signed_in = None;
    }

    /// Hands `login` a user access token directly, as if they had gone through the web
    /// flow. Returns the token.
    pub fn user_token(&mut self, login: &str) -> String {
        self.ensure_user(login);
        let token = format!("ghu_{}", Alphanumeric.sample_string(&mut rand::rng(), 36));
        self.oauth.user_tokens.insert(
            token.clone(),
            UserToken {
                token: token.clone(),
                login: login.to_string(),
                created_at: self.now,
            },
        );
        token
    }

    /// Records that `login` authorized the App and returns the code to redirect with.
    pub(crate) fn grant_oauth_code(&mut self, login: &str, redirect_uri: Option<&str>) -> String {
        let code = Alphanumeric
            .sample_string(&mut rand::rng(), 20)
            .to_lowercase();
        self.oauth.codes.insert(
            code.clone(),
            OAuthCode {
                login: login.to_string(),
                redirect_uri: redirect_uri.map(str::to_string),
                created_at: self.now,
            },
        );
        code
    }

    /// Exchanges `code` for a user access token. A code works once, for ten minutes of the
    /// sim's clock, and only with the `redirect_uri` its authorize request named (if any).
    pub(crate) fn redeem_oauth_code(
        &mut self,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<String, OAuthError> {
        let grant = self
            .oauth
            .codes
            .get(code)
            .ok_or(OAuthError::BadVerificationCode)?;
        if self.now - grant.created_at > chrono::Duration::minutes(CODE_TTL_MINUTES) {
            self.oauth.codes.remove(code);
            return Err(OAuthError::BadVerificationCode);
        }
        if let (Some(given), Some(authorized)) = (redirect_uri, grant.redirect_uri.as_deref())
            && given != authorized
        {
            return Err(OAuthError::RedirectUriMismatch);
        }
        let login = grant.login.clone();
        self.oauth.codes.remove(code);
        Ok(self.user_token(&login))
    }

    /// The role `login` has on `repo` as a reader sees it: the owner and collaborators
    /// with their roles, and members of the owning organization's teams with read (an
    /// organization's default base permission).
    pub fn access_of(&self, repo: &str, login: &str) -> Option<Permission> {
        let explicit = self.permission_of(repo, login);
        let owner = self.repos.get(repo)?.owner.as_str();
        let org_member = self.teams.values().any(|team| {
            team.org == owner
                && team
                    .members
                    .get(login)
                    .is_some_and(|membership| membership.state == "active")
        });
        explicit.or(org_member.then_some(Permission::Read))
    }

    /// The repositories of `installation` that `login` can read, by full name.
    pub fn readable_repositories(
        &self,
        installation: &Installation,
        login: &str,
    ) -> BTreeSet<String> {
        installation
            .repositories
            .iter()
            .filter(|full| self.access_of(full, login).is_some())
            .cloned()
            .collect()
    }

    /// The installations in which `login` can read at least one repository.
    pub fn installations_of_user(&self, login: &str) -> Vec<&Installation> {
        self.installations
            .values()
            .filter(|installation| !self.readable_repositories(installation, login).is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_works_once_and_for_ten_minutes() {
        let mut world = World::new();
        let code = world.grant_oauth_code("alice", None);
        assert!(world.redeem_oauth_code(&code, None).is_ok());
        assert_eq!(
            world.redeem_oauth_code(&code, None),
            Err(OAuthError::BadVerificationCode)
        );

        let late = world.grant_oauth_code("alice", None);
        world.advance(chrono::Duration::minutes(11));
        assert_eq!(
            world.redeem_oauth_code(&late, None),
            Err(OAuthError::BadVerificationCode)
        );
    }

    #[test]
    fn a_code_is_bound_to_the_redirect_uri_it_was_granted_for() {
        let mut world = World::new();
        let code = world.grant_oauth_code("alice", Some("http://board/callback"));
        assert_eq!(
            world.redeem_oauth_code(&code, Some("http://evil/callback")),
            Err(OAuthError::RedirectUriMismatch)
        );
        let token = world
            .redeem_oauth_code(&code, Some("http://board/callback"))
            .unwrap();
        assert_eq!(world.oauth.user_tokens[&token].login, "alice");
    }

    #[test]
    fn readers_are_owners_collaborators_and_org_team_members() {
        let mut world = World::new();
        world
            .add_repo("acme/web")
            .collaborator("bob", Permission::Write);
        world.add_repo("acme/api");
        world.add_repo("other/lib");
        world.add_team_member("acme", "qa", "carol", "member");
        assert_eq!(world.access_of("acme/web", "bob"), Some(Permission::Write));
        assert_eq!(world.access_of("acme/api", "bob"), None);
        assert_eq!(world.access_of("acme/api", "carol"), Some(Permission::Read));
        assert_eq!(world.access_of("other/lib", "carol"), None);
        assert_eq!(world.access_of("acme/api", "acme"), Some(Permission::Admin));
        assert_eq!(world.installations_of_user("bob").len(), 1);
        assert!(world.installations_of_user("mallory").is_empty());
    }
}
