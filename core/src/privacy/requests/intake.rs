//! New data-subject requests.
//!
//! Channels: the dashboard (the signed-in subject; identity is proven by the session, and for
//! erasure by the password asked again), staff (a person wrote to privacy@: identity is
//! verified by a confirmation link emailed to the account's address) and the CLI (an
//! operator acting for a verified subject). A request duplicating an open one of the same
//! kind is recorded with `duplicate_of` and goes through its own channel's verification:
//! it never inherits the open request's verified state.

use heepr_compliance::audit::{AuditAction, AuditActor, AuditOutcome};
use heepr_compliance::dsr::{self, RequestKind, RequestStatus, VerifiedBy};
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use super::emails::{self, DsrEmail};
use super::{Dsr, audit, get};
use crate::identity::accounts::{AccountStatus, lookup, validate};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::tokens::{hash_secret, new_id, new_secret};

/// How long an emailed confirmation link works (ms): 14 days.
pub const VERIFY_LINK_MS: i64 = 14 * 24 * 3_600_000;

heepr_compliance::stored_state! {
    /// Where a request came from (`dsr_requests.channel`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Channel: "request channel" {
        /// The signed-in subject, on the dashboard.
        Dashboard = "dashboard",
        /// Staff, for a person who wrote in.
        Staff = "staff",
        /// An operator on the command line.
        Cli = "cli",
    }
}

/// A request to record.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    /// The data subject.
    pub account_id: &'a str,
    /// What is asked.
    pub kind: RequestKind,
    /// Where it came from.
    pub channel: Channel,
    /// The subject's words, if any.
    pub details: Option<&'a str>,
    /// Who records it (audit actor).
    pub actor: &'a AuditActor,
    /// How identity is already established (signed in on the dashboard, a request heepr
    /// opens itself for a child's account, the CLI): the request starts `in_progress`.
    /// `None`: `awaiting_verification` with a confirmation link emailed to the account's
    /// address (or staff verify it, saying how: `transitions::transition`).
    pub verified: Option<VerifiedBy>,
    /// Start the job at once (access requests always do once verified; erasure only when
    /// asked: dashboard deletion, child flag, CLI).
    pub run_job_now: bool,
}

/// How many requests a subject may make on the dashboard per day: a person asking again
/// and again is answered by the open request, and beyond this the request is "manifestly
/// excessive" (GDPR Art. 12(5)); staff can still record one for them.
pub const DASHBOARD_DAILY_LIMIT: i64 = 10;
const DAY_MS: i64 = 24 * 3_600_000;

/// What [`submit`] did.
#[derive(Debug, Clone)]
pub enum Submitted {
    /// A new request was recorded.
    Created(Dsr),
    /// The subject already had an open request of this kind: that one answers this.
    AlreadyOpen(Dsr),
}

/// A request from the signed-in subject on the dashboard: their open, verified request of
/// the same kind if there is one (asking twice starts no second job and sends no second
/// email), else a new one via [`create`].
///
/// Errors: 429 after [`DASHBOARD_DAILY_LIMIT`] requests within 24 hours; as [`create`].
pub async fn submit(state: &AppState, new: &NewRequest<'_>) -> Result<Submitted, AppError> {
    let now = state.clock.now_ms();
    // The checks and the insert share one write transaction holding the subject's account
    // row, so two clicks at once (two servers, or PostgreSQL's concurrent transactions)
    // cannot both find nothing open and both insert.
    let mut tx = state.db.begin_write().await?;
    sqlx::query("UPDATE accounts SET status = status WHERE id = $1")
        .bind(new.account_id)
        .execute(&mut *tx)
        .await?;
    let open: Option<String> = sqlx::query_scalar(
        "SELECT id FROM dsr_requests WHERE account_id = $1 AND kind = $2 \
         AND status IN ($3, $4) ORDER BY received_at, id LIMIT 1",
    )
    .bind(new.account_id)
    .bind(new.kind.as_str())
    // Only a request already verified answers this one: an emailed request still awaiting
    // its confirmation link must not hold up what the signed-in subject asks now.
    .bind(RequestStatus::InProgress.as_str())
    .bind(RequestStatus::OnHold.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = open {
        tx.rollback().await?;
        return Ok(Submitted::AlreadyOpen(
            get(state.db.pool(), &id, now).await?,
        ));
    }
    let recent: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM dsr_requests WHERE account_id = $1 AND channel = $2 AND received_at > $3",
    )
    .bind(new.account_id)
    .bind(new.channel.as_str())
    .bind(now.saturating_sub(DAY_MS))
    .fetch_one(&mut *tx)
    .await?;
    if recent >= DASHBOARD_DAILY_LIMIT {
        tx.rollback().await?;
        return Err(AppError::TooManyRequests {
            retry_after_secs: 3_600,
        });
    }
    let recorded = record(&mut tx, state, new, now).await?;
    tx.commit().await?;
    recorded.wake(state);
    get(state.db.pool(), &recorded.id, now)
        .await
        .map(Submitted::Created)
}

