//! Retention in the service, shared by the scheduler, `heepr sweep`/`heepr retention` and
//! the admin API: where legal holds live for sweeps, each rule described with its next run,
//! file-store sweeps (backups, mail files) and backup rotation. How a table sweep batches is
//! `heepr-compliance`'s sweep.

use std::path::Path;

use anyhow::Context;
use chrono_tz::Tz;
use heepr_compliance::audit::{self, AuditAction, AuditActor, AuditEntry};
use heepr_compliance::retention::{Store, prune_mail_files, unreferenced_files};
use heepr_compliance::sweep::{HoldSource, Outcome, RuleRun};
use heepr_compliance::{Db, Policies, backup, withdrawal_ledger};
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyPool, Row};

use crate::platform::time::next_fire;

/// Where sweeps look for legal holds: a row whose subject has an active hold is skipped
/// (policy and issue: "retention skips held data").
pub const HOLDS: Option<&HoldSource> = Some(&HoldSource {
    table: "legal_holds",
    subject_column: "account_id",
    active_condition: "h.lifted_at IS NULL",
});

/// A retention rule as operators and staff see it (`heepr retention rules`, the admin API).
#[derive(Debug, Clone, Serialize)]
pub struct RuleDescription {
    /// Rule name (a key of `retention.toml`).
    pub rule: String,
    /// The period in words (`30 days`, `no fixed period`).
    pub period: String,
    /// The sweep's cron schedule; `None` when unswept.
    pub schedule: Option<String>,
    /// The next scheduled run (RFC 3339) in the scheduler's time zone.
    pub next_run: Option<String>,
    /// The tables the data map puts under this rule.
    pub tables: Vec<String>,
    /// The file store it governs instead of tables.
    #[serde(serialize_with = "store_name_opt")]
    pub store: Option<Store>,
    /// What the rule keeps, in words.
    pub description: String,
}

/// The stored and printed name of a file store (`mail_files`).
pub fn store_name(store: Store) -> &'static str {
    match store {
        Store::Backups => "backups",
        Store::MailFiles => "mail_files",
        Store::UnrecordedFiles => "unrecorded_files",
    }
}

fn store_name_opt<S: serde::Serializer>(store: &Option<Store>, s: S) -> Result<S::Ok, S::Error> {
    store.map(store_name).serialize(s)
}

/// Every rule with its period, schedule and next run (in `tz`, after `now_ms`), by name.
pub fn describe_rules(policies: &Policies, tz: Tz, now_ms: i64) -> Vec<RuleDescription> {
    policies
        .retention
        .rules
        .iter()
        .map(|(name, rule)| {
            let next_run = rule
                .parsed_schedule
                .as_ref()
                .and_then(|s| next_fire(s, tz, now_ms))
                .map(crate::platform::time::rfc3339);
            let tables = policies
                .data_map
                .tables
                .iter()
                .filter(|(_, t)| &t.retention == name)
                .map(|(n, _)| n.clone())
                .collect();
            RuleDescription {
                rule: name.clone(),
                period: rule.period_text(),
                schedule: rule.schedule.clone(),
                next_run,
                tables,
                store: rule.store,
                description: rule.description.clone(),
            }
        })
        .collect()
}

/// The last recorded run of a rule (a sweep or a dry run), from `retention_runs`.
#[derive(Debug, Clone)]
pub struct LastRun {
    /// When it started (Unix ms).
    pub started_at_ms: i64,
    /// When it finished (Unix ms); `None` while it runs or if it died.
    pub finished_at_ms: Option<i64>,
    /// `succeeded`, `failed` or `skipped`.
    pub outcome: String,
    /// Rows past the period when it ran.
    pub rows_examined: i64,
    /// Rows deleted (0 for a dry run).
    pub rows_affected: i64,
    /// Whether nothing was deleted on purpose.
    pub dry_run: bool,
}

/// The latest run of rule `rule`, if it ever ran.
///
/// Errors: the database's.
pub async fn last_run(pool: &AnyPool, rule: &str) -> Result<Option<LastRun>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT started_at, finished_at, outcome, rows_examined, rows_affected, dry_run FROM retention_runs \
         WHERE rule = $1 ORDER BY started_at DESC, id DESC LIMIT 1",
    )
    .bind(rule)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(LastRun {
            started_at_ms: row.try_get("started_at")?,
            finished_at_ms: row.try_get("finished_at")?,
            outcome: row.try_get("outcome")?,
            rows_examined: row.try_get("rows_examined")?,
            rows_affected: row.try_get("rows_affected")?,
            dry_run: row.try_get::<i64, _>("dry_run")? == 1,
        })
    })
    .transpose()
}

/// A run as JSON for `heepr sweep --json`.
pub fn run_json(run: &RuleRun) -> serde_json::Value {
    json!({
        "rule": run.rule,
        "run_id": run.run_id,
        "dry_run": run.dry_run,
        "cutoff": crate::platform::time::rfc3339(run.cutoff_ms),
        "outcome": run.outcome.as_str(),
        "error": run.error,
        "rows_examined": run.rows_examined(),
        "rows_affected": run.rows_affected(),
        "tables": run.tables,
    })
}

