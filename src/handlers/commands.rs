//! Slash commands in comments: parse, check who may, run, acknowledge, answer, audit.
//!
//! Commands come in issue and PR comments, PR review comments (on a line of the diff) and PR
//! review summaries; all three arrive as one [`CommandComment`] and are handled alike.
//!
//! - Comments by bots (relman's own included) are never obeyed.
//! - On an edited comment only the commands the edit added run.
//! - `eyes` when relman takes the comment's commands, then `+1` when all succeeded or `confused`
//!   when one was refused or failed; a reply (one per comment, edited in place on a retry)
//!   explains anything that needs words. A review summary takes no reactions on GitHub, so
//!   there the reply (on the PR's conversation) answers every command, successes included.
//! - A failure the user caused is answered with the fix; an internal one is logged, the user is
//!   told it will be retried, and the job is retried.

use std::collections::HashMap;

use relman_commands::{Command, ParseError, ParsedCommand, parse};

use super::config_report::Notice;
use super::context::Context;
use super::error::HandlerError;
use super::events::{CommandComment, CommentKind};
use super::invocation::{Invocation, Outcome};
use super::permissions::{Actor, Roles, denial, may_run};
use super::roles::current_roles;
use crate::github::comments::upsert_comment;
use crate::github::{GitHubError, GitHubPort, Reaction, RepoName};
use crate::inbox::ProcessError;
use crate::store::audit::AuditEntry;

/// Runs one command that passed the permission check.
async fn run(command: &Command, at: &Invocation<'_>) -> Result<Outcome, HandlerError> {
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
        Command::ReleaseHealthy => super::monitoring::healthy(at).await,
        Command::DeployProduction { now } => {
            super::deploy_request::deploy_production(at, *now).await
        }
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

/// What the user is told when a command failed through no fault of theirs.
const INTERNAL_FAILURE: &str =
    "relman could not finish this because of an internal error; it will try again shortly.";

/// How one command of a comment came out, as the audit log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Ran and succeeded.
    Ok,
    /// Did not parse (unknown or mistyped command, bad arguments).
    Invalid,
    /// The author may not run it.
    Denied,
    /// Ran, and declined for a reason the user can fix.
    Refused,
    /// Ran, and failed inside relman or GitHub; the job is retried.
    Failed,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Invalid => "invalid",
            Verdict::Denied => "denied",
            Verdict::Refused => "refused",
            Verdict::Failed => "failed",
        }
    }
}

/// What came of one command of a comment: the one source of its audit entry and of its part of
/// the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CommandRecord {
    /// The command's line as written.
    line: String,
    /// Where the command starts in the comment (bytes).
    position: usize,
    /// The parsed command as JSON; `None` when it did not parse.
    command_json: Option<String>,
    verdict: Verdict,
    /// What the user is told; `None` when nothing needs words.
    message: Option<String>,
    /// What the audit log keeps: the user's message, or the internal error of a failure.
    detail: Option<String>,
}

impl CommandRecord {
    /// A command that did not parse: the user is told why, on the line it was found.
    fn invalid(body: &str, error: &ParseError) -> CommandRecord {
        let message = error.to_string();
        CommandRecord {
            line: line_at(body, error.span.start),
            position: error.span.start,
            command_json: None,
            verdict: Verdict::Invalid,
            detail: Some(message.clone()),
            message: Some(message),
        }
    }

    /// A parsed command's result; for anything but success the message is also the detail.
    fn of(parsed: &ParsedCommand, verdict: Verdict, message: Option<String>) -> CommandRecord {
        let detail = match verdict {
            Verdict::Ok => None,
            _ => message.clone(),
        };
        CommandRecord {
            line: parsed.text.clone(),
            position: parsed.span.start,
            command_json: serde_json::to_string(&parsed.command).ok(),
            verdict,
            message,
            detail,
        }
    }

    /// A parsed command that failed inside relman: the user gets the retry notice, the audit
    /// log the error.
    fn failed(parsed: &ParsedCommand, error: &HandlerError) -> CommandRecord {
        CommandRecord {
            detail: Some(error.to_string()),
            ..CommandRecord::of(parsed, Verdict::Failed, Some(INTERNAL_FAILURE.into()))
        }
    }

    fn ok(&self) -> bool {
        self.verdict == Verdict::Ok
    }

    fn audit_entry(&self, comment: &CommandComment, repo: &RepoName, at: i64) -> AuditEntry {
        AuditEntry {
            at,
            repo: repo.to_string(),
            issue_number: comment.issue_number,
            comment_kind: comment.kind.as_str().to_string(),
            comment_id: comment.comment_id,
            position: self.position as u64,
            actor_login: comment.author.login.clone(),
            actor_id: comment.author.id,
            command_text: self.line.trim().to_string(),
            command_json: self.command_json.clone(),
            outcome: self.verdict.as_str().to_string(),
            detail: self.detail.clone(),
        }
    }

