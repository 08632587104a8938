//! The points ledger (beta: points, no money). Double-entry and append-only: every
//! transfer writes two ledger entries that sum to zero, so points are never created or lost
//! except where the issuer mints them (sign-up bonus).
//!
//! A ledger account's `balance` is the sum of its entries, kept up to date in the same
//! transaction. The debit is a conditional `UPDATE ... WHERE balance >= amount`: on
//! PostgreSQL it takes the row lock, on SQLite the write lock, so two concurrent transfers
//! can never together overdraw a member (the CHECK constraint is the last line of defence).

use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::platform::error::{AppError, is_unique_violation};
use crate::platform::time::rfc3339;
use crate::platform::tokens::new_id;

/// The ledger account that mints bonuses.
pub const ISSUER: &str = "issuer";

heepr_compliance::stored_state! {
    /// Why points move (`ledger_transfers.kind`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TransferKind: "transfer kind" {
        /// Credited once per account at sign-up (reference: the account id).
        SignupBonus = "signup_bonus",
        /// An order's price moves from the customer to the order's escrow (reference: order
        /// id).
        OrderEscrow = "order_escrow",
        /// The escrow is paid out to the agent's owner on completion (reference: order id).
        EscrowRelease = "escrow_release",
        /// The escrow goes back to the customer on cancellation or a missed deadline
        /// (reference: order id).
        EscrowRefund = "escrow_refund",
        /// Points minted by `heepr demo-data` for demo customers (reference: `demo:<n>`).
        DemoGrant = "demo_grant",
    }
}

heepr_compliance::stored_state! {
    /// Whose points a ledger account holds (`ledger_accounts.kind`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum LedgerAccountKind: "ledger account kind" {
        /// A member's balance (`member:<account id>`); never negative.
        Member = "member",
        /// An order's escrow (`escrow:<order id>`); never negative.
        Escrow = "escrow",
        /// The one account that mints points ([`ISSUER`]); may go negative.
        Issuer = "issuer",
    }
}

/// The member ledger account id of `account_id`.
pub fn member_ledger_account(account_id: &str) -> String {
    format!("member:{account_id}")
}

/// The escrow ledger account id of `order_id`.
pub fn escrow_ledger_account(order_id: &str) -> String {
    format!("escrow:{order_id}")
}