/// What a file-store rule's sweep did (or, in a dry run, would do).
#[derive(Debug, Clone)]
pub struct StoreSweepReport {
    /// Rule name.
    pub rule: String,
    /// The store swept.
    pub store: Store,
    /// Whether nothing was deleted on purpose.
    pub dry_run: bool,
    /// Files older than this (Unix ms) were past the period.
    pub cutoff_ms: i64,
    /// How it ended (a report is only made for a sweep that succeeded).
    pub outcome: Outcome,
    /// Files deleted (0 in a dry run).
    pub rows_affected: i64,
    /// Files past the period (mail files are counted only when deleting).
    pub rows_examined: i64,
}

impl StoreSweepReport {
    /// The report as JSON for `heepr sweep --json` (the admin API's `StoreSweep` shape).
    pub fn json(&self) -> serde_json::Value {
        json!({
            "rule": self.rule,
            "store": store_name(self.store),
            "dry_run": self.dry_run,
            "cutoff": crate::platform::time::rfc3339(self.cutoff_ms),
            "outcome": self.outcome.as_str(),
            "rows_affected": self.rows_affected,
            "rows_examined": self.rows_examined,
        })
    }
}

/// Applies a file-store rule (backups, mail files) at `now_ms`: deletes what is past the
/// period, or with `dry_run` only counts it.
///
/// Errors: the rule has no period, or the files cannot be listed or removed.
pub async fn sweep_store(
    db: &Db,
    policies: &Policies,
    rule_name: &str,
    data_dir: &Path,
    backup_dir: &Path,
    now_ms: i64,
    dry_run: bool,
) -> anyhow::Result<StoreSweepReport> {
    let rule = policies
        .retention
        .rules
        .get(rule_name)
        .with_context(|| format!("no retention rule named {rule_name:?}"))?;
    let store = rule
        .store
        .with_context(|| format!("rule {rule_name:?} governs tables, not files"))?;
    let cutoff = rule
        .cutoff_ms(now_ms)
        .with_context(|| format!("rule {rule_name:?} has no period"))?;
    // A store that was never written to (a fresh install: no backup taken yet, no mail
    // file sent) holds nothing past its period: that is not an error.
    let store_dir = match store {
        Store::Backups => backup_dir.to_path_buf(),
        Store::MailFiles => data_dir.join("mail"),
        // Several directories, each possibly missing: the pruning walks what exists.
        Store::UnrecordedFiles => data_dir.to_path_buf(),
    };
    let affected = match (store, dry_run) {
        _ if !store_dir.exists() => 0,
        (Store::Backups, false) => backup::rotate(backup_dir, cutoff)?.len(),
        (Store::Backups, true) => backup::read_catalog(backup_dir)?
            .backups
            .iter()
            .filter(|b| b.created_at_ms < cutoff)
            .count(),
        (Store::MailFiles, false) => prune_mail_files(&data_dir.join("mail"), cutoff)?,
        (Store::MailFiles, true) => 0,
        (Store::UnrecordedFiles, dry_run) => {
            unreferenced_files::prune_unreferenced(
                db,
                &policies.data_map,
                data_dir,
                cutoff,
                dry_run,
            )
            .await?
        }
    };
    let affected = i64::try_from(affected).unwrap_or(i64::MAX);
    Ok(StoreSweepReport {
        rule: rule_name.to_owned(),
        store,
        dry_run,
        cutoff_ms: cutoff,
        outcome: Outcome::Succeeded,
        rows_affected: if dry_run { 0 } else { affected },
        rows_examined: affected,
    })
}

/// Runs file-store rule `rule` at `now_ms` ([`sweep_store`]) and records the run
/// ([`record_store_run`]); returns how it ended and its report (JSON: `rule`, `store`,
/// `dry_run`, `cutoff`, `outcome`, `rows_affected`, `rows_examined`, and `error` when it
/// failed). A run that cannot be recorded is logged.
pub async fn run_store_rule(
    db: &Db,
    policies: &Policies,
    rule: &str,
    dirs: (&Path, &Path),
    now_ms: i64,
    dry_run: bool,
) -> (Outcome, serde_json::Value) {
    let (data_dir, backup_dir) = dirs;
    let swept = sweep_store(db, policies, rule, data_dir, backup_dir, now_ms, dry_run).await;
    let (outcome, report) = match swept {
        Ok(report) => (Outcome::Succeeded, report.json()),
        Err(err) => (
            Outcome::Failed,
            json!({"rule": rule, "dry_run": dry_run, "outcome": Outcome::Failed.as_str(),
                "error": format!("{err:#}"), "rows_affected": 0, "rows_examined": 0,
                "cutoff": crate::platform::time::rfc3339(now_ms)}),
        ),
    };
    let finished = heepr_compliance::Clock::now_ms(&heepr_compliance::SystemClock).max(now_ms);
    record_run_or_log(db, rule, dry_run, (now_ms, finished), outcome, &report).await;
    (outcome, report)
}

