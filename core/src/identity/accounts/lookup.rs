//! Small reads of one account that other parts need: whether it exists, its password hash,
//! which active account an email belongs to.

use sqlx::{Any, AnyPool, Executor};

use super::AccountStatus;

/// Whether an account with id `account_id` exists (in any status).
///
/// Errors: the database's.
pub async fn exists(pool: &AnyPool, account_id: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_one(pool)
        .await?;
    Ok(n > 0)
}

/// The account's password hash; `None` for an unknown account or one that signs in only
/// through a provider.
///
/// Errors: the database's.
pub async fn password_hash(
    pool: &AnyPool,
    account_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let hash: Option<Option<String>> =
        sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(pool)
            .await?;
    Ok(hash.flatten())
}

/// The active account whose email has the matching key `key` (from
/// `validate::email_address`): its `id`, `email`, `display_name` and `password_hash`. A row
/// whose key is not filled yet (written before keys existed, before `email_keys::backfill`
/// ran) matches on its stored address.
///
/// Errors: the database's.
pub async fn active_by_email_key<'e, E>(
    executor: E,
    key: &str,
) -> Result<Option<sqlx::any::AnyRow>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "SELECT id, email, display_name, password_hash FROM accounts \
         WHERE (email_normalized = $1 OR (email_normalized IS NULL AND email = $1)) AND status = $2 \
         ORDER BY CASE WHEN email_normalized IS NULL THEN 1 ELSE 0 END LIMIT 1",
    )
    .bind(key)
    .bind(AccountStatus::Active.as_str())
    .fetch_optional(executor)
    .await
}

/// The id of the account (in any status) with `email`, compared on the matching key as
/// sign-up and login do (a look-alike address finds the same account).
///
/// Errors: 422 `email` for a malformed email; the database's.
pub async fn id_by_email(
    pool: &AnyPool,
    email: &str,
) -> Result<Option<String>, crate::platform::error::AppError> {
    let email = super::validate::email_address(email)?;
    let id = sqlx::query_scalar(
        "SELECT id FROM accounts WHERE email_normalized = $1 OR (email_normalized IS NULL AND email = $2) LIMIT 1",
    )
    .bind(&email.key)
    .bind(&email.address)
    .fetch_optional(pool)
    .await?;
    Ok(id)
}
