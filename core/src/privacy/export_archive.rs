//! What an export does: builds a data subject's archive for an access request (what is in
//! it is decided by `policies/data_map.toml`, the archive by `heepr-compliance`'s export),
//! records it for download, completes the request; and deletes archives once their 7-day
//! download window has passed.
//!
//! Exports are rebuilt from scratch when run again, so a worker that died mid-export is
//! harmless. Guarantees:
//! - an export runs under its subject's lock ([`subject_lock`]), never beside an erasure of
//!   the same person;
//! - an archive is registered (downloadable) only if the subject's erasure had not begun,
//!   checked in the transaction that registers it; otherwise its file is deleted;
//! - an archive is not published while it may name someone whose erasure runs or ran while
//!   it was built ([`ErasuresInFlight`]): an erasure completed meanwhile means it is built
//!   again at once; one still running that the archive names means it is built again
//!   once that erasure has ended (checked every [`HELD_FOR_ERASURE_MS`], without building:
//!   the counterparty's words are redacted by then);
//! - no half-written or unregistered archive survives: they are deleted at start-up
//!   ([`clean_export_dir`]) and by the subject's erasure ([`remove_subject_export_files`]).

use std::path::Path;

use heepr_compliance::base::error_chain::with_causes;
use heepr_compliance::dsr::RequestStatus;
use heepr_compliance::erasure::ErasuresInFlight;
use heepr_compliance::export::{self, ExportJob};
use heepr_compliance::lease::LeaseGuard;
use heepr_compliance::subject::lock as subject_lock;
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
/// How long an export that names a person being erased waits before it is built again
/// (ms): 1 minute.
pub const HELD_FOR_ERASURE_MS: i64 = 60_000;
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

/// Builds the archive of request `id` (an access request of `account_id`) while its
/// worker holds the subject's `lock`, registers it for download and completes the request.
/// A failed build moves the request to `failed` with the cause; so does an archive that may
/// not be published (the lock was lost, or the subject's erasure began meanwhile: the file
/// is deleted, nothing is registered).
///
/// Errors: the database's.
pub async fn run_export(
    state: &AppState,
    id: &str,
    account_id: &str,
    lock: &LeaseGuard,
) -> Result<(), AppError> {
    if still_held(state, id).await? {
        return run_again_after(state, id, HELD_FOR_ERASURE_MS).await;
    }
    let built = match build_archive(state, id, account_id).await {
        Ok(built) => built,
        Err(err) => {
            let cause = format!("export failed: {}", with_causes(&err));
            tracing::warn!(request_id = %id, "{cause}");
            transition(state, id, RequestStatus::Failed, Some(&cause), &SYSTEM).await?;
            return Ok(());
        }
    };
    // A holder that stalled past its lease may have been overtaken by an erasure: it
    // publishes nothing. (The registration checks the erasure itself, in its transaction.)
    let registered = if lock.renew(state.clock.now_ms()).await? {
        register_archive(state, &built).await?
    } else {
        discard(state, &built, "the subject lock was lost").await?;
        Registered::Discarded
    };
    match registered {
        Registered::Registered => {
            transition(state, id, RequestStatus::Completed, None, &SYSTEM).await?;
        }
        Registered::Discarded => {
            let cause = "export discarded: the data subject's erasure began while it ran";
            transition(state, id, RequestStatus::Failed, Some(cause), &SYSTEM).await?;
        }
        Registered::BuildAgain { after_ms } => {
            run_again_after(state, id, after_ms).await?;
        }
        // Staff closed or paused it: its state says why, nothing to add.
        Registered::NotWanted => {}
    }
    Ok(())
}

/// A built, not yet registered, archive of one access request.
#[derive(Debug)]
pub struct BuiltArchive {
    /// The access request.
    pub request_id: String,
    /// The data subject.
    pub account_id: String,
    /// The archive's path relative to the data dir (`exports/<request id>.tar.gz`).
    pub file_path: String,
    /// What the build produced (size, checksum, sections).
    pub outcome: export::ExportOutcome,
    /// The erasures in flight when the build began.
    pub erasures_before: ErasuresInFlight,
}

