//! The webhook payloads relman acts on, as small lenient serde types of its own.
//!
//! Only the fields relman reads are declared; GitHub sends many more. Nothing here is stricter
//! than GitHub's documentation: optional or nullable fields are `Option` or defaulted.

use serde::Deserialize;

use crate::github::types::{Comment, Issue, PullRequest, Release, Repository, User, null_default};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstallationRef {
    pub id: u64,
}

/// Fields every repository event carries.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Common {
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub installation: Option<InstallationRef>,
    #[serde(default)]
    pub repository: Option<Repository>,
    #[serde(default, deserialize_with = "null_default")]
    pub sender: User,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BodyChange {
    #[serde(default)]
    pub from: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CommentChanges {
    #[serde(default)]
    pub body: Option<BodyChange>,
}

/// `issue_comment` (created, edited, deleted).
#[derive(Debug, Clone, Deserialize)]
pub struct IssueCommentEvent {
    #[serde(flatten)]
    pub common: Common,
    pub issue: Issue,
    pub comment: Comment,
    #[serde(default)]
    pub changes: Option<CommentChanges>,
}

/// The pull request a review event is about; only its number is read.
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequestRef {
    pub number: u64,
}

/// `pull_request_review_comment` (created, edited, deleted): a comment on a line of a pull
/// request's diff.
#[derive(Debug, Clone, Deserialize)]
pub struct ReviewCommentEvent {
    #[serde(flatten)]
    pub common: Common,
    pub pull_request: PullRequestRef,
    pub comment: Comment,
    #[serde(default)]
    pub changes: Option<CommentChanges>,
}

/// A pull request review as `pull_request_review` carries it. GitHub sends `body: null` for a
/// review without a summary (an approval, or the review around a lone review comment), and
/// `user: null` when the reviewer's account is gone.
#[derive(Debug, Clone, Deserialize)]
pub struct Review {
    pub id: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub body: String,
    #[serde(default, deserialize_with = "null_default")]
    pub user: User,
    #[serde(default, deserialize_with = "null_default")]
    pub html_url: String,
}

/// `pull_request_review` (submitted, edited, dismissed).
#[derive(Debug, Clone, Deserialize)]
pub struct ReviewEvent {
    #[serde(flatten)]
    pub common: Common,
    pub pull_request: PullRequestRef,
    pub review: Review,
    #[serde(default)]
    pub changes: Option<CommentChanges>,
}

/// What carried a comment's commands. It decides how relman can acknowledge them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentKind {
    /// A comment on an issue or on a pull request's conversation.
    Issue,
    /// A comment on a line of a pull request's diff.
    Review,
    /// The summary of a pull request review.
    ReviewSummary,
}

impl CommentKind {
    /// The kind as the audit log records it.
    pub fn as_str(self) -> &'static str {
        match self {
            CommentKind::Issue => "issue_comment",
            CommentKind::Review => "review_comment",
            CommentKind::ReviewSummary => "review",
        }
    }
}

/// A comment that may carry commands, whichever of `issue_comment`, `pull_request_review_comment`
/// or `pull_request_review` brought it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandComment {
    /// `owner/name`, as the payload names it (`None` if it does not).
    pub repository: Option<String>,
    pub installation: Option<u64>,
    /// The issue or pull request the comment is on; replies go on its conversation.
    pub issue_number: u64,
    pub kind: CommentKind,
    /// The id of the comment (or review) in its own id space: issue comments, review comments
    /// and reviews are numbered apart.
    pub comment_id: u64,
    pub html_url: String,
    pub body: String,
    /// The body before an edit; `None` for new text.
    pub previous_body: Option<String>,
    /// Who wrote the comment.
    pub author: User,
    /// Who caused the event (on an edit, the editor).
    pub sender: User,
}

/// The text fields the three events share, borrowed from whichever carried them.
struct Text<'a> {
    id: u64,
    html_url: &'a str,
    body: &'a str,
    author: &'a User,
}

