//! The passes erasure makes over one table, each in bounded write transactions of
//! [`ErasureJob::batch_rows`] rows, each idempotent so a rerun finishes what a crash cut
//! short: delete the subject's rows with their stored files ([`Run::delete_rows`]), rewrite
//! their personal columns ([`Run::update_rows`]), redact mentions of them in everyone's rows
//! ([`Run::redact_everywhere`]). [`Run`] carries what one erasure has learnt and done.

use std::time::Instant;

use serde_json::Value;
use sqlx::any::AnyRow;

use super::job::{ErasureError, ErasureJob, ErasureOutcome, TableCounts};
use super::{paging, table_rules};
use crate::base::db::Db;
use crate::policy::data_map::{ColumnErasure, TableSpec};
use crate::subject::identifiers::SubjectIdentifiers;
use crate::subject::subject_rows::{self, ident, json_value, text_value};

/// One erasure in progress.
pub(super) struct Run<'a> {
    pub(super) db: &'a Db,
    pub(super) job: &'a ErasureJob<'a>,
    /// What the person's personal columns and mentions become.
    pub(super) pseudonym: String,
    /// The email and display name as found in anyone's text (rules in
    /// [`crate::subject::identifiers`]), read before the accounts row (which holds them) is
    /// erased last; used where the row may belong to anyone.
    pub(super) ids: SubjectIdentifiers,
    /// The same plus each single word of the name: used only in rows the subject is a party
    /// to (their own orders and threads, where "Thanks Ana!" means them).
    pub(super) party_ids: SubjectIdentifiers,
    /// Counts so far; what the run reports when it completes.
    pub(super) outcome: ErasureOutcome,
    /// Rows the next batch takes: at most [`ErasureJob::batch_rows`], halved while a batch's
    /// transaction takes longer than [`TARGET_BATCH_MS`] and grown back while it is quick,
    /// so a write transaction stays short on a slow disk or a busy database too.
    pub(super) rows: i64,
    /// The row limit of the page [`Run::next_page`] read last (a page shorter than it is
    /// the last one).
    pub(super) last_limit: i64,
    /// When the erasure began (Unix ms): the date a withheld file's notice gives.
    pub(super) now_ms: i64,
    /// Stored contents replaced by this run, for the ledger (see
    /// [`crate::erasure_ledger::ContentReplacement`]).
    pub(super) replaced_contents: Vec<crate::erasure_ledger::ContentReplacement>,
}

/// How long one erasure write transaction should take at most (ms); batches shrink when
/// one takes longer (issue 12: "no write transaction over 50 ms").
pub(super) const TARGET_BATCH_MS: u64 = 20;

/// The fewest rows a batch shrinks to.
const MIN_BATCH_ROWS: i64 = 10;

