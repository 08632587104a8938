//! How a sweep batches: for each table of a rule, which rows may go (older than the
//! cut-off by the table's retention clock, no subject under legal hold, no other row still
//! pointing at it through a foreign key), counted first, then deleted in bounded batches
//! (`DELETE ... WHERE key IN (SELECT ... LIMIT n)`, by the table's row key), each its own short write transaction,
//! with the rule's lease renewed before every batch. Each batch's transaction also adds its
//! rows to the run's `retention_runs` record, so the record counts exactly the committed
//! batches, even when the process is killed. A kill leaves whole batches done; the next run
//! finishes the job. A table with `file` columns (stored files) has each swept row's file
//! deleted right after its batch commits, unless another row still names it.
//!
//! Identifiers spliced into the SQL come from the validated data map and the schema, and
//! are checked again by [`is_ident`]; the cut-off and batch size are bound.

use crate::base::clock::Clock;
use crate::base::db::Db;
use crate::base::error_chain::with_causes;
use crate::base::lease::{JOB_HEARTBEAT_MS, JOB_LEASE_MS, LeaseGuard};
use crate::policy::data_map::{SubjectLink, TableSpec};
use crate::policy::loader::Policies;
use crate::policy::schema_check::{self, ForeignKey};
use crate::subject::erasure::files::{delete_stored, still_used};
use crate::subject::subject_rows::text_value;
use sqlx::Row;

/// How a sweep runs.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Count what would go, delete nothing.
    pub dry_run: bool,
    /// Rows deleted per transaction.
    pub batch_size: i64,
    /// Who holds the lease (unique per process).
    pub holder: String,
    /// How long a lease lasts before another sweeper may take over (ms); renewed by a
    /// heartbeat every `heartbeat_ms` and before every batch.
    pub lease_ms: i64,
    /// How often the heartbeat renews the lease while the run is going (ms).
    pub heartbeat_ms: i64,
    /// Test hook: behave as if killed after this many committed batches (stop without
    /// finishing the run record or giving the lease back). `None` in production.
    pub stop_after_batches: Option<u64>,
    /// The data dir that `file` columns' paths are relative to: a swept row's stored file
    /// goes with it (unless another row still names it). A rule over such a table fails
    /// without it, rather than leave the files behind. Not needed for a dry run.
    pub data_dir: Option<std::path::PathBuf>,
}

impl Default for SweepOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            batch_size: 1_000,
            holder: format!(
                "pid-{}-{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ),
            lease_ms: JOB_LEASE_MS,
            heartbeat_ms: JOB_HEARTBEAT_MS,
            stop_after_batches: None,
            data_dir: None,
        }
    }
}

/// Where legal holds live, so sweeps can skip held subjects' rows.
#[derive(Debug, Clone)]
pub struct HoldSource {
    /// Table of holds.
    pub table: &'static str,
    /// Its column holding the held account's id.
    pub subject_column: &'static str,
    /// SQL condition (on alias `h`) that makes a hold active, e.g. `h.lifted_at IS NULL`.
    pub active_condition: &'static str,
}

/// What one table of a rule saw.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableSweep {
    /// Table name.
    pub table: String,
    /// Rows past the period and free to go when the run started.
    pub rows_examined: i64,
    /// Rows deleted (0 in a dry run).
    pub rows_affected: i64,
    /// The longest single delete transaction (ms), for the benchmark.
    pub longest_batch_ms: u64,
}

