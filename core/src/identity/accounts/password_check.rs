//! Asking a signed-in person for their password again (password change, linking a sign-in
//! provider, deleting the account): every such check goes through the same throttle as
//! logging in, so none of them is an unthrottled way to guess the password.

use std::net::IpAddr;

use super::{lookup, validate};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Whether `password` is the password of `account_id` (whose stored email is `email`),
/// counted against the login throttle for `ip`. An account without a password (created
/// through a sign-in provider) never matches.
///
/// Errors: 422 on `field` for an empty or over-long password; 429
/// ([`AppError::TooManyRequests`]) when this client made too many attempts.
pub async fn password_matches(
    state: &AppState,
    account_id: &str,
    email: &str,
    field: &'static str,
    password: &str,
    ip: IpAddr,
) -> Result<bool, AppError> {
    validate::password_length(field, password)?;
    state
        .throttle
        .check(&validate::email_key(email), ip)
        .await?;
    let hash = lookup::password_hash(state.db.pool(), account_id).await?;
    Ok(state.passwords.verify(password, hash.as_deref()).await?)
}