impl CommandComment {
    fn from_parts(
        common: &Common,
        actions: &[&str],
        changes: Option<&CommentChanges>,
        issue_number: u64,
        kind: CommentKind,
        text: Text<'_>,
    ) -> Option<CommandComment> {
        let action = common.action.as_deref().unwrap_or_default();
        if !actions.contains(&action) {
            return None;
        }
        let previous_body = if action == "edited" {
            // An edit that left the body alone (GitHub also sends those) brings nothing new.
            let change = changes.and_then(|c| c.body.as_ref())?;
            Some(change.from.clone().unwrap_or_default())
        } else {
            None
        };
        Some(CommandComment {
            repository: common.repository.as_ref().map(|r| r.full_name.clone()),
            installation: common.installation.as_ref().map(|i| i.id),
            issue_number,
            kind,
            comment_id: text.id,
            html_url: text.html_url.to_string(),
            body: text.body.to_string(),
            previous_body,
            author: text.author.clone(),
            sender: common.sender.clone(),
        })
    }

    /// The comment of an `issue_comment` event; `None` when the event brings no text to obey
    /// (a deletion, an edit that did not touch the body).
    pub fn from_issue_comment(event: &IssueCommentEvent) -> Option<CommandComment> {
        let c = &event.comment;
        CommandComment::from_parts(
            &event.common,
            &["created", "edited"],
            event.changes.as_ref(),
            event.issue.number,
            CommentKind::Issue,
            Text {
                id: c.id,
                html_url: &c.html_url,
                body: &c.body,
                author: &c.user,
            },
        )
    }

    /// The comment of a `pull_request_review_comment` event, as for issue comments.
    pub fn from_review_comment(event: &ReviewCommentEvent) -> Option<CommandComment> {
        let c = &event.comment;
        CommandComment::from_parts(
            &event.common,
            &["created", "edited"],
            event.changes.as_ref(),
            event.pull_request.number,
            CommentKind::Review,
            Text {
                id: c.id,
                html_url: &c.html_url,
                body: &c.body,
                author: &c.user,
            },
        )
    }

    /// The summary of a `pull_request_review` event (`submitted` or `edited`; a dismissal brings
    /// no text). A review without a summary has an empty body, so no commands.
    pub fn from_review(event: &ReviewEvent) -> Option<CommandComment> {
        let r = &event.review;
        CommandComment::from_parts(
            &event.common,
            &["submitted", "edited"],
            event.changes.as_ref(),
            event.pull_request.number,
            CommentKind::ReviewSummary,
            Text {
                id: r.id,
                html_url: &r.html_url,
                body: &r.body,
                author: &r.user,
            },
        )
    }
}

/// `pull_request`.
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequestEvent {
    #[serde(flatten)]
    pub common: Common,
    #[serde(default)]
    pub number: u64,
    pub pull_request: PullRequest,
}

