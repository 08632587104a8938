//! Accounts of customers and agent owners: signing up, logging in, changing the password,
//! setting a new one from a mailed link ([`password_reset`]), correcting the display name ([`rename`]) and the email address ([`email_change`]),
//! accepting the terms ([`terms`]), verifying the email address ([`verification`]), and what an account looks like to its owner
//! ([`lookup`]: whether one exists, its hash, its id by email).
//!
//! May use `platform`, `ledger` (the sign-up bonus) and `identity::sessions` (a login opens
//! one).

pub mod closed_addresses;
pub mod email_change;
pub mod email_keys;
pub mod login;
pub mod lookup;
pub mod password_change;
pub mod password_check;
pub mod password_reset;
pub mod rename;
pub mod signup;
pub mod terms;
pub mod validate;
pub mod verification;

use serde::Serialize;
use sqlx::Row;

pub use crate::identity::account_status::AccountStatus;
use crate::ledger;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::rfc3339;

/// An account as its owner sees it (`GET /api/v1/me`).
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// Account id (UUIDv7).
    pub id: String,
    /// Name shown to other people.
    pub display_name: String,
    /// Sign-in email, normalised to lower case.
    pub email: String,
    /// Whether the email address is verified (the sign-up bonus and ordering wait for it).
    pub email_verified: bool,
    /// Current points balance.
    pub points_balance: i64,
    /// When the account was created (RFC 3339, UTC).
    pub created_at: String,
}

/// The profile of `account_id`.
///
/// Errors: [`AppError::NotFound`] when there is no such active account.
pub async fn profile(state: &AppState, account_id: &str) -> Result<Profile, AppError> {
    let row = sqlx::query(
        "SELECT id, display_name, email, email_verified_at, created_at FROM accounts WHERE id = $1 AND status = $2",
    )
    .bind(account_id)
    .bind(AccountStatus::Active.as_str())
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(AppError::NotFound("account"))?;
    Ok(Profile {
        id: row.try_get("id")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        email_verified: row
            .try_get::<Option<i64>, _>("email_verified_at")?
            .is_some(),
        points_balance: ledger::balance(state.db.pool(), account_id).await?,
        created_at: rfc3339(row.try_get("created_at")?),
    })
}