    /// This command's part of the reply. A review summary takes no reactions, so there the
    /// reply is the only acknowledgement and even a silent success is answered.
    fn answer(&self, kind: CommentKind) -> Answer {
        let message = match (&self.message, kind) {
            (None, CommentKind::ReviewSummary) => Some("Done.".to_string()),
            (message, _) => message.clone(),
        };
        Answer {
            line: self.line.clone(),
            message,
            ok: self.ok(),
        }
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

/// Checks, runs and records one command (or parse error) of a comment.
async fn settle(
    result: &Result<ParsedCommand, ParseError>,
    body: &str,
    at: &Invocation<'_>,
) -> CommandRecord {
    let parsed = match result {
        Err(e) => return CommandRecord::invalid(body, e),
        Ok(parsed) => parsed,
    };
    let spec = parsed.command.spec();
    if !may_run(spec.permission, at.actor, at.roles) {
        let message = denial(
            &format!("/{}", spec.name),
            spec.permission,
            at.actor,
            at.roles,
        );
        return CommandRecord::of(parsed, Verdict::Denied, Some(message));
    }
    match run(&parsed.command, at).await {
        Ok(Outcome::Done(message)) => CommandRecord::of(parsed, Verdict::Ok, message),
        Ok(Outcome::Refused(message)) => CommandRecord::of(parsed, Verdict::Refused, Some(message)),
        Err(e) => {
            tracing::error!(error = %e, command = %parsed.text, "command failed");
            CommandRecord::failed(parsed, &e)
        }
    }
}

/// The key of relman's reply to a comment. Issue comments, review comments and reviews are
/// numbered apart on GitHub, so the kind is part of the key; an issue comment keeps the bare id
/// its replies have always had.
fn reply_key(comment: &CommandComment) -> String {
    match comment.kind {
        CommentKind::Issue => comment.comment_id.to_string(),
        CommentKind::Review => format!("review-comment-{}", comment.comment_id),
        CommentKind::ReviewSummary => format!("review-{}", comment.comment_id),
    }
}

/// Acknowledges on the comment itself. A review is not a comment: GitHub has no reactions
/// endpoint for it, so a review's commands are acknowledged by the reply alone.
async fn react(
    github: &dyn GitHubPort,
    repo: &RepoName,
    comment: &CommandComment,
    reaction: Reaction,
) -> Result<(), GitHubError> {
    match comment.kind {
        CommentKind::Issue => {
            github
                .add_comment_reaction(repo, comment.comment_id, reaction)
                .await
        }
        CommentKind::Review => {
            github
                .add_review_comment_reaction(repo, comment.comment_id, reaction)
                .await
        }
        CommentKind::ReviewSummary => Ok(()),
    }
}

/// Handles a comment that may carry commands: an issue comment, a pull request review comment
/// or a review summary (see [`CommandComment`]).
pub async fn handle_comment(ctx: &Context, comment: &CommandComment) -> Result<(), ProcessError> {
    // Never obey a bot, relman itself included: a bot's comment quoting a command must not loop.
    if comment.sender.is_bot() || comment.author.is_bot() {
        return Ok(());
    }
    let commands = commands_to_run(&comment.body, comment.previous_body.as_deref());
    if commands.is_empty() {
        return Ok(());
    }

    let (Some(installation), Some(full_name)) =
        (comment.installation, comment.repository.as_deref())
    else {
        return Err(ProcessError::Permanent(
            "comment event without installation or repository".into(),
        ));
    };
    let repo: RepoName = full_name
        .parse()
        .map_err(|e| ProcessError::Permanent(format!("{e}")))?;
    let client = ctx.github.installation(installation)?;
    let github: &dyn GitHubPort = &*client;
    let now_ms = ctx.clock.now_ms();

    react(github, &repo, comment, Reaction::Eyes).await?;
    let notice = super::config_report::notice(ctx, github, &repo).await?;

    let user = &comment.author;
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
            Err(HandlerError::GitHub(e)) => return Err(e.into()),
            Err(e) => return Err(ProcessError::Retryable(e.to_string())),
        }
    } else {
        Roles::default()
    };
    let invocation = Invocation {
        github,
        ctx,
        repo: &repo,
        issue_number: comment.issue_number,
        comment_id: comment.comment_id,
        comment_url: &comment.html_url,
        actor: &actor,
        roles: &roles,
    };

    let mut records = Vec::with_capacity(commands.len());
    for result in &commands {
        let record = match Notice::refusal(&notice, result) {
            Some((parsed, why)) => CommandRecord::of(parsed, Verdict::Refused, Some(why)),
            None => settle(result, &comment.body, &invocation).await,
        };
        ctx.store
            .record_command(&record.audit_entry(comment, &repo, now_ms))
            .await
            .map_err(|e| ProcessError::Retryable(e.to_string()))?;
        records.push(record);
    }