/// Sweeps every table of rule `rule_name` whose rows are older than `cutoff_ms`: counts
/// what may go, then (unless a dry run) deletes it in batches of `options.batch_size`, each
/// its own write transaction, renewing `lease` before each batch and adding the batch's
/// rows to run `run_id`'s record in the same transaction. Pushes one [`TableSweep`] per
/// table finished onto `tables`, so a failure keeps what was done.
///
/// Errors: the database's; losing the lease to another sweeper stops the run;
/// [`SweepStop::Unsweepable`] for a table the rule cannot sweep (never skipped: its rows
/// would outlive the period); [`SweepStop::Stopped`] from the test hook
/// [`SweepOptions::stop_after_batches`].
pub(super) async fn sweep_tables(
    ctx: &BatchContext<'_>,
    policies: &Policies,
    rule_name: &str,
    holds: Option<&HoldSource>,
    tables: &mut Vec<TableSweep>,
) -> Result<(), SweepStop> {
    let BatchContext {
        db,
        cutoff_ms,
        options,
        run_id,
        ..
    } = *ctx;
    let foreign_keys = schema_check::read_foreign_keys(db).await?;
    for (table_name, table) in policies
        .data_map
        .tables
        .iter()
        .filter(|(_, t)| t.retention == rule_name)
    {
        // Skipping such a table would keep its rows past the published period unseen.
        let Some(filter) = candidate_filter(policies, table_name, table, &foreign_keys, holds)
        else {
            return Err(SweepStop::Unsweepable(table_name.clone()));
        };
        let count_sql = format!("SELECT COUNT(*) FROM {table_name} r WHERE {filter}");
        let examined: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(cutoff_ms)
            .fetch_one(db.pool())
            .await?;
        let mut sweep = TableSweep {
            table: table_name.clone(),
            rows_examined: examined,
            rows_affected: 0,
            longest_batch_ms: 0,
        };
        let before: (i64, i64) = tables.iter().fold((0, 0), |(e, a), t| {
            (e + t.rows_examined, a + t.rows_affected)
        });
        sqlx::query("UPDATE retention_runs SET rows_examined = $1 WHERE id = $2")
            .bind(before.0 + examined)
            .bind(run_id)
            .execute(db.pool())
            .await?;
        if !options.dry_run {
            let files = file_work(policies, table, options)?;
            let returning = files.as_ref().map_or(String::new(), |f| {
                format!(" RETURNING {}", f.columns.join(", "))
            });
            let key = table.key_column();
            let delete_sql = format!(
                "DELETE FROM {table_name} WHERE {key} IN (SELECT r.{key} FROM {table_name} r WHERE {filter} LIMIT $2){returning}"
            );
            let result =
                delete_in_batches(ctx, &delete_sql, files.as_ref(), before.1, &mut sweep).await;
            if let Err(stop) = result {
                tables.push(sweep);
                return Err(stop);
            }
        }
        tables.push(sweep);
    }
    Ok(())
}

/// What every batch of one run shares.
#[derive(Clone, Copy)]
pub(super) struct BatchContext<'a> {
    /// The database.
    pub db: &'a Db,
    /// The job's clock (lease renewals).
    pub clock: &'a dyn Clock,
    /// Rows older than this go (Unix ms).
    pub cutoff_ms: i64,
    /// Batch size, dry run, test hook.
    pub options: &'a SweepOptions,
    /// The rule's lease, renewed before each batch.
    pub lease: &'a LeaseGuard,
    /// The run's `retention_runs` id, whose counts each batch raises.
    pub run_id: &'a str,
    /// Batches committed so far in this run (for the test hook).
    pub batches: &'a std::sync::atomic::AtomicU64,
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub(super) enum SweepStop {
    /// A database failure, or the lease was lost.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// A swept row's stored file could not be deleted, or there is no data dir to find it.
    #[error("{0}")]
    Files(String),
    /// A table of the rule has no usable retention clock or row key in the data map.
    #[error(
        "table {0} cannot be swept: its retention clock or row key is missing or not a plain column name"
    )]
    Unsweepable(String),
    /// The test hook's "kill": the record and the lease are left as a crash leaves them.
    #[error("stopped after {0} batches (test hook)")]
    Stopped(u64),
}

