//! Admin API for retention and backups (the console's Retention and Backups tabs). Mounted
//! inside the admin router, so every call is authenticated by staff token and audited.
//!
//! - `GET /admin/api/v1/retention/rules` → `{"rules": [{rule, period, schedule, next_run,
//!   tables, store, description, last_run: {started_at, finished_at, outcome, rows_examined,
//!   rows_affected, dry_run} | null}]}`
//! - `POST /admin/api/v1/retention/rules/{rule}/dry-run` (privacy officer) → what a sweep of
//!   the rule would delete now: `{rule, outcome, rows_examined, rows_affected: 0, tables, ...}`
//! - `GET /admin/api/v1/backups` → `{"backups": [{id, created_at_ms, file, size_bytes, sha256,
//!   schema_version, backend, verified_at_ms, file_present}]}`

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use heepr_admin_api as api;
use heepr_compliance::sweep::{self, SweepOptions};

use super::staff::Staff;
use super::wire;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::privacy::retention::{HOLDS, describe_rules, last_run, sweep_store};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/api/v1/retention/rules", get(list_rules))
        .route(
            "/admin/api/v1/retention/rules/{rule}/dry-run",
            post(dry_run),
        )
        .route("/admin/api/v1/backups", get(list_backups))
}

/// `GET /admin/api/v1/retention/rules`
async fn list_rules(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<Json<api::RuleList>, AppError> {
    let tz = state.settings.scheduler.unwrap_or(chrono_tz::UTC);
    let mut rules = Vec::new();
    for rule in describe_rules(&state.policies, tz, state.clock.now_ms()) {
        let last = last_run(state.db.pool(), &rule.rule).await?;
        rules.push(wire::retention_rule(rule, last));
    }
    Ok(Json(api::RuleList { rules }))
}

/// `POST /admin/api/v1/retention/rules/{rule}/dry-run` — privacy officers only.
async fn dry_run(
    State(state): State<AppState>,
    staff: Staff,
    Path(rule): Path<String>,
) -> Result<Json<api::DryRun>, AppError> {
    staff.officer()?;
    let Some(spec) = state.policies.retention.rules.get(&rule) else {
        return Err(AppError::NotFound("retention rule"));
    };
    let now = state.clock.now_ms();
    if spec.store.is_some() {
        let report = sweep_store(
            &state.db,
            &state.policies,
            &rule,
            &state.settings.data_dir,
            &state.settings.backup_dir,
            now,
            true,
        )
        .await?;
        return Ok(Json(api::DryRun::Store(wire::store_sweep(report))));
    }
    if spec.accounts.is_some() {
        let holder = crate::privacy::jobs::process_holder();
        let report =
            crate::privacy::unverified_accounts::erase_expired(&state, &rule, now, true, holder)
                .await?;
        let run = heepr_compliance::sweep::RuleRun {
            rule: rule.clone(),
            run_id: None,
            dry_run: true,
            cutoff_ms: report.cutoff_ms,
            tables: vec![heepr_compliance::sweep::TableSweep {
                table: "accounts".into(),
                rows_examined: report.would_erase(),
                rows_affected: 0,
                longest_batch_ms: 0,
            }],
            outcome: heepr_compliance::sweep::Outcome::Succeeded,
            error: None,
        };
        return Ok(Json(api::DryRun::Tables(wire::sweep_report(run))));
    }
    if !spec.has_period() {
        return Err(AppError::Conflict {
            code: "no_period",
            message: format!("rule {rule} keeps data without a period: there is nothing to sweep"),
        });
    }
    let options = SweepOptions {
        dry_run: true,
        ..SweepOptions::default()
    };
    let run = sweep::sweep_rule(
        &state.db,
        &state.policies,
        state.clock.as_ref(),
        &rule,
        now,
        &options,
        HOLDS,
    )
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Json(api::DryRun::Tables(wire::sweep_report(run))))
}

/// `GET /admin/api/v1/backups`
async fn list_backups(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<Json<api::BackupList>, AppError> {
    let dir = &state.settings.backup_dir;
    let listing = heepr_compliance::backup::listing(dir, state.clock.now_ms())
        .map_err(|e| AppError::Internal(e.into()))?;
    let warnings = listing.warnings;
    let backups = listing
        .backups
        .into_iter()
        .map(|b| {
            let present = dir.join(&b.file).exists();
            wire::backup(b, present)
        })
        .collect();
    Ok(Json(api::BackupList { backups, warnings }))
}
