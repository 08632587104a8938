//! A deleted account's address earns no second sign-up bonus (issue 14 §1; policy: data kept
//! "for a reasonable period after closure for fraud prevention"). Erasure records a keyed
//! hash of the account's normalised address ([`record`]: HMAC-SHA256 under the server's
//! `platform::fraud_key`, never the address), and so does a verified account changing its
//! address, for the address it leaves (else: change it, delete, and sign up again with the
//! first address); verifying a new account's address checks it
//! ([`closed_recently`]) and credits no bonus on a match. The hash is linked to no account
//! and the `closed_addresses` retention rule (365 days) deletes it; a match is also refused
//! past that period if the sweep has not run yet.

use sqlx::Any;

use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// The retention rule whose period bounds how long a closed address counts.
pub const RULE: &str = "closed_addresses";

/// Records that the account with matching key `email_key` (`accounts.email_normalized`)
/// was closed at `now` (Unix ms); a second closure of the same address moves the time on.
///
/// Errors: the database's.
pub async fn record<'e, E>(
    executor: E,
    state: &AppState,
    email_key: &str,
    now: i64,
) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO closed_addresses (address_hmac, closed_at) VALUES ($1, $2) \
         ON CONFLICT (address_hmac) DO UPDATE SET closed_at = excluded.closed_at",
    )
    .bind(state.settings.fraud_key.mac(email_key))
    .bind(now)
    .execute(executor)
    .await?;
    Ok(())
}

/// Whether an account with matching key `email_key` was closed within the rule's period
/// before `now`.
///
/// Errors: the database's.
pub async fn closed_recently<'e, E>(
    executor: E,
    state: &AppState,
    email_key: &str,
    now: i64,
) -> Result<bool, AppError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let since = state
        .policies
        .retention
        .rules
        .get(RULE)
        .and_then(|rule| rule.cutoff_ms(now))
        .unwrap_or(i64::MIN);
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT closed_at FROM closed_addresses WHERE address_hmac = $1 AND closed_at >= $2",
    )
    .bind(state.settings.fraud_key.mac(email_key))
    .bind(since)
    .fetch_optional(executor)
    .await?;
    Ok(found.is_some())
}
