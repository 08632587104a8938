//! Erasure with pseudonymisation, driven by the data map: each table's `erasure` (delete the
//! subject's rows, update their personal columns, or keep them) is applied to the rows its
//! `links` select, so a table added later is erased without new code.
//!
//! - The erased person gets a stable random pseudonym ("Former member 7F3A"), drawn from
//!   the OS's random generator, never derived from the email or id, and stored in
//!   `pseudonyms` so every run (and every retained record) uses the same one.
//! - `redact` columns keep their text with the person's email and display name replaced by
//!   the pseudonym (ASCII case-insensitive).
//! - Only the listed columns of the subject's own rows are written: no `updated_at` of any
//!   other row changes.
//! - Work happens in bounded batches ([`ErasureJob::batch_rows`] rows per write
//!   transaction). Every step is idempotent (delete what is still there, rewrite what still
//!   differs), so a run interrupted at any point completes when run again. The accounts row
//!   is processed last, since it holds the email and name the other tables are redacted
//!   with; the completion (erasure ledger row + audit entry) is one final transaction.
//! - An account under an active legal hold is refused with the hold's reason.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use rand::Rng;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row};

use crate::base::db::Db;
use crate::policy::data_map::{ColumnErasure, DataMap, TableErasure, TableSpec};
use crate::records::audit::{self, AuditEntry};
use crate::records::erasure_ledger::{self, LedgerEntry};
use crate::subject::export::ACCOUNTS_TABLE;
use crate::subject::holds;
use crate::subject::subject_rows::{self, ident, json_value, text_value};

/// Default rows per write transaction.
pub const DEFAULT_BATCH_ROWS: i64 = 500;

/// What to erase and how.
#[derive(Debug, Clone)]
pub struct ErasureJob<'a> {
    /// The data map driving the erasure.
    pub map: &'a DataMap,
    /// The data subject (account id).
    pub account_id: &'a str,
    /// The request asking for it, if any (for the ledger and audit).
    pub request_id: Option<&'a str>,
    /// Who runs it (`staff:<id>`, `subject:<id>`, `system`, `cli`), for the audit log.
    pub actor: &'a str,
    /// Root of `file` columns' paths and of the data map's `scrub_dirs`.
    pub data_dir: &'a Path,
    /// Rows per write transaction.
    pub batch_rows: i64,
    /// Test hook simulating a crash: stop with [`ErasureError::Interrupted`] after this many
    /// batches. `None` in production.
    pub stop_after_batches: Option<u32>,
}

/// Per-table counts of a preview or a run.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct TableCounts {
    /// The table's erasure rule: `delete`, `update` or `keep`.
    pub erasure: &'static str,
    /// The subject's rows in the table.
    pub rows: i64,
    /// Rows deleted.
    pub deleted: i64,
    /// Rows in which some column is set to NULL.
    pub nulled: i64,
    /// Rows in which some column is replaced by the pseudonym (or a fixed value).
    pub pseudonymised: i64,
    /// Rows whose free text is searched for the email and name to redact.
    pub redacted: i64,
    /// Rows kept (pseudonymised rows are kept too).
    pub kept: i64,
}

/// What a finished run did.
#[derive(Debug, Clone, Serialize)]
pub struct ErasureOutcome {
    /// The person's pseudonym.
    pub pseudonym: String,
    /// `true` when the account had already been erased (nothing done).
    pub already_erased: bool,
    /// Per table: rows deleted (`deleted`) or rewritten (`pseudonymised`) by this run.
    pub tables: BTreeMap<String, TableCounts>,
    /// Stored files and spool files deleted.
    pub files_deleted: u64,
    /// Write transactions used.
    pub batches: u32,
    /// The longest single write transaction (ms), for the benchmark.
    pub longest_batch_ms: u64,
}

/// Why an erasure did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    /// The account is under legal hold.
    #[error("the account is under legal hold: {reason}")]
    Held {
        /// The active holds' reasons, joined by "; ".
        reason: String,
    },
    /// No such account.
    #[error("no such account")]
    NotFound,
    /// Stopped by [`ErasureJob::stop_after_batches`] (simulated crash).
    #[error("interrupted after {0} batches")]
    Interrupted(u32),
    /// A file could not be deleted.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS's reason.
        source: std::io::Error,
    },
    /// The data map cannot drive an erasure.
    #[error("data map: {0}")]
    Policy(String),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

