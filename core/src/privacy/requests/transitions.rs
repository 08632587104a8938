//! Moving a request through the DSR state machine (`heepr_compliance::dsr`), and extending
//! its deadline. Every change is one transaction with its audit entry and its email.

use heepr_compliance::audit::{AuditAction, AuditActor, AuditOutcome};
use heepr_compliance::dsr::{self, RequestKind, RequestStatus, TransitionError, VerifiedBy};
use serde_json::json;
use sqlx::Row;

use super::emails::{self, DsrEmail};
use super::{Dsr, audit, get, parse_stored};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Moves request `id` to `to` (with `reason` for on hold, rejected, failed), as `actor`.
///
/// Entering `in_progress` marks the subject verified (by the emailed link when `actor` is the
/// subject; staff must give `reason`: how they checked the subject's identity, kept as the
/// verification note) and, for an access request (or an erasure coming back from `failed`),
/// asks the worker to run its job. Completion (except of an erasure) and rejection are emailed.
///
/// Errors: 404 for an unknown id; 409 `transition_not_allowed` with
/// `details.allowed` (the states allowed from the current one), 422 `reason` when a reason
/// (or, for a request its subject has not confirmed, the verification note) is missing;
/// 409 `request_changed` when another change won the race.
pub async fn transition(
    state: &AppState,
    id: &str,
    to: RequestStatus,
    reason: Option<&str>,
    actor: &AuditActor,
) -> Result<Dsr, AppError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let row =
        sqlx::query("SELECT status, kind, account_id, verified_at FROM dsr_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound("request"))?;
    let from: String = row.try_get("status")?;
    let kind: String = row.try_get("kind")?;
    let account_id: String = row.try_get("account_id")?;
    let from: RequestStatus = parse_stored(&from)?;
    let kind: RequestKind = parse_stored(&kind)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let unverified = row.try_get::<Option<i64>, _>("verified_at")?.is_none();
    let verifies = (to == RequestStatus::InProgress && unverified)
        .then(|| verification(actor, &account_id, reason));
    if let Some(Err(err)) = verifies {
        refuse(
            &mut tx,
            actor,
            &account_id,
            id,
            json!({"from": from, "to": to, "error": err.to_string()}),
            now,
        )
        .await?;
        tx.commit().await?;
        return Err(err);
    }
    let verifies = verifies.and_then(Result::ok);
    if let Err(err) = dsr::check_transition(from, to, reason) {
        let details = json!({"from": from, "to": to, "error": err.to_string()});
        refuse(&mut tx, actor, &account_id, id, details, now).await?;
        tx.commit().await?;
        return Err(match err {
            TransitionError::NotAllowed { allowed, .. } => AppError::ConflictWith {
                code: "transition_not_allowed",
                message: err_message(from, to, &allowed),
                details: json!({"from": from, "allowed": allowed}),
            },
            TransitionError::ReasonRequired(_) => AppError::invalid("reason", err.to_string()),
        });
    }
    let entering_progress = to == RequestStatus::InProgress;
    // An access request's export starts on entering progress; an erasure's waits for staff,
    // unless it failed before: going back in progress is then its retry, and asking for the
    // job in this same transaction means a crash cannot leave it in progress with no job.
    let job_now = entering_progress
        && (kind == RequestKind::Access
            || (kind == RequestKind::Erasure && from == RequestStatus::Failed));
    let closes = matches!(to, RequestStatus::Completed | RequestStatus::Rejected);
    let done = sqlx::query(
        "UPDATE dsr_requests SET status = $1, status_reason = $2, updated_at = $3, \
         verified_at = CASE WHEN $4 = 1 THEN COALESCE(verified_at, $3) ELSE verified_at END, \
         verification_token_hash = CASE WHEN $4 = 1 THEN NULL ELSE verification_token_hash END, \
         completed_at = CASE WHEN $5 = 1 THEN $3 ELSE completed_at END, \
         job_requested_at = CASE WHEN $6 = 1 THEN $3 WHEN $1 = $9 THEN job_requested_at ELSE NULL END, \
         job_failures = CASE WHEN $1 = $10 THEN job_failures + 1 ELSE job_failures END, \
         verified_by = COALESCE($11, verified_by), verification_note = COALESCE($12, verification_note), \
         locked_until = NULL \
         WHERE id = $7 AND status = $8",
    )
    .bind(to.as_str())
    .bind(if to.needs_reason() { reason } else { None })
    .bind(now)
    .bind(i64::from(entering_progress))
    .bind(i64::from(closes))
    .bind(i64::from(job_now))
    .bind(id)
    .bind(from.as_str())
    .bind(RequestStatus::InProgress.as_str())
    .bind(RequestStatus::Failed.as_str())
    .bind(verifies.map(|(by, _)| by.as_str()))
    .bind(verifies.and_then(|(_, note)| note))
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict {
            code: "request_changed",
            message: "the request changed meanwhile: reload it and try again".into(),
        });
    }
    audit(
        &mut tx,
        actor,
        AuditAction::DsrTransition,
        Some(&account_id),
        Some(id),
        AuditOutcome::Ok,
        json!({"from": from, "to": to, "verified_by": verifies.map(|(by, _)| by)}),
        now,
    )
    .await?;
    let email = match to {
        RequestStatus::Completed if kind != RequestKind::Erasure => Some(DsrEmail::Closed {
            rejected_reason: None,
        }),
        RequestStatus::Rejected => Some(DsrEmail::Closed {
            rejected_reason: reason,
        }),
        _ => None,
    };
    let erased = heepr_compliance::erasure::is_erased(state.db.pool(), &account_id).await?;
    if let Some(what) = email.filter(|_| !erased) {
        emails::queue(
            &mut tx,
            &state.settings.public_url,
            &account_id,
            id,
            kind,
            what,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    if entering_progress {
        state.privacy_wakeup.notify_one();
    }
    get(state.db.pool(), id, now).await
}

/// How a request not verified yet becomes verified by `actor` moving it into progress: the
/// subject themselves only through the emailed link (`intake::confirm`), anyone else (staff)
/// only by saying in `reason` how they checked the subject's identity (GDPR Art. 12(6)),
/// which is stored as the request's verification note.
///
/// Errors: 422 `reason` when staff give none.
fn verification<'r>(
    actor: &AuditActor,
    account_id: &str,
    reason: Option<&'r str>,
) -> Result<(VerifiedBy, Option<&'r str>), AppError> {
    if *actor == AuditActor::subject(account_id) {
        return Ok((VerifiedBy::EmailLink, None));
    }
    match reason {
        Some(note) => Ok((VerifiedBy::Staff, Some(note))),
        None => Err(AppError::invalid("reason", VERIFY_NOTE_NEEDED)),
    }
}

