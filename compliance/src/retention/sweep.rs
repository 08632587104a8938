//! Retention sweeps: delete what is past its retention period, rule by rule, as the data
//! map and `retention.toml` say.
//!
//! Safe to run at 3 a.m. with nobody watching:
//! - one "now" per run: every table of a rule is cut at the same instant;
//! - a database lease per rule, so two sweepers (two servers, a server and cron) never run
//!   the same rule at once, and a crashed sweeper's lease simply expires;
//! - bounded batches, each its own short transaction: a kill leaves whole batches done and
//!   the next run finishes the job;
//! - rows under legal hold are skipped, and so is any row another row still points to
//!   (foreign keys, read from the schema), so no kept row loses what it refers to;
//! - every run is recorded in `retention_runs` (rule, times, cut-off, rows examined and
//!   affected, outcome, error); a dry run records what would go and deletes nothing.

use crate::base::clock::Clock;
use crate::base::db::Db;
use crate::base::lease;
use crate::policy::data_map::TableSpec;
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

/// How a rule's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything past the period is gone (or, in a dry run, counted).
    Succeeded,
    /// A database error stopped it; whole batches done so far stay done.
    Failed,
    /// Another sweeper holds the rule's lease.
    Skipped,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }
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

/// The result of sweeping one rule.
#[derive(Debug, Clone)]
pub struct RuleRun {
    /// Rule name.
    pub rule: String,
    /// The `retention_runs` id (none when skipped before recording).
    pub run_id: Option<String>,
    /// Whether nothing was deleted on purpose.
    pub dry_run: bool,
    /// Rows older than this (Unix ms) were past the period.
    pub cutoff_ms: i64,
    /// Per table.
    pub tables: Vec<TableSweep>,
    /// How it ended.
    pub outcome: Outcome,
    /// The cause, when it failed or was skipped.
    pub error: Option<String>,
}

impl RuleRun {
    /// Rows examined over all tables.
    pub fn rows_examined(&self) -> i64 {
        self.tables.iter().map(|t| t.rows_examined).sum()
    }

    /// Rows deleted over all tables.
    pub fn rows_affected(&self) -> i64 {
        self.tables.iter().map(|t| t.rows_affected).sum()
    }
}

/// Errors that stop a sweep before it starts.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// No such rule in retention.toml.
    #[error("no retention rule named {0:?} (see `heepr retention rules`)")]
    UnknownRule(String),
    /// The rule keeps data without a period (nothing to sweep) or governs files.
    #[error("rule {0:?} has no period over tables: nothing to sweep")]
    NotSweepable(String),
    /// A database failure.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Rules a full sweep runs: those with a period that govern tables, in name order.
pub fn sweepable_rules(policies: &Policies) -> Vec<String> {
    policies
        .retention
        .rules
        .iter()
        .filter(|(_, r)| r.has_period() && r.store.is_none())
        .map(|(n, _)| n.clone())
        .collect()
}