fn table_rule(t: &TableSpec) -> Option<&'static str> {
    if t.links.is_empty() {
        return None;
    }
    match t.erasure {
        TableErasure::Delete => Some("delete"),
        TableErasure::Update => Some("update"),
        TableErasure::Keep => Some("keep"),
        TableErasure::None => None,
    }
}

fn actions(t: &TableSpec, wanted: ColumnErasure) -> Vec<&str> {
    t.columns
        .iter()
        .filter(|(_, c)| c.erasure == Some(wanted))
        .map(|(n, _)| n.as_str())
        .collect()
}

/// Whether `column` of `table` holds another account's id (`account_ref = true`): erasure
/// rewrites such a column only in rows where it holds the erased person's own id, never
/// where it names the other party (e.g. `orders.customer_id` when the agent's owner is
/// erased: the order is the owner's too, but the customer must stay the customer).
fn is_account_ref(table: &TableSpec, column: &str) -> bool {
    table
        .columns
        .get(column)
        .is_some_and(|c| c.account_ref == Some(true))
}

async fn count(pool: &AnyPool, sql: String, account_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .fetch_one(pool)
        .await
}

/// Per table (with links and a delete, update or keep rule): how many of the subject's rows
/// erasure would delete, null, pseudonymise, redact or keep. Reads only.
///
/// Errors: [`ErasureError::Policy`], [`ErasureError::Db`].
pub async fn preview(
    pool: &AnyPool,
    map: &DataMap,
    account_id: &str,
) -> Result<BTreeMap<String, TableCounts>, ErasureError> {
    let mut out = BTreeMap::new();
    for (name, table) in &map.tables {
        let Some(rule) = table_rule(table) else {
            continue;
        };
        let cond = subject_rows::condition(map, table)
            .map_err(ErasureError::Policy)?
            .unwrap_or_else(|| "1 = 0".into());
        let from = format!(
            "FROM {} WHERE {cond}",
            ident(name).map_err(ErasureError::Policy)?
        );
        let rows = count(pool, format!("SELECT COUNT(*) {from}"), account_id).await?;
        let mut c = TableCounts {
            erasure: rule,
            rows,
            ..TableCounts::default()
        };
        match table.erasure {
            TableErasure::Delete => c.deleted = rows,
            TableErasure::Keep => c.kept = rows,
            _ => {
                c.kept = rows;
                if let Some(col) = &table.delete_if_null {
                    let col = ident(col).map_err(ErasureError::Policy)?;
                    c.deleted = count(
                        pool,
                        format!("SELECT COUNT(*) {from} AND {col} IS NULL"),
                        account_id,
                    )
                    .await?;
                    c.kept = rows - c.deleted;
                }
                let any_not_null = |cols: Vec<&str>| -> Result<Option<String>, ErasureError> {
                    if cols.is_empty() {
                        return Ok(None);
                    }
                    let parts: Result<Vec<String>, String> = cols
                        .iter()
                        .map(|c| ident(c).map(|i| format!("{i} IS NOT NULL")))
                        .collect();
                    Ok(Some(parts.map_err(ErasureError::Policy)?.join(" OR ")))
                };
                if let Some(cond) = any_not_null(actions(table, ColumnErasure::Null))? {
                    c.nulled = count(
                        pool,
                        format!("SELECT COUNT(*) {from} AND ({cond})"),
                        account_id,
                    )
                    .await?;
                }
                let mut pseudo = actions(table, ColumnErasure::Pseudonymise);
                pseudo.extend(actions(table, ColumnErasure::Set));
                let (refs, plain): (Vec<&str>, Vec<&str>) = pseudo
                    .into_iter()
                    .partition(|col| is_account_ref(table, col));
                if !plain.is_empty() {
                    c.pseudonymised = rows;
                } else if !refs.is_empty() {
                    let parts: Result<Vec<String>, String> = refs
                        .iter()
                        .map(|col| ident(col).map(|i| format!("{i} = $1")))
                        .collect();
                    let holds_subject = parts.map_err(ErasureError::Policy)?.join(" OR ");
                    c.pseudonymised = count(
                        pool,
                        format!("SELECT COUNT(*) {from} AND ({holds_subject})"),
                        account_id,
                    )
                    .await?;
                }
                if let Some(cond) = any_not_null(actions(table, ColumnErasure::Redact))? {
                    c.redacted = count(
                        pool,
                        format!("SELECT COUNT(*) {from} AND ({cond})"),
                        account_id,
                    )
                    .await?;
                }
            }
        }
        out.insert(name.clone(), c);
    }
    Ok(out)
}

