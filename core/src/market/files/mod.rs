//! Uploaded files: briefs (with an order or in a chat), chat attachments and deliverables.
//!
//! - Stored on disk under `DATA_DIR/files/<first 2 hex>/<sha256>` by content hash, outside
//!   any web root; the same bytes are stored once. Streamed to a staging file while hashed
//!   and sniffed ([`staging`]), moved into the store before the transaction recording it,
//!   and served streamed: memory stays flat whatever the size.
//! - The original name is checked ([`sanitise_name`]: no path or control characters) and
//!   kept only as metadata; it never becomes a path.
//! - The MIME type is sniffed from the bytes (`infer`), never taken from the client.
//! - Served only to the parties of the order or thread (the uploader alone for unattached
//!   uploads), always as an attachment with a safe `Content-Disposition` ([`disposition`]).
//! - Limit per file: `Settings::upload_limit_bytes` (default 25 MiB); empty files are refused.
//!
//! May use `platform` only; orders and chats attach files through it.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::platform::db::fetch_for_ids;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::rfc3339;
use crate::platform::tokens::new_id;
use crate::platform::unicode;

/// Longest kept file name (characters).
const MAX_NAME_CHARS: usize = 200;
/// Most files one request may carry.
pub const MAX_FILES_PER_REQUEST: usize = 10;

heepr_compliance::stored_state! {
    /// Why a file was uploaded (`files.purpose`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Purpose: "file purpose" {
        /// The customer's brief (order form answer or attached to the order).
        Brief = "brief",
        /// The agent's delivery.
        Deliverable = "deliverable",
        /// Attached in a chat.
        Attachment = "attachment",
    }
}

/// Where a file belongs.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Not attached yet: only the uploader can see it (until an order form answer names it).
    Unattached,
    /// An order (its customer, owner and agent can see it).
    Order(&'a str),
    /// A pre-sale thread (its customer and the agent's owner can see it).
    Thread(&'a str),
}

pub mod staging;

/// One file received in a request (streamed to the staging directory), before storing.
#[derive(Debug)]
pub struct Upload {
    /// The sanitised original name.
    pub name: String,
    /// The received bytes, their hash and type.
    pub staged: staging::Staged,
}

/// An upload moved into the content store, ready to be recorded by [`record`].
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a>(&'a Upload);

/// A file as the parties see it.
#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    /// File id (download: `GET /api/v1/files/{id}`).
    pub id: String,
    /// Sanitised original name.
    pub name: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Sniffed MIME type.
    pub mime_type: String,
    /// `brief`, `deliverable` or `attachment`.
    pub purpose: String,
    /// Uploaded (RFC 3339).
    pub created_at: String,
}

/// Checks an uploaded file's name and returns the name to keep.
///
/// Errors: 422 on `file_name` for an empty name, `/` or `\` (path characters), `.` or `..`,
/// or what the one name rule refuses (`platform::unicode::name`: control, bidirectional
/// control and zero-width characters; the name kept is in NFC).
pub fn sanitise_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::invalid("file_name", "every file needs a name"));
    }
    if name.contains('/') || name.contains('\\') || name == "." || name == ".." {
        return Err(AppError::invalid(
            "file_name",
            format!("{name:?}: file names must not contain path characters (/ or \\)"),
        ));
    }
    unicode::name("file_name", &shortened(name), MAX_NAME_CHARS)
}

/// `name` cut to [`MAX_NAME_CHARS`] characters, keeping its extension (up to 16 characters
/// after the last dot), so a long name stays a `.pdf`.
fn shortened(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= MAX_NAME_CHARS {
        return name.to_string();
    }
    let ext_len = chars
        .iter()
        .rposition(|&c| c == '.')
        .map(|dot| chars.len() - dot)
        .filter(|&n| n <= 17)
        .unwrap_or(0);
    let stem: String = chars[..MAX_NAME_CHARS - ext_len].iter().collect();
    let ext: String = chars[chars.len() - ext_len..].iter().collect();
    format!("{stem}{ext}")
}