/// Records `new`, received now, and emails the subject (receipt, with the confirmation
/// link when needed).
///
/// Errors: 404 when the account does not exist or is closed; the database's.
pub async fn create(state: &AppState, new: &NewRequest<'_>) -> Result<Dsr, AppError> {
    create_received(state, new, state.clock.now_ms()).await
}

/// How far back staff may date a request they enter by hand (ms): 30 days, the response
/// period itself. A letter or call older than that was missed, and recording it as on
/// time would be false; staff record it as received now and say so in the details.
pub const MAX_BACKDATE_MS: i64 = 30 * DAY_MS;

/// The time a request entered by staff was received (Unix ms), from RFC 3339 `text`.
///
/// Errors: 422 `received_at` when `text` is not RFC 3339, is after `now_ms`, or is more
/// than [`MAX_BACKDATE_MS`] before it.
pub fn received_at(text: &str, now_ms: i64) -> Result<i64, AppError> {
    let at = crate::platform::time::parse_rfc3339(text).ok_or_else(|| {
        AppError::invalid(
            "received_at",
            "give the time as RFC 3339, e.g. 2026-06-01T09:30:00Z",
        )
    })?;
    if at > now_ms {
        return Err(AppError::invalid(
            "received_at",
            "a request cannot be received in the future",
        ));
    }
    if at < now_ms.saturating_sub(MAX_BACKDATE_MS) {
        return Err(AppError::invalid(
            "received_at",
            "at most 30 days ago: record an older letter or call as received now and give its date in the details",
        ));
    }
    Ok(at)
}

/// Records `new` as received at `received_at` (Unix ms; the 30-day clock starts then) and
/// emails the subject (receipt, with the confirmation link when needed).
///
/// Errors: 404 when the account does not exist or is closed; the database's.
pub async fn create_received(
    state: &AppState,
    new: &NewRequest<'_>,
    received_at: i64,
) -> Result<Dsr, AppError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let recorded = record(&mut tx, state, new, received_at).await?;
    tx.commit().await?;
    recorded.wake(state);
    get(state.db.pool(), &recorded.id, now).await
}

/// A request written by [`record`], not yet committed.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The new request's id.
    pub id: String,
    /// Whether its job should start at once.
    pub run_job: bool,
}

impl Recorded {
    /// Wakes the mail sender and, when the job should run, the privacy worker (call after
    /// the commit).
    pub fn wake(&self, state: &AppState) {
        state.mail_wakeup.notify_one();
        if self.run_job {
            state.privacy_wakeup.notify_one();
        }
    }
}