/// Whether `account_id` is in the erasure ledger (erasure completed).
///
/// Errors: the database's.
pub async fn is_erased(pool: &AnyPool, account_id: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM erasure_ledger WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(pool)
        .await?;
    Ok(n > 0)
}

/// Runs (or resumes) the erasure of `job.account_id`.
///
/// Errors: [`ErasureError::Held`] (nothing changed), [`ErasureError::NotFound`],
/// [`ErasureError::Interrupted`] (test hook; rerun to complete), I/O, policy or database
/// failures (the batches done so far stay done; rerun to complete).
pub async fn run(
    db: &Db,
    job: &ErasureJob<'_>,
    now_ms: i64,
) -> Result<ErasureOutcome, ErasureError> {
    let pool = db.pool();
    let active = holds::active(pool, job.account_id).await?;
    if !active.is_empty() {
        let reason = active
            .iter()
            .map(|h| h.reason.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ErasureError::Held { reason });
    }
    let row = sqlx::query("SELECT email, display_name FROM accounts WHERE id = $1")
        .bind(job.account_id)
        .fetch_optional(pool)
        .await?
        .ok_or(ErasureError::NotFound)?;
    let email: String = row.try_get("email")?;
    let display_name: String = row.try_get("display_name")?;
    let pseudonym = pseudonym_for(db, job.account_id, now_ms).await?;
    let mut run = Run {
        db,
        job,
        pseudonym: pseudonym.clone(),
        needles: [email.clone(), display_name.clone()]
            .into_iter()
            .filter(|n| n.len() >= 2 && *n != pseudonym)
            .collect(),
        outcome: ErasureOutcome {
            pseudonym,
            already_erased: false,
            tables: BTreeMap::new(),
            files_deleted: 0,
            batches: 0,
            longest_batch_ms: 0,
        },
    };
    if is_erased(pool, job.account_id).await? {
        run.outcome.already_erased = true;
        return Ok(run.outcome);
    }
    for name in subject_rows::erasure_order(job.map, ACCOUNTS_TABLE) {
        let Some(table) = job.map.tables.get(name) else {
            continue;
        };
        match table.erasure {
            TableErasure::Delete if !table.links.is_empty() => {
                run.delete_rows(name, table, None).await?;
            }
            TableErasure::Update if !table.links.is_empty() => {
                if let Some(col) = table.delete_if_null.as_deref() {
                    run.delete_rows(name, table, Some(col)).await?;
                }
                run.update_rows(name, table).await?;
            }
            _ => {}
        }
    }
    for (name, table) in &job.map.tables {
        if !table.redact_everywhere.is_empty() {
            run.redact_everywhere(name, table).await?;
        }
    }
    run.scrub_dirs()?;

    let started = Instant::now();
    let mut tx = db.begin_write().await?;
    let entry = LedgerEntry {
        id: uuid_like(),
        account_id: job.account_id.to_string(),
        request_id: job.request_id.map(str::to_string),
        erased_at: now_ms,
    };
    erasure_ledger::record(&mut tx, &entry).await?;
    let details = json!({
        "tables": run.outcome.tables.iter()
            .map(|(t, c)| (t.clone(), json!({"deleted": c.deleted, "rewritten": c.pseudonymised})))
            .collect::<serde_json::Map<_, _>>(),
        "files_deleted": run.outcome.files_deleted,
        "batches": run.outcome.batches,
    });
    let audit_entry = AuditEntry {
        actor: job.actor,
        action: "erasure.complete",
        subject_account_id: Some(job.account_id),
        request_id: job.request_id,
        outcome: "ok",
        details,
    };
    audit::append(&mut tx, &audit_entry, now_ms).await?;
    tx.commit().await?;
    run.note_batch(started);
    if let Err(e) = erasure_ledger::append_to_file(job.data_dir, &entry) {
        // The database row is authoritative; the file is re-synced on the next run.
        tracing::warn!("erasure ledger file: {e}");
    }
    if let Err(e) = db.checkpoint().await {
        tracing::warn!("checkpoint after erasure: {e}");
    }
    Ok(run.outcome)
}

