//! Emailed messages as staff review them: the rows intake recorded (with the original
//! message as evidence), and classifying one intake could not: staff name the right it asks
//! for, and the request is recorded as received when the message arrived, so the 30-day
//! clock is the message's, not the desk's.

use heepr_compliance::audit::{AuditAction, AuditActor, AuditOutcome};
use heepr_compliance::dsr::RequestKind;
use serde_json::json;
use sqlx::{FromRow, Row};

use super::IntakeOutcome;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::privacy::requests::intake::{Channel, NewRequest, record};
use crate::privacy::requests::{Dsr, audit, get};

/// One recorded message (a `mail_intake` row, read by column name).
#[derive(Debug, Clone, FromRow)]
pub struct IntakeRow {
    /// Row id.
    pub id: String,
    /// The sender's address (From:).
    pub from_address: String,
    /// Subject line.
    pub subject: Option<String>,
    /// The message as received (evidence).
    pub raw_message: String,
    /// When the mail server received it (Unix ms).
    pub arrived_at: i64,
    /// What intake did (an [`IntakeOutcome`] name).
    pub outcome: String,
    /// The kind read from the text or decided by staff.
    pub kind: Option<String>,
    /// The sender's account, if their address is one's.
    pub account_id: Option<String>,
    /// The request it started.
    pub request_id: Option<String>,
}

const COLUMNS: &str =
    "id, from_address, subject, raw_message, arrived_at, outcome, kind, account_id, request_id";

/// Recorded messages with `outcome` (all when `None`) and, when given, the message that
/// started request `request_id`; oldest arrival first (at most 200): the oldest is closest
/// to its due date.
///
/// Errors: the database's.
pub async fn list(
    state: &AppState,
    outcome: Option<IntakeOutcome>,
    request_id: Option<&str>,
) -> Result<Vec<IntakeRow>, AppError> {
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM mail_intake WHERE (CAST($1 AS TEXT) IS NULL OR outcome = $1) \
         AND (CAST($2 AS TEXT) IS NULL OR request_id = $2) \
         ORDER BY arrived_at, id LIMIT 200"
    )))
    .bind(outcome.map(IntakeOutcome::as_str))
    .bind(request_id)
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows)
}

/// Classifies message `id`, which intake left to staff, as `kind`: the request is recorded
/// for the sender's account as received at the message's arrival, and the account's address
/// gets the confirmation link, as for any emailed request.
///
/// Errors: 404 for an unknown message; 409 `already_classified` for a message that is not
/// waiting for classification (or was classified meanwhile); 404 when the sender's account
/// is gone or closed; the database's.
pub async fn classify(
    state: &AppState,
    id: &str,
    kind: RequestKind,
    actor: &AuditActor,
) -> Result<Dsr, AppError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query(
        "SELECT outcome, account_id, arrived_at, subject FROM mail_intake WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound("intake message"))?;
    let outcome: String = row.try_get("outcome")?;
    let account_id: Option<String> = row.try_get("account_id")?;
    let (Ok(IntakeOutcome::NeedsClassification), Some(account_id)) =
        (outcome.parse::<IntakeOutcome>(), account_id)
    else {
        return Err(AppError::Conflict {
            code: "already_classified",
            message: format!(
                "this message is not waiting for classification: intake outcome {outcome}"
            ),
        });
    };
    let arrived_at: i64 = row.try_get("arrived_at")?;
    let subject: Option<String> = row.try_get("subject")?;
    let details = format!(
        "By email: {} (classified by staff; the original message is kept with the request)",
        subject.as_deref().unwrap_or("").trim()
    );
    let new = NewRequest {
        account_id: &account_id,
        kind,
        channel: Channel::Staff,
        details: Some(&details),
        actor,
        verified: None,
        run_job_now: false,
    };
    let recorded = record(&mut tx, state, &new, arrived_at).await?;
    let done = sqlx::query(
        "UPDATE mail_intake SET outcome = $1, kind = $2, request_id = $3 WHERE id = $4 AND outcome = $5",
    )
    .bind(IntakeOutcome::RequestCreated.as_str())
    .bind(kind.as_str())
    .bind(&recorded.id)
    .bind(id)
    .bind(IntakeOutcome::NeedsClassification.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict {
            code: "already_classified",
            message: "this message was classified meanwhile: reload".into(),
        });
    }
    audit(
        &mut tx,
        actor,
        AuditAction::DsrClassify,
        Some(&account_id),
        Some(&recorded.id),
        AuditOutcome::Ok,
        json!({"intake_id": id, "kind": kind, "arrived_at_ms": arrived_at}),
        now,
    )
    .await?;
    tx.commit().await?;
    recorded.wake(state);
    get(state.db.pool(), &recorded.id, now).await
}
