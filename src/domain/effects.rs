//! What a capability decided to do, as plain data: the pure decisions in `domain/` return these
//! and one shell (`handlers/effects.rs`) carries them out, idempotently, in order. Each variant
//! is named after what happens on GitHub or in the store; none holds a client, a handle or a
//! clock. Times a record keeps are decided here (passed in as `now`), so the same facts and the
//! same instant give the same effects.

use chrono::{DateTime, NaiveDate, Utc};

use super::requirements::Environment;
use super::rotation::Swap;

/// One thing to do on GitHub or in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    // --- GitHub -------------------------------------------------------------------------------
    /// relman's comment `kind`/`key` on `issue` reads `body`: edited in place when it exists
    /// (found by its hidden marker), posted otherwise. `repo` is another repository's
    /// `owner/name` (the Ops repository of a deployment request); `None` is the one at hand.
    UpsertComment {
        repo: Option<String>,
        issue: u64,
        kind: String,
        key: String,
        body: String,
    },
    /// A comment relman found by its id reads `body` (only that comment: nothing is posted).
    EditComment { comment_id: u64, body: String },
    /// The issue's body reads `body` (a tracking issue's dashboard).
    EditIssueBody { issue: u64, body: String },
    /// The issue is assigned to exactly these people.
    AssignIssue { issue: u64, assignees: Vec<String> },
    /// The issue closes as completed.
    CloseIssue { issue: u64 },
    /// The issue closes as not planned (a release day that will not ship).
    CloseIssueNotPlanned { issue: u64 },
    /// A new issue (guarded by the decision: only made when no issue of its own exists).
    CreateIssue {
        title: String,
        body: String,
        labels: Vec<String>,
        assignees: Vec<String>,
    },
    /// The check run `name` on `head_sha` is completed with this verdict: the existing run
    /// (`existing`) is updated, else one is created.
    CompleteCheckRun {
        existing: Option<u64>,
        name: String,
        head_sha: String,
        success: bool,
        title: String,
        summary: String,
    },
    /// The tag `tag` points at `sha` (created; one already at `sha` is a retry — a decision that
    /// must refuse a tag elsewhere reads where it is first, see `domain::release::tag_conflict`).
    CreateTag { tag: String, sha: String },
    /// The GitHub release of `tag`, named after it, reads `body` (the one a previous attempt
    /// created is found instead).
    CreateRelease {
        tag: String,
        sha: String,
        body: String,
    },
    /// A published release goes back to a draft.
    RevertReleaseToDraft { release_id: u64 },
    /// The answer to a custom deployment protection rule.
    ReviewDeployment {
        run_id: u64,
        environment: String,
        approved: bool,
        comment: String,
    },

    // --- The store ----------------------------------------------------------------------------
    /// Where the repository is installed (the scheduler and the calendar read it).
    RecordInstallation {
        installation_id: u64,
        repository_id: Option<u64>,
        at_ms: i64,
    },
    /// A pull request merged (the register's lead times start here).
    RecordMerge {
        pr: u64,
        merged_at_ms: i64,
        merge_sha: Option<String>,
    },
    /// Something people said about a release, appended to its log under `release_key`.
    AppendLog {
        release_key: String,
        note: LogNote,
        environment: Option<Environment>,
        text: Option<String>,
        actor: String,
        comment_id: u64,
        at_ms: i64,
    },
    /// An exchange of release-manager turns.
    RecordSwap {
        swap: Swap,
        by: String,
        comment_id: u64,
        at_ms: i64,
    },
    /// The fingerprint of what a release's tracking issue shows now.
    RecordBodyHash {
        release_id: i64,
        hash: String,
        at_ms: i64,
    },
    /// A tracked release changes hands.
    SetReleaseManager {
        release_id: i64,
        manager: String,
        at_ms: i64,
    },
    /// A tracked release ends without shipping (`state`: skipped or no changes), and why.
    MarkReleaseEnded {
        release_id: i64,
        state: Stage,
        reason: String,
        by: Option<String>,
        at_ms: i64,
    },
    /// A released release is confirmed and done with.
    MarkReleaseClosed { release_id: i64, at_ms: i64 },
    /// A release made by hand that met the requirements is the open release's cut.
    RecordCut {
        release_id: i64,
        version: String,
        tag: String,
        github_release_id: u64,
        release_url: String,
        sha: String,
        by: String,
        at_ms: i64,
    },
    /// What an environment runs now (and, when the version changed, its history).
    SetEnvironmentVersion {
        environment: String,
        sha: Option<String>,
        version: Option<String>,
        /// Where it was learnt: `deployment_status`, `deployments_api` or `version_url`.
        source: String,
        deployment_id: Option<u64>,
        at_ms: i64,
    },
    /// Releases reached staging or production (`production`) at `at_ms`: the register's times.
    MarkDeployed {
        production: bool,
        tags: Vec<String>,
        at_ms: i64,
    },
    /// The deployment request of `tag` was deployed.
    MarkRequestDeployed { tag: String, at_ms: i64 },
    /// "Released in `tag`" is commented on each of `prs`, in a job of its own (one call per PR,
    /// kept out of the command's budget).
    AnnounceRelease {
        tag: String,
        url: String,
        prs: Vec<u64>,
    },
    /// The release manager is reminded about `tag` at `at` (a job in the repository's queue).
    ScheduleHealthReminder {
        tag: String,
        at: DateTime<Utc>,
        queue_key: String,
        installation_id: u64,
    },

    // --- Other capabilities, asked to follow up ---------------------------------------------
    /// The open tracking issues are rendered again at once (a command changed what they show).
    RefreshTracking,
    /// The tracking issue of the release kept under `release_key` is rendered again.
    RefreshRelease { release_key: String },
    /// A refresh of the tracking issues is booked through the debounce window.
    ScheduleRefresh {
        installation_id: u64,
        repository_id: Option<u64>,
    },
    /// An open release PR is rebuilt to include the merge of `merged`.
    RebuildReleasePr { merged: u64 },
    /// The open tracking issue of the release (`release_id`, on `issue`) closes as skipped.
    SkipRelease {
        release_id: i64,
        issue: u64,
        reason: String,
        by: String,
    },
}