/// Whether any row of any table of `map` still names `stored` in a `file` column (content
/// stored once for several uploads). Runs inside the erasure's write transaction, so the
/// rows it just deleted do not count.
async fn file_still_used(
    tx: &mut sqlx::Transaction<'static, Any>,
    map: &DataMap,
    stored: &str,
) -> Result<bool, ErasureError> {
    for (name, table) in &map.tables {
        for col in table.file_columns() {
            let sql = format!(
                "SELECT COUNT(*) FROM {} WHERE {} = $1",
                ident(name).map_err(ErasureError::Policy)?,
                ident(col).map_err(ErasureError::Policy)?
            );
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(stored)
                .fetch_one(&mut **tx)
                .await?;
            if n > 0 {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// A random id for ledger rows (time-ordered enough for the ledger's purpose).
fn uuid_like() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill(&mut bytes);
    hex::encode(bytes)
}

/// The person's pseudonym, created on first use: "Former member " + 4 random hex digits
/// (6 after repeated collisions), unique across people.
async fn pseudonym_for(db: &Db, account_id: &str, now_ms: i64) -> Result<String, ErasureError> {
    for attempt in 0..40 {
        if let Some(p) = sqlx::query_scalar::<_, String>(
            "SELECT pseudonym FROM pseudonyms WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(db.pool())
        .await?
        {
            return Ok(p);
        }
        let digits = if attempt < 20 { 2 } else { 3 };
        let mut bytes = vec![0u8; digits];
        rand::rng().fill(bytes.as_mut_slice());
        let candidate = format!("Former member {}", hex::encode_upper(bytes));
        let inserted = sqlx::query(
            "INSERT INTO pseudonyms (account_id, pseudonym, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(account_id)
        .bind(&candidate)
        .bind(now_ms)
        .execute(db.pool())
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(candidate);
        }
    }
    Err(ErasureError::Policy(
        "could not draw a unique pseudonym".into(),
    ))
}

/// Replaces every ASCII-case-insensitive occurrence of each needle in `text` by
/// `replacement`; `None` when nothing matched.
pub fn redact(text: &str, needles: &[String], replacement: &str) -> Option<String> {
    let mut current = text.to_string();
    let mut changed = false;
    for needle in needles {
        let lower_needle = needle.to_ascii_lowercase();
        let mut out = String::with_capacity(current.len());
        let lower = current.to_ascii_lowercase();
        let mut last = 0;
        for (i, _) in lower.match_indices(&lower_needle) {
            if i < last {
                continue;
            }
            out.push_str(&current[last..i]);
            out.push_str(replacement);
            last = i + lower_needle.len();
            changed = true;
        }
        out.push_str(&current[last..]);
        current = out;
    }
    changed.then_some(current)
}

struct Run<'a> {
    db: &'a Db,
    job: &'a ErasureJob<'a>,
    pseudonym: String,
    needles: Vec<String>,
    outcome: ErasureOutcome,
}

fn bind_value<'q>(
    q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    v: &Value,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    match v {
        Value::Number(n) => q.bind(n.as_i64().unwrap_or_default()),
        Value::Null => q.bind(None::<String>),
        Value::String(s) => q.bind(s.clone()),
        other => q.bind(other.to_string()),
    }
}

/// One page of `base` (a `SELECT <key>, ... FROM t WHERE <condition on $1>`) after
/// `cursor` in `key` order, at most `limit` rows; `$1` is bound to `account_id`.
async fn fetch_page(
    tx: &mut sqlx::Transaction<'static, Any>,
    base: &str,
    key: &str,
    account_id: &str,
    cursor: Option<&Value>,
    limit: i64,
) -> Result<Vec<AnyRow>, sqlx::Error> {
    match cursor {
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{base} ORDER BY {key} LIMIT $2"
            )))
            .bind(account_id)
            .bind(limit)
            .fetch_all(&mut **tx)
            .await
        }
        Some(c) => {
            let q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{base} AND {key} > $2 ORDER BY {key} LIMIT $3"
            )))
            .bind(account_id);
            bind_value(q, c).bind(limit).fetch_all(&mut **tx).await
        }
    }
}