/// Whether [`register_archive`] made the archive downloadable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// Recorded in `export_archives`: downloadable until it expires.
    Registered,
    /// Not recorded, its file deleted: the subject's erasure began while it was built.
    Discarded,
    /// Not recorded, its file deleted: another person's erasure completed while it was
    /// built, or is running and the archive names them. Built again `after_ms` from now.
    BuildAgain {
        /// Delay before the next build (ms).
        after_ms: i64,
    },
    /// Not recorded, its file deleted: staff rejected the request (or put it on hold) while
    /// it was built, so nobody may download it; going back in progress builds it anew.
    NotWanted,
}

/// Builds request `id`'s archive of `account_id` under `DATA_DIR/exports` (written under a
/// temporary name, renamed when complete). The caller holds the subject's lock.
///
/// Errors: the export's (I/O, database, data map).
pub async fn build_archive(
    state: &AppState,
    id: &str,
    account_id: &str,
) -> Result<BuiltArchive, export::ExportError> {
    // The subject's latest requests are still queued: they belong in the archive.
    state.deferred.flush().await;
    let erasures_before = {
        let mut conn = state.db.pool().acquire().await?;
        ErasuresInFlight::read(&mut conn).await?
    };
    let out_dir = state.settings.data_dir.join(EXPORTS_DIR);
    let archive_name = format!("{id}.tar.gz");
    let job = ExportJob {
        map: &state.policies.data_map,
        account_id,
        data_dir: &state.settings.data_dir,
        out_dir: &out_dir,
        archive_name: &archive_name,
        generated_at_ms: state.clock.now_ms(),
    };
    let outcome = export::build(state.db.pool(), &job).await?;
    Ok(BuiltArchive {
        request_id: id.to_string(),
        account_id: account_id.to_string(),
        file_path: format!("{EXPORTS_DIR}/{archive_name}"),
        outcome,
        erasures_before,
    })
}

