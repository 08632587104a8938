//! Restoring a backup over the live database, only after its checksum, backend and schema
//! version check out. Erasures made since the backup are re-applied by the caller from the
//! erasure ledger file ([`crate::records::erasure_ledger`]).

use std::path::{Path, PathBuf};

use super::catalog::{BackupEntry, backend_name, check_integrity};
use super::error::{BackupError, io};
use super::pg_tools::run_pg_tool;
use crate::base::db::Backend;

/// Replaces the database at `url` with backup `id`, after checking its checksum, backend
/// and schema version (`known_schema` is the newest this binary knows). For SQLite the
/// service must be stopped; the database file is replaced. For PostgreSQL the backup is
/// restored with `pg_restore --clean`.
///
/// The caller re-applies erasures made after the backup was taken (see the erasure ledger).
///
/// Errors: any check failing (nothing is touched then), or the copy / pg_restore failing.
pub async fn restore(
    dir: &Path,
    id: &str,
    url: &str,
    backend: Backend,
    known_schema: i64,
) -> Result<BackupEntry, BackupError> {
    let entry = check_restorable(dir, id, backend, known_schema)?;
    let source = dir.join(&entry.file);
    match backend {
        Backend::Sqlite => {
            let db_path = sqlite_path(url);
            let staged = PathBuf::from(format!("{}.restore.partial", db_path.display()));
            std::fs::copy(&source, &staged).map_err(io(&staged))?;
            for suffix in ["-wal", "-shm"] {
                let side = PathBuf::from(format!("{}{suffix}", db_path.display()));
                if side.exists() {
                    std::fs::remove_file(&side).map_err(io(&side))?;
                }
            }
            std::fs::rename(&staged, &db_path).map_err(io(&db_path))?;
        }
        Backend::Postgres => {
            run_pg_tool(
                "pg_restore",
                url,
                &[
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--exit-on-error",
                    &source.display().to_string(),
                ],
            )?;
        }
    }
    Ok(entry)
}

/// The checks a restore makes before it touches anything: the backup `id` is in the
/// catalog, its file matches its recorded size and SHA-256, it is of `backend`, and its
/// schema version is at most `known_schema`. Returns its catalog entry.
///
/// Errors: the check that failed ([`BackupError::ChecksumMismatch`],
/// [`BackupError::WrongBackend`], [`BackupError::NewerSchema`], an unknown id, the file's).
pub fn check_restorable(
    dir: &Path,
    id: &str,
    backend: Backend,
    known_schema: i64,
) -> Result<BackupEntry, BackupError> {
    let entry = check_integrity(dir, id)?;
    if entry.backend != backend_name(backend) {
        return Err(BackupError::WrongBackend {
            id: entry.id,
            backup: entry.backend,
            current: backend_name(backend).into(),
        });
    }
    if entry.schema_version > known_schema {
        return Err(BackupError::NewerSchema {
            id: entry.id,
            backup: entry.schema_version,
            known: known_schema,
        });
    }
    Ok(entry)
}

/// The file path in a `sqlite:` URL (query string dropped).
pub fn sqlite_path(url: &str) -> PathBuf {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}
