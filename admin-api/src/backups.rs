//! The backup catalog.

use serde::{Deserialize, Serialize};

/// One backup in the catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Backup {
    /// Id (time-ordered), also the file's stem.
    pub id: String,
    /// When it was taken (Unix ms, UTC).
    pub created_at_ms: i64,
    /// File name inside the backup directory.
    pub file: String,
    /// File size (bytes).
    pub size_bytes: u64,
    /// SHA-256 of the file (lower-case hex).
    pub sha256: String,
    /// Highest migration version applied when it was taken.
    pub schema_version: i64,
    /// The database it came from: `sqlite` or `postgres`.
    pub backend: String,
    /// When it last passed a test restore (Unix ms), if ever.
    pub verified_at_ms: Option<i64>,
    /// Whether the file is still in the backup directory.
    pub file_present: bool,
}

/// `GET /backups`: oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BackupList {
    /// The catalog's backups.
    pub backups: Vec<Backup>,
    /// What an operator must act on, as `heepr backup list` prints it: no verified backup,
    /// the newest verified one older than 2 days, or the last attempt failed. Empty when
    /// all is well.
    pub warnings: Vec<String>,
}
