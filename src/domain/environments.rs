//! What runs where, decided: which deployments relman follows, which release tag a deployed
//! ref or commit is, what a successful deployment or a polled `/__version__` records, and when
//! the releases in the register reached staging or production. Pure.

use chrono::{DateTime, Utc};
use semver::Version;

use super::effects::Effect;
use super::version::version_of_tag;
use crate::config::repo::Environments;

/// The environment a deployment went to, when relman follows it: its name and whether it is
/// production. The deployment's own environment wins over its status's.
pub fn followed(
    environments: &Environments,
    deployment_environment: &str,
    status_environment: &str,
) -> Option<(String, bool)> {
    let environment = if deployment_environment.is_empty() {
        status_environment
    } else {
        deployment_environment
    };
    if environment == environments.production.name {
        Some((environment.to_string(), true))
    } else if environment == environments.staging.name {
        Some((environment.to_string(), false))
    } else {
        None
    }
}

/// The release tag a deployed ref is by itself (a tag under the prefix), if it is one.
pub fn tag_of_ref(git_ref: &str, prefix: &str) -> Option<String> {
    version_of_tag(git_ref, prefix).map(|_| git_ref.to_string())
}

/// The newest release tag among `tags` (name, commit) that points at `sha`.
pub fn tag_at(tags: &[(String, String)], prefix: &str, sha: &str) -> Option<String> {
    let mut matching: Vec<(Version, &String)> = tags
        .iter()
        .filter(|(_, at)| at == sha)
        .filter_map(|(name, _)| version_of_tag(name, prefix).map(|v| (v, name)))
        .collect();
    matching.sort();
    matching.pop().map(|(_, tag)| tag.clone())
}

/// A successful deployment of `tag` (or of an untagged `sha`) to `environment`, as recorded.
pub fn deployed(
    environment: &str,
    sha: &str,
    tag: Option<&str>,
    deployment_id: u64,
    now: DateTime<Utc>,
) -> Effect {
    Effect::SetEnvironmentVersion {
        environment: environment.to_string(),
        sha: Some(sha.to_string()).filter(|s| !s.is_empty()),
        version: tag.map(str::to_string),
        source: "deployment_status".into(),
        deployment_id: Some(deployment_id),
        at_ms: now.timestamp_millis(),
    }
}

/// What a `/__version__` poll records: nothing when it reports what is known (the same
/// version, and the same commit when it names one).
pub fn polled(
    environment: &str,
    known: Option<(Option<&str>, Option<&str>)>,
    version: &str,
    commit: Option<&str>,
    now: DateTime<Utc>,
) -> Option<Effect> {
    let unchanged = known.is_some_and(|(known_version, known_sha)| {
        known_version == Some(version) && (commit.is_none() || known_sha == commit)
    });
    (!unchanged).then(|| Effect::SetEnvironmentVersion {
        environment: environment.to_string(),
        sha: commit.map(str::to_string),
        version: Some(version.to_string()),
        source: "version_url".into(),
        deployment_id: None,
        at_ms: now.timestamp_millis(),
    })
}

/// A released release in the register, as the deployment stamps read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    pub id: i64,
    pub tag: Option<String>,
    pub version: Option<String>,
    pub sha: Option<String>,
    pub production_at: Option<i64>,
}

