//! What every handler is given: the GitHub App (as a port, so a test can give a fake), the store,
//! the clock and short-lived caches.

use std::sync::Arc;

use super::permissions::PermissionCache;
use crate::clock::Clock;
use crate::config::load::ConfigCache;
use crate::github::GitHubAppPort;
use crate::store::Store;

/// What handlers share: the GitHub App, the store, the clock and short-lived caches.
pub struct Context {
    pub github: Arc<dyn GitHubAppPort>,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub permissions: PermissionCache,
    pub configs: ConfigCache,
}

impl Context {
    pub fn new(github: Arc<dyn GitHubAppPort>, store: Store, clock: Arc<dyn Clock>) -> Self {
        Context {
            github,
            store,
            clock,
            permissions: PermissionCache::default(),
            configs: ConfigCache::default(),
        }
    }
}
