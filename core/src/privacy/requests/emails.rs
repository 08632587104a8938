//! Emails about data-subject requests: at receipt (with the confirmation link when identity
//! must be verified), at extension (with the reason, GDPR Art. 12(3)) and at completion or
//! rejection. Queued through the outbox inside the causing transaction.
//!
//! An erasure's completion is not emailed: the email would put the erased address back into
//! the email log; the receipt email says so.

use askama::Template;
use heepr_compliance::dsr::RequestKind;
use sqlx::{Any, Row, Transaction};

use crate::platform::error::AppError;
use crate::platform::mail::{self, Email};
use crate::platform::time::human;

#[derive(Template)]
#[template(path = "email/dsr_received.txt")]
struct Received<'a> {
    display_name: &'a str,
    kind_words: &'a str,
    request_id: &'a str,
    due: String,
    verify_link: Option<String>,
    erasure: bool,
    public_url: &'a str,
}

#[derive(Template)]
#[template(path = "email/dsr_extended.txt")]
struct Extended<'a> {
    display_name: &'a str,
    kind_words: &'a str,
    request_id: &'a str,
    due: String,
    reason: &'a str,
}

#[derive(Template)]
#[template(path = "email/dsr_completed.txt")]
struct Completed<'a> {
    display_name: &'a str,
    kind_words: &'a str,
    request_id: &'a str,
    rejected_reason: Option<&'a str>,
    download: bool,
    public_url: &'a str,
}

/// What an email is about.
#[derive(Debug, Clone, Copy)]
pub enum DsrEmail<'a> {
    /// Receipt; with the confirmation link when identity must be verified.
    Received {
        /// Due date (Unix ms).
        due_at_ms: i64,
        /// The confirmation link, for staff-entered requests.
        verify_link: Option<&'a str>,
    },
    /// Deadline extended.
    Extended {
        /// New due date (Unix ms).
        due_at_ms: i64,
        /// Why, as told to the subject.
        reason: &'a str,
    },
    /// Completed (`None`) or rejected (`Some(reason)`).
    Closed {
        /// The rejection reason, if rejected.
        rejected_reason: Option<&'a str>,
    },
}

/// Queues the email about request `request_id` of `kind` to `account_id` inside `tx`.
///
/// Errors: the database's; a template failure (500).
pub async fn queue(
    tx: &mut Transaction<'static, Any>,
    public_url: &str,
    account_id: &str,
    request_id: &str,
    kind: RequestKind,
    what: DsrEmail<'_>,
    now_ms: i64,
) -> Result<(), AppError> {
    let row = sqlx::query("SELECT email, display_name FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_one(&mut **tx)
        .await?;
    let to: String = row.try_get("email")?;
    let display_name: String = row.try_get("display_name")?;
    let kind_words = kind.describe();
    let render_err = |e: askama::Error| AppError::Internal(e.into());
    let (template, subject, body) = match what {
        DsrEmail::Received {
            due_at_ms,
            verify_link,
        } => (
            "dsr_received",
            if verify_link.is_some() {
                "Please confirm your privacy request"
            } else {
                "We received your privacy request"
            },
            Received {
                display_name: &display_name,
                kind_words,
                request_id,
                due: human(due_at_ms),
                verify_link: verify_link.map(str::to_string),
                erasure: kind == RequestKind::Erasure,
                public_url,
            }
            .render()
            .map_err(render_err)?,
        ),
        DsrEmail::Extended { due_at_ms, reason } => (
            "dsr_extended",
            "We need more time for your privacy request",
            Extended {
                display_name: &display_name,
                kind_words,
                request_id,
                due: human(due_at_ms),
                reason,
            }
            .render()
            .map_err(render_err)?,
        ),
        DsrEmail::Closed { rejected_reason } => (
            "dsr_completed",
            if rejected_reason.is_some() {
                "Your privacy request was declined"
            } else {
                "Your privacy request is complete"
            },
            Completed {
                display_name: &display_name,
                kind_words,
                request_id,
                rejected_reason,
                download: kind == RequestKind::Access,
                public_url,
            }
            .render()
            .map_err(render_err)?,
        ),
    };
    let mail = Email {
        template,
        to,
        account_id: Some(account_id.to_string()),
        subject: subject.to_string(),
        body,
    };
    mail::enqueue(tx, &mail, now_ms).await?;
    Ok(())
}
