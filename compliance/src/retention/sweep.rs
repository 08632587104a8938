//! Retention sweeps: delete what is past its retention period, rule by rule, as the data
//! map and `retention.toml` say.
//!
//! Guarantees (safe to run at 3 a.m. with nobody watching):
//! - **One "now" per run**: every table of a rule is cut at the same instant.
//! - **One sweeper per rule, reclaimed within a minute**: a database lease per rule
//!   ([`crate::base::lease::LeaseGuard`], 60 s, renewed every 20 s by a heartbeat and before
//!   every batch), so two sweepers (two servers, a server and cron) never run the same rule
//!   at once, and a killed sweeper's lease lapses within a minute of its last beat; the next
//!   run then takes over (until then it is skipped, exit 75). A sweeper that finds its lease
//!   taken stops before its next batch.
//! - **Bounded batches**, each its own short transaction: a kill leaves whole batches done
//!   and the next run finishes the job.
//! - **Counts per committed batch**: each batch's transaction also raises the run's
//!   `rows_affected` in `retention_runs` (and each table start its `rows_examined`), so the
//!   record of a killed run says what it deleted; the next run marks it `interrupted` and
//!   keeps its counts.
//! - **Holds and references respected**: rows under legal hold are skipped, and so is any
//!   row another row still points to (foreign keys, read from the schema), so no kept row
//!   loses what it refers to.
//! - **Every run recorded** in `retention_runs` (rule, times, cut-off, rows examined and
//!   affected, outcome, error) and in the audit trail; a dry run records what would go and
//!   deletes nothing.
//!
//! This file is one run of one rule: the lease, the run's record and its audit entry.
//! Which rows may go and how they are deleted in batches: [`super::sweep_batches`].

use crate::base::clock::Clock;
use crate::base::db::Db;
use crate::base::lease::LeaseGuard;
use crate::policy::loader::Policies;
use crate::records::audit::{self, AuditAction, AuditActor, AuditEntry, AuditOutcome};

use super::sweep_batches::{BatchContext, SweepStop, sweep_tables};
pub use super::sweep_batches::{HoldSource, SweepOptions, TableSweep};

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
        RunOutcome::from(self).as_str()
    }

    /// The audit trail's outcome of a run that ended so.
    pub fn audit_outcome(self) -> AuditOutcome {
        match self {
            Outcome::Succeeded => AuditOutcome::Ok,
            Outcome::Failed => AuditOutcome::Failed,
            Outcome::Skipped => AuditOutcome::Skipped,
        }
    }
}

crate::stored_state! {
    /// A run's `retention_runs.outcome`: an [`Outcome`] once it ended, or still running, or
    /// cut short (found running by the next holder of the rule's lease).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum RunOutcome: "retention run outcome" {
        /// Started, not finished.
        Running = "running",
        /// See [`Outcome::Succeeded`].
        Succeeded = "succeeded",
        /// See [`Outcome::Failed`].
        Failed = "failed",
        /// See [`Outcome::Skipped`].
        Skipped = "skipped",
        /// Found still running by the next sweep of the rule (crash, kill -9).
        Interrupted = "interrupted",
    }
}

impl From<Outcome> for RunOutcome {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Succeeded => RunOutcome::Succeeded,
            Outcome::Failed => RunOutcome::Failed,
            Outcome::Skipped => RunOutcome::Skipped,
        }
    }
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
    #[error("database")]
    Db(#[from] sqlx::Error),
}

/// Rules a full sweep runs: those with a period that govern tables, in name order.
pub fn sweepable_rules(policies: &Policies) -> Vec<String> {
    policies
        .retention
        .rules
        .iter()
        .filter(|(_, r)| r.has_period() && r.governs_tables())
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
    let cutoff_ms = match (rule.governs_tables(), rule.cutoff_ms(now_ms)) {
        (true, Some(cutoff)) => cutoff,
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
    let Some(lease) = LeaseGuard::take(
        db,
        &lease_name,
        &options.holder,
        wall,
        options.lease_ms,
        options.heartbeat_ms,
    )
    .await?
    else {
        run.outcome = Outcome::Skipped;
        run.error = Some(format!("another sweeper is running rule {rule_name}"));
        return Ok(run);
    };
    // We hold the lease, so any run still marked running was cut short (crash, kill -9); its
    // counts (raised batch by batch) stay as they are.
    sqlx::query(
        "UPDATE retention_runs SET outcome = $3, finished_at = $1 WHERE rule = $2 AND outcome = $4",
    )
    .bind(wall)
    .bind(rule_name)
    .bind(RunOutcome::Interrupted.as_str())
    .bind(RunOutcome::Running.as_str())
    .execute(db.pool())
    .await?;
    let run_id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO retention_runs (id, rule, dry_run, started_at, cutoff_at, rows_examined, rows_affected, outcome) VALUES ($1, $2, $3, $4, $5, 0, 0, $6)",
    )
    .bind(&run_id)
    .bind(rule_name)
    .bind(i64::from(options.dry_run))
    .bind(wall)
    .bind(cutoff_ms)
    .bind(RunOutcome::Running.as_str())
    .execute(db.pool())
    .await?;
    run.run_id = Some(run_id.clone());

    let batches = std::sync::atomic::AtomicU64::new(0);
    let ctx = BatchContext {
        db,
        clock,
        cutoff_ms,
        options,
        lease: &lease,
        run_id: &run_id,
        batches: &batches,
    };
    match sweep_tables(&ctx, policies, rule_name, holds, &mut run.tables).await {
        Ok(()) => {}
        Err(SweepStop::Stopped(n)) => {
            // As a kill leaves it: record running, lease left to lapse.
            run.outcome = Outcome::Failed;
            run.error = Some(format!("stopped after {n} batches (test hook)"));
            lease.abandon();
            return Ok(run);
        }
        Err(err @ (SweepStop::Db(_) | SweepStop::Files(_) | SweepStop::Unsweepable(_))) => {
            run.outcome = Outcome::Failed;
            run.error = Some(err.to_string());
            tracing::warn!(rule = rule_name, "retention sweep failed: {err}");
        }
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
    lease.release().await?;
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
    let entry = AuditEntry {
        actor: &AuditActor::RETENTION,
        action: if run.dry_run {
            AuditAction::RetentionDryRun
        } else {
            AuditAction::RetentionSweep
        },
        subject_account_id: None,
        request_id: None,
        outcome: run.outcome.audit_outcome(),
        details,
    };
    let mut tx = db.begin_write().await?;
    audit::append(&mut tx, &entry, now_ms).await?;
    tx.commit().await
}
