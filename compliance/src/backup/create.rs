//! Taking a backup: an online, consistent copy (`VACUUM INTO` on SQLite, `pg_dump` on
//! PostgreSQL) written under a `.partial` name, hashed, renamed, then added to the catalog.
//! Leftover `*.partial*` files of a killed run are removed first. Every attempt, failed or
//! not, is recorded in the catalog ([`Catalog::last_attempt`]), so rotation can refuse to run
//! on a day the backup failed.

use std::path::Path;

use super::catalog::{
    Attempt, AttemptOutcome, BackupEntry, backend_name, file_digest, read_catalog, remove_partials,
    schema_version, write_catalog,
};
use super::error::{BackupError, io};
use super::pg_tools::run_pg_tool;
use crate::base::db::{Backend, Db};

/// Takes a backup of `db` (reachable at `url`) into `dir` at `now_ms`, and records the
/// attempt in the catalog: a failure is recorded with its reason (when the directory can be
/// written at all), and its leftovers are removed.
///
/// Errors: the directory cannot be written, the copy or `pg_dump` fails.
pub async fn create(
    db: &Db,
    url: &str,
    dir: &Path,
    now_ms: i64,
) -> Result<BackupEntry, BackupError> {
    match write_backup(db, url, dir, now_ms).await {
        Ok(entry) => Ok(entry),
        Err(err) => {
            // Best effort: the original error is what the caller must see.
            let _ = remove_partials(dir);
            let _ = record_failure(dir, now_ms, &err);
            Err(err)
        }
    }
}

fn record_failure(dir: &Path, now_ms: i64, err: &BackupError) -> Result<(), BackupError> {
    // A damaged catalog is left as it is: overwriting it would forget every backup.
    let mut catalog = read_catalog(dir)?;
    catalog.last_attempt = Some(Attempt {
        at_ms: now_ms,
        outcome: AttemptOutcome::Failed,
        reason: Some(crate::base::error_chain::with_causes(err)),
    });
    write_catalog(dir, &catalog)
}

async fn write_backup(
    db: &Db,
    url: &str,
    dir: &Path,
    now_ms: i64,
) -> Result<BackupEntry, BackupError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    // A backup is everyone's personal data: readable by heepr's user only, wherever
    // `--backup-dir` points (fresh tester: files were 0644 in a 0755 directory).
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io(dir))?;
    remove_partials(dir)?;
    // Read before any file is written, so a dead database leaves no orphan file.
    let schema_version = schema_version(db).await?;
    let id = uuid::Uuid::now_v7().simple().to_string();
    let backend = db.backend();
    let file = match backend {
        Backend::Sqlite => format!("heepr-{id}.sqlite"),
        Backend::Postgres => format!("heepr-{id}.pgdump"),
    };
    let partial = dir.join(format!("{file}.partial"));
    match backend {
        Backend::Sqlite => {
            sqlx::query("VACUUM INTO $1")
                .bind(partial.display().to_string())
                .execute(db.pool())
                .await?;
        }
        Backend::Postgres => {
            let target = partial.display().to_string();
            run_pg_tool(
                "pg_dump",
                url,
                &["--format=custom", "--no-owner", "--file", &target],
            )?;
        }
    }
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o600))
        .map_err(io(&partial))?;
    let (sha256, size_bytes) = file_digest(&partial)?;
    let final_path = dir.join(&file);
    std::fs::rename(&partial, &final_path).map_err(io(&final_path))?;
    let entry = BackupEntry {
        id,
        created_at_ms: now_ms,
        file,
        size_bytes,
        sha256,
        schema_version,
        backend: backend_name(backend).to_string(),
        verified_at_ms: None,
    };
    let mut catalog = read_catalog(dir)?;
    catalog.backups.push(entry.clone());
    catalog.last_attempt = Some(Attempt {
        at_ms: now_ms,
        outcome: AttemptOutcome::Succeeded,
        reason: None,
    });
    write_catalog(dir, &catalog)?;
    Ok(entry)
}
