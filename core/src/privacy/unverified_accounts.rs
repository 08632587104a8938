//! Accounts whose email address was never confirmed are erased once their retention rule's
//! period has passed since sign-up (rule `unverified_accounts`, `accounts = "unverified"` in
//! `policies/retention.toml`; policy: "we keep your data for as long as your account is
//! active": an account nobody confirmed never became one, and its address may belong to
//! someone who never signed up).
//!
//! Each is erased as a deletion is ([`erase_subject`], the data map's erasure, recorded in
//! the erasure ledger and audited), by the system, with no request and no email: mailing an
//! address nobody confirmed could reach a stranger. The account's address is not kept as
//! closed, so its real owner still gets the sign-up bonus. An account under legal hold, or
//! with a privacy request still open (answered first), waits; one whose erasure another
//! job runs is left to it. A crash mid-erasure is resumed by the next run (the account is
//! still unconfirmed and not in the erasure ledger).

use heepr_compliance::dsr::RequestStatus;
use heepr_compliance::erasure::ErasureError;
use heepr_compliance::subject::lock as subject_lock;
use serde_json::json;

use super::erase_account::{ErasureCause, erase_subject};
use crate::identity::accounts::AccountStatus;
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Accounts read per pass; a run goes on pass after pass until none is left.
const PASS_ACCOUNTS: i64 = 200;

/// Passes per run at most (a bound on one run; the next run continues).
const MAX_PASSES: usize = 50;

/// What one run did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Accounts signed up before this (Unix ms) and never confirmed were due.
    pub cutoff_ms: i64,
    /// Accounts due.
    pub rows_examined: i64,
    /// Accounts erased (0 in a dry run).
    pub rows_affected: i64,
    /// Accounts due that wait: under legal hold, with an open privacy request, or being
    /// erased by another job (a dry run counts the first two).
    pub waiting: i64,
}

impl ExpiryReport {
    /// Accounts a dry run would erase: those due that need not wait.
    pub fn would_erase(&self) -> i64 {
        self.rows_examined - self.waiting
    }
}

impl ExpiryReport {
    /// The report as JSON for `heepr sweep --json` and the run record.
    pub fn json(&self, rule: &str, dry_run: bool) -> serde_json::Value {
        json!({
            "rule": rule,
            "accounts": "unverified",
            "dry_run": dry_run,
            "cutoff": crate::platform::time::rfc3339(self.cutoff_ms),
            "rows_examined": self.rows_examined,
            "rows_affected": self.rows_affected,
            "waiting": self.waiting,
            "would_erase": self.would_erase(),
        })
    }
}

/// The unconfirmed accounts signed up at or before `cutoff_ms` not yet erased, after
/// `after` (created_at, id) in sign-up order, at most [`PASS_ACCOUNTS`]; with whether each
/// must wait (a legal hold in force, or a privacy request still open).
async fn due(
    state: &AppState,
    cutoff_ms: i64,
    after: &(i64, String),
) -> Result<Vec<(i64, String, bool)>, AppError> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT a.created_at, a.id, \
           (SELECT COUNT(*) FROM dsr_requests r WHERE r.account_id = a.id AND r.status IN ($4, $5, $6, $7, $8)) \
           + (SELECT COUNT(*) FROM legal_holds h WHERE h.account_id = a.id AND h.lifted_at IS NULL) \
         FROM accounts a \
         WHERE a.email_verified_at IS NULL AND a.created_at <= $1 AND a.status IN ($2, $3) \
           AND NOT EXISTS (SELECT 1 FROM erasure_ledger l WHERE l.account_id = a.id) \
           AND (a.created_at > $9 OR (a.created_at = $9 AND a.id > $10)) \
         ORDER BY a.created_at, a.id LIMIT $11",
    )
    .bind(cutoff_ms)
    .bind(AccountStatus::Active.as_str())
    // A closed, unconfirmed account not in the ledger is an erasure cut short: resume it.
    .bind(AccountStatus::Closed.as_str())
    .bind(RequestStatus::Received.as_str())
    .bind(RequestStatus::AwaitingVerification.as_str())
    .bind(RequestStatus::InProgress.as_str())
    .bind(RequestStatus::OnHold.as_str())
    .bind(RequestStatus::Failed.as_str())
    .bind(after.0)
    .bind(&after.1)
    .bind(PASS_ACCOUNTS)
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(created, id, open)| (created, id, open > 0))
        .collect())
}

/// Erases every account rule `rule` governs that is past its period at `now_ms` (with
/// `dry_run`, only counts them); each under its subject lock, held by `holder`.
///
/// Errors: the rule is unknown or has no period; the database's. An erasure that fails
/// for one account is logged and counted as waiting; the others go on.
pub async fn erase_expired(
    state: &AppState,
    rule: &str,
    now_ms: i64,
    dry_run: bool,
    holder: &str,
) -> Result<ExpiryReport, AppError> {
    let cutoff_ms = state
        .policies
        .retention
        .rules
        .get(rule)
        .and_then(|r| r.cutoff_ms(now_ms))
        .ok_or(AppError::NotFound("retention rule with a period"))?;
    let mut report = ExpiryReport {
        cutoff_ms,
        ..ExpiryReport::default()
    };
    let mut after = (i64::MIN, String::new());
    for _ in 0..MAX_PASSES {
        let batch = due(state, cutoff_ms, &after).await?;
        let Some((created, id, _)) = batch.last() else {
            break;
        };
        after = (*created, id.clone());
        for (_, account_id, must_wait) in &batch {
            report.rows_examined += 1;
            if *must_wait {
                report.waiting += 1;
                continue;
            }
            if dry_run {
                continue;
            }
            match erase_one(state, account_id, holder).await? {
                true => report.rows_affected += 1,
                false => report.waiting += 1,
            }
        }
    }
    Ok(report)
}

/// Erases one account under its subject lock; `false` when it must wait (held, busy, or
/// the erasure failed: logged, retried on the next run).
async fn erase_one(state: &AppState, account_id: &str, holder: &str) -> Result<bool, AppError> {
    let now = state.clock.now_ms();
    let Some(lock) = subject_lock::take(&state.db, account_id, holder, now).await? else {
        return Ok(false);
    };
    let outcome = erase_subject(state, account_id, ErasureCause::Retention).await;
    if let Err(err) = lock.release().await {
        tracing::warn!(account_id, "subject lock release failed: {err}");
    }
    match outcome? {
        Ok(()) => Ok(true),
        Err(ErasureError::Held { .. }) => Ok(false),
        Err(err) => {
            tracing::warn!(
                account_id,
                "erasing an unconfirmed account failed: {}",
                heepr_compliance::base::error_chain::with_causes(&err)
            );
            Ok(false)
        }
    }
}
