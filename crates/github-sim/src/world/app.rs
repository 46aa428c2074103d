//! The App itself, its installations and tokens, webhook deliveries and manifest codes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Timestamp, UserKind, World};

/// An installation of the App on an account.
#[derive(Debug, Clone, PartialEq)]
pub struct Installation {
    pub id: u64,
    /// Login of the account the App is installed on.
    pub account: String,
    /// Full names (`owner/name`) of the repositories the installation can see.
    pub repositories: BTreeSet<String>,
    /// `all` or `selected`.
    pub repository_selection: String,
    pub permissions: BTreeMap<String, String>,
    pub events: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An installation access token handed out by the sim.
#[derive(Debug, Clone, PartialEq)]
pub struct InstallationToken {
    pub token: String,
    pub installation_id: u64,
    /// Wall-clock expiry: the client compares it with its own clock.
    pub expires_at: Timestamp,
    /// Set by `Fault::ExpireTokens`: the token is refused from then on.
    pub revoked: bool,
    /// When the token was narrowed to some repositories at creation.
    pub repositories: Option<BTreeSet<String>>,
}

/// A webhook delivery of the App, as listed by `GET /app/hook/deliveries`.
#[derive(Debug, Clone, PartialEq)]
pub struct HookDelivery {
    pub id: u64,
    pub guid: String,
    pub delivered_at: Timestamp,
    pub redelivery: bool,
    pub duration: f64,
    /// e.g. `OK`, `Invalid HTTP Response: 503`, `timed out`.
    pub status: String,
    pub status_code: u16,
    pub event: String,
    pub action: Option<String>,
    pub installation_id: Option<u64>,
    pub repository_id: Option<u64>,
    /// The payload that was sent, so a test harness can resend it.
    pub payload: Value,
}

/// The credentials GitHub hands back when an App manifest is converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestApp {
    pub id: u64,
    pub slug: String,
    pub name: String,
    pub owner: String,
    pub client_id: String,
    pub client_secret: String,
    pub webhook_secret: String,
    pub pem: String,
    pub created_at: Timestamp,
}

/// The App itself, as `GET /app` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppInfo {
    pub id: u64,
    pub slug: String,
    pub name: String,
    pub owner: String,
    pub description: String,
    pub client_id: String,
    pub permissions: BTreeMap<String, String>,
    pub events: Vec<String>,
    pub created_at: Timestamp,
}

impl World {
    /// Installs the App on `account` under a fresh id.
    pub fn add_installation(&mut self, account: &str) -> u64 {
        let id = self.next_id();
        self.add_installation_with_id(id, account)
    }

    /// Installs the App on `account` under `id` (e.g. 77 to match fixtures).
    /// Returns `id`. Installing again under the same id keeps its repositories.
    pub fn add_installation_with_id(&mut self, id: u64, account: &str) -> u64 {
        if !self.users.contains_key(account) {
            self.add_user(account, UserKind::Organization);
        }
        let now = self.now;
        let permissions = self.app.permissions.clone();
        let events = self.app.events.clone();
        self.installations
            .entry(id)
            .or_insert_with(|| Installation {
                id,
                account: account.to_string(),
                repositories: BTreeSet::new(),
                repository_selection: "selected".to_string(),
                permissions,
                events,
                created_at: now,
                updated_at: now,
            });
        // Keep generated ids above explicit ones so they stay unique.
        self.next_id = self.next_id.max(id);
        id
    }

    /// The installation that can see repository `full_name`.
    pub fn installation_for(&self, full_name: &str) -> Option<&Installation> {
        self.installations
            .values()
            .find(|installation| installation.repositories.contains(full_name))
    }

    /// Records an App webhook delivery (for the deliveries API). Returns its id.
    pub fn add_delivery(&mut self, event: &str, payload: Value, status_code: u16) -> u64 {
        let id = self.next_id();
        let action = payload
            .get("action")
            .and_then(Value::as_str)
            .map(str::to_string);
        let installation_id = payload.pointer("/installation/id").and_then(Value::as_u64);
        let repository_id = payload.pointer("/repository/id").and_then(Value::as_u64);
        self.deliveries.push(HookDelivery {
            id,
            guid: guid(id),
            delivered_at: self.now,
            redelivery: false,
            duration: 0.12,
            status: delivery_status(status_code),
            status_code,
            event: event.to_string(),
            action,
            installation_id,
            repository_id,
            payload,
        });
        id
    }

    /// Records a later attempt of delivery `of` (GitHub's redelivery: same GUID, same payload,
    /// `redelivery: true`), answered with `status_code`. Returns its id, or `None` when `of` is
    /// unknown.
    pub fn add_delivery_attempt(&mut self, of: u64, status_code: u16) -> Option<u64> {
        let original = self.deliveries.iter().find(|d| d.id == of)?.clone();
        let id = self.next_id();
        self.deliveries.push(HookDelivery {
            id,
            delivered_at: self.now,
            redelivery: true,
            status: delivery_status(status_code),
            status_code,
            ..original
        });
        Some(id)
    }

    /// Registers a one-time manifest code that converts into a new App.
    pub fn add_manifest_code(&mut self, code: &str, owner: &str) -> ManifestApp {
        if !self.users.contains_key(owner) {
            self.add_user(owner, UserKind::Organization);
        }
        let id = self.next_id();
        let app = ManifestApp {
            id,
            slug: "relman-manifest".to_string(),
            name: "relman".to_string(),
            owner: owner.to_string(),
            client_id: format!("Iv23li{id:014}"),
            client_secret: format!("{:040x}", u128::from(id) * 7919),
            webhook_secret: format!("whsec-{id}"),
            pem: crate::PRIVATE_KEY_PKCS1_PEM.to_string(),
            created_at: self.now,
        };
        self.manifest_conversions
            .insert(code.to_string(), app.clone());
        app
    }

    /// Marks every installation token as expired (`Fault::ExpireTokens`).
    pub fn expire_all_tokens(&mut self) {
        for token in self.tokens.values_mut() {
            token.revoked = true;
        }
    }
}

/// How GitHub's delivery log describes an answer.
fn delivery_status(status_code: u16) -> String {
    match status_code {
        0 => "timed out".to_string(),
        200..=299 => "OK".to_string(),
        _ => format!("Invalid HTTP Response: {status_code}"),
    }
}

/// A delivery GUID derived from its id (GitHub's are UUIDs).
pub(crate) fn guid(id: u64) -> String {
    let hex = format!(
        "{:032x}",
        u128::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    );
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_explicit_installation_ids_are_respected() {
        let mut world = World::new();
        world.add_repo("acme/web").installation(77);
        assert_eq!(world.installation_for("acme/web").map(|i| i.id), Some(77));
        let a = world.next_id();
        let b = world.next_id();
        assert!(b > a && a > 77);
    }
}