/// Checks an upload's size against the limit. Errors: 422 on `file` for empty or oversized.
pub fn check_size(state: &AppState, name: &str, size: u64) -> Result<(), AppError> {
    if size == 0 {
        return Err(AppError::invalid("file", format!("{name:?} is empty")));
    }
    if size > state.settings.upload_limit_bytes {
        return Err(AppError::invalid(
            "file",
            format!(
                "{name:?} is larger than the limit of {} bytes per file",
                state.settings.upload_limit_bytes
            ),
        ));
    }
    Ok(())
}

/// The MIME type of `bytes`, sniffed: a known signature, else `text/plain` for UTF-8 text,
/// else `application/octet-stream`.
pub fn sniff(bytes: &[u8]) -> &'static str {
    match infer::get(bytes) {
        Some(kind) => kind.mime_type(),
        None if std::str::from_utf8(bytes).is_ok() => "text/plain",
        None => "application/octet-stream",
    }
}

/// Where the bytes with SHA-256 `sha` (hex) are stored, relative to the data dir:
/// `files/<first 2 hex>/<sha>`. Recorded in `files.stored_path` (the data map's `file`
/// column, so export and erasure find the bytes).
pub fn stored_path(sha: &str) -> String {
    // Erasure writes redacted copies into the same store: one layout, defined there.
    heepr_compliance::erasure::content_path(sha)
}

fn blob_path(state: &AppState, sha: &str) -> PathBuf {
    state.settings.data_dir.join(stored_path(sha))
}

/// Moves `uploads` into the content store (each content once). Call before the write
/// transaction that records them: file I/O never runs inside one.
///
/// Errors: 500 when the data dir cannot be written.
pub async fn store<'a>(
    state: &AppState,
    uploads: &'a [Upload],
) -> Result<Vec<Stored<'a>>, AppError> {
    let mut stored = Vec::with_capacity(uploads.len());
    for upload in uploads {
        upload.staged.store(&state.settings.data_dir).await?;
        stored.push(Stored(upload));
    }
    Ok(stored)
}

/// Records the `stored` uploads for `uploader_id` in `tx` (rows only: [`store`] moved the
/// bytes into the content store before).
///
/// Errors: the database's.
pub async fn record(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    uploader_id: &str,
    target: Target<'_>,
    purpose: Purpose,
    stored: &[Stored<'_>],
) -> Result<Vec<FileView>, AppError> {
    let now = state.clock.now_ms();
    let place = match target {
        Target::Unattached => None,
        Target::Order(o) => Some(crate::market::party_erasure::Place::Order(o)),
        Target::Thread(t) => Some(crate::market::party_erasure::Place::Thread(t)),
    };
    if let Some(place) = place {
        crate::market::party_erasure::refuse_while_erasing(&mut **tx, place).await?;
    }
    let mut out = Vec::new();
    for Stored(upload) in stored {
        let sha = &upload.staged.sha256;
        let size = i64::try_from(upload.staged.size).unwrap_or(i64::MAX);
        let id = new_id();
        let mime = upload.staged.mime;
        let (order_id, thread_id) = match target {
            Target::Unattached => (None, None),
            Target::Order(o) => (Some(o), None),
            Target::Thread(t) => (None, Some(t)),
        };
        sqlx::query(
            "INSERT INTO files (id, uploader_id, order_id, thread_id, purpose, content_sha256, stored_path, size_bytes, mime_type, original_name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(uploader_id)
        .bind(order_id)
        .bind(thread_id)
        .bind(purpose.as_str())
        .bind(sha)
        .bind(stored_path(sha))
        .bind(size)
        .bind(mime)
        .bind(&upload.name)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        out.push(FileView {
            id,
            name: upload.name.clone(),
            size_bytes: size,
            mime_type: mime.to_owned(),
            purpose: purpose.as_str().to_owned(),
            created_at: rfc3339(now),
        });
    }
    Ok(out)
}

/// Attaches the customer's unattached upload `file_id` to order `order_id` as a brief.
///
/// Errors: 422 on `answers` when the file is not the customer's or is already attached.
pub async fn attach_brief(
    tx: &mut Transaction<'static, Any>,
    file_id: &str,
    customer_id: &str,
    order_id: &str,
) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE files SET order_id = $1, purpose = $4 WHERE id = $2 AND uploader_id = $3 AND order_id IS NULL AND thread_id IS NULL",
    )
    .bind(order_id)
    .bind(file_id)
    .bind(customer_id)
    .bind(Purpose::Brief.as_str())
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::invalid(
            "answers",
            format!("file {file_id:?} is not a file you uploaded for this order"),
        ));
    }
    Ok(())
}

