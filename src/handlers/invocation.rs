//! What a capability is given when a slash command runs, and what it answers. Kept below the
//! command router so capabilities never import the router that calls them.

use super::context::Context;
use super::permissions::{Actor, Roles};
use crate::github::{GitHubPort, RepoName};

/// What running one command came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done; an optional message for the reply.
    Done(Option<String>),
    /// Not done, because of something the user can fix; the message says what.
    Refused(String),
}

/// Where a command was given, independent of the event that carried it (an issue comment or a
/// pull-request review comment).
pub struct Invocation<'a> {
    pub github: &'a dyn GitHubPort,
    pub ctx: &'a Context,
    pub repo: &'a RepoName,
    /// The issue or pull request the comment is on.
    pub issue_number: u64,
    /// The comment that carried the command.
    pub comment_id: u64,
    /// A link to that comment, for records and replies elsewhere.
    pub comment_url: &'a str,
    pub actor: &'a Actor,
    pub roles: &'a Roles,
}

impl Invocation<'_> {
    /// What this command says about a release, for its log: by the comment's author, now.
    pub fn log_entry(
        &self,
        entry: crate::store::releases::LogKind,
        environment: Option<crate::domain::requirements::Environment>,
        text: Option<String>,
    ) -> crate::store::releases::LogEntry {
        crate::store::releases::LogEntry {
            entry,
            environment,
            text,
            actor: self.actor.login.clone(),
            comment_id: self.comment_id,
            at: self.ctx.clock.now_ms(),
        }
    }
}
