//! Redacting the subject in the contents of stored files, whoever uploaded them: a brief or
//! a deliverable that names the erased person (`Report for Ana Müller`, their address) is
//! replaced by a redacted copy, or by a notice where its format cannot be rewritten (see
//! [`super::formats`] for what each format gets), and its rows point at the new bytes (new
//! SHA-256, size and type); the original bytes are deleted once no row uses them. Driven
//! by the data map's `redact_contents`.
//!
//! Crash safety: the copy is written (and synced) before the transaction that points the
//! rows at it; that transaction also lists the original in the job's
//! `erasure_jobs.replaced_files`, and [`Run::delete_replaced_files`] deletes what that list
//! names and no row uses, on this run or the next one after a crash. A copy left by a crash
//! before the commit names nobody (and the `unrecorded_files` rule prunes it).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::batches::Run;
use super::files;
use super::formats::{self, FileRedaction};
use super::job::ErasureError;
use super::paging;
use crate::policy::data_map::{StoredContents, TableSpec, WITHHELD_SUFFIX};
use crate::subject::subject_rows::{ident, json_value, text_value};

/// Where the bytes with SHA-256 `sha` (lower-case hex) are stored, relative to the data
/// dir: `files/<first 2 hex>/<sha>`. The one definition of the content store's layout.
pub fn content_path(sha: &str) -> String {
    let shard = sha.get(..2).unwrap_or("00");
    format!("files/{shard}/{sha}")
}

/// A redacted copy, written to the content store.
#[derive(Debug, Clone)]
struct Copy {
    path: String,
    sha: String,
    size: i64,
    /// The new bytes' type: the original's, or `text/plain` for a withheld file's notice.
    mime: String,
    /// Whether the bytes are the notice of [`formats::withheld_notice`].
    withheld: bool,
}

