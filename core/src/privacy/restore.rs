//! What must happen after a backup is restored, so a restore never brings back a person who
//! was erased after the backup was taken (issue: "re-applies every erasure in the erasure
//! ledger made after the backup was taken").

use std::path::Path;

use anyhow::{Context, bail};
use heepr_compliance::erasure::{self, ErasureError, ErasureJob};
use heepr_compliance::withdrawal_ledger::{self, Withdrawal};
use heepr_compliance::{Clock, Db, Policies, SystemClock, erasure_ledger};

use crate::platform::tokens::new_id;
use crate::privacy::consents::ConsentAction;

/// Re-applies the erasures recorded in the erasure ledger file under `data_dir` (which lives
/// outside the database, so the restore did not roll it back); returns how many erasures
/// had to be re-applied. Every entry is replayed, not only those after `backup_taken_ms`
/// (Unix ms): erasure is idempotent, so entries the backup already reflects cost a lookup,
/// and clock differences between machines cannot skip one.
///
/// Errors: the ledger file cannot be read, or an erasure fails (for example a legal hold
/// restored with the backup blocks it: the message names the account; lift the hold and
/// rerun `heepr backup restore` or `heepr dsr erase`).
pub async fn after_restore(
    db: &Db,
    policies: &Policies,
    data_dir: &Path,
    backup_taken_ms: i64,
) -> anyhow::Result<usize> {
    let entries = erasure_ledger::read_file(data_dir).with_context(|| {
        format!(
            "reading the erasure ledger {}",
            erasure_ledger::file_path(data_dir).display()
        )
    })?;
    let mut replayed = 0;
    for entry in &entries {
        // Someone who signed up after the backup and was erased since: the backup never
        // had them, so there is nothing to erase again (and no account row for the
        // pseudonym to point at).
        let in_backup: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE id = $1")
            .bind(&entry.account_id)
            .fetch_one(db.pool())
            .await?;
        if in_backup == 0 {
            continue;
        }
        if let Some(pseudonym) = &entry.pseudonym {
            // The same pseudonym as before the restore, on every record it is written to.
            erasure::keep_pseudonym(
                db.pool(),
                &entry.account_id,
                pseudonym,
                SystemClock.now_ms(),
            )
            .await
            .with_context(|| format!("keeping the pseudonym of account {}", entry.account_id))?;
        }
        let job = ErasureJob {
            map: &policies.data_map,
            account_id: &entry.account_id,
            request_id: entry.request_id.as_deref(),
            actor: heepr_compliance::audit::AuditActor::RESTORE.as_str(),
            data_dir,
            batch_rows: erasure::DEFAULT_BATCH_ROWS,
            stop_after_batches: None,
        };
        let ran = erasure::run(db, &job, SystemClock.now_ms()).await;
        // Other people's files the erasure had replaced: their restored rows point at the
        // copies again (the originals are gone).
        if ran.is_ok() {
            erasure::reapply_replaced_contents(db, &policies.data_map, data_dir, entry)
                .await
                .with_context(|| {
                    format!(
                        "pointing files back at their redacted copies (account {})",
                        entry.account_id
                    )
                })?;
        }
        match ran {
            Ok(outcome) if !outcome.already_erased => {
                keep_erasure_time(db, &entry.account_id, entry.erased_at).await?;
                replayed += 1;
                tracing::info!(account_id = %entry.account_id, after_backup = entry.erased_at >= backup_taken_ms, "erasure re-applied after restore");
            }
            Ok(_) | Err(ErasureError::NotFound) => {}
            Err(err) => bail!(
                "re-applying the erasure of account {} after the restore: {}",
                entry.account_id,
                heepr_compliance::base::error_chain::with_causes(&err)
            ),
        }
    }
    Ok(replayed)
}

