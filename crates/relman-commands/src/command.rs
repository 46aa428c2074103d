//! The commands relman understands, as typed values.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A deployment environment that a command can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Staging,
    Production,
}

impl Environment {
    /// Both environments, in the order a release reaches them.
    pub const ALL: [Environment; 2] = [Environment::Staging, Environment::Production];

    /// The word a user types for this environment.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One command, with its arguments checked and typed.
///
/// Serialized with an internal `command` tag (`{"command":"release_include","prs":[12]}`) so the
/// audit log stays readable and stable when variants are added.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// `/release`: cut the release of this tracking issue.
    Release,
    /// `/release status`: refresh the tracking issue and reply with the gate.
    ReleaseStatus,
    /// `/release include #12 #13`: the PRs to cherry-pick into a hotfix or warmfix, in the order
    /// given, without duplicates.
    ReleaseInclude { prs: Vec<u64> },
    /// `/release healthy`: production was watched and is healthy.
    ReleaseHealthy,
    /// `/signoff [staging|production]`: `None` signs off both environments.
    Signoff { environment: Option<Environment> },
    /// `/qa ok`
    QaOk,
    /// `/qa blocker <text>`
    QaBlocker { text: String },
    /// `/qa clear`
    QaClear,
    /// `/deploy production [now]`: `now` also requests a version that has not soaked a cycle.
    DeployProduction { now: bool },
    /// `/hotfix <why>`
    Hotfix { reason: String },
    /// `/warmfix <why>`
    Warmfix { reason: String },
    /// `/skip <why>`
    Skip { reason: String },
    /// `/rotation`: show the rotation.
    Rotation,
    /// `/rotation swap @a @b <period>`: logins are stored without the `@`, the period as `YYYY-MM`.
    RotationSwap {
        a: String,
        b: String,
        period: String,
    },
    /// `/stats`
    Stats,
    /// `/help`
    Help,
}

/// The canonical spelling of the command: parsing it gives the same command back, which makes it
/// the form to quote in replies and in the audit log.
impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.name())?;
        match self {
            Command::ReleaseInclude { prs } => {
                for pr in prs {
                    write!(f, " #{pr}")?;
                }
                Ok(())
            }
            Command::Signoff {
                environment: Some(environment),
            } => write!(f, " {environment}"),
            Command::QaBlocker { text } => write!(f, " {text}"),
            Command::Hotfix { reason } | Command::Warmfix { reason } | Command::Skip { reason } => {
                write!(f, " {reason}")
            }
            Command::RotationSwap { a, b, period } => write!(f, " @{a} @{b} {period}"),
            Command::DeployProduction { now: true } => write!(f, " now"),
            Command::Release
            | Command::ReleaseStatus
            | Command::ReleaseHealthy
            | Command::Signoff { environment: None }
            | Command::QaOk
            | Command::QaClear
            | Command::DeployProduction { now: false }
            | Command::Rotation
            | Command::Stats
            | Command::Help => Ok(()),
        }
    }
}
