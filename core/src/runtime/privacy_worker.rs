//! The privacy worker of `heepr serve`: runs requested exports and erasures
//! ([`crate::privacy::jobs`]) and deletes expired export archives. Guarantees:
//! - at start, the erasure ledger file gets any completed erasure it lacks (a crash between
//!   commit and file write), so a later restore re-applies it;
//! - at start, every half-written or unregistered export archive is deleted (each subject's
//!   under its lock, so another server's running export is left alone);
//! - it works under the installation's stable identity (`DATA_DIR/worker-id`), so after a
//!   crash and restart it takes its own job leases back and resumes at once;
//! - each pass closes the requests whose confirmation link expired unused
//!   ([`unconfirmed`]) and runs failed jobs again after their delay ([`retry_failed`]), so
//!   every request ends in an answer;
//! - a pass that fails is logged and retried on the next one; a failing job fails its
//!   request, not the loop;
//! - it wakes when a job is requested (`AppState::privacy_wakeup`), else every 5 s.

use std::time::Duration;

use crate::platform::state::AppState;
use crate::privacy::export_archive::{clean_export_dir, sweep_expired_archives};
use crate::privacy::jobs::{process_holder, run_due, worker_identity};
use crate::privacy::requests::{retry_failed, unconfirmed};

/// How often the worker looks for work when nobody wakes it.
const POLL: Duration = Duration::from_secs(5);

/// The worker loop; runs until its task is stopped.
pub async fn run(state: AppState) {
    match heepr_compliance::erasure_ledger::sync_file(state.db.pool(), &state.settings.data_dir)
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!("erasure ledger file: {n} missing entries appended"),
        Err(e) => tracing::warn!("erasure ledger file: {e}"),
    }
    // Stable per installation: a restarted server takes its own leases back at once.
    let holder = match worker_identity(&state.settings.data_dir) {
        Ok(id) => id,
        Err(err) => {
            tracing::warn!("worker identity: {err}; using a per-process one");
            process_holder().to_string()
        }
    };
    // Half-written archives of a killed export, and finished ones never registered.
    match clean_export_dir(&state, &holder).await {
        Ok(0) => {}
        Ok(n) => tracing::info!("exports: {n} stale archive files deleted"),
        Err(err) => tracing::warn!("exports clean-up failed: {}", err.public_message()),
    }
    loop {
        if let Err(err) = run_due(&state, &holder).await {
            tracing::warn!("privacy jobs pass failed: {}", err.public_message());
        }
        if let Err(err) = sweep_expired_archives(&state).await {
            tracing::warn!("export archive sweep failed: {}", err.public_message());
        }
        // Every request is answered: an unconfirmed one when its link expires, a failed
        // job by running it again.
        if let Err(err) = unconfirmed::close_expired(&state).await {
            tracing::warn!(
                "closing unconfirmed requests failed: {}",
                err.public_message()
            );
        }
        if let Err(err) = retry_failed::retry_due(&state).await {
            tracing::warn!(
                "retrying failed privacy jobs failed: {}",
                err.public_message()
            );
        }
        let _ = tokio::time::timeout(POLL, state.privacy_wakeup.notified()).await;
    }
}
