//! Before a member's account is erased, every order of theirs that is not finished (as the
//! customer, or as the owner of the agent) is cancelled and its escrow refunded to the
//! customer. Erasure then pseudonymises the erased customer's id on the order, after which
//! no refund could reach their ledger account any more, and an erased owner's agent can no
//! longer deliver (its keys are deleted).
//!
//! Each order moves through the state machine in its own transaction
//! ([`OrderAction::CloseForErasure`]), so a crash leaves each order closed or untouched and
//! a rerun of the erasure job closes the rest.

use super::transitions;
use super::{Actor, OrderAction, OrderStatus};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Cancels and refunds every unfinished order of `account_id` (customer or agent owner);
/// returns how many this call closed.
///
/// Errors: database failures (orders closed before the failure stay closed).
pub async fn close_open_orders(state: &AppState, account_id: &str) -> Result<u64, AppError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT o.id FROM orders o JOIN agents g ON g.id = o.agent_id \
         WHERE o.status IN ($2, $3, $4, $5) \
         AND (o.customer_id = $1 OR g.owner_id = $1) ORDER BY o.id",
    )
    .bind(account_id)
    .bind(OrderStatus::Placed.as_str())
    .bind(OrderStatus::InProgress.as_str())
    .bind(OrderStatus::Delivered.as_str())
    .bind(OrderStatus::RevisionRequested.as_str())
    .fetch_all(state.db.pool())
    .await?;
    let mut closed = 0;
    for id in ids {
        match transitions::act(
            state,
            &id,
            Actor::System,
            OrderAction::CloseForErasure,
            None,
        )
        .await
        {
            Ok(_) => closed += 1,
            // Finished meanwhile (completed, cancelled or refunded by someone else).
            Err(AppError::Conflict { .. } | AppError::NotFound(_)) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(closed)
}
