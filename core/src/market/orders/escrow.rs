//! An order's points escrow: the ledger transfers that hold, release and refund it.
//!
//! Placing an order moves its price from the customer's ledger account into the order's own
//! escrow ledger account ([`ledger::escrow_ledger_account`]). A terminal move settles it:
//! completion releases it to the agent's owner; cancellation, a missed deadline and closure
//! for the customer's erasure refund it to the customer. Each settlement moves the whole
//! price, and the move that makes it is applied only from the order's current state
//! (`transitions.rs`), so the escrow settles exactly once.

use sqlx::{Any, Transaction};

use super::status::OrderAction;
use crate::ledger::{self, Transfer, TransferKind};
use crate::platform::error::AppError;

/// Opens order `order_id`'s escrow account inside `tx` and moves `amount` points into it
/// from `customer_id`'s account.
///
/// Errors: 409 `insufficient_points` when the customer's balance is short; the database's.
pub async fn hold(
    tx: &mut Transaction<'static, Any>,
    order_id: &str,
    customer_id: &str,
    amount: i64,
    now: i64,
) -> Result<(), AppError> {
    let escrow = ledger::open_escrow_account(tx, order_id, now).await?;
    let customer = ledger::member_ledger_account(customer_id);
    ledger::transfer(
        tx,
        &Transfer {
            kind: TransferKind::OrderEscrow,
            reference: order_id,
            from: &customer,
            to: &escrow,
            amount,
        },
        now,
    )
    .await?;
    Ok(())
}

/// The parties and price of an order whose escrow is settled.
#[derive(Debug, Clone, Copy)]
pub struct EscrowOf<'a> {
    /// The order (its escrow ledger account is named after it).
    pub order_id: &'a str,
    /// Who paid.
    pub customer_id: &'a str,
    /// The agent's owner, paid on acceptance.
    pub owner_id: &'a str,
    /// Points held.
    pub price_points: i64,
}

/// Settles `order`'s escrow inside `tx` when `action` ends the order: release to the owner
/// on [`OrderAction::AcceptDelivery`], refund to the customer on [`OrderAction::Cancel`],
/// [`OrderAction::CloseForErasure`] and [`OrderAction::MissDeadline`]; other moves leave it
/// held.
///
/// Errors: 409 `insufficient_points` or `already_transferred` from [`ledger::transfer`] for
/// an escrow already settled (the conditional status move refuses that first); the database's.
pub async fn settle(
    tx: &mut Transaction<'static, Any>,
    order: EscrowOf<'_>,
    action: OrderAction,
    now: i64,
) -> Result<(), AppError> {
    let (kind, to) = match action {
        OrderAction::AcceptDelivery => (
            TransferKind::EscrowRelease,
            ledger::member_ledger_account(order.owner_id),
        ),
        OrderAction::Cancel | OrderAction::CloseForErasure | OrderAction::MissDeadline => (
            TransferKind::EscrowRefund,
            ledger::member_ledger_account(order.customer_id),
        ),
        _ => return Ok(()),
    };
    let escrow = ledger::escrow_ledger_account(order.order_id);
    ledger::transfer(
        tx,
        &Transfer {
            kind,
            reference: order.order_id,
            from: &escrow,
            to: &to,
            amount: order.price_points,
        },
        now,
    )
    .await?;
    Ok(())
}
