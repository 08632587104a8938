//! Data-subject requests (DSRs) as people and staff see them: stored, listed, moved through
//! their state machine, with their emails and audit entries. The rules (state machine, due
//! dates, holds, audit chain) live in `heepr-compliance`.
//!
//! - [`intake`]: new requests from the dashboard, staff (verified by an emailed link) and
//!   the CLI; duplicates of an open request are linked to it.
//! - [`transitions`]: moving a request through the state machine, extending its deadline.
//! - [`emails`]: receipt, verification, extension and completion emails (via the outbox).
//! - [`notes`]: staff notes on a request.
//! - [`unconfirmed`]: answering a request whose confirmation link expired unused.
//! - [`retry_failed`]: running a failed export or erasure again, a bounded number of times.
//! - [`summary`]: a subject's row counts per data-map category.
//!
//! May use `platform` and `identity` (an email's account, masking for support); exports
//! and erasures build on it.

pub mod emails;
pub mod intake;
pub mod notes;
pub mod retry_failed;
pub mod summary;
pub mod transitions;
pub mod unconfirmed;

use heepr_compliance::audit::{self, AuditAction, AuditActor, AuditEntry, AuditOutcome};
use heepr_compliance::dsr::{RequestKind, RequestStatus, VerifiedBy};
use serde::Serialize;
use serde_json::Value;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::platform::error::AppError;
use crate::platform::time::rfc3339;

/// The audit actor of the background jobs that run exports and erasures.
pub const SYSTEM: AuditActor = AuditActor::SYSTEM;

/// A stored data-subject request.
#[derive(Debug, Clone, Serialize)]
pub struct Dsr {
    /// Request id.
    pub id: String,
    /// The data subject (account id).
    pub account_id: String,
    /// What is asked.
    pub kind: RequestKind,
    /// Where it stands.
    pub status: RequestStatus,
    /// `dashboard`, `staff` or `cli`.
    pub channel: String,
    /// What the subject asked, in their words (optional).
    pub details: Option<String>,
    /// Why it is on hold, rejected or failed.
    pub status_reason: Option<String>,
    /// Received (RFC 3339).
    pub received_at: String,
    /// Due (RFC 3339): 30 days after receipt, plus 30 days per extension month.
    pub due_at: String,
    /// Due (Unix ms), for sorting and filtering.
    pub due_at_ms: i64,
    /// Months added to the deadline (0–2).
    pub extended_months: i64,
    /// Why the deadline was extended.
    pub extension_reason: Option<String>,
    /// When the subject's identity was verified (RFC 3339).
    pub verified_at: Option<String>,
    /// How it was verified (`None` before verification, or for a request verified before
    /// the way was recorded).
    pub verified_by: Option<VerifiedBy>,
    /// How staff checked the subject's identity, when they verified it.
    pub verification_note: Option<String>,
    /// The open request this one duplicates.
    pub duplicate_of: Option<String>,
    /// Who recorded it (`subject:<id>`, `staff:<id>`, `cli`).
    pub created_by: String,
    /// When it was completed (RFC 3339).
    pub completed_at: Option<String>,
    /// Whether its export or erasure job is pending (asked to run, not finished).
    pub job_requested: bool,
    /// Open and past its due date.
    pub overdue: bool,
    /// The states it may move to next.
    pub allowed_transitions: Vec<RequestStatus>,
}

/// Columns read into a [`Dsr`].
pub const DSR_COLUMNS: &str = "id, account_id, kind, status, channel, details, status_reason, received_at, due_at, \
     extended_months, extension_reason, verified_at, verified_by, verification_note, duplicate_of, created_by, completed_at, job_requested_at";

