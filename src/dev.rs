//! `relman serve --dev`: relman against an in-process fake GitHub, on SQLite, with a development
//! webhook secret — everything a newcomer needs to see it run, without a GitHub App.

use github_sim::{GitHubSim, Permission};

use crate::config::settings::ServeArgs;

pub const DEV_SECRET: &str = "development";
pub const DEV_DATABASE_URL: &str = "sqlite://relman-dev.db";
/// The installation and repository the webhook fixtures in `tests/fixtures/` refer to.
pub const DEV_INSTALLATION: u64 = 77;
pub const DEV_REPO: &str = "acme/web";

/// Starts the fake GitHub with the fixtures' repository and fills in what `args` leaves unset.
pub async fn start(args: &mut ServeArgs) -> GitHubSim {
    let sim = GitHubSim::start().await;
    sim.with(|world| {
        world.add_installation_with_id(DEV_INSTALLATION, "acme");
        world
            .add_repo(DEV_REPO)
            .installation(DEV_INSTALLATION)
            .collaborator("alice", Permission::Admin)
            .collaborator("bob", Permission::Write)
            .collaborator("quinn", Permission::Write)
            .collaborator("rita", Permission::Read);
    });
    args.app
        .app_id
        .get_or_insert_with(|| github_sim::APP_ID.to_string());
    if args.app.private_key.is_none() && args.app.private_key_path.is_none() {
        args.app.private_key = Some(github_sim::PRIVATE_KEY_PKCS1_PEM.to_string());
    }
    args.webhook_secret
        .get_or_insert_with(|| DEV_SECRET.to_string());
    args.app.github_api_url = Some(sim.api_url());
    args.database_url
        .get_or_insert_with(|| DEV_DATABASE_URL.to_string());
    args.host.get_or_insert_with(|| "127.0.0.1".to_string());
    sim
}
