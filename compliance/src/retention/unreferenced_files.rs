//! Pruning the file stores (uploads under `DATA_DIR/files`, export archives under
//! `DATA_DIR/exports`) of files no record names: the bytes of an upload whose request failed
//! after they were stored, a staging file a killed process left, an archive whose row a
//! restore rolled back, a stored file whose rows went without it. Nothing else ever deletes
//! those, and no erasure finds them (they are linked to nobody), so without this they
//! outlive every period.
//!
//! A file is referenced when a `file = true` column of any data-map table holds its path
//! (relative to the data dir); an unreferenced file is deleted once its modification time is
//! older than the cut-off, so an upload between storing its bytes and committing its row is
//! never touched (storing refreshes the time of bytes already there).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::base::db::Db;
use crate::policy::data_map::DataMap;

/// The file stores pruned, relative to the data dir: uploads and export archives.
pub const STORE_DIRS: [&str; 2] = ["files", "exports"];

/// Why pruning failed.
#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    /// Reading the referenced paths failed.
    #[error("reading the stored files' paths from table {table}: {source}")]
    Db {
        /// The table read.
        table: String,
        /// The cause.
        source: sqlx::Error,
    },
    /// The store could not be listed or a file removed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Every path (relative to the data dir) a `file = true` column of `map` holds.
///
/// Errors: the database's, with the table.
pub async fn referenced_paths(db: &Db, map: &DataMap) -> Result<HashSet<String>, PruneError> {
    let mut paths = HashSet::new();
    for (table, spec) in &map.tables {
        for column in spec.file_columns() {
            let sql = format!("SELECT {column} FROM {table} WHERE {column} IS NOT NULL");
            let found: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_all(db.pool())
                .await
                .map_err(|source| PruneError::Db {
                    table: table.clone(),
                    source,
                })?;
            paths.extend(found);
        }
    }
    Ok(paths)
}

/// Deletes (or, with `dry_run`, counts) every file under the [`STORE_DIRS`] of `data_dir`
/// that no record names and whose modification time is before `cutoff_ms` (Unix ms); returns how many.
/// A missing store holds nothing.
///
/// Errors: reading the references; listing the store or removing a file.
pub async fn prune_unreferenced(
    db: &Db,
    map: &DataMap,
    data_dir: &Path,
    cutoff_ms: i64,
    dry_run: bool,
) -> Result<usize, PruneError> {
    let referenced = referenced_paths(db, map).await?;
    let data_dir = data_dir.to_path_buf();
    let walk = move || prune_walk(&data_dir, &referenced, cutoff_ms, dry_run);
    tokio::task::spawn_blocking(walk)
        .await
        .map_err(|e| PruneError::Io {
            path: PathBuf::from(STORE_DIRS[0]),
            source: std::io::Error::other(e),
        })?
}

fn prune_walk(
    data_dir: &Path,
    referenced: &HashSet<String>,
    cutoff_ms: i64,
    dry_run: bool,
) -> Result<usize, PruneError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PruneError::Io { path, source }
    };
    let mut pending: Vec<PathBuf> = STORE_DIRS.iter().map(|d| data_dir.join(d)).collect();
    let mut pruned = 0;
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io(&dir))?;
            let path = entry.path();
            let meta = entry.metadata().map_err(io(&path))?;
            if meta.is_dir() {
                pending.push(path);
                continue;
            }
            let modified_ms = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(i64::MAX, |d| {
                    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
                });
            let relative = path
                .strip_prefix(data_dir)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if modified_ms >= cutoff_ms || referenced.contains(&relative) {
                continue;
            }
            if !dry_run {
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(io(&path)(e));
                    }
                    _ => {}
                }
            }
            pruned += 1;
        }
    }
    Ok(pruned)
}
