//! Legal holds: staff place a hold (reason required) on an account while a claim or lawful
//! request is pending; erasure refuses held accounts and says why, until the hold is lifted.

use serde::Serialize;
use serde_json::json;
use sqlx::{Any, AnyPool, FromRow, Transaction};

use crate::records::audit::{self, AuditAction, AuditActor, AuditEntry, AuditOutcome};

/// A legal hold on an account (a `legal_holds` row, read by column name).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Hold {
    /// Hold id.
    pub id: String,
    /// The held account.
    pub account_id: String,
    /// Why the data must be preserved.
    pub reason: String,
    /// Who placed it (`staff:<id>`, `cli`).
    pub placed_by: String,
    /// When (Unix ms).
    pub placed_at: i64,
    /// Who lifted it, once lifted.
    pub lifted_by: Option<String>,
    /// When it was lifted (Unix ms).
    pub lifted_at: Option<i64>,
    /// Why it was lifted.
    pub lift_reason: Option<String>,
}

/// Errors placing or lifting a hold.
#[derive(Debug, thiserror::Error)]
pub enum HoldError {
    /// The reason was empty.
    #[error("a legal hold needs a reason")]
    ReasonRequired,
    /// No such hold (or already lifted).
    #[error("no active legal hold with that id")]
    NotFound,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

const COLUMNS: &str =
    "id, account_id, reason, placed_by, placed_at, lifted_by, lifted_at, lift_reason";

/// Places a hold on `account_id` inside `tx` (audited); returns it.
///
/// Errors: [`HoldError::ReasonRequired`] for an empty reason; the database's.
pub async fn place(
    tx: &mut Transaction<'static, Any>,
    id: &str,
    account_id: &str,
    reason: &str,
    actor: &AuditActor,
    now_ms: i64,
) -> Result<Hold, HoldError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(HoldError::ReasonRequired);
    }
    sqlx::query(
        "INSERT INTO legal_holds (id, account_id, reason, placed_by, placed_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(account_id)
    .bind(reason)
    .bind(actor.as_str())
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    let entry = AuditEntry {
        actor,
        action: AuditAction::HoldPlace,
        subject_account_id: Some(account_id),
        request_id: None,
        outcome: AuditOutcome::Ok,
        details: json!({"hold_id": id}),
    };
    audit::append(tx, &entry, now_ms).await?;
    Ok(Hold {
        id: id.to_string(),
        account_id: account_id.to_string(),
        reason: reason.to_string(),
        placed_by: actor.to_string(),
        placed_at: now_ms,
        lifted_by: None,
        lifted_at: None,
        lift_reason: None,
    })
}

/// Lifts the active hold `hold_id` inside `tx` (audited); returns the account it held.
///
/// Errors: [`HoldError::ReasonRequired`], [`HoldError::NotFound`]; the database's.
pub async fn lift(
    tx: &mut Transaction<'static, Any>,
    hold_id: &str,
    reason: &str,
    actor: &AuditActor,
    now_ms: i64,
) -> Result<String, HoldError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(HoldError::ReasonRequired);
    }
    let account_id: Option<String> = sqlx::query_scalar(
        "UPDATE legal_holds SET lifted_by = $1, lifted_at = $2, lift_reason = $3 \
         WHERE id = $4 AND lifted_at IS NULL RETURNING account_id",
    )
    .bind(actor.as_str())
    .bind(now_ms)
    .bind(reason)
    .bind(hold_id)
    .fetch_optional(&mut **tx)
    .await?;
    let account_id = account_id.ok_or(HoldError::NotFound)?;
    let entry = AuditEntry {
        actor,
        action: AuditAction::HoldLift,
        subject_account_id: Some(&account_id),
        request_id: None,
        outcome: AuditOutcome::Ok,
        details: json!({"hold_id": hold_id}),
    };
    audit::append(tx, &entry, now_ms).await?;
    Ok(account_id)
}

/// Every hold on `account_id`, active ones first, newest first.
///
/// Errors: the database's.
pub async fn for_account(pool: &AnyPool, account_id: &str) -> Result<Vec<Hold>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM legal_holds WHERE account_id = $1 \
         ORDER BY CASE WHEN lifted_at IS NULL THEN 0 ELSE 1 END, placed_at DESC, id DESC"
    )))
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(Hold::from_row).collect()
}

/// The active holds on `account_id` (empty when erasure may proceed).
///
/// Errors: the database's.
pub async fn active<'e, E>(executor: E, account_id: &str) -> Result<Vec<Hold>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM legal_holds WHERE account_id = $1 AND lifted_at IS NULL ORDER BY placed_at, id"
    )))
    .bind(account_id)
    .fetch_all(executor)
    .await?;
    rows.iter().map(Hold::from_row).collect()
}