/// What a log entry says (the store keeps it as its own enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogNote {
    Signoff,
    QaOk,
    QaBlocker,
    QaClear,
    Healthy,
}

impl Effect {
    /// Whether this effect acts on GitHub (a write), rather than the store or a follow-up.
    pub fn writes_github(&self) -> bool {
        matches!(
            self,
            Effect::UpsertComment { .. }
                | Effect::EditComment { .. }
                | Effect::EditIssueBody { .. }
                | Effect::AssignIssue { .. }
                | Effect::CloseIssue { .. }
                | Effect::CloseIssueNotPlanned { .. }
                | Effect::CreateIssue { .. }
                | Effect::CompleteCheckRun { .. }
                | Effect::CreateTag { .. }
                | Effect::CreateRelease { .. }
                | Effect::RevertReleaseToDraft { .. }
                | Effect::ReviewDeployment { .. }
        )
    }
}

/// A tracked release as the decisions see it: the register's row, without the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseView {
    pub id: i64,
    /// The register's key (`regular:<date>`, `version:<tag>`…): where its log is kept.
    pub key: String,
    pub kind: super::expedited::Kind,
    pub scheduled_date: NaiveDate,
    pub release_date: Option<NaiveDate>,
    pub issue_number: Option<u64>,
    pub state: Stage,
    pub manager: Option<String>,
    pub tag: Option<String>,
    pub released_at: Option<i64>,
}

/// Where a tracked release is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Open,
    Released,
    Skipped,
    NoChanges,
}

impl Stage {
    /// As the replies name it.
    pub fn words(self) -> &'static str {
        match self {
            Stage::Open => "open",
            Stage::Released => "released",
            Stage::Skipped => "skipped",
            Stage::NoChanges => "no changes",
        }
    }
}

impl ReleaseView {
    /// How replies name a release: an expedited one by kind and tag, a regular one by its day
    /// and tracking issue.
    pub fn name(&self) -> String {
        use super::expedited::Kind;
        if self.kind != Kind::Regular {
            let issue = self
                .issue_number
                .map_or_else(String::new, |n| format!(" (#{n})"));
            return format!(
                "{} {}{issue}",
                self.kind,
                self.tag.as_deref().unwrap_or("(not cut)")
            );
        }
        let day = self.release_date.unwrap_or(self.scheduled_date);
        match self.issue_number {
            Some(n) => format!("the release of {day} (#{n})"),
            None => format!("the release of {day}"),
        }
    }
}

/// What a command's decision answers (the command runner turns it into its reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Done; an optional message for the reply.
    Done(Option<String>),
    /// Not done, because of something the user can fix; the message says what.
    Refused(String),
}
