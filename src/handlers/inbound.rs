//! A stored work item, typed once: a webhook's payload becomes an [`Event`] here and nowhere else
//! on the way to a capability, and a job's name a [`Job`]. It sits at the top beside `dispatch`,
//! because some payload types belong to the capability that reads them (deployment status,
//! protection rule, push, installation).

use serde::de::DeserializeOwned;

use super::config_check::{InstallationEvent, PushEvent};
use super::environments::DeploymentStatusEvent;
use super::events::{
    Common, IssueCommentEvent, PullRequestEvent, ReleaseEvent, ReviewCommentEvent, ReviewEvent,
};
use super::protection_rule::ProtectionRuleEvent;

/// A webhook relman acts on, by its `X-GitHub-Event` name.
#[derive(Debug)]
pub enum Event {
    IssueComment(IssueCommentEvent),
    ReviewComment(ReviewCommentEvent),
    Review(ReviewEvent),
    PullRequest(PullRequestEvent),
    DeploymentStatus(DeploymentStatusEvent),
    /// `check_run`, `check_suite`, `status`: what the tracking issues show changed.
    ChecksChanged(Common),
    Release(ReleaseEvent),
    ProtectionRule(ProtectionRuleEvent),
    Push(PushEvent),
    /// `installation`, `installation_repositories`.
    Installation(InstallationEvent),
    /// Subscribed, recorded, not acted on.
    Other(Common),
}

impl Event {
    /// Reads the payload of a webhook named `name`.
    pub fn parse(name: &str, payload: &[u8]) -> Result<Event, serde_json::Error> {
        fn read<T: DeserializeOwned>(payload: &[u8]) -> Result<T, serde_json::Error> {
            serde_json::from_slice(payload)
        }
        Ok(match name {
            "issue_comment" => Event::IssueComment(read(payload)?),
            "pull_request_review_comment" => Event::ReviewComment(read(payload)?),
            "pull_request_review" => Event::Review(read(payload)?),
            "pull_request" => Event::PullRequest(read(payload)?),
            "deployment_status" => Event::DeploymentStatus(read(payload)?),
            "check_run" | "check_suite" | "status" => Event::ChecksChanged(read(payload)?),
            "release" => Event::Release(read(payload)?),
            "deployment_protection_rule" => Event::ProtectionRule(read(payload)?),
            "push" => Event::Push(read(payload)?),
            "installation" | "installation_repositories" => Event::Installation(read(payload)?),
            _ => Event::Other(read(payload)?),
        })
    }
}

/// A scheduled job, by the name it was booked under (each name is its module's constant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// `train-tick`: fan the train out to every repository.
    TrainTick,
    /// `train`: one repository's catch-up.
    Train,
    /// `tracking-refresh`: re-render one repository's tracking issues.
    TrackingRefresh,
    /// `announce-release`: "released in" on each PR of a release.
    Announce,
    /// `monitoring-reminder`.
    MonitoringReminder,
    /// `version-poll`.
    VersionPoll,
    /// `redeliver`: ask GitHub again for failed deliveries.
    Redeliver,
    /// A name this build does not know (booked by a newer or older one).
    Unknown,
}

impl Job {
    pub fn of(name: &str) -> Job {
        use super::train::{publish, tracking};
        match name {
            tracking::TICK_JOB => Job::TrainTick,
            tracking::TRAIN_JOB => Job::Train,
            tracking::REFRESH_JOB => Job::TrackingRefresh,
            publish::ANNOUNCE_JOB => Job::Announce,
            super::monitoring::REMINDER_JOB => Job::MonitoringReminder,
            super::environments::POLL_JOB => Job::VersionPoll,
            crate::redeliver::JOB => Job::Redeliver,
            _ => Job::Unknown,
        }
    }

    /// Jobs that only keep things up to date for people to read — dashboard refreshes, release
    /// announcements — and wait for the rate-limit reset when an installation is short (version
    /// polls, one global job, leave such installations out instead:
    /// `environments::poll_versions`).
    pub fn deferrable(self) -> bool {
        matches!(self, Job::TrackingRefresh | Job::Announce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_job_name_is_one_variant_and_only_refreshes_and_announcements_wait() {
        let names = [
            ("train-tick", Job::TrainTick),
            ("train", Job::Train),
            ("tracking-refresh", Job::TrackingRefresh),
            ("announce-release", Job::Announce),
            ("monitoring-reminder", Job::MonitoringReminder),
            ("version-poll", Job::VersionPoll),
            (crate::redeliver::JOB, Job::Redeliver),
            ("no-such-job", Job::Unknown),
        ];
        for (name, job) in names {
            assert_eq!(Job::of(name), job, "{name}");
        }
        let waiting: Vec<Job> = names
            .iter()
            .map(|(_, j)| *j)
            .filter(|j| j.deferrable())
            .collect();
        assert_eq!(waiting, [Job::TrackingRefresh, Job::Announce]);
    }

    #[test]
    fn checks_and_unknown_events_read_as_their_common_fields() {
        let payload = br#"{"action":"completed","installation":{"id":7},"repository":{"id":3,"full_name":"acme/shop"},"sender":{"login":"ci"}}"#;
        let Event::ChecksChanged(common) = Event::parse("check_suite", payload).unwrap() else {
            panic!("check_suite is a change of checks");
        };
        assert_eq!(common.installation.map(|i| i.id), Some(7));
        assert!(matches!(
            Event::parse("create", payload).unwrap(),
            Event::Other(_)
        ));
        assert!(
            Event::parse("pull_request", payload).is_err(),
            "a PR event needs its PR"
        );
    }
}
