//! `heepr staff create`: a staff account of the privacy desk and its admin API token, shown
//! once.

use super::args::{GlobalArgs, StaffCommand};
use super::open;

/// Runs `heepr staff ...`.
///
/// Errors: those of [`open`]; a bad or taken email.
pub async fn run(global: &GlobalArgs, command: &StaffCommand) -> anyhow::Result<u8> {
    let StaffCommand::Create { email, role } = command;
    let (db, _) = open(global).await?;
    let now = chrono::Utc::now().timestamp_millis();
    let (member, token) = crate::identity::staff::create(&db, email, *role, now)
        .await
        .map_err(|e| anyhow::anyhow!("staff create: {}", e.public_message()))?;
    println!(
        "staff account {} ({}) created, role {}",
        member.id, member.email, member.role
    );
    println!("admin API token (shown once, store it now): {token}");
    Ok(0)
}
