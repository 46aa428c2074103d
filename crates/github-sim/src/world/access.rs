//! Repositories as a whole, collaborator roles and organization teams.

use std::collections::{BTreeMap, HashMap};

use super::{Repo, UserKind, World};

/// A repository role, weakest first so roles compare by strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl Permission {
    /// The fine-grained role, as in `role_name`.
    pub fn role_name(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Triage => "triage",
            Permission::Write => "write",
            Permission::Maintain => "maintain",
            Permission::Admin => "admin",
        }
    }

    /// The legacy coarse permission GitHub reports in `permission`: maintain
    /// reads as write and triage as read.
    pub fn legacy_name(self) -> &'static str {
        match self {
            Permission::Read | Permission::Triage => "read",
            Permission::Write | Permission::Maintain => "write",
            Permission::Admin => "admin",
        }
    }

    /// Parses a role name (`admin`, `maintain`, `write`, `triage`, `read`), also
    /// accepting the legacy aliases `push` and `pull`.
    pub fn parse(name: &str) -> Option<Permission> {
        match name {
            "read" | "pull" => Some(Permission::Read),
            "triage" => Some(Permission::Triage),
            "write" | "push" => Some(Permission::Write),
            "maintain" => Some(Permission::Maintain),
            "admin" => Some(Permission::Admin),
            _ => None,
        }
    }
}

/// A team in an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: u64,
    pub org: String,
    pub slug: String,
    pub name: String,
    /// login -> membership.
    pub members: BTreeMap<String, TeamMembership>,
}

/// A user's membership of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMembership {
    /// `member` or `maintainer`.
    pub role: String,
    /// `active` or `pending`.
    pub state: String,
}

impl World {
    /// Adds a repository with an initial commit (a README) on `main`, installs
    /// the App on it (reusing an installation on the owner, if any) and returns
    /// a handle to adjust it. Adding a repository that exists returns a handle
    /// on it unchanged.
    ///
    /// # Panics
    /// If `full_name` is not `owner/name`.
    pub fn add_repo(&mut self, full_name: &str) -> RepoHandle<'_> {
        let Some((owner, name)) = full_name.split_once('/') else {
            panic!("add_repo: {full_name:?} is not owner/name");
        };
        if self.repos.contains_key(full_name) {
            return RepoHandle {
                world: self,
                full_name: full_name.to_string(),
            };
        }
        if !self.users.contains_key(owner) {
            self.add_user(owner, UserKind::Organization);
        }
        let id = self.next_id();
        let now = self.now;
        let repo = Repo {
            id,
            owner: owner.to_string(),
            name: name.to_string(),
            private: false,
            description: None,
            default_branch: "main".to_string(),
            created_at: now,
            pushed_at: now,
            commits: HashMap::new(),
            branches: BTreeMap::new(),
            tags: BTreeMap::new(),
            tag_order: Vec::new(),
            blobs: HashMap::new(),
            trees: HashMap::new(),
            issues: BTreeMap::new(),
            comments: BTreeMap::new(),
            review_comments: BTreeMap::new(),
            reviews: BTreeMap::new(),
            reactions: Vec::new(),
            labels: BTreeMap::new(),
            releases: BTreeMap::new(),
            statuses: Vec::new(),
            check_runs: BTreeMap::new(),
            check_suites: BTreeMap::new(),
            deployments: BTreeMap::new(),
            collaborators: BTreeMap::new(),
            next_number: 0,
        };
        self.repos.insert(full_name.to_string(), repo);
        let installation = match self
            .installations
            .values()
            .find(|installation| installation.account == owner)
        {
            Some(installation) => installation.id,
            None => self.add_installation(owner),
        };
        if let Some(installation) = self.installations.get_mut(&installation) {
            installation.repositories.insert(full_name.to_string());
        }
        self.commit(
            full_name,
            "main",
            "Initial commit",
            &[("README.md", &format!("# {name}\n"))],
        );
        RepoHandle {
            world: self,
            full_name: full_name.to_string(),
        }
    }

    /// Grants `login` a role on `repo` (creating the user if needed).
    pub fn add_collaborator(&mut self, repo: &str, login: &str, permission: Permission) {
        self.ensure_user(login);
        self.repo_or_panic(repo)
            .collaborators
            .insert(login.to_string(), permission);
    }

    /// The role `login` has on `repo`: explicit collaborators, and the owner
    /// account itself as admin.
    pub fn permission_of(&self, repo: &str, login: &str) -> Option<Permission> {
        let repo = self.repos.get(repo)?;
        if repo.owner == login {
            return Some(Permission::Admin);
        }
        repo.collaborators.get(login).copied()
    }

    /// Adds team `slug` to `org`. Returns the team id.
    pub fn add_team(&mut self, org: &str, slug: &str) -> u64 {
        if let Some(team) = self.teams.get(&(org.to_string(), slug.to_string())) {
            return team.id;
        }
        if !self.users.contains_key(org) {
            self.add_user(org, UserKind::Organization);
        }
        let id = self.next_id();
        self.teams.insert(
            (org.to_string(), slug.to_string()),
            Team {
                id,
                org: org.to_string(),
                slug: slug.to_string(),
                name: slug.to_string(),
                members: BTreeMap::new(),
            },
        );
        id
    }

    /// Adds `login` to team `org/slug` (created if needed) as an active
    /// `member` or `maintainer`.
    pub fn add_team_member(&mut self, org: &str, slug: &str, login: &str, role: &str) {
        self.ensure_user(login);
        self.add_team(org, slug);
        if let Some(team) = self.teams.get_mut(&(org.to_string(), slug.to_string())) {
            team.members.insert(
                login.to_string(),
                TeamMembership {
                    role: role.to_string(),
                    state: "active".to_string(),
                },
            );
        }
    }
}

