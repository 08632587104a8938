//! The 30-day rotation (policy: "Backups are rotated on a 30-day cycle"): backups older than
//! the `backups` retention rule's cut-off leave the catalog first, then their files go.
//!
//! Guarantees:
//! - **Never to zero.** The newest verified backup is kept whatever its age; when none has
//!   been verified, the newest backup is kept instead (an unverified copy is still better
//!   than none, and a scheduler that was down for weeks must not wake up to an empty
//!   directory). See [`super::Catalog::protected`].
//! - **Not after a failed backup.** When the catalog's last attempt failed, rotation refuses
//!   with [`BackupError::LastBackupFailed`] and deletes nothing, until a backup succeeds.
//! - **No leftovers.** `*.partial*` files of interrupted runs are removed first.
//! - **Catalog first.** A crash mid-rotation leaves orphan files, never entries without files.

use std::path::Path;

use super::catalog::{AttemptOutcome, BackupEntry, read_catalog, remove_partials, write_catalog};
use super::error::BackupError;

/// Deletes backups older than `cutoff_ms` (files and catalog entries), except the one
/// rotation always keeps; returns the removed entries. A backup exactly at the cut-off is
/// kept. A missing directory has nothing to rotate.
///
/// Errors: [`BackupError::LastBackupFailed`] when the most recent backup attempt failed
/// (nothing is deleted); the catalog or a file cannot be changed (already-removed files are
/// fine).
pub fn rotate(dir: &Path, cutoff_ms: i64) -> Result<Vec<BackupEntry>, BackupError> {
    remove_partials(dir)?;
    let mut catalog = read_catalog(dir)?;
    if let Some(attempt) = catalog
        .last_attempt
        .as_ref()
        .filter(|a| a.outcome == AttemptOutcome::Failed)
    {
        return Err(BackupError::LastBackupFailed {
            at_ms: attempt.at_ms,
            reason: attempt.reason.clone().unwrap_or_default(),
        });
    }
    let keep_id = catalog.protected(dir).map(|b| b.id.clone());
    let (expired, kept): (Vec<_>, Vec<_>) = catalog
        .backups
        .into_iter()
        .partition(|b| b.created_at_ms < cutoff_ms && Some(&b.id) != keep_id.as_ref());
    if expired.is_empty() {
        return Ok(expired);
    }
    catalog.backups = kept;
    write_catalog(dir, &catalog)?;
    for b in &expired {
        let path = dir.join(&b.file);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(BackupError::Io { path, source: e }),
        }
    }
    Ok(expired)
}
