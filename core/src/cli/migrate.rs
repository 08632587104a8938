//! `heepr migrate`: applies pending migrations (opening the database does) and says where.

use super::args::GlobalArgs;
use super::open;

/// Runs `heepr migrate`.
///
/// Errors: those of [`open`].
pub async fn run(global: &GlobalArgs) -> anyhow::Result<u8> {
    let (_db, _) = open(global).await?;
    println!("migrations applied ({})", db_label(global));
    Ok(0)
}

fn db_label(global: &GlobalArgs) -> String {
    match &global.database_url {
        Some(url) => heepr_compliance::db::redact_url(url),
        None => global.data_dir.join("heepr.db").display().to_string(),
    }
}
