//! Restriction of processing (GDPR Art. 18), placed and lifted by the privacy desk. While
//! a restriction is in force the account's data is stored but not otherwise processed
//! (what that means for each part: `identity::restrictions`); export and erasure still
//! work and retention still applies. The person sees it, with when and why, on their
//! privacy page.
//!
//! Each change is one short write transaction with its audit entry; a restriction placed
//! for a restriction request completes that request (the person is emailed).

use heepr_compliance::audit::{AuditAction, AuditActor, AuditOutcome};
use heepr_compliance::dsr::{RequestKind, RequestStatus};
use serde_json::json;
use sqlx::Row;

use crate::identity::accounts::lookup;
use crate::identity::restrictions::{self, Restriction};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;
use crate::privacy::requests::transitions::{check_completable, transition};
use crate::privacy::requests::{audit, shown_reason};

/// Restricts processing of `account_id` for `reason`, by `actor`; completes restriction
/// request `request_id` when one is named.
///
/// Errors: 404 for an unknown account or request; 422 `reason` when empty, `request_id`
/// for another subject's request or kind; 409 `transition_not_allowed` when the request
/// cannot be completed now, 409 `already_restricted` when a restriction is in force
/// (nothing is changed in any error case).
pub async fn place(
    state: &AppState,
    account_id: &str,
    reason: &str,
    request_id: Option<&str>,
    actor: &AuditActor,
) -> Result<Restriction, AppError> {
    let reason = shown_reason(reason)?;
    if !lookup::exists(state.db.pool(), account_id).await? {
        return Err(AppError::NotFound("account"));
    }
    if let Some(rid) = request_id {
        check_completable(state, rid, account_id, RequestKind::Restriction).await?;
    }
    let now = state.clock.now_ms();
    let restriction = Restriction {
        id: new_id(),
        account_id: account_id.to_owned(),
        reason: reason.to_owned(),
        request_id: request_id.map(str::to_owned),
        placed_by: actor.as_str().to_owned(),
        placed_at: now,
        lifted_by: None,
        lifted_at: None,
        lift_reason: None,
    };
    let mut tx = state.db.begin_write().await?;
    // Checked first: PostgreSQL aborts the transaction on a unique violation.
    if restrictions::is_restricted(&mut tx, account_id).await? {
        return Err(AppError::Conflict {
            code: "already_restricted",
            message: "processing of this account is already restricted: lift that restriction first to change it".into(),
        });
    }
    sqlx::query(
        "INSERT INTO restrictions (id, account_id, reason, request_id, placed_by, placed_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&restriction.id)
    .bind(account_id)
    .bind(reason)
    .bind(request_id)
    .bind(actor.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        actor,
        AuditAction::RestrictionPlace,
        Some(account_id),
        request_id,
        AuditOutcome::Ok,
        json!({"restriction_id": restriction.id}),
        now,
    )
    .await?;
    tx.commit().await?;
    if let Some(rid) = request_id {
        transition(state, rid, RequestStatus::Completed, None, actor).await?;
    }
    Ok(restriction)
}

/// Lifts restriction `id` for `reason`, by `actor`; returns it as lifted.
///
/// Errors: 404 for an unknown restriction; 422 `reason` when empty; 409 `already_lifted`.
pub async fn lift(
    state: &AppState,
    id: &str,
    reason: &str,
    actor: &AuditActor,
) -> Result<Restriction, AppError> {
    let reason = shown_reason(reason)?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query("SELECT account_id, lifted_at FROM restrictions WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound("restriction"))?;
    let account_id: String = row.try_get("account_id")?;
    if row.try_get::<Option<i64>, _>("lifted_at")?.is_some() {
        return Err(AppError::Conflict {
            code: "already_lifted",
            message: "this restriction was lifted already".into(),
        });
    }
    let done = sqlx::query(
        "UPDATE restrictions SET lifted_by = $1, lifted_at = $2, lift_reason = $3 \
         WHERE id = $4 AND lifted_at IS NULL",
    )
    .bind(actor.as_str())
    .bind(now)
    .bind(reason)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict {
            code: "already_lifted",
            message: "this restriction was lifted meanwhile".into(),
        });
    }
    audit(
        &mut tx,
        actor,
        AuditAction::RestrictionLift,
        Some(&account_id),
        None,
        AuditOutcome::Ok,
        json!({"restriction_id": id}),
        now,
    )
    .await?;
    tx.commit().await?;
    restrictions::for_account(state.db.pool(), &account_id)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(AppError::NotFound("restriction"))
}