/// Registers `built` for download, unless the subject's erasure began meanwhile: checked in
/// the same transaction that records it ([`subject_lock::erasure_began`]), so an erased
/// person's archive is never downloadable. A discarded archive's file is deleted.
///
/// Errors: the database's; a discarded file that cannot be removed.
pub async fn register_archive(
    state: &AppState,
    built: &BuiltArchive,
) -> Result<Registered, AppError> {
    let now = state.clock.now_ms();
    // The subject's own completed erasure first: it discards the archive for good rather
    // than asking for another build (one begun and not finished is found by the check in
    // the registering transaction).
    if heepr_compliance::erasure::is_erased(state.db.pool(), &built.account_id).await? {
        discard(state, built, "the data subject's erasure began").await?;
        return Ok(Registered::Discarded);
    }
    let erasures = {
        let mut conn = state.db.pool().acquire().await?;
        ErasuresInFlight::read(&mut conn).await?
    };
    if erasures.completed_since(&built.erasures_before) {
        discard(
            state,
            built,
            "another person's erasure completed while it was built",
        )
        .await?;
        return Ok(Registered::BuildAgain { after_ms: 0 });
    }
    let path = state.settings.data_dir.join(&built.file_path);
    let named = erasures
        .named_in_archive(&path, &built.account_id)
        .map_err(|e| AppError::Internal(e.into()))?;
    if !named.is_empty() {
        let details =
            json!({"reason": "it names a person whose erasure is running", "held_for": named});
        discard_with(state, built, details).await?;
        return Ok(Registered::BuildAgain {
            after_ms: HELD_FOR_ERASURE_MS,
        });
    }
    let mut tx = state.db.begin_write().await?;
    if subject_lock::erasure_began(&mut tx, &built.account_id).await? {
        tx.rollback().await?;
        discard(state, built, "the data subject's erasure began").await?;
        return Ok(Registered::Discarded);
    }
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM dsr_requests WHERE id = $1")
            .bind(&built.request_id)
            .fetch_optional(&mut *tx)
            .await?;
    let status = status
        .as_deref()
        .map(super::requests::parse_stored::<RequestStatus>)
        .transpose()?;
    if status != Some(RequestStatus::InProgress) {
        tx.rollback().await?;
        discard(
            state,
            built,
            "the request was rejected or paused while it was built",
        )
        .await?;
        return Ok(Registered::NotWanted);
    }
    // An erasure that began or ended since the search above: search and build again.
    if !ErasuresInFlight::read(&mut tx)
        .await?
        .unchanged_since(&erasures)
    {
        tx.rollback().await?;
        discard(
            state,
            built,
            "an erasure began or ended while it was checked",
        )
        .await?;
        return Ok(Registered::BuildAgain { after_ms: 0 });
    }
    let outcome = &built.outcome;
    sqlx::query("DELETE FROM export_archives WHERE request_id = $1")
        .bind(&built.request_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO export_archives (id, request_id, account_id, file_path, size_bytes, sha256, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(&built.request_id)
    .bind(&built.account_id)
    .bind(&built.file_path)
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
        Some(&built.account_id),
        Some(&built.request_id),
        AuditOutcome::Ok,
        json!({"size_bytes": outcome.size_bytes, "sha256": outcome.sha256, "sections": outcome.sections,
               "files": outcome.files, "missing_files": outcome.missing_files}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Registered::Registered)
}

/// Leaves request `id` in progress with its job asked to run again `after_ms` from now
/// (the worker runs no job before its `job_requested_at`).
///
/// Errors: the database's.
/// Whether request `id`'s last archive was held back for an erasure that is still running:
/// its latest `export.discard` audit entry names accounts (`held_for`) of which one is still
/// being erased. Building again before that erasure ends would only be held back again, so
/// a long erasure costs one archive, not one a minute.
///
/// Errors: the database's.
async fn still_held(state: &AppState, id: &str) -> Result<bool, AppError> {
    let details: Option<String> = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE request_id = $1 AND action = $2 ORDER BY seq DESC LIMIT 1",
    )
    .bind(id)
    .bind(AuditAction::ExportDiscard.text().as_ref())
    .fetch_optional(state.db.pool())
    .await?;
    let held_for: Vec<String> = details
        .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
        .and_then(|d| serde_json::from_value(d["held_for"].clone()).ok())
        .unwrap_or_default();
    if held_for.is_empty() {
        return Ok(false);
    }
    let mut conn = state.db.pool().acquire().await?;
    let running = ErasuresInFlight::read(&mut conn).await?;
    Ok(held_for.iter().any(|a| running.is_running(a)))
}

async fn run_again_after(state: &AppState, id: &str, after_ms: i64) -> Result<(), AppError> {
    let at = state.clock.now_ms().saturating_add(after_ms);
    let mut tx = state.db.begin_write().await?;
    sqlx::query("UPDATE dsr_requests SET job_requested_at = $1 WHERE id = $2 AND status = $3")
        .bind(at)
        .bind(id)
        .bind(RequestStatus::InProgress.as_str())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes an archive that may not be published, and audits why.
async fn discard(state: &AppState, built: &BuiltArchive, why: &str) -> Result<(), AppError> {
    discard_with(state, built, json!({"reason": why})).await
}

/// [`discard`] with the audit entry's `details` (`reason`, and `held_for`: the account ids
/// whose running erasure the archive named, read back by [`still_held`]).
async fn discard_with(
    state: &AppState,
    built: &BuiltArchive,
    details: serde_json::Value,
) -> Result<(), AppError> {
    remove_if_present(&state.settings.data_dir.join(&built.file_path))?;
    let mut tx = state.db.begin_write().await?;
    audit(
        &mut tx,
        &SYSTEM,
        AuditAction::ExportDiscard,
        Some(&built.account_id),
        Some(&built.request_id),
        AuditOutcome::Discarded,
        details,
        state.clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes `path`; a file already gone is fine.
///
/// Errors: any other I/O failure (named by path, which holds no personal data: ids only).
fn remove_if_present(path: &Path) -> Result<(), AppError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(AppError::Internal(anyhow::anyhow!(
            "{}: {e}",
            path.display()
        ))),
    }
}

/// One file of the exports directory: a finished archive (`<request id>.tar.gz`) or a
/// half-written one (`.<request id>.tar.gz.partial`, its `.section` scratch file).
struct ExportFile {
    path: std::path::PathBuf,
    request_id: String,
    partial: bool,
}

/// Every file of `DATA_DIR/exports` with the request it belongs to (none when the
/// directory was never made).
///
/// Errors: the directory cannot be listed.
fn export_files(state: &AppState) -> Result<Vec<ExportFile>, AppError> {
    let dir = state.settings.data_dir.join(EXPORTS_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "{}: {e}",
                dir.display()
            )));
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| AppError::Internal(anyhow::anyhow!("{}: {e}", dir.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let partial = name.starts_with('.');
        // Request ids hold no dots: the id is the name up to its first one.
        let request_id = name
            .trim_start_matches('.')
            .split('.')
            .next()
            .unwrap_or_default();
        if request_id.is_empty() || !entry.path().is_file() {
            continue;
        }
        files.push(ExportFile {
            path: entry.path(),
            request_id: request_id.to_string(),
            partial,
        });
    }
    Ok(files)
}

/// The data subject of request `id`, if there is such a request.
async fn request_owner(state: &AppState, id: &str) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT account_id FROM dsr_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(state.db.pool())
            .await?,
    )
}

