//! What an export does: builds a data subject's archive for an access request (what is in
//! it is decided by `policies/data_map.toml`, the archive by `heepr-compliance`'s export),
//! records it for download, completes the request; and deletes archives once their 7-day
//! download window has passed.
//!
//! Exports are rebuilt from scratch when run again, so a worker that died mid-export is
//! harmless.

use std::path::Path;

use heepr_compliance::dsr::RequestStatus;
use heepr_compliance::export::{self, ExportJob};
use serde_json::json;
use sqlx::Row;

use super::requests::transitions::transition;
use heepr_compliance::audit::{AuditAction, AuditOutcome};

use super::requests::{SYSTEM, audit};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;

/// How long an export archive can be downloaded (ms): 7 days, then it is deleted.
pub const EXPORT_LINK_MS: i64 = 7 * 24 * 3_600_000;
/// The export archives' directory under the data dir.
pub const EXPORTS_DIR: &str = "exports";

/// An export archive's record (`export_archives`): where its file is and how long it may
/// be downloaded.
#[derive(Debug, Clone)]
pub struct ArchiveRecord {
    /// Archive id.
    pub id: String,
    /// The file, relative to the data dir.
    pub file_path: String,
    /// Size (bytes).
    pub size_bytes: i64,
    /// SHA-256 of the file (lower-case hex).
    pub sha256: String,
    /// When the download window closes (Unix ms).
    pub expires_at_ms: i64,
    /// When the file was deleted (Unix ms), if it was.
    pub deleted_at_ms: Option<i64>,
}

impl ArchiveRecord {
    /// Whether the subject may still download it at `now_ms`.
    pub fn downloadable(&self, now_ms: i64) -> bool {
        self.deleted_at_ms.is_none() && self.expires_at_ms > now_ms
    }
}

/// The archive of request `request_id`; with `account_id`, only if it is that subject's.
///
/// Errors: the database's.
pub async fn archive_of(
    pool: &sqlx::AnyPool,
    request_id: &str,
    account_id: Option<&str>,
) -> Result<Option<ArchiveRecord>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, file_path, size_bytes, sha256, expires_at, deleted_at FROM export_archives \
         WHERE request_id = $1 AND (CAST($2 AS TEXT) IS NULL OR account_id = $2)",
    )
    .bind(request_id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(ArchiveRecord {
            id: row.try_get("id")?,
            file_path: row.try_get("file_path")?,
            size_bytes: row.try_get("size_bytes")?,
            sha256: row.try_get("sha256")?,
            expires_at_ms: row.try_get("expires_at")?,
            deleted_at_ms: row.try_get("deleted_at")?,
        })
    })
    .transpose()
}

/// Builds the archive of request `id` (an access request of `account_id`), records it and
/// completes the request; a failed build moves the request to `failed` with the cause.
///
/// Errors: the database's.
pub async fn run_export(state: &AppState, id: &str, account_id: &str) -> Result<(), AppError> {
    let now = state.clock.now_ms();
    let out_dir = state.settings.data_dir.join(EXPORTS_DIR);
    let archive_name = format!("{id}.tar.gz");
    let job = ExportJob {
        map: &state.policies.data_map,
        account_id,
        data_dir: &state.settings.data_dir,
        out_dir: &out_dir,
        archive_name: &archive_name,
        generated_at_ms: now,
    };
    let outcome = match export::build(state.db.pool(), &job).await {
        Ok(outcome) => outcome,
        Err(err) => {
            let cause = format!("export failed: {err}");
            tracing::warn!(request_id = %id, "{cause}");
            transition(state, id, RequestStatus::Failed, Some(&cause), &SYSTEM).await?;
            return Ok(());
        }
    };
    let mut tx = state.db.begin_write().await?;
    sqlx::query("DELETE FROM export_archives WHERE request_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO export_archives (id, request_id, account_id, file_path, size_bytes, sha256, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(id)
    .bind(account_id)
    .bind(format!("{EXPORTS_DIR}/{archive_name}"))
    .bind(i64::try_from(outcome.size_bytes).unwrap_or(i64::MAX))
    .bind(&outcome.sha256)
    .bind(now)
    .bind(now.saturating_add(EXPORT_LINK_MS))
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        &SYSTEM,
        AuditAction::ExportBuild,
        Some(account_id),
        Some(id),
        AuditOutcome::Ok,
        json!({"size_bytes": outcome.size_bytes, "sha256": outcome.sha256, "sections": outcome.sections,
               "files": outcome.files, "missing_files": outcome.missing_files}),
        now,
    )
    .await?;
    tx.commit().await?;
    transition(state, id, RequestStatus::Completed, None, &SYSTEM).await?;
    Ok(())
}

/// Deletes export archives past their 7 days (file and link); returns how many.
///
/// Errors: the database's.
pub async fn sweep_expired_archives(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock.now_ms();
    let rows = sqlx::query(
        "SELECT id, request_id, account_id, file_path FROM export_archives WHERE deleted_at IS NULL AND expires_at <= $1",
    )
    .bind(now)
    .fetch_all(state.db.pool())
    .await?;
    for row in &rows {
        let id: String = row.try_get("id")?;
        let file_path: String = row.try_get("file_path")?;
        expire_archive(
            state,
            &id,
            &row.try_get::<String, _>("request_id")?,
            &row.try_get::<String, _>("account_id")?,
            &file_path,
        )
        .await?;
    }
    Ok(rows.len())
}

/// Deletes one archive's file and marks it deleted (audited).
///
/// Errors: the database's; a file that cannot be removed (other than already gone).
pub async fn expire_archive(
    state: &AppState,
    id: &str,
    request_id: &str,
    account_id: &str,
    file_path: &str,
) -> Result<(), AppError> {
    let now = state.clock.now_ms();
    let full = state.settings.data_dir.join(Path::new(file_path));
    match std::fs::remove_file(&full) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "{}: {e}",
                full.display()
            )));
        }
    }
    let mut tx = state.db.begin_write().await?;
    sqlx::query("UPDATE export_archives SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &SYSTEM,
        AuditAction::ExportExpire,
        Some(account_id),
        Some(request_id),
        AuditOutcome::Ok,
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
