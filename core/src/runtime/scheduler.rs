//! The in-process scheduler of `heepr serve`: runs each retention rule's sweep on its cron
//! schedule (see `policies/retention.toml`), in UTC unless `--schedule-time-zone` names a
//! zone, refunds orders past their deadline every minute, and computes the day's analytics
//! once it ends. All are jobs of `jobs.rs`,
//! so shutdown stops them. Can be turned off (`--no-scheduler`) when OS cron runs `heepr
//! sweep` instead; the sweeps' database leases make running both harmless.
//!
//! Guarantees:
//! - schedules are read as wall-clock times in the zone ([`next_fire`]), so a daily job
//!   runs once per local day across DST changes;
//! - one "now" per wake-up decides which rules are due; each due rule runs once, then its
//!   next fire time is computed from that "now";
//! - a failing sweep, backup or refund pass is logged and the loop goes on.

use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use heepr_compliance::Policies;
use heepr_compliance::retention::Store;
use heepr_compliance::sweep::{self, SweepOptions};

use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::next_fire;
use crate::privacy::analytics::catch_up;
use crate::privacy::retention::{self, rotate_backups};
use heepr_compliance::audit::{AuditAction, AuditActor, AuditEntry, AuditOutcome};

/// How often orders past their deadline are refunded (issue 3: "refunded automatically when
/// the deadline passes with no delivery").
const REFUND_EVERY: Duration = Duration::from_secs(60);

/// The deadline-refund loop: every minute, refunds every order past its deadline with no
/// delivery. Runs only beside the scheduler (`--no-scheduler` turns both off).
pub async fn deadline_refunds(state: AppState) {
    let mut tick = tokio::time::interval(REFUND_EVERY);
    loop {
        tick.tick().await;
        match crate::market::orders::deadlines::refund_missed_deadlines(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(refunded = n, "orders past their deadline refunded"),
            Err(err) => tracing::warn!("deadline refunds failed: {}", err.public_message()),
        }
    }
}

/// The analytics loop: every [`catch_up::EVERY_MS`], computes the UTC days that ended and
/// are not computed yet (`privacy::analytics`). Runs only beside the scheduler
/// (`--no-scheduler` turns it off; `heepr analytics` is its cron form).
pub async fn analytics(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_millis(catch_up::EVERY_MS));
    loop {
        tick.tick().await;
        match catch_up::run(&state, state.clock.now_ms()).await {
            Ok(done) if done.days.is_empty() => {}
            Ok(done) => tracing::info!(
                days = done.days.len(),
                figures = done.figures,
                suppressed = done.suppressed,
                "analytics days computed"
            ),
            Err(err) => tracing::warn!("analytics failed: {}", err.public_message()),
        }
    }
}

/// The scheduler loop: sleeps until the soonest rule is due (at most a minute at a time),
/// then runs every due rule. Returns when no rule has a schedule.
pub async fn run(state: AppState, tz: Tz) {
    let rules: Vec<(String, cron::Schedule)> = state
        .policies
        .retention
        .rules
        .iter()
        .filter(|(_, r)| r.has_period())
        .filter_map(|(name, r)| r.parsed_schedule.clone().map(|s| (name.clone(), s)))
        .collect();
    let policies = Arc::clone(&state.policies);
    let mut next: Vec<Option<i64>> = rules
        .iter()
        .map(|(_, s)| next_fire(s, tz, state.clock.now_ms()))
        .collect();
    loop {
        let Some(soonest) = next.iter().flatten().min().copied() else {
            tracing::info!("scheduler: no scheduled jobs");
            return;
        };
        let wait = u64::try_from(soonest - state.clock.now_ms()).unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(wait.min(60_000))).await;
        let now = state.clock.now_ms();
        for (i, (rule, schedule)) in rules.iter().enumerate() {
            if next[i].is_some_and(|at| at <= now) {
                run_rule(&state, &policies, rule, now).await;
                next[i] = next_fire(schedule, tz, now);
            }
        }
    }
}