    let answers: Vec<Answer> = records.iter().map(|r| r.answer(comment.kind)).collect();
    if let Some(body) =
        Notice::prefixed(&notice, &actor.login, render_reply(&actor.login, &answers))
    {
        upsert_comment(
            github,
            &ctx.store,
            &repo,
            comment.issue_number,
            "reply",
            &reply_key(comment),
            &body,
            now_ms,
        )
        .await
        .map_err(|e| ProcessError::Retryable(e.to_string()))?;
    }
    let all_ok = records.iter().all(CommandRecord::ok);
    react(
        github,
        &repo,
        comment,
        if all_ok {
            Reaction::PlusOne
        } else {
            Reaction::Confused
        },
    )
    .await?;
    match records.into_iter().find(|r| r.verdict == Verdict::Failed) {
        Some(failed) => Err(ProcessError::Retryable(failed.detail.unwrap_or_default())),
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

    fn comment(kind: CommentKind, body: &str) -> CommandComment {
        CommandComment {
            repository: Some("acme/web".into()),
            installation: Some(77),
            issue_number: 4,
            kind,
            comment_id: 99,
            html_url: "https://github.com/acme/web/pull/4#discussion_r99".into(),
            body: body.into(),
            previous_body: None,
            author: crate::github::User {
                login: "rita".into(),
                id: 7,
                kind: "User".into(),
            },
            sender: crate::github::User::default(),
        }
    }

    fn parsed(body: &str) -> ParsedCommand {
        match parse(body).into_iter().next() {
            Some(Ok(p)) => p,
            other => panic!("{body:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn a_record_is_the_source_of_its_audit_entry_and_its_answer() {
        let repo: RepoName = "acme/web".parse().unwrap();
        let review_comment = comment(CommentKind::Review, "see\n/hotfix down");
        let hotfix = parsed(&review_comment.body);
        let denied = CommandRecord::of(&hotfix, Verdict::Denied, Some("not you".into()));
        let entry = denied.audit_entry(&review_comment, &repo, 5);
        assert_eq!(
            (
                entry.comment_id,
                entry.issue_number,
                entry.position,
                entry.actor_id,
                entry.command_text.as_str(),
                entry.outcome.as_str(),
                entry.detail.as_deref()
            ),
            (99, 4, 4, 7, "/hotfix down", "denied", Some("not you"))
        );
        assert!(entry.command_json.is_some());
        let answer = denied.answer(CommentKind::Review);
        assert_eq!(
            (answer.line.as_str(), answer.message.as_deref(), answer.ok),
            ("/hotfix down", Some("not you"), false)
        );

        // A failure tells the user it will be retried and keeps the error for the audit log.
        let failed = CommandRecord::failed(&hotfix, &HandlerError::Other("boom".into()));
        assert_eq!(failed.detail.as_deref(), Some("boom"));
        assert_eq!(failed.message.as_deref(), Some(INTERNAL_FAILURE));

        // A parse error is recorded on the line it was found.
        let typo = comment(CommentKind::Issue, "hi\n/relase now");
        let error = match parse(&typo.body).into_iter().next() {
            Some(Err(e)) => e,
            other => panic!("{other:?}"),
        };
        let invalid = CommandRecord::invalid(&typo.body, &error);
        let entry = invalid.audit_entry(&typo, &repo, 5);
        assert_eq!(
            (
                entry.command_text.as_str(),
                entry.outcome.as_str(),
                entry.command_json
            ),
            ("/relase now", "invalid", None)
        );
        assert_eq!(entry.detail, invalid.answer(CommentKind::Issue).message);
    }

    #[test]
    fn a_silent_success_is_still_answered_on_a_review() {
        let help = parsed("/help");
        let quiet = CommandRecord::of(&help, Verdict::Ok, None);
        assert_eq!(quiet.detail, None);
        assert_eq!(quiet.answer(CommentKind::Issue).message, None);
        assert_eq!(quiet.answer(CommentKind::Review).message, None);
        // A review cannot take the +1 reaction, so the reply says it was done.
        let answer = quiet.answer(CommentKind::ReviewSummary);
        assert_eq!(
            (answer.message.as_deref(), answer.ok),
            (Some("Done."), true)
        );
    }

    #[test]
    fn replies_are_keyed_apart_per_kind_of_comment() {
        assert_eq!(reply_key(&comment(CommentKind::Issue, "")), "99");
        assert_eq!(
            reply_key(&comment(CommentKind::Review, "")),
            "review-comment-99"
        );
        assert_eq!(
            reply_key(&comment(CommentKind::ReviewSummary, "")),
            "review-99"
        );
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
