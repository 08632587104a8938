//! Logging in: throttled per account and per IP, constant-time with respect to whether the
//! email exists, and always a fresh session token (no session fixation).

use serde::Deserialize;
use sqlx::Row;

use super::validate;
use crate::identity::sessions::{self, NewSession, SessionUser};
use crate::platform::client::ClientInfo;
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// What a person submits to log in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Email address (case is ignored).
    pub email: String,
    /// Password.
    pub password: String,
}

/// Checks the credentials and opens a session.
///
/// Errors: 422 for a malformed field; 429 when the account or the IP made too many
/// attempts; 401 `bad_credentials` for an unknown email or a wrong password alike.
pub async fn log_in(
    state: &AppState,
    request: &LoginRequest,
    client: &ClientInfo,
) -> Result<(NewSession, SessionUser), AppError> {
    let email = validate::email(&request.email)?;
    validate::password_length("password", &request.password)?;
    state.throttle.check(&email, client.ip)?;
    let row = sqlx::query(
        "SELECT id, display_name, password_hash FROM accounts WHERE email = $1 AND status = $2",
    )
    .bind(&email)
    .bind(super::AccountStatus::Active.as_str())
    .fetch_optional(state.db.pool())
    .await?;
    let hash: Option<String> = match &row {
        Some(r) => r.try_get("password_hash")?,
        None => None,
    };
    let ok = state
        .passwords
        .verify(&request.password, hash.as_deref())
        .await?;
    let Some(row) = row.filter(|_| ok) else {
        return Err(AppError::BadCredentials);
    };
    let account_id: String = row.try_get("id")?;
    let mut tx = state.db.begin_write().await?;
    let session = sessions::create(&mut tx, state, &account_id, client).await?;
    tx.commit().await?;
    let user = SessionUser {
        session_id: session.id.clone(),
        account_id,
        email,
        display_name: row.try_get("display_name")?,
    };
    Ok((session, user))
}
