//! Objections to processing (GDPR Art. 21), recorded by the privacy desk, that act: while
//! an objection is in force the processing it names leaves the person out, whatever their
//! consent says. The only such processing today is the product-improvement analytics
//! ([`crate::privacy::analytics`]; policy: "legitimate interests (... product improvement)").
//! The person sees each objection, with when and why, on their privacy page; it is part of
//! their export and deleted with their account (`policies/data_map.toml`, `objections`).
//!
//! Each change is one short write transaction with its audit entry; an objection recorded
//! for an objection request completes that request (the person is emailed).

use heepr_compliance::audit::{AuditAction, AuditActor, AuditOutcome};
use heepr_compliance::dsr::{RequestKind, RequestStatus};
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyPool, FromRow, Row};

use crate::identity::accounts::lookup;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;
use crate::privacy::requests::transitions::{check_completable, transition};
use crate::privacy::requests::{audit, shown_reason};

heepr_compliance::stored_state! {
    /// Processing a person can object to (`objections.processing`): processing heepr does
    /// under legitimate interests that it can stop for one person.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Processing: "processing" {
        /// The daily aggregate analytics: the person's orders are no longer counted.
        ProductAnalytics = "product_analytics",
    }
}

impl Processing {
    /// What the processing is, in words for the person's privacy page.
    pub fn describe(self) -> &'static str {
        match self {
            Processing::ProductAnalytics => "product-improvement analytics",
        }
    }
}

/// An objection (an `objections` row, read by column name).
#[derive(Debug, Clone, Serialize, FromRow)]
pub struct Objection {
    /// Objection id.
    pub id: String,
    /// The objecting account.
    pub account_id: String,
    /// The processing objected to.
    pub processing: Processing,
    /// What the person said (shown to them).
    pub reason: String,
    /// The objection request it answers, if any.
    pub request_id: Option<String>,
    /// Who recorded it (`staff:<id>`).
    pub placed_by: String,
    /// When (Unix ms).
    pub placed_at: i64,
    /// Who recorded its end.
    pub withdrawn_by: Option<String>,
    /// When it ended (Unix ms); `None` while in force.
    pub withdrawn_at: Option<i64>,
    /// Why it ended (the person withdrew it, or staff showed compelling grounds).
    pub withdraw_reason: Option<String>,
}

const COLUMNS: &str = "id, account_id, processing, reason, request_id, placed_by, placed_at, \
                       withdrawn_by, withdrawn_at, withdraw_reason";

/// SQL condition: no objection to processing `$n` in force on the account whose id is in
/// column `column` (a trusted column name, never input); the caller binds the
/// [`Processing`]'s stored text as parameter `param` (e.g. `"$4"`).
pub fn not_objecting(column: &str, param: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM objections ob WHERE ob.account_id = {column} \
         AND ob.processing = {param} AND ob.withdrawn_at IS NULL)"
    )
}

/// Every objection of `account_id`, those in force first, then newest first.
///
/// Errors: the database's.
pub async fn for_account(pool: &AnyPool, account_id: &str) -> Result<Vec<Objection>, AppError> {
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM objections WHERE account_id = $1 \
         ORDER BY CASE WHEN withdrawn_at IS NULL THEN 0 ELSE 1 END, placed_at DESC, id DESC"
    )))
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// Records that `account_id` objects to `processing` for `reason`, by `actor`; completes
/// objection request `request_id` when one is named. From this moment the processing
/// leaves the person out.
///
/// Errors: 404 for an unknown account or request; 422 `reason` when empty, `request_id`
/// for another subject's request or kind; 409 `transition_not_allowed` when the request
/// cannot be completed now, 409 `already_objecting` when an objection to that processing
/// is in force (nothing is changed in any error case).
pub async fn place(
    state: &AppState,
    account_id: &str,
    processing: Processing,
    reason: &str,
    request_id: Option<&str>,
    actor: &AuditActor,
) -> Result<Objection, AppError> {
    let reason = shown_reason(reason)?;
    if !lookup::exists(state.db.pool(), account_id).await? {
        return Err(AppError::NotFound("account"));
    }
    if let Some(rid) = request_id {
        check_completable(state, rid, account_id, RequestKind::Objection).await?;
    }
    let now = state.clock.now_ms();
    let id = new_id();
    let mut tx = state.db.begin_write().await?;
    // Checked first: PostgreSQL aborts the transaction on a unique violation.
    let in_force: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM objections WHERE account_id = $1 AND processing = $2 \
         AND withdrawn_at IS NULL",
    )
    .bind(account_id)
    .bind(processing.as_str())
    .fetch_one(&mut *tx)
    .await?;
    if in_force > 0 {
        return Err(AppError::Conflict {
            code: "already_objecting",
            message: format!("this account already objects to {}", processing.describe()),
        });
    }
    sqlx::query(
        "INSERT INTO objections (id, account_id, processing, reason, request_id, placed_by, placed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(processing.as_str())
    .bind(reason)
    .bind(request_id)
    .bind(actor.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        actor,
        AuditAction::ObjectionPlace,
        Some(account_id),
        request_id,
        AuditOutcome::Ok,
        json!({"objection_id": id, "processing": processing.as_str()}),
        now,
    )
    .await?;
    tx.commit().await?;
    if let Some(rid) = request_id {
        transition(state, rid, RequestStatus::Completed, None, actor).await?;
    }
    find(state.db.pool(), account_id, &id).await
}

/// Ends objection `id` for `reason` (the person withdrew it, or the desk records compelling
/// legitimate grounds, Art. 21(1)), by `actor`; returns it as ended.
///
/// Errors: 404 for an unknown objection; 422 `reason` when empty; 409 `already_withdrawn`.
pub async fn withdraw(
    state: &AppState,
    id: &str,
    reason: &str,
    actor: &AuditActor,
) -> Result<Objection, AppError> {
    let reason = shown_reason(reason)?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query("SELECT account_id FROM objections WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound("objection"))?;
    let account_id: String = row.try_get("account_id")?;
    let done = sqlx::query(
        "UPDATE objections SET withdrawn_by = $1, withdrawn_at = $2, withdraw_reason = $3 \
         WHERE id = $4 AND withdrawn_at IS NULL",
    )
    .bind(actor.as_str())
    .bind(now)
    .bind(reason)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict {
            code: "already_withdrawn",
            message: "this objection has ended already".into(),
        });
    }
    audit(
        &mut tx,
        actor,
        AuditAction::ObjectionWithdraw,
        Some(&account_id),
        None,
        AuditOutcome::Ok,
        json!({"objection_id": id}),
        now,
    )
    .await?;
    tx.commit().await?;
    find(state.db.pool(), &account_id, id).await
}

async fn find(pool: &AnyPool, account_id: &str, id: &str) -> Result<Objection, AppError> {
    for_account(pool, account_id)
        .await?
        .into_iter()
        .find(|o| o.id == id)
        .ok_or(AppError::NotFound("objection"))
}