/// Records `new` inside `tx` as received at `received_at` (Unix ms; the 30-day clock
/// starts then: policy "we'll respond within 30 days"), with its audit entry and receipt
/// email. The caller commits, then calls [`Recorded::wake`].
///
/// Errors: 404 when the account does not exist or is closed; the database's.
pub async fn record(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    new: &NewRequest<'_>,
    received_at: i64,
) -> Result<Recorded, AppError> {
    let now = state.clock.now_ms();
    let id = new_id();
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM accounts WHERE id = $1")
        .bind(new.account_id)
        .fetch_optional(&mut **tx)
        .await?;
    let status = status.map(|s| s.parse::<AccountStatus>()).transpose()?;
    if status != Some(AccountStatus::Active) {
        return Err(AppError::NotFound("account"));
    }
    let duplicate_of: Option<String> = sqlx::query_scalar(
        "SELECT id FROM dsr_requests WHERE account_id = $1 AND kind = $2 \
         AND status IN ($3, $4, $5, $6) \
         ORDER BY received_at, id LIMIT 1",
    )
    .bind(new.account_id)
    .bind(new.kind.as_str())
    .bind(RequestStatus::Received.as_str())
    .bind(RequestStatus::AwaitingVerification.as_str())
    .bind(RequestStatus::InProgress.as_str())
    .bind(RequestStatus::OnHold.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let token = new.verified.is_none().then(new_secret);
    let status = if new.verified.is_some() {
        RequestStatus::InProgress
    } else {
        RequestStatus::AwaitingVerification
    };
    let due = dsr::due_at(received_at, 0);
    let run_job = new.verified.is_some() && (new.kind == RequestKind::Access || new.run_job_now);
    sqlx::query(
        "INSERT INTO dsr_requests (id, account_id, kind, status, channel, details, received_at, due_at, \
         extended_months, verified_at, verification_token_hash, duplicate_of, created_by, job_requested_at, updated_at, \
         verification_sent_at, verified_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(&id)
    .bind(new.account_id)
    .bind(new.kind.as_str())
    .bind(status.as_str())
    .bind(new.channel.as_str())
    .bind(new.details.map(str::trim).filter(|d| !d.is_empty()))
    .bind(received_at)
    .bind(due)
    .bind(new.verified.map(|_| now))
    .bind(token.as_deref().map(hash_secret))
    .bind(duplicate_of.as_deref())
    .bind(new.actor.as_str())
    .bind(run_job.then_some(now))
    .bind(now)
    // The link works for 14 days from when it is emailed, now.
    .bind(token.is_some().then_some(now))
    .bind(new.verified.map(VerifiedBy::as_str))
    .execute(&mut **tx)
    .await?;
    audit(
        tx,
        new.actor,
        AuditAction::DsrReceive,
        Some(new.account_id),
        Some(&id),
        AuditOutcome::Ok,
        json!({"kind": new.kind, "channel": new.channel.as_str(), "status": status, "duplicate_of": duplicate_of}),
        now,
    )
    .await?;
    let link = token
        .as_deref()
        .map(|t| format!("{}/privacy/verify/{t}", state.settings.public_url));
    emails::queue(
        tx,
        &state.settings.public_url,
        new.account_id,
        &id,
        new.kind,
        DsrEmail::Received {
            due_at_ms: due,
            verify_link: link.as_deref(),
        },
        now,
    )
    .await?;
    Ok(Recorded { id, run_job })
}

/// The active account with `email` (any case), if any.
///
/// Errors: 422 for a malformed email; the database's.
pub async fn account_by_email(state: &AppState, email: &str) -> Result<Option<String>, AppError> {
    let email = validate::email_address(email)?;
    let row = lookup::active_by_email_key(state.db.pool(), &email.key).await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

/// Confirms the request whose emailed link carried `token`: the subject proved they read
/// the account's mailbox, so the request moves to `in_progress`.
///
/// Errors: 404 when no request awaits this token (unknown, used or made up); 410 when the
/// link was emailed more than [`VERIFY_LINK_MS`] ago (staff can record the request again).
pub async fn verify(state: &AppState, token: &str) -> Result<Dsr, AppError> {
    // Any status: a link that expired unused is answered as expired whether or not the
    // worker has closed its request yet (`unconfirmed::close_expired`).
    let row = sqlx::query(
        "SELECT id, account_id, status, COALESCE(verification_sent_at, received_at) AS sent_at \
         FROM dsr_requests WHERE verification_token_hash = $1",
    )
    .bind(hash_secret(token))
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(AppError::NotFound("request awaiting confirmation"))?;
    let id: String = row.try_get("id")?;
    let account_id: String = row.try_get("account_id")?;
    let status: String = row.try_get("status")?;
    let sent_at: i64 = row.try_get("sent_at")?;
    if state.clock.now_ms() > sent_at.saturating_add(VERIFY_LINK_MS) {
        return Err(AppError::Gone(
            "this confirmation link has expired: write to privacy@heepr.ai again".into(),
        ));
    }
    if super::parse_stored::<RequestStatus>(&status)? != RequestStatus::AwaitingVerification {
        return Err(AppError::NotFound("request awaiting confirmation"));
    }
    super::transitions::transition(
        state,
        &id,
        RequestStatus::InProgress,
        None,
        &AuditActor::subject(&account_id),
    )
    .await
}