/// Deletes with `delete_sql` (`$1` = cut-off, `$2` = batch size) until a batch comes back
/// short, one write transaction per batch, renewing the lease before each; the run's record
/// gets `affected_before` plus this table's rows so far in the same transaction. Adds to
/// `sweep`'s count and longest batch as it goes.
///
/// Errors: the database's; [`sqlx::Error::Protocol`] when another sweeper took the lease.
async fn delete_in_batches(
    ctx: &BatchContext<'_>,
    delete_sql: &str,
    files: Option<&FileWork<'_>>,
    affected_before: i64,
    sweep: &mut TableSweep,
) -> Result<(), SweepStop> {
    let options = ctx.options;
    // Rows per batch: at most `batch_size`, halved while a transaction takes longer than
    // TARGET_BATCH_MS (a slow disk, a busy database), grown back while it is quick.
    // It starts small: the first transaction is not the longest.
    let mut limit = options.batch_size.min(START_BATCH_ROWS);
    let mut since_checkpoint = std::time::Instant::now();
    loop {
        if !ctx.lease.renew(ctx.clock.now_ms()).await? {
            return Err(sqlx::Error::Protocol(format!(
                "lost the lease on {}: another sweeper took over",
                ctx.lease.name()
            ))
            .into());
        }
        let started = std::time::Instant::now();
        let mut tx = ctx.db.begin_write().await?;
        let query = sqlx::query(sqlx::AssertSqlSafe(delete_sql.to_string()))
            .bind(ctx.cutoff_ms)
            .bind(limit);
        let (deleted, stored) = match files {
            None => (query.execute(&mut *tx).await?.rows_affected(), Vec::new()),
            Some(_) => {
                let rows = query.fetch_all(&mut *tx).await?;
                let stored: Vec<String> = rows
                    .iter()
                    .flat_map(|row| (0..row.len()).filter_map(|i| text_value(row, i)))
                    .collect();
                (u64::try_from(rows.len()).unwrap_or(u64::MAX), stored)
            }
        };
        let deleted = i64::try_from(deleted).unwrap_or(i64::MAX);
        sqlx::query("UPDATE retention_runs SET rows_affected = $1 WHERE id = $2")
            .bind(affected_before + sweep.rows_affected + deleted)
            .bind(ctx.run_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let tx_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if let Some(files) = files {
            // After the commit: a crash in between leaves a file no row names, which the
            // owner of the store deletes at start-up (export archives: the privacy worker).
            files.delete(ctx.db, &stored).await?;
        }
        sweep.longest_batch_ms = sweep.longest_batch_ms.max(tx_ms);
        sweep.rows_affected += deleted;
        let done = ctx
            .batches
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        if options.stop_after_batches.is_some_and(|n| done >= n) {
            return Err(SweepStop::Stopped(done));
        }
        if deleted < limit {
            break;
        }
        if tx_ms > TARGET_BATCH_MS {
            limit = (limit / 2).max(MIN_BATCH_ROWS.min(options.batch_size));
        } else if tx_ms < TARGET_BATCH_MS / 4 {
            limit = (limit * 2).min(options.batch_size);
        }
        // Between batches, no transaction open: the write-ahead log is written back and
        // truncated about once a second, so a sweep of millions of rows keeps it small.
        if since_checkpoint.elapsed() >= CHECKPOINT_EVERY {
            if let Err(err) = ctx.db.checkpoint().await {
                tracing::debug!("checkpoint between sweep batches: {err}");
            }
            since_checkpoint = std::time::Instant::now();
        }
    }
    Ok(())
}

/// How long one sweep write transaction should take at most (ms).
const TARGET_BATCH_MS: u64 = 20;

/// Rows of a sweep's first batch (at most `batch_size`).
const START_BATCH_ROWS: i64 = 500;

/// The fewest rows a sweep batch shrinks to.
const MIN_BATCH_ROWS: i64 = 10;

/// How often a long sweep checkpoints SQLite's write-ahead log.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// A table's stored files, deleted with its swept rows.
struct FileWork<'a> {
    /// The table's `file` columns.
    columns: Vec<&'a str>,
    /// What their paths are relative to.
    data_dir: &'a std::path::Path,
    /// The whole data map: a file still named by any row of any table stays.
    map: &'a crate::policy::data_map::DataMap,
}

impl FileWork<'_> {
    /// Deletes each of `stored` (data-dir relative paths) no row names any more.
    async fn delete(&self, db: &Db, stored: &[String]) -> Result<(), SweepStop> {
        let mut conn = db.pool().acquire().await?;
        for path in stored {
            let used = still_used(&mut conn, self.map, path)
                .await
                .map_err(|e| SweepStop::Files(with_causes(&e)))?;
            if !used {
                delete_stored(self.data_dir, path)
                    .map_err(|e| SweepStop::Files(with_causes(&e)))?;
            }
        }
        Ok(())
    }
}

