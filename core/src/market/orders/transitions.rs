//! Applying a move of an order through its states ([`super::status`]) with the escrow
//! settlement ([`super::escrow`]), counters and emails each move brings, all in one
//! transaction. A move is applied with a conditional `UPDATE ... WHERE status = <current>`,
//! so two concurrent moves cannot both succeed; the escrow settles exactly once (release and
//! refund each drain the whole escrow).

use sqlx::{Any, Transaction};

use super::escrow;
use super::notify::{self, Event};
use super::{Actor, ORDER_COLUMNS, ORDER_FROM, Order, OrderAction, OrderStatus};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Longest revision request (characters).
const MAX_REASON_CHARS: usize = 2_000;

/// The role table: which party may ask for which move (the state machine decides whether
/// the move is possible now).
pub(super) fn role_may(actor: Actor<'_>, action: OrderAction) -> bool {
    use OrderAction as A;
    matches!(
        (actor, action),
        (Actor::Agent(_), A::Accept | A::Deliver)
            | (
                Actor::Customer(_),
                A::AcceptDelivery | A::RequestRevision | A::Cancel
            )
            | (Actor::Owner(_), A::ApproveRevision | A::DeclineRevision)
            | (Actor::System, A::MissDeadline | A::CloseForErasure)
    )
}

/// Loads order `id` inside `tx` if `actor` is a party allowed to take `action`.
async fn load_in(
    tx: &mut Transaction<'static, Any>,
    id: &str,
    actor: Actor<'_>,
    action: OrderAction,
) -> Result<Order, AppError> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM {ORDER_FROM} WHERE o.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    let order = row.as_ref().map(Order::from_row).transpose()?;
    match order {
        Some(order) if order.parties().includes(actor) && role_may(actor, action) => Ok(order),
        _ => Err(AppError::NotFound("order")),
    }
}

/// Applies `action` by `actor` to order `id` in its own transaction; returns the order after.
///
/// `reason` is the customer's text for [`OrderAction::RequestRevision`] (required).
///
/// Errors: 404 when `actor` is not the party who may take this action; 409
/// `invalid_transition` when the state does not allow it (e.g. deliver a cancelled order,
/// accept twice); 409 `revision_limit_reached`; 409 `deadline_not_reached` for an early
/// refund; 422 for a missing or too long revision reason. Nothing changes in any error case.
pub async fn act(
    state: &AppState,
    id: &str,
    actor: Actor<'_>,
    action: OrderAction,
    reason: Option<&str>,
) -> Result<Order, AppError> {
    let mut tx = state.db.begin_write().await?;
    act_in(&mut tx, state, id, actor, action, reason).await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    super::load(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound("order"))
}

/// [`act`] inside the caller's transaction (deliveries attach their files in the same one).
pub async fn act_in(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    id: &str,
    actor: Actor<'_>,
    action: OrderAction,
    reason: Option<&str>,
) -> Result<OrderStatus, AppError> {
    let order = load_in(tx, id, actor, action).await?;
    let next = order.status.require(action)?;
    let now = state.clock.now_ms();
    let mut revision_reason = order.revision_reason.clone();
    let mut revisions_used = order.revisions_used;
    let mut deadline = order.deadline_at;
    match action {
        OrderAction::RequestRevision => {
            if order.revisions_used >= order.revision_limit {
                return Err(AppError::Conflict {
                    code: "revision_limit_reached",
                    message: format!(
                        "this order allows {} revision(s) and all have been used",
                        order.revision_limit
                    ),
                });
            }
            let text = reason.map(str::trim).unwrap_or_default();
            if text.is_empty() || text.chars().count() > MAX_REASON_CHARS {
                return Err(AppError::invalid(
                    "reason",
                    format!("say what to change, 1-{MAX_REASON_CHARS} characters"),
                ));
            }
            revision_reason = Some(text.to_owned());
        }
        OrderAction::ApproveRevision => {
            revisions_used += 1;
            deadline = now.saturating_add(order.delivery_hours.saturating_mul(3_600_000));
        }
        OrderAction::MissDeadline if now < order.deadline_at => {
            return Err(AppError::Conflict {
                code: "deadline_not_reached",
                message: "the order's deadline has not passed".into(),
            });
        }
        _ => {}
    }
    let updated = sqlx::query(
        "UPDATE orders SET status = $1, revision_reason = $2, revisions_used = $3, deadline_at = $4, \
         accepted_at = CASE WHEN $5 = 1 THEN $6 ELSE accepted_at END, \
         delivered_at = CASE WHEN $7 = 1 THEN $6 ELSE delivered_at END, \
         closed_at = CASE WHEN $8 = 1 THEN $6 ELSE closed_at END, updated_at = $6 \
         WHERE id = $9 AND status = $10",
    )
    .bind(next.as_str())
    .bind(revision_reason)
    .bind(revisions_used)
    .bind(deadline)
    .bind(i64::from(action == OrderAction::Accept))
    .bind(now)
    .bind(i64::from(action == OrderAction::Deliver))
    .bind(i64::from(next.is_terminal()))
    .bind(id)
    .bind(order.status.as_str())
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(AppError::Conflict {
            code: "invalid_transition",
            message: "the order changed meanwhile: reload it and try again".into(),
        });
    }
    settle(tx, &order, action, now).await?;
    let event = match action {
        OrderAction::Accept => Event::Accepted,
        OrderAction::Deliver => Event::Delivered,
        OrderAction::AcceptDelivery => Event::Completed,
        OrderAction::RequestRevision => Event::RevisionRequested,
        OrderAction::ApproveRevision => Event::RevisionApproved,
        OrderAction::DeclineRevision => Event::RevisionDeclined,
        OrderAction::Cancel | OrderAction::CloseForErasure => Event::Cancelled,
        OrderAction::MissDeadline => Event::Refunded,
    };
    notify::order_event(tx, state, id, event).await?;
    tracing::info!(order_id = id, status = next.as_str(), "order moved");
    Ok(next)
}

/// The escrow settlement ([`escrow::settle`]) and agent counters of terminal moves.
async fn settle(
    tx: &mut Transaction<'static, Any>,
    order: &Order,
    action: OrderAction,
    now: i64,
) -> Result<(), AppError> {
    let parties = escrow::EscrowOf {
        order_id: &order.id,
        customer_id: &order.customer_id,
        owner_id: &order.owner_id,
        price_points: order.price_points,
    };
    escrow::settle(tx, parties, action, now).await?;
    let counter = match action {
        OrderAction::AcceptDelivery => {
            "UPDATE agents SET completed_orders = completed_orders + 1 WHERE id = $1"
        }
        OrderAction::MissDeadline => {
            "UPDATE agents SET refunded_orders = refunded_orders + 1 WHERE id = $1"
        }
        _ => return Ok(()),
    };
    sqlx::query(counter)
        .bind(&order.agent_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
