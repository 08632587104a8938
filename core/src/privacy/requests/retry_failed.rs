//! How a request whose export or erasure job failed still gets its answer: the job is run
//! again by itself after a growing delay ([`RETRY_DELAYS_MS`]: 5 minutes, 30 minutes,
//! 3 hours), and after the last retry the request is left `failed` for staff, who see it in
//! the queue (a failed request is open, and overdue once its due date passes) and retry or
//! reject it.
//!
//! Why: a failure is usually passing (a full disk, a database restart), and the policy
//! promises "we'll respond within 30 days": a failed job is not an answer. The retries
//! are bounded, so a job that fails for good does not run every few minutes for a month.

use heepr_compliance::audit::AuditActor;
use heepr_compliance::dsr::{RequestKind, RequestStatus};

use super::transitions::transition;
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// The delay before each automatic retry (ms), indexed by failures so far minus one: the
/// first retry waits 5 minutes after the first failure, the second 30 minutes, the third
/// 3 hours. After as many failures as there are delays plus one, staff decide.
pub const RETRY_DELAYS_MS: [i64; 3] = [5 * 60_000, 30 * 60_000, 3 * 3_600_000];

/// Requests retried per pass at most.
const PASS_LIMIT: i64 = 20;

/// Moves every failed export or erasure whose retry delay has passed back to `in_progress`
/// with its job requested (audited as the system). Returns how many were retried.
///
/// Errors: the database's.
pub async fn retry_due(state: &AppState) -> Result<u64, AppError> {
    let now = state.clock.now_ms();
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT id, job_failures, updated_at FROM dsr_requests \
         WHERE status = $1 AND kind IN ($2, $3) AND job_failures BETWEEN 1 AND $4 \
         ORDER BY updated_at, id LIMIT $5",
    )
    .bind(RequestStatus::Failed.as_str())
    .bind(RequestKind::Access.as_str())
    .bind(RequestKind::Erasure.as_str())
    .bind(RETRY_DELAYS_MS.len() as i64)
    .bind(PASS_LIMIT)
    .fetch_all(state.db.pool())
    .await?;
    let mut retried = 0;
    for (id, failures, failed_at) in rows {
        let Some(delay) = usize::try_from(failures - 1)
            .ok()
            .and_then(|i| RETRY_DELAYS_MS.get(i))
        else {
            continue;
        };
        if failed_at.saturating_add(*delay) > now {
            continue;
        }
        match transition(
            state,
            &id,
            RequestStatus::InProgress,
            None,
            &AuditActor::SYSTEM,
        )
        .await
        {
            Ok(_) => {}
            // Staff (or another server) acted on it since it was read.
            Err(AppError::Conflict { .. } | AppError::ConflictWith { .. }) => continue,
            Err(err) => return Err(err),
        }
        // Leaving `failed` requested the job in the same transaction.
        tracing::info!(request_id = %id, failures, "retrying a failed privacy job");
        retried += 1;
    }
    Ok(retried)
}
