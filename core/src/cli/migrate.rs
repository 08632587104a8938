//! `heepr migrate`: applies pending migrations (opening the database does) and says where,
//! then lists the accounts whose email looks like an older account's (same matching key):
//! the upgrade does not fail on them, staff resolve them.

use anyhow::Context;

use super::args::GlobalArgs;
use super::open;
use crate::identity::accounts::email_keys;

/// Runs `heepr migrate`: exit 0 even with look-alike emails (they are listed).
///
/// Errors: those of [`open`].
pub async fn run(global: &GlobalArgs) -> anyhow::Result<u8> {
    let (db, _) = open(global).await?;
    println!("migrations applied ({})", db_label(global));
    let collisions = email_keys::backfill(&db)
        .await
        .context("listing look-alike emails")?;
    if !collisions.is_empty() {
        println!(
            "{} account(s) have an email that looks the same as an older account's: they cannot log in by email until staff rectify or erase one of each pair:",
            collisions.len()
        );
        for c in &collisions {
            println!(
                "  account {} looks like account {}",
                c.account_id, c.same_as
            );
        }
    }
    Ok(0)
}

fn db_label(global: &GlobalArgs) -> String {
    match &global.database_url {
        Some(url) => heepr_compliance::db::redact_url(url),
        None => global.data_dir.join("heepr.db").display().to_string(),
    }
}
