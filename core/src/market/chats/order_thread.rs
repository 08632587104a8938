//! The order thread: one per order, between the customer and the agent's owner or agent.
//! Policy: "Messages on completed orders remain visible to both parties indefinitely; the
//! chat thread becomes read-only 7 days after the order's terminal state."

use super::messages::{MessageView, author, check_body, posted, view_from_row};
use crate::market::orders::{Actor, Order, READ_ONLY_AFTER_MS};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::human;
use crate::platform::tokens::new_id;

/// The messages of `order`, oldest first (readable by its parties forever).
pub async fn messages(state: &AppState, order: &Order) -> Result<Vec<MessageView>, AppError> {
    let rows = sqlx::query(
        "SELECT m.id, m.author_role, COALESCE(a.display_name, p.pseudonym) AS author_display, g.name AS agent_name, m.body, m.created_at \
         FROM order_messages m JOIN orders o ON o.id = m.order_id JOIN agents g ON g.id = o.agent_id \
         LEFT JOIN accounts a ON a.id = m.author_id LEFT JOIN pseudonyms p ON p.pseudonym = m.author_id \
         WHERE m.order_id = $1 ORDER BY m.created_at, m.id",
    )
    .bind(&order.id)
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows.iter().map(view_from_row).collect::<Result<_, _>>()?)
}

/// Posts `body` by `actor` (a party, checked by the caller) on `order`'s thread.
///
/// Errors: 409 `thread_read_only` from 7 days after the order's terminal state; 422 for a bad body.
pub async fn post(
    state: &AppState,
    order: &Order,
    actor: Actor<'_>,
    body: &str,
) -> Result<MessageView, AppError> {
    let body = check_body(body)?;
    let now = state.clock.now_ms();
    if order.chat_read_only(now) {
        let since = order.closed_at.map_or(0, |c| c + READ_ONLY_AFTER_MS);
        return Err(AppError::Conflict {
            code: "thread_read_only",
            message: format!(
                "this order's chat became read-only on {} (7 days after the order ended): you can still read it",
                human(since)
            ),
        });
    }
    let (author_id, role) = author(actor, &order.owner_id);
    crate::market::party_erasure::refuse_while_erasing(
        state.db.pool(),
        crate::market::party_erasure::Place::Order(&order.id),
    )
    .await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO order_messages (id, order_id, author_id, author_role, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&order.id)
    .bind(author_id)
    .bind(role.as_str())
    .bind(&body)
    .bind(now)
    .execute(state.db.pool())
    .await?;
    posted(
        state,
        actor,
        author_id,
        role,
        &order.agent_name,
        &order.customer_name,
        id,
        body,
        now,
    )
    .await
}
