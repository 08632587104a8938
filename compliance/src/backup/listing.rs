//! What `heepr backup list` shows: the catalog's backups with the warnings an operator must
//! act on (no verified backup, the newest verified one older than two days, the last attempt
//! failed).

use std::path::Path;

use serde::Serialize;

use super::catalog::{Attempt, AttemptOutcome, BackupEntry, read_catalog};
use super::error::BackupError;
use crate::base::clock::{DAY_MS, rfc3339};

/// A verified backup older than this (ms) is a warning: a restore would lose more than two
/// days. (policy: backups rotate on a 30-day cycle, taken daily by the scheduler.)
pub const STALE_VERIFIED_MS: i64 = 2 * DAY_MS;

/// The catalog as listed, with warnings; serialised as `backup list --json`.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    /// Backups, oldest first (as in the catalog).
    pub backups: Vec<BackupEntry>,
    /// The most recent backup attempt, if recorded.
    pub last_attempt: Option<Attempt>,
    /// The newest verified backup's id, if any: the one rotation keeps whatever its age.
    pub newest_verified: Option<String>,
    /// Problems to act on, in words; empty when all is well.
    pub warnings: Vec<String>,
}

/// Lists the backups of `dir` at `now_ms` with their warnings.
///
/// Errors: an unreadable or damaged catalog.
pub fn listing(dir: &Path, now_ms: i64) -> Result<Listing, BackupError> {
    let catalog = read_catalog(dir)?;
    let mut warnings = Vec::new();
    let newest_verified = catalog.newest_verified(dir).cloned();
    match &newest_verified {
        None if !catalog.backups.is_empty() => warnings.push(
            "no backup has passed verification: run `heepr backup verify <id>` on the newest"
                .to_string(),
        ),
        None => warnings.push(format!("no backups in {}", dir.display())),
        Some(b) if now_ms - b.created_at_ms > STALE_VERIFIED_MS => warnings.push(format!(
            "the newest verified backup ({}) was taken {}, {} days ago: more than 2 days would be lost on restore",
            b.id,
            rfc3339(b.created_at_ms),
            (now_ms - b.created_at_ms) / DAY_MS
        )),
        Some(_) => {}
    }
    if let Some(a) = catalog
        .last_attempt
        .as_ref()
        .filter(|a| a.outcome == AttemptOutcome::Failed)
    {
        warnings.push(format!(
            "the most recent backup attempt ({}) failed: {}; rotation is refused until a backup succeeds",
            rfc3339(a.at_ms),
            a.reason.as_deref().unwrap_or("no reason recorded")
        ));
    }
    Ok(Listing {
        backups: catalog.backups,
        last_attempt: catalog.last_attempt,
        newest_verified: newest_verified.map(|b| b.id),
        warnings,
    })
}