impl Run<'_> {
    /// Counts one committed write transaction that began at `started`.
    pub(super) fn note_batch(&mut self, started: Instant) {
        self.outcome.batches += 1;
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.outcome.longest_batch_ms = self.outcome.longest_batch_ms.max(ms);
        if ms > TARGET_BATCH_MS {
            self.rows = (self.rows / 2).max(MIN_BATCH_ROWS.min(self.job.batch_rows));
        } else if ms < TARGET_BATCH_MS / 4 {
            self.rows = (self.rows * 2).min(self.job.batch_rows);
        }
    }

    /// The next page of `base` after `cursor` (read outside any write transaction), once
    /// the test hook has had its say.
    pub(super) async fn next_page(
        &mut self,
        base: &str,
        key: &str,
        cursor: Option<&Value>,
    ) -> Result<Vec<AnyRow>, ErasureError> {
        self.check_stop()?;
        let rows = paging::fetch_page(
            self.db.pool(),
            base,
            key,
            self.job.account_id,
            cursor,
            self.rows,
        )
        .await?;
        self.last_limit = self.rows;
        Ok(rows)
    }

    pub(super) fn check_stop(&self) -> Result<(), ErasureError> {
        match self.job.stop_after_batches {
            Some(n) if self.outcome.batches >= n => Err(ErasureError::Interrupted(n)),
            _ => Ok(()),
        }
    }

    pub(super) fn counts(&mut self, table: &str, rule: &'static str) -> &mut TableCounts {
        self.outcome
            .tables
            .entry(table.to_string())
            .or_insert_with(|| TableCounts {
                erasure: rule,
                ..TableCounts::default()
            })
    }

    /// Deletes the subject's rows of `name` (only those whose `only_null` column is NULL,
    /// when given), in batches, with their stored files.
    pub(super) async fn delete_rows(
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
            let limit = self.rows;
            let mut tx = self.db.begin_write().await?;
            let rows: Vec<AnyRow> = sqlx::query(sqlx::AssertSqlSafe(select_sql.clone()))
                .bind(self.job.account_id)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            if rows.is_empty() {
                tx.rollback().await?;
                break;
            }
            let placeholders: Vec<String> =
                (0..rows.len()).map(|i| format!("${}", i + 1)).collect();
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {t} WHERE {key} IN ({})",
                placeholders.join(", ")
            )));
            for row in &rows {
                q = paging::bind_value(q, &json_value(row, 0));
            }
            let done = q.execute(&mut *tx).await?;
            // The rows' files are listed in the job (same transaction) and deleted after the
            // commit, outside it (file I/O never holds the write lock): a crash in between
            // leaves the list, and this run or the resumed one deletes what it names and no
            // row still uses (the same content uploaded twice stays).
            let listed: Vec<String> = rows
                .iter()
                .flat_map(|row| (0..file_cols.len()).filter_map(|i| text_value(row, i + 1)))
                .collect();
            list_for_deletion(&mut tx, self.job.account_id, &listed).await?;
            tx.commit().await?;
            self.note_batch(started);
            let c = self.counts(name, rule);
            c.deleted += i64::try_from(done.rows_affected()).unwrap_or(i64::MAX);
            if (rows.len() as i64) < limit {
                break;
            }
        }
        if !file_cols.is_empty() {
            self.delete_replaced_files().await?;
        }
        Ok(())
    }

    /// Rewrites the personal columns of the subject's rows of `name` as the data map says
    /// (NULL, the pseudonym, a fixed value, or redacted text), in batches, leaving columns
    /// that hold another person's id alone.
    pub(super) async fn update_rows(
        &mut self,
        name: &str,
        table: &TableSpec,
    ) -> Result<(), ErasureError> {
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
        // A copy, since the pager below borrows the run mutably; once per table.
        let party_ids = self.party_ids.clone();
        let changes_for = move |row: &AnyRow, pseudonym: &str| {
            let mut changes = Vec::new();
            for (i, (col, action, erased_value)) in changing.iter().enumerate() {
                let current = json_value(row, i + 1);
                if table_rules::is_account_ref(table, col) && current != subject {
                    continue; // another person's id: theirs to keep
                }
                let target = match action {
                    ColumnErasure::Null => Value::Null,
                    ColumnErasure::Pseudonymise => Value::from(pseudonym),
                    ColumnErasure::Set => Value::from(erased_value.unwrap_or_default()),
                    ColumnErasure::Redact => match &current {
                        Value::String(s) => match party_ids.redact(s, pseudonym) {
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
            Ok(changes)
        };
        self.rewrite_in_batches(name, &t, &key, &base, |c| &mut c.pseudonymised, changes_for)
            .await
    }

    /// Redacts the email and name in `table.redacted_everywhere()` columns of every row that
    /// mentions them, whoever the row belongs to: reads the whole table in key order, in
    /// bounded batches, and rewrites only rows where [`SubjectIdentifiers::redact`] finds a mention (so meant for
    /// small tables such as the outgoing-mail queue).
    pub(super) async fn redact_everywhere(
        &mut self,
        name: &str,
        table: &TableSpec,
    ) -> Result<(), ErasureError> {
        let t = ident(name).map_err(ErasureError::Policy)?;
        let key = ident(table.key_column()).map_err(ErasureError::Policy)?;
        let everywhere = table.redacted_everywhere();
        let cols: Vec<String> = everywhere
            .iter()
            .map(|c| ident(c))
            .collect::<Result<_, _>>()
            .map_err(ErasureError::Policy)?;
        // A raw message is searched decoded and kept as its redacted plain text.
        let is_mail: Vec<bool> = everywhere
            .iter()
            .map(|c| {
                table
                    .columns
                    .get(*c)
                    .is_some_and(|spec| spec.mail == Some(true))
            })
            .collect();
        if self.ids.is_empty() || cols.is_empty() {
            return Ok(());
        }
        // Every row: the subject's id is bound as $1 only to share the pager.
        let base = format!(
            "SELECT {key}, {} FROM {t} WHERE CAST($1 AS TEXT) IS NOT NULL",
            cols.join(", ")
        );
        let ids = self.ids.clone();
        let changes_for = move |row: &AnyRow, pseudonym: &str| {
            Ok(cols
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let text = text_value(row, i + 1)?;
                    let r = if is_mail[i] {
                        ids.redact_mail(&text, pseudonym)?
                    } else {
                        ids.redact(&text, pseudonym)?
                    };
                    Some((c.clone(), Value::from(r)))
                })
                .collect())
        };
        self.rewrite_in_batches(name, &t, &key, &base, |c| &mut c.redacted, changes_for)
            .await
    }

    /// Pages through `base` (`SELECT <key>, <columns> FROM t WHERE <condition on $1>`, `$1`
    /// the subject's id) in key order, [`ErasureJob::batch_rows`] rows a page, writing to
    /// each row of table `t` the changes `changes_for` computes from it (given the
    /// pseudonym); after each committed page adds the rows rewritten to the `counter` of
    /// table `name`.
    ///
    /// A page is read outside any write transaction; only when some of its rows change is
    /// a write transaction opened, and those rows are read again inside it, so the changes
    /// are computed from what is committed. A whole-table scan that finds nothing (most
    /// pages of [`Run::redact_everywhere`]) never holds the database's write lock.
    async fn rewrite_in_batches(
        &mut self,
        name: &str,
        t: &str,
        key: &str,
        base: &str,
        counter: fn(&mut TableCounts) -> &mut i64,
        changes_for: impl Fn(&AnyRow, &str) -> Result<Vec<(String, Value)>, ErasureError>,
    ) -> Result<(), ErasureError> {
        let mut cursor: Option<Value> = None;
        loop {
            let rows = self.next_page(base, key, cursor.as_ref()).await?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            cursor = Some(json_value(last, 0));
            let mut changing = Vec::new();
            for row in &rows {
                if !changes_for(row, &self.pseudonym)?.is_empty() {
                    changing.push(json_value(row, 0));
                }
            }
            if !changing.is_empty() {
                let started = Instant::now();
                let mut tx = self.db.begin_write().await?;
                let current =
                    paging::fetch_keys(&mut tx, base, key, self.job.account_id, &changing).await?;
                let mut rewritten = 0;
                for row in &current {
                    let changes = changes_for(row, &self.pseudonym)?;
                    if paging::rewrite_row(&mut tx, t, key, &json_value(row, 0), changes).await? {
                        rewritten += 1;
                    }
                }
                tx.commit().await?;
                self.note_batch(started);
                *counter(self.counts(name, "update")) += rewritten;
            } else {
                // Reported per table even when nothing in it names the person.
                self.counts(name, "update");
            }
            if (rows.len() as i64) < self.last_limit {
                return Ok(());
            }
        }
    }
}

/// Inside the erasure's write transaction `tx`: adds `stored` (file paths relative to the
/// data dir) to the job's `erasure_jobs.replaced_files`, the files
/// [`Run::delete_replaced_files`] deletes after the commit once no row uses them (on this
/// run, or the resumed one after a crash).
///
/// Errors: the database's.
pub(super) async fn list_for_deletion(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    account_id: &str,
    stored: &[String],
) -> Result<(), sqlx::Error> {
    if stored.is_empty() {
        return Ok(());
    }
    let listed = stored.join("\n") + "\n";
    sqlx::query(
        "UPDATE erasure_jobs SET replaced_files = replaced_files || $1 WHERE account_id = $2",
    )
    .bind(&listed)
    .bind(account_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