impl Dsr {
    /// Reads a row selected with [`DSR_COLUMNS`]; `now_ms` decides `overdue`.
    pub fn from_row(row: &sqlx::any::AnyRow, now_ms: i64) -> Result<Dsr, AppError> {
        let kind: String = row.try_get("kind")?;
        let status: String = row.try_get("status")?;
        let kind: RequestKind = parse_stored(&kind)?;
        let status: RequestStatus = parse_stored(&status)?;
        let due_at_ms: i64 = row.try_get("due_at")?;
        let opt_time = |col: &str| -> Result<Option<String>, sqlx::Error> {
            Ok(row.try_get::<Option<i64>, _>(col)?.map(rfc3339))
        };
        Ok(Dsr {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            kind,
            status,
            channel: row.try_get("channel")?,
            details: row.try_get("details")?,
            status_reason: row.try_get("status_reason")?,
            received_at: rfc3339(row.try_get("received_at")?),
            due_at: rfc3339(due_at_ms),
            due_at_ms,
            extended_months: row.try_get("extended_months")?,
            extension_reason: row.try_get("extension_reason")?,
            verified_at: opt_time("verified_at")?,
            verified_by: row
                .try_get::<Option<String>, _>("verified_by")?
                .as_deref()
                .map(parse_stored)
                .transpose()?,
            verification_note: row.try_get("verification_note")?,
            duplicate_of: row.try_get("duplicate_of")?,
            created_by: row.try_get("created_by")?,
            completed_at: opt_time("completed_at")?,
            job_requested: row.try_get::<Option<i64>, _>("job_requested_at")?.is_some(),
            overdue: status.is_open() && due_at_ms < now_ms,
            allowed_transitions: status.allowed().to_vec(),
        })
    }
}

/// A kind or status read back from the database (a bad value there is a 500).
pub fn parse_stored<T: std::str::FromStr>(value: &str) -> Result<T, AppError>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e: T::Err| AppError::Internal(anyhow::anyhow!("stored value {value:?}: {e}")))
}

/// The request `id`.
///
/// Errors: [`AppError::NotFound`] when there is none.
pub async fn get(pool: &AnyPool, id: &str, now_ms: i64) -> Result<Dsr, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DSR_COLUMNS} FROM dsr_requests WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound("request"))?;
    Dsr::from_row(&row, now_ms)
}

/// Which requests [`list`] returns.
#[derive(Debug, Clone, Default)]
pub struct DsrFilter {
    /// Only this status.
    pub status: Option<RequestStatus>,
    /// Only this kind.
    pub kind: Option<RequestKind>,
    /// Only open requests past their due date.
    pub overdue: bool,
    /// Only open requests due within this many days from now.
    pub due_within_days: Option<i64>,
    /// Only this subject's.
    pub account_id: Option<String>,
}

/// Requests matching `filter`, soonest due first (at most 1,000).
///
/// Errors: the database's.
pub async fn list(pool: &AnyPool, filter: &DsrFilter, now_ms: i64) -> Result<Vec<Dsr>, AppError> {
    let due_before = match (filter.overdue, filter.due_within_days) {
        (true, _) => Some(now_ms),
        (false, Some(days)) => Some(now_ms.saturating_add(days.saturating_mul(86_400_000))),
        (false, None) => None,
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DSR_COLUMNS} FROM dsr_requests \
         WHERE (CAST($1 AS TEXT) IS NULL OR status = $1) AND (CAST($2 AS TEXT) IS NULL OR kind = $2) \
         AND (CAST($3 AS TEXT) IS NULL OR account_id = $3) \
         AND ($4 = 0 OR (status NOT IN ($6, $7) AND due_at < $5)) \
         ORDER BY due_at, id LIMIT 1000"
    )))
    .bind(filter.status.map(|s| s.as_str()))
    .bind(filter.kind.map(|k| k.as_str()))
    .bind(filter.account_id.as_deref())
    .bind(i64::from(due_before.is_some()))
    .bind(due_before.unwrap_or(0))
    .bind(RequestStatus::Completed.as_str())
    .bind(RequestStatus::Rejected.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| Dsr::from_row(r, now_ms)).collect()
}

/// Appends an audit entry inside `tx`.
///
/// Errors: the database's.
#[allow(clippy::too_many_arguments)]
pub async fn audit(
    tx: &mut Transaction<'static, Any>,
    actor: &AuditActor,
    action: AuditAction,
    subject: Option<&str>,
    request: Option<&str>,
    outcome: AuditOutcome,
    details: Value,
    now_ms: i64,
) -> Result<(), AppError> {
    let entry = AuditEntry {
        actor,
        action,
        subject_account_id: subject,
        request_id: request,
        outcome,
        details,
    };
    audit::append(tx, &entry, now_ms).await?;
    Ok(())
}

/// A reason staff give for an action the person is shown (a restriction, an objection,
/// their end), trimmed.
///
/// Errors: 422 `reason` when empty.
pub fn shown_reason(reason: &str) -> Result<&str, AppError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "say why (the person sees it on their privacy page)",
        ));
    }
    Ok(reason)
}
