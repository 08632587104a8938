//! Filling `accounts.email_normalized`, the matching key look-alike emails share
//! (`validate::email_address`), for accounts written before the key existed. The migration
//! only adds the column: NFC, case folding and IDNA are not SQL, and two old accounts may
//! already have look-alike emails, which must not stop the upgrade.
//!
//! Guarantees:
//! - older accounts (smaller UUIDv7 id) get the key first; an account whose key another
//!   account already has keeps an empty key and is reported as a [`Collision`], for staff
//!   to resolve (rectify one address, or erase a duplicate): until then its email finds
//!   the older account;
//! - bounded batches, one short statement per account, `updated_at` untouched (the key is
//!   derived, not a change of the person's data);
//! - idempotent: run at every start and by `heepr migrate`, which prints the collisions.

use heepr_compliance::Db;
use sqlx::Row;

use super::{AccountStatus, validate};
use crate::platform::error::is_unique_violation;

/// Accounts read per batch.
const BATCH: i64 = 500;

/// An active account left without a key because an older one has the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    /// The account left without a key.
    pub account_id: String,
    /// The account that has the key.
    pub same_as: String,
}

/// Gives every active account without a key its key; returns the accounts that could not
/// get theirs.
///
/// Errors: the database's.
pub async fn backfill(db: &Db) -> Result<Vec<Collision>, sqlx::Error> {
    let mut collisions = Vec::new();
    let mut after = String::new();
    loop {
        let rows = sqlx::query(
            "SELECT id, email FROM accounts WHERE email_normalized IS NULL AND status = $1 AND id > $2 \
             ORDER BY id LIMIT $3",
        )
        .bind(AccountStatus::Active.as_str())
        .bind(&after)
        .bind(BATCH)
        .fetch_all(db.pool())
        .await?;
        for row in &rows {
            let id: String = row.try_get("id")?;
            let email: String = row.try_get("email")?;
            if let Some(same_as) = fill(db, &id, &validate::email_key(&email)).await? {
                collisions.push(Collision {
                    account_id: id.clone(),
                    same_as,
                });
            }
            after = id;
        }
        if i64::try_from(rows.len()).unwrap_or(BATCH) < BATCH {
            return Ok(collisions);
        }
    }
}

/// Sets `key` on `id` unless another account has it; returns that account if so.
async fn fill(db: &Db, id: &str, key: &str) -> Result<Option<String>, sqlx::Error> {
    let holder = || async {
        sqlx::query_scalar::<_, String>("SELECT id FROM accounts WHERE email_normalized = $1")
            .bind(key)
            .fetch_optional(db.pool())
            .await
    };
    if let Some(other) = holder().await? {
        return Ok(Some(other));
    }
    let set = sqlx::query(
        "UPDATE accounts SET email_normalized = $1 WHERE id = $2 AND email_normalized IS NULL",
    )
    .bind(key)
    .bind(id)
    .execute(db.pool())
    .await;
    match set {
        // Another server filled the same key in between.
        Err(e) if is_unique_violation(&e, "accounts_email_normalized_key") => holder().await,
        Err(e) => Err(e),
        Ok(_) => Ok(None),
    }
}
