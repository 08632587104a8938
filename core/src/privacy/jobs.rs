//! A data-subject request's job (an export or an erasure): claimed with a lease, then run.
//! Safe with several workers (two servers, a server and the CLI): a request is claimed with
//! a short lease renewed by a heartbeat, so one worker runs it at a time; a worker that dies
//! leaves a lease that lapses within a minute (or that it takes back at once when it
//! restarts under its installation's identity), and the job is run again (exports are rebuilt from scratch, erasures
//! resume: both are idempotent). Each job runs under its data subject's lock
//! (`heepr_compliance::subject::lock`), so an export and an erasure of one person never run
//! at once. The polling loop is `runtime::privacy_worker`.

use heepr_compliance::dsr::{RequestKind, RequestStatus};
use heepr_compliance::lease::{JOB_HEARTBEAT_MS, JOB_LEASE_MS, LeaseGuard};
use heepr_compliance::subject::lock as subject_lock;

use super::erase_account::run_erasure;
use super::export_archive::run_export;
use super::requests::get;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;

/// Lease names of claimed requests start with this.
pub const REQUEST_LEASE_PREFIX: &str = "dsr:";

/// Runs every requested job that no other worker holds, as `holder`; returns how many ran.
///
/// Errors: the database's (a failing job is not an error of the pass: its request fails).
pub async fn run_due(state: &AppState, holder: &str) -> Result<usize, AppError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM dsr_requests WHERE status = $1 AND job_requested_at IS NOT NULL \
         AND job_requested_at <= $2 ORDER BY job_requested_at, id LIMIT 20",
    )
    .bind(RequestStatus::InProgress.as_str())
    .bind(state.clock.now_ms())
    .fetch_all(state.db.pool())
    .await?;
    let mut ran = 0;
    for id in ids {
        if run_request(state, &id, holder).await? {
            ran += 1;
        }
    }
    Ok(ran)
}

/// Claims request `id` for `holder` and runs its job; `false` when another live worker
/// holds it (or its subject's lock), or it has no job to run.
///
/// The claim is a [`LeaseGuard`] (60 s, renewed every 20 s while the job runs): a killed
/// worker's claim lapses within a minute, and a worker that restarts under the same
/// `holder` (the installation's [`worker_identity`]) takes its own claims back at once.
///
/// Errors: the database's. The job's own failure moves the request to `failed` (with the
/// cause) or, for a held account, `on_hold` (with the hold's reason).
pub async fn run_request(state: &AppState, id: &str, holder: &str) -> Result<bool, AppError> {
    let now = state.clock.now_ms();
    let Some(claim) = LeaseGuard::take(
        &state.db,
        &format!("{REQUEST_LEASE_PREFIX}{id}"),
        holder,
        now,
        JOB_LEASE_MS,
        JOB_HEARTBEAT_MS,
    )
    .await?
    else {
        return Ok(false);
    };
    let ran = run_claimed(state, id, holder, now).await;
    // Given back on every path; a failed release only leaves the lease to lapse.
    if let Err(err) = claim.release().await {
        tracing::warn!(request_id = %id, "request lease release failed: {err}");
    }
    ran
}

/// Runs claimed request `id` under its subject's lock.
async fn run_claimed(state: &AppState, id: &str, holder: &str, now: i64) -> Result<bool, AppError> {
    let dsr = get(state.db.pool(), id, now).await?;
    if dsr.status != RequestStatus::InProgress
        || !matches!(dsr.kind, RequestKind::Access | RequestKind::Erasure)
    {
        return Ok(false);
    }
    // One job per data subject at a time: an export and an erasure of one person never
    // run together. A busy subject's request waits for the next pass.
    let Some(lock) = subject_lock::take(&state.db, &dsr.account_id, holder, now).await? else {
        return Ok(false);
    };
    let ran = match dsr.kind {
        RequestKind::Access => run_export(state, id, &dsr.account_id, &lock).await,
        _ => run_erasure(state, id, &dsr.account_id).await,
    };
    if let Err(err) = lock.release().await {
        tracing::warn!(request_id = %id, "subject lock release failed: {err}");
    }
    ran.map(|()| true)
}

/// This process's own holder name, for one-off runs (`heepr dsr ...`): unique per process,
/// so it never shares a claim with a running server.
pub fn process_holder() -> &'static str {
    static HOLDER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOLDER.get_or_init(|| format!("process-{}-{}", std::process::id(), new_id()))
}

/// The file under the data dir holding the installation's worker identity.
pub const WORKER_ID_FILE: &str = "worker-id";

/// The privacy worker's stable identity for this installation (`DATA_DIR/worker-id`,
/// created on first use): a restarted server holds its own earlier leases and resumes its
/// interrupted jobs at once rather than after they lapse.
///
/// Errors: the file cannot be read or written.
pub fn worker_identity(data_dir: &std::path::Path) -> std::io::Result<String> {
    let path = data_dir.join(WORKER_ID_FILE);
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::create_dir_all(data_dir)?;
    let id = format!("worker-{}", new_id());
    std::fs::write(&path, &id)?;
    Ok(id)
}
