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
