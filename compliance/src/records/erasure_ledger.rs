//! The erasure ledger: every completed erasure (subject id, request id, time), kept in the
//! database and mirrored to an append-only file outside it (`DATA_DIR/erasure-ledger.jsonl`),
//! so that after a backup restore the erasures done since the backup can be re-applied.
//!
//! The file holds ids, times and the pseudonym the erasure drew, one JSON object per line,
//! and is never rewritten. The pseudonym is there so a replay after a restore writes the
//! same one again: a retained review signed "Former member 3F2A" before the restore is not
//! signed by someone else after it.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sqlx::{Any, Transaction};

/// The ledger file's name inside the data dir.
pub const LEDGER_FILE: &str = "erasure-ledger.jsonl";

/// One completed erasure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Ledger entry id.
    pub id: String,
    /// The erased account.
    pub account_id: String,
    /// The request that asked for it, if any.
    pub request_id: Option<String>,
    /// When the erasure completed (Unix ms).
    pub erased_at: i64,
    /// The pseudonym the erasure wrote ("Former member 3F2A"); absent in lines written
    /// before it was recorded, whose replay draws a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudonym: Option<String>,
    /// Other people's stored files the erasure replaced by a redacted copy or a notice, so
    /// that a replay after a restore points their rows at the copy again (the original
    /// bytes are gone; without it the counterparty's files answered 410).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced_contents: Vec<ContentReplacement>,
}

/// One stored content an erasure replaced (content hashes and paths only: nothing personal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentReplacement {
    /// The data map table whose `redact_contents` rows pointed at it.
    pub table: String,
    /// The original bytes' SHA-256.
    pub from_sha256: String,
    /// The replacement's path under the data dir.
    pub to_path: String,
    /// The replacement's SHA-256.
    pub to_sha256: String,
    /// The replacement's size (bytes).
    pub size_bytes: i64,
    /// The replacement's MIME type.
    pub mime: String,
    /// Whether the replacement is a withheld file's notice (its rows' names got the suffix).
    pub withheld: bool,
}

/// The ledger file's path under `data_dir`.
pub fn file_path(data_dir: &Path) -> PathBuf {
    data_dir.join(LEDGER_FILE)
}

/// Records `entry` in the database inside `tx`; a second erasure of the same account is
/// ignored (returns `false`).
///
/// Errors: the database's.
pub async fn record(
    tx: &mut Transaction<'static, Any>,
    entry: &LedgerEntry,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO erasure_ledger (id, account_id, request_id, erased_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(&entry.id)
    .bind(&entry.account_id)
    .bind(entry.request_id.as_deref())
    .bind(entry.erased_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Appends `entry` as one line to the ledger file under `data_dir` and flushes it to disk,
/// unless the file already records an erasure of the same account (a replay after a
/// restore erases again: the first line, with the original time, stays the only one).
/// Call after the database transaction committed (a crash in between leaves the database
/// row, and [`sync_file`] writes the missing line on the next run).
///
/// Errors: the file cannot be read, opened or written.
pub fn append_to_file(data_dir: &Path, entry: &LedgerEntry) -> std::io::Result<()> {
    if read_file(data_dir)?
        .iter()
        .any(|e| e.account_id == entry.account_id)
    {
        return Ok(());
    }
    let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
    line.push('\n');
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    // Ids and times only, but what was erased is the privacy desk's business alone.
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(file_path(data_dir))?;
    file.write_all(line.as_bytes())?;
    file.sync_data()
}

/// Reads the ledger file (missing file: empty ledger).
///
/// Errors: the file cannot be read or a line is not a ledger entry.
pub fn read_file(data_dir: &Path) -> std::io::Result<Vec<LedgerEntry>> {
    let file = match std::fs::File::open(file_path(data_dir)) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(&line).map_err(std::io::Error::other)?);
    }
    Ok(out)
}

/// Appends to the file every erased account of the database the file lacks (after a crash
/// between commit and file write); returns how many lines were written.
///
/// Errors: the database's or the file's, as text.
pub async fn sync_file(pool: &sqlx::AnyPool, data_dir: &Path) -> Result<usize, String> {
    let in_file: std::collections::HashSet<String> = read_file(data_dir)
        .map_err(|e| format!("{}: {e}", file_path(data_dir).display()))?
        .into_iter()
        .map(|e| e.account_id)
        .collect();
    type Row = (String, String, Option<String>, i64, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT l.id, l.account_id, l.request_id, l.erased_at, p.pseudonym FROM erasure_ledger l \
         LEFT JOIN pseudonyms p ON p.account_id = l.account_id ORDER BY l.erased_at, l.id",
    )
    .fetch_all(pool)
    .await
    .map_err(|e| e.to_string())?;
    let mut written = 0;
    for (id, account_id, request_id, erased_at, pseudonym) in rows {
        if in_file.contains(&account_id) {
            continue;
        }
        let entry = LedgerEntry {
            id,
            account_id,
            request_id,
            erased_at,
            pseudonym,
            replaced_contents: Vec::new(),
        };
        append_to_file(data_dir, &entry)
            .map_err(|e| format!("{}: {e}", file_path(data_dir).display()))?;
        written += 1;
    }
    Ok(written)
}