/// `release`.
#[derive(Debug, Clone, Deserialize)]
pub struct ReleaseEvent {
    #[serde(flatten)]
    pub common: Common,
    pub release: Release,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The parts of GitHub's documented `pull_request_review` / `submitted` example relman
    /// reads, with the review's `body: null` as GitHub sends it.
    fn review_submitted(body: serde_json::Value) -> serde_json::Value {
        json!({
            "action": "submitted",
            "review": {
                "id": 237895671,
                "node_id": "MDE3OlB1bGxSZXF1ZXN0UmV2aWV3MjM3ODk1Njcx",
                "user": { "login": "Codertocat", "id": 21031067, "type": "User" },
                "body": body,
                "commit_id": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
                "submitted_at": "2019-05-15T15:20:38Z",
                "state": "commented",
                "html_url": "https://github.com/Codertocat/Hello-World/pull/2#pullrequestreview-237895671",
                "pull_request_url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/2",
                "author_association": "OWNER",
            },
            "pull_request": { "number": 2, "state": "open", "merged_at": null },
            "repository": { "id": 186853002, "full_name": "Codertocat/Hello-World" },
            "sender": { "login": "Codertocat", "id": 21031067, "type": "User" },
            "installation": { "id": 77, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" },
        })
    }

    fn review_comment(action: &str, user_type: &str) -> serde_json::Value {
        json!({
            "action": action,
            "comment": {
                "url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/comments/284312630",
                "pull_request_review_id": 237895671,
                "id": 284312630,
                "diff_hunk": "@@ -1 +1 @@\n-# Hello-World",
                "path": "README.md",
                "position": 1,
                "user": { "login": "Codertocat", "id": 21031067, "type": user_type },
                "body": "Maybe you should use more emoji on this line.\n/help",
                "html_url": "https://github.com/Codertocat/Hello-World/pull/2#discussion_r284312630",
                "in_reply_to_id": null,
            },
            "pull_request": { "number": 2 },
            "repository": { "full_name": "Codertocat/Hello-World" },
            "sender": { "login": "Codertocat", "id": 21031067, "type": user_type },
        })
    }

    #[test]
    fn a_review_without_a_summary_is_an_empty_comment() {
        let event: ReviewEvent = serde_json::from_value(review_submitted(json!(null))).unwrap();
        let comment = CommandComment::from_review(&event).unwrap();
        assert_eq!(comment.body, "");
        assert_eq!(comment.kind, CommentKind::ReviewSummary);
        assert_eq!(comment.issue_number, 2);
        assert_eq!(comment.comment_id, 237895671);
        assert_eq!(comment.installation, Some(77));
        assert_eq!(
            comment.repository.as_deref(),
            Some("Codertocat/Hello-World")
        );
        assert_eq!(comment.previous_body, None);

        let mut gone = review_submitted(json!("/help"));
        gone["review"]["user"] = json!(null);
        let event: ReviewEvent = serde_json::from_value(gone).unwrap();
        let comment = CommandComment::from_review(&event).unwrap();
        assert_eq!((comment.body.as_str(), comment.author.id), ("/help", 0));
    }

    #[test]
    fn review_actions_that_bring_no_text_are_skipped() {
        let mut dismissed = review_submitted(json!("/help"));
        dismissed["action"] = json!("dismissed");
        let event: ReviewEvent = serde_json::from_value(dismissed).unwrap();
        assert_eq!(CommandComment::from_review(&event), None);

        let mut edited = review_submitted(json!("/help\n/release status"));
        edited["action"] = json!("edited");
        edited["changes"] = json!({ "body": { "from": "/help" } });
        let event: ReviewEvent = serde_json::from_value(edited.clone()).unwrap();
        let comment = CommandComment::from_review(&event).unwrap();
        assert_eq!(comment.previous_body.as_deref(), Some("/help"));

        // An edit of something other than the body.
        edited["changes"] = json!({});
        let event: ReviewEvent = serde_json::from_value(edited).unwrap();
        assert_eq!(CommandComment::from_review(&event), None);
    }

    #[test]
    fn review_comments_read_like_issue_comments() {
        let event: ReviewCommentEvent =
            serde_json::from_value(review_comment("created", "User")).unwrap();
        let comment = CommandComment::from_review_comment(&event).unwrap();
        assert_eq!(comment.kind, CommentKind::Review);
        assert_eq!(comment.comment_id, 284312630);
        assert_eq!(comment.issue_number, 2);
        assert!(comment.body.ends_with("/help"));
        assert!(comment.html_url.ends_with("#discussion_r284312630"));
        assert!(!comment.author.is_bot() && !comment.sender.is_bot());
        // No installation in the payload: read, not rejected (the handler decides).
        assert_eq!(comment.installation, None);

        let event: ReviewCommentEvent =
            serde_json::from_value(review_comment("created", "Bot")).unwrap();
        let comment = CommandComment::from_review_comment(&event).unwrap();
        assert!(comment.author.is_bot() && comment.sender.is_bot());

        let mut edited = review_comment("edited", "User");
        edited["changes"] = json!({ "body": { "from": "Maybe you should use more emoji." } });
        let event: ReviewCommentEvent = serde_json::from_value(edited).unwrap();
        let comment = CommandComment::from_review_comment(&event).unwrap();
        assert_eq!(
            comment.previous_body.as_deref(),
            Some("Maybe you should use more emoji.")
        );

        let event: ReviewCommentEvent =
            serde_json::from_value(review_comment("deleted", "User")).unwrap();
        assert_eq!(CommandComment::from_review_comment(&event), None);
    }
}
