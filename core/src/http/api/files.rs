//! Uploads and downloads (session).
//!
//! - `POST /api/v1/files` (multipart `file` parts) → unattached uploads for order form answers
//! - `POST /api/v1/orders/{id}/files`, `POST /api/v1/threads/{id}/files` → attach to an order
//!   or pre-sale thread (parties only)
//! - `GET /api/v1/files/{id}` → the bytes, for parties only, as an attachment
//!
//! Upload routes lift axum's 2 MB body limit and enforce the per-file limit themselves while
//! reading, so an oversized file is refused before it is all in memory.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::http::extract::{ApiMultipart, CurrentUser};
use crate::market::chats::presale;
use crate::market::files::{self, Download, FileView, Purpose, Reader, Target, Upload};
use crate::market::orders::{self, Actor};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/files", post(upload_unattached))
        .route("/api/v1/files/{id}", get(download))
        .route("/api/v1/orders/{id}/files", post(upload_to_order))
        .route("/api/v1/threads/{id}/files", post(upload_to_thread))
        .layer(DefaultBodyLimit::disable())
}

/// Longest text field of a multipart form (bytes).
const MAX_TEXT_FIELD: usize = 10_000;
/// Most text fields one multipart form may carry (with the per-file limit and
/// [`files::MAX_FILES_PER_REQUEST`], this bounds what one request can make the server hold).
const MAX_TEXT_FIELDS: usize = 50;

/// A multipart body read: its files (checked names and sizes) and text fields.
#[derive(Debug, Default)]
pub struct Parts {
    /// Parts with a file name.
    pub files: Vec<Upload>,
    /// The form field name of each of `files`, in the same order.
    pub file_fields: Vec<String>,
    /// Parts without one, by field name.
    pub text: HashMap<String, String>,
}

/// Reads a multipart body.
///
/// Errors: 400 for a malformed body; 408 when the client sends nothing for
/// `Settings::upload_idle_timeout`; 422 on `file_name` for path or control characters, on
/// `file` for an empty file, one over the limit, or more than 10 files; 422 on `body` for
/// more than 50 text fields or one over 10,000 bytes.
pub async fn read_parts(state: &AppState, mut multipart: Multipart) -> Result<Parts, AppError> {
    let malformed = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("malformed multipart body: {}", e.body_text()))
    };
    let mut parts = Parts::default();
    // A client that stops sending is refused after the idle timeout (408): a stalled body
    // would otherwise hold its connection and staging file for as long as it likes.
    let idle = state.settings.upload_idle_timeout;
    let stalled = || {
        AppError::RequestTimeout(format!(
            "the upload sent nothing for {} s: send the whole body without pausing",
            idle.as_secs()
        ))
    };
    while let Some(mut field) = tokio::time::timeout(idle, multipart.next_field())
        .await
        .map_err(|_| stalled())?
        .map_err(malformed)?
    {
        let field_name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            // A browser's file input left empty: no name, no bytes.
            Some(raw) if raw.is_empty() => {
                while field.chunk().await.map_err(malformed)?.is_some() {}
            }
            Some(raw) => {
                let name = files::sanitise_name(&raw)?;
                if parts.files.len() >= files::MAX_FILES_PER_REQUEST {
                    return Err(AppError::invalid(
                        "file",
                        format!("at most {} files per request", files::MAX_FILES_PER_REQUEST),
                    ));
                }
                // Streamed to a staging file: memory stays flat whatever the size, and a
                // refused or broken upload deletes its partial file (the stager's drop).
                let mut stager = files::staging::Stager::start(state).await?;
                while let Some(chunk) = tokio::time::timeout(idle, field.chunk())
                    .await
                    .map_err(|_| stalled())?
                    .map_err(malformed)?
                {
                    stager.write(&chunk).await?;
                    if stager.size() > state.settings.upload_limit_bytes {
                        files::check_size(state, &name, stager.size())?;
                    }
                }
                files::check_size(state, &name, stager.size())?;
                let staged = stager.finish().await?;
                parts.files.push(Upload { name, staged });
                parts.file_fields.push(field_name);
            }
            None => {
                if parts.text.len() >= MAX_TEXT_FIELDS {
                    return Err(AppError::invalid(
                        "body",
                        format!("at most {MAX_TEXT_FIELDS} form fields per request"),
                    ));
                }
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > MAX_TEXT_FIELD {
                        return Err(AppError::invalid(
                            "body",
                            format!("field {field_name:?} is longer than {MAX_TEXT_FIELD} bytes"),
                        ));
                    }
                }
                let text = String::from_utf8(bytes).map_err(|_| {
                    AppError::invalid("body", format!("field {field_name:?} is not UTF-8 text"))
                })?;
                parts.text.insert(field_name, text);
            }
        }
    }
    Ok(parts)
}

/// Like [`read_parts`], requiring at least one file.
pub async fn read_files(state: &AppState, multipart: Multipart) -> Result<Parts, AppError> {
    let parts = read_parts(state, multipart).await?;
    if parts.files.is_empty() {
        return Err(AppError::invalid(
            "file",
            "attach at least one file (multipart part with a filename)",
        ));
    }
    Ok(parts)
}

