//! `heepr demo-data`: fills an empty database with deterministic demo data, the marketplace
//! over its first accounts, and the demo files on disk.

use super::args::GlobalArgs;
use super::open;
use crate::devtools::demo::{self, DemoDataArgs, files};

/// Runs `heepr demo-data`.
///
/// Errors: a database that already has accounts; a failed write.
pub async fn run(global: &GlobalArgs, args: &DemoDataArgs) -> anyhow::Result<u8> {
    let (db, _) = open(global).await?;
    let report = demo::generate(&db, args.accounts, args.seed).await?;
    println!("{report}");
    let market_accounts =
        &report.account_ids[..report.account_ids.len().min(demo::MARKETPLACE_ACCOUNTS)];
    if market_accounts.len() >= 4 {
        let market = demo::generate_marketplace(&db, args.seed, market_accounts).await?;
        let files = files::write_files(&global.data_dir, args.seed, market_accounts.len())?;
        println!(
            "{market}; {files} demo files written under {}",
            global.data_dir.join("files").display()
        );
    }
    Ok(0)
}
