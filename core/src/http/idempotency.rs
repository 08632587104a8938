//! `Idempotency-Key` on the JSON API's writes, after the IETF httpapi idempotency-key draft:
//! one layer ([`honour`]) on every route that creates or moves something, so an agent runner
//! or a script whose connection dropped can send the same request again without the order,
//! delivery, message or offer happening twice. Documented in `docs/bearer-api.md` and
//! `docs/openapi.json`.
//!
//! What a `POST` with the header gets (the store is `platform::idempotency`):
//! - The key is 1 to 255 printable ASCII characters (the draft's quoted form `"..."` is the
//!   same key unquoted); anything else is 400 `idempotency_key_invalid`.
//! - Keys are per caller: the signed-in account, or the agent behind a bearer key. A request
//!   the layer cannot tie to a caller passes through untouched (the route answers 401).
//! - The first request with a key reserves it (a committed `running` row) before the route
//!   runs, then runs in a task of its own, so a dropped connection does not cut the action
//!   short: it finishes and its answer (status, body, `content-type`, `location`) is stored,
//!   whatever the status, errors included.
//! - A retry with the same method, path and body (a multipart body's boundary does not
//!   count: clients draw a new one for each attempt) within 24 hours (retention rule
//!   `idempotency_keys`) gets the stored answer with `Idempotent-Replayed: true`, and
//!   nothing runs again. Another request with the key is 422 `idempotency_key_reused`.
//! - While the first request runs, a retry is 409 `idempotency_key_in_use`. When the first
//!   request ended without a stored answer (the server stopped mid-request), a retry is 409
//!   `idempotency_key_interrupted`: its action may or may not have happened, so the caller
//!   looks at the resource and uses a new key; nothing is ever run twice on a guess.
//! - When the first request's body never arrived whole (the client went away mid-upload),
//!   the route saw an incomplete request and did nothing: the key is freed for the retry.

use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::task::Poll;

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::identity::api_keys::{self, KeyHolder};
use crate::identity::sessions;
use crate::platform::error::{AppError, error_response};
use crate::platform::idempotency::{self, Caller, Claim, StoredAnswer};
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;

/// The request header naming the key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The header a replayed answer carries (`true`).
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// Longest key accepted (characters).
pub const MAX_KEY_CHARS: usize = 255;

/// Most answer bytes stored (the API's answers are far smaller).
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// Most bytes of a first request's body read after the route stopped reading it, to hash it
/// whole; a larger remainder leaves the answer unstored (the key is freed).
const MAX_UNREAD_BYTES: u64 = 64 * 1024 * 1024;

/// This server process: a running key of another process was cut short by its end.
static INSTANCE: LazyLock<String> = LazyLock::new(new_id);

/// This process's instance id, as stored with the keys it is serving (tests reserve a key
/// "as this server" with it).
pub fn instance() -> &'static str {
    &INSTANCE
}

/// The layer: honours `Idempotency-Key` on `POST`s of the routes it wraps (see the module
/// doc); every other request passes through.
pub async fn honour(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match keyed(state, request, next).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn keyed(state: AppState, request: Request, next: Next) -> Result<Response, Refusal> {
    if request.method() != axum::http::Method::POST {
        return Ok(next.run(request).await);
    }
    let Some(key) = presented_key(request.headers())? else {
        return Ok(next.run(request).await);
    };
    let holder = caller_of(&state, request.headers()).await?;
    let caller = match &holder {
        Some(Holder::Account(id)) => Caller::Account(id),
        Some(Holder::Agent(agent)) => Caller::Agent {
            agent_id: &agent.agent_id,
            owner_id: &agent.owner_id,
        },
        None => return Ok(next.run(request).await),
    };
    let claim =
        idempotency::claim(&state, &caller.key_hash(&key), caller.subject(), &INSTANCE).await?;
    let (parts, body) = request.into_parts();
    let fingerprint = Fingerprint::new(&parts);
    match claim {
        Claim::Reserved(id) => {
            // Its own task: a dropped connection drops this future, not the action.
            let first = tokio::spawn(guarded(state, id, parts, body, fingerprint, next));
            first.await.map_err(|error| {
                Refusal::App(AppError::Internal(anyhow::anyhow!(
                    "the task serving a keyed request failed: {error}"
                )))
            })
        }
        Claim::Running => Err(Refusal::App(AppError::Conflict {
            code: "idempotency_key_in_use",
            message: "a request with this Idempotency-Key is still being served: retry once it has been answered".into(),
        })),
        Claim::Interrupted => Err(Refusal::App(AppError::Conflict {
            code: "idempotency_key_interrupted",
            message: "the first request with this Idempotency-Key was cut short before its answer was stored, so it may or may not have taken effect: check the resource, then send a new key".into(),
        })),
        Claim::Done(answer) => replay(answer, fingerprint, body).await,
    }
}

/// Why the layer answers itself instead of the route.
enum Refusal {
    /// 400: the header's syntax.
    BadKey(String),
    /// 422: the key came with another request.
    Reused,
    /// Any other error (409s, 500).
    App(AppError),
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Refusal::App(error)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::BadKey(message) => error_response(
                StatusCode::BAD_REQUEST,
                "idempotency_key_invalid",
                message,
            ),
            Refusal::Reused => error_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request (method, path or body): send a new key for a new request".into(),
            ),
            Refusal::App(error) => error.into_response(),
        }
    }
}