/// A handle on a repository just added with [`World::add_repo`]; each method
/// applies at once and returns the handle for chaining.
pub struct RepoHandle<'a> {
    world: &'a mut World,
    full_name: String,
}

impl RepoHandle<'_> {
    pub fn full_name(&self) -> &str {
        &self.full_name
    }

    pub fn id(&self) -> u64 {
        self.world
            .repos
            .get(&self.full_name)
            .map(|repo| repo.id)
            .unwrap_or_default()
    }

    pub fn private(self, private: bool) -> Self {
        if let Some(repo) = self.world.repos.get_mut(&self.full_name) {
            repo.private = private;
        }
        self
    }

    pub fn description(self, description: &str) -> Self {
        if let Some(repo) = self.world.repos.get_mut(&self.full_name) {
            repo.description = Some(description.to_string());
        }
        self
    }

    /// Renames the initial branch and makes it the default.
    pub fn default_branch(self, name: &str) -> Self {
        if let Some(repo) = self.world.repos.get_mut(&self.full_name) {
            let old = repo.default_branch.clone();
            if let Some(sha) = repo.branches.remove(&old) {
                repo.branches.insert(name.to_string(), sha);
            }
            repo.default_branch = name.to_string();
        }
        self
    }

    /// Moves the repository to installation `id` (created on the owner if it
    /// does not exist), e.g. 77 to match the fixtures. An installation the
    /// move leaves without repositories (the one `add_repo` made) is removed.
    pub fn installation(self, id: u64) -> Self {
        let owner = self
            .full_name
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let emptied: Vec<u64> = self
            .world
            .installations
            .values_mut()
            .filter(|installation| installation.id != id)
            .filter_map(|installation| {
                let removed = installation.repositories.remove(&self.full_name);
                (removed && installation.repositories.is_empty()).then_some(installation.id)
            })
            .collect();
        for emptied in emptied {
            self.world.installations.remove(&emptied);
        }
        self.world.add_installation_with_id(id, &owner);
        if let Some(installation) = self.world.installations.get_mut(&id) {
            installation.repositories.insert(self.full_name.clone());
        }
        self
    }

    /// Removes the App from this repository.
    pub fn not_installed(self) -> Self {
        for installation in self.world.installations.values_mut() {
            installation.repositories.remove(&self.full_name);
        }
        self
    }

    pub fn collaborator(self, login: &str, permission: Permission) -> Self {
        self.world
            .add_collaborator(&self.full_name, login, permission);
        self
    }

    /// Commits `path` with `contents` on the default branch.
    pub fn file(self, path: &str, contents: &str) -> Self {
        let branch = self
            .world
            .repos
            .get(&self.full_name)
            .map(|repo| repo.default_branch.clone())
            .unwrap_or_default();
        self.world.commit(
            &self.full_name,
            &branch,
            &format!("Add {path}"),
            &[(path, contents)],
        );
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_map_to_legacy_names() {
        assert_eq!(Permission::Maintain.legacy_name(), "write");
        assert_eq!(Permission::Triage.legacy_name(), "read");
        assert_eq!(Permission::Admin.legacy_name(), "admin");
        assert!(Permission::Maintain > Permission::Write);
        assert_eq!(Permission::parse("push"), Some(Permission::Write));
    }
}
