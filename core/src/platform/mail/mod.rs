//! Transactional email (policy: "Send transactional emails about your orders"; "Email logs
//! are retained for up to 12 months").
//!
//! Emails are written to the `email_outbox` table inside the transaction that causes them,
//! so an email exists exactly when its cause committed ([`enqueue`]). The delivery worker
//! (`runtime::email_delivery`) sends them through a [`transport`] (SMTP or, by default,
//! `.eml` files under the data dir), then records the outcome in the `email_log` and drops
//! the outbox row.
//!
//! May use the rest of `platform` (error, ids, settings), nothing above it.

pub mod templates;
pub mod transport;

use sqlx::{Any, Transaction};

use crate::platform::error::AppError;
use crate::platform::tokens::new_id;

/// A rendered email ready to queue.
#[derive(Debug, Clone)]
pub struct Email {
    /// The template's name, recorded in the email log (`welcome`, ...).
    pub template: &'static str,
    /// Recipient address.
    pub to: String,
    /// Account the email concerns, if any (for export and erasure).
    pub account_id: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// When each email of `template` to `account_id` queued at or after `since` (Unix ms) was
/// queued, whether it still waits in the outbox or was delivered (logged): what a limit on
/// how often an account may make us mail someone counts.
///
/// Errors: the database's.
pub async fn queued_times<'e, E>(
    executor: E,
    account_id: &str,
    template: &str,
    since: i64,
) -> Result<Vec<i64>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query_scalar(
        "SELECT created_at FROM email_outbox WHERE account_id = $1 AND template = $2 AND created_at >= $3 \
         UNION ALL SELECT queued_at FROM email_log WHERE account_id = $1 AND template = $2 AND queued_at >= $3",
    )
    .bind(account_id)
    .bind(template)
    .bind(since)
    .fetch_all(executor)
    .await
}

/// Queues `email` inside `tx`; it is delivered after the transaction commits.
pub async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    email: &Email,
    now: i64,
) -> Result<String, AppError> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO email_outbox (id, account_id, recipient, template, subject, body_text, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
    )
    .bind(&id)
    .bind(email.account_id.clone())
    .bind(&email.to)
    .bind(email.template)
    .bind(&email.subject)
    .bind(&email.body)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}
