//! A data-subject request's job (an export or an erasure): claimed with a lease, then run.
//! Safe with several workers (two servers, a server and the CLI): a request is claimed with
//! a conditional update, so one worker runs it at a time; a worker that dies leaves a lease
//! that expires, and the job is run again (exports are rebuilt from scratch, erasures
//! resume: both are idempotent). The polling loop is `runtime::privacy_worker`.

use heepr_compliance::dsr::{RequestKind, RequestStatus};

use super::erase_account::run_erasure;
use super::export_archive::run_export;
use super::requests::get;
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// How long a claimed job stays with its worker (ms).
const LEASE_MS: i64 = 30 * 60_000;

/// Runs every requested job that no other worker holds; returns how many ran.
///
/// Errors: the database's (a failing job is not an error of the pass: its request fails).
pub async fn run_due(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock.now_ms();
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM dsr_requests WHERE status = $2 AND job_requested_at IS NOT NULL \
         AND (locked_until IS NULL OR locked_until < $1) ORDER BY job_requested_at, id LIMIT 20",
    )
    .bind(now)
    .bind(RequestStatus::InProgress.as_str())
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
        "UPDATE dsr_requests SET locked_until = $1 WHERE id = $2 AND status = $4 \
         AND job_requested_at IS NOT NULL AND (locked_until IS NULL OR locked_until < $3)",
    )
    .bind(now.saturating_add(LEASE_MS))
    .bind(id)
    .bind(now)
    .bind(RequestStatus::InProgress.as_str())
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
