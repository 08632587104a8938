//! Why a backup operation failed ([`BackupError`]): every variant names the file, the
//! backup or the tool, and none carries a database password.

use std::path::{Path, PathBuf};

/// Why a backup operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// File system trouble, with the path.
    #[error("{path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The catalog file is not valid JSON.
    #[error("{path}: catalog is damaged: {reason}")]
    Catalog {
        /// The catalog file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No backup with that id.
    #[error("no backup {0:?} in the catalog (see `heepr backup list`)")]
    UnknownBackup(String),
    /// The file does not match its recorded checksum or size.
    #[error(
        "backup {id} fails its checksum: expected {expected}, found {found}; it will not be restored"
    )]
    ChecksumMismatch {
        /// Backup id.
        id: String,
        /// Recorded SHA-256.
        expected: String,
        /// Actual SHA-256.
        found: String,
    },
    /// The backup was taken by a newer heepr.
    #[error(
        "backup {id} has schema version {backup}, newer than this heepr's {known}: upgrade heepr first"
    )]
    NewerSchema {
        /// Backup id.
        id: String,
        /// The backup's schema version.
        backup: i64,
        /// The newest this binary knows.
        known: i64,
    },
    /// The backup is of the other backend.
    #[error("backup {id} is a {backup} backup; this database is {current}")]
    WrongBackend {
        /// Backup id.
        id: String,
        /// The backup's backend.
        backup: String,
        /// This database's backend.
        current: String,
    },
    /// A test restore found a problem.
    #[error("backup {id} failed its test restore: {reason}")]
    TestRestore {
        /// Backup id.
        id: String,
        /// What went wrong.
        reason: String,
    },
    /// An external tool (pg_dump, pg_restore) failed.
    #[error("{tool} failed: {stderr}")]
    Tool {
        /// The program.
        tool: &'static str,
        /// Its stderr (no passwords: the URL is passed without one).
        stderr: String,
    },
    /// The most recent backup attempt failed, so rotation deletes nothing until a backup
    /// succeeds (a day without a new backup must not also lose an old one).
    #[error(
        "not rotating: the most recent backup attempt ({}) failed: {reason}; take a backup that succeeds first (`heepr backup create`)",
        crate::base::clock::rfc3339(*at_ms)
    )]
    LastBackupFailed {
        /// When the failed attempt started (Unix ms).
        at_ms: i64,
        /// Why it failed.
        reason: String,
    },
    /// A database error.
    #[error("database")]
    Db(#[from] sqlx::Error),
}

/// Maps an I/O error on `path` to [`BackupError::Io`].
pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}
