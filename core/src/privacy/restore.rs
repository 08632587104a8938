//! What must happen after a backup is restored, so a restore never brings back a person who
//! was erased after the backup was taken (issue: "re-applies every erasure in the erasure
//! ledger made after the backup was taken").

use std::path::Path;

use anyhow::{Context, bail};
use heepr_compliance::erasure::{self, ErasureError, ErasureJob};
use heepr_compliance::{Clock, Db, Policies, SystemClock, erasure_ledger};

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
        let job = ErasureJob {
            map: &policies.data_map,
            account_id: &entry.account_id,
            request_id: entry.request_id.as_deref(),
            actor: heepr_compliance::audit::AuditActor::RESTORE.as_str(),
            data_dir,
            batch_rows: erasure::DEFAULT_BATCH_ROWS,
            stop_after_batches: None,
        };
        match erasure::run(db, &job, SystemClock.now_ms()).await {
            Ok(outcome) if !outcome.already_erased => {
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

/// What [`end_credentials`] ended.
#[derive(Debug, Clone, Copy, Default)]
pub struct EndedCredentials {
    /// Sessions deleted (everyone signs in again).
    pub sessions: u64,
    /// Staff tokens revoked (staff get new ones with `heepr staff rotate`).
    pub staff_tokens: u64,
}

/// Ends every session and revokes every staff token after a restore, in one transaction,
/// audited. A backup holds the sessions and tokens of its day: a session signed out or a
/// token revoked (a leaver offboarded) after it was taken would otherwise work again.
///
/// Errors: the database's.
pub async fn end_credentials(db: &Db, now_ms: i64) -> anyhow::Result<EndedCredentials> {
    let mut tx = db.begin_write().await?;
    let sessions = sqlx::query("DELETE FROM sessions")
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let staff_tokens =
        sqlx::query("UPDATE staff_tokens SET revoked_at = $1 WHERE revoked_at IS NULL")
            .bind(now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    let entry = heepr_compliance::audit::AuditEntry {
        actor: &heepr_compliance::audit::AuditActor::RESTORE,
        action: heepr_compliance::audit::AuditAction::StaffRevoke,
        subject_account_id: None,
        request_id: None,
        outcome: heepr_compliance::audit::AuditOutcome::Ok,
        details: serde_json::json!({"after_restore": true, "sessions_ended": sessions, "tokens_revoked": staff_tokens}),
    };
    heepr_compliance::audit::append(&mut tx, &entry, now_ms).await?;
    tx.commit().await?;
    Ok(EndedCredentials {
        sessions,
        staff_tokens,
    })
}
