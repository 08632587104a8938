//! What an erasure does to an account (right to erasure): unfinished orders are closed and
//! refunded, the subject's pending mail is let out and the account closed so nothing new
//! reaches it, then every table is erased as `policies/data_map.toml` says (delete, null,
//! pseudonymise, keep) by `heepr-compliance`'s erasure, in resumable batches. A legal hold
//! stops it.
//!
//! An erasure resumes where it stopped when run again, so a worker that died mid-erasure is
//! harmless.

use std::time::Duration;

use heepr_compliance::audit::AuditActor;
use heepr_compliance::base::error_chain::with_causes;
use heepr_compliance::dsr::RequestStatus;
use heepr_compliance::erasure::{self, ErasureError, ErasureJob};

use super::requests::SYSTEM;
use super::requests::transitions::transition;
use crate::identity::accounts::{AccountStatus, closed_addresses};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Steps of 100 ms an erasure waits for the subject's mail (see [`drain_mail`]).
const MAIL_WAIT_STEPS: u32 = 50;

/// Waits (bounded) until `sql` (a count with `$1` = account, `$2` = now) is zero.
async fn wait_until_zero(
    state: &AppState,
    sql: &'static str,
    account_id: &str,
) -> Result<(), AppError> {
    for _ in 0..MAIL_WAIT_STEPS {
        let n: i64 = sqlx::query_scalar(sql)
            .bind(account_id)
            .bind(state.clock.now_ms())
            .fetch_one(state.db.pool())
            .await?;
        if n == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Before an erasure: lets due emails to the subject go out (the receipt, bounded wait),
/// closes the account so no new email is sent and nobody signs in while its rows are
/// erased, then waits for deliveries already under way. An email log row or session created
/// mid-erasure would otherwise outlive it. A held account is left open (erasure refuses it).
async fn drain_mail(state: &AppState, account_id: &str) -> Result<(), AppError> {
    if !heepr_compliance::holds::active(state.db.pool(), account_id)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    state.mail_wakeup.notify_one();
    wait_until_zero(
        state,
        "SELECT COUNT(*) FROM email_outbox WHERE account_id = $1 AND next_attempt_at <= $2",
        account_id,
    )
    .await?;
    sqlx::query("UPDATE accounts SET status = $2 WHERE id = $1 AND status = $3")
        .bind(account_id)
        .bind(AccountStatus::Closed.as_str())
        .bind(AccountStatus::Active.as_str())
        .execute(state.db.pool())
        .await?;
    wait_until_zero(
        state,
        "SELECT COUNT(*) FROM email_outbox WHERE account_id = $1 AND locked_until IS NOT NULL AND locked_until >= $2",
        account_id,
    )
    .await
}

/// Before the address is erased: keeps its keyed hash, so signing up again with it earns
/// no second sign-up bonus (`identity::accounts::closed_addresses`). A resumed erasure
/// that already emptied the address recorded it on its first run.
async fn record_closed_address(state: &AppState, account_id: &str) -> Result<(), AppError> {
    let key: Option<Option<String>> =
        sqlx::query_scalar("SELECT email_normalized FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(state.db.pool())
            .await?;
    if let Some(Some(key)) = key {
        let now = state.clock.now_ms();
        closed_addresses::record(state.db.pool(), state, &key, now).await?;
    }
    Ok(())
}

/// Who asked for an erasure, and so what it records.
#[derive(Debug, Clone, Copy)]
pub enum ErasureCause<'a> {
    /// A data-subject request (its id): the account's address is remembered as closed
    /// (`closed_addresses`), so re-registering earns no second bonus.
    Request(&'a str),
    /// A retention rule erasing an account whose address was never confirmed: no request,
    /// and no closed address (it may be someone else's, who should get the bonus when they
    /// sign up themselves).
    Retention,
}

/// Erases `account_id`: refunds the subject's unfinished orders, drains and closes the
/// account's mail, then runs the erasure the data map describes (resumable: run again after
/// a crash, it goes on where it stopped). The outer error is the database's; the inner one
/// is the erasure's own outcome (`Held` for a legal hold).
///
/// Errors: the database's.
pub async fn erase_subject(
    state: &AppState,
    account_id: &str,
    cause: ErasureCause<'_>,
) -> Result<Result<(), ErasureError>, AppError> {
    if heepr_compliance::holds::active(state.db.pool(), account_id)
        .await?
        .is_empty()
    {
        // Unfinished orders are refunded first (their cancellation emails go out with the
        // rest of the subject's mail below).
        crate::market::orders::closing_for_erasure::close_open_orders(state, account_id).await?;
        if let ErasureCause::Request(_) = cause {
            record_closed_address(state, account_id).await?;
        }
    }
    drain_mail(state, account_id).await?;
    // The account is closed now: a request-log row queued before is committed by this flush
    // (and erased below); one written after it is refused because the account is closed.
    state.deferred.flush().await;
    // Under the subject's lock no export of this person runs: every archive file of theirs,
    // half-written or never registered, goes now (registered ones go with their rows).
    super::export_archive::remove_subject_export_files(state, account_id).await?;
    let (request_id, actor) = match cause {
        ErasureCause::Request(id) => (Some(id), SYSTEM.as_str()),
        ErasureCause::Retention => (None, AuditActor::RETENTION.as_str()),
    };
    let job = ErasureJob {
        map: &state.policies.data_map,
        account_id,
        request_id,
        actor,
        data_dir: &state.settings.data_dir,
        batch_rows: erasure::DEFAULT_BATCH_ROWS,
        stop_after_batches: None,
    };
    let outcome = erasure::run(&state.db, &job, state.clock.now_ms()).await;
    if outcome.is_ok() {
        // The ledger's copy with the backups: a restore on another machine re-applies this
        // erasure too.
        let (data, backups) = (&state.settings.data_dir, &state.settings.backup_dir);
        if let Err(e) = heepr_compliance::ledger_copies::mirror(data, backups) {
            tracing::warn!("copying the ledgers next to the backups: {e}");
        }
    }
    Ok(outcome.map(|_| ()))
}

/// Erases `account_id` for request `id` ([`erase_subject`]); completes the request, or
/// puts it on hold (legal hold) or fails it (with the cause).
///
/// Errors: the database's.
pub async fn run_erasure(state: &AppState, id: &str, account_id: &str) -> Result<(), AppError> {
    match erase_subject(state, account_id, ErasureCause::Request(id)).await? {
        Ok(()) => {
            transition(state, id, RequestStatus::Completed, None, &SYSTEM).await?;
            super::requests::transitions::close_open_after_erasure(state, account_id, id).await?;
        }
        Err(ErasureError::Held { reason }) => {
            let why = format!("legal hold: {reason}");
            transition(state, id, RequestStatus::OnHold, Some(&why), &SYSTEM).await?;
        }
        Err(err) => {
            let cause = format!("erasure failed: {}", with_causes(&err));
            tracing::warn!(request_id = %id, "{cause}");
            transition(state, id, RequestStatus::Failed, Some(&cause), &SYSTEM).await?;
        }
    }
    Ok(())
}
