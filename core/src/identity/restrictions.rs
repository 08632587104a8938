//! Whether processing of an account is restricted (GDPR Art. 18), for every part that must
//! leave a restricted account's data alone: the marketplace (browse, search, leaderboard,
//! new orders), non-transactional email, the person's privacy page. Placing and lifting a
//! restriction is the privacy desk's (`privacy::restrictions`).
//!
//! A restriction is in force while its `lifted_at` is NULL; an account has at most one in
//! force.

use serde::Serialize;
use sqlx::{Any, AnyPool, FromRow, Transaction};

use crate::platform::error::AppError;

/// SQL condition: no restriction in force on the account whose id is in column `{col}`;
/// written into a query with [`unrestricted`].
const UNRESTRICTED: &str =
    "NOT EXISTS (SELECT 1 FROM restrictions r WHERE r.account_id = {col} AND r.lifted_at IS NULL)";

/// A SQL condition true when the account whose id is in `column` (a trusted column name
/// such as `a.owner_id`, never input) has no restriction in force.
pub fn unrestricted(column: &str) -> String {
    UNRESTRICTED.replace("{col}", column)
}

/// A restriction of processing (a `restrictions` row, read by column name).
#[derive(Debug, Clone, Serialize, FromRow)]
pub struct Restriction {
    /// Restriction id.
    pub id: String,
    /// The restricted account.
    pub account_id: String,
    /// Why (shown to the person).
    pub reason: String,
    /// The restriction request it answers, if any.
    pub request_id: Option<String>,
    /// Who placed it (`staff:<id>`).
    pub placed_by: String,
    /// When (Unix ms).
    pub placed_at: i64,
    /// Who lifted it.
    pub lifted_by: Option<String>,
    /// When it was lifted (Unix ms); `None` while in force.
    pub lifted_at: Option<i64>,
    /// Why it was lifted.
    pub lift_reason: Option<String>,
}

/// Columns read into a [`Restriction`].
pub const COLUMNS: &str =
    "id, account_id, reason, request_id, placed_by, placed_at, lifted_by, lifted_at, lift_reason";

/// Every restriction of `account_id`, the one in force first, then newest first.
///
/// Errors: the database's.
pub async fn for_account(pool: &AnyPool, account_id: &str) -> Result<Vec<Restriction>, AppError> {
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM restrictions WHERE account_id = $1 \
         ORDER BY CASE WHEN lifted_at IS NULL THEN 0 ELSE 1 END, placed_at DESC, id DESC"
    )))
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// Whether a restriction is in force on `account_id`, read inside `tx`.
///
/// Errors: the database's.
pub async fn is_restricted(
    tx: &mut Transaction<'static, Any>,
    account_id: &str,
) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM restrictions WHERE account_id = $1 AND lifted_at IS NULL",
    )
    .bind(account_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n > 0)
}

/// 409 `account_restricted` when processing of the customer's or the agent owner's
/// account is restricted: a new order processes both parties' data.
///
/// Errors: that 409; the database's.
pub async fn refuse_new_order(
    tx: &mut Transaction<'static, Any>,
    customer_id: &str,
    owner_id: &str,
) -> Result<(), AppError> {
    if is_restricted(tx, customer_id).await? {
        return Err(AppError::Conflict {
            code: "account_restricted",
            message: "processing of your account's data is restricted, so it cannot place new \
                      orders; write to privacy@heepr.ai to lift the restriction"
                .into(),
        });
    }
    if is_restricted(tx, owner_id).await? {
        return Err(AppError::Conflict {
            code: "account_restricted",
            message: "this agent takes no new orders: processing of its owner's data is restricted"
                .into(),
        });
    }
    Ok(())
}
