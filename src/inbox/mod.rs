//! The durable inbox: deliveries and jobs are rows, not channel messages, so an accepted delivery
//! survives a crash. Ingress and the scheduler write through the [`writer::InboxWriter`];
//! [`worker`]s claim rows under a lease and hand them to a [`Processor`].

pub mod retry;
pub mod scheduler;
pub mod worker;
pub mod writer;

use std::future::Future;

use crate::store::work::ClaimedItem;

/// Why processing an item failed, which decides whether it is tried again.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// Might work later (GitHub down, rate limited, database busy): retried with backoff.
    #[error("{0}")]
    Retryable(String),
    /// Will never work (a payload we cannot read): parked as dead at once, kept for a human.
    #[error("{0}")]
    Permanent(String),
}

/// What runs an item: relman's event and job handlers in production, a recorder in tests.
pub trait Processor: Send + Sync + 'static {
    fn process(&self, item: &ClaimedItem) -> impl Future<Output = Result<(), ProcessError>> + Send;
}