/// Writes `changes` (quoted column, new value; NULL for `Value::Null`) to the row of table
/// `t` whose `key` is `key_value`; `false` when there is nothing to change.
async fn rewrite_row(
    tx: &mut sqlx::Transaction<'static, Any>,
    t: &str,
    key: &str,
    key_value: &Value,
    changes: Vec<(String, Value)>,
) -> Result<bool, sqlx::Error> {
    if changes.is_empty() {
        return Ok(false);
    }
    let mut sets = Vec::new();
    let mut values = Vec::new();
    for (col, value) in changes {
        if value.is_null() {
            sets.push(format!("{col} = NULL"));
        } else {
            values.push(value);
            sets.push(format!("{col} = ${}", values.len()));
        }
    }
    let sql = format!(
        "UPDATE {t} SET {} WHERE {key} = ${}",
        sets.join(", "),
        values.len() + 1
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in &values {
        q = bind_value(q, v);
    }
    bind_value(q, key_value).execute(&mut **tx).await?;
    Ok(true)
}

impl Run<'_> {
    fn note_batch(&mut self, started: Instant) {
        self.outcome.batches += 1;
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.outcome.longest_batch_ms = self.outcome.longest_batch_ms.max(ms);
    }

    fn check_stop(&self) -> Result<(), ErasureError> {
        match self.job.stop_after_batches {
            Some(n) if self.outcome.batches >= n => Err(ErasureError::Interrupted(n)),
            _ => Ok(()),
        }
    }

    fn counts(&mut self, table: &str, rule: &'static str) -> &mut TableCounts {
        self.outcome
            .tables
            .entry(table.to_string())
            .or_insert_with(|| TableCounts {
                erasure: rule,
                ..TableCounts::default()
            })
    }

    fn delete_file(&mut self, stored: &str) -> Result<(), ErasureError> {
        let rel = Path::new(stored);
        if !rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
        {
            return Ok(()); // never touch anything outside the data dir
        }
        let full = self.job.data_dir.join(rel);
        match std::fs::remove_file(&full) {
            Ok(()) => {
                self.outcome.files_deleted += 1;
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(ErasureError::Io {
                path: full.display().to_string(),
                source,
            }),
        }
    }

    /// Deletes the subject's rows of `name` (only those whose `only_null` column is NULL,
    /// when given), in batches, with their stored files.
    async fn delete_rows(
        &mut self,
        name: &str,
        table: &TableSpec,
        only_null: Option<&str>,
    ) -> Result<(), ErasureError> {
        let mut cond = subject_rows::condition(self.job.map, table)
            .map_err(ErasureError::Policy)?
            .unwrap_or_else(|| "1 = 0".into());
        if let Some(col) = only_null {
            cond = format!(
                "{cond} AND {} IS NULL",
                ident(col).map_err(ErasureError::Policy)?
            );
        }
        let t = ident(name).map_err(ErasureError::Policy)?;
        let key = ident(table.key_column()).map_err(ErasureError::Policy)?;
        let file_cols: Vec<String> = table
            .file_columns()
            .into_iter()
            .map(ident)
            .collect::<Result<_, _>>()
            .map_err(ErasureError::Policy)?;
        let mut select = vec![key.clone()];
        select.extend(file_cols.iter().cloned());
        let select_sql = format!(
            "SELECT {} FROM {t} WHERE {cond} ORDER BY {key} LIMIT $2",
            select.join(", ")
        );
        let rule = if only_null.is_some() {
            "update"
        } else {
            "delete"
        };
        self.counts(name, rule);
        loop {
            self.check_stop()?;
            let started = Instant::now();
            let mut tx = self.db.begin_write().await?;
            let rows: Vec<AnyRow> = sqlx::query(sqlx::AssertSqlSafe(select_sql.clone()))
                .bind(self.job.account_id)
                .bind(self.job.batch_rows)
                .fetch_all(&mut *tx)
                .await?;
            if rows.is_empty() {
                tx.rollback().await?;
                return Ok(());
            }
            let placeholders: Vec<String> =
                (0..rows.len()).map(|i| format!("${}", i + 1)).collect();
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {t} WHERE {key} IN ({})",
                placeholders.join(", ")
            )));
            for row in &rows {
                q = bind_value(q, &json_value(row, 0));
            }
            let done = q.execute(&mut *tx).await?;
            // Files after the rows are gone (in this transaction) but before it commits: a
            // crash leaves rows pointing at missing files, which the rerun deletes; never
            // files without rows. Bytes another row still uses (the same content uploaded
            // twice) are kept.
            for row in &rows {
                for i in 0..file_cols.len() {
                    if let Some(stored) = text_value(row, i + 1)
                        && !file_still_used(&mut tx, self.job.map, &stored).await?
                    {
                        self.delete_file(&stored)?;
                    }
                }
            }
            tx.commit().await?;
            self.note_batch(started);
            let c = self.counts(name, rule);
            c.deleted += i64::try_from(done.rows_affected()).unwrap_or(i64::MAX);
            if (rows.len() as i64) < self.job.batch_rows {
                return Ok(());
            }
        }
    }

    async fn update_rows(&mut self, name: &str, table: &TableSpec) -> Result<(), ErasureError> {
        let cond = subject_rows::condition(self.job.map, table)
            .map_err(ErasureError::Policy)?
            .unwrap_or_else(|| "1 = 0".into());
        let t = ident(name).map_err(ErasureError::Policy)?;
        let key = ident(table.key_column()).map_err(ErasureError::Policy)?;
        let changing: Vec<(&str, ColumnErasure, Option<&str>)> = table
            .columns
            .iter()
            .filter_map(|(n, c)| match c.erasure {
                Some(ColumnErasure::Keep) | None => None,
                Some(action) => Some((n.as_str(), action, c.erased_value.as_deref())),
            })
            .collect();
        let subject = Value::from(self.job.account_id);
        self.counts(name, "update");
        if changing.is_empty() {
            return Ok(());
        }
        let mut select = vec![key.clone()];
        for (n, _, _) in &changing {
            select.push(ident(n).map_err(ErasureError::Policy)?);
        }
        let base = format!("SELECT {} FROM {t} WHERE {cond}", select.join(", "));
        let mut cursor: Option<Value> = None;
        loop {
            self.check_stop()?;
            let started = Instant::now();
            let mut tx = self.db.begin_write().await?;
            let rows = fetch_page(
                &mut tx,
                &base,
                &key,
                self.job.account_id,
                cursor.as_ref(),
                self.job.batch_rows,
            )
            .await?;
            let Some(last) = rows.last() else {
                tx.rollback().await?;
                return Ok(());
            };
            cursor = Some(json_value(last, 0));
            let mut rewritten = 0;
            for row in &rows {
                let mut changes = Vec::new();
                for (i, (col, action, erased_value)) in changing.iter().enumerate() {
                    let current = json_value(row, i + 1);
                    if is_account_ref(table, col) && current != subject {
                        continue; // another person's id: theirs to keep
                    }
                    let target = match action {
                        ColumnErasure::Null => Value::Null,
                        ColumnErasure::Pseudonymise => Value::from(self.pseudonym.as_str()),
                        ColumnErasure::Set => Value::from(erased_value.unwrap_or_default()),
                        ColumnErasure::Redact => match &current {
                            Value::String(s) => match redact(s, &self.needles, &self.pseudonym) {
                                Some(r) => Value::from(r),
                                None => continue,
                            },
                            _ => continue,
                        },
                        ColumnErasure::Keep => continue,
                    };
                    if target != current {
                        changes.push((ident(col).map_err(ErasureError::Policy)?, target));
                    }
                }
                if rewrite_row(&mut tx, &t, &key, &json_value(row, 0), changes).await? {
                    rewritten += 1;
                }
            }
            tx.commit().await?;
            self.note_batch(started);
            self.counts(name, "update").pseudonymised += rewritten;
            if (rows.len() as i64) < self.job.batch_rows {
                return Ok(());
            }
        }
    }

    /// Redacts the email and name in `table.redact_everywhere` columns of every row that
    /// mentions them, whoever the row belongs to: reads the whole table in key order, in
    /// bounded batches, and rewrites only rows where [`redact`] finds a mention (so meant
    /// for small tables such as the outgoing-mail queue).
    async fn redact_everywhere(
        &mut self,
        name: &str,
        table: &TableSpec,
    ) -> Result<(), ErasureError> {
        let t = ident(name).map_err(ErasureError::Policy)?;
        let key = ident(table.key_column()).map_err(ErasureError::Policy)?;
        let cols: Vec<String> = table
            .redact_everywhere
            .iter()
            .map(|c| ident(c))
            .collect::<Result<_, _>>()
            .map_err(ErasureError::Policy)?;
        if self.needles.is_empty() || cols.is_empty() {
            return Ok(());
        }
        // Every row: the subject's id is bound as $1 only to share the pager.
        let base = format!(
            "SELECT {key}, {} FROM {t} WHERE CAST($1 AS TEXT) IS NOT NULL",
            cols.join(", ")
        );
        let mut cursor: Option<Value> = None;
        loop {
            self.check_stop()?;
            let started = Instant::now();
            let mut tx = self.db.begin_write().await?;
            let rows = fetch_page(
                &mut tx,
                &base,
                &key,
                self.job.account_id,
                cursor.as_ref(),
                self.job.batch_rows,
            )
            .await?;
            let Some(last) = rows.last() else {
                tx.rollback().await?;
                return Ok(());
            };
            cursor = Some(json_value(last, 0));
            let mut rewritten = 0;
            for row in &rows {
                let changes: Vec<(String, Value)> = cols
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| {
                        let text = text_value(row, i + 1)?;
                        let r = redact(&text, &self.needles, &self.pseudonym)?;
                        Some((c.clone(), Value::from(r)))
                    })
                    .collect();
                if rewrite_row(&mut tx, &t, &key, &json_value(row, 0), changes).await? {
                    rewritten += 1;
                }
            }
            tx.commit().await?;
            self.note_batch(started);
            self.counts(name, "update").redacted += rewritten;
            if (rows.len() as i64) < self.job.batch_rows {
                return Ok(());
            }
        }
    }

    /// Deletes files in the data map's `scrub_dirs` that mention the email or name.
    fn scrub_dirs(&mut self) -> Result<(), ErasureError> {
        let lower_needles: Vec<Vec<u8>> = self
            .needles
            .iter()
            .map(|n| n.to_ascii_lowercase().into_bytes())
            .collect();
        for dir in &self.job.map.scrub_dirs {
            let full = self.job.data_dir.join(dir);
            let entries = match std::fs::read_dir(&full) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => {
                    return Err(ErasureError::Io {
                        path: full.display().to_string(),
                        source,
                    });
                }
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if !entry.file_type().is_ok_and(|t| t.is_file()) {
                    continue;
                }
                let Ok(bytes) = std::fs::read(&path) else {
                    continue;
                };
                let lower = bytes.to_ascii_lowercase();
                let mentions = lower_needles
                    .iter()
                    .any(|n| !n.is_empty() && lower.windows(n.len()).any(|w| w == n.as_slice()));
                if mentions {
                    std::fs::remove_file(&path).map_err(|source| ErasureError::Io {
                        path: path.display().to_string(),
                        source,
                    })?;
                    self.outcome.files_deleted += 1;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_is_case_insensitive_and_total() {
        let needles = vec!["Alice Doe".to_string(), "alice@example.com".to_string()];
        let got = redact(
            "Thanks ALICE DOE (Alice@Example.com), alice doe!",
            &needles,
            "Former member 7F3A",
        );
        assert_eq!(
            got.as_deref(),
            Some("Thanks Former member 7F3A (Former member 7F3A), Former member 7F3A!")
        );
        assert_eq!(redact("nothing here", &needles, "x"), None);
    }
}