fn view_from_row(r: &sqlx::any::AnyRow) -> Result<FileView, sqlx::Error> {
    Ok(FileView {
        id: r.try_get("id")?,
        name: r.try_get("original_name")?,
        size_bytes: r.try_get("size_bytes")?,
        mime_type: r.try_get("mime_type")?,
        purpose: r.try_get("purpose")?,
        created_at: rfc3339(r.try_get("created_at")?),
    })
}

const FILE_COLUMNS: &str = "id, original_name, size_bytes, mime_type, purpose, created_at";

/// The files of each of `order_ids` (oldest first within an order; orders without files
/// are absent), in one query per
/// [`IN_LIST_CHUNK`](crate::platform::db::IN_LIST_CHUNK) orders however many there are.
///
/// Errors: the database's.
pub async fn for_orders(
    pool: &sqlx::AnyPool,
    order_ids: &[&str],
) -> Result<HashMap<String, Vec<FileView>>, AppError> {
    let rows = fetch_for_ids(pool, order_ids, |list| {
        format!(
            "SELECT order_id, {FILE_COLUMNS} FROM files WHERE order_id IN ({list}) ORDER BY created_at, id"
        )
    })
    .await?;
    let mut out: HashMap<String, Vec<FileView>> = HashMap::new();
    for row in &rows {
        let order_id: String = row.try_get("order_id")?;
        out.entry(order_id).or_default().push(view_from_row(row)?);
    }
    Ok(out)
}

/// The files of pre-sale thread `thread_id`, oldest first.
pub async fn for_thread(state: &AppState, thread_id: &str) -> Result<Vec<FileView>, AppError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {FILE_COLUMNS} FROM files WHERE thread_id = $1 ORDER BY created_at, id"
    )))
    .bind(thread_id)
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows.iter().map(view_from_row).collect::<Result<_, _>>()?)
}

