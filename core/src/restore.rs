//! What must happen after a backup is restored, so a restore never brings back a person who
//! was erased after the backup was taken.

use std::path::Path;

use heepr_compliance::{Db, Policies};

/// Re-applies every erasure recorded after `backup_taken_ms` (Unix ms); returns how many.
///
/// Errors: the erasure ledger cannot be read or an erasure fails.
pub async fn after_restore(
    _db: &Db,
    _policies: &Policies,
    _data_dir: &Path,
    _backup_taken_ms: i64,
) -> anyhow::Result<usize> {
    // The erasure ledger arrives with the data-subject-request engine; until then there is
    // nothing recorded to replay.
    Ok(0)
}
