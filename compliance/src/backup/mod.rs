//! Database backups on a 30-day rotation (policy: "Backups are rotated on a 30-day cycle").
//!
//! A backup directory holds one file per backup and `catalog.json` describing them (time,
//! size in bytes, SHA-256, schema version, backend). SQLite backups are online, consistent
//! copies (`VACUUM INTO`); PostgreSQL backups are `pg_dump` custom-format archives. Every file
//! is written under a `.partial` name and renamed when complete, and the catalog is replaced
//! atomically, so a kill mid-backup leaves no entry pointing at half a file (the next run
//! removes the leftovers). A backup whose checksum does not match is never restored, nor one
//! from a newer schema than this binary knows.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::base::db::{Backend, Db, redact_url};

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
}

/// Why a backup operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// File system trouble, with the path.
    #[error("{path}: {source}")]
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
    /// A database error.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
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

fn write_catalog(dir: &Path, catalog: &Catalog) -> Result<(), BackupError> {
    let tmp = dir.join(format!("{CATALOG}.partial"));
    let text = serde_json::to_string_pretty(catalog).map_err(|e| BackupError::Catalog {
        path: tmp.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(&tmp, text).map_err(io(&tmp))?;
    let path = dir.join(CATALOG);
    std::fs::rename(&tmp, &path).map_err(io(&path))
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

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// Splits a PostgreSQL URL into one without the password (safe for argv) and the password.
fn pg_url_parts(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return (url.to_string(), None);
    };
    match userinfo.split_once(':') {
        Some((user, password)) => (
            format!("{scheme}://{user}@{host}"),
            Some(password.to_string()),
        ),
        None => (url.to_string(), None),
    }
}

fn run_pg_tool(tool: &'static str, url: &str, args: &[&str]) -> Result<(), BackupError> {
    let (safe_url, password) = pg_url_parts(url);
    let mut cmd = Command::new(tool);
    cmd.args(args).arg("--dbname").arg(&safe_url);
    if let Some(password) = password {
        cmd.env("PGPASSWORD", password);
    }
    let out = cmd.output().map_err(|e| BackupError::Tool {
        tool,
        stderr: format!("cannot run {tool}: {e}"),
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(BackupError::Tool {
            tool,
            stderr: String::from_utf8_lossy(&out.stderr).replace(url, &redact_url(url)),
        })
    }
}

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

fn find(catalog: &Catalog, id: &str) -> Result<BackupEntry, BackupError> {
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

/// The file path in a `sqlite:` URL (query string dropped).
pub fn sqlite_path(url: &str) -> PathBuf {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

/// Deletes backups older than `cutoff_ms` (files and catalog entries); returns the removed
/// entries. A backup exactly at the cut-off is kept.
///
/// Errors: the catalog or a file cannot be changed (already-removed files are fine).
pub fn rotate(dir: &Path, cutoff_ms: i64) -> Result<Vec<BackupEntry>, BackupError> {
    let mut catalog = read_catalog(dir)?;
    let (expired, kept): (Vec<_>, Vec<_>) = catalog
        .backups
        .into_iter()
        .partition(|b| b.created_at_ms < cutoff_ms);
    catalog.backups = kept;
    // Catalog first: a crash after this leaves orphan files, never entries without files.
    write_catalog(dir, &catalog)?;
    for b in &expired {
        let path = dir.join(&b.file);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(BackupError::Io { path, source: e }),
        }
    }
    Ok(expired)
}
