//! `heepr audit verify`: recomputes the audit trail's hash chain.

use anyhow::bail;

use super::args::{AuditCommand, GlobalArgs};
use super::open;

/// Runs `heepr audit ...`.
///
/// Errors: those of [`open`]; a broken chain (the first broken entry and why).
pub async fn run(global: &GlobalArgs, command: &AuditCommand) -> anyhow::Result<u8> {
    let AuditCommand::Verify = command;
    let (db, _) = open(global).await?;
    let v = heepr_compliance::audit::verify(db.pool()).await?;
    match v.first_broken {
        None => {
            println!("audit chain OK: {} entries verified", v.entries);
            Ok(0)
        }
        Some(b) => bail!(
            "audit chain BROKEN at entry {}: {} ({} entries before it verified)",
            b.seq,
            b.reason,
            v.entries
        ),
    }
}
