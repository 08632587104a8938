//! The privacy worker: runs requested exports and erasures, and deletes expired export
//! archives. Safe with several workers: a request is claimed with a lease (conditional
//! update), so one worker runs it at a time; a worker that dies leaves a lease that expires,
//! and the job is run again (exports are rebuilt from scratch, erasures resume: both are
//! idempotent).

use std::path::Path;
use std::time::Duration;

use heepr_compliance::dsr::{RequestKind, RequestStatus};
use heepr_compliance::erasure::{self, ErasureError, ErasureJob};
use heepr_compliance::export::{self, ExportJob};
use serde_json::json;
use sqlx::Row;

use super::transitions::transition;
use super::{EXPORT_LINK_MS, EXPORTS_DIR, audit, get};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;

/// How long a claimed job stays with its worker (ms).
const LEASE_MS: i64 = 30 * 60_000;
/// How often the worker looks for work when nobody wakes it.
const POLL: Duration = Duration::from_secs(5);
/// The audit actor of the worker.
pub const SYSTEM: &str = "system";

/// The worker loop of `heepr serve`. At start it appends to the erasure ledger file any
/// completed erasure the file lacks (a crash between commit and file write).
pub async fn worker(state: AppState) {
    match heepr_compliance::erasure_ledger::sync_file(state.db.pool(), &state.settings.data_dir)
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!("erasure ledger file: {n} missing entries appended"),
        Err(e) => tracing::warn!("erasure ledger file: {e}"),
    }
    loop {
        if let Err(err) = run_due(&state).await {
            tracing::warn!("privacy jobs pass failed: {}", err.public_message());
        }
        if let Err(err) = sweep_expired_archives(&state).await {
            tracing::warn!("export archive sweep failed: {}", err.public_message());
        }
        let _ = tokio::time::timeout(POLL, state.privacy_wakeup.notified()).await;
    }
}

/// Runs every requested job that no other worker holds; returns how many ran.
///
/// Errors: the database's (a failing job is not an error of the pass: its request fails).
pub async fn run_due(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock.now_ms();
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM dsr_requests WHERE status = 'in_progress' AND job_requested_at IS NOT NULL \
         AND (locked_until IS NULL OR locked_until < $1) ORDER BY job_requested_at, id LIMIT 20",
    )
    .bind(now)
    .fetch_all(state.db.pool())
    .await?;
    let mut ran = 0;
    for id in ids {
        if run_request(state, &id).await? {
            ran += 1;
        }
    }
    Ok(ran)
}

/// Claims and runs request `id`'s job; `false` when another worker holds it or it has no
/// job to run.
///
/// Errors: the database's. The job's own failure moves the request to `failed` (with the
/// cause) or, for a held account, `on_hold` (with the hold's reason).
pub async fn run_request(state: &AppState, id: &str) -> Result<bool, AppError> {
    let now = state.clock.now_ms();
    let claimed = sqlx::query(
        "UPDATE dsr_requests SET locked_until = $1 WHERE id = $2 AND status = 'in_progress' \
         AND job_requested_at IS NOT NULL AND (locked_until IS NULL OR locked_until < $3)",
    )
    .bind(now.saturating_add(LEASE_MS))
    .bind(id)
    .bind(now)
    .execute(state.db.pool())
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(false);
    }
    let dsr = get(state.db.pool(), id, now).await?;
    match dsr.kind {
        RequestKind::Access => run_export(state, id, &dsr.account_id).await?,
        RequestKind::Erasure => run_erasure(state, id, &dsr.account_id).await?,
        _ => return Ok(false),
    }
    Ok(true)
}

async fn run_export(state: &AppState, id: &str, account_id: &str) -> Result<(), AppError> {
    let now = state.clock.now_ms();
    let out_dir = state.settings.data_dir.join(EXPORTS_DIR);
    let archive_name = format!("{id}.tar.gz");
    let job = ExportJob {
        map: &state.policies.data_map,
        account_id,
        data_dir: &state.settings.data_dir,
        out_dir: &out_dir,
        archive_name: &archive_name,
        generated_at_ms: now,
    };
    let outcome = match export::build(state.db.pool(), &job).await {
        Ok(outcome) => outcome,
        Err(err) => {
            let cause = format!("export failed: {err}");
            tracing::warn!(request_id = %id, "{cause}");
            transition(state, id, RequestStatus::Failed, Some(&cause), SYSTEM).await?;
            return Ok(());
        }
    };
    let mut tx = state.db.begin_write().await?;
    sqlx::query("DELETE FROM export_archives WHERE request_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO export_archives (id, request_id, account_id, file_path, size_bytes, sha256, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(id)
    .bind(account_id)
    .bind(format!("{EXPORTS_DIR}/{archive_name}"))
    .bind(i64::try_from(outcome.size_bytes).unwrap_or(i64::MAX))
    .bind(&outcome.sha256)
    .bind(now)
    .bind(now.saturating_add(EXPORT_LINK_MS))
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        SYSTEM,
        "export.build",
        Some(account_id),
        Some(id),
        "ok",
        json!({"size_bytes": outcome.size_bytes, "sha256": outcome.sha256, "sections": outcome.sections,
               "files": outcome.files, "missing_files": outcome.missing_files}),
        now,
    )
    .await?;
    tx.commit().await?;
    transition(state, id, RequestStatus::Completed, None, SYSTEM).await?;
    Ok(())
}