/// The key of `headers`, if one was sent. Errors: 400 for more than one header, or a key
/// that is not 1 to 255 printable ASCII characters.
fn presented_key(headers: &HeaderMap) -> Result<Option<String>, Refusal> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Refusal::BadKey(
            "send one Idempotency-Key header, not several".into(),
        ));
    }
    let text = value.to_str().unwrap_or("\u{0}");
    let key = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    if key.is_empty()
        || key.len() > MAX_KEY_CHARS
        || !key.bytes().all(|b| (b' '..=b'~').contains(&b))
    {
        return Err(Refusal::BadKey(format!(
            "Idempotency-Key must be 1 to {MAX_KEY_CHARS} printable ASCII characters"
        )));
    }
    Ok(Some(key.to_owned()))
}

/// Who is calling, owned so the borrowed [`Caller`] can point into it.
enum Holder {
    Account(String),
    Agent(KeyHolder),
}

/// The caller a request's credentials name (a bearer key first, else the session cookie),
/// `None` when they name nobody (the route itself answers 401).
async fn caller_of(state: &AppState, headers: &HeaderMap) -> Result<Option<Holder>, AppError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let Some(key) = bearer {
        return match api_keys::authenticate(state, key).await {
            Ok(agent) => Ok(Some(Holder::Agent(agent))),
            Err(AppError::Unauthenticated) => Ok(None),
            Err(other) => Err(other),
        };
    }
    let jar = CookieJar::from_headers(headers);
    let Some(cookie) = jar.get(sessions::cookie_name(&state.settings)) else {
        return Ok(None);
    };
    let user = sessions::authenticate(state, cookie.value()).await?;
    Ok(user.map(|u| Holder::Account(u.account_id)))
}

/// [`first_request`], and when it panics the key is marked interrupted (its action may have
/// happened) and the answer is a 500. Runs detached from the connection, so this holds even
/// when the client has gone.
async fn guarded(
    state: AppState,
    id: String,
    parts: Parts,
    body: Body,
    fingerprint: Fingerprint,
    next: Next,
) -> Response {
    let served = tokio::spawn(first_request(
        state.clone(),
        id.clone(),
        parts,
        body,
        fingerprint,
        next,
    ));
    match served.await {
        Ok(response) => response,
        Err(panic) => {
            tracing::error!(error = %panic, "a request holding an idempotency key ended abruptly");
            mark_interrupted(&state, &id).await;
            AppError::Internal(anyhow::anyhow!("the request ended abruptly")).into_response()
        }
    }
}

/// Marks row `id` interrupted; a failure is only logged (the key then stays running until
/// it is swept, which refuses retries just the same).
async fn mark_interrupted(state: &AppState, id: &str) {
    if let Err(error) = idempotency::interrupt(state, id).await {
        tracing::error!(error = %error, "marking an idempotency key interrupted");
    }
}

/// Serves the request that reserved row `id` and stores its answer.
async fn first_request(
    state: AppState,
    id: String,
    parts: Parts,
    body: Body,
    fingerprint: Fingerprint,
    next: Next,
) -> Response {
    let tee = Tee::new(body, fingerprint);
    let response = next.run(Request::from_parts(parts, tee.body())).await;
    let Some((fingerprint, body_bytes)) = tee.finish().await else {
        if let Err(error) = idempotency::release(&state, &id).await {
            tracing::error!(error = %error, "freeing an idempotency key");
        }
        return response;
    };
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_ANSWER_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(error = %error, "reading an answer to store for an idempotency key");
            mark_interrupted(&state, &id).await;
            return AppError::Internal(anyhow::anyhow!("the answer could not be read"))
                .into_response();
        }
    };
    let answer = StoredAnswer {
        fingerprint,
        body_bytes,
        status: parts.status.as_u16(),
        headers: [header::CONTENT_TYPE, header::LOCATION]
            .iter()
            .filter_map(|name| {
                let value = parts.headers.get(name)?.to_str().ok()?;
                Some((name.as_str().to_owned(), value.to_owned()))
            })
            .collect(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    if let Err(error) = idempotency::complete(&state, &id, &answer).await {
        tracing::error!(error = %error, "storing the answer of an idempotency key");
        mark_interrupted(&state, &id).await;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The stored `answer`, when `body` (with the request's method and path) is the first
/// request's; otherwise 422.
async fn replay(
    answer: StoredAnswer,
    mut fingerprint: Fingerprint,
    body: Body,
) -> Result<Response, Refusal> {
    let limit = u64::try_from(answer.body_bytes).unwrap_or(0);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            Refusal::App(AppError::BadRequest("the request body ended early".into()))
        })?;
        fingerprint.feed(&chunk);
        if fingerprint.bytes > limit {
            return Err(Refusal::Reused);
        }
    }
    if fingerprint.finish() != answer.fingerprint {
        return Err(Refusal::Reused);
    }
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            headers.insert(name, value);
        }
    }
    headers.insert(
        HeaderName::from_static(IDEMPOTENT_REPLAYED),
        HeaderValue::from_static("true"),
    );
    Ok(response)
}

