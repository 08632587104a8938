//! How a sweep batches: for each table of a rule, which rows may go (older than the
//! cut-off by the table's retention clock, no subject under legal hold, no other row still
//! pointing at it through a foreign key), counted first, then deleted in bounded batches
//! (`DELETE ... WHERE id IN (SELECT ... LIMIT n)`), each its own short write transaction,
//! with the rule's lease renewed before every batch. A kill leaves whole batches done; the
//! next run finishes the job.
//!
//! Identifiers spliced into the SQL come from the validated data map and the schema, and
//! are checked again by [`is_ident`]; the cut-off and batch size are bound.

use crate::base::clock::Clock;
use crate::base::db::Db;
use crate::base::lease;
use crate::policy::data_map::{SubjectLink, TableSpec};
use crate::policy::loader::Policies;
use crate::policy::schema_check::{self, ForeignKey};

/// How a sweep runs.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Count what would go, delete nothing.
    pub dry_run: bool,
    /// Rows deleted per transaction.
    pub batch_size: i64,
    /// Who holds the lease (unique per process).
    pub holder: String,
    /// How long a lease lasts before another sweeper may take over (ms); renewed per batch.
    pub lease_ms: i64,
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
            lease_ms: 5 * 60_000,
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
/// its own write transaction, renewing the lease `lease_name` before each batch. Pushes one
/// [`TableSweep`] per table finished onto `tables`, so a failure keeps what was done.
///
/// Errors: the database's; losing the lease to another sweeper stops the run.
#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename these
pub(super) async fn sweep_tables(
    db: &Db,
    policies: &Policies,
    clock: &dyn Clock,
    rule_name: &str,
    cutoff_ms: i64,
    options: &SweepOptions,
    holds: Option<&HoldSource>,
    lease_name: &str,
    tables: &mut Vec<TableSweep>,
) -> Result<(), sqlx::Error> {
    let foreign_keys = schema_check::read_foreign_keys(db).await?;
    for (table_name, table) in policies
        .data_map
        .tables
        .iter()
        .filter(|(_, t)| t.retention == rule_name)
    {
        let Some(filter) = candidate_filter(policies, table_name, table, &foreign_keys, holds)
        else {
            continue;
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
        if !options.dry_run {
            let delete_sql = format!(
                "DELETE FROM {table_name} WHERE id IN (SELECT r.id FROM {table_name} r WHERE {filter} LIMIT $2)"
            );
            delete_in_batches(
                db,
                clock,
                &delete_sql,
                cutoff_ms,
                options,
                lease_name,
                &mut sweep,
            )
            .await?;
        }
        tables.push(sweep);
    }
    Ok(())
}

/// Deletes with `delete_sql` (`$1` = cut-off, `$2` = batch size) until a batch comes back
/// short, one write transaction per batch, renewing the lease before each; adds to
/// `sweep`'s count and longest batch as it goes.
///
/// Errors: the database's; [`sqlx::Error::Protocol`] when another sweeper took the lease.
async fn delete_in_batches(
    db: &Db,
    clock: &dyn Clock,
    delete_sql: &str,
    cutoff_ms: i64,
    options: &SweepOptions,
    lease_name: &str,
    sweep: &mut TableSweep,
) -> Result<(), sqlx::Error> {
    loop {
        let wall = clock.now_ms();
        if !lease::acquire(
            db,
            lease_name,
            &options.holder,
            wall,
            wall + options.lease_ms,
        )
        .await?
        {
            return Err(sqlx::Error::Protocol(format!(
                "lost the lease on {lease_name}: another sweeper took over"
            )));
        }
        let started = std::time::Instant::now();
        let mut tx = db.begin_write().await?;
        let deleted = sqlx::query(sqlx::AssertSqlSafe(delete_sql.to_string()))
            .bind(cutoff_ms)
            .bind(options.batch_size)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        sweep.longest_batch_ms = sweep.longest_batch_ms.max(took);
        sweep.rows_affected += i64::try_from(deleted).unwrap_or(i64::MAX);
        if i64::try_from(deleted).unwrap_or(i64::MAX) < options.batch_size {
            break;
        }
    }
    Ok(())
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
    if !is_ident(table_name) || !table.columns.contains_key("id") {
        return None;
    }
    let mut filter = format!("r.{clock} < $1");
    if let Some(holds) = holds {
        for link in &table.links {
            let subject = subject_expr(policies, link)?;
            filter.push_str(&format!(
                " AND NOT EXISTS (SELECT 1 FROM {} h WHERE h.{} = {subject} AND {})",
                holds.table, holds.subject_column, holds.active_condition
            ));
        }
    }
    for fk in foreign_keys
        .iter()
        .filter(|fk| fk.ref_table == table_name && fk.table != table_name)
    {
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

/// SQL for the account id a row (alias `r`) belongs to through `link`.
fn subject_expr(policies: &Policies, link: &SubjectLink) -> Option<String> {
    if !is_ident(&link.column) {
        return None;
    }
    match (&link.via, &link.subject_column) {
        (None, _) => Some(format!("r.{}", link.column)),
        (Some(via), Some(subject_column)) => {
            let (other, key) = via.split_once('.')?;
            if !(is_ident(other)
                && is_ident(key)
                && is_ident(subject_column)
                && policies.data_map.tables.contains_key(other))
            {
                return None;
            }
            Some(format!(
                "(SELECT v.{subject_column} FROM {other} v WHERE v.{key} = r.{})",
                link.column
            ))
        }
        (Some(_), None) => None,
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