/// Steps of 100 ms an erasure waits for the subject's mail (see [`drain_mail`]).
const MAIL_WAIT_STEPS: u32 = 50;

/// Waits (bounded) until `sql` (a count with `$1` = account, `$2` = now) is zero.
async fn wait_until_zero(
    state: &AppState,
    sql: &'static str,
    account_id: &str,
) -> Result<(), AppError> {
    for _ in 0..MAIL_WAIT_STEPS {
        let n: i64 = sqlx::query_scalar(sql)
            .bind(account_id)
            .bind(state.clock.now_ms())
            .fetch_one(state.db.pool())
            .await?;
        if n == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Before an erasure: lets due emails to the subject go out (the receipt, bounded wait),
/// closes the account so no new email is sent and nobody signs in while its rows are
/// erased, then waits for deliveries already under way. An email log row or session created
/// mid-erasure would otherwise outlive it. A held account is left open (erasure refuses it).
async fn drain_mail(state: &AppState, account_id: &str) -> Result<(), AppError> {
    if !heepr_compliance::holds::active(state.db.pool(), account_id)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    state.mail_wakeup.notify_one();
    wait_until_zero(
        state,
        "SELECT COUNT(*) FROM email_outbox WHERE account_id = $1 AND next_attempt_at <= $2",
        account_id,
    )
    .await?;
    sqlx::query("UPDATE accounts SET status = 'closed' WHERE id = $1 AND status = 'active'")
        .bind(account_id)
        .execute(state.db.pool())
        .await?;
    wait_until_zero(
        state,
        "SELECT COUNT(*) FROM email_outbox WHERE account_id = $1 AND locked_until IS NOT NULL AND locked_until >= $2",
        account_id,
    )
    .await
}

async fn run_erasure(state: &AppState, id: &str, account_id: &str) -> Result<(), AppError> {
    if heepr_compliance::holds::active(state.db.pool(), account_id)
        .await?
        .is_empty()
    {
        // Unfinished orders are refunded first (their cancellation emails go out with the
        // rest of the subject's mail below).
        crate::market::orders::closing_for_erasure::close_open_orders(state, account_id).await?;
    }
    drain_mail(state, account_id).await?;
    let now = state.clock.now_ms();
    let job = ErasureJob {
        map: &state.policies.data_map,
        account_id,
        request_id: Some(id),
        actor: SYSTEM,
        data_dir: &state.settings.data_dir,
        batch_rows: erasure::DEFAULT_BATCH_ROWS,
        stop_after_batches: None,
    };
    match erasure::run(&state.db, &job, now).await {
        Ok(_) => {
            transition(state, id, RequestStatus::Completed, None, SYSTEM).await?;
        }
        Err(ErasureError::Held { reason }) => {
            let why = format!("legal hold: {reason}");
            transition(state, id, RequestStatus::OnHold, Some(&why), SYSTEM).await?;
        }
        Err(err) => {
            let cause = format!("erasure failed: {err}");
            tracing::warn!(request_id = %id, "{cause}");
            transition(state, id, RequestStatus::Failed, Some(&cause), SYSTEM).await?;
        }
    }
    Ok(())
}

/// Deletes export archives past their 7 days (file and link); returns how many.
///
/// Errors: the database's.
pub async fn sweep_expired_archives(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock.now_ms();
    let rows = sqlx::query(
        "SELECT id, request_id, account_id, file_path FROM export_archives WHERE deleted_at IS NULL AND expires_at <= $1",
    )
    .bind(now)
    .fetch_all(state.db.pool())
    .await?;
    for row in &rows {
        let id: String = row.try_get("id")?;
        let file_path: String = row.try_get("file_path")?;
        expire_archive(
            state,
            &id,
            &row.try_get::<String, _>("request_id")?,
            &row.try_get::<String, _>("account_id")?,
            &file_path,
        )
        .await?;
    }
    Ok(rows.len())
}

/// Deletes one archive's file and marks it deleted (audited).
///
/// Errors: the database's; a file that cannot be removed (other than already gone).
pub async fn expire_archive(
    state: &AppState,
    id: &str,
    request_id: &str,
    account_id: &str,
    file_path: &str,
) -> Result<(), AppError> {
    let now = state.clock.now_ms();
    let full = state.settings.data_dir.join(Path::new(file_path));
    match std::fs::remove_file(&full) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "{}: {e}",
                full.display()
            )));
        }
    }
    let mut tx = state.db.begin_write().await?;
    sqlx::query("UPDATE export_archives SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        SYSTEM,
        "export.expire",
        Some(account_id),
        Some(request_id),
        "ok",
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
