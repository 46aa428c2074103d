//! Who may run a command: GitHub's collaborator permission (never `author_association` alone)
//! plus the roles the repository config gives (release manager of the period, QA members).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use relman_commands::Permission as Required;

use crate::github::{CollaboratorPermission, GitHubPort, GitHubResult, Permission, RepoName};

/// The roles of the repository config that commands are guarded by, resolved for "now".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles {
    /// The release manager of the current period, if the repository has a rotation.
    pub release_manager: Option<String>,
    pub qa_members: Vec<String>,
}

/// What is known about the person running a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub login: String,
    pub access: CollaboratorPermission,
}

impl Actor {
    fn is(&self, login: &str) -> bool {
        self.login.eq_ignore_ascii_case(login)
    }

    fn is_admin(&self) -> bool {
        self.access.permission == Permission::Admin
    }

    fn is_release_manager(&self, roles: &Roles) -> bool {
        roles
            .release_manager
            .as_deref()
            .is_some_and(|rm| self.is(rm))
    }
}

/// Whether `actor` may run a command that requires `required`. Pure.
pub fn may_run(required: Required, actor: &Actor, roles: &Roles) -> bool {
    match required {
        Required::Anyone => true,
        Required::Write => actor.access.permission >= Permission::Write,
        Required::Admin => actor.is_admin(),
        Required::ReleaseManager => actor.is_release_manager(roles),
        Required::ReleaseManagerOrAdmin => actor.is_release_manager(roles) || actor.is_admin(),
        Required::QaOrReleaseManager => {
            actor.is_release_manager(roles) || roles.qa_members.iter().any(|m| actor.is(m))
        }
    }
}

/// The reply to someone who may not run a command: who may, and what they have.
pub fn denial(command: &str, required: Required, actor: &Actor, roles: &Roles) -> String {
    let mut text = format!(
        "`{command}` can be run by {}; @{} has {} access",
        required.describe(),
        actor.login,
        actor.access.role_name
    );
    match (required, &roles.release_manager) {
        (
            Required::ReleaseManager
            | Required::ReleaseManagerOrAdmin
            | Required::QaOrReleaseManager,
            Some(rm),
        ) => text.push_str(&format!(" (the release manager of this period is @{rm})")),
        (
            Required::ReleaseManager
            | Required::ReleaseManagerOrAdmin
            | Required::QaOrReleaseManager,
            None,
        ) => text.push_str(
            " (this repository has no release-manager rotation: add `rotation` to `.github/relman.yml`)",
        ),
        _ => {}
    }
    text.push('.');
    text
}

/// Permission look-ups, cached briefly per (repository, user id): a comment with three commands,
/// or a burst of comments, costs one API call, and a permission change still takes effect within
/// a minute.
pub struct PermissionCache {
    ttl: Duration,
    entries: Mutex<HashMap<(String, u64), (Instant, CollaboratorPermission)>>,
}

impl Default for PermissionCache {
    fn default() -> Self {
        PermissionCache::new(Duration::from_secs(60))
    }
}

impl PermissionCache {
    pub fn new(ttl: Duration) -> Self {
        PermissionCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub async fn lookup(
        &self,
        github: &dyn GitHubPort,
        repo: &RepoName,
        user_id: u64,
        login: &str,
    ) -> GitHubResult<CollaboratorPermission> {
        let key = (repo.to_string(), user_id);
        if let Some((at, permission)) = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            && at.elapsed() < self.ttl
        {
            return Ok(permission.clone());
        }
        let permission = github.collaborator_permission(repo, login).await?;
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        // Keep the map from growing without bound on a busy installation.
        if entries.len() > 10_000 {
            entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
        }
        entries.insert(key, (Instant::now(), permission.clone()));
        Ok(permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(login: &str, permission: Permission, role: &str) -> Actor {
        Actor {
            login: login.into(),
            access: CollaboratorPermission {
                permission,
                role_name: role.into(),
            },
        }
    }

    #[test]
    fn each_requirement() {
        let roles = Roles {
            release_manager: Some("alice".into()),
            qa_members: vec!["quinn".into()],
        };
        let alice = actor("Alice", Permission::Write, "write");
        let admin = actor("root", Permission::Admin, "admin");
        let quinn = actor("quinn", Permission::Read, "read");
        let maintainer = actor("mo", Permission::Write, "maintain");
        let outsider = actor("eve", Permission::None, "none");

        assert!(may_run(Required::Anyone, &outsider, &roles));
        assert!(may_run(Required::Write, &maintainer, &roles));
        assert!(!may_run(Required::Write, &quinn, &roles));
        assert!(
            may_run(Required::Admin, &admin, &roles) && !may_run(Required::Admin, &alice, &roles)
        );
        assert!(
            may_run(Required::ReleaseManager, &alice, &roles),
            "logins ignore case"
        );
        assert!(!may_run(Required::ReleaseManager, &admin, &roles));
        assert!(may_run(Required::ReleaseManagerOrAdmin, &admin, &roles));
        assert!(may_run(Required::QaOrReleaseManager, &quinn, &roles));
        assert!(may_run(Required::QaOrReleaseManager, &alice, &roles));
        assert!(!may_run(Required::QaOrReleaseManager, &maintainer, &roles));
    }

    #[test]
    fn denials_say_who_may() {
        let roles = Roles {
            release_manager: Some("alice".into()),
            qa_members: vec![],
        };
        let rita = actor("rita", Permission::Read, "read");
        assert_eq!(
            denial("/release", Required::ReleaseManagerOrAdmin, &rita, &roles),
            "`/release` can be run by the release manager of this period or a repository admin; @rita has read access (the release manager of this period is @alice)."
        );
        assert_eq!(
            denial("/hotfix", Required::Write, &rita, &roles),
            "`/hotfix` can be run by anyone with write access; @rita has read access."
        );
    }
}