/// SHA-256 of a request's method, path and body, read as it streams by. In a multipart
/// body every occurrence of the boundary is replaced by one fixed marker, since a client
/// draws a new boundary for each attempt of the same form.
struct Fingerprint {
    hasher: Sha256,
    boundary: Option<Vec<u8>>,
    /// Bytes held back because they may start a boundary.
    carry: Vec<u8>,
    /// Body bytes seen.
    bytes: u64,
}

impl Fingerprint {
    fn new(parts: &Parts) -> Fingerprint {
        let mut hasher = Sha256::new();
        hasher.update(parts.method.as_str().as_bytes());
        hasher.update(b"\n");
        hasher.update(parts.uri.path().as_bytes());
        hasher.update(b"\n");
        let boundary = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(multipart_boundary);
        Fingerprint {
            hasher,
            boundary,
            carry: Vec::new(),
            bytes: 0,
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        let Some(boundary) = &self.boundary else {
            self.hasher.update(chunk);
            return;
        };
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(chunk);
        let (mut i, mut start) = (0, 0);
        while i + boundary.len() <= buf.len() {
            if buf[i..].starts_with(boundary) {
                self.hasher.update(&buf[start..i]);
                self.hasher.update(b"\0boundary\0");
                i += boundary.len();
                start = i;
            } else {
                i += 1;
            }
        }
        self.hasher.update(&buf[start..i]);
        self.carry = buf.split_off(i);
    }

    fn finish(mut self) -> String {
        self.hasher.update(&self.carry);
        hex::encode(self.hasher.finalize())
    }
}

/// The boundary a `multipart/...` content type names, if any.
fn multipart_boundary(content_type: &str) -> Option<Vec<u8>> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().to_ascii_lowercase().starts_with("multipart/") {
        return None;
    }
    params
        .split(';')
        .find_map(|param| {
            let (name, value) = param.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("boundary")
                .then(|| value.trim().trim_matches('"').as_bytes().to_vec())
        })
        .filter(|b| !b.is_empty())
}

/// A first request's body handed to the route while its fingerprint is taken.
struct Tee {
    shared: Arc<Mutex<TeeState>>,
}

struct TeeState {
    stream: BodyDataStream,
    fingerprint: Option<Fingerprint>,
    ended: bool,
    failed: bool,
}

impl Tee {
    fn new(body: Body, fingerprint: Fingerprint) -> Tee {
        Tee {
            shared: Arc::new(Mutex::new(TeeState {
                stream: body.into_data_stream(),
                fingerprint: Some(fingerprint),
                ended: false,
                failed: false,
            })),
        }
    }

    /// The body the route reads.
    fn body(&self) -> Body {
        let shared = Arc::clone(&self.shared);
        Body::from_stream(futures_util::stream::poll_fn(move |cx| {
            let mut tee = shared.lock().unwrap_or_else(PoisonError::into_inner);
            let polled = tee.stream.poll_next_unpin(cx);
            match &polled {
                Poll::Ready(Some(Ok(chunk))) => {
                    if let Some(f) = tee.fingerprint.as_mut() {
                        f.feed(chunk);
                    }
                }
                Poll::Ready(Some(Err(_))) => tee.failed = true,
                Poll::Ready(None) => tee.ended = true,
                Poll::Pending => {}
            }
            polled
        }))
    }

    /// The fingerprint and size of the whole body, reading what the route left unread;
    /// `None` when the body never arrived whole (or is too long to finish reading).
    async fn finish(self) -> Option<(String, i64)> {
        let (mut stream, mut fingerprint) = {
            let mut tee = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            if tee.failed {
                return None;
            }
            let stream = std::mem::replace(&mut tee.stream, Body::empty().into_data_stream());
            let ended = tee.ended;
            let fingerprint = tee.fingerprint.take()?;
            if ended {
                let bytes = i64::try_from(fingerprint.bytes).ok()?;
                return Some((fingerprint.finish(), bytes));
            }
            (stream, fingerprint)
        };
        let limit = fingerprint.bytes + MAX_UNREAD_BYTES;
        while let Some(chunk) = stream.next().await {
            let chunk: Bytes = chunk.ok()?;
            fingerprint.feed(&chunk);
            if fingerprint.bytes > limit {
                return None;
            }
        }
        let bytes = i64::try_from(fingerprint.bytes).ok()?;
        Some((fingerprint.finish(), bytes))
    }
}