/// The register's stamps for a successful deployment of `git_ref`/`sha`: staging gets the
/// deployed release; production gets it and every earlier release not stamped yet (their
/// changes arrive with it). None when no release is concerned.
pub fn register_stamps(
    released: &[Released],
    production: bool,
    git_ref: &str,
    sha: &str,
    prefix: &str,
    at: DateTime<Utc>,
) -> Option<Effect> {
    let deployed = released
        .iter()
        .find(|r| r.tag.as_deref() == Some(git_ref) || r.sha.as_deref() == Some(sha));
    let version = version_of_tag(git_ref, prefix).or_else(|| {
        deployed.and_then(|r| r.version.as_deref().and_then(|v| Version::parse(v).ok()))
    });
    let tags: Vec<String> = if production {
        released
            .iter()
            .filter(|r| r.production_at.is_none())
            .filter(|r| {
                let v = r.version.as_deref().and_then(|v| Version::parse(v).ok());
                matches!((&v, &version), (Some(v), Some(top)) if v <= top)
                    || deployed.is_some_and(|d| d.id == r.id)
            })
            .filter_map(|r| r.tag.clone())
            .collect()
    } else {
        deployed.and_then(|r| r.tag.clone()).into_iter().collect()
    };
    (!tags.is_empty()).then(|| Effect::MarkDeployed {
        production,
        tags,
        at_ms: at.timestamp_millis(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo::parse_repo_config;

    fn now() -> DateTime<Utc> {
        "2026-12-08T10:00:00Z".parse().unwrap()
    }

    fn environments() -> Environments {
        parse_repo_config(
            "test",
            "timezone: UTC\nschedule: { every_weeks: 1, weekday: tuesday, anchor: 2026-12-01 }\nrotation: { members: [alice] }\n",
        )
        .unwrap()
        .environments
        .clone()
    }

    fn released(id: i64, v: &str, production_at: Option<i64>) -> Released {
        Released {
            id,
            tag: Some(format!("v{v}")),
            version: Some(v.into()),
            sha: Some(format!("sha-{v}")),
            production_at,
        }
    }

    #[test]
    fn only_the_configured_environments_are_followed() {
        let envs = environments();
        let production = envs.production.name.clone();
        assert_eq!(
            followed(&envs, "", &production),
            Some((production.clone(), true))
        );
        assert_eq!(
            followed(&envs, &envs.staging.name, &production),
            Some((envs.staging.name.clone(), false))
        );
        assert_eq!(followed(&envs, "preview", &production), None);
    }

    #[test]
    fn a_deployed_commit_is_its_newest_release_tag() {
        let tags = [
            ("v1.2.0".to_string(), "abc".to_string()),
            ("v1.10.0".to_string(), "abc".to_string()),
            ("v1.11.0-rc.1".to_string(), "abc".to_string()),
            ("v2.0.0".to_string(), "def".to_string()),
        ];
        assert_eq!(tag_at(&tags, "v", "abc").as_deref(), Some("v1.10.0"));
        assert_eq!(tag_at(&tags, "v", "nope"), None);
        assert_eq!(tag_of_ref("v1.2.0", "v").as_deref(), Some("v1.2.0"));
        assert_eq!(tag_of_ref("main", "v"), None);
    }

    #[test]
    fn a_poll_records_only_what_changed() {
        assert_eq!(
            polled(
                "production",
                Some((Some("v1"), Some("a"))),
                "v1",
                None,
                now()
            ),
            None
        );
        assert_eq!(
            polled(
                "production",
                Some((Some("v1"), Some("a"))),
                "v1",
                Some("a"),
                now()
            ),
            None
        );
        assert!(
            polled(
                "production",
                Some((Some("v1"), Some("a"))),
                "v1",
                Some("b"),
                now()
            )
            .is_some()
        );
        assert!(matches!(
            polled("production", None, "v2", None, now()),
            Some(Effect::SetEnvironmentVersion { source, version: Some(v), .. }) if source == "version_url" && v == "v2"
        ));
        assert!(matches!(
            deployed("staging", "", Some("v1"), 4, now()),
            Effect::SetEnvironmentVersion {
                sha: None,
                deployment_id: Some(4),
                ..
            }
        ));
    }

    #[test]
    fn production_stamps_the_release_and_every_earlier_one_not_stamped() {
        let rows = [
            released(1, "1.2.0", Some(5)),
            released(2, "1.3.0", None),
            released(3, "1.4.0", None),
            released(4, "1.5.0", None),
        ];
        assert_eq!(
            register_stamps(&rows, true, "v1.4.0", "", "v", now()),
            Some(Effect::MarkDeployed {
                production: true,
                tags: vec!["v1.3.0".into(), "v1.4.0".into()],
                at_ms: now().timestamp_millis()
            })
        );
        // Staging: only the release deployed, found by its commit.
        assert_eq!(
            register_stamps(&rows, false, "main", "sha-1.5.0", "v", now()),
            Some(Effect::MarkDeployed {
                production: false,
                tags: vec!["v1.5.0".into()],
                at_ms: now().timestamp_millis()
            })
        );
        assert_eq!(
            register_stamps(&rows, false, "main", "other", "v", now()),
            None
        );
    }
}