/// Sweeps one rule at `now_ms` (the single "now" of this run).
///
/// Errors: an unknown or unsweepable rule, or a database failure before the run was
/// recorded. Failures after that are reported in the [`RuleRun`] (outcome `Failed`).
pub async fn sweep_rule(
    db: &Db,
    policies: &Policies,
    clock: &dyn Clock,
    rule_name: &str,
    now_ms: i64,
    options: &SweepOptions,
    holds: Option<&HoldSource>,
) -> Result<RuleRun, SweepError> {
    let rule = policies
        .retention
        .rules
        .get(rule_name)
        .ok_or_else(|| SweepError::UnknownRule(rule_name.to_string()))?;
    let cutoff_ms = match (rule.store, rule.cutoff_ms(now_ms)) {
        (None, Some(cutoff)) => cutoff,
        _ => return Err(SweepError::NotSweepable(rule_name.to_string())),
    };
    let mut run = RuleRun {
        rule: rule_name.to_string(),
        run_id: None,
        dry_run: options.dry_run,
        cutoff_ms,
        tables: Vec::new(),
        outcome: Outcome::Succeeded,
        error: None,
    };
    let lease_name = format!("retention:{rule_name}");
    let wall = clock.now_ms();
    if !lease::acquire(
        db,
        &lease_name,
        &options.holder,
        wall,
        wall + options.lease_ms,
    )
    .await?
    {
        run.outcome = Outcome::Skipped;
        run.error = Some(format!("another sweeper is running rule {rule_name}"));
        return Ok(run);
    }
    // We hold the lease, so any run still marked running was cut short (crash, kill -9).
    sqlx::query("UPDATE retention_runs SET outcome = 'interrupted', finished_at = $1 WHERE rule = $2 AND outcome = 'running'")
        .bind(wall)
        .bind(rule_name)
        .execute(db.pool())
        .await?;
    let run_id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO retention_runs (id, rule, dry_run, started_at, cutoff_at, outcome) VALUES ($1, $2, $3, $4, $5, 'running')",
    )
    .bind(&run_id)
    .bind(rule_name)
    .bind(i64::from(options.dry_run))
    .bind(wall)
    .bind(cutoff_ms)
    .execute(db.pool())
    .await?;
    run.run_id = Some(run_id.clone());

    let result = sweep_tables(
        db,
        policies,
        clock,
        rule_name,
        cutoff_ms,
        options,
        holds,
        &lease_name,
        &mut run,
    )
    .await;
    if let Err(err) = result {
        run.outcome = Outcome::Failed;
        run.error = Some(err.to_string());
        tracing::warn!(rule = rule_name, "retention sweep failed: {err}");
    }
    sqlx::query(
        "UPDATE retention_runs SET finished_at = $1, rows_examined = $2, rows_affected = $3, outcome = $4, error = $5 WHERE id = $6",
    )
    .bind(clock.now_ms())
    .bind(run.rows_examined())
    .bind(run.rows_affected())
    .bind(run.outcome.as_str())
    .bind(run.error.clone())
    .bind(&run_id)
    .execute(db.pool())
    .await?;
    record_in_audit_trail(db, &run, clock.now_ms()).await?;
    lease::release(db, &lease_name, &options.holder).await?;
    Ok(run)
}

/// Every sweep is a system action on personal data: it goes into the audit trail.
async fn record_in_audit_trail(db: &Db, run: &RuleRun, now_ms: i64) -> Result<(), sqlx::Error> {
    let details = serde_json::json!({
        "rule": run.rule,
        "run_id": run.run_id,
        "dry_run": run.dry_run,
        "cutoff_ms": run.cutoff_ms,
        "rows_examined": run.rows_examined(),
        "rows_affected": run.rows_affected(),
        "tables": run.tables,
        "error": run.error,
    });
    let entry = crate::records::audit::AuditEntry {
        actor: "system:retention",
        action: if run.dry_run {
            "retention.dry_run"
        } else {
            "retention.sweep"
        },
        subject_account_id: None,
        request_id: None,
        outcome: match run.outcome {
            Outcome::Succeeded => "ok",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        },
        details,
    };
    let mut tx = db.begin_write().await?;
    crate::records::audit::append(&mut tx, &entry, now_ms).await?;
    tx.commit().await
}

#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename these
async fn sweep_tables(
    db: &Db,
    policies: &Policies,
    clock: &dyn Clock,
    rule_name: &str,
    cutoff_ms: i64,
    options: &SweepOptions,
    holds: Option<&HoldSource>,
    lease_name: &str,
    run: &mut RuleRun,
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
                let deleted = sqlx::query(sqlx::AssertSqlSafe(delete_sql.clone()))
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
        }
        run.tables.push(sweep);
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
fn subject_expr(
    policies: &Policies,
    link: &crate::policy::data_map::SubjectLink,
) -> Option<String> {
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
