//! Slash commands in comments: parse, check who may, run, acknowledge, answer, audit.
//!
//! - Comments by bots (relman's own included) are never obeyed.
//! - On an edited comment only the commands the edit added run.
//! - `eyes` when relman takes the comment's commands, then `+1` when all succeeded or `confused`
//!   when one was refused or failed; a reply (one per comment, edited in place on a retry)
//!   explains anything that needs words.
//! - A failure the user caused is answered with the fix; an internal one is logged, the user is
//!   told it will be retried, and the job is retried.

use std::collections::HashMap;

use relman_commands::{Command, ParseError, ParsedCommand, parse};

use super::dispatch::Context;
use super::events::IssueCommentEvent;
use super::permissions::{Actor, Roles, denial, may_run};
use super::roles::current_roles;
use crate::github::comments::upsert_comment;
use crate::github::{GitHubError, GitHubPort, Reaction, RepoName};
use crate::inbox::ProcessError;
use crate::store::audit::AuditEntry;

/// What running one command came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done; an optional message for the reply.
    Done(Option<String>),
    /// Not done, because of something the user can fix; the message says what.
    Refused(String),
}

/// Why a command could not run through no fault of the user's.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Other(String),
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

/// Runs one command that passed the permission check.
async fn run(command: &Command, at: &Invocation<'_>) -> Result<Outcome, CommandError> {
    match command {
        Command::Help => Ok(Outcome::Done(Some(relman_commands::help_markdown()))),
        Command::ReleaseStatus => super::release_status::release_status(at).await,
        Command::Release => super::release::release(at).await,
        Command::Signoff { environment } => super::signoff::signoff(at, *environment).await,
        Command::QaOk => super::signoff::qa(at, super::signoff::QaCall::Ok).await,
        Command::QaBlocker { text } => {
            super::signoff::qa(at, super::signoff::QaCall::Blocker(text.clone())).await
        }
        Command::QaClear => super::signoff::qa(at, super::signoff::QaCall::Clear).await,
        Command::Skip { reason } => super::signoff::skip(at, reason).await,
        Command::Rotation => super::rotation::show(at).await,
        Command::RotationSwap { a, b, period } => super::rotation::swap(at, a, b, period).await,
        Command::Hotfix { reason } => {
            super::hotfix::request(at, crate::domain::expedited::Kind::Hotfix, reason).await
        }
        Command::Warmfix { reason } => {
            super::hotfix::request(at, crate::domain::expedited::Kind::Warmfix, reason).await
        }
        Command::ReleaseInclude { prs } => super::hotfix::include(at, prs).await,
        Command::Stats => super::register::stats(at).await,
        other => Ok(Outcome::Refused(format!(
            "`/{}` is not available in this version of relman yet; `/help` lists what is.",
            other.name()
        ))),
    }
}

