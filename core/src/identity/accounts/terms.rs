//! Accepting the terms of service (`policies/terms.toml`, which makes the acceptable use
//! policy part of them). Creating an account, with a password or through a sign-in
//! provider, requires accepting the version in force; the acceptance (version, time) is a
//! row of `terms_acceptances`, written in the account's own transaction, so no account
//! exists without the record of what it agreed to. The data map exports the rows with the
//! consents and deletes them with the account.

use serde::Serialize;
use sqlx::Row;

use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::rfc3339;
use crate::platform::tokens::new_id;

/// The field (API JSON and page form) that accepts the terms.
pub const ACCEPT_TERMS_FIELD: &str = "accept_terms";

/// Refusal message when the terms were not accepted.
pub const TERMS_REQUIRED_MESSAGE: &str =
    "accept the terms of service and the acceptable use policy to create an account";

/// The version label of the terms in force today.
///
/// Errors: 500 when `terms.toml` has no version (start-up validation makes that impossible).
pub fn current_version(state: &AppState) -> Result<String, AppError> {
    state
        .policies
        .terms
        .current()
        .map(|v| v.version.clone())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("terms.toml has no version")))
}

/// The version a sign-up accepts: the one in force when `accepted`.
///
/// Errors: 422 `accept_terms` when not accepted.
pub fn required(state: &AppState, accepted: bool) -> Result<String, AppError> {
    if !accepted {
        return Err(AppError::invalid(
            ACCEPT_TERMS_FIELD,
            TERMS_REQUIRED_MESSAGE,
        ));
    }
    current_version(state)
}

/// Inside `tx`: records that `account_id` accepted terms `version` at `now` (Unix ms).
///
/// Errors: database failures.
pub async fn record(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    account_id: &str,
    version: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO terms_acceptances (id, account_id, version, accepted_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(new_id())
    .bind(account_id)
    .bind(version)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One accepted version.
#[derive(Debug, Clone, Serialize)]
pub struct Acceptance {
    /// Version label from `terms.toml`.
    pub version: String,
    /// When (RFC 3339, UTC).
    pub accepted_at: String,
}

/// Every acceptance of `account_id`, oldest first.
///
/// Errors: database failures.
pub async fn history(state: &AppState, account_id: &str) -> Result<Vec<Acceptance>, AppError> {
    let rows = sqlx::query(
        "SELECT version, accepted_at FROM terms_acceptances WHERE account_id = $1 ORDER BY accepted_at, id",
    )
    .bind(account_id)
    .fetch_all(state.db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Acceptance {
                version: r.try_get("version")?,
                accepted_at: rfc3339(r.try_get("accepted_at")?),
            })
        })
        .collect()
}
