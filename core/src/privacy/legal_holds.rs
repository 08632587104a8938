//! Placing and lifting legal holds for staff (the rules, and the audit entries, are
//! `heepr-compliance`'s holds): each change is one short write transaction.

use heepr_compliance::Db;
use heepr_compliance::holds::{self, Hold, HoldError};

use crate::identity::accounts::lookup;
use crate::platform::error::AppError;
use crate::platform::tokens::new_id;

/// Places a hold on account `account_id` for `reason`, by `actor` at `now_ms`.
///
/// Errors: 404 for an unknown account; 422 `reason` for an empty reason; the database's.
pub async fn place(
    db: &Db,
    account_id: &str,
    reason: &str,
    actor: &heepr_compliance::audit::AuditActor,
    now_ms: i64,
) -> Result<Hold, AppError> {
    if !lookup::exists(db.pool(), account_id).await? {
        return Err(AppError::NotFound("account"));
    }
    let mut tx = db.begin_write().await?;
    let hold = holds::place(&mut tx, &new_id(), account_id, reason, actor, now_ms)
        .await
        .map_err(hold_error)?;
    tx.commit().await?;
    Ok(hold)
}

/// Lifts hold `hold_id` for `reason`, by `actor` at `now_ms`; returns the account it was on.
///
/// Errors: 404 for no such active hold; 422 `reason` for an empty reason; the database's.
pub async fn lift(
    db: &Db,
    hold_id: &str,
    reason: &str,
    actor: &heepr_compliance::audit::AuditActor,
    now_ms: i64,
) -> Result<String, AppError> {
    let mut tx = db.begin_write().await?;
    let account_id = holds::lift(&mut tx, hold_id, reason, actor, now_ms)
        .await
        .map_err(hold_error)?;
    tx.commit().await?;
    Ok(account_id)
}

fn hold_error(e: HoldError) -> AppError {
    match e {
        HoldError::ReasonRequired => AppError::invalid("reason", e.to_string()),
        HoldError::NotFound => AppError::NotFound("active legal hold"),
        HoldError::Db(e) => e.into(),
    }
}