/// Opens the escrow ledger account of a new order (balance 0, no account holder).
///
/// Release and refund are mutually exclusive: each drains the whole escrow, so whichever
/// comes second finds a zero balance and fails with `insufficient_points` (and the order's
/// conditional status change refuses it before that).
pub async fn open_escrow_account(
    tx: &mut Transaction<'static, Any>,
    order_id: &str,
    now: i64,
) -> Result<String, AppError> {
    let id = escrow_ledger_account(order_id);
    sqlx::query(
        "INSERT INTO ledger_accounts (id, kind, account_id, balance, created_at) VALUES ($1, $3, NULL, 0, $2)",
    )
    .bind(&id)
    .bind(now)
    .bind(LedgerAccountKind::Escrow.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Opens the member ledger account of a new account (balance 0).
pub async fn open_member_account(
    tx: &mut Transaction<'static, Any>,
    account_id: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO ledger_accounts (id, kind, account_id, balance, created_at) VALUES ($1, $4, $2, 0, $3)",
    )
    .bind(member_ledger_account(account_id))
    .bind(account_id)
    .bind(now)
    .bind(LedgerAccountKind::Member.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A balanced movement of `amount` points (> 0) from one ledger account to another.
#[derive(Debug, Clone)]
pub struct Transfer<'a> {
    /// Why.
    pub kind: TransferKind,
    /// What it is about (account id, order id); a kind happens once per reference.
    pub reference: &'a str,
    /// Ledger account debited.
    pub from: &'a str,
    /// Ledger account credited.
    pub to: &'a str,
    /// Points moved, > 0.
    pub amount: i64,
}

/// Records `transfer` inside `tx` at `now` (Unix ms).
///
/// Errors: 422 for a non-positive amount; 409 `insufficient_points` when the debited account
/// would go negative; 409 `already_transferred` when this kind already happened for this
/// reference. Nothing is written in any error case (the caller's transaction rolls back).
pub async fn transfer(
    tx: &mut Transaction<'static, Any>,
    transfer: &Transfer<'_>,
    now: i64,
) -> Result<String, AppError> {
    if transfer.amount <= 0 {
        return Err(AppError::invalid(
            "amount",
            "points moved must be more than zero",
        ));
    }
    let transfer_id = new_id();
    let inserted = sqlx::query(
        "INSERT INTO ledger_transfers (id, kind, reference, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&transfer_id)
    .bind(transfer.kind.as_str())
    .bind(transfer.reference)
    .bind(now)
    .execute(&mut **tx)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e, "ledger_transfers_kind_reference_key") => {
            return Err(AppError::Conflict {
                code: "already_transferred",
                message: format!(
                    "{} already recorded for {}",
                    transfer.kind.as_str(),
                    transfer.reference
                ),
            });
        }
        other => other?,
    };
    let debited = sqlx::query(
        "UPDATE ledger_accounts SET balance = balance - $1 WHERE id = $2 AND (kind = $3 OR balance >= $1)",
    )
    .bind(transfer.amount)
    .bind(transfer.from)
    .bind(LedgerAccountKind::Issuer.as_str())
    .execute(&mut **tx)
    .await?;
    if debited.rows_affected() != 1 {
        return Err(AppError::Conflict {
            code: "insufficient_points",
            message: format!("not enough points: {} needed", transfer.amount),
        });
    }
    sqlx::query("UPDATE ledger_accounts SET balance = balance + $1 WHERE id = $2")
        .bind(transfer.amount)
        .bind(transfer.to)
        .execute(&mut **tx)
        .await?;
    for (account, amount) in [
        (transfer.from, -transfer.amount),
        (transfer.to, transfer.amount),
    ] {
        sqlx::query(
            "INSERT INTO ledger_entries (id, transfer_id, ledger_account_id, amount, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(&transfer_id)
        .bind(account)
        .bind(amount)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(transfer_id)
}

/// The member's balance in points.
pub async fn balance(pool: &sqlx::AnyPool, account_id: &str) -> Result<i64, AppError> {
    let balance = sqlx::query_scalar::<_, i64>("SELECT balance FROM ledger_accounts WHERE id = $1")
        .bind(member_ledger_account(account_id))
        .fetch_optional(pool)
        .await?;
    Ok(balance.unwrap_or(0))
}

/// The points an order's escrow holds now (0 once settled or refunded, or never opened).
///
/// Errors: the database's.
pub async fn escrow_balance(pool: &sqlx::AnyPool, order_id: &str) -> Result<i64, AppError> {
    let balance = sqlx::query_scalar::<_, i64>("SELECT balance FROM ledger_accounts WHERE id = $1")
        .bind(escrow_ledger_account(order_id))
        .fetch_optional(pool)
        .await?;
    Ok(balance.unwrap_or(0))
}

/// One ledger entry as its member sees it.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    /// Entry id.
    pub id: String,
    /// Points credited (> 0) or debited (< 0).
    pub amount: i64,
    /// Why (`signup_bonus`, ...).
    pub kind: String,
    /// What it was about.
    pub reference: String,
    /// When (RFC 3339, UTC).
    pub created_at: String,
}

/// The member's most recent `limit` ledger entries, newest first.
pub async fn entries(
    pool: &sqlx::AnyPool,
    account_id: &str,
    limit: i64,
) -> Result<Vec<EntryView>, AppError> {
    let rows = sqlx::query(
        "SELECT e.id, e.amount, t.kind, t.reference, e.created_at FROM ledger_entries e \
         JOIN ledger_transfers t ON t.id = e.transfer_id \
         WHERE e.ledger_account_id = $1 ORDER BY e.created_at DESC, e.id DESC LIMIT $2",
    )
    .bind(member_ledger_account(account_id))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EntryView {
                id: r.try_get("id")?,
                amount: r.try_get("amount")?,
                kind: r.try_get("kind")?,
                reference: r.try_get("reference")?,
                created_at: rfc3339(r.try_get("created_at")?),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}
