//! The erased person's pseudonym and redaction with it. The pseudonym is random (the OS's
//! generator), never derived from the email or id, and stored in `pseudonyms` so every run
//! and every retained record uses the same one. The erasure ledger carries it too, so an
//! erasure replayed after a restore ([`keep_pseudonym`]) writes the same one again.

use rand::Rng;
use sqlx::AnyConnection;

use super::job::ErasureError;

/// The person's pseudonym, created on first use: "Former member " + 4 random hex digits
/// (6 after repeated collisions), unique across people. Runs on `conn`, so the erasure's
/// first transaction draws it together with writing it over the account row.
pub(super) async fn pseudonym_for(
    conn: &mut AnyConnection,
    account_id: &str,
    now_ms: i64,
) -> Result<String, ErasureError> {
    for attempt in 0..40 {
        if let Some(p) = sqlx::query_scalar::<_, String>(
            "SELECT pseudonym FROM pseudonyms WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?
        {
            return Ok(p);
        }
        let digits = if attempt < 20 { 2 } else { 3 };
        let mut bytes = vec![0u8; digits];
        rand::rng().fill(bytes.as_mut_slice());
        let candidate = format!("Former member {}", hex::encode_upper(bytes));
        let inserted = sqlx::query(
            "INSERT INTO pseudonyms (account_id, pseudonym, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(account_id)
        .bind(&candidate)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(candidate);
        }
    }
    Err(ErasureError::Policy(
        "could not draw a unique pseudonym".into(),
    ))
}

/// Records `pseudonym` as `account_id`'s before an erasure is replayed after a restore (it
/// comes from the erasure ledger), so the replay writes the pseudonym the retained records
/// had before the restore instead of drawing a new one. Does nothing when the account
/// already has one or another account holds that pseudonym (the replay then draws one).
///
/// Errors: the database's.
pub async fn keep_pseudonym(
    pool: &sqlx::AnyPool,
    account_id: &str,
    pseudonym: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO pseudonyms (account_id, pseudonym, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(account_id)
    .bind(pseudonym)
    .bind(now_ms)
    .execute(pool)
    .await?;
    Ok(())
}