/// The commands of a comment that should run now: all of them for a new comment; for an edit,
/// those the edit added (the same command text appearing as often before is not run again).
pub fn commands_to_run(
    body: &str,
    previous_body: Option<&str>,
) -> Vec<Result<ParsedCommand, ParseError>> {
    let now = parse(body);
    let Some(previous) = previous_body else {
        return now;
    };
    let mut before: HashMap<String, usize> = HashMap::new();
    for result in parse(previous) {
        *before.entry(result_text(&result)).or_default() += 1;
    }
    now.into_iter()
        .filter(|result| match before.get_mut(&result_text(result)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect()
}

fn result_text(result: &Result<ParsedCommand, ParseError>) -> String {
    match result {
        Ok(parsed) => parsed.text.trim().to_string(),
        Err(e) => format!("error:{e}"),
    }
}

/// One line of the reply comment per command.
struct Answer {
    line: String,
    message: Option<String>,
    ok: bool,
}

fn render_reply(actor: &str, answers: &[Answer]) -> Option<String> {
    let worded: Vec<&Answer> = answers.iter().filter(|a| a.message.is_some()).collect();
    if worded.is_empty() {
        return None;
    }
    let mut out = format!("@{actor}\n");
    for a in worded {
        out.push_str(&format!(
            "\n> {}\n\n{}{}\n",
            a.line.trim(),
            if a.ok { "" } else { "⚠️ " },
            a.message.as_deref().unwrap_or_default()
        ));
    }
    Some(out)
}

/// Handles `issue_comment` (and review-comment) events.
pub async fn handle_comment(ctx: &Context, event: &IssueCommentEvent) -> Result<(), ProcessError> {
    let action = event.common.action.as_deref().unwrap_or_default();
    if action != "created" && action != "edited" {
        return Ok(());
    }
    // Never obey a bot, relman itself included: a bot's comment quoting a command must not loop.
    if event.common.sender.is_bot() || event.comment.user.is_bot() {
        return Ok(());
    }
    let previous = if action == "edited" {
        match event.changes.as_ref().and_then(|c| c.body.as_ref()) {
            Some(change) => Some(change.from.as_deref().unwrap_or_default()),
            // An edit that did not change the body (GitHub also sends those): nothing new.
            None => return Ok(()),
        }
    } else {
        None
    };
    let commands = commands_to_run(&event.comment.body, previous);
    if commands.is_empty() {
        return Ok(());
    }

    let (Some(installation), Some(repository)) =
        (&event.common.installation, &event.common.repository)
    else {
        return Err(ProcessError::Permanent(
            "comment event without installation or repository".into(),
        ));
    };
    let repo: RepoName = repository
        .full_name
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    let client = ctx.github.installation(installation.id)?;
    let github: &dyn GitHubPort = &client;
    let comment_id = event.comment.id;
    let now_ms = ctx.clock.now_ms();

    github
        .add_comment_reaction(&repo, comment_id, Reaction::Eyes)
        .await?;

    let user = &event.comment.user;
    let access = ctx
        .permissions
        .lookup(github, &repo, user.id, &user.login)
        .await?;
    let actor = Actor {
        login: user.login.clone(),
        access,
    };
    // Roles cost a config read: only look them up when a command is guarded by one.
    let needs_roles = commands.iter().any(|c| {
        c.as_ref().is_ok_and(|p| {
            use relman_commands::Permission as P;
            matches!(
                p.command.spec().permission,
                P::ReleaseManager | P::ReleaseManagerOrAdmin | P::QaOrReleaseManager
            )
        })
    });
    let roles = if needs_roles {
        match current_roles(ctx, github, &repo, ctx.clock.now()).await {
            Ok(r) => r,
            Err(CommandError::GitHub(e)) => return Err(e.into()),
            Err(e) => return Err(ProcessError::Retryable(e.to_string())),
        }
    } else {
        Roles::default()
    };
    let invocation = Invocation {
        github,
        ctx,
        repo: &repo,
        issue_number: event.issue.number,
        comment_id,
        comment_url: &event.comment.html_url,
        actor: &actor,
        roles: &roles,
    };

    let mut answers = Vec::with_capacity(commands.len());
    let mut internal_failure: Option<String> = None;
    for result in &commands {
        let (line, position, command_json, outcome, detail, answer) = match result {
            Err(e) => {
                let message = e.to_string();
                (
                    line_at(&event.comment.body, e.span.start),
                    e.span.start,
                    None,
                    "invalid",
                    Some(message.clone()),
                    Answer {
                        line: line_at(&event.comment.body, e.span.start),
                        message: Some(message),
                        ok: false,
                    },
                )
            }
            Ok(parsed) => {
                let spec = parsed.command.spec();
                let json = serde_json::to_string(&parsed.command).ok();
                if !may_run(spec.permission, &actor, &roles) {
                    let message =
                        denial(&format!("/{}", spec.name), spec.permission, &actor, &roles);
                    (
                        parsed.text.clone(),
                        parsed.span.start,
                        json,
                        "denied",
                        Some(message.clone()),
                        Answer {
                            line: parsed.text.clone(),
                            message: Some(message),
                            ok: false,
                        },
                    )
                } else {
                    match run(&parsed.command, &invocation).await {
                        Ok(Outcome::Done(message)) => (
                            parsed.text.clone(),
                            parsed.span.start,
                            json,
                            "ok",
                            None,
                            Answer {
                                line: parsed.text.clone(),
                                message,
                                ok: true,
                            },
                        ),
                        Ok(Outcome::Refused(message)) => (
                            parsed.text.clone(),
                            parsed.span.start,
                            json,
                            "refused",
                            Some(message.clone()),
                            Answer {
                                line: parsed.text.clone(),
                                message: Some(message),
                                ok: false,
                            },
                        ),
                        Err(e) => {
                            tracing::error!(error = %e, command = %parsed.text, "command failed");
                            let error = e.to_string();
                            internal_failure.get_or_insert(error.clone());
                            (parsed.text.clone(), parsed.span.start, json, "failed", Some(error), Answer {
                                line: parsed.text.clone(),
                                message: Some("relman could not finish this because of an internal error; it will try again shortly.".into()),
                                ok: false,
                            })
                        }
                    }
                }
            }
        };
        ctx.store
            .record_command(&AuditEntry {
                at: now_ms,
                repo: repo.to_string(),
                issue_number: event.issue.number,
                comment_id,
                position: position as u64,
                actor_login: actor.login.clone(),
                actor_id: user.id,
                command_text: line.trim().to_string(),
                command_json,
                outcome: outcome.to_string(),
                detail,
            })
            .await
            .map_err(|e| ProcessError::Retryable(e.to_string()))?;
        answers.push(answer);
    }

    if let Some(body) = render_reply(&actor.login, &answers) {
        upsert_comment(
            github,
            &ctx.store,
            &repo,
            event.issue.number,
            "reply",
            &comment_id.to_string(),
            &body,
            now_ms,
        )
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    }
    let all_ok = answers.iter().all(|a| a.ok);
    github
        .add_comment_reaction(
            &repo,
            comment_id,
            if all_ok {
                Reaction::PlusOne
            } else {
                Reaction::Confused
            },
        )
        .await?;
    match internal_failure {
        Some(error) => Err(ProcessError::Retryable(error)),
        None => Ok(()),
    }
}

/// The source line a byte offset falls on.
fn line_at(body: &str, offset: usize) -> String {
    let start = body[..offset.min(body.len())]
        .rfind(['\n', '\r'])
        .map_or(0, |i| i + 1);
    let rest = &body[start..];
    rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(results: &[Result<ParsedCommand, ParseError>]) -> Vec<String> {
        results.iter().map(result_text).collect()
    }

    #[test]
    fn an_edit_runs_only_what_it_added() {
        let before = "/signoff staging\nlooks good";
        let after = "/signoff staging\nlooks good\n/release";
        assert_eq!(
            texts(&commands_to_run(after, Some(before))),
            vec!["/release"]
        );
        assert!(commands_to_run(before, Some(before)).is_empty());
        // Typing the same command twice more runs it once more, not twice.
        assert_eq!(
            texts(&commands_to_run("/help\n/help", Some("/help"))),
            vec!["/help"]
        );
        assert_eq!(texts(&commands_to_run(after, None)).len(), 2);
    }

    #[test]
    fn lines_are_found_by_offset() {
        assert_eq!(line_at("a\r\n/relase now\nz", 3), "/relase now");
        assert_eq!(line_at("/x", 0), "/x");
    }

    #[test]
    fn replies_quote_each_command() {
        let answers = [
            Answer {
                line: "/help".into(),
                message: Some("the list".into()),
                ok: true,
            },
            Answer {
                line: "/stats".into(),
                message: None,
                ok: true,
            },
            Answer {
                line: "/relase".into(),
                message: Some("did you mean".into()),
                ok: false,
            },
        ];
        assert_eq!(
            render_reply("alice", &answers).unwrap(),
            "@alice\n\n> /help\n\nthe list\n\n> /relase\n\n⚠️ did you mean\n"
        );
        assert_eq!(
            render_reply(
                "a",
                &[Answer {
                    line: "/x".into(),
                    message: None,
                    ok: true
                }]
            ),
            None
        );
    }
}
