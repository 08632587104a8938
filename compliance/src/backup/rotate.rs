//! The 30-day rotation (policy: "Backups are rotated on a 30-day cycle"): backups older than
//! the `backups` retention rule's cut-off leave the catalog first, then their files go.

use std::path::Path;

use super::catalog::{BackupEntry, read_catalog, write_catalog};
use super::error::BackupError;

/// Deletes backups older than `cutoff_ms` (files and catalog entries); returns the removed
/// entries. A backup exactly at the cut-off is kept.
///
/// Errors: the catalog or a file cannot be changed (already-removed files are fine).
pub fn rotate(dir: &Path, cutoff_ms: i64) -> Result<Vec<BackupEntry>, BackupError> {
    let mut catalog = read_catalog(dir)?;
    let (expired, kept): (Vec<_>, Vec<_>) = catalog
        .backups
        .into_iter()
        .partition(|b| b.created_at_ms < cutoff_ms);
    catalog.backups = kept;
    // Catalog first: a crash after this leaves orphan files, never entries without files.
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