/// Who asks for a file.
#[derive(Debug, Clone, Copy)]
pub enum Reader<'a> {
    /// A signed-in person (account id).
    Person(&'a str),
    /// An agent through its key (agent id).
    Agent(&'a str),
}

/// A file ready to send.
#[derive(Debug)]
pub struct Download {
    /// Sanitised original name.
    pub name: String,
    /// Sniffed MIME type.
    pub mime_type: String,
    /// The stored file, opened for reading.
    pub file: tokio::fs::File,
    /// Its size in bytes.
    pub size: u64,
}

/// File `id` if `reader` may see it: a party of its order or thread, or its uploader.
///
/// Errors: 404 for anyone else (and for unknown ids).
pub async fn download(
    state: &AppState,
    id: &str,
    reader: Reader<'_>,
) -> Result<Download, AppError> {
    let row = sqlx::query(
        "SELECT f.uploader_id, f.original_name, f.mime_type, f.content_sha256, \
         oc.customer_id AS order_customer, og.owner_id AS order_owner, og.id AS order_agent, \
         t.customer_id AS thread_customer, tg.owner_id AS thread_owner, tg.id AS thread_agent \
         FROM files f \
         LEFT JOIN orders oc ON oc.id = f.order_id LEFT JOIN agents og ON og.id = oc.agent_id \
         LEFT JOIN presale_threads t ON t.id = f.thread_id LEFT JOIN agents tg ON tg.id = t.agent_id \
         WHERE f.id = $1",
    )
    .bind(id)
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(AppError::NotFound("file"))?;
    let col = |name: &str| row.try_get::<Option<String>, _>(name);
    let allowed = match reader {
        Reader::Person(account) => [
            col("uploader_id")?,
            col("order_customer")?,
            col("order_owner")?,
            col("thread_customer")?,
            col("thread_owner")?,
        ]
        .iter()
        .any(|c| c.as_deref() == Some(account)),
        Reader::Agent(agent) => [col("order_agent")?, col("thread_agent")?]
            .iter()
            .any(|c| c.as_deref() == Some(agent)),
    };
    if !allowed {
        return Err(AppError::NotFound("file"));
    }
    let sha: String = row.try_get("content_sha256")?;
    let unreadable =
        |e: std::io::Error| AppError::Internal(anyhow::anyhow!("reading stored file {id}: {e}"));
    let file = match tokio::fs::File::open(blob_path(state, &sha)).await {
        Ok(file) => file,
        // The record outlived its bytes: a backup restored after an erasure or a
        // retention sweep deleted them. Gone for good, not a server fault.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(file_id = %id, "a file record whose content is no longer stored");
            return Err(AppError::Gone(
                "this file's content is no longer stored: it was deleted (for example by an erasure or a retention rule)".into(),
            ));
        }
        Err(e) => return Err(unreadable(e)),
    };
    let size = file.metadata().await.map_err(unreadable)?.len();
    Ok(Download {
        name: row.try_get("original_name")?,
        mime_type: row.try_get("mime_type")?,
        file,
        size,
    })
}

/// A `Content-Disposition` that always downloads and cannot be abused: an ASCII fallback
/// name with anything outside `A-Za-z0-9._-` and space replaced, plus the exact name
/// percent-encoded in `filename*` (RFC 6266).
pub fn disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~') {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_paths_or_controls_are_refused() {
        assert!(sanitise_name("../etc/passwd").is_err());
        assert!(sanitise_name("a\\b.txt").is_err());
        assert!(sanitise_name("bad\u{0}.txt").is_err());
        assert!(sanitise_name("new\nline.txt").is_err());
        assert!(sanitise_name("  ").is_err());
        assert_eq!(
            sanitise_name(" brief v2.pdf ").ok().as_deref(),
            Some("brief v2.pdf")
        );
        // Line separators and invisible characters a fresh tester got through.
        for hidden in [
            "\u{2028}",
            "\u{2029}",
            "\u{AD}",
            "\u{180E}",
            "\u{34F}",
            "\u{3164}",
            "\u{206A}",
            "\u{FFF9}",
            "\u{E0041}",
        ] {
            assert!(
                sanitise_name(&format!("a{hidden}b.txt")).is_err(),
                "{hidden:?}"
            );
        }
        // Emoji keep their variation selector.
        assert!(sanitise_name("heart \u{2764}\u{FE0F}.png").is_ok());
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.pdf", "x".repeat(1000));
        let kept = sanitise_name(&long).unwrap_or_default();
        assert_eq!(kept.chars().count(), MAX_NAME_CHARS);
        assert!(kept.ends_with("xx.pdf"), "{kept}");
        let no_ext = "y".repeat(300);
        assert_eq!(
            sanitise_name(&no_ext).unwrap_or_default().chars().count(),
            MAX_NAME_CHARS
        );
    }

    #[test]
    fn disposition_is_quoted_safely() {
        let d = disposition("rés\"umé;x.pdf");
        assert!(
            d.starts_with("attachment; filename=\"r_s_um__x.pdf\""),
            "{d}"
        );
        assert!(
            d.contains("filename*=UTF-8''r%C3%A9s%22um%C3%A9%3Bx.pdf"),
            "{d}"
        );
    }

    #[test]
    fn sniffs_png_and_text() {
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
        assert_eq!(sniff(&png), "image/png");
        assert_eq!(sniff(b"hello"), "text/plain");
        assert_eq!(sniff(&[0xff, 0xfe, 0x00, 0x81]), "application/octet-stream");
    }
}
