//! Database leases: at most one holder runs a named job at a time, across processes and
//! servers. A lease expires on its own, so a crashed holder never blocks the job for good.

use crate::base::db::Db;

/// Tries to take (or renew) the lease `name` for `holder` until `until_ms` (Unix ms).
/// Succeeds when the lease is free, expired at `now_ms`, or already ours.
///
/// Errors: database failures only; a lease held by someone else is `Ok(false)`.
pub async fn acquire(
    db: &Db,
    name: &str,
    holder: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = $2, expires_at = $3 \
         WHERE job_leases.expires_at < $4 OR job_leases.holder = $2",
    )
    .bind(name)
    .bind(holder)
    .bind(until_ms)
    .bind(now_ms)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease back if `holder` still has it.
pub async fn release(db: &Db, name: &str, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM job_leases WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(db.pool())
        .await?;
    Ok(())
}
