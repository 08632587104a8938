//! Taking a backup: an online, consistent copy (`VACUUM INTO` on SQLite, `pg_dump` on
//! PostgreSQL) written under a `.partial` name, hashed, renamed, then added to the catalog.
//! Leftover `.partial` files of a killed run are removed first.

use std::path::Path;

use super::catalog::{
    BackupEntry, backend_name, file_digest, read_catalog, schema_version, write_catalog,
};
use super::error::{BackupError, io};
use super::pg_tools::run_pg_tool;
use crate::base::db::{Backend, Db};

/// Takes a backup of `db` (reachable at `url`) into `dir` at `now_ms`.
///
/// Errors: the directory cannot be written, the copy or `pg_dump` fails.
pub async fn create(
    db: &Db,
    url: &str,
    dir: &Path,
    now_ms: i64,
) -> Result<BackupEntry, BackupError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    remove_partials(dir)?;
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
    let (sha256, size_bytes) = file_digest(&partial)?;
    let final_path = dir.join(&file);
    std::fs::rename(&partial, &final_path).map_err(io(&final_path))?;
    let entry = BackupEntry {
        id,
        created_at_ms: now_ms,
        file,
        size_bytes,
        sha256,
        schema_version: schema_version(db).await?,
        backend: backend_name(backend).to_string(),
        verified_at_ms: None,
    };
    let mut catalog = read_catalog(dir)?;
    catalog.backups.push(entry.clone());
    write_catalog(dir, &catalog)?;
    Ok(entry)
}

fn remove_partials(dir: &Path) -> Result<(), BackupError> {
    for item in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = item.map_err(io(dir))?.path();
        if path.extension().is_some_and(|e| e == "partial") {
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
    }
    Ok(())
}