impl Run<'_> {
    /// Rewrites every text file of table `name` (every row, whoever uploaded it) that names
    /// the subject, per `spec`; pages through the table outside write transactions and
    /// opens one only for a page with files to repoint.
    pub(super) async fn redact_contents(
        &mut self,
        name: &str,
        table: &TableSpec,
        spec: &StoredContents,
    ) -> Result<(), ErasureError> {
        if self.ids.is_empty() {
            return Ok(());
        }
        let t = ident(name).map_err(ErasureError::Policy)?;
        let key = ident(table.key_column()).map_err(ErasureError::Policy)?;
        let (path, sha, size, mime) = (
            ident(&spec.path).map_err(ErasureError::Policy)?,
            ident(&spec.sha256).map_err(ErasureError::Policy)?,
            ident(&spec.size).map_err(ErasureError::Policy)?,
            ident(&spec.mime).map_err(ErasureError::Policy)?,
        );
        // A file on the subject's own order or thread is searched for their single names
        // too ("Report for Ångström"), as their messages there are; anyone else's for the
        // full name and address only.
        let party = crate::subject::subject_rows::condition(self.job.map, table)
            .map_err(ErasureError::Policy)?
            .unwrap_or_else(|| "1 = 0".to_owned());
        let base = format!(
            "SELECT {key}, {path}, {sha}, {mime}, CASE WHEN ({party}) THEN 'party' ELSE 'other' END \
             FROM {t} WHERE CAST($1 AS TEXT) IS NOT NULL"
        );
        // One redaction per content and kind of row, however many rows share it.
        let mut copies: HashMap<(String, bool), Option<Copy>> = HashMap::new();
        let mut cursor: Option<Value> = None;
        loop {
            let rows = self.next_page(&base, &key, cursor.as_ref()).await?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            cursor = Some(json_value(last, 0));
            let mut repoint: Vec<(Value, String, String, Copy)> = Vec::new();
            for row in &rows {
                let (Some(stored), Some(old_sha), Some(kind)) =
                    (text_value(row, 1), text_value(row, 2), text_value(row, 3))
                else {
                    continue;
                };
                let is_party = text_value(row, 4).as_deref() == Some("party");
                let memo = (old_sha.clone(), is_party);
                if !copies.contains_key(&memo) {
                    let copy = self.redacted_copy(&stored, &kind, is_party).await?;
                    copies.insert(memo.clone(), copy);
                }
                if let Some(Some(copy)) = copies.get(&memo) {
                    repoint.push((json_value(row, 0), stored, old_sha, copy.clone()));
                }
            }
            if !repoint.is_empty() {
                let rewrite = format!(
                    "UPDATE {t} SET {path} = $1, {sha} = $2, {size} = $3, {mime} = $4 WHERE {key} = $5 AND {sha} = $6"
                );
                let withheld = match spec.name.as_deref() {
                    Some(n) => {
                        let n = ident(n).map_err(ErasureError::Policy)?;
                        format!(
                            "UPDATE {t} SET {path} = $1, {sha} = $2, {size} = $3, {mime} = $4, {n} = {n} || $7 WHERE {key} = $5 AND {sha} = $6"
                        )
                    }
                    None => rewrite.clone(),
                };
                self.repoint(name, [&rewrite, &withheld], repoint).await?;
            }
            if (rows.len() as i64) < self.last_limit {
                return Ok(());
            }
        }
    }

    /// Points the rows at their copies and lists the originals for deletion, in one
    /// transaction; then deletes the originals no row uses.
    async fn repoint(
        &mut self,
        name: &str,
        [rewrite, withheld]: [&str; 2],
        repoint: Vec<(Value, String, String, Copy)>,
    ) -> Result<(), ErasureError> {
        let started = Instant::now();
        let mut tx = self.db.begin_write().await?;
        let mut changed = 0;
        let mut originals: Vec<String> = Vec::new();
        for (key_value, stored, old_sha, copy) in &repoint {
            let sql = if copy.withheld { withheld } else { rewrite };
            let q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .bind(&copy.path)
                .bind(&copy.sha)
                .bind(copy.size)
                .bind(&copy.mime);
            let mut q = paging::bind_value(q, key_value).bind(old_sha);
            if copy.withheld && withheld != rewrite {
                q = q.bind(WITHHELD_SUFFIX);
            }
            let done = q.execute(&mut *tx).await?;
            if done.rows_affected() > 0 {
                changed += 1;
                if !self
                    .replaced_contents
                    .iter()
                    .any(|r| r.table == name && &r.from_sha256 == old_sha)
                {
                    self.replaced_contents
                        .push(crate::erasure_ledger::ContentReplacement {
                            table: name.to_owned(),
                            from_sha256: old_sha.clone(),
                            to_path: copy.path.clone(),
                            to_sha256: copy.sha.clone(),
                            size_bytes: copy.size,
                            mime: copy.mime.clone(),
                            withheld: copy.withheld,
                        });
                }
                if !originals.contains(stored) {
                    originals.push(stored.clone());
                }
            }
        }
        super::batches::list_for_deletion(&mut tx, self.job.account_id, &originals).await?;
        tx.commit().await?;
        self.note_batch(started);
        self.counts(name, "update").redacted += changed;
        self.delete_replaced_files().await
    }

    /// Deletes the files listed in the job's `replaced_files` (originals replaced by redacted
    /// copies, files of deleted rows) that no row uses any
    /// more (the list goes with the job row when the erasure completes).
    pub(super) async fn delete_replaced_files(&mut self) -> Result<(), ErasureError> {
        let listed: Option<String> =
            sqlx::query_scalar("SELECT replaced_files FROM erasure_jobs WHERE account_id = $1")
                .bind(self.job.account_id)
                .fetch_optional(self.db.pool())
                .await?;
        let mut conn = self.db.pool().acquire().await?;
        for stored in listed.unwrap_or_default().lines().filter(|l| !l.is_empty()) {
            if !files::still_used(&mut conn, self.job.map, stored).await?
                && files::delete_stored(self.job.data_dir, stored)?
            {
                self.outcome.files_deleted += 1;
            }
        }
        Ok(())
    }

    /// The bytes that replace the stored file at `stored` (sniffed as `mime`), written to the
    /// content store: its redacted copy, or the notice of a withheld file; `None` when it
    /// names nobody, is gone, or cannot be read (counted in `files_unchecked`). `is_party`:
    /// the row is the subject's own (their single names are searched too).
    async fn redacted_copy(
        &mut self,
        stored: &str,
        mime: &str,
        is_party: bool,
    ) -> Result<Option<Copy>, ErasureError> {
        let full = self.job.data_dir.join(stored);
        let Ok(meta) = tokio::fs::metadata(&full).await else {
            return Ok(None);
        };
        if meta.len() > formats::MAX_READ_BYTES {
            self.outcome.files_unchecked += 1;
            return Ok(None);
        }
        let Ok(bytes) = tokio::fs::read(&full).await else {
            return Ok(None);
        };
        let ids = if is_party {
            self.party_ids.clone()
        } else {
            self.ids.clone()
        };
        let (pseudonym, kind) = (self.pseudonym.clone(), mime.to_owned());
        let verdict = tokio::task::spawn_blocking(move || {
            formats::redact_file(&ids, &pseudonym, &bytes, &kind)
        })
        .await
        // A parser that panicked on hostile bytes: the file is left for review, the
        // erasure goes on.
        .unwrap_or(FileRedaction::Unchecked);
        let (bytes, mime, withheld) = match verdict {
            FileRedaction::Clean => return Ok(None),
            FileRedaction::Unchecked => {
                tracing::warn!(
                    stored,
                    "erasure could not read a stored file; kept for review"
                );
                self.outcome.files_unchecked += 1;
                return Ok(None);
            }
            FileRedaction::Rewritten(bytes) => (bytes, mime.to_owned(), false),
            FileRedaction::Withheld => {
                self.outcome.files_withheld += 1;
                let day = chrono::DateTime::from_timestamp_millis(self.now_ms)
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default();
                let notice = formats::withheld_notice(mime, meta.len(), &day);
                (notice.into_bytes(), "text/plain".to_owned(), true)
            }
        };
        let sha = hex::encode(Sha256::digest(&bytes));
        let path = content_path(&sha);
        write_synced(&self.job.data_dir.join(&path), &bytes)?;
        Ok(Some(Copy {
            path,
            sha,
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            mime,
            withheld,
        }))
    }
}