/// Runs retention rule `rule` once, as its schedule does at `now` (Unix ms), by what it
/// governs: the `backups` store takes the day's backup then rotates; another file store
/// (mail files) is pruned; an accounts rule erases the accounts past its period; a table
/// rule is swept. Failures are logged (and recorded by the run), never returned: the
/// scheduler goes on.
pub async fn run_rule(state: &AppState, policies: &Policies, rule: &str, now: i64) {
    let Some(spec) = policies.retention.rules.get(rule) else {
        return;
    };
    match (spec.store, spec.accounts) {
        (Some(Store::Backups), _) => scheduled_backup(state, now).await,
        (Some(store), _) => {
            let dirs = (
                state.settings.data_dir.as_path(),
                state.settings.backup_dir.as_path(),
            );
            let (outcome, report) =
                retention::run_store_rule(&state.db, policies, rule, dirs, now, false).await;
            tracing::info!(rule, store = ?store, outcome = outcome.as_str(), files = %report["rows_affected"], "scheduled sweep");
        }
        (None, Some(_)) => {
            let holder = crate::privacy::jobs::process_holder();
            let (outcome, report) =
                retention::run_accounts_rule(state, rule, now, false, holder).await;
            tracing::info!(rule, outcome = outcome.as_str(), accounts = %report["rows_affected"], "scheduled sweep");
        }
        (None, None) => scheduled_table_sweep(state, policies, rule, now).await,
    }
}

async fn scheduled_table_sweep(state: &AppState, policies: &Policies, rule: &str, now: i64) {
    let options = SweepOptions {
        data_dir: Some(state.settings.data_dir.clone()),
        ..SweepOptions::default()
    };
    match sweep::sweep_rule(
        &state.db,
        policies,
        state.clock.as_ref(),
        rule,
        now,
        &options,
        retention::HOLDS,
    )
    .await
    {
        Ok(run) => tracing::info!(
            rule,
            outcome = run.outcome.as_str(),
            rows = run.rows_affected(),
            "scheduled sweep"
        ),
        Err(err) => tracing::warn!(
            rule,
            "scheduled sweep failed: {}",
            heepr_compliance::base::error_chain::with_causes(&err)
        ),
    }
}

/// The `backups` rule's job: take today's backup, then rotate out those past 30 days.
async fn scheduled_backup(state: &AppState, now: i64) {
    let Some(url) = &state.settings.database_url else {
        return;
    };
    let dir = &state.settings.backup_dir;
    if let Err(e) = heepr_compliance::ledger_copies::mirror(&state.settings.data_dir, dir) {
        tracing::warn!("copying the ledgers next to the backups: {e}");
    }
    match heepr_compliance::backup::create(&state.db, url, dir, now).await {
        Ok(entry) => {
            tracing::info!(backup = %entry.id, bytes = entry.size_bytes, "scheduled backup")
        }
        Err(err) => tracing::warn!(
            "scheduled backup failed: {}",
            heepr_compliance::base::error_chain::with_causes(&err)
        ),
    }
    match rotate_backups(&state.policies, dir, &state.settings.data_dir, now) {
        Ok(removed) => tracing::info!(removed = removed.len(), "backup rotation"),
        Err(err) => tracing::warn!("backup rotation failed: {err:#}"),
    }
    if let Err(err) = record_backup_warnings(state, now).await {
        tracing::warn!("recording backup warnings failed: {}", err.public_message());
    }
}

/// Appends each warning of the backup catalog (no verified backup, the newest verified one
/// older than 2 days, the last attempt failed) to the audit trail, so a backup going stale
/// at 3 a.m. is on record for the privacy desk, not only in a log nobody reads.
///
/// Errors: the catalog cannot be read; the database's.
pub async fn record_backup_warnings(state: &AppState, now: i64) -> Result<usize, AppError> {
    let listing = heepr_compliance::backup::listing(&state.settings.backup_dir, now)
        .map_err(|e| AppError::Internal(e.into()))?;
    if listing.warnings.is_empty() {
        return Ok(0);
    }
    let mut tx = state.db.begin_write().await?;
    for warning in &listing.warnings {
        tracing::warn!("backup: {warning}");
        let entry = AuditEntry {
            actor: &AuditActor::SYSTEM,
            action: AuditAction::BackupWarning,
            subject_account_id: None,
            request_id: None,
            outcome: AuditOutcome::Failed,
            details: serde_json::json!({"warning": warning}),
        };
        heepr_compliance::audit::append(&mut tx, &entry, now).await?;
    }
    tx.commit().await?;
    Ok(listing.warnings.len())
}
