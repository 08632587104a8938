//! Staff notes on a request: what was checked, a phone call, why a decision was taken. A
//! note is kept with the request (exported, redacted on erasure, swept with the request's
//! records) and is never edited: the request's record says how it was answered.

use heepr_compliance::audit::{AuditAction, AuditActor, AuditOutcome};
use serde_json::json;
use sqlx::{AnyPool, FromRow};

use super::{audit, get};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;

/// Longest note (characters).
pub const MAX_NOTE_CHARS: usize = 4_000;

/// A note on a request (a `dsr_notes` row, read by column name).
#[derive(Debug, Clone, FromRow)]
pub struct Note {
    /// Note id.
    pub id: String,
    /// The request it is on.
    pub request_id: String,
    /// Who wrote it (`staff:<id>`).
    pub author: String,
    /// What it says.
    pub body: String,
    /// When (Unix ms).
    pub created_at: i64,
}

/// Adds a note saying `text` to request `request_id`, by `actor` (audited without the
/// text, which may name people).
///
/// Errors: 404 for an unknown request; 422 `text` for an empty or over-long note; the
/// database's.
pub async fn add(
    state: &AppState,
    request_id: &str,
    text: &str,
    actor: &AuditActor,
) -> Result<Note, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::invalid("text", "write the note"));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::invalid(
            "text",
            format!("a note has at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    let now = state.clock.now_ms();
    let dsr = get(state.db.pool(), request_id, now).await?;
    let note = Note {
        id: new_id(),
        request_id: dsr.id,
        author: actor.as_str().to_owned(),
        body: text.to_owned(),
        created_at: now,
    };
    let mut tx = state.db.begin_write().await?;
    sqlx::query(
        "INSERT INTO dsr_notes (id, request_id, account_id, author, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&note.id)
    .bind(&note.request_id)
    .bind(&dsr.account_id)
    .bind(&note.author)
    .bind(&note.body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        actor,
        AuditAction::DsrNote,
        Some(&dsr.account_id),
        Some(&note.request_id),
        AuditOutcome::Ok,
        json!({"note_id": note.id, "chars": note.body.chars().count()}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(note)
}

/// The notes on request `request_id`, oldest first.
///
/// Errors: the database's.
pub async fn list(pool: &AnyPool, request_id: &str) -> Result<Vec<Note>, AppError> {
    let notes = sqlx::query_as(
        "SELECT id, request_id, author, body, created_at FROM dsr_notes \
         WHERE request_id = $1 ORDER BY created_at, id",
    )
    .bind(request_id)
    .fetch_all(pool)
    .await?;
    Ok(notes)
}