/// Why staff cannot start a request the subject has not confirmed without a note.
pub const VERIFY_NOTE_NEEDED: &str = "the subject has not confirmed this request: say in the reason how you checked their identity (e.g. replied from the account's address to our question, or matched details only they know); it is recorded with the request";

/// Inside `tx`: the audit entry of a refused transition.
async fn refuse(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &AuditActor,
    account_id: &str,
    id: &str,
    details: serde_json::Value,
    now: i64,
) -> Result<(), AppError> {
    audit(
        tx,
        actor,
        AuditAction::DsrTransition,
        Some(account_id),
        Some(id),
        AuditOutcome::Refused,
        details,
        now,
    )
    .await
}

/// Checks, before staff act on it, that request `id` is `account_id`'s, of `kind`, and may
/// be completed now, so an action that completes a request (a rectification, a
/// restriction) changes nothing when the request cannot follow.
///
/// Errors: 404 for an unknown request; 422 `request_id` for another subject's request or
/// another kind; 409 `transition_not_allowed` (with the allowed states) from a state that
/// cannot reach `completed`.
pub async fn check_completable(
    state: &AppState,
    id: &str,
    account_id: &str,
    kind: RequestKind,
) -> Result<(), AppError> {
    let dsr = super::get(state.db.pool(), id, state.clock.now_ms()).await?;
    if dsr.account_id != account_id {
        return Err(AppError::invalid(
            "request_id",
            "that request is another data subject's",
        ));
    }
    if dsr.kind != kind {
        return Err(AppError::invalid(
            "request_id",
            format!(
                "that request asks for {}, not {}",
                dsr.kind.as_str(),
                kind.as_str()
            ),
        ));
    }
    let to = RequestStatus::Completed;
    if !dsr.allowed_transitions.contains(&to) {
        return Err(AppError::ConflictWith {
            code: "transition_not_allowed",
            message: err_message(dsr.status, to, &dsr.allowed_transitions),
            details: json!({"from": dsr.status, "allowed": dsr.allowed_transitions}),
        });
    }
    Ok(())
}

fn err_message(from: RequestStatus, to: RequestStatus, allowed: &[RequestStatus]) -> String {
    TransitionError::NotAllowed {
        from,
        to,
        allowed: allowed.to_vec(),
    }
    .to_string()
}

