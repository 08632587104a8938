//! The backup catalog (`catalog.json` in the backup directory): every backup with its time,
//! size, SHA-256, schema version and backend, read and replaced atomically; and the
//! integrity check every restore and verification starts with.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{BackupError, io};
use crate::base::db::{Backend, Db};

/// One backup in the catalog.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BackupEntry {
    /// Id (time-ordered), also the file's stem.
    pub id: String,
    /// When it was taken (Unix ms, UTC).
    pub created_at_ms: i64,
    /// File name inside the backup directory.
    pub file: String,
    /// File size (bytes).
    pub size_bytes: u64,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    /// Highest migration version applied when it was taken.
    pub schema_version: i64,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// When it last passed verification (Unix ms), if ever.
    pub verified_at_ms: Option<i64>,
}

/// The catalog file's contents.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Catalog {
    /// Backups, oldest first.
    pub backups: Vec<BackupEntry>,
    /// The most recent backup attempt, successful or not: rotation refuses to run after a
    /// failed one, so a day whose backup failed never also loses an old backup. `None` in
    /// catalogs written before attempts were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt: Option<Attempt>,
}

/// One backup attempt, as recorded in the catalog.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Attempt {
    /// When it started (Unix ms, UTC).
    pub at_ms: i64,
    /// Whether it produced a catalogued backup.
    pub outcome: AttemptOutcome,
    /// Why it failed (no password: backup errors never carry one); `None` on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// How a backup attempt ended.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// A backup was written and catalogued.
    Succeeded,
    /// No backup was written; see the reason.
    Failed,
}

impl Catalog {
    /// The newest backup that passed verification and whose file is still in `dir`, or,
    /// when none has, the newest backup whose file is present: the one rotation never
    /// deletes, whatever its age (an unverified backup is still better than none).
    pub fn protected(&self, dir: &Path) -> Option<&BackupEntry> {
        let newest = |verified_only: bool| {
            self.backups
                .iter()
                .filter(|b| !verified_only || b.verified_at_ms.is_some())
                .filter(|b| dir.join(&b.file).exists())
                .max_by_key(|b| (b.created_at_ms, b.id.as_str()))
        };
        newest(true).or_else(|| newest(false))
    }

    /// The newest verified backup (whose file is present), if any.
    pub fn newest_verified(&self, dir: &Path) -> Option<&BackupEntry> {
        self.protected(dir).filter(|b| b.verified_at_ms.is_some())
    }
}

const CATALOG: &str = "catalog.json";

/// Reads the catalog of `dir` (empty when there is none yet).
///
/// Errors: an unreadable or damaged catalog.
pub fn read_catalog(dir: &Path) -> Result<Catalog, BackupError> {
    let path = dir.join(CATALOG);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| BackupError::Catalog {
            path,
            reason: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Catalog::default()),
        Err(e) => Err(BackupError::Io { path, source: e }),
    }
}

/// Replaces the catalog of `dir` atomically (written under a `.partial` name, renamed).
/// The `.partial` suffix is what [`remove_partials`] cleans up after a kill.
pub(super) fn write_catalog(dir: &Path, catalog: &Catalog) -> Result<(), BackupError> {
    let tmp = dir.join(format!("{CATALOG}.partial"));
    let text = serde_json::to_string_pretty(catalog).map_err(|e| BackupError::Catalog {
        path: tmp.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(&tmp, text).map_err(io(&tmp))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).map_err(io(&tmp))?;
    let path = dir.join(CATALOG);
    std::fs::rename(&tmp, &path).map_err(io(&path))
}

/// Whether `name` is a temporary file of an unfinished write: every temporary file in the
/// backup directory carries `.partial` (`x.sqlite.partial`, `catalog.json.partial`) and
/// SQLite's side files of one keep it (`x.sqlite.partial-journal`, `-wal`).
pub(super) fn is_partial(name: &str) -> bool {
    name.contains(".partial")
}

/// Removes what an interrupted backup, verification or catalog write left in `dir` (every
/// `*.partial*` file); returns how many went. A missing directory holds none.
///
/// Errors: the directory cannot be listed or a file cannot be removed.
pub fn remove_partials(dir: &Path) -> Result<usize, BackupError> {
    let items = match std::fs::read_dir(dir) {
        Ok(items) => items,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => {
            return Err(BackupError::Io {
                path: dir.to_path_buf(),
                source: e,
            });
        }
    };
    let mut removed = 0;
    for item in items {
        let item = item.map_err(io(dir))?;
        if !is_partial(&item.file_name().to_string_lossy()) {
            continue;
        }
        let path = item.path();
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(BackupError::Io { path, source: e }),
        }
    }
    Ok(removed)
}

pub(super) fn find(catalog: &Catalog, id: &str) -> Result<BackupEntry, BackupError> {
    catalog
        .backups
        .iter()
        .find(|b| b.id == id)
        .cloned()
        .ok_or_else(|| BackupError::UnknownBackup(id.to_string()))
}

/// Checks a backup's size and SHA-256 against the catalog.
///
/// Errors: unknown id, unreadable file, [`BackupError::ChecksumMismatch`].
pub fn check_integrity(dir: &Path, id: &str) -> Result<BackupEntry, BackupError> {
    let entry = find(&read_catalog(dir)?, id)?;
    let (sha256, size) = file_digest(&dir.join(&entry.file))?;
    if sha256 != entry.sha256 || size != entry.size_bytes {
        return Err(BackupError::ChecksumMismatch {
            id: entry.id,
            expected: entry.sha256,
            found: sha256,
        });
    }
    Ok(entry)
}

/// SHA-256 (hex) and size of a file, read in 64 KiB chunks.
pub fn file_digest(path: &Path) -> Result<(String, u64), BackupError> {
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// The highest applied migration version.
pub async fn schema_version(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM _sqlx_migrations WHERE success = TRUE OR CAST(success AS TEXT) IN ('1', 'true')")
        .fetch_one(db.pool())
        .await
}

/// The backend as the catalog names it.
pub(super) fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}
