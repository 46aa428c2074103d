//! The release train's shared operations, below the capabilities that use them: publishing a
//! release (tag, GitHub release, announcements), the cherry-picked branch of an expedited release,
//! the tracking issues (regular and expedited)
//! kept current, and filing the deployment request. Commands and events reach these through
//! their capability; nothing here imports a capability, the command router or dispatch.
//!
//! Inside, only `tracking` calls its siblings (`deploy_request`, `expedited`).

pub mod cherry_pick;
pub mod deploy_request;
pub mod expedited;
pub mod publish;
pub mod tracking;

/// The marker kind of the checklist comment on merged PRs (the deployment request reads the
/// config changes authors ticked there).
pub use crate::domain::merged_pr::CHECKLIST_KIND;
