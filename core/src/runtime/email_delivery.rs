//! The email delivery worker of `heepr serve`: claims due outbox rows (queued by
//! `platform::mail::enqueue`), sends them, records the outcome in the email log.
//! Guarantees:
//! - safe with several workers (two servers, a server and a CLI): a row is claimed by a
//!   conditional update with a lease, so only one worker sends it at a time; a worker that
//!   dies mid-send leaves a lease that expires and the email is retried (at-least-once);
//! - an email to an account being erased is never sent, and never logged after the erasure;
//! - a transport failure defers that one email (doubling delays), given up after
//!   [`MAX_ATTEMPTS`]; a failed pass is logged and retried;
//! - it wakes when a transaction queued mail (`AppState::mail_wakeup`), else every 5 s.

use std::time::Duration;

use sqlx::Row;

use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Attempts before an email is given up and logged as failed.
pub const MAX_ATTEMPTS: i64 = 5;
/// How long a claimed row stays with its worker (ms).
const LEASE_MS: i64 = 5 * 60_000;
/// Rows claimed per pass.
const BATCH: i64 = 50;
/// First retry delay (ms); doubles per attempt.
const RETRY_BASE_MS: i64 = 30_000;
/// How often the worker looks for due mail when nobody wakes it.
const POLL: Duration = Duration::from_secs(5);

/// The worker loop: delivers passes until nothing is due, then waits to be woken; runs until
/// its task is stopped.
pub async fn run(state: AppState) {
    loop {
        loop {
            match deliver_due(&state).await {
                Ok(report) if report.sent + report.failed + report.deferred > 0 => continue,
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!("email delivery pass failed: {}", err.public_message());
                    break;
                }
            }
        }
        let _ = tokio::time::timeout(POLL, state.mail_wakeup.notified()).await;
    }
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Emails handed to the transport.
    pub sent: u64,
    /// Emails given up after [`MAX_ATTEMPTS`].
    pub failed: u64,
    /// Emails that failed this time and will be retried.
    pub deferred: u64,
}

/// Delivers every due email (one pass, up to a batch).
///
/// Errors: database failures. A transport failure is not an error of the pass: it defers or
/// fails that one email.
pub async fn deliver_due(state: &AppState) -> Result<DeliveryReport, AppError> {
    let now = state.clock.now_ms();
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM email_outbox WHERE next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until < $1) \
         ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(state.db.pool())
    .await?;
    let mut report = DeliveryReport::default();
    for id in ids {
        deliver_one(state, &id, &mut report).await?;
    }
    Ok(report)
}

async fn deliver_one(
    state: &AppState,
    id: &str,
    report: &mut DeliveryReport,
) -> Result<(), AppError> {
    let now = state.clock.now_ms();
    let claimed = sqlx::query(
        "UPDATE email_outbox SET locked_until = $1 WHERE id = $2 AND (locked_until IS NULL OR locked_until < $3) \
         AND (account_id IS NULL OR account_id IN (SELECT id FROM accounts WHERE status = $4))",
    )
    .bind(now + LEASE_MS)
    .bind(id)
    .bind(now)
    .bind(crate::identity::account_status::AccountStatus::Active.as_str())
    .execute(state.db.pool())
    .await?;
    if claimed.rows_affected() != 1 {
        // Another worker has it, or its account was closed (being erased): never sent.
        return Ok(());
    }
    let row = sqlx::query(
        "SELECT account_id, recipient, template, subject, body_text, attempts, created_at FROM email_outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_one(state.db.pool())
    .await?;
    let recipient: String = row.try_get("recipient")?;
    let subject: String = row.try_get("subject")?;
    let body: String = row.try_get("body_text")?;
    let attempts: i64 = row.try_get::<i64, _>("attempts")? + 1;
    let outcome = state
        .mail
        .send(&state.settings.mail_from, &recipient, &subject, &body)
        .await;
    match outcome {
        Ok(()) => {
            finish(state, id, &row, EmailStatus::Sent, None).await?;
            report.sent += 1;
        }
        Err(err) if attempts >= MAX_ATTEMPTS => {
            tracing::warn!(email_id = id, attempts, "email given up: {err:#}");
            finish(
                state,
                id,
                &row,
                EmailStatus::Failed,
                Some(format!("{err:#}")),
            )
            .await?;
            report.failed += 1;
        }
        Err(err) => {
            tracing::info!(email_id = id, attempts, "email deferred: {err:#}");
            let delay = RETRY_BASE_MS.saturating_mul(1 << attempts.min(10));
            sqlx::query(
                "UPDATE email_outbox SET attempts = $1, next_attempt_at = $2, locked_until = NULL, last_error = $3 WHERE id = $4",
            )
            .bind(attempts)
            .bind(state.clock.now_ms() + delay)
            .bind(format!("{err:#}"))
            .bind(id)
            .execute(state.db.pool())
            .await?;
            report.deferred += 1;
        }
    }
    Ok(())
}

heepr_compliance::stored_state! {
    /// How a delivery ended (`email_log.status`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum EmailStatus: "email status" {
        /// Handed to the transport.
        Sent = "sent",
        /// Given up after the last attempt.
        Failed = "failed",
    }
}

async fn finish(
    state: &AppState,
    id: &str,
    row: &sqlx::any::AnyRow,
    status: EmailStatus,
    error: Option<String>,
) -> Result<(), AppError> {
    let mut tx = state.db.begin_write().await?;
    // Delete first: if the row is gone, the recipient's account was erased meanwhile, and
    // logging the email would write the erased address back.
    let removed = sqlx::query("DELETE FROM email_outbox WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if removed.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO email_log (id, account_id, recipient, template, subject, status, transport, error, queued_at, finished_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(row.try_get::<Option<String>, _>("account_id")?)
    .bind(row.try_get::<String, _>("recipient")?)
    .bind(row.try_get::<String, _>("template")?)
    .bind(row.try_get::<String, _>("subject")?)
    .bind(status.as_str())
    .bind(state.mail.name())
    .bind(error)
    .bind(row.try_get::<i64, _>("created_at")?)
    .bind(state.clock.now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