/// The file work of sweeping `table`: `None` when it has no `file` columns.
///
/// Errors: [`SweepStop::Files`] when it has some and `options.data_dir` is not given.
fn file_work<'a>(
    policies: &'a Policies,
    table: &'a TableSpec,
    options: &'a SweepOptions,
) -> Result<Option<FileWork<'a>>, SweepStop> {
    let columns: Vec<&str> = table
        .file_columns()
        .into_iter()
        .filter(|c| is_ident(c))
        .collect();
    if columns.is_empty() {
        return Ok(None);
    }
    let data_dir = options.data_dir.as_deref().ok_or_else(|| {
        SweepStop::Files("the table holds stored files and no data dir was given".into())
    })?;
    Ok(Some(FileWork {
        columns,
        data_dir,
        map: &policies.data_map,
    }))
}

/// The WHERE condition (on alias `r`, `$1` = cut-off) selecting rows of `table` that may go:
/// past the period, not under legal hold, not referenced by any other row. `None` when the
/// table has no clock or any identifier is not a plain name.
fn candidate_filter(
    policies: &Policies,
    table_name: &str,
    table: &TableSpec,
    foreign_keys: &[ForeignKey],
    holds: Option<&HoldSource>,
) -> Option<String> {
    let clock = table.retention_clock.as_deref().filter(|c| is_ident(c))?;
    // A table keyed by another column (one pending email change per account) is swept by
    // that key: requiring an `id` column left such tables unswept past their period.
    let key = table.key_column();
    if !is_ident(table_name) || !is_ident(key) || !table.columns.contains_key(key) {
        return None;
    }
    let mut filter = format!("r.{clock} < $1");
    if let Some(holds) = holds {
        for link in &table.links {
            for subject in subject_exprs(policies, link, "r", 0)? {
                filter.push_str(&format!(
                    " AND NOT EXISTS (SELECT 1 FROM {} h WHERE h.{} = {subject} AND {})",
                    holds.table, holds.subject_column, holds.active_condition
                ));
            }
        }
    }
    // Self-references too (a duplicate request pointing at its original): the original
    // waits until its duplicates are gone.
    for fk in foreign_keys.iter().filter(|fk| fk.ref_table == table_name) {
        if !(is_ident(&fk.table) && is_ident(&fk.column) && is_ident(&fk.ref_column)) {
            return None;
        }
        filter.push_str(&format!(
            " AND NOT EXISTS (SELECT 1 FROM {} c WHERE c.{} = r.{})",
            fk.table, fk.column, fk.ref_column
        ));
    }
    Some(filter)
}

/// How many tables a chain of `via` links may cross (the data map's deepest is two).
const MAX_LINK_DEPTH: u8 = 4;

/// SQL for the account ids a row (alias `alias`) belongs to through `link`: one expression
/// per subject. A `via` link without a subject column reaches every subject of the other
/// table's row through that table's own links (an agent event on an order belongs to the
/// order's customer and to the agent's owner), so a hold on either keeps the row; `None`
/// there made the sweep skip the whole table.
fn subject_exprs(
    policies: &Policies,
    link: &SubjectLink,
    alias: &str,
    depth: u8,
) -> Option<Vec<String>> {
    if !is_ident(&link.column) || depth > MAX_LINK_DEPTH {
        return None;
    }
    let column = format!("{alias}.{}", link.column);
    let Some(via) = &link.via else {
        return Some(vec![column]);
    };
    let (other, key) = via.split_once('.')?;
    let other_table = policies.data_map.tables.get(other)?;
    if !(is_ident(other) && is_ident(key)) {
        return None;
    }
    let inner = format!("v{depth}");
    let from =
        |expr: &str| format!("(SELECT {expr} FROM {other} {inner} WHERE {inner}.{key} = {column})");
    match &link.subject_column {
        Some(subject_column) if is_ident(subject_column) => {
            Some(vec![from(&format!("{inner}.{subject_column}"))])
        }
        Some(_) => None,
        None => {
            let mut exprs = Vec::new();
            for next in &other_table.links {
                for expr in subject_exprs(policies, next, &inner, depth + 1)? {
                    exprs.push(from(&expr));
                }
            }
            Some(exprs)
        }
    }
}

/// Whether `s` is a plain SQL identifier (lowercase letters, digits, underscores): the data
/// map is validated, but identifiers are spliced into SQL, so check again here.
pub fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}
