//! Signed-in sessions (policy: "a session cookie that keeps you signed in"; "Sessions are
//! bound to an HttpOnly cookie").
//!
//! The cookie carries a 256-bit random token; the database keeps only its SHA-256. A session
//! ends at logout, when its owner ends it, after the idle timeout, after the absolute timeout,
//! and (all but the current one) when the password changes.

use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::platform::client::ClientInfo;
use crate::platform::deferred_writes::Deferred;
use crate::platform::error::AppError;
use crate::platform::settings::Settings;
use crate::platform::state::AppState;
use crate::platform::time::rfc3339;
use crate::platform::tokens::{hash_secret, new_id, new_secret};

/// Last-seen times are written at most this often per session (ms), so that reading pages
/// does not turn every request into a write.
const LAST_SEEN_GRANULARITY_MS: i64 = 60_000;

/// The session cookie's name: `__Host-heepr_session` over https (the prefix makes browsers
/// insist on `Secure`, `Path=/` and no `Domain`), `heepr_session` otherwise.
pub fn cookie_name(settings: &Settings) -> &'static str {
    if settings.is_https() {
        "__Host-heepr_session"
    } else {
        "heepr_session"
    }
}

/// The cookie that carries `token`: HttpOnly, SameSite=Lax, Path=/, Secure over https,
/// persistent for the session's absolute lifetime.
pub fn session_cookie(settings: &Settings, token: String) -> Cookie<'static> {
    Cookie::build((cookie_name(settings), token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(settings.is_https())
        .max_age(cookie_max_age(settings.session_absolute_ms))
        .build()
}

/// A cookie that makes the browser drop the session cookie.
pub fn removal_cookie(settings: &Settings) -> Cookie<'static> {
    let mut cookie = session_cookie(settings, String::new());
    cookie.make_removal();
    cookie
}

fn cookie_max_age(ms: i64) -> cookie::time::Duration {
    cookie::time::Duration::milliseconds(ms)
}

/// A session just created; `token` goes into the cookie and is never stored.
#[derive(Debug)]
pub struct NewSession {
    /// The session's id (shown in the session list).
    pub id: String,
    /// The secret cookie value.
    pub token: String,
    /// Absolute expiry (Unix ms).
    pub expires_at: i64,
}

/// Creates a session for `account_id` inside `tx`.
pub async fn create(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    account_id: &str,
    client: &ClientInfo,
) -> Result<NewSession, AppError> {
    let now = state.clock.now_ms();
    let token = new_secret();
    let session = NewSession {
        id: new_id(),
        expires_at: now.saturating_add(state.settings.session_absolute_ms),
        token,
    };
    sqlx::query(
        "INSERT INTO sessions (id, account_id, token_hash, created_at, last_seen_at, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
    )
    .bind(&session.id)
    .bind(account_id)
    .bind(hash_secret(&session.token))
    .bind(now)
    .bind(session.expires_at)
    .bind(client.ip.to_string())
    .bind(client.user_agent.clone())
    .execute(&mut **tx)
    .await?;
    Ok(session)
}

/// The signed-in person behind a valid session.
#[derive(Debug, Clone)]
pub struct SessionUser {
    /// The session's id.
    pub session_id: String,
    /// The account's id.
    pub account_id: String,
    /// The account's (normalised) email.
    pub email: String,
    /// The account's display name.
    pub display_name: String,
}