/// Extends the deadline of request `id` by `months` (1–2 in total, 30 days each) with
/// `reason`, which is emailed to the subject (GDPR Art. 12(3)).
///
/// Errors: 404; 422 (`months` or `reason`) when the extension is not allowed; 409
/// `extension_too_late` once the original 30-day due date has passed.
pub async fn extend(
    state: &AppState,
    id: &str,
    months: u32,
    reason: &str,
    actor: &AuditActor,
) -> Result<Dsr, AppError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query(
        "SELECT status, kind, account_id, received_at, extended_months FROM dsr_requests WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound("request"))?;
    let status: String = row.try_get("status")?;
    let status: RequestStatus = parse_stored(&status)?;
    let kind: String = row.try_get("kind")?;
    let kind: RequestKind = parse_stored(&kind)?;
    let account_id: String = row.try_get("account_id")?;
    let received_at: i64 = row.try_get("received_at")?;
    let already: i64 = row.try_get("extended_months")?;
    let already = u32::try_from(already).unwrap_or(u32::MAX);
    let asked = dsr::Extension {
        status,
        received_at_ms: received_at,
        already,
        months,
        reason,
    };
    let total = dsr::check_extension(asked, now).map_err(|e| match e {
        dsr::ExtensionError::ReasonRequired => AppError::invalid("reason", e.to_string()),
        dsr::ExtensionError::TooLate { .. } => AppError::Conflict {
            code: "extension_too_late",
            message: e.to_string(),
        },
        other => AppError::invalid("months", other.to_string()),
    })?;
    let due = dsr::due_at(received_at, total);
    sqlx::query(
        "UPDATE dsr_requests SET extended_months = $1, extension_reason = $2, due_at = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(i64::from(total))
    .bind(reason.trim())
    .bind(due)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        actor,
        AuditAction::DsrExtend,
        Some(&account_id),
        Some(id),
        AuditOutcome::Ok,
        json!({"months": months, "total_months": total, "due_at": due}),
        now,
    )
    .await?;
    emails::queue(
        &mut tx,
        &state.settings.public_url,
        &account_id,
        id,
        kind,
        DsrEmail::Extended {
            due_at_ms: due,
            reason: reason.trim(),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    get(state.db.pool(), id, now).await
}

/// Asks the worker to run request `id`'s job (export for access, erasure for erasure).
///
/// Errors: 404; 409 `job_not_applicable` when the request is not in progress or its kind
/// has no job (`expected` names the kind the caller meant).
pub async fn request_job(
    state: &AppState,
    id: &str,
    expected: RequestKind,
    actor: &AuditActor,
) -> Result<Dsr, AppError> {
    let now = state.clock.now_ms();
    let dsr = get(state.db.pool(), id, now).await?;
    if dsr.kind != expected || dsr.status != RequestStatus::InProgress {
        return Err(AppError::Conflict {
            code: "job_not_applicable",
            message: format!(
                "only an in-progress {expected} request can run this job; this one is a {} request that is {}",
                dsr.kind, dsr.status
            ),
        });
    }
    let mut tx = state.db.begin_write().await?;
    sqlx::query(
        "UPDATE dsr_requests SET job_requested_at = $1, locked_until = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let action = if expected == RequestKind::Erasure {
        AuditAction::ErasureRequest
    } else {
        AuditAction::ExportRequest
    };
    audit(
        &mut tx,
        actor,
        action,
        Some(&dsr.account_id),
        Some(id),
        AuditOutcome::Ok,
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    state.privacy_wakeup.notify_one();
    get(state.db.pool(), id, now).await
}

/// Closes every other open request of `account_id` once its erasure `erasure_id` completed:
/// each is rejected with the reason "the account was erased", so none waits past its due
/// date for a person who is gone (policy: "we'll respond within 30 days"). No email: the
/// address is pseudonymised now, and an email would put it back into the email log.
/// Returns how many were closed.
///
/// Errors: the database's.
pub async fn close_open_after_erasure(
    state: &AppState,
    account_id: &str,
    erasure_id: &str,
) -> Result<u64, AppError> {
    let now = state.clock.now_ms();
    let reason =
        format!("the account was erased (request {erasure_id}): nothing is left to act on");
    let mut tx = state.db.begin_write().await?;
    let open: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM dsr_requests WHERE account_id = $1 AND id <> $2 AND status IN ($3, $4, $5, $6, $7)",
    )
    .bind(account_id)
    .bind(erasure_id)
    .bind(RequestStatus::Received.as_str())
    .bind(RequestStatus::AwaitingVerification.as_str())
    .bind(RequestStatus::InProgress.as_str())
    .bind(RequestStatus::OnHold.as_str())
    .bind(RequestStatus::Failed.as_str())
    .fetch_all(&mut *tx)
    .await?;
    for id in &open {
        sqlx::query(
            "UPDATE dsr_requests SET status = $1, status_reason = $2, completed_at = $3, updated_at = $3, \
             verification_token_hash = NULL, job_requested_at = NULL WHERE id = $4",
        )
        .bind(RequestStatus::Rejected.as_str())
        .bind(&reason)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            &AuditActor::SYSTEM,
            AuditAction::DsrTransition,
            Some(account_id),
            Some(id),
            AuditOutcome::Ok,
            json!({"to": RequestStatus::Rejected, "reason": "account_erased", "erasure_request": erasure_id}),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(open.len() as u64)
}