/// At start-up: deletes every file of the exports directory that is not a registered,
/// live archive: half-written archives of a killed export, and finished ones that were
/// never registered (a crash between rename and registration). Each subject's files are
/// removed under its lock, so a running export elsewhere is left alone (its subject is
/// locked: skipped). Returns how many files went.
///
/// Errors: the database's; the directory cannot be listed or a file removed.
pub async fn clean_export_dir(state: &AppState, holder: &str) -> Result<usize, AppError> {
    let mut removed = 0;
    for file in export_files(state)? {
        let Some(account) = request_owner(state, &file.request_id).await? else {
            // No request: nothing can ever register it.
            remove_if_present(&file.path)?;
            removed += 1;
            continue;
        };
        let Some(lock) =
            subject_lock::take(&state.db, &account, holder, state.clock.now_ms()).await?
        else {
            continue;
        };
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM export_archives WHERE request_id = $1 AND deleted_at IS NULL",
        )
        .bind(&file.request_id)
        .fetch_one(state.db.pool())
        .await?;
        if file.partial || live == 0 {
            remove_if_present(&file.path)?;
            removed += 1;
        }
        lock.release().await?;
    }
    Ok(removed)
}

/// Before an erasure, under the subject's lock: deletes every file of the exports directory
/// that belongs to one of `account_id`'s requests, finished or half-written (registered
/// archives' rows go with the erasure's own pass over `export_archives`). Returns how many.
///
/// Errors: the database's; the directory cannot be listed or a file removed.
pub async fn remove_subject_export_files(
    state: &AppState,
    account_id: &str,
) -> Result<usize, AppError> {
    let mut removed = 0;
    for file in export_files(state)? {
        if request_owner(state, &file.request_id).await?.as_deref() == Some(account_id) {
            remove_if_present(&file.path)?;
            removed += 1;
        }
    }
    Ok(removed)
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
    remove_if_present(&state.settings.data_dir.join(Path::new(file_path)))?;
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
