//! The automatic refund of orders whose deadline passed with no delivery (landing page:
//! "automatic refunds on missed delivery"). [`refund_missed_deadlines`] is a job any
//! scheduler can call as often as it likes: each order is refunded in its own transaction
//! through the state machine, so a crash mid-run leaves every order either refunded or
//! untouched, and a second run (or a concurrent one) refunds nothing twice.

use super::transitions;
use super::{Actor, OrderAction, OrderStatus};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Orders handled per pass of the loop.
const BATCH: i64 = 200;

/// Refunds every order still `placed` or `in_progress` whose deadline is at or before now
/// (`state.clock`); returns how many were refunded by this call.
///
/// Errors: database failures (orders refunded before the failure stay refunded).
pub async fn refund_missed_deadlines(state: &AppState) -> Result<u64, AppError> {
    let mut refunded = 0;
    let mut skipped: Vec<String> = Vec::new();
    loop {
        let now = state.clock.now_ms();
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM orders WHERE status IN ($3, $4) AND deadline_at <= $1 ORDER BY deadline_at, id LIMIT $2",
        )
        .bind(now)
        .bind(BATCH)
        .bind(OrderStatus::Placed.as_str())
        .bind(OrderStatus::InProgress.as_str())
        .fetch_all(state.db.pool())
        .await?;
        let fresh: Vec<String> = ids.into_iter().filter(|id| !skipped.contains(id)).collect();
        if fresh.is_empty() {
            return Ok(refunded);
        }
        for id in fresh {
            match transitions::act(state, &id, Actor::System, OrderAction::MissDeadline, None).await
            {
                Ok(_) => refunded += 1,
                // Moved on meanwhile (delivered, cancelled, refunded by another run).
                Err(AppError::Conflict { .. } | AppError::NotFound(_)) => skipped.push(id),
                Err(err) => return Err(err),
            }
        }
    }
}
