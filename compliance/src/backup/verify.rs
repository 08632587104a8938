//! Verifying a backup: its checksum, then a test restore into a scratch database that must
//! hold the schema version the catalog records; a pass is recorded in the catalog.

use std::path::Path;

use super::catalog::{BackupEntry, check_integrity, read_catalog, schema_version, write_catalog};
use super::error::{BackupError, io};
use super::pg_tools::run_pg_tool;
use crate::base::db::Db;

/// Verifies a backup: checksum, then a test restore into a scratch database (a temp SQLite
/// file, or a scratch PostgreSQL database on the server at `url`, dropped afterwards) that
/// must hold the schema version recorded. Marks it verified in the catalog.
///
/// Errors: a checksum mismatch or a failed test restore, with the reason.
pub async fn verify(
    dir: &Path,
    id: &str,
    url: &str,
    now_ms: i64,
) -> Result<BackupEntry, BackupError> {
    let entry = check_integrity(dir, id)?;
    let path = dir.join(&entry.file);
    let restored_version = match entry.backend.as_str() {
        "sqlite" => test_restore_sqlite(&path, &entry).await?,
        _ => test_restore_postgres(&path, &entry, url).await?,
    };
    if restored_version != entry.schema_version {
        return Err(BackupError::TestRestore {
            id: entry.id,
            reason: format!(
                "restored schema version {restored_version}, catalog says {}",
                entry.schema_version
            ),
        });
    }
    let mut catalog = read_catalog(dir)?;
    for b in catalog.backups.iter_mut().filter(|b| b.id == id) {
        b.verified_at_ms = Some(now_ms);
    }
    write_catalog(dir, &catalog)?;
    Ok(entry)
}

async fn test_restore_sqlite(path: &Path, entry: &BackupEntry) -> Result<i64, BackupError> {
    let scratch = tempfile::tempdir().map_err(io(path))?;
    let copy = scratch.path().join("verify.sqlite");
    std::fs::copy(path, &copy).map_err(io(&copy))?;
    let db = Db::connect(&format!("sqlite:{}", copy.display()), 1)
        .await
        .map_err(|e| BackupError::TestRestore {
            id: entry.id.clone(),
            reason: e.to_string(),
        })?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(db.pool())
        .await?;
    if check != "ok" {
        return Err(BackupError::TestRestore {
            id: entry.id.clone(),
            reason: format!("integrity_check: {check}"),
        });
    }
    let version = schema_version(&db).await?;
    db.close().await;
    Ok(version)
}

async fn test_restore_postgres(
    path: &Path,
    entry: &BackupEntry,
    url: &str,
) -> Result<i64, BackupError> {
    let admin = Db::connect(url, 1)
        .await
        .map_err(|e| BackupError::TestRestore {
            id: entry.id.clone(),
            reason: e.to_string(),
        })?;
    let scratch = format!("heepr_verify_{}", entry.id);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {scratch}"
    )))
    .execute(admin.pool())
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {scratch}")))
        .execute(admin.pool())
        .await?;
    let (base, _) = url.rsplit_once('/').unwrap_or((url, ""));
    let scratch_url = format!("{base}/{scratch}");
    let restored = run_pg_tool(
        "pg_restore",
        &scratch_url,
        &["--no-owner", "--exit-on-error", &path.display().to_string()],
    );
    let version = match restored {
        Ok(()) => {
            let db = Db::connect(&scratch_url, 1)
                .await
                .map_err(|e| BackupError::TestRestore {
                    id: entry.id.clone(),
                    reason: e.to_string(),
                })?;
            let v = schema_version(&db).await;
            db.close().await;
            v.map_err(BackupError::from)
        }
        Err(e) => Err(e),
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {scratch}"
    )))
    .execute(admin.pool())
    .await?;
    admin.close().await;
    version
}
