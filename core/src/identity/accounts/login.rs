//! Logging in: throttled per (account, client) and per client, slowed per account (see
//! `platform::throttle`), constant-time with respect to whether the
//! email exists, and always a fresh session token (no session fixation).

use serde::Deserialize;
use sqlx::Row;

use super::{lookup, validate};
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
/// Errors: 422 for a malformed field; 429 when this client made too many attempts on this
/// account or on any (other clients' failures never refuse it, they only slow it); 401 `bad_credentials` for an unknown email or a wrong password alike.
pub async fn log_in(
    state: &AppState,
    request: &LoginRequest,
    client: &ClientInfo,
) -> Result<(NewSession, SessionUser), AppError> {
    let email = validate::email_address(&request.email)?;
    validate::password_length("password", &request.password)?;
    state.throttle.check(&email.key, client.ip).await?;
    let row = lookup::active_by_email_key(state.db.pool(), &email.key).await?;
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
    // The hash was checked outside the transaction (Argon2 takes a while): a reset or change
    // that committed meanwhile ended every session, so none may open on the old password.
    let unchanged: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM accounts WHERE id = $1 AND password_hash = $2 AND status = $3",
    )
    .bind(&account_id)
    .bind(hash.as_deref())
    .bind(super::AccountStatus::Active.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    if unchanged.is_none() {
        return Err(AppError::BadCredentials);
    }
    let session = sessions::create(&mut tx, state, &account_id, client).await?;
    tx.commit().await?;
    let user = SessionUser {
        session_id: session.id.clone(),
        account_id,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
    };
    Ok((session, user))
}
