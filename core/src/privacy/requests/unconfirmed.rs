//! How a request whose subject never confirmed their identity is answered: when its emailed
//! confirmation link expires unused ([`super::intake::VERIFY_LINK_MS`], 14 days after it was
//! sent), the request is closed as `rejected` with the reason, and the subject is told at the
//! account's address how to ask again.
//!
//! Why: the policy promises "we'll respond within 30 days", and a request left waiting for a
//! click that never comes would otherwise stay open past its due date with no answer at all.
//! GDPR Art. 12(2) and (6) let the controller refuse to act when it cannot identify the
//! subject, but Art. 12(4) still requires telling them why, within the period. The link
//! lasts 14 days, so the answer always goes out inside the 30.

use heepr_compliance::audit::AuditActor;
use heepr_compliance::dsr::RequestStatus;

use super::intake::VERIFY_LINK_MS;
use super::transitions::transition;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::human;

/// Requests closed per pass at most; the next pass takes the rest.
const PASS_LIMIT: i64 = 100;

/// Closes, as `rejected`, every request awaiting verification whose confirmation link was
/// sent more than [`VERIFY_LINK_MS`] ago, each in its own transaction with its audit entry
/// and the rejection email (which gives the reason). Returns how many were closed.
///
/// A request confirmed meanwhile (the subject clicked while this pass ran) is left alone:
/// the transition only applies to a request still awaiting verification.
///
/// Errors: the database's.
pub async fn close_expired(state: &AppState) -> Result<u64, AppError> {
    let now = state.clock.now_ms();
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT id, COALESCE(verification_sent_at, received_at) FROM dsr_requests \
         WHERE status = $1 AND COALESCE(verification_sent_at, received_at) < $2 \
         ORDER BY received_at, id LIMIT $3",
    )
    .bind(RequestStatus::AwaitingVerification.as_str())
    .bind(now.saturating_sub(VERIFY_LINK_MS))
    .bind(PASS_LIMIT)
    .fetch_all(state.db.pool())
    .await?;
    let mut closed = 0;
    for (id, sent_at) in rows {
        let reason = format!(
            "we could not confirm that the request came from the account holder: the \
             confirmation link emailed on {} was not used within 14 days. To ask again, use \
             the privacy page of your account or write to privacy@heepr.ai from the address \
             on your account",
            human(sent_at)
        );
        match transition(
            state,
            &id,
            RequestStatus::Rejected,
            Some(&reason),
            &AuditActor::SYSTEM,
        )
        .await
        {
            Ok(_) => closed += 1,
            // Confirmed (or closed by staff) since it was read: nothing to answer here.
            Err(AppError::Conflict { .. } | AppError::ConflictWith { .. }) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(closed)
}