/// The session a cookie `token` belongs to, if it is still valid: one read through the
/// unique index on `token_hash` (joined to the account by its key). Nothing is written on
/// the request's path: an expired session (idle or absolute) is queued for deletion and a
/// new last-seen time is queued ([`crate::platform::deferred_writes`]), so signed-in page
/// views never wait for the database's writer.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Option<SessionUser>, AppError> {
    let now = state.clock.now_ms();
    let row = sqlx::query(
        "SELECT s.id, s.account_id, s.last_seen_at, s.expires_at, a.email, a.display_name \
         FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_hash = $1 AND a.status = $2",
    )
    .bind(hash_secret(token))
    .bind(crate::identity::account_status::AccountStatus::Active.as_str())
    .fetch_optional(state.db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let session_id: String = row.try_get("id")?;
    let last_seen: i64 = row.try_get("last_seen_at")?;
    let expires_at: i64 = row.try_get("expires_at")?;
    if now >= expires_at || now >= last_seen.saturating_add(state.settings.session_idle_ms) {
        state.deferred.push(Deferred::SessionExpired { session_id });
        return Ok(None);
    }
    if now - last_seen >= LAST_SEEN_GRANULARITY_MS {
        state.deferred.push(Deferred::SessionSeen {
            session_id: session_id.clone(),
            at_ms: now,
        });
    }
    Ok(Some(SessionUser {
        session_id,
        account_id: row.try_get("account_id")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
    }))
}

/// Writes queued last-seen times (session id, Unix ms) inside `tx`; a session ended in the
/// meantime is simply not found. Returns how many sessions changed.
///
/// Errors: the database's.
pub async fn record_seen(
    tx: &mut Transaction<'static, Any>,
    seen: &[(String, i64)],
) -> Result<u64, sqlx::Error> {
    crate::platform::db::set_times_by_id(tx, "sessions", "last_seen_at", seen).await
}

/// Deletes sessions found expired (ids) inside `tx`. Returns how many went.
///
/// Errors: the database's.
pub async fn delete_expired(
    tx: &mut Transaction<'static, Any>,
    ids: &[String],
) -> Result<u64, sqlx::Error> {
    crate::platform::db::delete_by_ids(tx, "sessions", ids).await
}

/// One of the account's sessions, as its owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionSummary {
    /// Session id.
    pub id: String,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// When it was last used (RFC 3339, UTC, to the minute).
    pub last_seen_at: String,
    /// When it ends at the latest (RFC 3339, UTC).
    pub expires_at: String,
    /// IP it was created from.
    pub ip: Option<String>,
    /// Browser it was created from.
    pub user_agent: Option<String>,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// The account's live sessions, newest first.
pub async fn list(state: &AppState, user: &SessionUser) -> Result<Vec<SessionSummary>, AppError> {
    let now = state.clock.now_ms();
    let rows = sqlx::query(
        "SELECT id, created_at, last_seen_at, expires_at, ip, user_agent FROM sessions \
         WHERE account_id = $1 AND expires_at > $2 AND last_seen_at > $3 ORDER BY created_at DESC, id DESC",
    )
    .bind(&user.account_id)
    .bind(now)
    .bind(now - state.settings.session_idle_ms)
    .fetch_all(state.db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            Ok(SessionSummary {
                current: id == user.session_id,
                id,
                created_at: rfc3339(row.try_get("created_at")?),
                last_seen_at: rfc3339(row.try_get("last_seen_at")?),
                expires_at: rfc3339(row.try_get("expires_at")?),
                ip: row.try_get("ip")?,
                user_agent: row.try_get("user_agent")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Ends the account's session `session_id`.
///
/// Errors: [`AppError::NotFound`] when no such session belongs to `account_id` (another
/// person's session id is indistinguishable from a made-up one).
pub async fn end(state: &AppState, account_id: &str, session_id: &str) -> Result<(), AppError> {
    let done = sqlx::query("DELETE FROM sessions WHERE id = $1 AND account_id = $2")
        .bind(session_id)
        .bind(account_id)
        .execute(state.db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("session"));
    }
    Ok(())
}

/// Ends every session of `account_id` except `keep_session_id`; returns how many ended.
pub async fn end_others(
    tx: &mut Transaction<'static, Any>,
    account_id: &str,
    keep_session_id: &str,
) -> Result<u64, AppError> {
    let done = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id <> $2")
        .bind(account_id)
        .bind(keep_session_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}