/// Runs accounts rule `rule` at `now_ms`
/// ([`erase_expired`](super::unverified_accounts::erase_expired)) and records the run as a
/// file-store rule's is recorded; returns how it ended and its report (JSON with `rule`,
/// `accounts`, `dry_run`, `cutoff`, `outcome`, `rows_examined`, `rows_affected`, `waiting`,
/// and `error` when it failed).
pub async fn run_accounts_rule(
    state: &crate::platform::state::AppState,
    rule: &str,
    now_ms: i64,
    dry_run: bool,
    holder: &str,
) -> (Outcome, serde_json::Value) {
    let ran = super::unverified_accounts::erase_expired(state, rule, now_ms, dry_run, holder).await;
    let (outcome, mut report) = match ran {
        Ok(report) => (Outcome::Succeeded, report.json(rule, dry_run)),
        Err(err) => (
            Outcome::Failed,
            json!({"rule": rule, "accounts": "unverified", "dry_run": dry_run,
                "error": err.public_message(), "rows_affected": 0, "rows_examined": 0,
                "cutoff": crate::platform::time::rfc3339(now_ms)}),
        ),
    };
    report["outcome"] = json!(outcome.as_str());
    let finished = state.clock.now_ms();
    record_run_or_log(
        &state.db,
        rule,
        dry_run,
        (now_ms, finished),
        outcome,
        &report,
    )
    .await;
    (outcome, report)
}

async fn record_run_or_log(
    db: &Db,
    rule: &str,
    dry_run: bool,
    (started_ms, finished_ms): (i64, i64),
    outcome: Outcome,
    report: &serde_json::Value,
) {
    let recorded =
        record_store_run(db, rule, dry_run, started_ms, outcome, report, finished_ms).await;
    if let Err(err) = recorded {
        tracing::warn!(rule = %rule, "recording the run of rule {rule} failed: {err}");
    }
}

/// Records a file-store or accounts rule's run in `retention_runs` and the audit trail, as a table
/// sweep records itself, so a failed rotation at 3 a.m. is visible to staff.
///
/// Errors: the database's.
pub async fn record_store_run(
    db: &Db,
    rule: &str,
    dry_run: bool,
    started_ms: i64,
    outcome: Outcome,
    report: &serde_json::Value,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let count = |key: &str| report[key].as_i64().unwrap_or(0);
    let error = report["error"].as_str();
    let run_id = crate::platform::tokens::new_id();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO retention_runs (id, rule, dry_run, started_at, finished_at, rows_examined, rows_affected, outcome, error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&run_id)
    .bind(rule)
    .bind(i64::from(dry_run))
    .bind(started_ms)
    .bind(now_ms)
    .bind(count("rows_examined"))
    .bind(count("rows_affected"))
    .bind(outcome.as_str())
    .bind(error)
    .execute(&mut *tx)
    .await?;
    let entry = AuditEntry {
        actor: &SWEEP_ACTOR,
        action: if dry_run {
            AuditAction::RetentionDryRun
        } else {
            AuditAction::RetentionSweep
        },
        subject_account_id: None,
        request_id: None,
        outcome: outcome.audit_outcome(),
        details: json!({"rule": rule, "run_id": run_id, "store": report["store"], "error": error,
            "rows_examined": count("rows_examined"), "rows_affected": count("rows_affected")}),
    };
    audit::append(&mut tx, &entry, now_ms).await?;
    tx.commit().await
}

/// The audit actor of retention sweeps (the same as compliance's table sweeps).
pub const SWEEP_ACTOR: AuditActor = AuditActor::RETENTION;

/// Deletes backups past the `backups` rule's period, then drops the withdrawal-ledger
/// entries under `data_dir` older than the oldest backup still kept (no restore can go
/// back further; with no backup at all, nothing is dropped).
///
/// Errors: no `backups` rule with a period, the catalog cannot be changed, or the ledger
/// file cannot be rewritten.
pub fn rotate_backups(
    policies: &Policies,
    dir: &Path,
    data_dir: &Path,
    now_ms: i64,
) -> anyhow::Result<Vec<backup::BackupEntry>> {
    let rule = policies
        .retention
        .rules
        .values()
        .find(|r| r.store == Some(Store::Backups))
        .context("retention.toml has no rule with store = \"backups\"")?;
    let cutoff = rule
        .cutoff_ms(now_ms)
        .context("the backups rule has no period")?;
    let removed = backup::rotate(dir, cutoff)?;
    let oldest_kept = backup::read_catalog(dir)?
        .backups
        .iter()
        .map(|b| b.created_at_ms)
        .min();
    // A day's margin: a withdrawal logged just before a backup may commit just after it.
    if let Some(oldest) = oldest_kept {
        withdrawal_ledger::prune(data_dir, oldest.saturating_sub(24 * 3_600_000)).with_context(
            || {
                format!(
                    "pruning {}",
                    withdrawal_ledger::file_path(data_dir).display()
                )
            },
        )?;
    }
    Ok(removed)
}
