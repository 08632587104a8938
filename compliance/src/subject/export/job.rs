//! What an export is asked to do ([`ExportJob`]), what it produced ([`ExportOutcome`]) and
//! why it can fail ([`ExportError`]).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::policy::data_map::DataMap;

/// What to export and where.
#[derive(Debug, Clone)]
pub struct ExportJob<'a> {
    /// The data map driving the export.
    pub map: &'a DataMap,
    /// The data subject (account id).
    pub account_id: &'a str,
    /// Root that `file` columns' paths are relative to.
    pub data_dir: &'a Path,
    /// Directory the archive is written to (created if missing).
    pub out_dir: &'a Path,
    /// The archive's file name, e.g. `<request id>.tar.gz` (no directories).
    pub archive_name: &'a str,
    /// Generation time (Unix ms): in the manifest and every entry's mtime.
    pub generated_at_ms: i64,
}

/// A finished archive.
#[derive(Debug, Clone, Serialize)]
pub struct ExportOutcome {
    /// Where the archive is.
    pub path: PathBuf,
    /// Its size (bytes).
    pub size_bytes: u64,
    /// Its SHA-256 (hex).
    pub sha256: String,
    /// Section names, in archive order.
    pub sections: Vec<String>,
    /// Files included under `files/`.
    pub files: usize,
    /// File rows whose stored file was missing.
    pub missing_files: usize,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file or directory could not be written or read.
    #[error("{}", path.display())]
    Io {
        /// The path at fault.
        path: PathBuf,
        /// The OS's reason.
        source: std::io::Error,
    },
    /// The database failed.
    #[error("database")]
    Db(#[from] sqlx::Error),
    /// The data map cannot drive an export (bad identifier).
    #[error("data map: {0}")]
    Policy(String),
}

/// Maps an I/O error on `path` to [`ExportError::Io`].
pub(super) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}