/// Records `uploads` by `uploader` for `target` in one write transaction.
async fn record(
    state: &AppState,
    uploader: &str,
    target: Target<'_>,
    purpose: Purpose,
    uploads: &[Upload],
) -> Result<Vec<FileView>, AppError> {
    let stored = files::store(state, uploads).await?;
    let mut tx = state.db.begin_write().await?;
    let views = files::record(&mut tx, state, uploader, target, purpose, &stored).await?;
    tx.commit().await?;
    Ok(views)
}

fn created(views: Vec<FileView>) -> (StatusCode, Json<Value>) {
    (StatusCode::CREATED, Json(json!({"files": views})))
}

/// Stores the files of `multipart` on order `id` for `account_id`, a party to it (the API
/// and the order page alike): the customer's are briefs, the owner's attachments.
///
/// Errors: 404 unless a party; 409 `order_closed` once the order has ended (completed,
/// cancelled or refunded: its record is final); 422 without a file; those of
/// [`read_files`] and storing.
pub async fn attach_to_order(
    state: &AppState,
    account_id: &str,
    id: &str,
    multipart: Multipart,
) -> Result<Vec<FileView>, AppError> {
    let (order, actor) = orders::load_for_person(state.db.pool(), id, account_id).await?;
    if order.status.is_terminal() {
        return Err(AppError::Conflict {
            code: "order_closed",
            message: format!(
                "this order is {}: files can no longer be added",
                order.status.as_str()
            ),
        });
    }
    let parts = read_files(state, multipart).await?;
    let purpose = if matches!(actor, Actor::Customer(_)) {
        Purpose::Brief
    } else {
        Purpose::Attachment
    };
    record(state, account_id, Target::Order(id), purpose, &parts.files).await
}

/// Stores the files of `multipart` on pre-sale thread `id` for `account_id`, a party to it.
///
/// Errors: 404 unless a party; 422 without a file; those of [`read_files`] and storing.
pub async fn attach_to_thread(
    state: &AppState,
    account_id: &str,
    id: &str,
    multipart: Multipart,
) -> Result<Vec<FileView>, AppError> {
    presale::load_for_person(state, id, account_id).await?;
    let parts = read_files(state, multipart).await?;
    let target = Target::Thread(id);
    record(state, account_id, target, Purpose::Attachment, &parts.files).await
}

async fn upload_unattached(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiMultipart(multipart): ApiMultipart,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let parts = read_files(&state, multipart).await?;
    let (uploader, target) = (&user.account_id, Target::Unattached);
    Ok(created(
        record(&state, uploader, target, Purpose::Brief, &parts.files).await?,
    ))
}

async fn upload_to_order(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    ApiMultipart(multipart): ApiMultipart,
) -> Result<(StatusCode, Json<Value>), AppError> {
    Ok(created(
        attach_to_order(&state, &user.account_id, &id, multipart).await?,
    ))
}

async fn upload_to_thread(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    ApiMultipart(multipart): ApiMultipart,
) -> Result<(StatusCode, Json<Value>), AppError> {
    Ok(created(
        attach_to_thread(&state, &user.account_id, &id, multipart).await?,
    ))
}

/// Types a download keeps: ones a browser shows without running anything. Every other
/// sniffed type (HTML, SVG, XML, scripts, executables, ...) is sent as
/// `application/octet-stream`, so even a browser that ignored `Content-Disposition` would
/// only save the bytes.
pub const SAFE_DOWNLOAD_TYPES: &[&str] = &[
    "text/plain",
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "application/zip",
    "application/gzip",
    "audio/mpeg",
    "audio/ogg",
    "video/mp4",
    "video/webm",
];

/// The `Content-Type` a download of a file sniffed as `mime_type` is sent with.
pub fn download_type(mime_type: &str) -> String {
    match mime_type {
        "text/plain" => "text/plain; charset=utf-8".to_owned(),
        t if SAFE_DOWNLOAD_TYPES.contains(&t) => t.to_owned(),
        _ => "application/octet-stream".to_owned(),
    }
}

/// Bytes read from a download's file per chunk of the response body.
const DOWNLOAD_CHUNK: usize = 64 * 1024;

/// The file's bytes as a stream of chunks, so a download holds one chunk in memory.
fn read_chunks(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = std::io::Result<axum::body::Bytes>> {
    futures_util::stream::unfold(Some(file), |file| async move {
        use tokio::io::AsyncReadExt;
        let mut file = file?;
        let mut buf = vec![0; DOWNLOAD_CHUNK];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(axum::body::Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}

/// A download response: attachment, sniffed type from the allow-list ([`download_type`]),
/// `nosniff`, and a sandboxing CSP.
pub fn send_file(file: Download) -> Response {
    let content_type = download_type(&file.mime_type);
    let mut response = axum::body::Body::from_stream(read_chunks(file.file)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    let value = |s: String| {
        HeaderValue::from_str(&s).unwrap_or(HeaderValue::from_static("application/octet-stream"))
    };
    headers.insert(header::CONTENT_TYPE, value(content_type));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&files::disposition(&file.name))
            .unwrap_or(HeaderValue::from_static("attachment")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

async fn download(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let file = files::download(&state, &id, Reader::Person(&user.account_id)).await?;
    Ok(send_file(file))
}
