//! `heepr-admin`: see the crate docs and the README's "Admin console" section.

use clap::Parser;
use heepr_admin_tui::config::{Args, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::resolve(Args::parse())?;
    heepr_admin_tui::terminal::run(config).await
}
