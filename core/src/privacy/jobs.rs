//! A data-subject request's job (an export or an erasure): claimed with a lease, then run.
//! Safe with several workers (two servers, a server and the CLI): a request is claimed with
//! a conditional update, so one worker runs it at a time; a worker that dies leaves a lease
//! that expires, and the job is run again (exports are rebuilt from scratch, erasures
//! resume: both are idempotent). Each job runs under its data subject's lock
//! (`heepr_compliance::subject::lock`), so an export and an erasure of one person never run
//! at once. The polling loop is `runtime::privacy_worker`.

use heepr_compliance::dsr::RequestKind;
use heepr_compliance::subject::lock as subject_lock;

use super::erase_account::run_erasure;
use super::export_archive::run_export;
use super::requests::get;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;

/// How long a claimed job stays with its worker (ms).
const LEASE_MS: i64 = 30 * 60_000;

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
    if !matches!(dsr.kind, RequestKind::Access | RequestKind::Erasure) {
        return Ok(false);
    }
    // One job per data subject at a time: an export and an erasure of one person never
    // run together. A busy subject's request is given back for the next pass.
    let Some(lock) = subject_lock::take(&state.db, &dsr.account_id, holder(), now).await? else {
        sqlx::query("UPDATE dsr_requests SET locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(state.db.pool())
            .await?;
        return Ok(false);
    };
    let ran = match dsr.kind {
        RequestKind::Access => run_export(state, id, &dsr.account_id, &lock).await,
        _ => run_erasure(state, id, &dsr.account_id).await,
    };
    // Given back on every path; a failed release only leaves the lease to lapse.
    if let Err(err) = lock.release().await {
        tracing::warn!(request_id = %id, "subject lock release failed: {err}");
    }
    ran.map(|()| true)
}

/// This process's name as the holder of subject locks (unique per process).
pub fn holder() -> &'static str {
    static HOLDER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOLDER.get_or_init(|| format!("worker-{}-{}", std::process::id(), new_id()))
}
