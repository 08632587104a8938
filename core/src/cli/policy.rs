//! `heepr policy publish`: publishes a privacy policy version and, when it is material,
//! queues a change notice to every active account.

use super::args::{GlobalArgs, PolicyCommand};
use super::open;
use crate::privacy::notices;

/// Runs `heepr policy ...`.
///
/// Errors: those of [`open`] and [`notices::publish`].
pub async fn run(global: &GlobalArgs, command: &PolicyCommand) -> anyhow::Result<u8> {
    let PolicyCommand::Publish(args) = command;
    let (db, policies) = open(global).await?;
    let limits = notices::BatchLimits {
        batch_size: args.batch_size,
        max_batches: None,
    };
    let report = notices::publish(
        &db,
        &policies,
        &heepr_compliance::SystemClock,
        &args.public_url,
        &args.version,
        limits,
    )
    .await?;
    println!("{report}");
    Ok(0)
}