/// Writes `bytes` at `path` through a temporary file in the same directory, synced, then
/// renamed, so a reader or a crash never sees half a file.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), ErasureError> {
    let io = |source: std::io::Error| ErasureError::Io {
        path: path.display().to_string(),
        source,
    };
    if path.exists() {
        return Ok(());
    }
    let dir = path
        .parent()
        .ok_or_else(|| io(std::io::Error::other("no parent directory")))?;
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// After a restore: points the rows of `entry`'s replaced contents back at the copies the
/// erasure made (their originals are deleted, so the restored rows named bytes that no longer
/// exist), where the copy is still stored; returns the rows repointed. One transaction.
///
/// Errors: the database's; a table the data map no longer describes with `redact_contents`.
pub async fn reapply_replaced_contents(
    db: &crate::Db,
    map: &crate::policy::data_map::DataMap,
    data_dir: &Path,
    entry: &crate::erasure_ledger::LedgerEntry,
) -> Result<u64, ErasureError> {
    if entry.replaced_contents.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin_write().await?;
    let mut repointed = 0;
    for r in &entry.replaced_contents {
        if !data_dir.join(&r.to_path).exists() {
            continue;
        }
        let Some(spec) = map
            .tables
            .get(&r.table)
            .and_then(|t| t.redact_contents.as_ref())
        else {
            return Err(ErasureError::Policy(format!(
                "{} has no redact_contents in the data map",
                r.table
            )));
        };
        let t = ident(&r.table).map_err(ErasureError::Policy)?;
        let (path, sha, size, mime) = (
            ident(&spec.path).map_err(ErasureError::Policy)?,
            ident(&spec.sha256).map_err(ErasureError::Policy)?,
            ident(&spec.size).map_err(ErasureError::Policy)?,
            ident(&spec.mime).map_err(ErasureError::Policy)?,
        );
        let rename = match (&spec.name, r.withheld) {
            (Some(n), true) => {
                let n = ident(n).map_err(ErasureError::Policy)?;
                format!(", {n} = {n} || $6")
            }
            _ => String::new(),
        };
        let sql = format!(
            "UPDATE {t} SET {path} = $1, {sha} = $2, {size} = $3, {mime} = $4{rename} WHERE {sha} = $5"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&r.to_path)
            .bind(&r.to_sha256)
            .bind(r.size_bytes)
            .bind(&r.mime)
            .bind(&r.from_sha256);
        if !rename.is_empty() {
            q = q.bind(WITHHELD_SUFFIX);
        }
        repointed += q.execute(&mut *tx).await?.rows_affected();
    }
    tx.commit().await?;
    Ok(repointed)
}
