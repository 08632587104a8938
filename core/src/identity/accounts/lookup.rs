//! Small reads of one account that other parts need: whether it exists, its password hash.

use sqlx::AnyPool;

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

/// The id of the account (in any status) with `email`, compared as sign-up stores emails
/// (trimmed, lower case).
///
/// Errors: 422 `email` for a malformed email; the database's.
pub async fn id_by_email(
    pool: &AnyPool,
    email: &str,
) -> Result<Option<String>, crate::platform::error::AppError> {
    let email = super::validate::email(email)?;
    let id = sqlx::query_scalar("SELECT id FROM accounts WHERE email = $1")
        .bind(&email)
        .fetch_optional(pool)
        .await?;
    Ok(id)
}