/// Writes the time the erasure of `account_id` first completed (`erased_at`, Unix ms, from
/// the ledger file) over the replay's, on the ledger row and the pseudonym: the records say
/// when the person was erased, not when a backup was restored (the audit trail keeps both).
///
/// Errors: the database's.
async fn keep_erasure_time(db: &Db, account_id: &str, erased_at: i64) -> anyhow::Result<()> {
    let mut tx = db.begin_write().await?;
    for sql in [
        "UPDATE erasure_ledger SET erased_at = $1 WHERE account_id = $2",
        "UPDATE pseudonyms SET created_at = $1 WHERE account_id = $2",
    ] {
        sqlx::query(sql)
            .bind(erased_at)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What [`end_credentials`] ended.
#[derive(Debug, Clone, Copy, Default)]
pub struct EndedCredentials {
    /// Sessions deleted (everyone signs in again).
    pub sessions: u64,
    /// Staff tokens revoked (staff get new ones with `heepr staff rotate`).
    pub staff_tokens: u64,
    /// Consents withdrawn again: the backup held them as given, the withdrawal ledger says
    /// they were withdrawn after it was taken.
    pub consents_withdrawn: u64,
    /// Agent API keys revoked again, by the withdrawal ledger.
    pub api_keys_revoked: u64,
    /// Accounts whose password was replaced after the backup: the restored (old) password
    /// is cleared, so the person sets a new one with a reset link.
    pub passwords_cleared: u64,
}

/// After a restore, in one transaction, audited: ends every session, revokes every staff
/// token, and replays the withdrawal ledger under `data_dir` (consents withdrawn and agent
/// API keys revoked since the backup was taken). A backup holds the sessions, tokens,
/// consents and keys of its day: a session signed out, a leaver's token, a consent
/// withdrawn or a leaked key revoked after it was taken would otherwise work again.
///
/// Errors: the ledger file cannot be read; the database's.
pub async fn end_credentials(
    db: &Db,
    data_dir: &Path,
    backup_taken_ms: i64,
    now_ms: i64,
) -> anyhow::Result<EndedCredentials> {
    let withdrawals = withdrawal_ledger::read(data_dir).with_context(|| {
        format!(
            "reading the withdrawal ledger {}",
            withdrawal_ledger::file_path(data_dir).display()
        )
    })?;
    let mut tx = db.begin_write().await?;
    let mut ended = EndedCredentials {
        sessions: sqlx::query("DELETE FROM sessions")
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        staff_tokens: sqlx::query(
            "UPDATE staff_tokens SET revoked_at = $1 WHERE revoked_at IS NULL",
        )
        .bind(now_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected(),
        ..EndedCredentials::default()
    };
    for w in &withdrawals {
        match w {
            Withdrawal::ApiKeyRevoked { key_id, at } => {
                ended.api_keys_revoked += sqlx::query(
                    "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                )
                .bind(*at)
                .bind(key_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            Withdrawal::PasswordReplaced { account_id, at } if *at >= backup_taken_ms => {
                ended.passwords_cleared += sqlx::query(
                    "UPDATE accounts SET password_hash = NULL WHERE id = $1 AND password_hash IS NOT NULL",
                )
                .bind(account_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            // Replaced before the backup was taken: the backup holds the new password.
            Withdrawal::PasswordReplaced { .. } => {}
            Withdrawal::ConsentWithdrawn {
                account_id,
                purpose,
                at,
            } => {
                if withdraw_again(&mut tx, account_id, purpose, *at).await? {
                    ended.consents_withdrawn += 1;
                }
            }
        }
    }
    let entry = heepr_compliance::audit::AuditEntry {
        actor: &heepr_compliance::audit::AuditActor::RESTORE,
        action: heepr_compliance::audit::AuditAction::StaffRevoke,
        subject_account_id: None,
        request_id: None,
        outcome: heepr_compliance::audit::AuditOutcome::Ok,
        details: serde_json::json!({"after_restore": true, "sessions_ended": ended.sessions,
            "tokens_revoked": ended.staff_tokens, "consents_withdrawn": ended.consents_withdrawn,
            "api_keys_revoked": ended.api_keys_revoked, "passwords_cleared": ended.passwords_cleared}),
    };
    heepr_compliance::audit::append(&mut tx, &entry, now_ms).await?;
    tx.commit().await?;
    Ok(ended)
}

/// Records the withdrawal of `purpose` by `account_id` at `at` again when the restored
/// history's last event for it is a consent given before `at`; `false` when nothing was
/// needed (already withdrawn, given again later, or the account erased meanwhile).
async fn withdraw_again(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    account_id: &str,
    purpose: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let last: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT action, version, recorded_at FROM consents WHERE account_id = $1 AND purpose = $2 \
         ORDER BY recorded_at DESC, id DESC LIMIT 1",
    )
    .bind(account_id)
    .bind(purpose)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((action, version, recorded_at)) = last else {
        return Ok(false);
    };
    if action != ConsentAction::Given.as_str() || recorded_at > at {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO consents (id, account_id, purpose, version, action, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(account_id)
    .bind(purpose)
    .bind(version)
    .bind(ConsentAction::Withdrawn.as_str())
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Audits a finished restore of backup `backup_id`: rows carried per table, rows not
/// carried (table and key only), audit entries appended again, erasures re-applied.
///
/// Errors: the database's.
pub async fn record(
    db: &Db,
    backup_id: &str,
    carried: &heepr_compliance::backup::carry::CarryOutcome,
    erasures_replayed: usize,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let skipped: Vec<String> = carried
        .skipped
        .iter()
        .map(|s| format!("{} {}", s.table, s.key))
        .collect();
    let entry = heepr_compliance::audit::AuditEntry {
        actor: &heepr_compliance::audit::AuditActor::RESTORE,
        action: heepr_compliance::audit::AuditAction::BackupRestore,
        subject_account_id: None,
        request_id: None,
        outcome: heepr_compliance::audit::AuditOutcome::Ok,
        details: serde_json::json!({"backup": backup_id, "carried": carried.written,
            "not_carried": skipped, "audit_rejoined": carried.audit_rejoined,
            "audit_unjoined": carried.audit_unjoined, "erasures_replayed": erasures_replayed}),
    };
    let mut tx = db.begin_write().await?;
    heepr_compliance::audit::append(&mut tx, &entry, now_ms).await?;
    tx.commit().await
}

/// Reopens each rectification request completed at or after `backup_taken_ms` (Unix ms)
/// whose subject is not erased: the restore put the account's fields back to the backup's,
/// undoing the correction, so the request is `in_progress` again for staff to apply it once
/// more, with a note saying why (audited). Returns the reopened requests' ids.
///
/// Errors: the database's.
pub async fn reopen_undone_rectifications(
    db: &Db,
    backup_taken_ms: i64,
    now_ms: i64,
) -> Result<Vec<String>, sqlx::Error> {
    use heepr_compliance::audit::{self, AuditAction, AuditActor, AuditEntry, AuditOutcome};
    use heepr_compliance::dsr::{RequestKind, RequestStatus};
    let mut tx = db.begin_write().await?;
    let undone: Vec<(String, String)> = sqlx::query_as(
        "SELECT r.id, r.account_id FROM dsr_requests r WHERE r.kind = $1 AND r.status = $2 \
         AND r.completed_at >= $3 \
         AND NOT EXISTS (SELECT 1 FROM erasure_ledger l WHERE l.account_id = r.account_id) \
         ORDER BY r.id",
    )
    .bind(RequestKind::Rectification.as_str())
    .bind(RequestStatus::Completed.as_str())
    .bind(backup_taken_ms)
    .fetch_all(&mut *tx)
    .await?;
    for (id, account_id) in &undone {
        sqlx::query(
            "UPDATE dsr_requests SET status = $1, completed_at = NULL, updated_at = $2 WHERE id = $3",
        )
        .bind(RequestStatus::InProgress.as_str())
        .bind(now_ms)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO dsr_notes (id, request_id, account_id, author, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(id)
        .bind(account_id)
        .bind(AuditActor::RESTORE.as_str())
        .bind("A backup restore put the account's fields back to the backup's, undoing this correction: apply it again.")
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        let entry = AuditEntry {
            actor: &AuditActor::RESTORE,
            action: AuditAction::DsrTransition,
            subject_account_id: Some(account_id),
            request_id: Some(id),
            outcome: AuditOutcome::Ok,
            details: serde_json::json!({"to": RequestStatus::InProgress, "reason": "rectification_undone_by_restore"}),
        };
        audit::append(&mut tx, &entry, now_ms).await?;
    }
    tx.commit().await?;
    Ok(undone.into_iter().map(|(id, _)| id).collect())
}
